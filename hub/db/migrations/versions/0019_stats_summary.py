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
(the targets of existing visits are the services' targets now), with this migration's own
frozen copy of the computation as it was then (``hub.services.stats.summary`` may change; what
this migration did must not).
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import hub.db.base

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
    _fill(op.get_bind())


# ---- the summary's computation as of 0019 -------------------------------------------------------

NOBODY, NO_WINDOW = 0, ""
ABANDON_REASONS = ("cancelled", "remote_hangup")
VISIT_KEYS = ("day", "hour", "service_id", "operator_id", "window")
CALL_KEYS = ("day", "hour", "device_id", "user_id")
_TIME = hub.db.base.UTCDateTime(timezone=True)
Row = Mapping[Any, Any]
Summed = dict[tuple[Any, ...], Counter[str]]


def _visit_share(visit: Row) -> tuple[tuple[Any, ...], Counter[str]]:
    outcome, wait, length = visit["outcome"], visit["wait_s"], visit["service_s"]
    counts: Counter[str] = Counter(
        visits=1,
        served=outcome == "done",
        no_shows=outcome == "no_show",
        transfers=outcome == "transferred",
        recalls=visit["recalls"] or 0,
        cancelled=outcome == "cancelled",
        waiting=outcome == "open" and visit["called_at"] is None,
    )
    if wait is not None:
        counts.update(waits=1, wait_sum_s=wait, within_target=bool(visit["within_target"]))
    if length is not None:
        counts.update(services=1, service_sum_s=length)
    key = (
        visit["day"],
        visit["hour"],
        visit["service_id"],
        visit["operator_id"] or NOBODY,
        visit["window"] or NO_WINDOW,
    )
    return key, counts


def _ms(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds() * 1000)


def _call_share(call: Row) -> tuple[tuple[Any, ...], Counter[str]] | None:
    if call["local_day"] is None:
        return None
    incoming, outcome = call["direction"] == "in", call["outcome"]
    answered = outcome == "answered"
    unanswered = incoming and outcome == "missed"
    abandoned = unanswered and call["reason"] in ABANDON_REASONS
    counts: Counter[str] = Counter(
        offered=incoming and outcome in ("answered", "missed", "forwarded"),
        answered=incoming and answered,
        missed=unanswered and not abandoned,
        abandoned=abandoned,
        forwarded=incoming and outcome == "forwarded",
        outgoing=call["direction"] == "out" and outcome in ("answered", "missed"),
        callbacks=call["direction"] == "out" and answered and call["answers_event_id"] is not None,
    )
    if incoming and answered:
        delay = _ms(call["answered_at"], call["started_at"])
        if delay is not None:
            counts.update(answers=1, answer_sum_ms=delay)
    if answered:
        duration = call["duration_s"]
        talk = (
            duration * 1000 if duration is not None else _ms(call["ended_at"], call["answered_at"])
        )
        if talk is not None:
            counts.update(talks=1, talk_sum_ms=talk)
    key = (call["local_day"], call["local_hour"], call["device_id"], call["user_id"] or NOBODY)
    return key, counts


def _summed(shares: Iterable[tuple[tuple[Any, ...], Counter[str]] | None]) -> Summed:
    result: Summed = {}
    for share in shares:
        if share is not None:
            result.setdefault(share[0], Counter()).update(share[1])
    return result


def _fill(connection: sa.Connection) -> None:
    visits = sa.table(
        "queue_visits",
        *(sa.column(name) for name in VISIT_KEYS),
        *(sa.column(name) for name in ("outcome", "wait_s", "service_s", "recalls")),
        sa.column("within_target", sa.Boolean()),
        sa.column("called_at", _TIME),
    )
    calls = sa.table(
        "phone_calls",
        *(sa.column(name) for name in ("local_day", "local_hour", "device_id", "user_id")),
        *(sa.column(name) for name in ("direction", "outcome", "reason", "duration_s")),
        sa.column("answers_event_id"),
        *(sa.column(name, _TIME) for name in ("started_at", "answered_at", "ended_at")),
    )
    found = (
        _summed(_visit_share(row._mapping) for row in connection.execute(sa.select(visits))),
        _summed(_call_share(row._mapping) for row in connection.execute(sa.select(calls))),
    )
    for name, keys, counts, rows in (
        ("stats_visit_days", VISIT_KEYS, VISIT_COUNTS, found[0]),
        ("stats_call_days", CALL_KEYS, CALL_COUNTS, found[1]),
    ):
        table = sa.table(name, *(sa.column(column) for column in keys + counts))
        values = [
            dict(zip(keys, key, strict=True)) | {column: int(row[column]) for column in counts}
            for key, row in rows.items()
        ]
        if values:
            connection.execute(table.insert(), values)


def downgrade() -> None:
    op.drop_table("stats_call_days")
    op.drop_table("stats_visit_days")
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_visits_moved")
        batch_op.drop_index("ix_queue_visits_day")
        batch_op.create_index("ix_queue_visits_day", ["day", "service_id"])
        batch_op.drop_column("within_target")
