"""Ways into the queue (Q-2): a walk-in ticket, a booking, and a booking's check-in.

A ticket is an event of type "queue" (walk-in) or "electronic queue" (booking) whose number comes
from its project's daily "queue_ticket" counter (SET-6, Q-4); the ``queue_tickets`` row holds its
place in line. Each change offers the ticket to a free operator at once and updates the board.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, insert_object_unless_taken, insert_row, table_of
from hub.db.models import Client, Event
from hub.db.models.booking import BookingSeat
from hub.db.models.queue import QueueTicket
from hub.errors import Conflict, Invalid, NotFound
from hub.services.access.rights import AccessProfile, Action
from hub.services.common import audit
from hub.services.events.events import require_event_right, type_id
from hub.services.phone.numbers import digits
from hub.services.queue import links
from hub.services.queue import publish as queue_publish
from hub.services.queue.assign import offer
from hub.services.queue.core import (
    BOOKED,
    BOOKING,
    CANCELLED,
    EXPIRED,
    NORMAL,
    WAITING,
    WALK_IN,
    IssueResult,
    QueueContext,
    Service,
    TicketInfo,
    describe,
    params,
    queue_service,
)
from hub.services.queue.slots import slot_rule
from hub.services.settings.numbering import next_number
from hub.services.stats import facts

QUEUE_TYPE, BOOKING_TYPE = "queue", "electronic_queue"
NUMBER_DOC = "queue_ticket"
# Unambiguous letters and digits (no 0/O, 1/I/L): read aloud or typed on a kiosk.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_COMPANIES = 50
NUMBER_ATTEMPTS = 5


@dataclass(frozen=True)
class ClientDetails:
    """What a visitor tells the kiosk or the hall administrator (all optional)."""

    name: str | None = None
    phone: str | None = None
    companies: int = 1
    client_id: int | None = None


def _check_client(session: Session, client: ClientDetails) -> ClientDetails:
    name = (client.name or "").strip() or None
    phone = (client.phone or "").strip() or None
    if name is not None and (len(name) > 200 or not name.isprintable()):
        raise Invalid("queue_client_name_invalid", field="client.name")
    if phone is not None and (len(phone) > 32 or not digits(phone)):
        raise Invalid("queue_client_phone_invalid", field="client.phone")
    if not 1 <= client.companies <= MAX_COMPANIES:
        raise Invalid("queue_companies_invalid", field="client.companies", max=MAX_COMPANIES)
    if client.client_id is not None:
        found = session.get(Client, client.client_id) if client.client_id > 0 else None
        if found is None or found.deleted_at is not None:
            raise Invalid("queue_client_unknown", field="client.client_id", id=client.client_id)
    return ClientDetails(name, phone, client.companies, client.client_id)


def booking_code() -> str:
    """An unguessable booking code (about 49 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _new_ticket(
    session: Session,
    *,
    profile: AccessProfile | None,
    project: Service,
    kind: str,
    state: str,
    effective_at: datetime,
    day: date,
    client: ClientDetails,
    booked_at: datetime | None = None,
) -> QueueTicket:
    if profile is not None:
        require_event_right(session, profile, Action.CREATE, project.journal_id)
    event_type_id = type_id(session, QUEUE_TYPE if kind == WALK_IN else BOOKING_TYPE)
    start = booked_at or effective_at
    planned = slot_rule(session, project.id).length(client.companies)
    for _attempt in range(NUMBER_ATTEMPTS):
        number = next_number(session, doc_type=NUMBER_DOC, on=day, project_id=project.id).text
        ends_at = start + planned
        # Plain INSERTs (bench/queue.py: the unit of work cost more than the writes).
        event_id = insert_row(
            session,
            Event,
            number=number,
            type_id=event_type_id,
            starts_at=start,
            ends_at=ends_at,
            responsible_type="employee",
            responsible_id=None,
            client_id=client.client_id,
            phone=client.phone,
            phone_digits=digits(client.phone),
            project_id=project.id,
            journal_id=project.journal_id,
            content=client.name,
            created_by=profile.user_id if profile is not None else None,
        )
        ticket = insert_object_unless_taken(
            session,
            QueueTicket(
                event_id=event_id,
                project_id=project.id,
                origin_project_id=project.id,
                service_day=day,
                number=number,
                kind=kind,
                state=state,
                lane=NORMAL,
                effective_at=effective_at,
                booked_at=booked_at,
                booked_until=ends_at if booked_at is not None else None,
                booking_code=booking_code() if kind == BOOKING else None,
                arrived_at=effective_at if state == WAITING else None,
                client_name=client.name,
                phone=client.phone,
                companies=client.companies,
            ),
        )
        if ticket is None:
            # A number already used today (after a numbering rule was changed during the day)
            # is skipped instead of failing the visitor's ticket; its event goes with it.
            core_connection(session).execute(_FORGET_EVENT, {"event": event_id})
            continue
        audit.record(
            session,
            entity="event",
            entity_id=event_id,
            action="create",
            user_id=profile.user_id if profile is not None else None,
            changes={"number": number, "type_id": event_type_id, "project_id": project.id},
        )
        return ticket
    raise Conflict("queue_number_unavailable")


_FORGET_EVENT = delete(table_of(Event)).where(table_of(Event).c.id == bindparam("event"))


def issue_ticket(
    session: Session,
    ctx: QueueContext,
    *,
    service_id: int,
    client: ClientDetails | None = None,
    profile: AccessProfile | None = None,
) -> IssueResult:
    """A walk-in ticket for a service, numbered by its daily counter, offered to a free operator.

    ``profile`` is the person issuing it (the hall administrator: the event create right is
    checked); None for a kiosk, whose device the adapter has authenticated.
    """
    project = queue_service(session, service_id)
    details = _check_client(session, client or ClientDetails())
    ticket = _new_ticket(
        session,
        profile=profile,
        project=project,
        kind=WALK_IN,
        state=WAITING,
        effective_at=ctx.now,
        day=ctx.today,
        client=details,
    )
    return _after_arrival(session, ctx, ticket)


def _after_arrival(session: Session, ctx: QueueContext, ticket: QueueTicket) -> IssueResult:
    facts.visit_joined(session, ctx, ticket)
    # The live page's link is made with the ticket, so the printed QR code opens it at once.
    token = links.mint(session, ctx, ticket)
    assignment = offer(session, ctx, ticket)
    if assignment is None:
        queue_publish.publish_board(session, ctx)
    return IssueResult(
        ticket=describe(session, ticket, ctx=ctx, with_code=True),
        assignment=assignment,
        page_token=token,
    )


def create_booking(
    session: Session,
    ctx: QueueContext,
    *,
    service_id: int,
    booked_at: datetime,
    client: ClientDetails | None = None,
    profile: AccessProfile | None = None,
) -> TicketInfo:
    """A booking (Q-2a): an "electronic queue" event at ``booked_at`` with a booking code."""
    project = queue_service(session, service_id)
    details = _check_client(session, client or ClientDetails())
    if booked_at.tzinfo is None:
        raise Invalid("queue_booking_naive_time", field="booked_at")
    if booked_at < ctx.now - timedelta(minutes=params(session).late_checkin_minutes):
        raise Invalid("queue_booking_in_past", field="booked_at")
    ticket = _new_ticket(
        session,
        profile=profile,
        project=project,
        kind=BOOKING,
        state=BOOKED,
        effective_at=booked_at,
        day=booked_at.astimezone(ctx.tz).date(),
        client=details,
        booked_at=booked_at,
    )
    return describe(session, ticket, ctx=ctx, with_code=True)


def find_booking(session: Session, code: str) -> QueueTicket:
    """The booking with this code; 404 for an unknown code (case and spaces are ignored)."""
    clean = "".join(code.split()).upper()
    if not clean or len(clean) > 32:
        raise NotFound("queue_booking_unknown")
    ticket = session.scalars(
        select(QueueTicket)
        .where(QueueTicket.booking_code == clean)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if ticket is None:
        raise NotFound("queue_booking_unknown")
    return ticket


def check_in(session: Session, ctx: QueueContext, *, code: str) -> IssueResult:
    """A booked visitor arrives: within the window they join at their booked time.

    Too early is refused with the time the window opens. Too late follows the parameter
    ``late_booking_rule``: join now as a walk-in (the same day), or refuse as expired.
    """
    ticket = find_booking(session, code)
    settings = params(session)
    if ticket.state in (CANCELLED,):
        raise Conflict("queue_booking_cancelled", number=ticket.number)
    if ticket.state not in (BOOKED, EXPIRED):
        raise Conflict("queue_booking_checked_in", number=ticket.number)
    booked = ticket.booked_at or ticket.effective_at
    opens = booked - timedelta(minutes=settings.early_checkin_minutes)
    closes = booked + timedelta(minutes=settings.late_checkin_minutes)
    if ctx.now < opens:
        local = opens.astimezone(ctx.tz)
        raise Conflict(
            "queue_booking_too_early", opens=local.strftime("%H:%M"), day=local.date().isoformat()
        )
    if ctx.now <= closes and ticket.state == BOOKED:
        ticket.state, ticket.arrived_at, ticket.effective_at = WAITING, ctx.now, booked
    elif settings.late_booking_rule == "walk_in" and ctx.today == ticket.service_day:
        ticket.state, ticket.arrived_at, ticket.effective_at = WAITING, ctx.now, ctx.now
        ticket.kind = WALK_IN
    else:
        raise Conflict("queue_booking_too_late", closed=closes.astimezone(ctx.tz).strftime("%H:%M"))
    session.flush()
    audit.record(
        session,
        entity="event",
        entity_id=ticket.event_id,
        action="queue_check_in",
        user_id=None,
        changes={"kind": ticket.kind, "effective_at": ticket.effective_at},
    )
    return _after_arrival(session, ctx, ticket)


def end_cancelled(
    session: Session, ctx: QueueContext, ticket: QueueTicket, *, user_id: int | None, action: str
) -> str:
    """End a ticket as cancelled, in the caller's transaction: a visit still open (in line or
    called) ends cancelled, with the statistics; its booked seats are freed; the event's audit
    log records ``action``. Returns the state it had: telling the board and the visitor is the
    caller's part."""
    previous = ticket.state
    ticket.state, ticket.finished_at, ticket.late_until = CANCELLED, ctx.now, None
    session.flush()
    # A booking never came has no visit.
    facts.visit_changed(session, ctx, ticket, outcome=CANCELLED)
    session.execute(delete(BookingSeat).where(BookingSeat.ticket_id == ticket.id))
    session.flush()
    audit.record(
        session,
        entity="event",
        entity_id=ticket.event_id,
        action=action,
        user_id=user_id,
        changes={"state": CANCELLED},
    )
    return previous


def cancel_booking(session: Session, ctx: QueueContext, *, code: str) -> TicketInfo:
    """The visitor cancels a booking that has not checked in."""
    ticket = find_booking(session, code)
    if ticket.state not in (BOOKED, EXPIRED):
        raise Conflict("queue_booking_checked_in", number=ticket.number)
    ticket.state, ticket.finished_at = CANCELLED, ctx.now
    session.flush()
    return describe(session, ticket, ctx=ctx)
