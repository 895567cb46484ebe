"""Reminders (TSK-7), templates (TSK-9) and a task made from an event (EVT-6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Event, Task, TaskReminder, TaskTemplate
from hub.errors import Conflict, NotFound
from hub.services.access.rights import AccessProfile, Action, DocType, require
from hub.services.common import audit
from hub.services.common.paging import Page, SortKey, paginate
from hub.services.events.events import type_names
from hub.services.tasks.bulk import task_values
from hub.services.tasks.tasks import check_users, get_task, insert_task, later, require_task

# The template keeps the card without its period; the length is kept in minutes.
_TEMPLATE_SKIP = ("starts_at", "ends_at", "percent_done", "time_spent_minutes")


# ---- reminders (TSK-7): stored with time and channel; delivery is a later stage ----


def _reminder(session: Session, task_id: int, reminder_id: int) -> TaskReminder:
    row = session.get(TaskReminder, reminder_id)
    if row is None or row.task_id != task_id:
        raise NotFound("not_found", what=f"reminder {reminder_id}")
    return row


def add_reminder(
    session: Session,
    *,
    profile: AccessProfile,
    task_id: int,
    user_id: int,
    remind_at: datetime,
    channel: str,
    text: str | None,
) -> TaskReminder:
    """Store a reminder of a task for a user."""
    task = get_task(session, task_id)
    require_task(profile, Action.CHANGE, session, task)
    check_users(session, [user_id], field="user_id")
    row = TaskReminder(
        task_id=task.id, user_id=user_id, remind_at=remind_at, channel=channel, text=text
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        entity="task",
        entity_id=task.id,
        action="reminder_add",
        user_id=profile.user_id,
        changes={"reminder_id": row.id, "user_id": user_id, "remind_at": remind_at},
    )
    return row


def list_reminders(session: Session, *, task_id: int) -> list[TaskReminder]:
    """The reminders of a task by time (a task has a handful)."""
    get_task(session, task_id)
    query = (
        select(TaskReminder)
        .where(TaskReminder.task_id == task_id)
        .order_by(TaskReminder.remind_at, TaskReminder.id)
        .limit(500)
    )
    return list(session.scalars(query))


def delete_reminder(
    session: Session, *, profile: AccessProfile, task_id: int, reminder_id: int
) -> None:
    """Delete a reminder."""
    task = get_task(session, task_id)
    require_task(profile, Action.CHANGE, session, task)
    session.delete(_reminder(session, task_id, reminder_id))
    session.flush()
    audit.record(
        session,
        entity="task",
        entity_id=task.id,
        action="reminder_delete",
        user_id=profile.user_id,
        changes={"reminder_id": reminder_id},
    )


def repeat_reminder(
    session: Session,
    *,
    profile: AccessProfile,
    task_id: int,
    reminder_id: int,
    remind_at: datetime,
) -> TaskReminder:
    """A new reminder copied from an existing one with a new time."""
    source = _reminder(session, task_id, reminder_id)
    return add_reminder(
        session,
        profile=profile,
        task_id=task_id,
        user_id=source.user_id,
        remind_at=remind_at,
        channel=source.channel,
        text=source.text,
    )


# ---- templates (TSK-9) ----


def save_template(
    session: Session, *, profile: AccessProfile, task_id: int, name: str
) -> TaskTemplate:
    """Save a task's details and executors as a named template."""
    require(profile, Action.CREATE, DocType.TASK)
    task = get_task(session, task_id)
    details = {key: value for key, value in task_values(task).items() if key not in _TEMPLATE_SKIP}
    details["duration_minutes"] = int((task.ends_at - task.starts_at).total_seconds() // 60)
    row = TaskTemplate(
        name=name,
        details=details,
        executor_ids=[executor.user_id for executor in task.executors],
        created_by=profile.user_id,
    )
    if session.scalar(select(TaskTemplate.id).where(TaskTemplate.name == name)) is not None:
        raise Conflict("task_template_duplicate", name=name)
    session.add(row)
    session.flush()
    return row


def list_templates(
    session: Session, *, cursor: str | None = None, limit: int = 50
) -> Page[TaskTemplate]:
    """Templates by name."""
    return paginate(
        session,
        select(TaskTemplate),
        [SortKey(TaskTemplate.name), SortKey(TaskTemplate.id)],
        cursor=cursor,
        limit=limit,
    )


def get_template(session: Session, template_id: int) -> TaskTemplate:
    """One template; NotFound if there is none."""
    row = session.get(TaskTemplate, template_id)
    if row is None:
        raise NotFound("not_found", what=f"task template {template_id}")
    return row


def delete_template(session: Session, *, profile: AccessProfile, template_id: int) -> None:
    """Delete a template."""
    require(profile, Action.DELETE, DocType.TASK)
    session.delete(get_template(session, template_id))
    session.flush()


def task_from_template(
    session: Session,
    *,
    profile: AccessProfile,
    template_id: int,
    starts_at: datetime,
    ends_at: datetime | None,
    overrides: Mapping[str, Any],
    today: date,
) -> Task:
    """A new task from a template, starting at ``starts_at``."""
    template = get_template(session, template_id)
    values = {key: value for key, value in template.details.items() if key != "duration_minutes"}
    duration = timedelta(minutes=int(template.details.get("duration_minutes", 60)))
    values.update(overrides)
    values["starts_at"] = starts_at
    values["ends_at"] = ends_at or later(starts_at, duration)
    return insert_task(
        session,
        profile=profile,
        values=values,
        executor_ids=list(template.executor_ids),
        today=today,
        action="from_template",
    )


# ---- EVT-6: a task from an event ----


def task_from_event(
    session: Session,
    *,
    profile: AccessProfile,
    event_id: int,
    name: str | None,
    executor_ids: Sequence[int],
    today: date,
    lang: str,
) -> Task:
    """A task inheriting the event's details and linked to it (task.event_id)."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("not_found", what=f"event {event_id}")
    if name is None:
        names = type_names(session, event.type_id)
        label = (names[0] if lang == "uk" else names[1]) if names else ""
        name = f"{label} №{event.number}".strip()
    values: dict[str, Any] = {
        "name": name,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at or later(event.starts_at, timedelta(hours=1)),
        "event_type_id": event.type_id,
        "client_id": event.client_id,
        "contact_id": event.contact_id,
        "phone": event.phone,
        "fax": event.fax,
        "email": event.email,
        "project_id": event.project_id,
        "journal_id": event.journal_id,
        "content": event.content,
        "responsibility_centre": event.responsibility_centre,
    }
    task = insert_task(
        session,
        profile=profile,
        values=values,
        executor_ids=executor_ids,
        today=today,
        action="from_event",
        event_id=event.id,
    )
    return task
