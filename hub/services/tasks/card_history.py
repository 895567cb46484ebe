"""A task's history as its card shows it (TSK-5): newest first, names instead of ids, moments
at the site, and the changes split by history group (SET-2) when groups are defined."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import (
    Client,
    Contact,
    EventType,
    Journal,
    Project,
    SettlementDocument,
    Task,
    User,
)
from hub.services.common import audit
from hub.services.tasks import tasks
from hub.services.tasks.tasks import StatusEntry, statuses

# History values that are ids of other records, shown by their names.
_USER_KEYS = ("user_id", "controller_id", "author_id", "user_ids", "executors")


@dataclass(frozen=True)
class Change:
    """One changed value of a history record: the field and its old and new value, as shown."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class ChangeGroup:
    """The changes of a history record in one history group (SET-2); no name: "Other"."""

    name_uk: str
    name_en: str
    changes: list[Change]


@dataclass(frozen=True)
class HistoryRow:
    """One history record (TSK-5) with its author's name and changes ready to show, split by
    history group when groups are defined."""

    at: datetime
    action: str
    user_name: str
    changes: list[Change]
    groups: list[ChangeGroup]


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Users' employee names (or logins), by id."""
    wanted = {ident for ident in ids if ident is not None}
    if not wanted:
        return {}
    found = session.scalars(select(User).where(User.id.in_(wanted)))
    return {u.id: u.employee.full_name if u.employee else u.username for u in found}


def history_rows(session: Session, task_id: int, lang: str, tz: tzinfo) -> list[HistoryRow]:
    """TSK-5: the task's history, newest first, with names instead of ids where known and
    moments at the site."""
    records = tasks.task_history(session, task_id=task_id)
    reader = _Reader.of(session, records, lang, tz)
    return [
        HistoryRow(
            at=record.at,
            action=record.action,
            user_name=reader.people.get(record.user_id or 0, ""),
            changes=reader.changes(record.changes),
            groups=[
                ChangeGroup(g.name_uk, g.name_en, reader.changes(g.changes)) for g in record.groups
            ],
        )
        for record in reversed(records)
    ]


def _ints(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [n for item in value for n in _ints(item)]
    return []


def _referenced(lang: str) -> dict[str, tuple[Any, Any]]:
    """History fields whose values are ids of other records: the model and the name shown."""
    suffix = "uk" if lang == "uk" else "en"
    return {
        "client_id": (Client, Client.name),
        "contact_id": (Contact, Contact.full_name),
        "project_id": (Project, Project.name),
        "event_type_id": (EventType, getattr(EventType, f"name_{suffix}")),
        "journal_id": (Journal, getattr(Journal, f"name_{suffix}")),
        "depends_on_id": (Task, Task.number),
        "document_id": (SettlementDocument, SettlementDocument.number),
    }


@dataclass(frozen=True)
class _Reader:
    """How the history shows logged values: names for ids, statuses, moments at the site."""

    people: dict[int, str]
    names: dict[str, dict[int, str]]
    books: dict[int, StatusEntry]
    lang: str
    tz: tzinfo

    @classmethod
    def of(
        cls, session: Session, records: Sequence[audit.HistoryEntry], lang: str, tz: tzinfo
    ) -> _Reader:
        wanted: dict[str, set[int]] = {}
        for record in records:
            if record.user_id is not None:
                wanted.setdefault("user", set()).add(record.user_id)
            for key, value in (record.changes or {}).items():
                kind = "user" if key in _USER_KEYS else key
                wanted.setdefault(kind, set()).update(_ints(value))
        names = {
            key: _names(session, model, column, wanted.get(key, set()))
            for key, (model, column) in _referenced(lang).items()
        }
        people = user_names(session, wanted.get("user", set()))
        return cls(people, names, statuses(session), lang, tz)

    def changes(self, logged: dict[str, Any] | None) -> list[Change]:
        """The logged changes ready to show."""
        found = []
        for key, value in (logged or {}).items():
            if _is_pair(key, value):
                old, new = value
                before = "" if old is None else self.shown(key, old)
                found.append(Change(key, before, self.shown(key, new)))
            else:
                found.append(Change(key, "", self.shown(key, value)))
        return found

    def shown(self, key: str, value: Any) -> str:
        """One logged value as words."""
        if value is None or value == "":
            return "—"
        if isinstance(value, list):
            return ", ".join(self.shown(key, item) for item in value) or "—"
        if isinstance(value, bool):
            return "✓" if value else "✗"
        if isinstance(value, int) and key in _USER_KEYS:
            return self.people.get(value, str(value))
        if isinstance(value, int) and key in self.names:
            return self.names[key].get(value, str(value))
        if isinstance(value, int) and key in ("status_id", "executors_status_id"):
            entry = self.books.get(value)
            return (
                str(value)
                if entry is None
                else entry.name_uk
                if self.lang == "uk"
                else entry.name_en
            )
        if isinstance(value, dict):
            return ", ".join(f"{k}: {self.shown(k, v)}" for k, v in value.items()) or "—"
        if isinstance(value, str) and "T" in value:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value
            if moment.tzinfo is not None:
                return moment.astimezone(self.tz).strftime("%d.%m.%Y %H:%M")
        return str(value)


def _names(session: Session, model: Any, column: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(model.id, column).where(model.id.in_(ids)))
    return {row[0]: str(row[1]) for row in rows}


def _is_pair(key: str, value: Any) -> bool:
    """Whether a logged value is ``[old, new]`` (added executors are a plain list of ids)."""
    if not (isinstance(value, list) and len(value) == 2):
        return False
    return key != "user_ids" or all(isinstance(part, list) for part in value)
