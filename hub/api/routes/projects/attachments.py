"""REST routes of attachments (PRJ-7, EVT-4, TSK-6) and of discussions (PRJ-6, TSK-6)."""

from __future__ import annotations

import pathlib
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile
from fastapi.responses import FileResponse

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires
from hub.api.schemas.common import MAX_DB_INT, PathId
from hub.api.schemas.projects import (
    AttachmentPage,
    AttachmentRead,
    MessageCreate,
    MessagePage,
    MessageRead,
)
from hub.db.models import Attachment, Message
from hub.services.access.rights import Action, DocType
from hub.services.common.paging import DEFAULT_LIMIT, MAX_LIMIT, Page
from hub.services.projects import attachments, discussion

router = APIRouter(prefix="/api/v1", tags=["attachments"])

OWNER_KIND: dict[str, attachments.OwnerKind] = {
    "projects": "project",
    "events": "event",
    "tasks": "task",
}
Cursor = Annotated[str | None, Query(max_length=1000, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
CreatesAttachment = Annotated[Principal, Depends(requires(Action.CREATE, DocType.ATTACHMENT))]
DeletesAttachment = Annotated[Principal, Depends(requires(Action.DELETE, DocType.ATTACHMENT))]
OwnerId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="Id of the owner")]


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one per RFC 5987 / RFC 6266."""
    fallback = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(attachment: Attachment, path: pathlib.Path) -> FileResponse:
    """An attachment's bytes with its original name, never rendered as this site's page."""
    return FileResponse(
        path,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": content_disposition(attachment.original_filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )


def _owner_routes(plural: str, kind: attachments.OwnerKind) -> None:
    """List and upload routes under ``/{plural}/{id}/attachments``."""

    @router.get(
        f"/{plural}/{{owner_id:int}}/attachments",
        summary=f"Attachments of a {kind}",
        response_model=AttachmentPage,
    )
    def list_attachments(
        session: SessionDep,
        principal: CrmUser,
        owner_id: OwnerId,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> AttachmentPage:
        page = attachments.list_attachments(
            session, kind=kind, owner_id=owner_id, cursor=cursor, limit=limit
        )
        return AttachmentPage(
            items=[AttachmentRead.model_validate(a) for a in page.items],
            next_cursor=page.next_cursor,
        )

    @router.post(
        f"/{plural}/{{owner_id:int}}/attachments",
        status_code=201,
        summary=f"Attach a file to a {kind} (multipart: file, optional name)",
        response_model=AttachmentRead,
    )
    def create_attachment(
        session: SessionDep,
        hub: HubDep,
        principal: CreatesAttachment,
        owner_id: OwnerId,
        file: Annotated[UploadFile, File(description="the file")],
        name: Annotated[
            str | None, Form(max_length=300, description="display name; the file name if empty")
        ] = None,
    ) -> AttachmentRead:
        attachment = attachments.create_attachment(
            session,
            store=hub.files,
            profile=principal.profile,
            kind=kind,
            owner_id=owner_id,
            stream=file.file,
            filename=file.filename,
            content_type=file.content_type,
            name=name,
        )
        return AttachmentRead.model_validate(attachment)


for _plural, _kind in OWNER_KIND.items():
    _owner_routes(_plural, _kind)


@router.get(
    "/attachments/{attachment_id:int}",
    summary="An attachment's description",
    response_model=AttachmentRead,
)
def get_attachment(
    session: SessionDep, principal: CrmUser, attachment_id: PathId
) -> AttachmentRead:
    return AttachmentRead.model_validate(attachments.get_attachment(session, attachment_id))


@router.get(
    "/attachments/{attachment_id:int}/content",
    summary="Download an attachment with its original name",
    response_class=FileResponse,
)
def download_attachment(
    session: SessionDep, hub: HubDep, principal: CrmUser, attachment_id: PathId
) -> FileResponse:
    attachment, path = attachments.attachment_file(
        session, store=hub.files, attachment_id=attachment_id
    )
    return file_response(attachment, path)


@router.delete("/attachments/{attachment_id:int}", status_code=204, summary="Delete an attachment")
def delete_attachment(
    session: SessionDep, hub: HubDep, principal: DeletesAttachment, attachment_id: PathId
) -> Response:
    attachments.delete_attachment(
        session, store=hub.files, profile=principal.profile, attachment_id=attachment_id
    )
    return Response(status_code=204)


def _messages_page(page: Page[Message]) -> MessagePage:
    return MessagePage(
        items=[MessageRead.model_validate(m) for m in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/projects/{project_id:int}/messages",
    tags=["discussion"],
    summary="Discussion of a project, oldest first (PRJ-6)",
    response_model=MessagePage,
)
def project_messages(
    session: SessionDep,
    principal: CrmUser,
    project_id: PathId,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> MessagePage:
    return _messages_page(
        discussion.list_messages(session, project_id=project_id, cursor=cursor, limit=limit)
    )


@router.post(
    "/projects/{project_id:int}/messages",
    status_code=201,
    tags=["discussion"],
    summary="Post to a project's discussion",
    response_model=MessageRead,
)
def post_project_message(
    session: SessionDep, principal: CrmUser, project_id: PathId, body: MessageCreate
) -> MessageRead:
    message = discussion.post_message(
        session, author_id=principal.user.id, text=body.text, project_id=project_id
    )
    return MessageRead.model_validate(message)


@router.get(
    "/tasks/{task_id:int}/messages",
    tags=["discussion"],
    summary="Discussion of a task, oldest first (TSK-6)",
    response_model=MessagePage,
)
def task_messages(
    session: SessionDep,
    principal: CrmUser,
    task_id: PathId,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> MessagePage:
    return _messages_page(
        discussion.list_messages(session, task_id=task_id, cursor=cursor, limit=limit)
    )


@router.post(
    "/tasks/{task_id:int}/messages",
    status_code=201,
    tags=["discussion"],
    summary="Post to a task's discussion",
    response_model=MessageRead,
)
def post_task_message(
    session: SessionDep, principal: CrmUser, task_id: PathId, body: MessageCreate
) -> MessageRead:
    message = discussion.post_message(
        session, author_id=principal.user.id, text=body.text, task_id=task_id
    )
    return MessageRead.model_validate(message)


@router.delete(
    "/messages/{message_id:int}",
    status_code=204,
    tags=["discussion"],
    summary="Delete one's own message (administrators: any)",
)
def delete_message(session: SessionDep, principal: CrmUser, message_id: PathId) -> Response:
    discussion.delete_message(session, profile=principal.profile, message_id=message_id)
    return Response(status_code=204)
