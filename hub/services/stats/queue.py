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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from hub.db.base import table_of
from hub.db.models import Project
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import QueueVisit
from hub.services.stats.common import (
    By,
    Durations,
    Period,
    check_by,
    count_if,
    key_names,
    key_text,
    percentiles,
    rounded,
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
    """The services a report covers: None for every one."""

    services: Sequence[int] | None = None


def _visit_key(by: By) -> ColumnElement[Any] | None:
    return {
        By.SERVICE: _V.service_id,
        By.OPERATOR: _V.operator_id,
        By.WINDOW: _V.window,
        By.HOUR: _V.hour,
        By.DAY: _V.day,
    }.get(by)


def _visits(period: Period, scope: Scope, by: By) -> Select[Any]:
    query = (
        select(_V.id)
        .select_from(table_of(QueueVisit))
        .where(_V.day.between(period.first, period.last))
    )
    if scope.services is not None:
        query = query.where(_V.service_id.in_(list(scope.services)))
    if by in (By.OPERATOR, By.WINDOW):
        key = _visit_key(by)
        assert key is not None
        query = query.where(key.is_not(None))  # visits never called have no operator or window
    return query


def queue_figures(
    session: Session, period: Period, by: By, scope: Scope | None = None
) -> list[QueueFigures]:
    """The hall's figures for ``period`` grouped ``by``, in key order."""
    check_by(by, QUEUE_GROUPS)
    scope = scope or Scope()
    key = _visit_key(by)
    base = _visits(period, scope, by)
    shown_key = key if key is not None else func.min(0)
    target = _V.wait_s <= _P.target_wait_s
    query = base.join(table_of(Project), _P.id == _V.service_id).with_only_columns(
        shown_key,
        func.count(func.distinct(_V.ticket_id)),
        count_if(_V.outcome == "done"),
        count_if(_V.outcome == "no_show"),
        count_if(_V.outcome == "transferred"),
        func.coalesce(func.sum(_V.recalls), 0),
        count_if(_V.outcome == "cancelled"),
        count_if(and_(_V.outcome == "open", _V.called_at.is_(None))),
        func.count(_V.wait_s),
        func.avg(_V.wait_s),
        func.count(_V.service_s),
        func.avg(_V.service_s),
        count_if(and_(_V.wait_s.is_not(None), target)),
    )
    if key is not None:
        query = query.group_by(key).order_by(key)
    rows = [row for row in session.execute(query) if row[1]]
    waits = percentiles(session, key, _V.wait_s, base)
    services = percentiles(session, key, _V.service_s, base)
    names = key_names(session, by, [row[0] for row in rows], period)
    result = []
    for row in rows:
        k = row[0] if key is not None else 0
        called = int(row[8])
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
                wait=Durations(called, rounded(row[9]), *waits.get(k, (None, None))),
                service=Durations(int(row[10]), rounded(row[11]), *services.get(k, (None, None))),
                within_target=int(row[12]),
                service_level=round(int(row[12]) / called, 4) if called else None,
            )
        )
    return result


def booking_figures(
    session: Session, period: Period, by: By, scope: Scope | None = None
) -> list[BookingFigures]:
    """Bookings of ``period`` (by their booked day) kept, kept late, missed, cancelled, pending."""
    check_by(by, BOOKING_GROUPS)
    scope = scope or Scope()
    key = {By.SERVICE: _T.origin_project_id, By.DAY: _T.service_day}.get(by)
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
