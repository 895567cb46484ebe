"""Public booking: opening hours, slot seats, contacts, web keys, rate counters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "booking_hours",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.CheckConstraint("opens < closes", name=op.f("ck_booking_hours_opens_before_closes")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_booking_hours_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_booking_hours")),
    )
    op.create_table(
        "booking_seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("unit_start", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("seat >= 1", name=op.f("ck_booking_seats_seat_positive")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_booking_seats_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["queue_tickets.id"],
            name=op.f("fk_booking_seats_ticket_id_queue_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_seats")),
        sa.UniqueConstraint(
            "project_id",
            "unit_start",
            "seat",
            name=op.f("uq_booking_seats_project_id_unit_start_seat"),
        ),
    )
    with op.batch_alter_table("booking_seats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_seats_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "booking_contacts",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("created_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["queue_tickets.id"],
            name=op.f("fk_booking_contacts_ticket_id_queue_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_booking_contacts")),
    )
    op.create_table(
        "web_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_web_keys")),
    )
    op.create_table(
        "rate_hits",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("window_start", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_hits")),
    )
    with op.batch_alter_table("rate_hits", schema=None) as batch_op:
        batch_op.create_index("ix_rate_hits_window_start", ["window_start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_hits_window_start")
    op.drop_table("rate_hits")
    op.drop_table("web_keys")
    op.drop_table("booking_contacts")
    with op.batch_alter_table("booking_seats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_seats_ticket_id"))
    op.drop_table("booking_seats")
    op.drop_table("booking_hours")
