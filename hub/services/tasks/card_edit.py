"""Creating and saving a task from its card at a desk (TSK-2, TSK-3, TSK-8, EVT-6, CLI-3, PRJ-3).

The card's forms carry the task's fingerprint: a save over someone else's change is refused
(``edit_conflict``), never applied. Rights, references, periods, dependencies and status rules
are the task services' own; this module adds what a form needs around them: the contact filled
in from a client that has one, the journal following the project, the successor of a recurring
task reported back, the values a new card starts with, and the choices of its pickers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.db.models import Client, Contact, Employee, Event, Project, Task, TaskTemplate, User
from hub.errors import Invalid
from hub.services.access.rights import AccessProfile, Action
from hub.services.common.edits import check_unchanged
from hub.services.events.events import type_names
from hub.services.tasks.card import visible_task
from hub.services.tasks.tasks import (
    ASSIGNED,
    CARD_FIELDS,
    insert_task,
    later,
    project_journal,
    require_task,
    set_status,
    status_by_code,
    statuses,
    update_task,
)

PICK_LIMIT = 20


@dataclass(frozen=True)
class Saved:
    """A saved task, and the next one when setting it Done made one (TSK-8)."""

    task: Task
    successor: Task | None = None


def _only_contact(session: Session, client_id: int) -> int | None:
    found = list(
        session.scalars(
            select(Contact.id)
            .where(Contact.client_id == client_id, Contact.deleted_at.is_(None))
            .limit(2)
        )
    )
    return found[0] if len(found) == 1 else None


def _fill_contact(session: Session, values: dict[str, Any], *, fill: bool = True) -> None:
    """A contact names its client; a client with one contact gives it (when ``fill``)."""
    client_id, contact_id = values.get("client_id"), values.get("contact_id")
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is not None and client_id is not None and contact.client_id != client_id:
            raise Invalid("event_contact_of_other_client", field="contact_id")
        if contact is not None and client_id is None:
            values["client_id"] = contact.client_id  # the contact names its client
    elif client_id is not None and fill:
        values["contact_id"] = _only_contact(session, client_id)


def new_task(
    session: Session,
    *,
    profile: AccessProfile,
    values: Mapping[str, Any],
    executor_ids: Sequence[int],
    status: str = ASSIGNED,
    today: date,
    event_id: int | None = None,
) -> Task:
    """A task from the card's form: its executors, its event when made from one (EVT-6)."""
    data = dict(values)
    _fill_contact(session, data)
    if data.get("project_id") is not None and data.get("journal_id") is None:
        data["journal_id"] = project_journal(session, data["project_id"])
    if event_id is not None and session.get(Event, event_id) is None:
        event_id = None  # the event was deleted meanwhile: the task stands on its own
    return insert_task(
        session,
        profile=profile,
        values=data,
        executor_ids=executor_ids,
        status=status,
        today=today,
        action="from_event" if event_id is not None else "create",
        event_id=event_id,
    )


def save_task(
    session: Session,
    *,
    profile: AccessProfile,
    task_id: int,
    changes: Mapping[str, Any],
    shown: str | None,
    tz: tzinfo,
) -> Saved:
    """Save a card's form unless the task changed since it was shown; a status among the
    changes is set by the status rules, and a recurring task set Done makes the next one."""
    task = visible_task(session, task_id)
    require_task(profile, Action.CHANGE, session, task)  # a refusal before any conflict
    check_unchanged(task, CARD_FIELDS, shown, what=f"№{task.number}")
    data = dict(changes)
    status_code = data.pop("status", None)
    client_changed = "client_id" in data and data["client_id"] != task.client_id
    if client_changed and data.get("contact_id", task.contact_id) == task.contact_id:
        data["contact_id"] = None  # the old contact belongs to the old client
    if "client_id" in data or "contact_id" in data:
        data = {"client_id": task.client_id, "contact_id": task.contact_id, **data}
        _fill_contact(session, data, fill=client_changed)
    if "project_id" in data and data["project_id"] != task.project_id:
        journal = project_journal(session, data["project_id"]) if data["project_id"] else None
        data["journal_id"] = journal
    task = update_task(session, profile=profile, task_id=task_id, changes=data, tz=tz)
    successor = None
    if status_code is not None:
        entry = status_by_code(session, status_code)
        if entry.id != task.status_id:
            successor = set_status(session, profile=profile, task=task, status=entry, tz=tz)
    return Saved(task, successor)


def status_choices(session: Session) -> list[tuple[str, str, str]]:
    """(code, Ukrainian name, English name) of the statuses a person may set (not "overdue",
    which is derived)."""
    return [
        (entry.code, entry.name_uk, entry.name_en)
        for entry in sorted(statuses(session).values(), key=lambda e: e.id)
        if entry.code != "overdue"
    ]


# ---- what a new card starts with ----------------------------------------------------------------


def from_event(session: Session, *, event_id: int, lang: str) -> dict[str, Any]:
    """A new task's values from an event (EVT-6): its details, named by its type and number."""
    event = session.get(Event, event_id)
    if event is None:
        raise Invalid("task_reference_missing", field="event_id", what=f"event {event_id}")
    names = type_names(session, event.type_id)
    label = (names[0] if lang == "uk" else names[1]) if names else ""
    return {
        "name": f"{label} №{event.number}".strip(),
        "starts_at": event.starts_at,
        "ends_at": event.ends_at or later(event.starts_at, timedelta(hours=1)),
        "event_type_id": event.type_id,
        "client_id": event.client_id,
        "contact_id": event.contact_id,
        "phone": event.phone,
        "fax": event.fax,
        "email": event.email,
        "project_id": event.project_id,
        "responsibility_centre": event.responsibility_centre,
        "content": event.content,
    }


def from_client(session: Session, *, client_id: int) -> dict[str, Any]:
    """A new task's values for a client (CLI-3): the client and its only contact, if one."""
    if session.get(Client, client_id) is None:
        raise Invalid("task_reference_missing", field="client_id", what=f"client {client_id}")
    return {"client_id": client_id, "contact_id": _only_contact(session, client_id)}


def from_project(session: Session, *, project_id: int) -> dict[str, Any]:
    """A new task's values in a project (PRJ-3): the project and its default event type."""
    project = session.get(Project, project_id)
    if project is None:
        raise Invalid("task_reference_missing", field="project_id", what=f"project {project_id}")
    return {"project_id": project.id, "event_type_id": project.default_event_type_id}


# ---- the pickers' choices -----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One choice of a picker."""

    id: int
    label: str
    hint: str = ""


def user_choices(session: Session, q: str = "", limit: int = 500) -> list[Choice]:
    """Active users of the CRM whose name or login holds ``q``, by name (executors, controller,
    the person reminded)."""
    query = (
        select(User)
        .outerjoin(Employee, Employee.id == User.employee_id)
        .where(User.is_active, User.crm_access | User.full_access | User.is_admin)
    )
    needle = q.strip()
    if needle:
        query = query.where(
            or_(
                Employee.full_name.icontains(needle, autoescape=True),
                User.username.icontains(needle, autoescape=True),
            )
        )
    found = session.scalars(query.order_by(Employee.full_name, User.username).limit(limit))
    return [
        Choice(u.id, u.employee.full_name if u.employee else u.username, u.username) for u in found
    ]


def task_choices(session: Session, q: str, *, exclude: int | None = None) -> list[Choice]:
    """Tasks whose number is ``q`` or whose name holds it, newest first (dependencies)."""
    query = select(Task)
    needle = q.strip()
    if needle:
        query = query.where(
            or_(Task.number == needle, Task.name.icontains(needle, autoescape=True))
        )
    if exclude is not None:
        query = query.where(Task.id != exclude)
    found = session.scalars(query.order_by(Task.starts_at.desc(), Task.id.desc()).limit(PICK_LIMIT))
    return [Choice(t.id, f"№{t.number} {t.name}", t.starts_at.date().isoformat()) for t in found]


def template_choices(session: Session, limit: int = 200) -> list[Choice]:
    """Task templates by name (TSK-9)."""
    found = session.scalars(select(TaskTemplate).order_by(TaskTemplate.name).limit(limit))
    return [Choice(t.id, t.name) for t in found]


def client_choices(session: Session, q: str, limit: int = 50) -> list[Choice]:
    """Live clients whose name holds ``q``, by name (multiplying a task, TSK-10)."""
    query = select(Client).where(Client.deleted_at.is_(None))
    if q.strip():
        query = query.where(Client.name_folded.contains(q.strip().casefold(), autoescape=True))
    found = session.scalars(query.order_by(Client.name, Client.id).limit(limit))
    return [Choice(c.id, c.name, c.tax_number or "") for c in found]
