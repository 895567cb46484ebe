"""The event card (EVT-3), its linked documents (EVT-4) and its change log (SET-11)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import (
    Client,
    Contact,
    Event,
    EventDocument,
    EventType,
    Journal,
    Project,
    SettlementDocument,
    User,
)
from hub.db.refcache import cached
from hub.errors import Conflict, Invalid, NotFound
from hub.services.access.rights import AccessProfile, Action, DocType, require_in_journal
from hub.services.common import audit
from hub.services.common.files import FileStore
from hub.services.phone.numbers import digits
from hub.services.projects.attachments import discard_owned_files
from hub.services.settings.numbering import next_number
from hub.services.settings.parameters import get_global

ENTITY = "event"
EMPLOYEE = "employee"
CENTRE = "responsibility_centre"

# The card's fields as the change log records them.
AUDITED: tuple[str, ...] = (
    "number",
    "type_id",
    "starts_at",
    "ends_at",
    "responsible_type",
    "responsible_id",
    "responsibility_centre",
    "client_id",
    "contact_id",
    "phone",
    "fax",
    "email",
    "project_id",
    "journal_id",
    "content",
)
# Fields the caller sets directly ("type" is resolved to ``type_id`` first).
EDITABLE = frozenset(AUDITED) - {"number", "type_id"}


_WHAT: dict[str, tuple[str, str]] = {
    "client": ("клієнт", "client"),
    "contact": ("контактна особа", "contact person"),
    "project": ("проект", "project"),
    "journal": ("журнал", "journal"),
    "user": ("користувач", "user"),
}
_KINDS: dict[str, tuple[str, str]] = {
    EMPLOYEE: ("працівник", "employee"),
    CENTRE: ("центр відповідальності", "responsibility centre"),
}


def _unknown(field: str, what: str, ident: int) -> Invalid:
    uk, en = _WHAT[what]
    return Invalid("event_reference_unknown", field=field, what_uk=uk, what_en=en, id=ident)


def resolve_type(session: Session, ref: int | str, *, field: str = "type") -> EventType:
    """An event type given by its id or its code; 422 naming ``field`` when there is none."""
    found: EventType | None
    if isinstance(ref, int) or (ref.isascii() and ref.isdigit()):
        found = session.get(EventType, int(ref)) if int(ref) <= 2**31 - 1 else None
    else:
        found = session.scalar(select(EventType).where(EventType.code == ref))
    if found is None:
        raise Invalid("event_type_unknown", field=field, type=str(ref))
    return found


def type_id(session: Session, code: str) -> int:
    """The id of the event type with ``code`` (kept in ``hub.db.refcache``); 422 when none."""
    found = cached(session, ("event_type", code), partial(_type_id, code=code))
    if found is None:
        raise Invalid("event_type_unknown", field="type", type=code)
    return found


def _type_id(session: Session, code: str) -> int | None:
    return session.scalar(select(EventType.id).where(EventType.code == code))


def type_names(session: Session, type_id: int) -> tuple[str, str] | None:
    """The Ukrainian and English names of an event type (kept in ``hub.db.refcache``)."""
    return cached(session, ("event_type_names", type_id), partial(_type_names, type_id=type_id))


def _type_names(session: Session, type_id: int) -> tuple[str, str] | None:
    kind = session.get(EventType, type_id)
    return (kind.name_uk, kind.name_en) if kind is not None else None


def get_event(session: Session, event_id: int) -> Event:
    """One event, archived or not; 404 when there is none."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("not_found", what=f"event {event_id}")
    return event


def require_event_right(
    session: Session, profile: AccessProfile, action: Action, journal_id: int | None
) -> None:
    """The right ``action`` on events, and in the event's journal when it has one (ACC-1, ACC-2)."""
    require_in_journal(session, profile, action, DocType.EVENT, journal_id)


def _exists(session: Session, model: Any, ident: int | None, field: str, what: str) -> None:
    if ident is not None and session.get(model, ident) is None:
        raise _unknown(field, what, ident)


def _live_contacts(session: Session, client_id: int, limit: int) -> list[int]:
    query = (
        select(Contact.id)
        .where(Contact.client_id == client_id, Contact.deleted_at.is_(None))
        .order_by(Contact.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def _check_client_and_contact(session: Session, values: dict[str, Any], fill: bool) -> None:
    client_id, contact_id = values.get("client_id"), values.get("contact_id")
    if client_id is not None:
        client = session.get(Client, client_id)
        if client is None or client.deleted_at is not None:
            raise _unknown("client_id", "client", client_id)
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.deleted_at is not None:
            raise _unknown("contact_id", "contact", contact_id)
        if client_id is None:
            values["client_id"] = contact.client_id  # the contact names its client
        elif contact.client_id != client_id:
            raise Invalid("event_contact_of_other_client", field="contact_id")
    elif fill and client_id is not None:
        only = _live_contacts(session, client_id, 2)
        if len(only) == 1:
            values["contact_id"] = only[0]


def _check_responsible(
    session: Session, values: dict[str, Any], user_id: int | None, enforce: bool
) -> None:
    setting = get_global(session).responsible_person_type
    kind = values.get("responsible_type")
    if setting != "per_document" and enforce:
        if kind is not None and kind != setting:
            uk, en = _KINDS[setting]
            raise Invalid(
                "event_responsible_type_fixed", field="responsible_type", kind_uk=uk, kind_en=en
            )
        kind = setting
    kind = kind or EMPLOYEE
    values["responsible_type"] = kind
    if kind == EMPLOYEE:
        if values.get("responsibility_centre"):
            raise Invalid("event_centre_for_employee", field="responsibility_centre")
        values["responsibility_centre"] = None
        responsible = values.get("responsible_id")
        if responsible is None:
            values["responsible_id"] = user_id
        elif session.get(User, responsible) is None:
            raise _unknown("responsible_id", "user", responsible)
    else:
        if not values.get("responsibility_centre"):
            raise Invalid("event_centre_required", field="responsibility_centre")
        if values.get("responsible_id") is not None:
            raise Invalid("event_employee_for_centre", field="responsible_id")
        values["responsible_id"] = None


def _validate(
    session: Session,
    values: dict[str, Any],
    *,
    user_id: int | None,
    fill_contact: bool,
    enforce_setting: bool = True,
) -> None:
    """Check and complete the card's values in place (422 naming the field)."""
    ends_at = values.get("ends_at")
    if ends_at is not None and ends_at < values["starts_at"]:
        raise Invalid("period_reversed", field="ends_at")
    _check_responsible(session, values, user_id, enforce_setting)
    _check_client_and_contact(session, values, fill_contact)
    _exists(session, Project, values.get("project_id"), "project_id", "project")
    _exists(session, Journal, values.get("journal_id"), "journal_id", "journal")
    values["phone_digits"] = digits(values.get("phone"))


def create_event(
    session: Session,
    *,
    profile: AccessProfile,
    values: Mapping[str, Any],
    today: date,
) -> Event:
    """Create an event with the next number (SET-6) and log it."""
    data = {key: value for key, value in values.items() if key in EDITABLE}
    require_event_right(session, profile, Action.CREATE, data.get("journal_id"))
    event_type = resolve_type(session, values["type"])
    _validate(session, data, user_id=profile.user_id, fill_contact=True)
    number = next_number(session, doc_type="event", on=today, project_id=data.get("project_id"))
    event = Event(number=number.text, type_id=event_type.id, created_by=profile.user_id, **data)
    session.add(event)
    session.flush()
    audit.record(
        session,
        entity=ENTITY,
        entity_id=event.id,
        action="create",
        user_id=profile.user_id,
        changes=audit.snapshot(event, AUDITED),
    )
    _after_save(session, profile, event, today)
    return event


def _after_save(session: Session, profile: AccessProfile, event: Event, today: date) -> None:
    # SET-10. Imported here: the task services import this module.
    from hub.services.events.queue_tasks import task_on_save

    task_on_save(session, profile=profile, event=event, today=today)


def update_event(
    session: Session,
    *,
    profile: AccessProfile,
    event_id: int,
    changes: Mapping[str, Any],
    today: date | None = None,
) -> Event:
    """Change the card of an event that is not archived, logging the difference.

    ``today`` (the site's date; the server's when not given) numbers a task SET-10 makes.
    """
    event = get_event(session, event_id)
    require_event_right(session, profile, Action.CHANGE, event.journal_id)
    if event.archived_at is not None:
        raise Conflict("event_archived", number=event.number)
    before = audit.snapshot(event, AUDITED)
    data = {key: before[key] for key in EDITABLE}
    data.update({key: value for key, value in changes.items() if key in EDITABLE})
    if data["journal_id"] != event.journal_id:
        require_event_right(session, profile, Action.CHANGE, data["journal_id"])
    client_changed = data["client_id"] != event.client_id
    if client_changed and "contact_id" not in changes:
        data["contact_id"] = None  # the old contact belongs to the old client
    type_id = event.type_id
    if changes.get("type") is not None:
        type_id = resolve_type(session, changes["type"]).id
    _validate(
        session,
        data,
        user_id=profile.user_id,
        fill_contact=client_changed,
        # An event made while the type was chosen per document keeps it until it is changed.
        enforce_setting="responsible_type" in changes,
    )
    for key, value in data.items():
        setattr(event, key, value)
    event.type_id = type_id
    session.flush()
    delta = audit.diff(before, audit.snapshot(event, AUDITED))
    if delta:
        audit.record(
            session,
            entity=ENTITY,
            entity_id=event.id,
            action="change",
            user_id=profile.user_id,
            changes=delta,
        )
    _after_save(session, profile, event, today or date.today())
    return event


def delete_event(
    session: Session, *, profile: AccessProfile, event_id: int, files: FileStore
) -> None:
    """Delete one event with its attachments; tasks made from it stay, unlinked (FK SET NULL)."""
    event = get_event(session, event_id)
    require_event_right(session, profile, Action.DELETE, event.journal_id)
    remove_events(session, profile=profile, events=[event], files=files)


def remove_events(
    session: Session, *, profile: AccessProfile, events: Sequence[Event], files: FileStore
) -> None:
    """Delete events whose rights are checked, logging each and dropping their files."""
    discard_owned_files(session, files, "event", [event.id for event in events])
    for event in events:
        audit.record(
            session,
            entity=ENTITY,
            entity_id=event.id,
            action="delete",
            user_id=profile.user_id,
            changes=audit.snapshot(event, AUDITED),
        )
        session.delete(event)
    session.flush()


def event_documents(session: Session, event_id: int) -> list[SettlementDocument]:
    """The settlement documents linked to an event (EVT-4), by date."""
    query = (
        select(SettlementDocument)
        .join(EventDocument, EventDocument.document_id == SettlementDocument.id)
        .where(EventDocument.event_id == event_id)
        .order_by(SettlementDocument.doc_date, SettlementDocument.id)
    )
    return list(session.scalars(query))


def link_document(
    session: Session, *, profile: AccessProfile, event_id: int, document_id: int
) -> None:
    """Link a settlement document to an event; linking it again changes nothing."""
    event = get_event(session, event_id)
    require_event_right(session, profile, Action.CHANGE, event.journal_id)
    if session.get(SettlementDocument, document_id) is None:
        raise NotFound("not_found", what=f"settlement document {document_id}")
    if session.get(EventDocument, (event_id, document_id)) is not None:
        return
    session.add(EventDocument(event_id=event_id, document_id=document_id))
    session.flush()
    audit.record(
        session,
        entity=ENTITY,
        entity_id=event_id,
        action="link_document",
        user_id=profile.user_id,
        changes={"document_id": document_id},
    )


def unlink_document(
    session: Session, *, profile: AccessProfile, event_id: int, document_id: int
) -> None:
    """Remove a document's link to an event; 404 when it was not linked."""
    event = get_event(session, event_id)
    require_event_right(session, profile, Action.CHANGE, event.journal_id)
    link = session.get(EventDocument, (event_id, document_id))
    if link is None:
        raise NotFound("not_found", what=f"settlement document {document_id} of the event")
    session.delete(link)
    session.flush()
    audit.record(
        session,
        entity=ENTITY,
        entity_id=event_id,
        action="unlink_document",
        user_id=profile.user_id,
        changes={"document_id": document_id},
    )


def event_history(session: Session, event_id: int) -> list[audit.HistoryEntry]:
    """The change log of an event, oldest first, split by history group (SET-2); kept after
    the event is deleted."""
    records = audit.grouped_history(session, entity=ENTITY, entity_id=event_id)
    if not records:
        get_event(session, event_id)
    return records
