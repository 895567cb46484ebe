"""Statistics: the per-day summary of visits and calls (STAT-1, STAT-2)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 19:00:00

``stats_visit_days`` and ``stats_call_days`` hold the counts and sums of the visits and calls
per local day and hour (and service, operator, window; or line and operator), kept by the
transactions that record the facts (``hub.services.stats.summary``), so a year's report reads
the summary instead of every visit. A visit keeps whether its wait met its service's target at
the call (``queue_visits.within_target``); its day index covers the waits and service times
the percentiles read, and the transferred visits have one of their own. Both are filled from the facts already recorded
(the targets of existing visits are the services' targets now).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hub.services.stats.summary import rebuild

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VISIT_COUNTS = (
    "visits",
    "served",
    "no_shows",
    "transfers",
    "recalls",
    "cancelled",
    "waiting",
    "waits",
    "wait_sum_s",
    "within_target",
    "services",
    "service_sum_s",
)
CALL_COUNTS = (
    "offered",
    "answered",
    "missed",
    "abandoned",
    "forwarded",
    "answers",
    "answer_sum_ms",
    "talks",
    "talk_sum_ms",
    "outgoing",
    "callbacks",
)
# The day index covers what the percentiles read (SQLite answers from the index alone).
SPREAD = ["day", "service_id", "operator_id", "hour", "window", "wait_s", "service_s"]
SUMS = ("wait_sum_s", "service_sum_s", "answer_sum_ms", "talk_sum_ms")


def _counts(names: tuple[str, ...]) -> list[sa.Column[int]]:
    return [
        sa.Column(
            name,
            sa.BigInteger() if name in SUMS else sa.Integer(),
            nullable=False,
            server_default="0",
        )
        for name in names
    ]


def upgrade() -> None:
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("within_target", sa.Boolean(), nullable=True))
        batch_op.drop_index("ix_queue_visits_day")
        batch_op.create_index("ix_queue_visits_day", SPREAD)
        batch_op.create_index("ix_queue_visits_moved", ["outcome", "day", "ticket_id"])
    op.create_table(
        "stats_visit_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=False),
        *_counts(VISIT_COUNTS),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name=op.f("ck_stats_visit_days_hour")),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["projects.id"],
            name=op.f("fk_stats_visit_days_service_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "day", "hour", "service_id", "operator_id", "window", name=op.f("pk_stats_visit_days")
        ),
    )
    op.create_table(
        "stats_call_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        *_counts(CALL_COUNTS),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name=op.f("ck_stats_call_days_hour")),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_stats_call_days_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "day", "hour", "device_id", "user_id", name=op.f("pk_stats_call_days")
        ),
    )
    visits = sa.table(
        "queue_visits",
        sa.column("service_id", sa.Integer()),
        sa.column("wait_s", sa.Integer()),
        sa.column("within_target", sa.Boolean()),
    )
    projects = sa.table("projects", sa.column("id", sa.Integer()), sa.column("target_wait_s"))
    target = (
        sa.select(projects.c.target_wait_s)
        .where(projects.c.id == visits.c.service_id)
        .scalar_subquery()
    )
    op.execute(
        sa.update(visits)
        .where(visits.c.wait_s.is_not(None))
        .values(within_target=visits.c.wait_s <= target)
    )
    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("stats_call_days")
    op.drop_table("stats_visit_days")
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_visits_moved")
        batch_op.drop_index("ix_queue_visits_day")
        batch_op.create_index("ix_queue_visits_day", ["day", "service_id"])
        batch_op.drop_column("within_target")
