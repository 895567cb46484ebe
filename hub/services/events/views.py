"""What one person may see and do with events at a desk (EVT-1..EVT-8, ACC-1, ACC-2).

Every user of the CRM sees every event, as through the API: the manual's journal rights (ACC-2)
are to create, change and delete documents in a journal, not to read them. What a user may not
do to an event is neither offered nor accepted (the services check it); a project whose journal
the user holds no right in is not offered for a new event and is refused. The pickers of a
reference field are in ``hub.services.events.pickers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.db.models import (
    Attachment,
    Client,
    Contact,
    Event,
    EventType,
    Project,
    SettlementDocument,
    Task,
    User,
)
from hub.errors import Invalid, NotFound
from hub.services.access.rights import AccessProfile
from hub.services.common import audit
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.common.files import FileStore
from hub.services.common.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    SortKey,
    paginate,
)
from hub.services.events import archive
from hub.services.events import events as service
from hub.services.events.registry import (
    MISSED_CALL_TYPES,
    EventFilter,
    PhoneGroup,
    filtered,
    phone_groups,
)
from hub.services.mail import letters
from hub.services.phone import call_work
from hub.services.phone.numbers import digits
from hub.services.projects import attachments
from hub.services.tasks import extras as task_extras
from hub.services.tasks import tasks as task_service
from hub.services.tasks.tasks import TaskView

# A search of at least this many digits may be a phone number (matched by its digits).
PHONE_DIGITS = 5
# A card's fingerprint covers every value its form shows (hub.services.common.edits).
CARD_FIELDS: tuple[str, ...] = service.AUDITED


def open_journals(profile: AccessProfile) -> list[int]:
    """The journals in which this user holds any right (and so sees their documents)."""
    return sorted(
        journal
        for journal, rights in profile.journal_rights.items()
        if rights.create or rights.change or rights.delete
    )


def visible_event(session: Session, profile: AccessProfile, event_id: int) -> Event:
    """One event this user may see (every CRM user sees every event); 404 for a missing one."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("not_found", what=f"event {event_id}")
    return event


def list_visible(
    session: Session,
    profile: AccessProfile,
    flt: EventFilter,
    *,
    search: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Event]:
    """One keyset page of the events this user may see, newest first (EVT-1, EVT-2, EVT-5)."""
    query = filtered(session, select(Event), flt)
    if search and search.strip():
        # A number such as 000123 is also a string of digits: either may be meant.
        wanted = digits(search)
        same_number = Event.number == search.strip()
        if wanted and len(wanted) >= PHONE_DIGITS:
            query = query.where(or_(same_number, Event.phone_digits == wanted))
        else:
            query = query.where(same_number)
    keys = [SortKey(Event.starts_at, True), SortKey(Event.id, True)]
    return paginate(session, query, keys, cursor=cursor, limit=limit)


def visible_phone_groups(
    session: Session,
    profile: AccessProfile,
    flt: EventFilter,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[PhoneGroup], str | None]:
    """The events this user may see grouped by phone number (EVT-2), paged by the number."""
    return phone_groups(session, flt, cursor=cursor, limit=limit)


def missed_filter(flt: EventFilter) -> EventFilter:
    """The filter narrowed to missed calls (EVT-2)."""
    return replace(flt, type_codes=MISSED_CALL_TYPES)


@dataclass(frozen=True)
class EventRow:
    """An event with the names a registry row shows."""

    event: Event
    type_code: str
    type_uk: str
    type_en: str
    client_name: str | None
    mail_state: str | None = None
    """An outgoing e-mail's letter in the outbox: queued, sent or failed."""


def names_of(
    session: Session, model: Any, column: Any, ids: Iterable[int | None]
) -> dict[int, str]:
    """The names (``column``) of the records of ``model`` with these ids, by id."""
    wanted = {ident for ident in ids if ident is not None}
    if not wanted:
        return {}
    rows = session.execute(select(model.id, column).where(model.id.in_(wanted)))
    return {row[0]: row[1] for row in rows}


def rows(session: Session, events: Sequence[Event]) -> list[EventRow]:
    """Registry rows: each event with its type's names and its client's name (two queries)."""
    kinds = {
        row[0]: (row[1], row[2], row[3])
        for row in session.execute(
            select(EventType.id, EventType.code, EventType.name_uk, EventType.name_en).where(
                EventType.id.in_({event.type_id for event in events})
            )
        )
    }
    clients = names_of(session, Client, Client.name, (event.client_id for event in events))
    mailed = [e.id for e in events if kinds.get(e.type_id, ("",))[0] == letters.EVENT_TYPE]
    states = letters.letter_states(session, mailed)
    return [
        EventRow(
            event=event,
            type_code=kinds.get(event.type_id, ("", "", ""))[0],
            type_uk=kinds.get(event.type_id, ("", "", ""))[1],
            type_en=kinds.get(event.type_id, ("", "", ""))[2],
            client_name=clients.get(event.client_id) if event.client_id else None,
            mail_state=states.get(event.id),
        )
        for event in events
    ]


@dataclass(frozen=True)
class EventCard:
    """The card (EVT-3) with its documents and attachments (EVT-4) and tasks (EVT-6, EVT-8)."""

    row: EventRow
    contact_name: str | None
    project_name: str | None
    responsible_name: str | None
    documents: list[SettlementDocument]
    attachments: list[Attachment]
    tasks: list[TaskView]
    fingerprint: str
    missed: bool
    history: list[audit.HistoryEntry] = field(default_factory=list)


def user_name(session: Session, user_id: int | None) -> str | None:
    """A user's employee name, or the login when there is no employee record."""
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        return None
    return user.employee.full_name if user.employee else user.username


def card(session: Session, profile: AccessProfile, event_id: int) -> EventCard:
    """Everything the card of one visible event shows."""
    event = visible_event(session, profile, event_id)
    (row,) = rows(session, [event])
    contact = session.get(Contact, event.contact_id) if event.contact_id else None
    project = session.get(Project, event.project_id) if event.project_id else None
    made = session.scalars(select(Task).where(Task.event_id == event.id).order_by(Task.id))
    files = attachments.list_attachments(
        session, kind="event", owner_id=event.id, limit=MAX_LIMIT
    ).items
    return EventCard(
        row=row,
        contact_name=contact.full_name if contact else None,
        project_name=project.name if project else None,
        responsible_name=user_name(session, event.responsible_id),
        documents=service.event_documents(session, event.id),
        attachments=files,
        tasks=task_service.describe(session, list(made)),
        fingerprint=card_fingerprint(event),
        missed=row.type_code in MISSED_CALL_TYPES,
        history=service.event_history(session, event.id),
    )


def card_fingerprint(event: Event) -> str:
    """The fingerprint a card's form carries (hub.services.common.edits)."""
    return fingerprint(event, CARD_FIELDS)


def _with_journal(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    # An event in a project belongs to the project's journal, so the journal's rights apply.
    if values.get("project_id") is not None and values.get("journal_id") is None:
        values["journal_id"] = task_service.project_journal(session, values["project_id"])
    return values


def _project_in_reach(session: Session, profile: AccessProfile, project_id: int | None) -> None:
    if project_id is None or profile.unrestricted:
        return
    journal = task_service.project_journal(session, project_id)
    if journal is not None and journal not in open_journals(profile):
        raise Invalid(
            "event_reference_unknown",
            field="project_id",
            what_uk="проект",
            what_en="project",
            id=project_id,
        )


def new_event(
    session: Session, *, profile: AccessProfile, values: Mapping[str, Any], today: date
) -> Event:
    """Create an event from a form; its project's journal decides the rights (ACC-2)."""
    data = _with_journal(session, dict(values))
    _project_in_reach(session, profile, data.get("project_id"))
    return service.create_event(session, profile=profile, values=data, today=today)


def save_event(
    session: Session,
    *,
    profile: AccessProfile,
    event_id: int,
    changes: Mapping[str, Any],
    shown: str | None,
    today: date | None = None,
) -> Event:
    """Save a card's form unless someone changed the event since it was shown (edit_conflict)."""
    event = visible_event(session, profile, event_id)
    check_unchanged(event, CARD_FIELDS, shown, what=event.number)
    data = dict(changes)
    if data.get("project_id") != event.project_id:
        data["journal_id"] = None
        _project_in_reach(session, profile, data.get("project_id"))
        data = _with_journal(session, data)
    return service.update_event(
        session, profile=profile, event_id=event_id, changes=data, today=today
    )


def delete(session: Session, *, profile: AccessProfile, event_id: int, files: FileStore) -> None:
    """Delete one visible event (its tasks stay, unlinked)."""
    visible_event(session, profile, event_id)
    service.delete_event(session, profile=profile, event_id=event_id, files=files)


def task_from(
    session: Session, *, profile: AccessProfile, event_id: int, today: date, lang: str
) -> Task:
    """A task made from a visible event (EVT-6), with the user as its executor."""
    visible_event(session, profile, event_id)
    return task_extras.task_from_event(
        session,
        profile=profile,
        event_id=event_id,
        name=None,
        executor_ids=[profile.user_id],
        today=today,
        lang=lang,
    )


def callback(
    session: Session,
    *,
    profile: AccessProfile,
    event_id: int,
    today: date,
    now: datetime,
    lang: str,
) -> Task:
    """A callback task for a visible missed call, for the user who takes it (EVT-2, EVT-6)."""
    visible_event(session, profile, event_id)
    return call_work.callback_task(
        session,
        profile=profile,
        event_id=event_id,
        executor_id=profile.user_id,
        today=today,
        now=now,
        lang=lang,
    )


def _all_visible(session: Session, profile: AccessProfile, ids: Sequence[int]) -> None:
    for ident in sorted(set(ids)):
        visible_event(session, profile, ident)


def archive_chosen(
    session: Session, *, profile: AccessProfile, ids: Sequence[int], now: datetime
) -> archive.ArchiveResult:
    """Send the chosen visible events to the archive (EVT-5)."""
    _all_visible(session, profile, ids)
    return archive.archive_events(session, profile=profile, ids=ids, now=now)


def restore_chosen(
    session: Session, *, profile: AccessProfile, ids: Sequence[int]
) -> archive.ArchiveResult:
    """Bring the chosen visible events back from the archive (EVT-5)."""
    _all_visible(session, profile, ids)
    return archive.restore_events(session, profile=profile, ids=ids)


def delete_chosen(
    session: Session, *, profile: AccessProfile, ids: Sequence[int], files: FileStore
) -> archive.ArchiveResult:
    """Delete the chosen visible events from the archive (EVT-5)."""
    _all_visible(session, profile, ids)
    return archive.delete_archived(session, profile=profile, ids=ids, files=files)


def attachment_of_event(
    session: Session, *, profile: AccessProfile, store: FileStore, attachment_id: int
) -> tuple[Attachment, Path]:
    """An attachment of a visible event and the path of its bytes (404 otherwise)."""
    found = session.get(Attachment, attachment_id)
    if found is None or found.event_id is None:
        raise NotFound("not_found", what=f"attachment {attachment_id}")
    visible_event(session, profile, found.event_id)
    return attachments.attachment_file(session, store=store, attachment_id=attachment_id)
