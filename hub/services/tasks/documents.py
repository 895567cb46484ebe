"""Settlement documents linked to a task (TSK-6): contracts, invoices, acts... of its clients.

A link needs the right to change the task (ACC-1, ACC-2); linking a document twice changes
nothing, and the task's history records each link and unlink.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from hub.db.models import SettlementDocument, TaskDocument
from hub.errors import NotFound
from hub.services.access.rights import AccessProfile, Action
from hub.services.common import audit
from hub.services.tasks.tasks import get_task, require_task

PICK_LIMIT = 20


def task_documents(session: Session, *, task_id: int) -> list[SettlementDocument]:
    """The settlement documents linked to a task, by date."""
    get_task(session, task_id)
    query = (
        select(SettlementDocument)
        .join(TaskDocument, TaskDocument.document_id == SettlementDocument.id)
        .where(TaskDocument.task_id == task_id)
        .order_by(SettlementDocument.doc_date, SettlementDocument.id)
    )
    return list(session.scalars(query))


def link_document(
    session: Session, *, profile: AccessProfile, task_id: int, document_id: int
) -> None:
    """Link a settlement document to a task; linking it again changes nothing."""
    task = get_task(session, task_id)
    require_task(profile, Action.CHANGE, session, task)
    if session.get(SettlementDocument, document_id) is None:
        raise NotFound("not_found", what=f"settlement document {document_id}")
    if session.get(TaskDocument, (task_id, document_id)) is not None:
        return
    session.add(TaskDocument(task_id=task_id, document_id=document_id))
    session.flush()
    audit.record(
        session,
        entity="task",
        entity_id=task.id,
        action="document_link",
        user_id=profile.user_id,
        changes={"document_id": document_id},
    )


def unlink_document(
    session: Session, *, profile: AccessProfile, task_id: int, document_id: int
) -> None:
    """Unlink a document from a task (nothing happens when it was not linked)."""
    task = get_task(session, task_id)
    require_task(profile, Action.CHANGE, session, task)
    gone = session.execute(
        delete(TaskDocument).where(
            TaskDocument.task_id == task_id, TaskDocument.document_id == document_id
        )
    )
    if getattr(gone, "rowcount", 0):
        audit.record(
            session,
            entity="task",
            entity_id=task.id,
            action="document_unlink",
            user_id=profile.user_id,
            changes={"document_id": document_id},
        )


def documents_to_link(
    session: Session, *, q: str, client_id: int | None, limit: int = PICK_LIMIT
) -> list[SettlementDocument]:
    """Documents a task may link: by number (or description), of the task's client when it has
    one, newest first."""
    query = select(SettlementDocument)
    if client_id is not None:
        query = query.where(SettlementDocument.client_id == client_id)
    needle = q.strip()
    if needle:
        query = query.where(
            or_(
                SettlementDocument.number.contains(needle, autoescape=True),
                SettlementDocument.description.contains(needle, autoescape=True),
            )
        )
    order = (SettlementDocument.doc_date.desc(), SettlementDocument.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))
