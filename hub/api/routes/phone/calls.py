"""REST routes of calls: dial from the CRM (PH-6, CLI-7), missed calls as callback work (EVT-2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires
from hub.api.routes.events.events import FilterDep
from hub.api.schemas.calls import (
    CallbackBody,
    CallbackRead,
    CallRead,
    DialBody,
    DialRead,
    MissedGroupPage,
    MissedGroupRead,
)
from hub.api.schemas.common import PathId
from hub.db.base import utcnow
from hub.errors import NotFound
from hub.services.access.rights import Action, DocType
from hub.services.common.paging import DEFAULT_LIMIT, MAX_LIMIT
from hub.services.events import registry
from hub.services.phone import call_work, calls

router = APIRouter(prefix="/api/v1/calls", tags=["calls"])

Cursor = Annotated[str | None, Query(max_length=2000, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
TaskCreator = Annotated[Principal, Depends(requires(Action.CREATE, DocType.TASK))]


@router.post("/dial", summary="Dial from a user's phone (PH-6, CLI-7)")
def dial(session: SessionDep, principal: CrmUser, hub: HubDep, body: DialBody) -> DialRead:
    """Send a dial command to the user's phone agent; 409 when it has none or it is offline."""
    sent = call_work.dial(
        session,
        profile=principal.profile,
        site=hub.settings.site,
        user_id=body.user_id,
        number=body.number,
        contact_id=body.contact_id,
    )
    return DialRead.model_validate(sent)


@router.get("/missed/by-number", summary="Missed calls grouped by number (EVT-2)")
def missed_by_number(
    session: SessionDep,
    principal: CrmUser,
    flt: FilterDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> MissedGroupPage:
    """Numbers with missed calls: how many, the last one and the number's client."""
    groups, next_cursor = registry.missed_by_number(session, flt, cursor=cursor, limit=limit)
    return MissedGroupPage(
        items=[MissedGroupRead.model_validate(group) for group in groups], next_cursor=next_cursor
    )


@router.post(
    "/missed/{event_id:int}/callback", status_code=201, summary="Call back a missed call (EVT-6)"
)
def callback_task(
    session: SessionDep, principal: TaskCreator, hub: HubDep, event_id: PathId, body: CallbackBody
) -> CallbackRead:
    """A task for the chosen operator to call the number back, linked to the missed call."""
    task = call_work.callback_task(
        session,
        profile=principal.profile,
        event_id=event_id,
        executor_id=body.user_id,
        today=hub.today(),
        now=utcnow(),
        lang=principal.lang,
        name=body.name,
    )
    return CallbackRead(
        task_id=task.id, number=task.number, event_id=event_id, executor_id=body.user_id
    )


@router.get("/by-event/{event_id:int}", summary="The call behind a call event (PH-8)")
def call_of_event(session: SessionDep, principal: CrmUser, event_id: PathId) -> CallRead:
    """Duration, recording, the agent and the missed call it answered."""
    found = calls.call_of_event(session, event_id)
    if found is None:
        raise NotFound("not_found", what=f"call of event {event_id}")
    return CallRead.model_validate(found)
