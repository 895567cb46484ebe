"""Statistics: the call centre's callers per day (issue 19 item 6, issue 22)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 22:30:00

``stats_caller_days`` holds the counts and sums of the callers' visits (visits of tickets on an
office line) per local day and hour of joining and service, kept by the transactions that
change the visits or their tickets' call outcome (``hub.services.stats.summary``), so a year's
call-centre report reads the summary instead of every caller's visit joined with its ticket.

A visit learns whether it is a caller's (``queue_visits.caller``) and keeps a copy of its
ticket's ``call_outcome`` and ``finished_at`` as last counted (``ticket_finished_at``): the
share a change takes out is then always the visit's own row. ``ix_queue_visits_callers`` (only
the callers' visits) covers what the percentiles read.

Both are filled from the facts already recorded, with this migration's own copy of the
computation (frozen as it is today: a later change of the live summary must not change what
this migration did).
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ("day", "hour", "service_id")
COUNTS = (
    "offered",
    "answered",
    "answer_sum_s",
    "abandoned",
    "abandon_waits",
    "abandon_wait_sum_s",
    "callbacks",
    "called_back",
    "waiting",
    "talks",
    "talk_sum_s",
)
SUMS = ("answer_sum_s", "abandon_wait_sum_s", "talk_sum_s")
SPREAD = [
    "day",
    "service_id",
    "hour",
    "outcome",
    "call_outcome",
    "joined_at",
    "called_at",
    "started_at",
    "ended_at",
    "ticket_finished_at",
    "service_s",
    "caller",
]
ABANDONED, CALLBACK = "abandoned", "callback"

_TIME = hub.db.base.UTCDateTime(timezone=True)
visits = sa.table(
    "queue_visits",
    sa.column("id", sa.Integer()),
    sa.column("ticket_id", sa.Integer()),
    sa.column("service_id", sa.Integer()),
    sa.column("day", sa.Date()),
    sa.column("hour", sa.SmallInteger()),
    sa.column("joined_at", _TIME),
    sa.column("called_at", _TIME),
    sa.column("started_at", _TIME),
    sa.column("ended_at", _TIME),
    sa.column("service_s", sa.Integer()),
    sa.column("outcome", sa.String()),
    sa.column("caller", sa.Boolean()),
    sa.column("call_outcome", sa.String()),
    sa.column("ticket_finished_at", _TIME),
)
tickets = sa.table(
    "queue_tickets",
    sa.column("id", sa.Integer()),
    sa.column("line_device", sa.String()),
    sa.column("call_outcome", sa.String()),
    sa.column("finished_at", _TIME),
)


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, round((later - earlier).total_seconds()))


def _share(visit: Mapping[Any, Any]) -> Counter[str]:
    """What one caller's visit adds to its row (the definitions of issue 22, as of 0024)."""
    outcome = visit["call_outcome"]
    answered = outcome not in (ABANDONED, CALLBACK) and visit["started_at"] is not None
    abandoned, callback = outcome == ABANDONED, outcome == CALLBACK
    counts: Counter[str] = Counter(
        offered=1,
        answered=answered,
        abandoned=abandoned,
        callbacks=callback,
        called_back=callback and visit["called_at"] is not None,
        waiting=visit["outcome"] == "open" and visit["called_at"] is None,
    )
    if answered:
        counts.update(answer_sum_s=_seconds(visit["started_at"], visit["joined_at"]) or 0)
        if visit["outcome"] == "done" and visit["service_s"] is not None:
            counts.update(talks=1, talk_sum_s=visit["service_s"])
    if abandoned:
        gone = visit["called_at"] or visit["ticket_finished_at"] or visit["ended_at"]
        waited = _seconds(gone, visit["joined_at"])
        if waited is not None:
            counts.update(abandon_waits=1, abandon_wait_sum_s=waited)
    return counts


def _fill(connection: sa.Connection) -> None:
    of_ticket = tickets.c.id == visits.c.ticket_id
    connection.execute(
        sa.update(visits)
        .where(
            sa.select(tickets.c.id).where(of_ticket, tickets.c.line_device.is_not(None)).exists()
        )
        .values(
            caller=True,
            call_outcome=sa.select(tickets.c.call_outcome).where(of_ticket).scalar_subquery(),
            ticket_finished_at=sa.select(tickets.c.finished_at).where(of_ticket).scalar_subquery(),
        )
    )
    rows: dict[tuple[Any, ...], Counter[str]] = {}
    for row in connection.execute(sa.select(visits).where(visits.c.caller == sa.true())):
        values = row._mapping
        rows.setdefault(tuple(values[name] for name in KEYS), Counter()).update(_share(values))
    days = sa.table("stats_caller_days", *(sa.column(name) for name in KEYS + COUNTS))
    found = [
        dict(zip(KEYS, key, strict=True)) | {name: int(counts[name]) for name in COUNTS}
        for key, counts in rows.items()
    ]
    if found:
        connection.execute(days.insert(), found)


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN on both databases (no copy of a year of visits).
    op.add_column(
        "queue_visits",
        sa.Column("caller", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("queue_visits", sa.Column("call_outcome", sa.String(length=16), nullable=True))
    op.add_column(
        "queue_visits",
        sa.Column("ticket_finished_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "stats_caller_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        *(
            sa.Column(
                name,
                sa.BigInteger() if name in SUMS else sa.Integer(),
                nullable=False,
                server_default="0",
            )
            for name in COUNTS
        ),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name=op.f("ck_stats_caller_days_hour")),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["projects.id"],
            name=op.f("fk_stats_caller_days_service_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "hour", "service_id", name=op.f("pk_stats_caller_days")),
    )
    _fill(op.get_bind())
    op.create_index(
        "ix_queue_visits_callers",
        "queue_visits",
        SPREAD,
        sqlite_where=sa.text("caller = 1"),
        postgresql_where=sa.text("caller"),
    )


def downgrade() -> None:
    op.drop_table("stats_caller_days")
    op.drop_index("ix_queue_visits_callers", table_name="queue_visits")
    # SQLite (3.35+) drops plain columns in place; a batch copy is not needed.
    for column in ("ticket_finished_at", "call_outcome", "caller"):
        op.drop_column("queue_visits", column)
