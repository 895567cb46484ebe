"""Calls as CRM events: tracked calls, a panel's phone agent, a phone agent's state

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phone_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("line", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("remote", sa.String(length=128), nullable=False),
        sa.Column("remote_digits", sa.String(length=32), nullable=True),
        sa.Column("remote_name", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("recording", sa.String(length=128), nullable=True),
        sa.Column("target", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("answers_event_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_phone_calls_direction")),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('answered', 'missed', 'forwarded', 'skipped')",
            name=op.f("ck_phone_calls_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["answers_event_id"],
            ["events.id"],
            name=op.f("fk_phone_calls_answers_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_phone_calls_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_phone_calls_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_phone_calls_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_calls")),
        sa.UniqueConstraint("device_id", "call_id", name="uq_phone_calls_device_call"),
    )
    op.create_index(
        op.f("ix_phone_calls_answers_event_id"), "phone_calls", ["answers_event_id"], unique=False
    )
    op.create_index(op.f("ix_phone_calls_event_id"), "phone_calls", ["event_id"], unique=False)
    op.create_index(
        "ix_phone_calls_missed",
        "phone_calls",
        ["remote_digits", "outcome", "resolved_at"],
        unique=False,
    )
    op.create_index(op.f("ix_phone_calls_user_id"), "phone_calls", ["user_id"], unique=False)

    # Plain ADD COLUMN, never a batch copy: on SQLite (foreign keys on) copying and dropping
    # the devices table would cascade into the print jobs of every device.
    op.add_column("devices", sa.Column("phone_id", sa.String(length=64), nullable=True))
    op.add_column("devices", sa.Column("phone_status", sa.JSON(), nullable=True))
    op.create_index(op.f("ix_devices_phone_id"), "devices", ["phone_id"], unique=False)

    op.add_column("events", sa.Column("call_duration_s", sa.Integer(), nullable=True))
    op.add_column("events", sa.Column("call_recording", sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_index(op.f("ix_phone_calls_user_id"), table_name="phone_calls")
    op.drop_index("ix_phone_calls_missed", table_name="phone_calls")
    op.drop_index(op.f("ix_phone_calls_event_id"), table_name="phone_calls")
    op.drop_index(op.f("ix_phone_calls_answers_event_id"), table_name="phone_calls")
    op.drop_table("phone_calls")

    # SQLite (3.35+) drops plain columns in place.
    op.drop_column("events", "call_recording")
    op.drop_column("events", "call_duration_s")

    op.drop_index(op.f("ix_devices_phone_id"), table_name="devices")
    op.drop_column("devices", "phone_status")
    op.drop_column("devices", "phone_id")
