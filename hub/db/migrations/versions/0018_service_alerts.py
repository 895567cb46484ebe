"""Service-level alerts (STAT-3): the alerts raised now, one row per service and kind

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-11 10:00:00

``service_alerts`` holds what ``hub.services.stats.watch`` has raised (a line waiting past its
service's target, today's service level below the threshold) until it clears, so every hub
replica, the console and the panels agree on it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_alerts",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("since", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('wait', 'level')", name=op.f("ck_service_alerts_kind")),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["projects.id"],
            name=op.f("fk_service_alerts_service_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "kind", name=op.f("pk_service_alerts")),
    )


def downgrade() -> None:
    op.drop_table("service_alerts")
