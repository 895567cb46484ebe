"""The change log of tasks and events (SET-11, TSK-5): written only while the switch is on.

Read back, each record's changes may be shown split by history group (SET-2): a group names
the fields whose changes are shown together under its name ("Terms": start, end; "Status":
status, executors), in the groups' order; a field goes to the first group listing it, and the
rest to "Other". With no groups defined a record is one list of changes, as it always was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.base import insert_row, utcnow
from hub.db.models import AuditRecord, HistoryGroup
from hub.db.refcache import cached
from hub.services.settings.parameters import get_global

OTHER_UK, OTHER_EN = "Інше", "Other"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value changed."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in after
        if before.get(key) != after.get(key)
    }


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The current values of ``fields`` of a table row, for ``diff``."""
    return {field: getattr(row, field) for field in fields}


def record(
    session: Session,
    *,
    entity: str,
    entity_id: int,
    action: str,
    user_id: int | None,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """Write one audit record, unless the audit switch is off."""
    if not get_global(session).audit_tasks_events:
        return
    insert_row(
        session,
        AuditRecord,
        entity=entity,
        entity_id=entity_id,
        action=action,
        user_id=user_id,
        at=utcnow(),
        changes={key: _plain(value) for key, value in (changes or {}).items()} or None,
    )


def history(session: Session, *, entity: str, entity_id: int) -> list[AuditRecord]:
    """The audit records of one task or event, oldest first."""
    query = (
        select(AuditRecord)
        .where(AuditRecord.entity == entity, AuditRecord.entity_id == entity_id)
        .order_by(AuditRecord.id)
    )
    return list(session.scalars(query))


class GroupOfFields(NamedTuple):
    """A history group as the log reads it: its names and the fields it gathers."""

    code: str
    name_uk: str
    name_en: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ChangeGroup:
    """The changes of one record that fall in one history group (``code`` None: "Other")."""

    code: str | None
    name_uk: str
    name_en: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class HistoryEntry:
    """One audit record with its changes split by history group (none when no group is
    defined, or the record has no changes)."""

    id: int
    entity: str
    entity_id: int
    action: str
    user_id: int | None
    at: datetime
    changes: dict[str, Any] | None
    groups: list[ChangeGroup]


_GROUPS = select(HistoryGroup.code, HistoryGroup.name_uk, HistoryGroup.name_en, HistoryGroup.fields)


def history_groups(session: Session) -> tuple[GroupOfFields, ...]:
    """The history groups in their order (kept in ``hub.db.refcache``)."""
    return cached(session, "history_groups_fields", _load_groups)


def _load_groups(session: Session) -> tuple[GroupOfFields, ...]:
    query = _GROUPS.order_by(HistoryGroup.sort_order, HistoryGroup.id)
    return tuple(
        GroupOfFields(code, name_uk, name_en, tuple(fields or ()))
        for code, name_uk, name_en, fields in session.execute(query)
    )


def split_changes(
    changes: Mapping[str, Any] | None, groups: Sequence[GroupOfFields]
) -> list[ChangeGroup]:
    """A record's changes by group, in the groups' order, each field in the first group listing
    it (in that group's order of fields), the rest under "Other"; empty groups are left out,
    and with no groups at all there is nothing to split."""
    if not groups or not changes:
        return []
    taken: set[str] = set()
    parts: list[ChangeGroup] = []
    for group in groups:
        mine = {name: changes[name] for name in group.fields if name in changes}
        mine = {name: value for name, value in mine.items() if name not in taken}
        taken.update(mine)
        if mine:
            parts.append(ChangeGroup(group.code, group.name_uk, group.name_en, mine))
    rest = {name: value for name, value in changes.items() if name not in taken}
    if rest:
        parts.append(ChangeGroup(None, OTHER_UK, OTHER_EN, rest))
    return parts


def grouped_history(session: Session, *, entity: str, entity_id: int) -> list[HistoryEntry]:
    """The audit records of one task or event, oldest first, each split by history group."""
    groups = history_groups(session)
    return [
        HistoryEntry(
            id=row.id,
            entity=row.entity,
            entity_id=row.entity_id,
            action=row.action,
            user_id=row.user_id,
            at=row.at,
            changes=row.changes,
            groups=split_changes(row.changes, groups),
        )
        for row in history(session, entity=entity, entity_id=entity_id)
    ]
