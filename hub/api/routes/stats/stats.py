"""JSON reports of the service desk (STAT-1, STAT-2) for the back-office's pages and exports.

Every report takes the office's local days ``from`` and ``to`` (both included, at most two
years) and ``by``, the grouping. Rights: the project change right (a service's manager); a user
without full access sees the hall's figures of the queue services in the journals where they
may change projects, and the time of those services' operators.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from hub.api.deps import HubDep, Principal, SessionDep, requires
from hub.api.schemas.stats import (
    BookingRowRead,
    DeskRowRead,
    HallRowRead,
    OperatorTimeRead,
    PhoneRowRead,
    Report,
)
from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.services.access.rights import Action, DocType
from hub.services.stats import desk, operators, phone, queue
from hub.services.stats.common import By, Period

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])

Manager = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.PROJECT))]
First = Annotated[date, Query(alias="from", description="first local day")]
Last = Annotated[date, Query(alias="to", description="last local day (included)")]
Services = Annotated[
    list[int] | None, Query(alias="service", description="only these services (repeatable)")
]


def _period(first: date, last: date) -> Period:
    return Period(first, last)


def _report(hub: Hub, period: Period, by: By, rows: list[Any]) -> dict[str, Any]:
    return {
        "first": str(period.first),
        "last": str(period.last),
        "by": by.value,
        "timezone": hub.settings.timezone,
        "rows": rows,
    }


def _scope(session: SessionDep, principal: Principal, services: list[int] | None) -> queue.Scope:
    allowed = desk.scope_for(session, principal.profile)
    if services is None:
        return allowed
    chosen = [s for s in services if allowed.services is None or s in allowed.services]
    return queue.Scope(services=chosen)


@router.get("/hall", summary="The hall's figures (STAT-1)")
def hall(
    session: SessionDep,
    principal: Manager,
    hub: HubDep,
    first: First,
    last: Last,
    by: By = By.SERVICE,
    service: Services = None,
) -> Report[HallRowRead]:
    """Visitors, waiting and service times, service level, no-shows, transfers, recalls."""
    period = _period(first, last)
    rows = queue.queue_figures(session, period, by, _scope(session, principal, service))
    return Report[HallRowRead].model_validate(_report(hub, period, by, rows))


@router.get("/bookings", summary="Bookings kept and missed (STAT-1)")
def bookings(
    session: SessionDep,
    principal: Manager,
    hub: HubDep,
    first: First,
    last: Last,
    by: By = By.SERVICE,
    service: Services = None,
) -> Report[BookingRowRead]:
    """Bookings by their booked day: kept, kept late, missed, cancelled, pending."""
    period = _period(first, last)
    rows = queue.booking_figures(session, period, by, _scope(session, principal, service))
    return Report[BookingRowRead].model_validate(_report(hub, period, by, rows))


@router.get("/operators", summary="Operators' time by status (STAT-1)")
def operator_time(
    session: SessionDep,
    principal: Manager,
    hub: HubDep,
    first: First,
    last: Last,
    by: By = By.OPERATOR,
) -> Report[OperatorTimeRead]:
    """Seconds free, busy, on break... (by user-status code) per operator, window, hour, day."""
    period = _period(first, last)
    scope = desk.scope_for(session, principal.profile)
    people = None if scope.services is None else operators.operators_of(session, scope.services)
    rows = operators.operator_time(
        session, period, by, now=utcnow(), tz=hub.settings.tz, operators=people
    )
    return Report[OperatorTimeRead].model_validate(_report(hub, period, by, rows))


@router.get("/phone", summary="The phone lines' figures (STAT-2)")
def phone_lines(
    session: SessionDep, principal: Manager, hub: HubDep, first: First, last: Last, by: By = By.LINE
) -> Report[PhoneRowRead]:
    """Calls offered, answered, missed, abandoned; speed of answer, talk time, callbacks."""
    period = _period(first, last)
    rows = phone.phone_figures(session, period, by)
    return Report[PhoneRowRead].model_validate(_report(hub, period, by, rows))


@router.get("/desk", summary="The hall and the phones as one service desk (STAT-1, STAT-2)")
def service_desk(
    session: SessionDep,
    principal: Manager,
    hub: HubDep,
    first: First,
    last: Last,
    by: By = By.DAY,
    service: Services = None,
) -> Report[DeskRowRead]:
    """Per hour, day or the period: the hall's and the phones' figures side by side."""
    period = _period(first, last)
    rows = desk.desk_figures(session, period, by, _scope(session, principal, service))
    return Report[DeskRowRead].model_validate(_report(hub, period, by, rows))
