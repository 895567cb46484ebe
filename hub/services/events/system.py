"""Events the hub makes itself (a call, PH-8; a letter, EVT-7): no author, the user's project
and unit for that channel, numbered and logged as any event."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Event, EventType, Project
from hub.errors import Conflict
from hub.services.common import audit
from hub.services.events.events import AUDITED, CENTRE, EMPLOYEE
from hub.services.settings.numbering import next_number
from hub.services.settings.parameters import get_global


def new_system_event(
    session: Session,
    *,
    code: str,
    user_id: int | None,
    project_id: int | None,
    unit: str | None,
    starts_at: datetime,
    ends_at: datetime | None,
    today: date,
    values: dict[str, Any],
) -> Event:
    """An event of type ``code`` made by the hub for ``user_id`` (responsible), in
    ``project_id`` and, when responsibility centres are used, ``unit``."""
    kind = session.scalar(select(EventType).where(EventType.code == code))
    if kind is None:  # pragma: no cover - the seed restores system types on every start
        raise Conflict("event_type_unknown", type=code)
    project = session.get(Project, project_id) if project_id is not None else None
    responsible: dict[str, Any] = {"responsible_type": EMPLOYEE, "responsible_id": user_id}
    if get_global(session).responsible_person_type == CENTRE and unit:
        responsible = {
            "responsible_type": CENTRE,
            "responsible_id": None,
            "responsibility_centre": unit,
        }
    number = next_number(
        session, doc_type="event", on=today, project_id=project.id if project else None
    )
    event = Event(
        number=number.text,
        type_id=kind.id,
        starts_at=starts_at,
        ends_at=max(ends_at, starts_at) if ends_at is not None else None,
        project_id=project.id if project else None,
        journal_id=project.journal_id if project else None,
        created_by=None,
        **responsible,
        **values,
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        entity="event",
        entity_id=event.id,
        action="create",
        user_id=None,
        changes=audit.snapshot(event, AUDITED),
    )
    return event
