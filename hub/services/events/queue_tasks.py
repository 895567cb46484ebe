"""SET-10 "create a task when a queue event is saved": the task made on saving a queue event.

With the global parameter on, an event of a queue type ("queue", "electronic queue") saved
through the events service, created or changed, becomes a task at once, in the same
transaction, by the same function as the back-office's "task from event" (Ctrl+B, EVT-6), unless
the event already has a task. A queue ticket's own event is left to the queue: Free makes its
task, for the operator who serves the visitor (Q-5), so saving its card never makes a second one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from hub.db.models import Event, Task
from hub.db.models.queue import QueueTicket
from hub.services.access.rights import AccessProfile, person
from hub.services.events.events import EMPLOYEE, type_id
from hub.services.settings.parameters import get_global
from hub.services.tasks.extras import task_from_event

# The system event types of the queue (Q-2; hub/services/settings/seed.py).
QUEUE_TYPES = ("queue", "electronic_queue")


def is_queue_event(session: Session, event: Event) -> bool:
    """Whether the event is of a queue type."""
    return any(event.type_id == type_id(session, code) for code in QUEUE_TYPES)


def _has_task(session: Session, event_id: int) -> bool:
    made = exists().where(Task.event_id == event_id)
    ticket = exists().where(QueueTicket.event_id == event_id)
    return bool(session.scalar(select(or_(made, ticket))))


def task_on_save(
    session: Session, *, profile: AccessProfile, event: Event, today: date
) -> Task | None:
    """The task SET-10 makes from a queue event just saved, or None when it makes none.

    Its executor is the event's responsible employee (the saving user unless chosen otherwise),
    else the saving user. The parameter is the administrator's rule, so the task is made even
    for a user without the right to create tasks (as an automatic no-show closes a task); its
    author is the saving user all the same.
    """
    if not get_global(session).queue_create_task_on_save or not is_queue_event(session, event):
        return None
    if _has_task(session, event.id):
        return None
    executor = profile.user_id
    if event.responsible_type == EMPLOYEE and event.responsible_id is not None:
        executor = event.responsible_id
    who = person(session, profile.user_id)
    return task_from_event(
        session,
        profile=replace(profile, full_access=True),
        event_id=event.id,
        name=None,
        executor_ids=[executor],
        today=today,
        lang=who.lang if who is not None else "uk",
    )
