"""The visitor's live ticket page (issue 23): what the holder of a link sees and may do.

The page shows one ticket and nothing about anyone else: its number, service, place in line and
estimated wait, and, once called, the window. Its holder may cancel it, or say "I am running
late": the ticket keeps its place for ``running_late_minutes`` (Free passes it over meanwhile,
and a called ticket is not made a no-show automatically), then the no-show rules apply as
always. Each page poll also tells the hall that the visitor follows remotely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models.booking import BookingContact
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.errors import Conflict
from hub.services.common import audit
from hub.services.queue import booking, links
from hub.services.queue import operators as queue_operators
from hub.services.queue import publish as queue_publish
from hub.services.queue.core import (
    BOOKED,
    CALLED,
    EXPIRED,
    IN_HAND,
    WAITING,
    QueueContext,
    describe,
    get_ticket,
    params,
)

# A poll writes the visitor's "last seen" down at most this often (links.FOLLOWING_FOR).
SEEN_EVERY = timedelta(seconds=20)
CANCELLABLE = frozenset({BOOKED, EXPIRED, WAITING, CALLED})
CAN_RUN_LATE = frozenset({WAITING, CALLED})


@dataclass(frozen=True)
class VisitorTicket:
    """A ticket as its holder's page shows it."""

    number: str
    service_name: str
    kind: str
    state: str
    place: int | None
    estimated_wait_s: int | None
    window: str | None
    recalls: int
    called_at: datetime | None
    booked_at: datetime | None
    booked_until: datetime | None
    late_until: datetime | None
    lang: str | None
    can_cancel: bool
    can_run_late: bool
    expires_at: datetime
    seen_at: datetime | None
    late_minutes: int
    estimated_wait_low_s: int | None = None
    estimated_wait_high_s: int | None = None


def view(session: Session, ctx: QueueContext, token: str) -> VisitorTicket:
    """The ticket a live token opens (NotFound for any other token)."""
    ticket = links.find(session, ctx, token)
    info = describe(session, ticket, ctx=ctx)
    lang = None
    if ticket.booked_at is not None:  # only a public booking has a language of its own
        lang = session.scalar(
            select(BookingContact.lang).where(BookingContact.ticket_id == ticket.id)
        )
    late = ticket.late_until if ticket.late_until and ticket.late_until > ctx.now else None
    return VisitorTicket(
        number=ticket.number,
        service_name=info.service_name,
        kind=ticket.kind,
        state=ticket.state,
        place=info.position,
        estimated_wait_s=info.estimated_wait_s,
        window=ticket.window if ticket.state in IN_HAND else None,
        recalls=ticket.recalls,
        called_at=ticket.last_called_at,
        booked_at=ticket.booked_at,
        booked_until=ticket.booked_until,
        late_until=late,
        lang=lang,
        can_cancel=ticket.state in CANCELLABLE,
        can_run_late=ticket.state in CAN_RUN_LATE and ticket.late_until is None,
        expires_at=ctx.day_end(ticket.service_day),
        seen_at=ticket.remote_seen_at,
        late_minutes=params(session).running_late_minutes,
        estimated_wait_low_s=info.estimated_wait_low_s,
        estimated_wait_high_s=info.estimated_wait_high_s,
    )


def needs_seen(ticket_seen: datetime | None, now: datetime) -> bool:
    """Whether a poll at ``now`` should write the visitor's "last seen" down."""
    return ticket_seen is None or now - ticket_seen >= SEEN_EVERY


def mark_seen(session: Session, ctx: QueueContext, token: str) -> None:
    """The visitor's page asked now: the hall sees them following (their panel is told when
    this starts while an operator holds the ticket)."""
    ticket = links.find(session, ctx, token, lock=True)
    was = links.following(ticket.remote_seen_at, ctx.now)
    ticket.remote_seen_at = ctx.now
    session.flush()
    if not was:
        _tell_panel(session, ctx, ticket)


def _tell_panel(session: Session, ctx: QueueContext, ticket: QueueTicket) -> None:
    if ticket.operator_id is None or ticket.state not in IN_HAND:
        return
    operator = session.get(QueueOperator, ticket.operator_id)
    if operator is not None and operator.ticket_id == ticket.id:
        queue_publish.publish_assignment(session, ctx, operator)


def cancel(session: Session, ctx: QueueContext, token: str) -> str:
    """The visitor cancels their ticket or booking (before being served); the number."""
    ticket = links.find(session, ctx, token, lock=True)
    if ticket.state not in CANCELLABLE:
        raise Conflict("ticket_page_not_cancellable", number=ticket.number)
    previous = ticket.state
    if previous == CALLED:
        queue_operators.cancel_in_hand(
            session, ctx, ticket, "Скасовано відвідувачем / Cancelled by the visitor"
        )
    booking.mark_cancelled(session, ctx, ticket, user_id=None, action="queue_cancel_by_visitor")
    return ticket.number


def running_late(session: Session, ctx: QueueContext, token: str) -> datetime:
    """ "I am running late": the ticket keeps its place until the returned moment, once."""
    ticket = links.find(session, ctx, token, lock=True)
    if ticket.state not in CAN_RUN_LATE or ticket.late_until is not None:
        raise Conflict("ticket_page_not_late", number=ticket.number)
    until = ctx.now + timedelta(minutes=params(session).running_late_minutes)
    ticket.late_until = until
    ticket.remote_seen_at = ctx.now
    session.flush()
    audit.record(
        session,
        entity="event",
        entity_id=ticket.event_id,
        action="queue_running_late",
        user_id=None,
        changes={"late_until": until},
    )
    _tell_panel(session, ctx, ticket)
    return until


def new_link(session: Session, ctx: QueueContext, ticket_id: int) -> str:
    """One more link to a ticket's page (a booking's confirmation, a reprint): the token."""
    return links.mint(session, ctx, get_ticket(session, ticket_id))
