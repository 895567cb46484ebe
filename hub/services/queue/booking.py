"""Public booking (Q-2a, Q-3): free slots, booking a seat, cancelling, rate limits.

Each open day of a service's week (``queue.hours``) is cut into units of
``default_service_minutes`` from that day's opening time; a visit takes as many consecutive
units as the service's slot rule plans for the companies the visitor represents
(``queue.slots``: linear, N companies N units at the default; or graded). Each unit
has one seat per operator of the service's work group; a booking takes a seat in every unit it
covers, and the table's unique constraint decides who gets the last one when two people press
"Book" at once. The page only offers what looked free when it was drawn.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.base import dialect_insert
from hub.db.models import Project
from hub.db.models.booking import BookingContact, BookingSeat, RateHit
from hub.db.models.queue import QueueTicket
from hub.errors import Conflict, DomainError, Invalid, NotFound
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.mail import booking_mail
from hub.services.projects import projects
from hub.services.queue import publish as queue_publish
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.core import (
    BOOKED,
    CALLED,
    EXPIRED,
    WAITING,
    QueueContext,
    TicketInfo,
    describe,
    params,
    queue_service,
    service_members,
)
from hub.services.queue.hours import opening_hours
from hub.services.queue.operators import lock_ticket
from hub.services.queue.slots import slot_rule, units_needed

DAYS_AHEAD = 60
MAX_COMPANIES = 10
NAME_MAX = 100
# Letters of any alphabet, spaces, apostrophes (', ’, ʼ), hyphens and dots: enough for
# "Олена Петрук-Коваль" or "O'Brien Jr.", and nothing a browser or a printer could execute.
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[ '’ʼ.\-]+[^\W\d_]*)*$")
_PHONE_CHARS = re.compile(r"^\+?[\d ()\-]+$")


class RateLimited(DomainError):
    """Too many requests from one address or for one phone."""

    status = 429


@dataclass(frozen=True)
class Slot:
    """A free time a visitor may book."""

    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Contact:
    """Who books: a name and a phone and/or an e-mail, checked and normalised."""

    name: str
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class Limit:
    """At most ``hits`` requests per ``seconds`` for one key."""

    hits: int
    seconds: int


ADDRESS_LIMIT = Limit(hits=20, seconds=600)
PHONE_LIMIT = Limit(hits=5, seconds=24 * 3600)


def check_day(ctx: QueueContext, day: date) -> None:
    """A day one may book: from today up to ``DAYS_AHEAD`` days ahead."""
    if day < ctx.today:
        raise Invalid("booking_date_past", field="date")
    if day > ctx.today + timedelta(days=DAYS_AHEAD):
        raise Invalid("booking_date_too_far", field="date", days=DAYS_AHEAD)


def check_companies(companies: int) -> None:
    """1..MAX_COMPANIES companies."""
    if not 1 <= companies <= MAX_COMPANIES:
        raise Invalid("booking_companies_invalid", field="companies", max=MAX_COMPANIES)


def _units(session: Session, ctx: QueueContext, service_id: int, day: date) -> list[datetime]:
    """The starts of the day's units (aware, in the site's zone), from opening to closing."""
    hours = opening_hours(session, service_id).on(day.isoweekday())
    if hours is None:
        return []
    step = timedelta(minutes=params(session).default_service_minutes)
    start = datetime.combine(day, hours.opens, tzinfo=ctx.tz)
    end = datetime.combine(day, hours.closes, tzinfo=ctx.tz)
    units = []
    while start + step <= end:
        units.append(start)
        start += step
    return units


def _taken(session: Session, service_id: int, units: Sequence[datetime]) -> dict[datetime, int]:
    if not units:
        return {}
    query = (
        select(BookingSeat.unit_start, func.count(BookingSeat.id))
        .where(
            BookingSeat.project_id == service_id,
            BookingSeat.unit_start >= units[0],
            BookingSeat.unit_start <= units[-1],
        )
        .group_by(BookingSeat.unit_start)
    )
    return {start: int(count) for start, count in session.execute(query)}


def free_slots(
    session: Session, ctx: QueueContext, *, service_id: int, day: date, companies: int
) -> list[Slot]:
    """The times still bookable on ``day`` by a visitor representing ``companies`` companies."""
    queue_service(session, service_id)
    check_day(ctx, day)
    check_companies(companies)
    capacity = len(service_members(session, service_id))
    units = _units(session, ctx, service_id, day)
    taken = _taken(session, service_id, units)
    step = timedelta(minutes=params(session).default_service_minutes)
    needed = units_needed(slot_rule(session, service_id), companies, step)
    slots = []
    for index in range(len(units) - needed + 1):
        covered = units[index : index + needed]
        if covered[0] <= ctx.now:
            continue
        if all(taken.get(unit, 0) < capacity for unit in covered):
            slots.append(Slot(covered[0], covered[-1] + step))
    return slots


def check_contact(name: str | None, phone: str | None, email: str | None) -> Contact:
    """The visitor's name and a phone and/or e-mail, or the first problem found."""
    clean_name = " ".join((name or "").split())
    if not clean_name:
        raise Invalid("booking_name_required", field="name")
    if len(clean_name) > NAME_MAX or not _NAME_CHARS.match(clean_name):
        raise Invalid("booking_name_invalid", field="name", max=NAME_MAX)
    clean_phone = (phone or "").strip() or None
    if clean_phone is not None:
        count = sum(char.isdigit() for char in clean_phone)
        if len(clean_phone) > 32 or not _PHONE_CHARS.match(clean_phone) or not 10 <= count <= 15:
            raise Invalid("booking_phone_invalid", field="phone")
    clean_email = (email or "").strip() or None
    if clean_email is not None:
        try:
            checked = validate_email(clean_email, check_deliverability=False)
        except EmailNotValidError:
            raise Invalid("booking_email_invalid", field="email") from None
        clean_email = checked.normalized
    if clean_phone is None and clean_email is None:
        raise Invalid("booking_contact_required", field="phone")
    return Contact(clean_name, clean_phone, clean_email)


def _claim_seat(
    session: Session, service_id: int, unit: datetime, capacity: int, ticket: int
) -> None:
    # Each try reads the seats committed so far; an insert that loses a race to another
    # booking fails on the unique constraint, is rolled back to its savepoint, and we look again.
    for _attempt in range(capacity + 1):
        held = set(
            session.scalars(
                select(BookingSeat.seat).where(
                    BookingSeat.project_id == service_id, BookingSeat.unit_start == unit
                )
            )
        )
        free = [seat for seat in range(1, capacity + 1) if seat not in held]
        if not free:
            break
        try:
            with session.begin_nested():
                session.add(
                    BookingSeat(
                        project_id=service_id, unit_start=unit, seat=free[0], ticket_id=ticket
                    )
                )
                session.flush()
            return
        except IntegrityError:
            continue
    raise Conflict("booking_slot_full", field="starts_at")


def book(
    session: Session,
    ctx: QueueContext,
    *,
    service_id: int,
    starts_at: datetime,
    companies: int,
    contact: Contact,
    lang: str,
) -> TicketInfo:
    """Book a free slot: an "electronic queue" event with a booking code and its seats (Q-2a)."""
    queue_service(session, service_id)
    check_companies(companies)
    if starts_at.tzinfo is None:
        raise Invalid("booking_slot_invalid", field="starts_at")
    day = starts_at.astimezone(ctx.tz).date()
    check_day(ctx, day)
    units = _units(session, ctx, service_id, day)
    local = starts_at.astimezone(ctx.tz)
    if local not in units or starts_at <= ctx.now:
        raise Invalid("booking_slot_invalid", field="starts_at")
    first = units.index(local)
    step = timedelta(minutes=params(session).default_service_minutes)
    needed = units_needed(slot_rule(session, service_id), companies, step)
    covered = units[first : first + needed]
    if len(covered) < needed:
        raise Invalid("booking_slot_invalid", field="starts_at")
    capacity = len(service_members(session, service_id))
    ticket = queue_tickets.create_booking(
        session,
        ctx,
        service_id=service_id,
        booked_at=starts_at,
        client=queue_tickets.ClientDetails(
            name=contact.name, phone=contact.phone, companies=companies
        ),
    )
    for unit in covered:
        _claim_seat(session, service_id, unit, capacity, ticket.id)
    session.add(BookingContact(ticket_id=ticket.id, email=contact.email, lang=lang))
    session.flush()
    # In this transaction: the booking and its letter are committed together or not at all.
    booking_mail.confirm(session, ctx, ticket, email=contact.email, lang=lang)
    return ticket


def find(session: Session, code: str) -> TicketInfo:
    """A booking by its code (what its holder may see); 404 for any unknown code."""
    clean = "".join(code.split()).upper()
    row = None
    if 0 < len(clean) <= 32:
        row = session.scalar(select(QueueTicket).where(QueueTicket.booking_code == clean))
    if row is None:
        raise NotFound("queue_booking_unknown")
    return describe(session, row, with_code=True)


def cancel(session: Session, ctx: QueueContext, *, code: str) -> TicketInfo:
    """The visitor cancels with the code; the seats are free for others at once."""
    info = queue_tickets.cancel_booking(session, ctx, code=code)
    session.execute(delete(BookingSeat).where(BookingSeat.ticket_id == info.id))
    booking_mail.cancelled(session, ctx, info)
    return info


def cancel_ticket(
    session: Session, ctx: QueueContext, *, profile: AccessProfile, ticket_id: int
) -> TicketInfo:
    """The hall administrator cancels a waiting ticket or a booking not yet served."""
    access.require(profile, Action.CHANGE, DocType.EVENT)
    ticket = lock_ticket(session, ticket_id)
    if ticket.state not in (BOOKED, WAITING, EXPIRED):
        raise Conflict("booking_ticket_not_cancellable", number=ticket.number, state=ticket.state)
    mark_cancelled(session, ctx, ticket, user_id=profile.user_id, action="queue_cancel")
    return describe(session, ticket, ctx=ctx)


def mark_cancelled(
    session: Session, ctx: QueueContext, ticket: QueueTicket, *, user_id: int | None, action: str
) -> None:
    """End a ticket as cancelled: its booked seats are freed, the audit log, (when it was in
    line or called) the board, and a booking's visitor by e-mail are told."""
    previous = queue_tickets.end_cancelled(session, ctx, ticket, user_id=user_id, action=action)
    if previous in (WAITING, CALLED):
        queue_publish.publish_board(session, ctx)
    # A booking's visitor is told by e-mail (nothing for a walk-in or a booking without one).
    booking_mail.cancelled(session, ctx, describe(session, ticket, ctx=ctx))


def switch_queue(
    session: Session, ctx: QueueContext, *, profile: AccessProfile, service_id: int, on: bool
) -> Project:
    """Turn a service's queue on or off (PRJ-8), with the project change right."""
    project = projects.update_project(
        session, profile=profile, project_id=service_id, changes={"uses_queue": on}
    )
    queue_publish.publish_board(session, ctx)
    return project


def rate_key(kind: str, value: str) -> str:
    """A counter key that does not keep the address or phone itself."""
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def hit(session: Session, now: datetime, key: str, limit: Limit) -> None:
    """Count one request for ``key``; RateLimited once the window's allowance is used up.

    The counter is a row per key and window, incremented by an upsert, so every hub replica
    counts in the same place. Callers commit it apart from the request's own transaction, so a
    refused or failed request still counts.
    """
    epoch = int(now.timestamp())
    window = datetime.fromtimestamp(epoch - epoch % limit.seconds, tz=now.tzinfo)
    upsert = (
        dialect_insert(session, RateHit)
        .values(key=key, window_start=window, hits=1)
        .on_conflict_do_update(
            index_elements=[RateHit.key, RateHit.window_start],
            set_={"hits": RateHit.hits + 1},
        )
    )
    hits = int(session.execute(upsert.returning(RateHit.hits)).scalar_one())
    session.execute(delete(RateHit).where(RateHit.window_start < now - timedelta(days=2)))
    if hits > limit.hits:
        wait = window + timedelta(seconds=limit.seconds) - now
        raise RateLimited("rate_limited", seconds=max(1, int(wait.total_seconds())))
