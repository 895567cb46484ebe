"""A user's own work on the first page after login (WEB-3, TSK-3, TSK-7, TSK-14).

Open tasks: the tasks where the user is an executor and their own executor status is neither
done nor accepted (TSK-3: each executor has their own status), overdue first, then by end. An
open task is overdue exactly when its end has passed, so ordering by the end puts the overdue
ones first.

Due reminders: a reminder is addressed to one user (``TaskReminder.user_id``, chosen on the
task card; the manual gives them to the task's executors), so a user sees the reminders
addressed to them, whatever their part in the task, once their time has come, unless they
dismissed them. A reminder sent only by e-mail is not shown in the system (SET-8). Only the
user a reminder is addressed to may dismiss it or ask for it again later; that needs no right
to change the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Task, TaskExecutor, TaskReminder
from hub.errors import Invalid, NotFound
from hub.services.common import audit
from hub.services.tasks.plan import status_look
from hub.services.tasks.tasks import COMPLETED, StatusEntry, statuses

# The home page shows this many open tasks; the rest are in the registry.
TASK_LIMIT = 10
# ... and this many due reminders (the oldest first).
REMINDER_LIMIT = 50
# "Remind again in 10 min / 1 h"; any wait up to a day is accepted from the API's callers.
SNOOZE_CHOICES = (10, 60)
LONGEST_SNOOZE = 24 * 60
# The channels a reminder reaches the system in (an "email" one goes by e-mail only).
SYSTEM_CHANNELS = ("system", "email_and_system")


@dataclass(frozen=True)
class MyTask:
    """An open task of the user: their own status, whether it is overdue, its colour."""

    id: int
    number: str
    name: str
    ends_at: datetime
    status: StatusEntry
    overdue: bool
    color: str | None


@dataclass(frozen=True)
class MyTasks:
    """The first open tasks of the user; ``more`` when the registry holds more."""

    tasks: list[MyTask]
    more: bool


@dataclass(frozen=True)
class DueReminder:
    """A reminder whose time has come, with its task."""

    id: int
    task_id: int
    task_number: str
    task_name: str
    remind_at: datetime
    text: str | None


def open_tasks(
    session: Session, *, user_id: int, now: datetime, limit: int = TASK_LIMIT
) -> MyTasks:
    """The user's open tasks as an executor, overdue first, then by end."""
    books = statuses(session)
    finished = [entry.id for entry in books.values() if entry.code in COMPLETED]
    query = (
        select(Task.id, Task.number, Task.name, Task.ends_at, TaskExecutor.status_id)
        .join(TaskExecutor, TaskExecutor.task_id == Task.id)
        .where(TaskExecutor.user_id == user_id, TaskExecutor.status_id.not_in(finished))
        .order_by(Task.ends_at, Task.id)
        .limit(limit + 1)
    )
    found = session.execute(query).all()
    tasks = []
    for row in found[:limit]:
        status, overdue, color = status_look(books, row.status_id, row.ends_at, now)
        tasks.append(MyTask(row.id, row.number, row.name, row.ends_at, status, overdue, color))
    return MyTasks(tasks=tasks, more=len(found) > limit)


def due_reminders(
    session: Session, *, user_id: int, now: datetime, limit: int = REMINDER_LIMIT
) -> list[DueReminder]:
    """The reminders addressed to the user whose time has come and which are not dismissed."""
    query = (
        select(
            TaskReminder.id,
            TaskReminder.task_id,
            Task.number,
            Task.name,
            TaskReminder.remind_at,
            TaskReminder.text,
        )
        .join(Task, Task.id == TaskReminder.task_id)
        .where(
            TaskReminder.user_id == user_id,
            TaskReminder.remind_at <= now,
            TaskReminder.dismissed_at.is_(None),
            TaskReminder.channel.in_(SYSTEM_CHANNELS),
        )
        .order_by(TaskReminder.remind_at, TaskReminder.id)
        .limit(limit)
    )
    return [DueReminder(*row) for row in session.execute(query)]


def _own(session: Session, user_id: int, reminder_id: int) -> TaskReminder:
    row = session.get(TaskReminder, reminder_id)
    # Another user's reminder is not theirs to see: it is "not found", as a missing one.
    if row is None or row.user_id != user_id:
        raise NotFound("not_found", what=f"reminder {reminder_id}")
    return row


def dismiss_reminder(
    session: Session, *, user_id: int, reminder_id: int, now: datetime
) -> TaskReminder:
    """Put away one's own reminder (the manual's "Delete reminder"); it stays on the card."""
    row = _own(session, user_id, reminder_id)
    if row.dismissed_at is None:
        row.dismissed_at = now
        session.flush()
        audit.record(
            session,
            entity="task",
            entity_id=row.task_id,
            action="reminder_dismiss",
            user_id=user_id,
            changes={"reminder_id": row.id},
        )
    return row


def snooze_reminder(
    session: Session, *, user_id: int, reminder_id: int, now: datetime, minutes: int
) -> TaskReminder:
    """Remind one again ``minutes`` from now (the manual's "Repeat reminder")."""
    if not 1 <= minutes <= LONGEST_SNOOZE:
        raise Invalid("task_reminder_wait", field="minutes", most=LONGEST_SNOOZE)
    row = _own(session, user_id, reminder_id)
    row.remind_at = now + timedelta(minutes=minutes)
    row.dismissed_at = None
    # Due again: an e-mail reminder is sent again at the new time (hub.services.mail.notify).
    row.sent_at = None
    session.flush()
    audit.record(
        session,
        entity="task",
        entity_id=row.task_id,
        action="reminder_snooze",
        user_id=user_id,
        changes={"reminder_id": row.id, "remind_at": row.remind_at},
    )
    return row
