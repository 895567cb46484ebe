"""The hall's figures (STAT-1): visitors, waiting and service times, service level, outcomes,
and bookings kept and missed, grouped by service, operator, window, hour, day or period.

Read from ``queue_visits`` (one row per stay of a ticket in a service) and, for bookings, from
``queue_tickets``. Definitions (docs/stats.md):

- visitors: tickets that joined the group's line (a transferred ticket counts in each service it
  joined; in a whole-desk group it counts once);
- waiting time: from joining the line to the first call there; service time: from the start of
  service (or the call) to done;
- service level: the share of visits called within their service's target (``target_wait_s``
  when called) among the visits called;
- no-shows, transfers (out of the group) and recalls count as their visits ended or were called.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, table_of
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import QueueVisit, VisitDay
from hub.services.stats import summary
from hub.services.stats.common import (
    PERCENTILES,
    By,
    Durations,
    Period,
    check_by,
    count_if,
    key_column,
    key_names,
    key_text,
    rank,
)

QUEUE_GROUPS = (By.SERVICE, By.OPERATOR, By.WINDOW, By.HOUR, By.DAY, By.PERIOD)
BOOKING_GROUPS = (By.SERVICE, By.OPERATOR, By.WINDOW, By.HOUR, By.DAY, By.PERIOD)

_V = table_of(QueueVisit).c
_D = table_of(VisitDay).c
_T = table_of(QueueTicket).c


@dataclass(frozen=True)
class QueueFigures:
    """One row of the hall's report."""

    key: str
    name: str
    visitors: int
    served: int
    no_shows: int
    transfers: int
    recalls: int
    cancelled: int
    waiting_now: int
    wait: Durations
    service: Durations
    within_target: int
    service_level: float | None


@dataclass(frozen=True)
class BookingFigures:
    """One row of the bookings report (by the booked day and the booked service)."""

    key: str
    name: str
    booked: int
    kept: int
    kept_late: int
    missed: int
    cancelled: int
    pending: int


@dataclass(frozen=True)
class Scope:
    """The services a report covers (None: every one) and, for the hall, the operators whose
    visits it counts (None: everyone's; a visit counts for the operator who called it)."""

    services: Sequence[int] | None = None
    operators: Sequence[int] | None = None


# The column of each grouping, by the same name in the visits and in their summary.
_KEY_NAMES = {
    By.SERVICE: "service_id",
    By.OPERATOR: "operator_id",
    By.WINDOW: "window",
    By.HOUR: "hour",
    By.DAY: "day",
}
_VISIT_KEYS: dict[By, ColumnElement[Any]] = {by: _V[name] for by, name in _KEY_NAMES.items()}
_SUMMARY_KEYS: dict[By, ColumnElement[Any]] = {by: _D[name] for by, name in _KEY_NAMES.items()}
_SUMS = tuple(summary.count_columns(VisitDay))


def _visits(period: Period, scope: Scope, by: By) -> Select[Any]:
    return select(_V.id).select_from(table_of(QueueVisit)).where(*_within(_V, period, scope, by))


def _within(visits: Any, period: Period, scope: Scope, by: By) -> list[ColumnElement[bool]]:
    """Which visits (columns ``visits`` of ``queue_visits`` or an alias) a report counts."""
    found = [visits.day.between(period.first, period.last)]
    if scope.services is not None:
        found.append(visits.service_id.in_(list(scope.services)))
    if scope.operators is not None:
        found.append(visits.operator_id.in_(list(scope.operators)))
    if by in (By.OPERATOR, By.WINDOW):  # visits never called have no operator or window
        found.append(visits[_KEY_NAMES[by]].is_not(None))
    return found


def _summed(session: Session, period: Period, scope: Scope, by: By) -> dict[Any, dict[str, int]]:
    """Per key, the summary's counts and sums (``stats_visit_days``)."""
    key = _SUMMARY_KEYS.get(by)
    query = select(
        key if key is not None else literal_column("0"),
        *(func.sum(_D[name]) for name in _SUMS),
    ).where(_D.day.between(period.first, period.last))
    if scope.services is not None:
        query = query.where(_D.service_id.in_(list(scope.services)))
    if scope.operators is not None:
        query = query.where(_D.operator_id.in_(list(scope.operators)))
    if by is By.OPERATOR:
        query = query.where(_D.operator_id != summary.NOBODY)
    if by is By.WINDOW:
        query = query.where(_D.window != summary.NO_WINDOW)
    if key is not None:
        query = query.group_by(key)
    return {
        row[0]: dict(zip(_SUMS, (int(value or 0) for value in row[1:]), strict=True))
        for row in session.execute(query)
        if row[1]
    }


def queue_figures(
    session: Session, period: Period, by: By, scope: Scope | None = None
) -> list[QueueFigures]:
    """The hall's figures for ``period`` grouped ``by``, in key order.

    Counts, means and the service level come from the summary; the visitors are its visits
    less the second visits of transferred tickets in the same group, and the percentiles are
    ranked from the visits' waits and service times.
    """
    check_by(by, QUEUE_GROUPS)
    scope = scope or Scope()
    sums = _summed(session, period, scope, by)
    base = _visits(period, scope, by)
    repeated = _repeated(session, by, period, scope)
    ranks = _ranks(session, by, base)
    names = key_names(session, by, list(sums), period)
    result = []
    for k in sorted(sums):
        row = sums[k]
        wait_median, wait_p90, service_median, service_p90 = ranks.get(k, (None,) * 4)
        result.append(
            QueueFigures(
                key=key_text(by, k),
                name=names.get(k, str(k)),
                visitors=row["visits"] - repeated.get(k, 0),
                served=row["served"],
                no_shows=row["no_shows"],
                transfers=row["transfers"],
                recalls=row["recalls"],
                cancelled=row["cancelled"],
                waiting_now=row["waiting"],
                wait=_durations(row["waits"], row["wait_sum_s"], wait_median, wait_p90),
                service=_durations(
                    row["services"], row["service_sum_s"], service_median, service_p90
                ),
                within_target=row["within_target"],
                service_level=round(row["within_target"] / row["waits"], 4)
                if row["waits"]
                else None,
            )
        )
    return result


def _durations(count: int, total: int, median: int | None, p90: int | None) -> Durations:
    if not count:
        return Durations()
    return Durations(count, round(total / count, 1), median, p90)


def _repeated(session: Session, by: By, period: Period, scope: Scope) -> dict[Any, int]:
    """Per key, the visits of a ticket beyond its first in the group: only a transferred
    ticket has more than one, and then one of its visits in the group was transferred (read
    from those through ``ix_queue_visits_moved``)."""
    moved, visit = table_of(QueueVisit).alias("moved"), table_of(QueueVisit).alias("visit")
    key = visit.c[_KEY_NAMES[by]] if by in _KEY_NAMES else literal_column("0")
    query = (
        select(visit.c.id, key, visit.c.ticket_id)
        .select_from(moved.join(visit, visit.c.ticket_id == moved.c.ticket_id))
        .where(moved.c.outcome == "transferred", *_within(moved.c, period, scope, by))
        .where(*_within(visit.c, period, scope, by))
        .distinct()  # a ticket transferred twice joins each of its visits twice
    )
    seen: set[tuple[Any, int]] = set()
    result: dict[Any, int] = defaultdict(int)
    for _visit, k, ticket in core_connection(session).execute(query).all():
        if (k, ticket) in seen:
            result[k] += 1
        seen.add((k, ticket))
    return result


# Per key: the median and p90 of the waits, then of the service times.
Ranks = dict[Any, tuple[int | None, int | None, int | None, int | None]]


def _ranks(session: Session, by: By, base: Select[Any]) -> Ranks:
    """Per key, the nearest-rank percentiles of the waits and the service times.

    PostgreSQL ranks them itself with ``percentile_disc``, which returns the row at
    ceil(f * n) for a fraction f, in floating point. f = p/100 - 1e-9 keeps that exactly
    ceil(p * n / 100) for any n below 10**7, whatever the rounding of the product: p * n / 100
    is a whole number, or at least 0.01 above one, and the 1e-9 * n taken off stays below both
    (a test compares the two for every n up to 1,000). SQLite has no such aggregate: its values
    are read (through a covering index) and ranked here.
    """
    key = _VISIT_KEYS.get(by)
    shown = key if key is not None else literal_column("0")
    if session.get_bind().dialect.name == "postgresql":
        ranked = [
            func.percentile_disc(p / 100 - 1e-9).within_group(column)
            for column in (_V.wait_s, _V.service_s)
            for p in PERCENTILES
        ]
        query = base.with_only_columns(shown, *ranked)
        if key is not None:
            query = query.group_by(key)
        return {row[0]: tuple(row[1:]) for row in session.execute(query)}
    query = base.with_only_columns(shown, _V.wait_s, _V.service_s).where(
        or_(_V.wait_s.is_not(None), _V.service_s.is_not(None))
    )
    values: dict[Any, tuple[list[int], list[int]]] = {}
    for k, wait, length in _plain_rows(session, query):
        found = values.get(k)
        if found is None:
            found = values[k] = ([], [])
        if wait is not None:
            found[0].append(wait)
        if length is not None:
            found[1].append(length)
    result: Ranks = {}
    for k, (waits, lengths) in values.items():
        if by is By.DAY:
            k = date.fromisoformat(k)
        waits.sort()
        lengths.sort()
        result[k] = (
            _at(waits, PERCENTILES[0]),
            _at(waits, PERCENTILES[1]),
            _at(lengths, PERCENTILES[0]),
            _at(lengths, PERCENTILES[1]),
        )
    return result


def _plain_rows(session: Session, query: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``query`` as plain tuples from SQLite's own cursor: building a Row for each
    of a year's 300,000 visits took three times as long as reading them (bench/stats.py).
    Days are bound and read as ISO text, as SQLAlchemy stores them in SQLite."""
    connection = core_connection(session)
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    bound = compiled.construct_params()
    names = compiled.positiontup or []
    params = [_plain(bound[name]) for name in names]
    cursor = connection.connection.cursor()
    try:
        rows: list[tuple[Any, ...]] = cursor.execute(str(compiled), params).fetchall()
    finally:
        cursor.close()
    return rows


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _at(ordered: list[int], p: int) -> int | None:
    return ordered[rank(p, len(ordered)) - 1] if ordered else None


_BOOKING_KEYS: dict[By, ColumnElement[Any]] = {
    By.SERVICE: _T.origin_project_id,
    By.OPERATOR: _T.operator_id,
    By.WINDOW: _T.window,
    By.HOUR: _T.booked_at,  # folded into the office's local hours below
    By.DAY: _T.service_day,
}


def booking_figures(
    session: Session, period: Period, by: By, scope: Scope | None = None, *, tz: tzinfo = UTC
) -> list[BookingFigures]:
    """Bookings of ``period`` (by their booked day) kept, kept late, missed, cancelled, pending.

    By hour: the local hour (in ``tz``, the office's) of the booked time; by operator and
    window: who called the booking and where (a booking nobody called is in neither, nor in
    a report narrowed to some operators).
    """
    key = key_column(by, BOOKING_GROUPS, _BOOKING_KEYS)
    scope = scope or Scope()
    arrived = _T.arrived_at.is_not(None)
    query = select(
        key if key is not None else func.min(0),
        func.count(_T.id),
        count_if(arrived),
        count_if(and_(arrived, _T.arrived_at > _T.booked_at)),
        count_if(_T.state == "expired"),
        count_if(and_(_T.state == "cancelled", _T.arrived_at.is_(None))),
        count_if(_T.state == "booked"),
    ).where(
        _T.service_day.between(period.first, period.last),
        _T.booking_code.is_not(None),
        _T.booked_at.is_not(None),
    )
    if scope.services is not None:
        query = query.where(_T.origin_project_id.in_(list(scope.services)))
    if scope.operators is not None:
        query = query.where(_T.operator_id.in_(list(scope.operators)))
    if by in (By.OPERATOR, By.WINDOW):
        query = query.where(_BOOKING_KEYS[by].is_not(None))
    if key is not None:
        query = query.group_by(key).order_by(key)
    counted: dict[Any, list[int]] = {}
    for row in session.execute(query):
        k = row[0].astimezone(tz).hour if by is By.HOUR else row[0]
        found = counted.setdefault(k, [0] * 6)
        for index, value in enumerate(row[1:]):
            found[index] += int(value)
    rows = [(k, counts) for k, counts in sorted(counted.items()) if counts[0]]
    names = key_names(session, by, [k for k, _ in rows], period)
    return [BookingFigures(key_text(by, k), names.get(k, str(k)), *counts) for k, counts in rows]
