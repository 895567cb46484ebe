"""REST routes of the electronic queue (Q-1..Q-6): the hall console and integrations use them.

Rights (ACC-1): issuing a ticket or a booking creates an event; check-in changes one; Free and
calling by hand create a task; recall, start, no-show, transfer and done change one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires
from hub.api.schemas.common import PathId
from hub.api.schemas.queue import (
    BookingCreate,
    ChangeRead,
    CheckIn,
    DoneIn,
    FreeIn,
    FreeRead,
    IssueRead,
    NoteIn,
    OperatorRead,
    OperatorStatus,
    PrintIn,
    PrintJobRead,
    ServiceRead,
    TicketIssue,
    TicketRead,
    TransferIn,
)
from hub.bootstrap import Hub
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.queue import assign as queue_assign
from hub.services.queue import core as queue
from hub.services.queue import operators as queue_operators
from hub.services.queue import printing
from hub.services.queue import publish as queue_publish
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.core import QueueContext
from hub.services.queue.work import Work

router = APIRouter(prefix="/api/v1/queue", tags=["queue"])

EventCreator = Annotated[Principal, Depends(requires(Action.CREATE, DocType.EVENT))]
EventChanger = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.EVENT))]
TaskCreator = Annotated[Principal, Depends(requires(Action.CREATE, DocType.TASK))]
TaskChanger = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.TASK))]


def context(hub: Hub) -> QueueContext:
    """The moment and site of this request."""
    return QueueContext(
        now=hub.clock.now(),
        tz=hub.settings.tz,
        site=hub.settings.site,
        office_url=hub.settings.office_url,
        visitor_url=hub.settings.ticket_page_url,
    )


def _client(body: Any) -> queue_tickets.ClientDetails | None:
    if body is None:
        return None
    return queue_tickets.ClientDetails(**body.model_dump())


@router.get("/services", summary="Services with their lines", response_model=list[ServiceRead])
def list_services(session: SessionDep, principal: CrmUser, hub: HubDep) -> list[ServiceRead]:
    return [ServiceRead.model_validate(row) for row in queue.list_services(session, context(hub))]


@router.get(
    "/services/{service_id:int}/tickets",
    summary="Waiting tickets of a service, in order",
    response_model=list[TicketRead],
)
def waiting(
    session: SessionDep, principal: CrmUser, hub: HubDep, service_id: PathId
) -> list[TicketRead]:
    rows = queue.waiting_tickets(session, service_id, context(hub))
    return [TicketRead.model_validate(row) for row in rows]


@router.post(
    "/tickets", status_code=201, summary="Issue a walk-in ticket", response_model=IssueRead
)
def issue_ticket(
    session: SessionDep, principal: EventCreator, hub: HubDep, body: TicketIssue
) -> IssueRead:
    result = queue_tickets.issue_ticket(
        session,
        context(hub),
        service_id=body.service_id,
        client=_client(body.client),
        profile=principal.profile,
    )
    return IssueRead.model_validate(result)


@router.post("/bookings", status_code=201, summary="Book a time", response_model=TicketRead)
def create_booking(
    session: SessionDep, principal: EventCreator, hub: HubDep, body: BookingCreate
) -> TicketRead:
    result = queue_tickets.create_booking(
        session,
        context(hub),
        service_id=body.service_id,
        booked_at=body.booked_at,
        client=_client(body.client),
        profile=principal.profile,
    )
    return TicketRead.model_validate(result)


@router.post("/check-in", summary="Check in a booking", response_model=IssueRead)
def check_in(session: SessionDep, principal: EventChanger, hub: HubDep, body: CheckIn) -> IssueRead:
    result = queue_tickets.check_in(session, context(hub), code=body.booking_code)
    return IssueRead.model_validate(result)


@router.get("/tickets/{ticket_id:int}", summary="A ticket", response_model=TicketRead)
def get_ticket(
    session: SessionDep, principal: CrmUser, hub: HubDep, ticket_id: PathId
) -> TicketRead:
    ticket = queue.get_ticket(session, ticket_id)
    return TicketRead.model_validate(queue.describe(session, ticket, ctx=context(hub)))


@router.get("/board", summary="The display board as displays receive it")
def board(session: SessionDep, principal: CrmUser, hub: HubDep) -> dict[str, Any]:
    return queue_publish.board_payload(session, context(hub))


@router.get("/operators/me", summary="My operator session", response_model=OperatorRead)
def my_session(session: SessionDep, principal: CrmUser) -> OperatorRead:
    row = queue.get_operator(session, principal.profile.user_id)
    return OperatorRead.model_validate(queue.operator_info(row))


@router.put("/operators/me/status", summary="Set my status (free = Free)", response_model=FreeRead)
def set_status(
    session: SessionDep, principal: CrmUser, hub: HubDep, body: OperatorStatus
) -> FreeRead:
    if body.status == queue.FREE:
        access.require(principal.profile, Action.CREATE, DocType.TASK)
    result = queue_operators.set_status(
        session,
        context(hub),
        profile=principal.profile,
        status=body.status,
        window=body.window,
        device_id=body.device_id,
    )
    return FreeRead.model_validate(result)


@router.post("/operators/me/free", summary="Free (Q-5)", response_model=FreeRead)
def free(session: SessionDep, principal: TaskCreator, hub: HubDep, body: FreeIn) -> FreeRead:
    result = queue_assign.free(
        session,
        context(hub),
        profile=principal.profile,
        window=body.window,
        device_id=body.device_id,
    )
    return FreeRead.model_validate(result)


@router.post("/tickets/{ticket_id:int}/call", summary="Call this ticket", response_model=ChangeRead)
def call_ticket(
    session: SessionDep, principal: TaskCreator, hub: HubDep, ticket_id: PathId, body: FreeIn
) -> ChangeRead:
    assignment = queue_assign.call_ticket(
        session,
        context(hub),
        profile=principal.profile,
        ticket_id=ticket_id,
        window=body.window,
        device_id=body.device_id,
    )
    return ChangeRead.model_validate({"ticket": assignment.ticket, "assignment": assignment})


@router.post("/tickets/{ticket_id:int}/recall", summary="Call again", response_model=ChangeRead)
def recall(
    session: SessionDep, principal: TaskChanger, hub: HubDep, ticket_id: PathId
) -> ChangeRead:
    result = queue_operators.recall(
        session, context(hub), profile=principal.profile, ticket_id=ticket_id
    )
    return ChangeRead.model_validate(result)


@router.post(
    "/tickets/{ticket_id:int}/start", summary="The visitor came", response_model=ChangeRead
)
def start(
    session: SessionDep, principal: TaskChanger, hub: HubDep, ticket_id: PathId
) -> ChangeRead:
    result = queue_operators.start_serving(
        session, context(hub), profile=principal.profile, ticket_id=ticket_id
    )
    return ChangeRead.model_validate(result)


@router.post("/tickets/{ticket_id:int}/no-show", summary="Did not come", response_model=ChangeRead)
def no_show(
    session: SessionDep, principal: TaskChanger, hub: HubDep, ticket_id: PathId, body: NoteIn
) -> ChangeRead:
    result = queue_operators.no_show(
        session, context(hub), profile=principal.profile, ticket_id=ticket_id, note=body.note
    )
    return ChangeRead.model_validate(result)


@router.post(
    "/tickets/{ticket_id:int}/done", summary="Finish the visit (Q-6)", response_model=ChangeRead
)
def done(
    session: SessionDep, principal: TaskChanger, hub: HubDep, ticket_id: PathId, body: DoneIn
) -> ChangeRead:
    result = queue_operators.done(
        session,
        context(hub),
        profile=principal.profile,
        ticket_id=ticket_id,
        note=body.note,
        work=Work(minutes=body.time_spent_minutes, percent=body.percent_done),
    )
    return ChangeRead.model_validate(result)


@router.post("/tickets/{ticket_id:int}/transfer", summary="Transfer", response_model=ChangeRead)
def transfer(
    session: SessionDep, principal: TaskChanger, hub: HubDep, ticket_id: PathId, body: TransferIn
) -> ChangeRead:
    result = queue_operators.transfer(
        session,
        context(hub),
        profile=principal.profile,
        ticket_id=ticket_id,
        target_service_id=body.target_service_id,
        target_user_id=body.target_user_id,
        front=body.front,
        reason=body.reason,
    )
    return ChangeRead.model_validate(result)


@router.post(
    "/tickets/{ticket_id:int}/print",
    status_code=201,
    summary="Print or reprint a ticket on a printer",
    response_model=PrintJobRead,
)
def print_ticket(
    session: SessionDep, principal: EventCreator, hub: HubDep, ticket_id: PathId, body: PrintIn
) -> PrintJobRead:
    job = printing.send(
        session,
        context(hub),
        ticket_id=ticket_id,
        printer_id=body.printer,
        lang=body.lang,
        copies=body.copies,
    )
    return PrintJobRead.model_validate(job)


@router.get(
    "/tickets/{ticket_id:int}/prints",
    summary="Every print of a ticket and its outcome",
    response_model=list[PrintJobRead],
)
def ticket_prints(session: SessionDep, principal: CrmUser, ticket_id: PathId) -> list[PrintJobRead]:
    return [PrintJobRead.model_validate(job) for job in printing.jobs_of(session, ticket_id)]


@router.get(
    "/prints/failed",
    summary="Today's tickets whose last print failed",
    response_model=list[PrintJobRead],
)
def failed_prints(session: SessionDep, principal: CrmUser, hub: HubDep) -> list[PrintJobRead]:
    return [PrintJobRead.model_validate(job) for job in printing.failed(session, context(hub))]
