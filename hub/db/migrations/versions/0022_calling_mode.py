"""A service's calling mode (issue 20): the manual's nearest-in-time rule or the fair mode

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-05 19:00:00

``projects.calling_mode`` says how Free chooses among a service's waiting tickets
(``hub.services.queue.calling``): ``nearest`` (Q-5, every existing service keeps it) or ``fair``
(bookings kept within 5 minutes of their slot, walk-ins' extra wait bounded).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "calling_mode", sa.String(length=16), server_default="nearest", nullable=False
            )
        )
        batch_op.create_check_constraint("calling_mode", "calling_mode IN ('nearest', 'fair')")


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_projects_calling_mode"), type_="check")
        batch_op.drop_column("calling_mode")
