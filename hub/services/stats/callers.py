"""The call-centre's callers per service (issue 22 in the desk report, STAT-2's phone side).

Callers on the office's lines (``hub.services.queue.calls``) are phone tickets in a service's
queue; each stay of a caller in a service is a visit (``queue_visits``) of a ticket with a line
call. The counts and sums are read from the callers' per-day summary (``stats_caller_days``,
kept by ``hub.services.stats.summary``), the medians and 90th percentiles from the callers'
visits themselves (``ix_queue_visits_callers``), so they stay exact. The hall's figures
(``stats.queue``) still count callers among the visitors, so the desk's contacts do not add
these again. Definitions, per caller's visit (``summary.caller_share``):

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

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, literal_column, or_, select
from sqlalchemy import true as sql_true
from sqlalchemy.orm import Session

from hub.db.base import table_of
from hub.db.models.stats import CallerDay, QueueVisit
from hub.services.stats import summary
from hub.services.stats.common import (
    PERCENTILES,
    By,
    Durations,
    Period,
    check_by,
    key_names,
    rank,
)
from hub.services.stats.queue import Scope, _durations, _plain_rows

CALLER_GROUPS = (By.SERVICE, By.DAY, By.HOUR, By.PERIOD)
ABANDONED, CALLBACK = summary.ABANDONED, summary.CALLBACK
_V = table_of(QueueVisit).c
_D = table_of(CallerDay).c
_SUMS = tuple(summary.count_columns(CallerDay))
# The column of each grouping, by the same name in the visits and in their summary.
_KEYS = {By.SERVICE: "service_id", By.DAY: "day", By.HOUR: "hour"}
# Each duration: its count and sum in the summary.
_MEASURES = {
    "answer": ("answered", "answer_sum_s"),
    "abandon_wait": ("abandon_waits", "abandon_wait_sum_s"),
    "talk": ("talks", "talk_sum_s"),
}


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


def caller_figures(
    session: Session,
    period: Period,
    by: By,
    scope: Scope | None = None,
    *,
    spread: bool = True,
) -> list[CallerFigures]:
    """The call-centre's figures for ``period`` grouped ``by`` (service, day, hour, period), in
    key order; only groups with callers. Counts and means are the summary's; the medians and
    90th percentiles (``spread``) are ranked from the callers' visits."""
    check_by(by, CALLER_GROUPS)
    summed = _summed(session, period, by, scope)
    ranks = _ranks(session, period, by, scope) if spread and summed else {}
    names = key_names(session, by, summed, period)
    found = []
    for k in sorted(summed, key=_order):
        row = summed[k]
        lasting = {
            name: _durations(row[count], row[total], *ranks.get((k, name), (None, None)))
            for name, (count, total) in _MEASURES.items()
        }
        found.append(
            CallerFigures(
                key="all" if by is By.PERIOD else str(k),
                name=names.get(k, str(k)),
                offered=row["offered"],
                answered=row["answered"],
                abandoned=row["abandoned"],
                callbacks=row["callbacks"],
                called_back=row["called_back"],
                waiting=row["waiting"],
                **lasting,
            )
        )
    return found


def _summed(
    session: Session, period: Period, by: By, scope: Scope | None
) -> dict[Any, dict[str, int]]:
    """Per key, the callers' summary's counts and sums (``stats_caller_days``)."""
    key = _D[_KEYS[by]] if by in _KEYS else None
    query = select(
        key if key is not None else literal_column("0"),
        *(func.sum(_D[name]) for name in _SUMS),
    ).where(_D.day.between(period.first, period.last))
    if scope is not None and scope.services is not None:
        query = query.where(_D.service_id.in_(list(scope.services)))
    if key is not None:
        query = query.group_by(key)
    found = {}
    for row in session.execute(query):
        values = dict(zip(_SUMS, (int(value or 0) for value in row[1:]), strict=True))
        if values["offered"]:
            found[row[0]] = values
    return found


def _seconds(dialect: str, later: ColumnElement[Any], earlier: ColumnElement[Any]) -> Any:
    """Whole seconds from ``earlier`` to ``later``, in SQL (SQLite keeps UTC text)."""
    if dialect == "postgresql":
        span: Any = func.extract("epoch", later - earlier)
    else:
        span = (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return cast(func.round(span), Integer)


def _durations_sql(dialect: str) -> dict[str, Any]:
    """Each duration of a caller's visit in SQL, NULL where it is not taken (as
    ``summary.caller_share`` takes it)."""
    answered = and_(
        or_(_V.call_outcome.is_(None), _V.call_outcome.not_in([ABANDONED, CALLBACK])),
        _V.started_at.is_not(None),
    )
    gone = func.coalesce(_V.called_at, _V.ticket_finished_at, _V.ended_at)
    return {
        "answer": case((answered, _seconds(dialect, _V.started_at, _V.joined_at))),
        "abandon_wait": case(
            (
                and_(_V.call_outcome == ABANDONED, gone.is_not(None)),
                _seconds(dialect, gone, _V.joined_at),
            )
        ),
        "talk": case((and_(answered, _V.outcome == "done"), _V.service_s)),
    }


Ranks = dict[tuple[Any, str], tuple[int | None, int | None]]


def _ranks(session: Session, period: Period, by: By, scope: Scope | None) -> Ranks:
    """Per key and duration, the nearest-rank median and 90th percentile, from the callers'
    visits (``ix_queue_visits_callers``): PostgreSQL ranks them with ``percentile_disc`` (the
    fraction as ``stats.queue`` gives it), SQLite's are read and ranked here."""
    dialect = session.get_bind().dialect.name
    key = _V[_KEYS[by]] if by in _KEYS else None
    shown = key if key is not None else literal_column("0")
    measures = _durations_sql(dialect)
    where = [_V.caller == sql_true(), _V.day.between(period.first, period.last)]
    if scope is not None and scope.services is not None:
        where.append(_V.service_id.in_(list(scope.services)))
    result: Ranks = {}
    if dialect == "postgresql":
        ranked = [
            func.percentile_disc(p / 100 - 1e-9).within_group(seconds)
            for seconds in measures.values()
            for p in PERCENTILES
        ]
        query = select(shown, *ranked).where(*where)
        if key is not None:
            query = query.group_by(key)
        for row in session.execute(query):
            for n, name in enumerate(measures):
                result[(row[0], name)] = (row[1 + 2 * n], row[2 + 2 * n])
        return result
    values: dict[tuple[Any, str], list[int]] = {}
    query = select(shown, *measures.values()).where(*where)
    for k, *seconds in _plain_rows(session, query):
        if by is By.DAY:
            k = date.fromisoformat(k)
        for name, value in zip(measures, seconds, strict=True):
            if value is not None:
                values.setdefault((k, name), []).append(max(0, int(value)))
    for found, ordered in values.items():
        ordered.sort()
        n = len(ordered)
        result[found] = (
            ordered[rank(PERCENTILES[0], n) - 1],
            ordered[rank(PERCENTILES[1], n) - 1],
        )
    return result


def _order(key: Any) -> Any:
    return key.toordinal() if isinstance(key, date) else key
