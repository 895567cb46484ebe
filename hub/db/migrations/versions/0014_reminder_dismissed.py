"""A task reminder dismissed by its user (TSK-7, WEB-3)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 10:00:00

The manual's reminder opens for its user until they tick "Delete reminder"; the reminder is kept
(the task card still lists it) and ``dismissed_at`` says when it was put away. The home page
reads a user's due reminders by ``ix_task_reminders_user``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task_reminders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dismissed_at", hub.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index(
        "ix_task_reminders_user", "task_reminders", ["user_id", "remind_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_task_reminders_user", table_name="task_reminders")
    with op.batch_alter_table("task_reminders", schema=None) as batch_op:
        batch_op.drop_column("dismissed_at")
