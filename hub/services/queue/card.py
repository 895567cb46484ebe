"""The client's card on an operator's panel (Q-5): who the visitor is in the CRM, with the
client's recent events and open tasks, as far as the operator may see them (ACC-6).

The client comes from the ticket's event (a booking or a desk ticket may name it); otherwise the
visitor's phone is matched, by its significant digits, to one contact person's phone or one
client's phone. An ambiguous phone (several clients) gives no card: showing a stranger's
history is worse than showing none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Client, Contact, ContactPhone, Event, EventType, Task
from hub.db.models.queue import QueueTicket
from hub.protocol.cards import CARD_EVENTS, CARD_TASKS, CARD_TEXT
from hub.services.access.rights import AccessProfile
from hub.services.phone.numbers import digits
from hub.services.tasks import tasks

# How many phone matches are looked at before a phone is called ambiguous.
_MATCHES = 10


@dataclass(frozen=True)
class CardEvent:
    """A recent event of the client."""

    at: datetime
    type: str
    subject: str | None


@dataclass(frozen=True)
class CardTask:
    """An open task of the client."""

    id: int
    due: datetime
    title: str
    state: str
    overdue: bool


@dataclass(frozen=True)
class ClientCard:
    """The client behind a ticket, with what the operator may see of its history."""

    client_id: int
    name: str
    contact: str | None
    contact_phone: str | None
    matched_by: str
    events: list[CardEvent]
    tasks: list[CardTask]


def shorten(text: str | None, limit: int = CARD_TEXT) -> str | None:
    """The first non-empty line of ``text``, cut to ``limit`` characters with an ellipsis."""
    for line in (text or "").splitlines():
        clean = " ".join(line.split())
        if clean:
            return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + "…"
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def may_see(profile: AccessProfile) -> bool:
    """Whether the operator may read clients, events and tasks at all (ACC-6, like the API)."""
    return profile.crm_access or profile.unrestricted


def _live_client(session: Session, client_id: int | None) -> Client | None:
    client = session.get(Client, client_id) if client_id else None
    return client if client is not None and client.deleted_at is None else None


def _live_contact(session: Session, contact_id: int | None) -> Contact | None:
    contact = session.get(Contact, contact_id) if contact_id else None
    return contact if contact is not None and contact.deleted_at is None else None


def _by_phone(session: Session, wanted: str) -> tuple[Client | None, Contact | None]:
    """One client (and contact) owning this phone; (None, None) when none or several do."""
    contacts = list(
        session.scalars(
            select(Contact)
            .join(ContactPhone, ContactPhone.contact_id == Contact.id)
            .join(Client, Client.id == Contact.client_id)
            .where(
                ContactPhone.digits == wanted,
                Contact.deleted_at.is_(None),
                Client.deleted_at.is_(None),
            )
            .order_by(Contact.id)
            .limit(_MATCHES)
        ).unique()
    )
    owners = {contact.client_id for contact in contacts}
    if len(owners) == 1:
        client = session.get(Client, owners.pop())
        return client, contacts[0] if len(contacts) == 1 else None
    if owners:
        return None, None
    clients = list(
        session.scalars(
            select(Client)
            .where(Client.phone_digits == wanted, Client.deleted_at.is_(None))
            .limit(2)
        )
    )
    return (clients[0], None) if len(clients) == 1 else (None, None)


def _contact_of(session: Session, client: Client, wanted: str | None) -> Contact | None:
    """The client's contact with the visitor's phone, else its only contact (EVT-3)."""
    live = [c for c in client.contacts if c.deleted_at is None]
    if wanted:
        for contact in live:
            if any(p.digits == wanted for p in contact.phones):
                return contact
    return live[0] if len(live) == 1 else None


def _phone_of(contact: Contact | None, wanted: str | None) -> str | None:
    if contact is None or not contact.phones:
        return None
    for phone in contact.phones:
        if wanted and phone.digits == wanted:
            return phone.phone
    return contact.phones[0].phone


def identify(session: Session, ticket: QueueTicket) -> tuple[Client | None, Contact | None, str]:
    """The ticket's client and contact person, and how they were found."""
    event = session.get(Event, ticket.event_id)
    wanted = digits(ticket.phone) or (event.phone_digits if event is not None else None)
    contact = _live_contact(session, event.contact_id if event is not None else None)
    client = _live_client(session, event.client_id if event is not None else None)
    if contact is not None and (client is None or contact.client_id == client.id):
        return _live_client(session, contact.client_id), contact, "event"
    if client is not None:
        return client, _contact_of(session, client, wanted), "event"
    if wanted:
        client, contact = _by_phone(session, wanted)
        if client is not None:
            return client, contact or _contact_of(session, client, wanted), "phone"
    return None, None, ""


def _events(session: Session, client_id: int, skip_event: int | None, lang: str) -> list[CardEvent]:
    rows = session.execute(
        select(Event.starts_at, Event.content, EventType.name_uk, EventType.name_en)
        .join(EventType, EventType.id == Event.type_id)
        .where(
            Event.client_id == client_id,
            Event.archived_at.is_(None),
            Event.id != (skip_event or 0),
        )
        .order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(CARD_EVENTS)
    )
    return [
        CardEvent(
            at=_aware(starts),
            type=shorten(name_en if lang == "en" else name_uk, 200) or "?",
            subject=shorten(content),
        )
        for starts, content, name_uk, name_en in rows
    ]


def _tasks(
    session: Session,
    client_id: int,
    skip: tuple[int | None, int | None],
    lang: str,
    now: datetime,
) -> list[CardTask]:
    skip_task, skip_event = skip
    books = tasks.statuses(session)
    closed = [row.id for row in books.values() if row.code in tasks.COMPLETED]
    query = (
        select(Task)
        .where(Task.client_id == client_id, Task.status_id.not_in(closed))
        .order_by(Task.ends_at, Task.id)
        .limit(CARD_TASKS + 1)
    )
    if skip_task is not None:
        query = query.where(Task.id != skip_task)
    # The task made from this very queue event is the visit itself, not the client's history.
    if skip_event is not None:
        query = query.where((Task.event_id.is_(None)) | (Task.event_id != skip_event))
    rows = list(session.scalars(query))[:CARD_TASKS]
    by_code = {row.code: row for row in books.values()}
    result = []
    for view in tasks.describe(session, rows, now=now, books=books):
        shown = by_code.get(tasks.OVERDUE, view.status) if view.overdue else view.status
        result.append(
            CardTask(
                id=view.task.id,
                due=_aware(view.task.ends_at),
                title=shorten(view.task.name) or f"№{view.task.number}",
                state=shorten(shown.name_en if lang == "en" else shown.name_uk, 200) or shown.code,
                overdue=view.overdue,
            )
        )
    return result


def client_card(
    session: Session,
    ticket: QueueTicket,
    *,
    profile: AccessProfile,
    lang: str,
    now: datetime,
) -> ClientCard | None:
    """The card of the ticket's client for this operator; None when unknown or not theirs to see."""
    if not may_see(profile):
        return None
    client, contact, how = identify(session, ticket)
    if client is None:
        return None
    wanted = digits(ticket.phone)
    return ClientCard(
        client_id=client.id,
        name=shorten(client.name) or f"#{client.id}",
        contact=shorten(contact.full_name) if contact is not None else None,
        contact_phone=_phone_of(contact, wanted),
        matched_by=how,
        events=_events(session, client.id, ticket.event_id, lang),
        tasks=_tasks(session, client.id, (ticket.task_id, ticket.event_id), lang, now),
    )


def match_phone(session: Session, phone: str | None) -> tuple[Client | None, Contact | None]:
    """The one client (and contact) owning ``phone``, by its significant digits, as for a
    ticket; (None, None) when nobody or several clients have it."""
    wanted = digits(phone)
    if not wanted:
        return None, None
    client, contact = _by_phone(session, wanted)
    if client is None:
        return None, None
    return client, contact or _contact_of(session, client, wanted)


def caller_card(
    session: Session,
    phone: str,
    *,
    profile: AccessProfile,
    lang: str,
    now: datetime,
) -> ClientCard | None:
    """The card of the client behind a caller's number (PH-3), as for a ticket's visitor."""
    if not may_see(profile):
        return None
    client, contact = match_phone(session, phone)
    if client is None:
        return None
    return ClientCard(
        client_id=client.id,
        name=shorten(client.name) or f"#{client.id}",
        contact=shorten(contact.full_name) if contact is not None else None,
        contact_phone=_phone_of(contact, digits(phone)),
        matched_by="phone",
        events=_events(session, client.id, None, lang),
        tasks=_tasks(session, client.id, (None, None), lang, now),
    )
