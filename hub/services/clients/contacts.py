"""Contact persons of clients (CLI-1) with their phones, and upcoming birthdays (CLI-4)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select, tuple_
from sqlalchemy.orm import Session, contains_eager

from hub.db.base import utcnow
from hub.db.models.clients import Client, Contact, ContactPhone
from hub.errors import Conflict, Invalid, NotFound
from hub.services.clients.clients import get_client
from hub.services.common.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    SortKey,
    decode_cursor,
    encode_cursor,
    paginate,
)
from hub.services.phone.numbers import digits
from hub.services.settings.parameters import get_user_parameters

CONTACT_FIELDS = ("full_name", "position", "email", "birthday", "note")
PHONE_KINDS = ("work", "mobile", "home", "fax", "other")


@dataclass(frozen=True)
class PhoneData:
    """A phone number as typed and its kind."""

    phone: str
    kind: str = "work"


def _set_phones(contact: Contact, phones: Sequence[PhoneData]) -> None:
    contact.phones = [ContactPhone(phone=item.phone, kind=item.kind) for item in phones]


def get_contact(session: Session, *, client_id: int, contact_id: int) -> Contact:
    """A contact person of the client."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.client_id != client_id:
        raise NotFound("contact_not_found", id=contact_id)
    return contact


def create_contact(
    session: Session, *, client_id: int, data: Mapping[str, Any], phones: Sequence[PhoneData] = ()
) -> Contact:
    """Add a contact person to a client that is not deleted."""
    get_client(session, client_id, for_change=True)
    contact = Contact(client_id=client_id, **{k: data[k] for k in CONTACT_FIELDS if k in data})
    _set_phones(contact, phones)
    session.add(contact)
    session.flush()
    return contact


def update_contact(
    session: Session,
    *,
    client_id: int,
    contact_id: int,
    changes: Mapping[str, Any],
    phones: Sequence[PhoneData] | None = None,
) -> Contact:
    """Change a contact person; ``phones``, when given, replaces the list of phones.

    A deleted contact person (or one of a deleted client) is refused: restore it first.
    """
    get_client(session, client_id, for_change=True)
    contact = get_contact(session, client_id=client_id, contact_id=contact_id)
    if contact.deleted_at is not None:
        raise Conflict("contact_deleted", name=contact.full_name)
    for key in CONTACT_FIELDS:
        if key in changes:
            setattr(contact, key, changes[key])
    if phones is not None:
        _set_phones(contact, phones)
    session.flush()
    return contact


def delete_contact(session: Session, *, client_id: int, contact_id: int) -> Contact:
    """Mark a contact person deleted (CLI-6)."""
    contact = get_contact(session, client_id=client_id, contact_id=contact_id)
    if contact.deleted_at is None:
        contact.deleted_at = utcnow()
        session.flush()
    return contact


def restore_contact(session: Session, *, client_id: int, contact_id: int) -> Contact:
    """Bring a deleted contact person back."""
    get_client(session, client_id, for_change=True)
    contact = get_contact(session, client_id=client_id, contact_id=contact_id)
    contact.deleted_at = None
    session.flush()
    return contact


def list_client_contacts(
    session: Session,
    *,
    client_id: int,
    show_deleted: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Contact]:
    """A client's contact persons in name order."""
    get_client(session, client_id)
    query = select(Contact).where(Contact.client_id == client_id)
    if not show_deleted:
        query = query.where(Contact.deleted_at.is_(None))
    keys = [SortKey(Contact.full_name), SortKey(Contact.id)]
    return paginate(session, query, keys, cursor=cursor, limit=limit)


def list_contacts(
    session: Session,
    *,
    q: str | None = None,
    show_deleted: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Contact]:
    """The contacts-only view (CLI-1): by a fragment of the name or e-mail, or a phone number."""
    query = (
        select(Contact)
        .join(Client, Client.id == Contact.client_id)
        .options(contains_eager(Contact.client))
    )
    if not show_deleted:
        query = query.where(Contact.deleted_at.is_(None), Client.deleted_at.is_(None))
    needle = (q or "").strip()
    if needle:
        conditions = [
            Contact.full_name_folded.contains(needle.casefold(), autoescape=True),
            func.lower(Contact.email).contains(needle.lower(), autoescape=True),
        ]
        phone = digits(needle)
        if phone and len(phone) >= 5:
            by_phone = select(ContactPhone.id).where(
                ContactPhone.contact_id == Contact.id,
                # a whole number is one index look-up; a fragment is matched anywhere
                ContactPhone.digits == phone
                if len(phone) >= 9
                else ContactPhone.digits.contains(phone),
            )
            conditions.append(exists(by_phone))
        query = query.where(or_(*conditions))
    keys = [SortKey(Contact.full_name), SortKey(Contact.id)]
    return paginate(session, query, keys, cursor=cursor, limit=limit)


# --- upcoming birthdays (CLI-4) --------------------------------------------------------------


@dataclass(frozen=True)
class Birthday:
    """A contact person whose birthday is near, and when."""

    contact: Contact
    next_birthday: date
    days_left: int


def _month_day(day: date) -> tuple[int, int]:
    return (day.month, day.day)


def _next_birthday(born: date, today: date) -> date:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, born.month, born.day)
        except ValueError:  # 29 February in a common year: celebrated on the 28th
            candidate = date(year, 2, 28)
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable")


def _segments(today: date, days: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Month-day ranges covering today..today+days, split at the New Year."""
    start = _month_day(today)
    last = today + timedelta(days=days) if days < 365 else today - timedelta(days=1)
    end = _month_day(last)
    if end == (2, 28) and not calendar.isleap(last.year):
        end = (2, 29)  # born on 29 February: celebrated on the 28th in a common year
    if days >= 365 or end < start:
        return [(start, (12, 31)), ((1, 1), end)]
    return [(start, end)]


def upcoming_birthdays(
    session: Session,
    *,
    today: date,
    days: int,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Birthday]:
    """Contact persons whose birthday falls within ``days`` from ``today``, soonest first.

    The window is one or two ranges of (month, day), so the month-day index answers it; the
    cursor is (segment, month, day, id).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("bad_limit", field="limit", max=MAX_LIMIT)
    segments = _segments(today, days)
    position: list[Any] = [0, 0, 0, 0]
    if cursor:
        position = decode_cursor(cursor, 4)
        if not isinstance(position[0], int) or not 0 <= position[0] < len(segments):
            raise Invalid("bad_cursor", field="cursor")
    md = tuple_(Contact.birth_month, Contact.birth_day)
    found: list[tuple[int, Contact]] = []
    for index in range(position[0], len(segments)):
        low, high = segments[index]
        query = (
            select(Contact)
            .join(Client, Client.id == Contact.client_id)
            .options(contains_eager(Contact.client))
            .where(
                Contact.birth_month.is_not(None),
                md >= tuple_(*low),
                md <= tuple_(*high),
                Contact.deleted_at.is_(None),
                Client.deleted_at.is_(None),
            )
        )
        if cursor and index == position[0]:
            query = query.where(
                tuple_(Contact.birth_month, Contact.birth_day, Contact.id)
                > tuple_(position[1], position[2], position[3])
            )
        query = query.order_by(Contact.birth_month, Contact.birth_day, Contact.id)
        rows = session.scalars(query.limit(limit + 1 - len(found)))
        found.extend((index, row) for row in rows)
        if len(found) > limit:
            break
    more = len(found) > limit
    found = found[:limit]
    next_cursor = None
    if more and found:
        index, last = found[-1]
        next_cursor = encode_cursor([index, last.birth_month, last.birth_day, last.id])
    items = []
    for _index, contact in found:
        assert contact.birthday is not None
        when = _next_birthday(contact.birthday, today)
        items.append(Birthday(contact, when, (when - today).days))
    return Page(items=items, next_cursor=next_cursor)


# A reminder shows the soonest few; the birthdays page lists them all.
REMINDER_SIZE = 10


@dataclass(frozen=True)
class BirthdayReminder:
    """A user's reminder of contact persons' birthdays (CLI-4): the soonest within their days
    ahead, and whether there are more than it shows."""

    days: int
    birthdays: list[Birthday]
    more: bool


def birthday_reminder(
    session: Session, *, user_id: int, today: date, limit: int = REMINDER_SIZE
) -> BirthdayReminder | None:
    """The birthdays within the user's own days ahead when they set the reminder on (the
    per-user parameters ``birthday_reminders`` and ``birthday_days_ahead``), else None."""
    params = get_user_parameters(session, user_id)
    if not params.birthday_reminders:
        return None
    days = params.birthday_days_ahead
    page = upcoming_birthdays(session, today=today, days=days, limit=limit)
    return BirthdayReminder(days, page.items, page.next_cursor is not None)
