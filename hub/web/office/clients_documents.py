"""Settlement documents entered by hand on the client's card (CLI-2): a contract, invoice,
payment, act, waybill or tax invoice created, changed and deleted; the card's balance for the
period follows at once, as it is summed from the documents.

Each change checks the right the API's route checks (``settlement_document`` create, change or
delete), validates with the API's own schemas (``DocumentCreate``, ``DocumentUpdate``: every
wrong field at once) and calls the same service (``hub.services.clients.documents``) in one
transaction. The edit form carries the document's fingerprint, so a save over someone else's
change is refused. After a change the card opens again on the period it showed, moved to the
document's month when the document lies outside it.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.api.schemas.clients import DocumentCreate, DocumentUpdate
from hub.errors import Conflict
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.clients import clients, documents
from hub.services.clients.documents import DIRECTIONS, DOCUMENT_FIELDS, DOCUMENT_KINDS
from hub.services.common.edits import check_unchanged, fingerprint
from hub.web.common import page_lang
from hub.web.office import session
from hub.web.office.clients_common import (
    BASE,
    FormDep,
    blank_none,
    form_failed,
    refusal,
    rights,
    show,
)
from hub.web.office.forms import FormState, validated
from hub.web.office.session import Build, Staff, with_query

router = APIRouter()

TEMPLATE = "office/clients_document_form.html"
PERIOD = ("from", "to")


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def card_after(client_id: int, form: dict[str, str], day: date | None, **done: str) -> str:
    """The card's documents on the period it showed (carried by the form), or on the month of
    ``day`` when the document lies outside that period."""
    start, end = _day(form.get("from")), _day(form.get("to"))
    if day is not None and not (start and end and start <= day <= end):
        last = calendar.monthrange(day.year, day.month)[1]
        start, end = day.replace(day=1), day.replace(day=last)
    period = {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None}
    return with_query(f"{BASE}/{client_id}", **period, **done) + "#documents"


def _values(document: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(document, name) for name in DOCUMENT_FIELDS}
    values["doc_date"] = document.doc_date.isoformat()
    values["description"] = document.description or ""
    values["fp"] = fingerprint(document, DOCUMENT_FIELDS)
    return values


def _input(lang: str, form: dict[str, str], schema: type[DocumentCreate | DocumentUpdate]) -> Any:
    """The typed document as the service takes it; FormRefused with every wrong field."""
    data = blank_none(form, DOCUMENT_FIELDS)
    # What people here type: "1 200,50" is 1200.50, "uah" is UAH.
    if data["amount"] is not None:
        data["amount"] = "".join(data["amount"].split()).replace(",", ".")
    if data["currency"] is not None:
        data["currency"] = data["currency"].upper()
    parsed = validated(lang, schema, data, form)
    return parsed.model_dump()


def _form(client_id: int, document_id: int | None, state: FormState | None, period: Any) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        # A form the user may not send is not offered either (the link is not shown).
        action = Action.CREATE if document_id is None else Action.CHANGE
        access.require(staff.profile, action, DocType.SETTLEMENT_DOCUMENT)
        client = clients.get_client(db, client_id)
        document = None
        if document_id is not None:
            document = documents.get_document(db, client_id=client_id, document_id=document_id)
        values = _values(document) if document else {"kind": "invoice", "currency": "UAH"}
        form = state or FormState(values=values)
        kept = {name: str(period.get(name) or "")[:20] for name in PERIOD}
        return {
            "client": client,
            "document": document,
            "form": form,
            "kinds": DOCUMENT_KINDS,
            "directions": DIRECTIONS,
            "period": kept,
            "back": card_after(client_id, kept, None),
            "may": rights(staff.profile),
        }

    return build


def _duplicate_at_number(error: Conflict) -> Conflict:
    """The duplicate's message beside the number (the service names no field)."""
    if error.code == "client_document_duplicate" and "field" not in error.params:
        return Conflict(error.code, field="number", **error.params)
    return error


@router.get(BASE + "/{client_id:int}/documents/new", response_model=None)
def new_document(request: Request, client_id: int) -> Response:
    """The form of a new settlement document of the client."""
    period = request.query_params
    return show(request, TEMPLATE, _form(client_id, None, None, period))


@router.post(BASE + "/{client_id:int}/documents/new", response_model=None)
def create_document(request: Request, client_id: int, form: FormDep) -> Response:
    """Add a settlement document, or the form again saying what is wrong."""
    lang = page_lang(request)

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CREATE, DocType.SETTLEMENT_DOCUMENT)
        data = _input(lang, form, DocumentCreate)
        try:
            document = documents.create_document(db, client_id=client_id, data=data)
        except Conflict as error:
            raise _duplicate_at_number(error) from None
        return card_after(client_id, form, document.doc_date, done="saved")

    def again(state: FormState) -> Build:
        return _form(client_id, None, state, form)

    failed = form_failed(request, TEMPLATE, again, form, f"{BASE}/{client_id}#documents")
    return session.act(request, form.get("csrf"), change, failed=failed)


@router.get(BASE + "/{client_id:int}/documents/{document_id:int}/edit", response_model=None)
def edit_document(request: Request, client_id: int, document_id: int) -> Response:
    """The form of a settlement document."""
    period = request.query_params
    return show(request, TEMPLATE, _form(client_id, document_id, None, period))


@router.post(BASE + "/{client_id:int}/documents/{document_id:int}/edit", response_model=None)
def update_document(request: Request, client_id: int, document_id: int, form: FormDep) -> Response:
    """Save a settlement document, unless someone changed it meanwhile."""
    lang = page_lang(request)

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CHANGE, DocType.SETTLEMENT_DOCUMENT)
        data = _input(lang, form, DocumentUpdate)
        document = documents.get_document(db, client_id=client_id, document_id=document_id)
        what = f"«{document.number}»"
        check_unchanged(document, DOCUMENT_FIELDS, form.get("fp"), what=what)
        try:
            document = documents.update_document(
                db, client_id=client_id, document_id=document_id, changes=data
            )
        except Conflict as error:
            raise _duplicate_at_number(error) from None
        return card_after(client_id, form, document.doc_date, done="saved")

    def again(state: FormState) -> Build:
        return _form(client_id, document_id, state, form)

    failed = form_failed(request, TEMPLATE, again, form, f"{BASE}/{client_id}#documents")
    return session.act(request, form.get("csrf"), change, failed=failed)


@router.post(BASE + "/{client_id:int}/documents/{document_id:int}/delete", response_model=None)
def delete_document(request: Request, client_id: int, document_id: int, form: FormDep) -> Response:
    """Remove a settlement document (after the page's confirmation)."""

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.DELETE, DocType.SETTLEMENT_DOCUMENT)
        document = documents.get_document(db, client_id=client_id, document_id=document_id)
        number, day = document.number, document.doc_date
        documents.delete_document(db, client_id=client_id, document_id=document_id)
        return card_after(client_id, form, day, done="deleted", n=number)

    def failed(_message: str, error: Any) -> Response:
        return refusal(request, error, f"{BASE}/{client_id}#documents")

    return session.act(request, form.get("csrf"), change, failed=failed)
