"""Reference books (event types, task and user statuses, history groups, journals).

Every book follows one pattern: entries with a stable code, Ukrainian and English names and a
``system`` flag. System entries are seeded by Cherga and cannot be deleted or renamed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.models import EventType, HistoryGroup, Journal, TaskField, TaskStatus, UserStatus
from hub.errors import Conflict, NotFound
from hub.services.access.rights import SettingsTab
from hub.services.settings import history

PROTECTED_FIELDS = ("code", "name_uk", "name_en")

# The table models of the books.
ReferenceModel = EventType | HistoryGroup | TaskStatus | UserStatus | Journal | TaskField


@dataclass(frozen=True)
class ReferenceKind:
    """One reference book: its table, its settings tab and its extra columns."""

    slug: str
    model: type[ReferenceModel]
    tab: SettingsTab
    label_uk: str
    label_en: str
    extra_fields: tuple[str, ...] = ()


REFERENCE_KINDS: dict[str, ReferenceKind] = {
    kind.slug: kind
    for kind in (
        ReferenceKind(
            "event-types", EventType, SettingsTab.EVENT_TYPES, "Типи подій", "Event types"
        ),
        ReferenceKind(
            "history-groups",
            HistoryGroup,
            SettingsTab.HISTORY_GROUPS,
            "Групи історій",
            "History groups",
            ("fields",),
        ),
        ReferenceKind(
            "task-statuses",
            TaskStatus,
            SettingsTab.TASK_STATUSES,
            "Статуси задач",
            "Task statuses",
            ("color",),
        ),
        ReferenceKind(
            "user-statuses",
            UserStatus,
            SettingsTab.USER_STATUSES,
            "Статуси користувачів",
            "User statuses",
            ("color",),
        ),
        ReferenceKind("journals", Journal, SettingsTab.JOURNALS, "Журнали", "Journals"),
        ReferenceKind(
            "task-fields",
            TaskField,
            SettingsTab.TASK_FIELDS,
            "Додаткові поля задач",
            "Task fields",
            ("value_type",),
        ),
    )
}


def list_entries(session: Session, kind: ReferenceKind, *, system: bool | None = None) -> list[Any]:
    """Entries of a book in display order; ``system`` filters system or user-defined ones."""
    query = select(kind.model).order_by(kind.model.sort_order, kind.model.id)
    if system is not None:
        query = query.where(kind.model.system.is_(system))
    return list(session.scalars(query))


def get_entry(session: Session, kind: ReferenceKind, entry_id: int) -> Any:
    """One entry, or NotFound."""
    entry = session.get(kind.model, entry_id)
    if entry is None:
        raise NotFound("not_found", what=f"{kind.slug} {entry_id}")
    return entry


def find_by_code(session: Session, kind: ReferenceKind, code: str) -> Any | None:
    """The entry with ``code``, if any."""
    return session.scalar(select(kind.model).where(kind.model.code == code))


def _names(entry: Any) -> dict[str, str]:
    """Parameters naming an entry in both languages, for messages."""
    return {"name_uk": entry.name_uk, "name_en": entry.name_en}


def _flush(session: Session, code: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("duplicate_code", code=code) from None


def _checked(kind: ReferenceKind, data: Mapping[str, Any]) -> dict[str, Any]:
    """The values with a history group's fields checked against the change log's (SET-2)."""
    values = dict(data)
    if "fields" in kind.extra_fields and "fields" in values:
        values["fields"] = history.check_fields(values["fields"])
    return values


def create_entry(session: Session, kind: ReferenceKind, data: Mapping[str, Any]) -> Any:
    """Add a user-defined entry."""
    data = _checked(kind, data)
    if find_by_code(session, kind, data["code"]) is not None:
        raise Conflict("duplicate_code", code=data["code"])
    entry = kind.model(**{**data, "system": False})
    session.add(entry)
    _flush(session, data["code"])
    return entry


def update_entry(
    session: Session, kind: ReferenceKind, entry_id: int, changes: Mapping[str, Any]
) -> Any:
    """Change an entry; a system entry keeps its code and names."""
    changes = _checked(kind, changes)
    entry = get_entry(session, kind, entry_id)
    if entry.system and any(
        field in changes and changes[field] != getattr(entry, field) for field in PROTECTED_FIELDS
    ):
        raise Conflict("system_entry_rename", **_names(entry))
    new_code = changes.get("code")
    if new_code and new_code != entry.code and find_by_code(session, kind, new_code) is not None:
        raise Conflict("duplicate_code", code=new_code)
    for field, value in changes.items():
        setattr(entry, field, value)
    _flush(session, entry.code)
    return entry


def delete_entry(session: Session, kind: ReferenceKind, entry_id: int) -> None:
    """Delete a user-defined entry that nothing uses."""
    entry = get_entry(session, kind, entry_id)
    if entry.system:
        raise Conflict("system_entry_delete", **_names(entry))
    try:
        with session.begin_nested():
            session.delete(entry)
            session.flush()
    except IntegrityError:
        raise Conflict("entry_in_use", **_names(entry)) from None
