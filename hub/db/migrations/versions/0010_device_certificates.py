"""Devices' client certificates, for MQTT over TLS and the broker's revocation list

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_certificates",
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_certificates_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_device_certificates")),
    )
    op.create_index(op.f("ix_device_certificates_device_id"), "device_certificates", ["device_id"])
    op.create_index(
        op.f("ix_device_certificates_revoked_at"), "device_certificates", ["revoked_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_device_certificates_revoked_at"), table_name="device_certificates")
    op.drop_index(op.f("ix_device_certificates_device_id"), table_name="device_certificates")
    op.drop_table("device_certificates")
