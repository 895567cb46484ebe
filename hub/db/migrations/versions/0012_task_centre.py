"""A task's responsibility centre (TSK-1)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:00:00

The task registry filters by executor: an employee, or a responsibility centre. Employees are
the task's executors; a centre is named on the task as it is on an event
(``events.responsibility_centre``), with an index for the registry's order within a centre.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("responsibility_centre", sa.String(length=200), nullable=True)
        )
    op.create_index(
        "ix_tasks_centre", "tasks", ["responsibility_centre", "starts_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_centre", table_name="tasks")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("responsibility_centre")
