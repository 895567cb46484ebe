"""Settlement documents linked to tasks (TSK-6)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_documents",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["settlement_documents.id"],
            name=op.f("fk_task_documents_document_id_settlement_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_documents_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "document_id", name=op.f("pk_task_documents")),
    )
    op.create_index(op.f("ix_task_documents_document_id"), "task_documents", ["document_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_task_documents_document_id"), table_name="task_documents")
    op.drop_table("task_documents")
