"""Dependencies between tasks (TSK-4): a task starts only after the tasks it depends on end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.db.models import Task, TaskDependency
from hub.errors import Conflict
from hub.services.access.rights import AccessProfile, Action
from hub.services.common import audit
from hub.services.tasks.tasks import get_task, require_task


def _label(task: Task) -> str:
    return f"№{task.number} «{task.name}» (id {task.id})"


def check_dependencies(
    session: Session, *, task_id: int, starts_at: datetime, ends_at: datetime
) -> None:
    """409 naming the blocking task when the period ``[starts_at, ends_at]`` breaks a dependency."""
    earlier = session.scalar(
        select(Task)
        .where(
            Task.id.in_(
                select(TaskDependency.depends_on_id).where(TaskDependency.task_id == task_id)
            ),
            Task.ends_at > starts_at,
        )
        .order_by(Task.ends_at.desc(), Task.id)
        .limit(1)
    )
    if earlier is not None:
        raise Conflict(
            "task_starts_before_dependency",
            blocking=_label(earlier),
            ends_at=earlier.ends_at.isoformat(),
        )
    later = session.scalar(
        select(Task)
        .where(
            Task.id.in_(
                select(TaskDependency.task_id).where(TaskDependency.depends_on_id == task_id)
            ),
            Task.starts_at < ends_at,
        )
        .order_by(Task.starts_at, Task.id)
        .limit(1)
    )
    if later is not None:
        raise Conflict(
            "task_ends_after_dependent",
            blocking=_label(later),
            starts_at=later.starts_at.isoformat(),
        )


def _reaches(session: Session, start: int, target: int) -> bool:
    """Whether ``start`` depends, directly or through a chain of any length, on ``target``."""
    seen = {start}
    frontier = {start}
    while frontier:
        if target in frontier:
            return True
        found = set(
            session.scalars(
                select(TaskDependency.depends_on_id).where(
                    TaskDependency.task_id.in_(list(frontier))
                )
            )
        )
        frontier = found - seen
        seen |= found
    return False


def add_dependency(
    session: Session, *, profile: AccessProfile, task_id: int, depends_on_id: int
) -> Task:
    """Make ``task_id`` depend on ``depends_on_id``; cycles and early starts are refused (409)."""
    task = get_task(session, task_id)
    other = get_task(session, depends_on_id)
    require_task(profile, Action.CHANGE, session, task)
    if task.id == other.id:
        raise Conflict("task_dependency_self")
    if session.get(TaskDependency, (task.id, other.id)) is not None:
        return task
    if _reaches(session, other.id, task.id):
        raise Conflict("task_dependency_cycle", other=_label(other))
    if task.starts_at < other.ends_at:
        raise Conflict(
            "task_starts_before_dependency",
            blocking=_label(other),
            ends_at=other.ends_at.isoformat(),
        )
    session.add(TaskDependency(task_id=task.id, depends_on_id=other.id))
    session.flush()
    audit.record(
        session,
        entity="task",
        entity_id=task.id,
        action="dependency_add",
        user_id=profile.user_id,
        changes={"depends_on_id": other.id},
    )
    return task


def remove_dependency(
    session: Session, *, profile: AccessProfile, task_id: int, depends_on_id: int
) -> None:
    """Remove a dependency (nothing happens if there is none)."""
    task = get_task(session, task_id)
    require_task(profile, Action.CHANGE, session, task)
    gone = session.execute(
        delete(TaskDependency).where(
            TaskDependency.task_id == task_id, TaskDependency.depends_on_id == depends_on_id
        )
    )
    if getattr(gone, "rowcount", 0):
        audit.record(
            session,
            entity="task",
            entity_id=task.id,
            action="dependency_remove",
            user_id=profile.user_id,
            changes={"depends_on_id": depends_on_id},
        )


def dependencies(session: Session, *, task_id: int) -> tuple[list[Task], list[Task]]:
    """The tasks this one depends on, and the tasks that depend on it."""
    get_task(session, task_id)
    before = session.scalars(
        select(Task)
        .join(TaskDependency, TaskDependency.depends_on_id == Task.id)
        .where(TaskDependency.task_id == task_id)
        .order_by(Task.starts_at, Task.id)
    )
    after = session.scalars(
        select(Task)
        .join(TaskDependency, TaskDependency.task_id == Task.id)
        .where(TaskDependency.depends_on_id == task_id)
        .order_by(Task.starts_at, Task.id)
    )
    return list(before), list(after)
