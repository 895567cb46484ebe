"""REST routes of the documents linked to a task (TSK-6)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from hub.api.deps import CrmUser, Principal, SessionDep, requires
from hub.api.schemas.common import PathId
from hub.api.schemas.events import LinkedDocument
from hub.services.access.rights import Action, DocType
from hub.services.tasks import documents

router = APIRouter(tags=["tasks"])

Changer = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.TASK))]


def _linked(session: SessionDep, task_id: int) -> list[LinkedDocument]:
    rows = documents.task_documents(session, task_id=task_id)
    return [LinkedDocument.model_validate(row) for row in rows]


@router.get(
    "/tasks/{task_id:int}/documents",
    summary="Documents linked to a task (TSK-6)",
    response_model=list[LinkedDocument],
)
def list_documents(
    session: SessionDep, principal: CrmUser, task_id: PathId
) -> list[LinkedDocument]:
    return _linked(session, task_id)


@router.put(
    "/tasks/{task_id:int}/documents/{document_id:int}",
    summary="Link a document to a task (TSK-6)",
    response_model=list[LinkedDocument],
)
def link_document(
    session: SessionDep, principal: Changer, task_id: PathId, document_id: PathId
) -> list[LinkedDocument]:
    documents.link_document(
        session, profile=principal.profile, task_id=task_id, document_id=document_id
    )
    return _linked(session, task_id)


@router.delete(
    "/tasks/{task_id:int}/documents/{document_id:int}",
    summary="Unlink a document from a task (TSK-6)",
    response_model=list[LinkedDocument],
)
def unlink_document(
    session: SessionDep, principal: Changer, task_id: PathId, document_id: PathId
) -> list[LinkedDocument]:
    documents.unlink_document(
        session, profile=principal.profile, task_id=task_id, document_id=document_id
    )
    return _linked(session, task_id)
