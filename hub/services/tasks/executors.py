"""Executors of tasks (TSK-3) and assigning them to chosen tasks (TSK-12).

An executor's own status needs the task change right only; the prohibition of changing a task's
status (ACC-3) applies to the task's status, so it is checked when the last executor's "done"
also completes the task (``complete_task``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import Task, TaskExecutor
from hub.errors import Conflict, Invalid, NotFound
from hub.services.access.rights import AccessProfile, Action
from hub.services.common import audit
from hub.services.mail.notify import executors_assigned
from hub.services.tasks.tasks import (
    ASSIGNED,
    COMPLETED,
    DONE,
    OVERDUE,
    check_users,
    get_task,
    not_done_executors,
    require_task,
    set_status,
    status_by_code,
    statuses,
    update_task,
)


def _executor(task: Task, user_id: int) -> TaskExecutor:
    for row in task.executors:
        if row.user_id == user_id:
            return row
    raise NotFound("not_found", what=f"executor {user_id} of task {task.id}")


def add_executors(
    session: Session, *, profile: AccessProfile, task_id: int, user_ids: Sequence[int]
) -> Task:
    """Add executors (those already on the task are left as they are)."""
    task = get_task(session, task_id)
    require_task(profile, Action.CHANGE, session, task)
    check_users(session, user_ids, field="user_ids")
    _add(session, task, user_ids, profile.user_id)
    return task


def _add(session: Session, task: Task, user_ids: Sequence[int], by: int) -> None:
    present = {row.user_id for row in task.executors}
    fresh = [uid for uid in dict.fromkeys(user_ids) if uid not in present]
    if not fresh:
        return
    assigned = status_by_code(session, ASSIGNED)
    task.executors.extend(TaskExecutor(user_id=uid, status_id=assigned.id) for uid in fresh)
    session.flush()
    audit.record(
        session,
        entity="task",
        entity_id=task.id,
        action="executors_add",
        user_id=by,
        changes={"user_ids": fresh},
    )
    executors_assigned(session, task=task, user_ids=fresh, by=by, now=utcnow())


def _replace(session: Session, task: Task, user_ids: Sequence[int], by: int) -> None:
    wanted = list(dict.fromkeys(user_ids))
    before = [row.user_id for row in task.executors]
    if before == wanted:
        return
    task.executors = [row for row in task.executors if row.user_id in wanted]
    session.flush()
    audit.record(
        session,
        entity="task",
        entity_id=task.id,
        action="executors_replace",
        user_id=by,
        changes={"user_ids": [before, wanted]},
    )
    _add(session, task, wanted, by)


def remove_executor(
    session: Session, *, profile: AccessProfile, task_id: int, user_id: int
) -> None:
    """Take an executor off a task."""
    task = get_task(session, task_id)
    require_task(profile, Action.CHANGE, session, task)
    task.executors.remove(_executor(task, user_id))
    session.flush()
    audit.record(
        session,
        entity="task",
        entity_id=task.id,
        action="executor_remove",
        user_id=profile.user_id,
        changes={"user_id": user_id},
    )


def update_executor(
    session: Session,
    *,
    profile: AccessProfile,
    task_id: int,
    user_id: int,
    status: str | None = None,
    time_spent_minutes: int | None = None,
    complete_task: bool = False,
    tz: tzinfo,
) -> Task:
    """Change an executor's status or time; ``complete_task`` may complete the task too.

    Without ``complete_task`` the task's status stays as it is: closing a task is the
    controller's decision (TSK-3), so the caller asks for it explicitly.
    """
    task = get_task(session, task_id)
    require_task(profile, Action.CHANGE, session, task)
    row = _executor(task, user_id)
    changes: dict[str, list[object]] = {}
    if time_spent_minutes is not None and time_spent_minutes != row.time_spent_minutes:
        changes["time_spent_minutes"] = [row.time_spent_minutes, time_spent_minutes]
        row.time_spent_minutes = time_spent_minutes
    if status is not None:
        entry = status_by_code(session, status)
        if entry.code == OVERDUE:
            raise Conflict("task_overdue_by_hand")
        if entry.id != row.status_id:
            changes["status_id"] = [row.status_id, entry.id]
            row.status_id = entry.id
            row.done_at = utcnow() if entry.code in COMPLETED else None
    session.flush()
    if changes:
        audit.record(
            session,
            entity="task",
            entity_id=task.id,
            action="executor_change",
            user_id=profile.user_id,
            changes={"user_id": user_id, **changes},
        )
    books = statuses(session)
    if (
        complete_task
        and not not_done_executors(task, books)
        and books[task.status_id].code not in COMPLETED
    ):
        set_status(session, profile=profile, task=task, status=status_by_code(session, DONE), tz=tz)
    return task


MAX_WORK_MINUTES = 24 * 60
"""The most minutes one report of work may add (a visit longer than a day is a typing error)."""


def check_work(minutes: int, percent: int) -> None:
    """422 naming the field unless 0 <= minutes <= MAX_WORK_MINUTES and 0 <= percent <= 100."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise Invalid("task_minutes_invalid", field="time_spent_minutes", max=MAX_WORK_MINUTES)
    if not 0 <= minutes <= MAX_WORK_MINUTES:
        raise Invalid("task_minutes_invalid", field="time_spent_minutes", max=MAX_WORK_MINUTES)
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise Invalid("task_percent_invalid", field="percent_done")


def record_work(
    session: Session,
    *,
    profile: AccessProfile,
    task: Task,
    user_id: int,
    minutes: int,
    percent: int,
    tz: tzinfo,
) -> Task:
    """An executor reports work on a task (a panel's finish, Q-6): ``minutes`` are added to
    their record and the task's time, ``percent`` becomes the task's percent done.

    At 100 % the executor's part is done and the task becomes Done when every executor is
    (TSK-3, the API's ``complete_task``); below 100 % the executor and the task stay open. A
    task without that executor (taken off it meanwhile) only gets the time and the percent.
    """
    check_work(minutes, percent)
    require_task(profile, Action.CHANGE, session, task)
    changes: dict[str, object] = {}
    if minutes:
        changes["time_spent_minutes"] = task.time_spent_minutes + minutes
    if percent != task.percent_done:
        changes["percent_done"] = percent
    if changes:
        update_task(session, profile=profile, task_id=task.id, changes=changes, tz=tz)
    row = next((each for each in task.executors if each.user_id == user_id), None)
    if row is None:
        return task
    return update_executor(
        session,
        profile=profile,
        task_id=task.id,
        user_id=user_id,
        time_spent_minutes=row.time_spent_minutes + minutes,
        status=DONE if percent == 100 else None,
        complete_task=percent == 100,
        tz=tz,
    )


def assign_executors(
    session: Session,
    *,
    profile: AccessProfile,
    task_ids: Sequence[int],
    user_ids: Sequence[int],
    mode: Literal["replace", "add"],
    distribute: bool,
) -> list[Task]:
    """TSK-12: the same executors on every task, or one each round-robin; all or nothing."""
    ids = list(dict.fromkeys(task_ids))
    users = list(dict.fromkeys(user_ids))
    if not users:
        raise Invalid("task_executors_empty", field="user_ids")
    check_users(session, users, field="user_ids")
    found = {task.id: task for task in session.scalars(select(Task).where(Task.id.in_(ids)))}
    missing = [task_id for task_id in ids if task_id not in found]
    if missing:
        raise NotFound("not_found", what=f"task {missing[0]}")
    tasks = [found[task_id] for task_id in ids]
    for task in tasks:
        require_task(profile, Action.CHANGE, session, task)
    for index, task in enumerate(tasks):
        chosen = [users[index % len(users)]] if distribute else users
        if mode == "replace":
            _replace(session, task, chosen, profile.user_id)
        else:
            _add(session, task, chosen, profile.user_id)
    return tasks
