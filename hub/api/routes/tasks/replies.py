"""Shaping task replies: the card with its derived overdue flag and colour (TSK-14)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from hub.api.schemas.tasks import ExecutorRead, TaskRead
from hub.db.models import Task
from hub.services.tasks.tasks import describe, statuses


def task_replies(session: Session, tasks: Iterable[Task], lang: str) -> list[TaskRead]:
    """Tasks as the API shows them, in the caller's language."""
    books = statuses(session)
    replies = []
    for view in describe(session, tasks, books=books):
        task = view.task
        executors = [
            ExecutorRead(
                id=row.id,
                user_id=row.user_id,
                status_id=row.status_id,
                status=books[row.status_id].code,
                time_spent_minutes=row.time_spent_minutes,
                done_at=row.done_at,
            )
            for row in task.executors
        ]
        fields = {
            name: getattr(task, name) for name in TaskRead.model_fields if hasattr(task, name)
        }
        fields.pop("status", None)
        fields.update(
            status=view.status.code,
            status_name=view.status.name_uk if lang == "uk" else view.status.name_en,
            overdue=view.overdue,
            color=view.color,
            executors=executors,
            custom_fields=dict(task.custom_fields or {}),
        )
        replies.append(TaskRead.model_validate(fields))
    return replies


def task_reply(session: Session, task: Task, lang: str) -> TaskRead:
    """One task as the API shows it."""
    return task_replies(session, [task], lang)[0]
