"""The MQTT coordinator: answered device requests and print jobs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_requests",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=False),
        sa.Column("created_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_device_requests")),
    )
    with op.batch_alter_table("device_requests", schema=None) as batch_op:
        batch_op.create_index("ix_device_requests_created", ["created_at"], unique=False)

    op.create_table(
        "print_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("printer_id", sa.String(length=64), nullable=False),
        sa.Column("kiosk_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'printed', 'failed')", name=op.f("ck_print_jobs_state")
        ),
        sa.ForeignKeyConstraint(
            ["printer_id"],
            ["devices.id"],
            name=op.f("fk_print_jobs_printer_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["queue_tickets.id"],
            name=op.f("fk_print_jobs_ticket_id_queue_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_jobs")),
    )
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_print_jobs_printer", ["printer_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_print_jobs_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_print_jobs_ticket_id"))
        batch_op.drop_index("ix_print_jobs_printer")
    op.drop_table("print_jobs")
    with op.batch_alter_table("device_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_device_requests_created")
    op.drop_table("device_requests")
