"""What the hall console needs beyond the queue services: prints, moves, desk client details,
today's bookings still to come and their check-in at the desk, tickets for a chosen time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Client, Device, PrintJob
from hub.db.models.queue import QueueTicket
from hub.errors import Invalid
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.queue import operators as queue_operators
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.core import (
    BOOKED,
    IssueResult,
    QueueContext,
    TicketInfo,
    describe,
    get_ticket,
)

RECENT_PRINTS = 10


@dataclass(frozen=True)
class PrintLine:
    """One print of today as the console lists it: which ticket, where, and how it went."""

    job_id: str
    ticket_id: int
    number: str
    printer_id: str
    printer_name: str
    state: str
    error_code: str | None
    error: str | None
    created_at: datetime


def recent_prints(
    session: Session, ctx: QueueContext, *, limit: int = RECENT_PRINTS
) -> list[PrintLine]:
    """Today's last ``limit`` print jobs, newest first, with their state (pending, printed...)."""
    query = (
        select(PrintJob, QueueTicket.number, Device.name)
        .join(QueueTicket, QueueTicket.id == PrintJob.ticket_id)
        .outerjoin(Device, Device.id == PrintJob.printer_id)
        .where(PrintJob.created_at >= ctx.day_start())
        .order_by(PrintJob.created_at.desc(), PrintJob.id.desc())
        .limit(limit)
    )
    return [
        PrintLine(
            job_id=job.id,
            ticket_id=job.ticket_id,
            number=number,
            printer_id=job.printer_id,
            printer_name=name or job.printer_id,
            state=job.state,
            error_code=job.error_code,
            error=job.error_message,
            created_at=job.created_at,
        )
        for job, number, name in session.execute(query)
    ]


def move_ticket(
    session: Session,
    ctx: QueueContext,
    *,
    profile: AccessProfile,
    ticket_id: int,
    service_id: int,
    front: bool,
) -> TicketInfo:
    """Move a waiting ticket to another service's line (or to the front of its own).

    The visitor keeps the number; the move is the queue's transfer, done by the hall
    administrator with the right to change events.
    """
    access.require(profile, Action.CHANGE, DocType.EVENT)
    current = session.get(QueueTicket, ticket_id)
    if current is not None and current.project_id == service_id and not front:
        # Neither another line nor the front: nothing to move to.
        raise Invalid("queue_transfer_target_required", field="target_service_id")
    change = queue_operators.transfer(
        session,
        ctx,
        profile=profile,
        ticket_id=ticket_id,
        target_service_id=service_id,
        front=front,
        reason=None,
    )
    return change.ticket


def desk_details(
    session: Session,
    *,
    name: str | None,
    phone: str | None,
    companies: int,
    client_id: int | None,
) -> queue_tickets.ClientDetails:
    """A desk ticket's client: what was typed, blanks filled from the chosen client's card."""
    name = (name or "").strip() or None
    phone = (phone or "").strip() or None
    if client_id is not None:
        card = session.get(Client, client_id) if client_id > 0 else None
        if card is not None and card.deleted_at is None:
            name = name or card.name[:200]
            phone = phone or card.phone
    return queue_tickets.ClientDetails(
        name=name, phone=phone, companies=companies, client_id=client_id
    )


MAX_LATER = 200


def later_bookings(
    session: Session, ctx: QueueContext, *, limit: int = MAX_LATER
) -> list[TicketInfo]:
    """Today's bookings not checked in yet, earliest first (the desk's list of who is coming)."""
    rows = session.scalars(
        select(QueueTicket)
        .where(QueueTicket.state == BOOKED, QueueTicket.service_day == ctx.today)
        .order_by(QueueTicket.booked_at, QueueTicket.id)
        .limit(limit)
    )
    return [describe(session, row, ctx=ctx, with_code=True) for row in rows]


def check_in_at_desk(
    session: Session, ctx: QueueContext, *, profile: AccessProfile, ticket_id: int
) -> IssueResult:
    """A booked visitor arrives at the desk: checked in as at a kiosk (the same window rules)."""
    access.require(profile, Action.CHANGE, DocType.EVENT)
    ticket = get_ticket(session, ticket_id)
    if not ticket.booking_code:
        raise Invalid("queue_booking_unknown", field="ticket")
    return queue_tickets.check_in(session, ctx, code=ticket.booking_code)


def desk_time(ctx: QueueContext, value: str | None) -> datetime | None:
    """A desk ticket's chosen time ("HH:MM" today in the site's zone), or None for now."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        chosen = time.fromisoformat(text)
    except ValueError:
        raise Invalid("queue_desk_time_invalid", field="time") from None
    moment = datetime.combine(ctx.today, chosen.replace(second=0, microsecond=0), tzinfo=ctx.tz)
    if moment <= ctx.now:
        raise Invalid("queue_desk_time_past", field="time", time=text)
    return moment
