"""Write a letter to a client from its card: an "outgoing e-mail" event with the letter queued
in the mail outbox, in one transaction, through the same domain function as the API
(``hub.services.mail.letters``); the event's rights are checked there."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from hub.api.schemas.letters import LetterCreate
from hub.db.base import utcnow
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.clients import clients
from hub.services.mail import letters
from hub.web.common import hub_of, page_lang
from hub.web.office import (
    letters_texts,  # noqa: F401 (registers the words)
    session,
)
from hub.web.office.clients_common import BASE, domain_check, form_failed, rights, show
from hub.web.office.forms import FormState, validated
from hub.web.office.session import Build, Staff, with_query

router = APIRouter()

TEMPLATE = "office/clients_letter.html"
FIELDS = ("to", "subject", "text")


class Posted:
    """The letter's form as posted: its text fields and its files (read into memory; the
    body's size is bounded by ``hub.api.limits`` before it is read)."""

    def __init__(self, fields: dict[str, str], uploads: list[letters.Upload]) -> None:
        self.fields = fields
        self.uploads = uploads


async def _posted(request: Request) -> Posted:
    data = await request.form(max_files=letters.FILES_MAX + 1)
    fields = {key: value for key, value in data.items() if isinstance(value, str)}
    uploads = []
    for item in data.getlist("files"):
        if isinstance(item, UploadFile) and item.filename:
            uploads.append(letters.Upload(item.filename, item.content_type, await item.read()))
    return Posted(fields, uploads)


PostedDep = Annotated[Posted, Depends(_posted)]


def _form(client_id: int, state: FormState | None, contact: int | None, limit_mb: float) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        client = clients.get_client(db, client_id)
        people = letters.addressees(db, client_id)
        first = next((p for p in people if p.contact_id == contact), None) if contact else None
        if first is None and len(people) == 1:
            first = people[0]
        defaults = {"to": first.email if first else "", "subject": "", "text": ""}
        return {
            "client": client,
            "addressees": people,
            "form": state or FormState(values=defaults),
            "may": rights(staff.profile),
            "limit_mb": limit_mb,
        }

    return build


def _limit_mb(request: Request) -> float:
    return round(hub_of(request).settings.attachment_max_mb, 1)


@router.get(BASE + "/{client_id:int}/letter", response_model=None)
def letter_form(
    request: Request,
    client_id: int,
    contact: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The letter's form: To (the client's addresses), subject, text, files."""
    return show(request, TEMPLATE, _form(client_id, None, contact, _limit_mb(request)))


@router.post(BASE + "/{client_id:int}/letter", response_model=None)
def send_letter(request: Request, client_id: int, posted: PostedDep) -> Response:
    """Create the outgoing e-mail event and queue its letter; the card shows it queued."""
    lang = page_lang(request)
    hub = hub_of(request)
    shown = {name: posted.fields.get(name, "") for name in FIELDS}

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CREATE, DocType.EVENT)
        data = {name: shown[name].strip() or None for name in FIELDS}
        errors: dict[str, str] = {}
        if data["to"]:  # the address is checked with the rest, so every message shows at once
            domain_check(lang, errors, letters.recipient, db, client_id, data["to"], None)
        validated(lang, LetterCreate, data, shown, errors)
        event = letters.write_to_client(
            db,
            profile=staff.profile,
            files=hub.files,
            client_id=client_id,
            to=shown["to"],
            subject=shown["subject"],
            text=shown["text"],
            uploads=posted.uploads,
            now=utcnow(),
            today=hub.today(),
        )
        return with_query(f"{BASE}/{client_id}", done="letter", n=event.number) + "#events"

    def again(state: FormState) -> Build:
        return _form(client_id, state, None, _limit_mb(request))

    failed = form_failed(request, TEMPLATE, again, shown, f"{BASE}/{client_id}")
    answer = session.act(request, posted.fields.get("csrf"), change, failed=failed)
    if answer.status_code == 303:
        hub.mail_wake()  # committed: the worker sends it now rather than at its next tick
    return answer
