"""REST routes of the events module (EVT-1..EVT-5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires
from hub.api.schemas.common import MAX_DB_INT, PathId
from hub.api.schemas.events import (
    ArchiveBeforeBody,
    ArchiveReply,
    AuditRead,
    EventCard,
    EventCreate,
    EventIdsBody,
    EventPage,
    EventRead,
    EventUpdate,
    LinkedDocument,
    Moment,
    PhoneGroupPage,
    PhoneGroupRead,
)
from hub.db.base import utcnow
from hub.db.models import Event
from hub.services.access.rights import Action, DocType
from hub.services.common.paging import DEFAULT_LIMIT, MAX_LIMIT
from hub.services.events import archive, registry
from hub.services.events import events as service
from hub.services.events.registry import ANSWERED_CALL_TYPES, MISSED_CALL_TYPES, EventFilter
from hub.services.mail import letters

router = APIRouter(prefix="/api/v1", tags=["events"])

QueryId = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]
Cursor = Annotated[str | None, Query(max_length=2000, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def event_filter(
    project: Annotated[
        str | None, Query(max_length=12, description="all (default), none or a project id")
    ] = None,
    type: Annotated[
        list[str] | None, Query(description="event type ids or codes; several allowed")
    ] = None,
    starts_from: Annotated[
        Moment | None, Query(alias="from", description="started at or after")
    ] = None,
    starts_to: Annotated[
        Moment | None, Query(alias="to", description="started at or before")
    ] = None,
    client: QueryId = None,
    responsible: QueryId = None,
    phone: Annotated[str | None, Query(max_length=32, description="matched by digits")] = None,
    journal: QueryId = None,
) -> EventFilter:
    """The registry filters shared by every list of events."""
    types = [value.strip() for value in type or [] if value.strip()]
    return EventFilter(
        project=registry.parse_project(project),
        types=types,
        starts_from=starts_from,
        starts_to=starts_to,
        client_id=client,
        responsible_id=responsible,
        phone=phone,
        journal_id=journal,
    )


FilterDep = Annotated[EventFilter, Depends(event_filter)]
# The document right is checked before anything is looked up; the journal's right after (ACC-2).
Creator = Annotated[Principal, Depends(requires(Action.CREATE, DocType.EVENT))]
Changer = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.EVENT))]
Deleter = Annotated[Principal, Depends(requires(Action.DELETE, DocType.EVENT))]


def _reads(session: Session, events: Sequence[Event]) -> list[EventRead]:
    codes = registry.type_codes(session, {event.type_id for event in events})
    mailed = [e.id for e in events if codes.get(e.type_id) == letters.EVENT_TYPE]
    states = letters.letter_states(session, mailed)
    return [
        EventRead.model_validate(event).model_copy(
            update={"type_code": codes.get(event.type_id), "mail_state": states.get(event.id)}
        )
        for event in events
    ]


def _card(session: Session, event: Event) -> EventCard:
    (read,) = _reads(session, [event])
    documents = [
        LinkedDocument.model_validate(doc) for doc in service.event_documents(session, event.id)
    ]
    return EventCard(**read.model_dump(), documents=documents)


def _page(
    session: Session, flt: EventFilter, cursor: str | None, limit: int, newest_first: bool = True
) -> EventPage:
    page = registry.list_events(session, flt, cursor=cursor, limit=limit, newest_first=newest_first)
    return EventPage(items=_reads(session, page.items), next_cursor=page.next_cursor)


def _groups(session: Session, flt: EventFilter, cursor: str | None, limit: int) -> PhoneGroupPage:
    groups, next_cursor = registry.phone_groups(session, flt, cursor=cursor, limit=limit)
    items = [PhoneGroupRead.model_validate(group) for group in groups]
    return PhoneGroupPage(items=items, next_cursor=next_cursor)


@router.get("/events", summary="Registry of events (EVT-1)", response_model=EventPage)
def list_events(
    session: SessionDep,
    principal: CrmUser,
    flt: FilterDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
    order: Literal["newest", "oldest"] = "newest",
) -> EventPage:
    """Events not in the archive, newest first by default."""
    return _page(session, flt, cursor, limit, newest_first=order == "newest")


@router.get("/events/by-phone", summary="Events grouped by phone (EVT-2)")
def events_by_phone(
    session: SessionDep,
    principal: CrmUser,
    flt: FilterDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PhoneGroupPage:
    """Phone numbers with how many events and the last one's start, by number."""
    return _groups(session, flt, cursor, limit)


@router.get("/events/missed", summary="Missed calls (EVT-2)")
def missed_calls(
    session: SessionDep,
    principal: CrmUser,
    flt: FilterDep,
    grouped: bool = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> EventPage | PhoneGroupPage:
    """Missed incoming and outgoing calls, one by one or grouped by phone number."""
    flt = replace(flt, type_codes=MISSED_CALL_TYPES)
    if grouped:
        return _groups(session, flt, cursor, limit)
    return _page(session, flt, cursor, limit)


@router.get("/events/answered", summary="Answered calls (EVT-2)", response_model=EventPage)
def answered_calls(
    session: SessionDep,
    principal: CrmUser,
    flt: FilterDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> EventPage:
    """Incoming and outgoing calls, answers to missed calls and callbacks."""
    return _page(session, replace(flt, type_codes=ANSWERED_CALL_TYPES), cursor, limit)


@router.get("/events/archive", summary="Archive of events (EVT-5)", response_model=EventPage)
def archived_events(
    session: SessionDep,
    principal: CrmUser,
    flt: FilterDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> EventPage:
    """Archived events with the registry's filters, newest first."""
    return _page(session, replace(flt, archived=True), cursor, limit)


@router.post("/events/archive", summary="Archive chosen events (EVT-5)")
def archive_chosen(session: SessionDep, principal: Changer, body: EventIdsBody) -> ArchiveReply:
    """Send the chosen events to the archive."""
    result = archive.archive_events(session, profile=principal.profile, ids=body.ids, now=utcnow())
    return ArchiveReply(done=result.done, skipped=result.skipped)


@router.post("/events/archive-before", summary="Archive events that ended before a moment")
def archive_ended(session: SessionDep, principal: Changer, body: ArchiveBeforeBody) -> ArchiveReply:
    """Archive every event that ended before ``before`` (EVT-5)."""
    result = archive.archive_before(
        session, profile=principal.profile, before=body.before, now=utcnow()
    )
    return ArchiveReply(done=result.done, skipped=result.skipped)


@router.post("/events/archive/restore", summary="Restore archived events (EVT-5)")
def restore_chosen(session: SessionDep, principal: Changer, body: EventIdsBody) -> ArchiveReply:
    """Bring the chosen events back to the registry."""
    result = archive.restore_events(session, profile=principal.profile, ids=body.ids)
    return ArchiveReply(done=result.done, skipped=result.skipped)


@router.post("/events/archive/delete", summary="Delete archived events (EVT-5)")
def delete_chosen(
    session: SessionDep, principal: Deleter, hub: HubDep, body: EventIdsBody
) -> ArchiveReply:
    """Delete the chosen events from the archive."""
    result = archive.delete_archived(
        session, profile=principal.profile, ids=body.ids, files=hub.files
    )
    return ArchiveReply(done=result.done, skipped=result.skipped)


@router.post("/events", status_code=201, summary="Create an event (EVT-3)")
def create_event(
    session: SessionDep, principal: Creator, hub: HubDep, body: EventCreate
) -> EventCard:
    """Create an event; its number comes from the numbering rules (SET-6)."""
    event = service.create_event(
        session, profile=principal.profile, values=body.model_dump(), today=hub.today()
    )
    return _card(session, event)


@router.get("/events/{event_id:int}", summary="An event's card (EVT-3)")
def get_event(session: SessionDep, principal: CrmUser, event_id: PathId) -> EventCard:
    """The card with its linked documents; archived events too."""
    return _card(session, service.get_event(session, event_id))


@router.patch("/events/{event_id:int}", summary="Change an event (EVT-3)")
def update_event(
    session: SessionDep, principal: Changer, hub: HubDep, event_id: PathId, body: EventUpdate
) -> EventCard:
    """Change the fields sent; the rest keep their values."""
    event = service.update_event(
        session,
        profile=principal.profile,
        event_id=event_id,
        changes=body.model_dump(exclude_unset=True),
        today=hub.today(),
    )
    return _card(session, event)


@router.delete("/events/{event_id:int}", status_code=204, summary="Delete an event")
def delete_event(
    session: SessionDep, principal: Deleter, hub: HubDep, event_id: PathId
) -> Response:
    """Delete an event; tasks made from it stay."""
    service.delete_event(session, profile=principal.profile, event_id=event_id, files=hub.files)
    return Response(status_code=204)


@router.get("/events/{event_id:int}/history", summary="An event's change log (SET-11)")
def event_history(session: SessionDep, principal: CrmUser, event_id: PathId) -> list[AuditRead]:
    """Every recorded change, oldest first."""
    return [AuditRead.model_validate(row) for row in service.event_history(session, event_id)]


@router.put("/events/{event_id:int}/documents/{document_id:int}", summary="Link a document (EVT-4)")
def link_document(
    session: SessionDep, principal: Changer, event_id: PathId, document_id: PathId
) -> EventCard:
    """Link a settlement document to the event."""
    service.link_document(
        session, profile=principal.profile, event_id=event_id, document_id=document_id
    )
    return _card(session, service.get_event(session, event_id))


@router.delete(
    "/events/{event_id:int}/documents/{document_id:int}", summary="Unlink a document (EVT-4)"
)
def unlink_document(
    session: SessionDep, principal: Changer, event_id: PathId, document_id: PathId
) -> EventCard:
    """Remove the link between a settlement document and the event."""
    service.unlink_document(
        session, profile=principal.profile, event_id=event_id, document_id=document_id
    )
    return _card(session, service.get_event(session, event_id))
