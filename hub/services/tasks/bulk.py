"""Operations on several tasks: copy and multiply (TSK-10), group status change (TSK-11).

Each runs in the caller's transaction and checks everything before changing anything, so a
refusal leaves every task as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Client, Task
from hub.errors import Conflict, Invalid, NotFound
from hub.i18n import translate
from hub.services.access.rights import AccessProfile, Action, require_task_status_change
from hub.services.tasks.tasks import (
    CARD_FIELDS,
    COMPLETED,
    OVERDUE,
    get_task,
    insert_task,
    later,
    not_done_executors,
    require_task,
    set_status,
    status_by_code,
    statuses,
)


def task_values(task: Task) -> dict[str, Any]:
    """The card of a task as values for a new one (status, progress and time left out)."""
    values = {key: getattr(task, key) for key in CARD_FIELDS if key != "status_id"}
    values["percent_done"] = 0
    values["time_spent_minutes"] = 0
    values["custom_fields"] = dict(task.custom_fields or {})
    return values


def copy_task(
    session: Session,
    *,
    profile: AccessProfile,
    task_id: int,
    today: date,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Task:
    """A new task with the same card and executors (fresh statuses); the period may move."""
    source = get_task(session, task_id)
    values = task_values(source)
    if starts_at is not None:
        values["starts_at"] = starts_at
        values["ends_at"] = ends_at or later(starts_at, source.ends_at - source.starts_at)
    elif ends_at is not None:
        values["ends_at"] = ends_at
    values.update(overrides or {})
    return insert_task(
        session,
        profile=profile,
        values=values,
        executor_ids=[row.user_id for row in source.executors],
        today=today,
        action="copy",
    )


def multiply_task(
    session: Session,
    *,
    profile: AccessProfile,
    task_id: int,
    client_ids: Sequence[int],
    today: date,
) -> list[Task]:
    """One copy of the task per client (contact cleared); all or nothing."""
    ids = list(dict.fromkeys(client_ids))
    if not ids:
        raise Invalid("task_clients_empty", field="client_ids")
    found = set(session.scalars(select(Client.id).where(Client.id.in_(ids))))
    missing = [client_id for client_id in ids if client_id not in found]
    if missing:
        raise Invalid("task_reference_missing", field="client_ids", what=f"client {missing[0]}")
    get_task(session, task_id)
    return [
        copy_task(
            session,
            profile=profile,
            task_id=task_id,
            today=today,
            overrides={"client_id": client_id, "contact_id": None},
        )
        for client_id in ids
    ]


def _reasons(refused: list[tuple[int, str, dict[str, Any]]], lang: str) -> str:
    return "; ".join(
        f"id {task_id}: {translate(code, lang, **params)}" for task_id, code, params in refused
    )


def change_status_of_tasks(
    session: Session,
    *,
    profile: AccessProfile,
    task_ids: Sequence[int],
    status: str,
    with_executors: bool,
    tz: tzinfo,
) -> list[Task]:
    """TSK-11: set one status on the chosen tasks (and their executors); all or nothing.

    When a task is refused none changes, and the 409 lists every refused id with its reason.
    """
    require_task_status_change(profile)
    entry = status_by_code(session, status)
    if entry.code == OVERDUE:
        raise Conflict("task_overdue_by_hand")
    ids = list(dict.fromkeys(task_ids))
    found = {task.id: task for task in session.scalars(select(Task).where(Task.id.in_(ids)))}
    missing = [task_id for task_id in ids if task_id not in found]
    if missing:
        raise NotFound("not_found", what=f"task {missing[0]}")
    tasks = [found[task_id] for task_id in ids]
    for task in tasks:
        require_task(profile, Action.CHANGE, session, task)
    books = statuses(session)
    refused: list[tuple[int, str, dict[str, Any]]] = []
    if entry.code in COMPLETED and not with_executors:
        for task in tasks:
            pending = not_done_executors(task, books)
            if pending:
                params = {"count": pending, "total": len(task.executors)}
                refused.append((task.id, "task_executors_not_done", params))
    if refused:
        raise Conflict(
            "task_group_refused",
            ids=", ".join(str(task_id) for task_id, _, _ in refused),
            details_uk=_reasons(refused, "uk"),
            details_en=_reasons(refused, "en"),
            field="task_ids",
        )
    for task in tasks:
        if task.status_id != entry.id or with_executors:
            set_status(
                session,
                profile=profile,
                task=task,
                status=entry,
                tz=tz,
                with_executors=with_executors,
            )
    return tasks
