"""REST route of a letter written to a client: an outgoing e-mail event with its letter queued
in the mail outbox (the same domain function as the client card's "Write a letter")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, UploadFile

from hub.api.deps import HubDep, Principal, SessionDep, requires
from hub.api.schemas.common import MAX_DB_INT, PathId
from hub.api.schemas.letters import LetterRead
from hub.db.base import utcnow
from hub.services.access.rights import Action, DocType
from hub.services.mail import letters

router = APIRouter(tags=["clients"])

# The event right first; the journal's and (with files) the attachment right in the service.
Writer = Annotated[Principal, Depends(requires(Action.CREATE, DocType.EVENT))]


@router.post(
    "/clients/{client_id:int}/letters",
    status_code=201,
    summary="Write to a client: an outgoing e-mail event and its letter queued (multipart)",
    response_model=LetterRead,
)
def write_letter(
    session: SessionDep,
    hub: HubDep,
    principal: Writer,
    client_id: PathId,
    background: BackgroundTasks,
    to: Annotated[str, Form(max_length=254, description="The client's or a contact's address")],
    subject: Annotated[str, Form(max_length=letters.SUBJECT_MAX)],
    text: Annotated[str, Form(max_length=letters.TEXT_MAX)],
    contact_id: Annotated[int | None, Form(ge=1, le=MAX_DB_INT)] = None,
    files: Annotated[list[UploadFile] | None, File(description="attachments")] = None,
) -> LetterRead:
    """Create the event with the text and files and queue the letter, in one transaction; the
    letter is sent by the mail worker (From: the office's sender, Reply-To: the writer)."""
    uploads = [
        letters.Upload(file.filename or "attachment", file.content_type, file.file.read())
        for file in files or []
        if file.filename
    ]
    now = utcnow()
    event = letters.write_to_client(
        session,
        profile=principal.profile,
        files=hub.files,
        client_id=client_id,
        to=to,
        subject=subject,
        text=text,
        uploads=uploads,
        contact_id=contact_id,
        now=now,
        today=hub.today(),
    )
    # The session commits before the reply; the worker is woken after it, to send at once.
    background.add_task(hub.mail_wake)
    return LetterRead(
        event_id=event.id,
        number=event.number,
        to=event.email or to,
        contact_id=event.contact_id,
        attachments=len(uploads),
        mail_state="queued",
        created_at=now,
    )
