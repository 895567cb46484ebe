"""The call-centre's callers per service (issue 22 in the desk report, STAT-2's phone side).

Callers on the office's lines (``hub.services.queue.calls``) are phone tickets in a service's
queue; each stay of a caller in a service is a visit (``queue_visits``) of a ticket with a line
call. They are read here from those facts (visit joined with its ticket), not from the per-day
summary, which is untouched: the hall's figures (``stats.queue``) still count callers among
the visitors, so the desk's contacts do not add these again. Definitions, per caller's visit:

- offered: the caller joined the service's line (chose it in the menu, or was transferred to it);
- answered: the operator's phone answered them (the visit's service started, not a callback);
  average speed of answer: from joining to that answer (the time in the queue);
- abandoned: the caller hung up before an answer (``call_outcome`` abandoned), with their wait:
  from joining to hanging up while waiting, or to being called if they hung up after that;
- callbacks: they asked to be called back; ``called back`` of those: reached by an operator
  (the operator's phone dialled them);
- waiting: still in the line (not called);
- talk time: the service of answered visits that are finished (start to done).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.base import table_of
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import QueueVisit
from hub.services.stats.common import By, Durations, Period, check_by, durations, key_names
from hub.services.stats.facts import seconds_between
from hub.services.stats.queue import Scope

CALLER_GROUPS = (By.SERVICE, By.DAY, By.HOUR, By.PERIOD)
ABANDONED, CALLBACK = "abandoned", "callback"
_V = table_of(QueueVisit).c
_T = table_of(QueueTicket).c


@dataclass(frozen=True)
class CallerFigures:
    """One row of the call-centre section."""

    key: str
    name: str
    offered: int
    answered: int
    abandoned: int
    callbacks: int
    called_back: int
    waiting: int
    answer: Durations
    """The time in the queue of the answered (average speed of answer)."""
    abandon_wait: Durations
    """How long those who hung up had waited."""
    talk: Durations

    @property
    def answered_share(self) -> float | None:
        """Answered among offered."""
        return round(self.answered / self.offered, 4) if self.offered else None


@dataclass
class _Counts:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    callbacks: int = 0
    called_back: int = 0
    waiting: int = 0

    def __post_init__(self) -> None:
        self.answers: list[int] = []
        self.abandon_waits: list[int] = []
        self.talks: list[int] = []


def caller_visits(session: Session, period: Period, scope: Scope | None = None) -> list[Any]:
    """The callers' visits joined in ``period`` (in the ``scope``'s services), with their
    ticket's call outcome."""
    query = (
        select(
            _V.service_id,
            _V.day,
            _V.hour,
            _V.joined_at,
            _V.called_at,
            _V.started_at,
            _V.ended_at,
            _V.service_s,
            _V.outcome,
            _T.call_outcome,
            _T.finished_at,
        )
        .join(table_of(QueueTicket), _T.id == _V.ticket_id)
        .where(_V.day.between(period.first, period.last), _T.line_device.is_not(None))
    )
    if scope is not None and scope.services is not None:
        query = query.where(_V.service_id.in_(list(scope.services)))
    return list(session.execute(query))


def _count(counts: _Counts, visit: Any) -> None:
    counts.offered += 1
    outcome = visit.call_outcome
    if outcome == CALLBACK:
        counts.callbacks += 1
        counts.called_back += visit.called_at is not None
    elif outcome == ABANDONED:
        counts.abandoned += 1
        gone = visit.called_at or visit.finished_at or visit.ended_at
        waited = seconds_between(gone, visit.joined_at)
        if waited is not None:
            counts.abandon_waits.append(waited)
    elif visit.started_at is not None:
        counts.answered += 1
        waited = seconds_between(visit.started_at, visit.joined_at)
        if waited is not None:
            counts.answers.append(waited)
        if visit.outcome == "done" and visit.service_s is not None:
            counts.talks.append(visit.service_s)
    if visit.outcome == "open" and visit.called_at is None:
        counts.waiting += 1


def _key(by: By, visit: Any) -> object:
    if by is By.SERVICE:
        return visit.service_id
    if by is By.DAY:
        return visit.day
    if by is By.HOUR:
        return visit.hour
    return 0


def caller_figures(
    session: Session, period: Period, by: By, scope: Scope | None = None
) -> list[CallerFigures]:
    """The call-centre's figures for ``period`` grouped ``by`` (service, day, hour, period), in
    key order; only groups with callers."""
    check_by(by, CALLER_GROUPS)
    grouped: dict[object, _Counts] = {}
    for visit in caller_visits(session, period, scope):
        _count(grouped.setdefault(_key(by, visit), _Counts()), visit)
    names = key_names(session, by, grouped, period)
    return [_row(by, key, names.get(key, str(key)), grouped[key]) for key in _ordered(grouped)]


def _ordered(keys: Iterable[Any]) -> list[Any]:
    return sorted(keys, key=lambda k: (k.toordinal() if isinstance(k, date) else k))


def _row(by: By, key: object, name: str, counts: _Counts) -> CallerFigures:
    return CallerFigures(
        key="all" if by is By.PERIOD else str(key),
        name=name,
        offered=counts.offered,
        answered=counts.answered,
        abandoned=counts.abandoned,
        callbacks=counts.callbacks,
        called_back=counts.called_back,
        waiting=counts.waiting,
        answer=durations(counts.answers),
        abandon_wait=durations(counts.abandon_waits),
        talk=durations(counts.talks),
    )
