"""A queue service's opening hours (Q-2a): read the week, replace it.

The body lists the open days, ``{"days": [{"weekday": 1, "opens": "09:00", "closes": "13:00"},
...]}``; a day not listed is closed. The first release's one range for a set of weekdays,
``{"weekdays": "12345", "opens": "09:00", "closes": "18:00"}``, is still accepted; replies are
always the list of days.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from hub.api.deps import CrmUser, Principal, SessionDep, requires
from hub.api.schemas.common import PathId
from hub.api.schemas.hours import OpeningHoursIn, OpeningHoursRead
from hub.api.schemas.public import OpeningDayRead
from hub.errors import Invalid
from hub.services.access.rights import Action, DocType
from hub.services.projects import projects
from hub.services.queue import hours
from hub.services.queue.hours import DayHours, OpeningHours

router = APIRouter(prefix="/api/v1/queue", tags=["queue"])

ChangesProject = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.PROJECT))]


def _days(body: OpeningHoursIn) -> tuple[DayHours, ...]:
    """The open days the body gives, in either of its two shapes (not both, not half of one)."""
    former = (body.weekdays, body.opens, body.closes)
    if body.days is not None and former == (None, None, None):
        return tuple(DayHours(day.weekday, day.opens, day.closes) for day in body.days)
    if body.days is None and body.weekdays and body.opens and body.closes:
        return hours.from_range(body.weekdays, body.opens, body.closes)
    raise Invalid("hours_shape", field="days")


def _view(week: OpeningHours) -> OpeningHoursRead:
    return OpeningHoursRead(days=[OpeningDayRead.model_validate(day) for day in week.days])


@router.get(
    "/services/{service_id:int}/hours",
    summary="A service's opening hours",
    response_model=OpeningHoursRead,
)
def get_hours(session: SessionDep, principal: CrmUser, service_id: PathId) -> OpeningHoursRead:
    """Its open days with their hours (the default week when it has none of its own)."""
    projects.get_project(session, service_id)
    return _view(hours.opening_hours(session, service_id))


@router.put(
    "/services/{service_id:int}/hours",
    summary="Set a service's opening hours",
    response_model=OpeningHoursRead,
)
def set_hours(
    session: SessionDep, principal: ChangesProject, service_id: PathId, body: OpeningHoursIn
) -> OpeningHoursRead:
    """Replace the week whole: each listed day open from ``opens`` until ``closes``, the others
    closed; any wrong day refuses the whole change."""
    week = hours.set_opening_hours(
        session, profile=principal.profile, service_id=service_id, days=_days(body)
    )
    return _view(week)
