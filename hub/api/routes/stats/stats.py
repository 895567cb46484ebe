"""JSON reports of the service desk (STAT-1, STAT-2) for the back-office's pages and exports.

Every report takes the office's local days ``from`` and ``to`` (both included, at most two
years) and ``by``, the grouping. Rights: the project change right (a service's manager); a user
without full access sees the hall's figures of the queue services in the journals where they
may change projects, and the time of those services' operators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from hub.api.deps import HubDep, Principal, SessionDep, requires
from hub.api.schemas.stats import (
    BookingRowRead,
    CallerRowRead,
    DeskRowRead,
    HallRowRead,
    OperatorTimeRead,
    PhoneRowRead,
    Report,
)
from hub.bootstrap import Hub
from hub.services.access.rights import Action, DocType
from hub.services.stats import callers, desk, operators, phone, queue
from hub.services.stats.common import By, Period

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])

Manager = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.PROJECT))]
First = Annotated[date, Query(alias="from", description="first local day")]
Last = Annotated[date, Query(alias="to", description="last local day (included)")]
Services = Annotated[
    list[int] | None, Query(alias="service", description="only these services (repeatable)")
]


@dataclass(frozen=True)
class Asked:
    """What every report is asked for: the period and the services the caller may see."""

    period: Period
    scope: queue.Scope


def asked(
    session: SessionDep,
    principal: Manager,
    first: First,
    last: Last,
    service: Services = None,
) -> Asked:
    """The period; the caller's services (ACC-2), narrowed to ``service`` if given."""
    allowed = desk.scope_for(session, principal.profile)
    if service is not None:
        chosen = [s for s in service if allowed.services is None or s in allowed.services]
        allowed = queue.Scope(services=chosen)
    return Asked(Period(first, last), allowed)


AskedDep = Annotated[Asked, Depends(asked)]


def _report(hub: Hub, ask: Asked, by: By, rows: list[Any]) -> dict[str, Any]:
    return {
        "first": str(ask.period.first),
        "last": str(ask.period.last),
        "by": by.value,
        "timezone": hub.settings.timezone,
        "rows": rows,
    }


@router.get("/hall", summary="The hall's figures (STAT-1)")
def hall(
    session: SessionDep, hub: HubDep, ask: AskedDep, by: By = By.SERVICE
) -> Report[HallRowRead]:
    """Visitors, waiting and service times, service level, no-shows, transfers, recalls."""
    rows = queue.queue_figures(session, ask.period, by, ask.scope)
    return Report[HallRowRead].model_validate(_report(hub, ask, by, rows))


@router.get("/bookings", summary="Bookings kept and missed (STAT-1)")
def bookings(
    session: SessionDep, hub: HubDep, ask: AskedDep, by: By = By.SERVICE
) -> Report[BookingRowRead]:
    """Bookings by their booked day: kept, kept late, missed, cancelled, pending; by service,
    operator or window (who called them), local hour of the booked time, day or period."""
    rows = queue.booking_figures(session, ask.period, by, ask.scope, tz=hub.settings.tz)
    return Report[BookingRowRead].model_validate(_report(hub, ask, by, rows))


@router.get("/operators", summary="Operators' time by status (STAT-1)")
def operator_time(
    session: SessionDep, hub: HubDep, ask: AskedDep, by: By = By.OPERATOR
) -> Report[OperatorTimeRead]:
    """Seconds free, busy, on break... (by user-status code) per operator, window, hour, day."""
    people = operators.operators_in(session, ask.scope)
    rows = operators.operator_time(
        session, ask.period, by, now=hub.clock.now(), tz=hub.settings.tz, operators=people
    )
    return Report[OperatorTimeRead].model_validate(_report(hub, ask, by, rows))


@router.get("/phone", summary="The phone lines' figures (STAT-2)")
def phone_lines(
    session: SessionDep, hub: HubDep, ask: AskedDep, by: By = By.LINE
) -> Report[PhoneRowRead]:
    """Calls offered, answered, missed, abandoned; speed of answer, talk time, callbacks."""
    rows = phone.phone_figures(session, ask.period, by)
    return Report[PhoneRowRead].model_validate(_report(hub, ask, by, rows))


@router.get("/callers", summary="The call-centre's callers per service (issue 22, STAT-2)")
def call_centre(
    session: SessionDep, hub: HubDep, ask: AskedDep, by: By = By.SERVICE
) -> Report[CallerRowRead]:
    """Callers on the office's lines who joined a service's queue: offered, answered and the
    average speed of answer (time in the queue), abandoned with their wait, callbacks, talk."""
    rows = callers.caller_figures(session, ask.period, by, ask.scope)
    return Report[CallerRowRead].model_validate(_report(hub, ask, by, rows))


@router.get("/desk", summary="The hall and the phones as one service desk (STAT-1, STAT-2)")
def service_desk(
    session: SessionDep, hub: HubDep, ask: AskedDep, by: By = By.DAY
) -> Report[DeskRowRead]:
    """Per hour, day or the period: the hall's and the phones' figures side by side."""
    rows = desk.desk_figures(session, ask.period, by, ask.scope)
    return Report[DeskRowRead].model_validate(_report(hub, ask, by, rows))
