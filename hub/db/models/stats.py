"""Facts the statistics read (STAT-1): each stay of a ticket in a service, operators' time.

Both are written by the queue's own functions, in the transaction that records the change, so a
report never disagrees with what happened. The office's local day and hour are stored with each
row (the time zone is the site's), so reports group by them with an index and no time-zone
arithmetic in SQL.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base

VISIT_OUTCOMES = ("open", "done", "no_show", "transferred", "cancelled")
# What the callers' percentiles read of a caller's visit (``ix_queue_visits_callers``; with
# ``caller`` too, so that SQLite answers from the index alone).
CALLER_SPREAD = (
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
)


class QueueVisit(Base):
    """One stay of a ticket in one service: from joining its line to leaving it.

    A ticket has one visit per service it passed through: a transfer closes the visit as
    "transferred" and opens one in the target service (the ticket row itself keeps only its last
    stay). ``wait_s`` is from joining (arrival, a booking's time if it came early, or the
    transfer) to the first call; ``service_s`` from the start of service (or the call) to done.
    """

    __tablename__ = "queue_visits"
    __table_args__ = (
        # Every report reads a range of days, optionally of some services; the percentiles
        # read the waits and service times from this index alone (on SQLite).
        Index(
            "ix_queue_visits_day",
            "day",
            "service_id",
            "operator_id",
            "hour",
            "window",
            "wait_s",
            "service_s",
        ),
        # The transferred visits (the only tickets with more than one visit).
        Index("ix_queue_visits_moved", "outcome", "day", "ticket_id"),
        Index("ix_queue_visits_ticket", "ticket_id", "outcome"),
        Index("ix_queue_visits_called", "called_at"),
        # The callers' visits (issue 22): the call centre's percentiles read their times from
        # this index alone (on SQLite), and only callers are in it.
        Index(
            "ix_queue_visits_callers",
            *CALLER_SPREAD,
            # SQLite keeps a flag as 1 and matches the query's "caller = 1" to this.
            sqlite_where=text("caller = 1"),
            postgresql_where=text("caller"),
        ),
        CheckConstraint(
            "outcome IN ('open', 'done', 'no_show', 'transferred', 'cancelled')", name="outcome"
        ),
        CheckConstraint("hour BETWEEN 0 AND 23", name="hour"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("queue_tickets.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # The office's local day and hour of joining the line.
    day: Mapped[date]
    hour: Mapped[int] = mapped_column(SmallInteger)
    joined_at: Mapped[datetime]
    called_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    window: Mapped[str | None] = mapped_column(String(16))
    recalls: Mapped[int] = mapped_column(default=0)
    wait_s: Mapped[int | None]
    service_s: Mapped[int | None]
    # Whether ``wait_s`` met the service's target as it was at the call (the summary counts it).
    within_target: Mapped[bool | None]
    outcome: Mapped[str] = mapped_column(String(16), default="open")
    # A caller on an office line (the ticket's ``line_device``), and a copy of the ticket's
    # ``call_outcome`` and ``finished_at`` as the callers' summary last counted them: a change of
    # the ticket moves the share of each of its visits (``hub.services.stats.facts``).
    caller: Mapped[bool] = mapped_column(default=False, server_default=false())
    call_outcome: Mapped[str | None] = mapped_column(String(16))
    ticket_finished_at: Mapped[datetime | None]


class OperatorSpan(Base):
    """Seconds an operator spent in one user status (SET-4) within one local hour.

    Written when the status changes; a span crossing an hour boundary is one row per hour, so
    time by hour, day or period is a plain sum. The current, unfinished status is added by the
    report from ``queue_operators``.
    """

    __tablename__ = "operator_spans"
    __table_args__ = (
        Index("ix_operator_spans_day", "day", "user_id"),
        CheckConstraint("hour BETWEEN 0 AND 23", name="hour"),
        CheckConstraint("seconds >= 0", name="seconds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(32))
    window: Mapped[str | None] = mapped_column(String(16))
    day: Mapped[date]
    hour: Mapped[int] = mapped_column(SmallInteger)
    started_at: Mapped[datetime]
    seconds: Mapped[int]


class ServiceAlert(Base):
    """A service-level alert raised now (STAT-3): a service's line waits past its target, or
    today's service level fell below the threshold (``hub.services.stats.alerts``).

    Kept in the database, not in a process, so every hub replica, the console and every panel
    publication agree on what is raised; a row is deleted when its alert clears.
    """

    __tablename__ = "service_alerts"
    __table_args__ = (CheckConstraint("kind IN ('wait', 'level')", name="kind"),)

    service_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    since: Mapped[datetime]
    # Seconds for a wait, whole percent for a level.
    value: Mapped[int]
    threshold: Mapped[int]


class VisitDay(Base):
    """The hall's counts and sums per local day and hour, service, operator and window: what
    ``queue_visits`` add up to, kept by the same transactions that write the visits (a change of
    a visit takes its old share out and puts its new one in), so a year's report reads a few
    thousand rows. Percentiles still need the visits themselves.

    A visit not called yet has operator 0 and window '' (a key of the primary key).
    """

    __tablename__ = "stats_visit_days"
    __table_args__ = (CheckConstraint("hour BETWEEN 0 AND 23", name="hour"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    operator_id: Mapped[int] = mapped_column(primary_key=True)
    window: Mapped[str] = mapped_column(String(16), primary_key=True)
    visits: Mapped[int] = mapped_column(default=0)
    served: Mapped[int] = mapped_column(default=0)
    no_shows: Mapped[int] = mapped_column(default=0)
    transfers: Mapped[int] = mapped_column(default=0)
    recalls: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[int] = mapped_column(default=0)
    waiting: Mapped[int] = mapped_column(default=0)
    waits: Mapped[int] = mapped_column(default=0)
    wait_sum_s: Mapped[int] = mapped_column(BigInteger, default=0)
    within_target: Mapped[int] = mapped_column(default=0)
    services: Mapped[int] = mapped_column(default=0)
    service_sum_s: Mapped[int] = mapped_column(BigInteger, default=0)


class CallDay(Base):
    """The phone lines' counts and sums per local day and hour, line and operator (0: none),
    kept by the transactions that record the calls (``hub.services.stats.summary``). Times are
    summed in milliseconds, so a mean is the same as over the calls."""

    __tablename__ = "stats_call_days"
    __table_args__ = (CheckConstraint("hour BETWEEN 0 AND 23", name="hour"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(primary_key=True)
    offered: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    missed: Mapped[int] = mapped_column(default=0)
    abandoned: Mapped[int] = mapped_column(default=0)
    forwarded: Mapped[int] = mapped_column(default=0)
    answers: Mapped[int] = mapped_column(default=0)
    answer_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    talks: Mapped[int] = mapped_column(default=0)
    talk_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    outgoing: Mapped[int] = mapped_column(default=0)
    callbacks: Mapped[int] = mapped_column(default=0)


class CallerDay(Base):
    """The call centre's callers (issue 22) per local day and hour of joining and service: what
    the callers' visits (``queue_visits`` of tickets on an office line) add up to, kept by the
    transactions that change the visits or their tickets' call outcome
    (``hub.services.stats.summary``). Times are whole seconds, as the visits keep them."""

    __tablename__ = "stats_caller_days"
    __table_args__ = (CheckConstraint("hour BETWEEN 0 AND 23", name="hour"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    offered: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    answer_sum_s: Mapped[int] = mapped_column(BigInteger, default=0)
    abandoned: Mapped[int] = mapped_column(default=0)
    abandon_waits: Mapped[int] = mapped_column(default=0)
    abandon_wait_sum_s: Mapped[int] = mapped_column(BigInteger, default=0)
    callbacks: Mapped[int] = mapped_column(default=0)
    called_back: Mapped[int] = mapped_column(default=0)
    waiting: Mapped[int] = mapped_column(default=0)
    talks: Mapped[int] = mapped_column(default=0)
    talk_sum_s: Mapped[int] = mapped_column(BigInteger, default=0)
