"""The card's attachments tab (PRJ-7): named files attached to the project, uploaded within the
hub's upload limit (``hub.api.limits`` gives this route the attachments' size), images and PDFs
shown in the page, every other file downloaded, and a file deleted.

Only a picture (PNG, JPEG, GIF, WebP) or a PDF whose first bytes match its declared type is
served ``inline``, with its own type, ``nosniff`` and a policy of its own; HTML, SVG and any
other type are always served as a download (``Content-Disposition: attachment``), so nothing
uploaded runs as a page of this site.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from hub.api.routes.projects.attachments import content_disposition, file_response
from hub.db.models import Attachment
from hub.errors import DomainError
from hub.services.access.rights import Action, DocType, require_in_journal
from hub.services.projects import attachments, desk, projects
from hub.web.common import hub_of, page_lang, text
from hub.web.office import session
from hub.web.office.forms import FormRefused, FormState
from hub.web.office.projects_card import head
from hub.web.office.projects_common import (
    BASE,
    FormDep,
    form_failed,
    refusal,
    refusing,
    show,
)
from hub.web.office.session import Build, Staff, current_staff, with_query

router = APIRouter()

PAGE = 50
TEMPLATE = "office/projects_files.html"
Cursor = Annotated[str | None, Query(max_length=1000)]
FormText = Annotated[str | None, Form()]
# A picture is shown as itself and nothing else: no scripts, no frames, no requests of its own.
IMAGE_POLICY = "default-src 'none'; img-src 'self'; sandbox"
# A PDF opens in the browser's viewer inside this site's own page only.
PDF_POLICY = "frame-ancestors 'self'"


def _tab(request: Request, project_id: int, cursor: str | None, state: FormState | None) -> Build:
    limit_mb = hub_of(request).settings.attachment_max_mb

    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "attachments")
        page = attachments.list_attachments(
            db, kind="project", owner_id=project_id, cursor=cursor, limit=PAGE
        )
        here = f"{BASE}/{project_id}/attachments"
        values.update(
            files=[(a, desk.declared_view(a.content_type)) for a in page.items],
            uploaders=desk.person_names(db, (a.uploaded_by for a in page.items)),
            first=here if cursor else "",
            later=with_query(here, cursor=page.next_cursor) if page.next_cursor else "",
            form=state or FormState(),
            limit_mb=f"{limit_mb:g}",
            limit_bytes=int(limit_mb * 2**20),
        )
        return values

    return build


@router.get(BASE + "/{project_id:int}/attachments", response_model=None)
def files_tab(request: Request, project_id: int, cursor: Cursor = None) -> Response:
    """The project's attachments, oldest first, and the upload form."""
    return show(request, TEMPLATE, _tab(request, project_id, cursor, None))


@router.post(BASE + "/{project_id:int}/attachments", response_model=None)
def upload(
    request: Request,
    project_id: int,
    file: UploadFile | None = None,
    csrf: FormText = None,
    name: FormText = None,
) -> Response:
    """Attach a file (its name shown, or the file's own), or the form again saying why not."""
    lang = page_lang(request)
    hub = hub_of(request)
    shown = {"file": "", "name": name or ""}

    def change(db: Session, staff: Staff) -> str:
        if file is None or not file.filename:
            # The rights first: a forged post without a file is refused as one with it.
            journal = projects.get_project(db, project_id).journal_id
            require_in_journal(db, staff.profile, Action.CREATE, DocType.ATTACHMENT, journal)
            raise FormRefused(FormState(shown, {"file": text(lang, "prj_file_choose")}))
        attachment = attachments.create_attachment(
            db,
            store=hub.files,
            profile=staff.profile,
            kind="project",
            owner_id=project_id,
            stream=file.file,
            filename=file.filename,
            content_type=file.content_type,
            name=(name or "").strip()[:300] or None,
        )
        target = with_query(f"{BASE}/{project_id}/attachments", done="uploaded", n=attachment.name)
        return f"{target}#file-{attachment.id}"

    def again(state: FormState) -> Build:
        return _tab(request, project_id, None, state)

    back = f"{BASE}/{project_id}/attachments"
    failed = form_failed(request, TEMPLATE, again, shown, back)
    return session.act(request, csrf, change, failed=failed)


@router.get(BASE + "/{project_id:int}/attachments/{attachment_id:int}", response_model=None)
def view_page(request: Request, project_id: int, attachment_id: int) -> Response:
    """One attachment: a picture or a PDF shown in the page, and the way to download it."""

    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "attachments")
        found = desk.project_attachment(db, project_id=project_id, attachment_id=attachment_id)
        names = desk.person_names(db, [found.uploaded_by])
        values.update(
            file=found,
            shown=desk.declared_view(found.content_type),
            uploader=names.get(found.uploaded_by or 0, ""),
        )
        return values

    return show(request, "office/projects_file.html", build)


def _stored(
    request: Request, project_id: int, attachment_id: int
) -> tuple[Attachment, Path] | Response:
    """The attachment of this project and its file, or the answer refusing it."""
    hub = hub_of(request)
    try:
        with hub.sessions() as db:
            staff = current_staff(request, db)
            if staff is None:
                return session.to_login(request)
            desk.project_attachment(db, project_id=project_id, attachment_id=attachment_id)
            return attachments.attachment_file(db, store=hub.files, attachment_id=attachment_id)
    except DomainError as error:
        return refusal(request, error, f"{BASE}/{project_id}/attachments")


@router.get(
    BASE + "/{project_id:int}/attachments/{attachment_id:int}/download", response_model=None
)
def download(request: Request, project_id: int, attachment_id: int) -> Response:
    """The file with its original name, as a download whatever its type."""
    found = _stored(request, project_id, attachment_id)
    if isinstance(found, Response):
        return found
    return file_response(*found)


@router.get(BASE + "/{project_id:int}/attachments/{attachment_id:int}/inline", response_model=None)
def inline(request: Request, project_id: int, attachment_id: int) -> Response:
    """A picture or a PDF to show in the page; any other file (or a mislabelled one) downloads."""
    found = _stored(request, project_id, attachment_id)
    if isinstance(found, Response):
        return found
    attachment, path = found
    with path.open("rb") as stream:
        shown = desk.inline_view(attachment.content_type, stream.read(desk.SIGNATURE_BYTES))
    if shown == "download":
        return file_response(attachment, path)
    disposition = "inline" + content_disposition(attachment.original_filename)[len("attachment") :]
    headers = {
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    if shown == "pdf":
        headers.update({"Content-Security-Policy": PDF_POLICY, "X-Frame-Options": "SAMEORIGIN"})
    else:
        headers["Content-Security-Policy"] = IMAGE_POLICY
    return FileResponse(path, media_type=attachment.content_type, headers=headers)


@router.post(BASE + "/{project_id:int}/attachments/{attachment_id:int}/delete", response_model=None)
def delete(request: Request, project_id: int, attachment_id: int, form: FormDep) -> Response:
    """Delete an attachment (its file goes once the deletion is committed)."""
    files = hub_of(request).files
    back = f"{BASE}/{project_id}/attachments"

    def change(db: Session, staff: Staff) -> str:
        found = desk.project_attachment(db, project_id=project_id, attachment_id=attachment_id)
        name = found.name
        attachments.delete_attachment(
            db, store=files, profile=staff.profile, attachment_id=attachment_id
        )
        return with_query(back, done="file_deleted", n=name)

    return session.act(request, form.get("csrf"), change, failed=refusing(request, back))
