"""The visitor's live ticket page: links by token, following remotely, running late (issue 23)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 10:00:00

A ticket's page is opened by an unguessable token carried in its link (the printed QR code, the
kiosk's screen, the booking confirmation). Only the SHA-256 of a token is kept, with the moment it
stops working (the end of the ticket's day in the office's time zone). A ticket may have several
links (the booking confirmation's, the printed ticket's, a reprint's). ``remote_seen_at`` is when
the visitor's page last asked (the hall sees "following remotely"); ``late_until`` is how long a
visitor who said "I am running late" keeps their place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["queue_tickets.id"],
            name=op.f("fk_ticket_links_ticket_id_queue_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_ticket_links_token_hash")),
    )
    op.create_index("ix_ticket_links_ticket_id", "ticket_links", ["ticket_id"], unique=False)
    op.create_index("ix_ticket_links_expires_at", "ticket_links", ["expires_at"], unique=False)
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("remote_seen_at", hub.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("late_until", hub.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.drop_column("late_until")
        batch_op.drop_column("remote_seen_at")
    op.drop_index("ix_ticket_links_expires_at", table_name="ticket_links")
    op.drop_index("ix_ticket_links_ticket_id", table_name="ticket_links")
    op.drop_table("ticket_links")
