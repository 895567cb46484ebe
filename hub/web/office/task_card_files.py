"""The task card's tabs of documents and talk (TSK-6): user-defined fields, linked documents,
attachments and the discussion.

Each action is one form calling the services with the user's rights; a refusal shows the same
tab again with the message beside its field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from hub.api.routes.projects.attachments import file_response
from hub.errors import Invalid, NotFound
from hub.services.projects import attachments, discussion
from hub.services.tasks import card as card_service
from hub.services.tasks import card_edit, documents
from hub.web.common import hub_of
from hub.web.office.session import Staff, current_staff
from hub.web.office.task_card_view import Optional, card_url, form_id, tab_action

router = APIRouter()


# ---- user-defined fields (TSK-6) --------------------------------------------------------------


class FieldsForm(BaseModel):
    """The user-defined fields as posted: ``cf-CODE`` for each field of the book."""

    model_config = ConfigDict(extra="allow")

    csrf: str = ""
    fingerprint: str = ""

    def typed(self) -> dict[str, str]:
        """The fields' values as typed, bounded."""
        extra = self.model_extra or {}
        return {k[:40]: str(v)[:4000] for k, v in extra.items() if k.startswith("cf-")}


@router.post("/{task_id:int}/fields", response_model=None)
def save_fields(request: Request, task_id: int, posted: Annotated[FieldsForm, Form()]) -> Response:
    """The task's user-defined fields, as the task-fields book describes them."""
    tz = hub_of(request).settings.tz
    typed = posted.typed()

    def run(session: Session, staff: Staff) -> str:
        values: dict[str, Any] = {}
        for row in card_service.field_book(session):
            values[row.code] = _field_value(row.code, row.value_type, typed)
        card_edit.save_task(
            session,
            profile=staff.profile,
            task_id=task_id,
            changes={"custom_fields": values},
            shown=posted.fingerprint,
            tz=tz,
        )
        return card_url(task_id, "fields", done="fields")

    return tab_action(request, posted.csrf, task_id, "fields", run, typed=typed)


def _field_value(code: str, kind: str, typed: dict[str, str]) -> Any:
    raw = typed.get(f"cf-{code}", "").strip()
    where = f"cf-{code}"
    if kind == "bool":
        return raw == "1"
    if not raw:
        return None
    if kind == "number":
        try:
            number = float(raw.replace(",", "."))
        except ValueError:
            raise Invalid("tcard_number_invalid", field=where) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise Invalid("tcard_number_invalid", field=where)
        return int(number) if number.is_integer() and "." not in raw and "," not in raw else number
    if kind == "date":
        try:
            datetime.strptime(raw, "%Y-%m-%d")
        except ValueError:
            raise Invalid("tcard_date_invalid", field=where) from None
    return raw


# ---- linked documents, attachments, discussion (TSK-6) ----------------------------------------


@router.post("/{task_id:int}/documents", response_model=None)
def link_document(
    request: Request,
    task_id: int,
    csrf: Optional = None,
    document_id: Optional = None,
    document_id_label: Optional = None,
) -> Response:
    """Link a settlement document (chosen with the picker) to the task."""
    typed = {"document_id": document_id or "", "document_id_label": (document_id_label or "")[:300]}

    def run(session: Session, staff: Staff) -> str:
        documents.link_document(
            session,
            profile=staff.profile,
            task_id=task_id,
            document_id=form_id(document_id, "document_id"),
        )
        return card_url(task_id, "documents", done="document")

    return tab_action(request, csrf, task_id, "documents", run, typed=typed, field="document_id")


@router.post("/{task_id:int}/documents/{document_id:int}/remove", response_model=None)
def unlink_document(
    request: Request, task_id: int, document_id: int, csrf: Optional = None
) -> Response:
    """Unlink a document from the task."""

    def run(session: Session, staff: Staff) -> str:
        documents.unlink_document(
            session, profile=staff.profile, task_id=task_id, document_id=document_id
        )
        return card_url(task_id, "documents", done="document_removed")

    return tab_action(request, csrf, task_id, "documents", run)


@router.post("/{task_id:int}/attachments", response_model=None)
def attach(
    request: Request,
    task_id: int,
    csrf: Optional = None,
    name: Optional = None,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Attach a file to the task, under a name of its own if one is given."""
    hub = hub_of(request)

    def run(session: Session, staff: Staff) -> str:
        if file is None or not file.filename:
            raise Invalid("tcard_file_missing", field="file")
        attachments.create_attachment(
            session,
            store=hub.files,
            profile=staff.profile,
            kind="task",
            owner_id=task_id,
            stream=file.file,
            filename=file.filename,
            content_type=file.content_type,
            name=(name or "").strip()[:300] or None,
        )
        return card_url(task_id, "attachments", done="attached")

    typed = {"name": (name or "")[:300], "file": ""}
    return tab_action(request, csrf, task_id, "attachments", run, typed=typed, field="file")


@router.post("/{task_id:int}/attachments/{attachment_id:int}/delete", response_model=None)
def detach(request: Request, task_id: int, attachment_id: int, csrf: Optional = None) -> Response:
    """Delete an attachment of this task."""
    hub = hub_of(request)

    def run(session: Session, staff: Staff) -> str:
        found = attachments.get_attachment(session, attachment_id)
        if found.task_id != task_id:
            raise NotFound("not_found", what=f"attachment {attachment_id}")
        attachments.delete_attachment(
            session, store=hub.files, profile=staff.profile, attachment_id=attachment_id
        )
        return card_url(task_id, "attachments", done="attachment_deleted")

    return tab_action(request, csrf, task_id, "attachments", run)


@router.get("/attachments/{attachment_id:int}", response_model=None)
def download(request: Request, attachment_id: int) -> Response:
    """An attachment of a task, with its original name."""
    hub = hub_of(request)
    with hub.sessions() as session:
        staff = current_staff(request, session)
        if staff is None:
            return HTMLResponse(status_code=401)
        try:
            found = attachments.get_attachment(session, attachment_id)
            if found.task_id is None:
                raise NotFound("not_found", what=f"attachment {attachment_id}")
            attachment, path = attachments.attachment_file(
                session, store=hub.files, attachment_id=attachment_id
            )
        except NotFound:
            return HTMLResponse(status_code=404)
    return file_response(attachment, path)


@router.post("/{task_id:int}/messages", response_model=None)
def post_message(
    request: Request, task_id: int, csrf: Optional = None, message: Optional = None
) -> Response:
    """Add the user's message to the task's discussion."""
    words = (message or "").replace("\r\n", "\n").strip()

    def run(session: Session, staff: Staff) -> str:
        if not words:
            raise Invalid("tcard_message_empty", field="message")
        if len(words) > 4000:
            raise Invalid("field_too_long", field="message", max=4000)
        card_service.visible_task(session, task_id)
        discussion.post_message(session, author_id=staff.user_id, text=words, task_id=task_id)
        return card_url(task_id, "discussion", done="posted") + "#messages-end"

    typed = {"message": words[:4100]}
    return tab_action(request, csrf, task_id, "discussion", run, typed=typed, field="message")


@router.post("/{task_id:int}/messages/{message_id:int}/delete", response_model=None)
def delete_message(
    request: Request, task_id: int, message_id: int, csrf: Optional = None
) -> Response:
    """Delete one's own message (an administrator: any)."""

    def run(session: Session, staff: Staff) -> str:
        discussion.delete_message(session, profile=staff.profile, message_id=message_id)
        return card_url(task_id, "discussion", done="message_deleted")

    return tab_action(request, csrf, task_id, "discussion", run)
