"""The change log of tasks and events (SET-11, TSK-5): written only while the switch is on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.base import insert_row, utcnow
from hub.db.models import AuditRecord
from hub.services.settings.parameters import get_global


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
