"""The hall's figures (STAT-1): visitors, waiting and service times, service level, outcomes,
and bookings kept and missed, grouped by service, operator, window, hour, day or period.

Read from ``queue_visits`` (one row per stay of a ticket in a service) and, for bookings, from
``queue_tickets``. Definitions (docs/stats.md):

- visitors: tickets that joined the group's line (a transferred ticket counts in each service it
  joined; in a whole-desk group it counts once);
- waiting time: from joining the line to the first call there; service time: from the start of
  service (or the call) to done;
- service level: the share of visits called within their service's target (``target_wait_s``)
  among the visits called;
- no-shows, transfers (out of the group) and recalls count as their visits ended or were called.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, table_of
from hub.db.models import Project
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import QueueVisit
from hub.services.stats.common import (
    By,
    Durations,
    Period,
    count_if,
    durations,
    key_column,
    key_names,
    key_text,
)

QUEUE_GROUPS = (By.SERVICE, By.OPERATOR, By.WINDOW, By.HOUR, By.DAY, By.PERIOD)
BOOKING_GROUPS = (By.SERVICE, By.DAY, By.PERIOD)

_V = table_of(QueueVisit).c
_P = table_of(Project).c
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


_VISIT_KEYS: dict[By, ColumnElement[Any]] = {
    By.SERVICE: _V.service_id,
    By.OPERATOR: _V.operator_id,
    By.WINDOW: _V.window,
    By.HOUR: _V.hour,
    By.DAY: _V.day,
}


def _visits(period: Period, scope: Scope, by: By) -> Select[Any]:
    query = (
        select(_V.id)
        .select_from(table_of(QueueVisit))
        .where(_V.day.between(period.first, period.last))
    )
    if scope.services is not None:
        query = query.where(_V.service_id.in_(list(scope.services)))
    if scope.operators is not None:
        query = query.where(_V.operator_id.in_(list(scope.operators)))
    if by in (By.OPERATOR, By.WINDOW):
        query = query.where(
            _VISIT_KEYS[by].is_not(None)
        )  # visits never called have no operator or window
    return query


def queue_figures(
    session: Session, period: Period, by: By, scope: Scope | None = None
) -> list[QueueFigures]:
    """The hall's figures for ``period`` grouped ``by``, in key order."""
    key = key_column(by, QUEUE_GROUPS, _VISIT_KEYS)
    scope = scope or Scope()
    base = _visits(period, scope, by)
    shown_key = key if key is not None else func.min(0)
    query = base.with_only_columns(
        shown_key,
        func.count(func.distinct(_V.ticket_id)),
        count_if(_V.outcome == "done"),
        count_if(_V.outcome == "no_show"),
        count_if(_V.outcome == "transferred"),
        func.coalesce(func.sum(_V.recalls), 0),
        count_if(_V.outcome == "cancelled"),
        count_if(and_(_V.outcome == "open", _V.called_at.is_(None))),
    )
    if key is not None:
        query = query.group_by(key).order_by(key)
    rows = [row for row in session.execute(query) if row[1]]
    spread = _spread(session, key, base)
    names = key_names(session, by, [row[0] for row in rows], period)
    result = []
    for row in rows:
        k = row[0] if key is not None else 0
        waits, services, within = spread.get(k, ([], [], 0))
        wait = durations(waits)
        result.append(
            QueueFigures(
                key=key_text(by, k),
                name=names.get(k, str(k)),
                visitors=int(row[1]),
                served=int(row[2]),
                no_shows=int(row[3]),
                transfers=int(row[4]),
                recalls=int(row[5]),
                cancelled=int(row[6]),
                waiting_now=int(row[7]),
                wait=wait,
                service=durations(services),
                within_target=within,
                service_level=round(within / wait.count, 4) if wait.count else None,
            )
        )
    return result


Spread = dict[Any, tuple[list[int], list[int], int]]


def _spread(session: Session, key: ColumnElement[Any] | None, base: Select[Any]) -> Spread:
    """Per key: the waits, the service times and how many waits met their service's target."""
    targets = {
        row.id: row.target_wait_s for row in session.execute(select(_P.id, _P.target_wait_s))
    }
    query = base.with_only_columns(
        key if key is not None else literal_column("0"), _V.service_id, _V.wait_s, _V.service_s
    ).where(or_(_V.wait_s.is_not(None), _V.service_s.is_not(None)))
    result: Spread = {}
    within: dict[Any, int] = defaultdict(int)
    for k, service, wait, length in core_connection(session).execute(query):
        found = result.get(k)
        if found is None:
            found = result[k] = ([], [], 0)
        if wait is not None:
            found[0].append(wait)
            if wait <= targets.get(service, 0):
                within[k] += 1
        if length is not None:
            found[1].append(length)
    return {k: (waits, lengths, within[k]) for k, (waits, lengths, _) in result.items()}


def booking_figures(
    session: Session, period: Period, by: By, scope: Scope | None = None
) -> list[BookingFigures]:
    """Bookings of ``period`` (by their booked day) kept, kept late, missed, cancelled, pending."""
    key = key_column(by, BOOKING_GROUPS, {By.SERVICE: _T.origin_project_id, By.DAY: _T.service_day})
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
    if key is not None:
        query = query.group_by(key).order_by(key)
    rows = [row for row in session.execute(query) if row[1]]
    names = key_names(session, by, [row[0] for row in rows], period)
    return [
        BookingFigures(
            key=key_text(by, row[0]),
            name=names.get(row[0], str(row[0])),
            booked=int(row[1]),
            kept=int(row[2]),
            kept_late=int(row[3]),
            missed=int(row[4]),
            cancelled=int(row[5]),
            pending=int(row[6]),
        )
        for row in rows
    ]
