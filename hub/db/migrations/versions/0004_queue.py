"""The electronic queue: tickets' queue state, operators' sessions, outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("retain", sa.Boolean(), nullable=False),
        sa.Column("created_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["sent_at", "id"], unique=False)

    op.create_table(
        "queue_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("origin_project_id", sa.Integer(), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lane", sa.Integer(), nullable=False),
        sa.Column("effective_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("booked_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("booked_until", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("booking_code", sa.String(length=32), nullable=True),
        sa.Column("arrived_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("called_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_called_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("window", sa.String(length=16), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("recalls", sa.Integer(), nullable=False),
        sa.Column("client_name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("companies", sa.Integer(), nullable=False),
        sa.Column("target_operator_id", sa.Integer(), nullable=True),
        sa.Column("transferred_from_id", sa.Integer(), nullable=True),
        sa.Column("transfer_reason", sa.Text(), nullable=True),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('walk_in', 'booking')", name=op.f("ck_queue_tickets_kind")),
        sa.CheckConstraint(
            "state IN ('booked', 'waiting', 'called', 'serving', 'done', 'no_show', 'expired', 'cancelled')",
            name=op.f("ck_queue_tickets_state"),
        ),
        sa.CheckConstraint("companies >= 1", name=op.f("ck_queue_tickets_companies")),
        sa.CheckConstraint("lane IN (0, 1)", name=op.f("ck_queue_tickets_lane")),
        sa.CheckConstraint("recalls >= 0", name=op.f("ck_queue_tickets_recalls")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_queue_tickets_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["users.id"],
            name=op.f("fk_queue_tickets_operator_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["origin_project_id"],
            ["projects.id"],
            name=op.f("fk_queue_tickets_origin_project_id_projects"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_queue_tickets_project_id_projects"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["target_operator_id"],
            ["users.id"],
            name=op.f("fk_queue_tickets_target_operator_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_queue_tickets_task_id_tasks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["transferred_from_id"],
            ["projects.id"],
            name=op.f("fk_queue_tickets_transferred_from_id_projects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_tickets")),
        sa.UniqueConstraint("booking_code", name=op.f("uq_queue_tickets_booking_code")),
        sa.UniqueConstraint("event_id", name=op.f("uq_queue_tickets_event_id")),
        sa.UniqueConstraint(
            "origin_project_id",
            "service_day",
            "number",
            name=op.f("uq_queue_tickets_origin_project_id_service_day_number"),
        ),
    )
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.create_index("ix_queue_tickets_calls", ["called_at"], unique=False)
        batch_op.create_index(
            "ix_queue_tickets_history", ["project_id", "state", "finished_at"], unique=False
        )
        batch_op.create_index(
            "ix_queue_tickets_line",
            ["state", "project_id", "lane", "effective_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_queue_tickets_operator_id"), ["operator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_queue_tickets_target_operator_id"), ["target_operator_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_queue_tickets_task_id"), ["task_id"], unique=False)

    op.create_table(
        "queue_operators",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_since", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=True),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["queue_tickets.id"],
            name=op.f("fk_queue_operators_ticket_id_queue_tickets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_queue_operators_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_queue_operators")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_queue_operators_ticket_id")),
    )
    with op.batch_alter_table("queue_operators", schema=None) as batch_op:
        batch_op.create_index("ix_queue_operators_status", ["status", "status_since"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("queue_operators", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_operators_status")

    op.drop_table("queue_operators")
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_tickets_task_id"))
        batch_op.drop_index(batch_op.f("ix_queue_tickets_target_operator_id"))
        batch_op.drop_index(batch_op.f("ix_queue_tickets_operator_id"))
        batch_op.drop_index("ix_queue_tickets_line")
        batch_op.drop_index("ix_queue_tickets_history")
        batch_op.drop_index("ix_queue_tickets_calls")

    op.drop_table("queue_tickets")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
