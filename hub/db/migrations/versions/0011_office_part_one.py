"""Back-office part 1: opening hours per weekday, history groups' fields, import jobs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 12:40:00

``booking_hours`` (one range for a set of weekdays) becomes ``opening_hours`` (one row per open
weekday); each old row is spread over its weekdays, so a service keeps exactly its hours.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = sa.table(
    "booking_hours",
    sa.column("project_id", sa.Integer()),
    sa.column("weekdays", sa.String()),
    sa.column("opens", sa.Time()),
    sa.column("closes", sa.Time()),
)
_NEW = sa.table(
    "opening_hours",
    sa.column("project_id", sa.Integer()),
    sa.column("weekday", sa.SmallInteger()),
    sa.column("opens", sa.Time()),
    sa.column("closes", sa.Time()),
)


def _opening_hours() -> None:
    op.create_table(
        "opening_hours",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.CheckConstraint("opens < closes", name=op.f("ck_opening_hours_opens_before_closes")),
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name=op.f("ck_opening_hours_weekday_iso")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_opening_hours_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "weekday", name=op.f("pk_opening_hours")),
    )
    bind = op.get_bind()
    rows = [
        {
            "project_id": row.project_id,
            "weekday": int(day),
            "opens": row.opens,
            "closes": row.closes,
        }
        for row in bind.execute(sa.select(_OLD))
        for day in sorted(set(row.weekdays))
        if day in "1234567"
    ]
    if rows:
        op.bulk_insert(_NEW, rows)
    op.drop_table("booking_hours")


def upgrade() -> None:
    _opening_hours()
    with op.batch_alter_table("history_groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fields", sa.JSON(), nullable=True))
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("valid_only", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_params", sa.JSON(), nullable=True),
        sa.Column("created_at", hub.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_import_jobs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_index("ix_import_jobs_user", "import_jobs", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_import_jobs_user", table_name="import_jobs")
    op.drop_table("import_jobs")
    with op.batch_alter_table("history_groups", schema=None) as batch_op:
        batch_op.drop_column("fields")
    op.create_table(
        "booking_hours",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.CheckConstraint("opens < closes", name=op.f("ck_booking_hours_opens_before_closes")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_booking_hours_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_booking_hours")),
    )
    # One range per service: the earliest opening and latest closing over its open days.
    bind = op.get_bind()
    spans: dict[int, tuple[str, Any, Any]] = {}
    for row in bind.execute(sa.select(_NEW).order_by(_NEW.c.project_id, _NEW.c.weekday)):
        days, opens, closes = spans.get(row.project_id, ("", row.opens, row.closes))
        spans[row.project_id] = (
            days + str(row.weekday),
            min(opens, row.opens),
            max(closes, row.closes),
        )
    if spans:
        op.bulk_insert(
            _OLD,
            [
                {"project_id": key, "weekdays": days, "opens": opens, "closes": closes}
                for key, (days, opens, closes) in spans.items()
            ],
        )
    op.drop_table("opening_hours")
