"""Devices: the appliance registry, their MQTT credentials and state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("window_number", sa.Integer(), nullable=True),
        sa.Column("printer_id", sa.String(length=64), nullable=True),
        sa.Column("mqtt_password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.String(length=32), nullable=True),
        sa.Column("faults", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "role IN ('kiosk', 'printer', 'panel', 'display', 'phone')",
            name=op.f("ck_devices_known_role"),
        ),
        sa.CheckConstraint(
            "window_number IS NULL OR window_number > 0", name=op.f("ck_devices_window_positive")
        ),
        sa.ForeignKeyConstraint(
            ["printer_id"],
            ["devices.id"],
            name=op.f("fk_devices_printer_id_devices"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_printer_id"), ["printer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_devices_site"), ["site"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_site"))
        batch_op.drop_index(batch_op.f("ix_devices_printer_id"))
    op.drop_table("devices")
