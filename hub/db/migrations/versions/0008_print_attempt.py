"""Print jobs: the attempt number of each print of a ticket

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "print_jobs",
        sa.Column("attempt", sa.Integer(), server_default="1", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("print_jobs") as batch:
        batch.drop_column("attempt")
