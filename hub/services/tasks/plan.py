"""The plan-schedule of tasks (PRJ-5, the registry's Gantt view of TSK-1).

The filtered tasks with their periods, progress and status colours (TSK-14), and the dependencies
between the tasks shown (TSK-4), read as plain columns in two queries: a chart of thousands of
tasks costs no ORM objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Task, TaskDependency
from hub.services.tasks.registry import TaskFilter, filtered
from hub.services.tasks.tasks import (
    COMPLETED,
    DEFAULT_COLORS,
    OVERDUE,
    StatusEntry,
    statuses,
)

# A chart shows at most this many tasks; ``truncated`` says when the filter found more.
PLAN_LIMIT = 5000


@dataclass(frozen=True)
class PlanTask:
    """One bar: a task's period, progress and how its status is shown."""

    id: int
    number: str
    name: str
    starts_at: datetime
    ends_at: datetime
    percent_done: int
    status: StatusEntry
    overdue: bool
    color: str | None
    journal_id: int | None


@dataclass(frozen=True)
class TaskPlan:
    """The tasks of a chart by start, and ``(task, depends_on)`` pairs among them."""

    tasks: list[PlanTask]
    dependencies: list[tuple[int, int]]
    truncated: bool


def status_look(
    books: Mapping[int, StatusEntry], status_id: int, ends_at: datetime, now: datetime
) -> tuple[StatusEntry, bool, str | None]:
    """A task's status, whether it is overdue (TSK-14: past its end, neither done nor accepted)
    and the colour it is shown in (the overdue status's when overdue), as ``describe`` does."""
    status = books[status_id]
    overdue = ends_at < now and status.code not in COMPLETED
    shown = status
    if overdue:
        shown = next((entry for entry in books.values() if entry.code == OVERDUE), status)
    return status, overdue, shown.color or DEFAULT_COLORS.get(OVERDUE if overdue else status.code)


def task_plan(
    session: Session, *, flt: TaskFilter, now: datetime, limit: int = PLAN_LIMIT
) -> TaskPlan:
    """The filtered tasks as a plan (at most ``limit``, by start), with their dependencies."""
    books = statuses(session)
    columns = select(
        Task.id,
        Task.number,
        Task.name,
        Task.starts_at,
        Task.ends_at,
        Task.percent_done,
        Task.status_id,
        Task.journal_id,
    )
    found = session.execute(
        filtered(session, columns, flt).order_by(Task.starts_at, Task.id).limit(limit + 1)
    ).all()
    truncated = len(found) > limit
    tasks = []
    for row in found[:limit]:
        status, overdue, color = status_look(books, row.status_id, row.ends_at, now)
        tasks.append(
            PlanTask(
                id=row.id,
                number=row.number,
                name=row.name,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                percent_done=row.percent_done,
                status=status,
                overdue=overdue,
                color=color,
                journal_id=row.journal_id,
            )
        )
    shown_ids = {task.id for task in tasks}
    pairs = session.execute(
        select(TaskDependency.task_id, TaskDependency.depends_on_id)
        .where(TaskDependency.task_id.in_(filtered(session, select(Task.id), flt)))
        .order_by(TaskDependency.task_id, TaskDependency.depends_on_id)
    )
    dependencies = [
        (task_id, other) for task_id, other in pairs if task_id in shown_ids and other in shown_ids
    ]
    return TaskPlan(tasks=tasks, dependencies=dependencies, truncated=truncated)
