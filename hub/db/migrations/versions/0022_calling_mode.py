"""A service's calling mode (issue 20): the manual's nearest-in-time rule or the fair mode

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-05 19:00:00

``projects.calling_mode`` says how Free chooses among a service's waiting tickets
(``hub.services.queue.calling``): ``nearest`` (Q-5, every existing service keeps it) or ``fair``
(bookings kept within 5 minutes of their slot, walk-ins' extra wait bounded).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_CHECK = "calling_mode IN ('nearest', 'fair')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place, with the check on the column: a batch copy of projects would have to drop
        # the old table, which the rows referring to it forbid.
        op.execute(
            "ALTER TABLE projects ADD COLUMN calling_mode VARCHAR(16) DEFAULT 'nearest' NOT NULL"
            f" CONSTRAINT ck_projects_calling_mode CHECK ({_CHECK})"
        )
        return
    op.add_column(
        "projects",
        sa.Column("calling_mode", sa.String(length=16), server_default="nearest", nullable=False),
    )
    op.create_check_constraint(op.f("ck_projects_calling_mode"), "projects", _CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_projects_calling_mode"), "projects", type_="check")
    # SQLite drops a column in place together with its own check.
    op.drop_column("projects", "calling_mode")
