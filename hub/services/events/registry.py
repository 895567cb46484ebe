"""Registries of events (EVT-1, EVT-2, EVT-5): filters, keyset pages and phone groupings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hub.db.models import Client, Event, EventType
from hub.errors import Invalid
from hub.services.common.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    SortKey,
    decode_cursor,
    encode_cursor,
    paginate,
)
from hub.services.events.events import resolve_type
from hub.services.phone.numbers import digits

# EVT-2 views, by the system codes of SET-1 (ids differ between installations).
MISSED_CALL_TYPES = ("missed_incoming_call", "missed_outgoing_call")
ANSWERED_CALL_TYPES = ("incoming_call", "outgoing_call", "missed_call_answer", "callback")

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])
ProjectFilter = Literal["all", "none"] | int


@dataclass(frozen=True)
class EventFilter:
    """What a registry shows; ``None`` means "any"."""

    project: ProjectFilter = "all"
    types: Sequence[int | str] = ()
    type_codes: Sequence[str] = ()
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    client_id: int | None = None
    responsible_id: int | None = None
    phone: str | None = None
    journal_id: int | None = None
    archived: bool = False


@dataclass(frozen=True)
class PhoneGroup:
    """Events of one phone number: how many and when the last one started."""

    phone_digits: str
    count: int
    last_at: datetime


def parse_project(value: str | None) -> ProjectFilter:
    """The project filter from a query value: all, none or a project id (422 otherwise)."""
    if value is None or value == "all":
        return "all"
    if value == "none":
        return "none"
    if value.isdigit() and 1 <= int(value) <= 2**31 - 1:
        return int(value)
    raise Invalid("event_project_filter", field="project")


def filtered(session: Session, query: SelectT, flt: EventFilter) -> SelectT:
    """``query`` over events narrowed by ``flt``; 422 for a reversed period or unknown type."""
    if flt.starts_from and flt.starts_to and flt.starts_to < flt.starts_from:
        raise Invalid("period_reversed", field="to")
    archived = Event.archived_at.is_not(None) if flt.archived else Event.archived_at.is_(None)
    query = query.where(archived)
    if flt.project == "none":
        query = query.where(Event.project_id.is_(None))
    elif flt.project != "all":
        query = query.where(Event.project_id == flt.project)
    if flt.types:
        query = query.where(Event.type_id.in_([resolve_type(session, ref).id for ref in flt.types]))
    if flt.type_codes:
        # A view's system types, by code: both narrow the rows, so a view never widens.
        by_code = select(EventType.id).where(EventType.code.in_(flt.type_codes))
        query = query.where(Event.type_id.in_(by_code))
    if flt.starts_from is not None:
        query = query.where(Event.starts_at >= flt.starts_from)
    if flt.starts_to is not None:
        query = query.where(Event.starts_at <= flt.starts_to)
    if flt.client_id is not None:
        query = query.where(Event.client_id == flt.client_id)
    if flt.responsible_id is not None:
        query = query.where(Event.responsible_id == flt.responsible_id)
    if flt.journal_id is not None:
        query = query.where(Event.journal_id == flt.journal_id)
    if flt.phone is not None:
        wanted = digits(flt.phone)
        if wanted is None:
            raise Invalid("event_phone_filter", field="phone")
        query = query.where(Event.phone_digits == wanted)
    return query


def list_events(
    session: Session,
    flt: EventFilter,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    newest_first: bool = True,
) -> Page[Event]:
    """One page of events ordered by start time and id (EVT-1, the archive of EVT-5)."""
    query = filtered(session, select(Event), flt)
    keys = [SortKey(Event.starts_at, newest_first), SortKey(Event.id, newest_first)]
    return paginate(session, query, keys, cursor=cursor, limit=limit)


def phone_groups(
    session: Session,
    flt: EventFilter,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[PhoneGroup], str | None]:
    """Events grouped by phone number (EVT-2), paged by the number's digits."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("bad_limit", field="limit", max=MAX_LIMIT)
    base = select(Event.phone_digits, func.count(Event.id), func.max(Event.starts_at)).where(
        Event.phone_digits.is_not(None)
    )
    query = filtered(session, base, flt)
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        if not isinstance(after, str):
            raise Invalid("bad_cursor", field="cursor")
        query = query.where(Event.phone_digits > after)
    query = query.group_by(Event.phone_digits).order_by(Event.phone_digits).limit(limit + 1)
    rows = session.execute(query).all()
    groups = [
        PhoneGroup(phone_digits=str(row[0]), count=int(row[1]), last_at=row[2]) for row in rows
    ]
    more = len(groups) > limit
    groups = groups[:limit]
    next_cursor = encode_cursor([groups[-1].phone_digits]) if more and groups else None
    return groups, next_cursor


def type_codes(session: Session, ids: set[int]) -> dict[int, str]:
    """The codes of the event types with these ids."""
    if not ids:
        return {}
    rows = session.execute(select(EventType.id, EventType.code).where(EventType.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


@dataclass(frozen=True)
class MissedGroup:
    """Missed calls of one number (EVT-2): how many, the last one, and whose number it is."""

    phone_digits: str
    phone: str | None
    count: int
    last_at: datetime
    last_event_id: int
    client_id: int | None
    client_name: str | None


def missed_by_number(
    session: Session,
    flt: EventFilter,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[MissedGroup], str | None]:
    """Missed calls grouped by number, with the number's latest call and client (EVT-2)."""
    groups, next_cursor = phone_groups(
        session, replace(flt, type_codes=MISSED_CALL_TYPES), cursor=cursor, limit=limit
    )
    if not groups:
        return [], next_cursor
    latest: dict[str, Event] = {}
    client_of: dict[str, int] = {}
    query = filtered(
        session,
        select(Event).where(Event.phone_digits.in_([g.phone_digits for g in groups])),
        replace(flt, type_codes=MISSED_CALL_TYPES),
    ).order_by(Event.starts_at.desc(), Event.id.desc())
    for event in session.scalars(query):
        key = str(event.phone_digits)
        latest.setdefault(key, event)
        if event.client_id is not None:
            client_of.setdefault(key, event.client_id)
    names: dict[int, str] = {
        row[0]: row[1]
        for row in session.execute(
            select(Client.id, Client.name).where(Client.id.in_(set(client_of.values())))
        )
    }
    result = []
    for group in groups:
        last = latest[group.phone_digits]
        client_id = client_of.get(group.phone_digits)
        result.append(
            MissedGroup(
                phone_digits=group.phone_digits,
                phone=last.phone,
                count=group.count,
                last_at=group.last_at,
                last_event_id=last.id,
                client_id=client_id,
                client_name=names.get(client_id) if client_id is not None else None,
            )
        )
    return result, next_cursor
