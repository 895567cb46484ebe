"""Discussion (PRJ-6, TSK-6): messages attached to a project or a task, oldest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Message, Project, Task
from hub.errors import AccessDenied, NotFound
from hub.services.access.rights import AccessProfile
from hub.services.common.paging import DEFAULT_LIMIT, Page, SortKey, paginate


def _check_owner(session: Session, *, project_id: int | None, task_id: int | None) -> None:
    if (project_id is None) == (task_id is None):
        raise ValueError("a message belongs to exactly one project or task")
    if project_id is not None and session.get(Project, project_id) is None:
        raise NotFound("not_found", what=f"project {project_id}")
    if task_id is not None and session.get(Task, task_id) is None:
        raise NotFound("not_found", what=f"task {task_id}")


def list_messages(
    session: Session,
    *,
    project_id: int | None = None,
    task_id: int | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Message]:
    """The discussion of a project or a task, oldest first."""
    _check_owner(session, project_id=project_id, task_id=task_id)
    if project_id is not None:
        query = select(Message).where(Message.project_id == project_id)
    else:
        query = select(Message).where(Message.task_id == task_id)
    return paginate(session, query, [SortKey(Message.id)], cursor=cursor, limit=limit)


def post_message(
    session: Session,
    *,
    author_id: int,
    text: str,
    project_id: int | None = None,
    task_id: int | None = None,
) -> Message:
    """Add the caller's message to a project's or a task's discussion."""
    _check_owner(session, project_id=project_id, task_id=task_id)
    message = Message(project_id=project_id, task_id=task_id, author_id=author_id, text=text)
    session.add(message)
    session.flush()
    return message


def delete_message(session: Session, *, profile: AccessProfile, message_id: int) -> None:
    """Delete a message: its author or an administrator may."""
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound("not_found", what=f"message {message_id}")
    if message.author_id != profile.user_id and not profile.is_admin:
        raise AccessDenied("prj_message_not_own", right="message:delete")
    session.delete(message)
    session.flush()
