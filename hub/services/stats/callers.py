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

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from hub.db.base import table_of
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import QueueVisit
from hub.services.stats.common import (
    By,
    Durations,
    Period,
    check_by,
    count_if,
    durations,
    key_names,
)
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


_ANSWERED, _ABANDONED, _CALLBACK = (
    and_(
        or_(_T.call_outcome.is_(None), _T.call_outcome.not_in([ABANDONED, CALLBACK])),
        _V.started_at.is_not(None),
    ),
    _T.call_outcome == ABANDONED,
    _T.call_outcome == CALLBACK,
)
_TALKED = and_(_ANSWERED, _V.outcome == "done", _V.service_s.is_not(None))
_KEYS: dict[By, ColumnElement[Any]] = {By.SERVICE: _V.service_id, By.DAY: _V.day, By.HOUR: _V.hour}


def _seconds(dialect: str, later: ColumnElement[Any], earlier: ColumnElement[Any]) -> Any:
    """Whole seconds from ``earlier`` to ``later``, in SQL (SQLite keeps UTC text)."""
    if dialect == "postgresql":
        span: Any = func.extract("epoch", later - earlier)
    else:
        span = (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return cast(func.round(span), Integer)


def _measures(dialect: str) -> dict[str, tuple[ColumnElement[bool], Any]]:
    """Each duration: the visits it is taken over and its seconds."""
    gone = func.coalesce(_V.called_at, _T.finished_at, _V.ended_at)
    return {
        "answer": (_ANSWERED, _seconds(dialect, _V.started_at, _V.joined_at)),
        "abandon_wait": (
            and_(_ABANDONED, gone.is_not(None)),
            _seconds(dialect, gone, _V.joined_at),
        ),
        "talk": (_TALKED, _V.service_s),
    }


def _joined(query: Select[Any], period: Period, scope: Scope | None) -> Select[Any]:
    query = query.join(table_of(QueueTicket), _T.id == _V.ticket_id).where(
        _V.day.between(period.first, period.last), _T.line_device.is_not(None)
    )
    if scope is not None and scope.services is not None:
        query = query.where(_V.service_id.in_(list(scope.services)))
    return query


def caller_figures(
    session: Session,
    period: Period,
    by: By,
    scope: Scope | None = None,
    *,
    spread: bool = True,
) -> list[CallerFigures]:
    """The call-centre's figures for ``period`` grouped ``by`` (service, day, hour, period), in
    key order; only groups with callers. Counts and means are summed in the database; the
    medians and 90th percentiles (``spread``) read the durations themselves."""
    check_by(by, CALLER_GROUPS)
    dialect = session.get_bind().dialect.name
    grouped = _KEYS.get(by)
    key = grouped if grouped is not None else literal_column("0")
    measures = _measures(dialect)
    sums = []
    for where, seconds in measures.values():
        sums += [count_if(where), func.coalesce(func.sum(case((where, seconds))), 0)]
    query = select(
        key,
        func.count(),
        count_if(_ANSWERED),
        count_if(_ABANDONED),
        count_if(_CALLBACK),
        count_if(and_(_CALLBACK, _V.called_at.is_not(None))),
        count_if(and_(_V.outcome == "open", _V.called_at.is_(None))),
        *sums,
    )
    if grouped is not None:
        query = query.group_by(grouped)
    rows = {row[0]: row for row in session.execute(_joined(query, period, scope))}
    values = _spread(session, period, scope, key, measures) if spread else {}
    names = key_names(session, by, rows, period)
    found = []
    for k in sorted(rows, key=_order):
        row = rows[k]
        lasting = {
            name: _durations(row[7 + 2 * n], row[8 + 2 * n], values.get((k, name)))
            for n, name in enumerate(measures)
        }
        found.append(
            CallerFigures(
                key="all" if by is By.PERIOD else str(k),
                name=names.get(k, str(k)),
                offered=row[1],
                answered=int(row[2]),
                abandoned=int(row[3]),
                callbacks=int(row[4]),
                called_back=int(row[5]),
                waiting=int(row[6]),
                **lasting,
            )
        )
    return found


def _spread(
    session: Session,
    period: Period,
    scope: Scope | None,
    key: ColumnElement[Any],
    measures: dict[str, tuple[ColumnElement[bool], Any]],
) -> dict[tuple[Any, str], list[int]]:
    """Each group's durations, for the percentiles."""
    found: dict[tuple[Any, str], list[int]] = {}
    for name, (where, seconds) in measures.items():
        query = _joined(select(key, seconds).where(where), period, scope)
        for k, value in session.execute(query):
            if value is not None:
                found.setdefault((k, name), []).append(max(0, int(value)))
    return found


def _durations(count: int, total: int, values: list[int] | None) -> Durations:
    if values is not None:
        return durations(values)
    if not count:
        return Durations()
    return Durations(count=int(count), mean_s=round(int(total) / int(count), 1))


def _order(key: Any) -> Any:
    return key.toordinal() if isinstance(key, date) else key
