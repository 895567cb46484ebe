"""Changes in the Clients section: a client (with its legal details) and its contact persons
created, edited, deleted softly and restored (CLI-1, CLI-5, CLI-6), and a contact's phone dialled
through the user's phone agent (CLI-7, PH-6).

Each change checks the right the API's route checks, validates with the API's own schema (every
wrong field at once) and runs in one transaction: refused, nothing of it is saved. An edit form
carries the record's fingerprint, so a save over someone else's change is refused.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.api.schemas.clients import ClientCreate, ContactCreate
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.clients import clients, contacts
from hub.services.clients.clients import CLIENT_FIELDS, LEGAL_FIELDS, normalise_tax_number
from hub.services.clients.contacts import CONTACT_FIELDS, PHONE_KINDS, PhoneData
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.phone import call_work
from hub.web.common import hub_of, page_lang
from hub.web.office import session
from hub.web.office.clients_common import (
    BASE,
    FormDep,
    blank_none,
    domain_check,
    form_failed,
    refusal,
    rights,
    show,
)
from hub.web.office.forms import FormRefused, FormState, validated
from hub.web.office.session import Build, Staff, with_query

router = APIRouter()

CLIENT_FORM = (*CLIENT_FIELDS, *LEGAL_FIELDS)
CONTACT_EDITED = (*CONTACT_FIELDS, "phones")
PHONE_ROWS = 3


# --- a client ---------------------------------------------------------------------------------


def _client_values(client: Any) -> dict[str, Any]:
    values = {name: getattr(client, name) or "" for name in CLIENT_FORM}
    values["parent_name"] = client.parent.name if client.parent_id and client.parent else ""
    values["fp"] = fingerprint(client, CLIENT_FORM)
    return values


def _client_input(lang: str, form: dict[str, str]) -> dict[str, Any]:
    """The typed client as the service takes it; FormRefused with every wrong field."""
    data = blank_none(form, tuple(n for n in CLIENT_FORM if n != "parent_id"))
    parent = (form.get("parent_id") or "").strip()
    data["parent_id"] = int(parent) if parent.isdigit() and len(parent) < 11 else parent or None
    data["vat_status"] = data["vat_status"] or "unknown"
    extra: dict[str, str] = {}
    if data["tax_number"]:
        domain_check(lang, extra, normalise_tax_number, data["tax_number"])
    parsed = validated(lang, ClientCreate, data, form, extra)
    return dict(parsed.model_dump())


def _client_form(client_id: int | None, state: FormState | None) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        client = clients.get_client(db, client_id) if client_id is not None else None
        form = state or FormState(values=_client_values(client) if client else {})
        return {"client": client, "form": form, "may": rights(staff.profile)}

    return build


@router.get(BASE + "/new", response_model=None)
def new_client(request: Request) -> Response:
    """The form of a new client."""
    return show(request, "office/clients_form.html", _client_form(None, None))


@router.post(BASE + "/new", response_model=None)
def create_client(request: Request, form: FormDep) -> Response:
    """Add a client with its legal details, or the form again saying what is wrong."""
    lang = page_lang(request)

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CREATE, DocType.CLIENT)
        client = clients.create_client(db, data=_client_input(lang, form))
        return with_query(f"{BASE}/{client.id}", done="saved")

    def again(state: FormState) -> Build:
        return _client_form(None, state)

    failed = form_failed(request, "office/clients_form.html", again, form)
    return session.act(request, form.get("csrf"), change, failed=failed)


@router.get(BASE + "/{client_id:int}/edit", response_model=None)
def edit_client(request: Request, client_id: int) -> Response:
    """The form of a client's details and legal details."""
    return show(request, "office/clients_form.html", _client_form(client_id, None))


@router.post(BASE + "/{client_id:int}/edit", response_model=None)
def update_client(request: Request, client_id: int, form: FormDep) -> Response:
    """Save a client's details and legal details, unless someone changed them meanwhile."""
    lang = page_lang(request)

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CHANGE, DocType.CLIENT)
        data = _client_input(lang, form)
        client = clients.get_client(db, client_id, for_change=True)
        check_unchanged(client, CLIENT_FORM, form.get("fp"), what=f"«{client.name}»")
        clients.update_client(db, client_id=client_id, changes=data)
        clients.update_legal(db, client_id=client_id, details=data)
        return with_query(f"{BASE}/{client_id}", done="saved")

    def again(state: FormState) -> Build:
        return _client_form(client_id, state)

    failed = form_failed(request, "office/clients_form.html", again, form, f"{BASE}/{client_id}")
    return session.act(request, form.get("csrf"), change, failed=failed)


def _soft(request: Request, client_id: int, form: dict[str, str], restore: bool) -> Response:
    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.DELETE, DocType.CLIENT)
        if restore:
            client = clients.restore_client(db, client_id=client_id)
        else:
            client = clients.delete_client(db, client_id=client_id)
        done = "restored" if restore else "deleted"
        # Deleted from a registry row, the registry comes back; else the card (now marked).
        target = BASE if form.get("back") == "registry" else f"{BASE}/{client_id}"
        return with_query(target, done=done, n=client.name)

    def failed(_message: str, error: Any) -> Response:
        return refusal(request, error, f"{BASE}/{client_id}")

    return session.act(request, form.get("csrf"), change, failed=failed)


@router.post(BASE + "/{client_id:int}/delete", response_model=None)
def delete_client(request: Request, client_id: int, form: FormDep) -> Response:
    """Mark a client deleted (kept; it can be restored)."""
    return _soft(request, client_id, form, restore=False)


@router.post(BASE + "/{client_id:int}/restore", response_model=None)
def restore_client(request: Request, client_id: int, form: FormDep) -> Response:
    """Bring a deleted client back."""
    return _soft(request, client_id, form, restore=True)


# --- a contact person --------------------------------------------------------------------------


def _contact_values(contact: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(contact, name) or "" for name in CONTACT_FIELDS}
    values["birthday"] = contact.birthday.isoformat() if contact.birthday else ""
    for index, phone in enumerate(contact.phones, start=1):
        values[f"phone_{index}"] = phone.phone
        values[f"kind_{index}"] = phone.kind
    values["fp"] = fingerprint(_Snapshot(contact), CONTACT_EDITED)
    return values


class _Snapshot:
    """A contact with its phones as plain values, so the fingerprint sees a phone changed too."""

    def __init__(self, contact: Any) -> None:
        for name in CONTACT_FIELDS:
            setattr(self, name, getattr(contact, name))
        self.phones = [(p.phone, p.kind) for p in contact.phones]


def _phone_rows(form: dict[str, str]) -> int:
    used = [n for n in range(1, 21) if form.get(f"phone_{n}") or form.get(f"kind_{n}")]
    return max([PHONE_ROWS, *(n + 1 for n in used)])


def _contact_input(lang: str, form: dict[str, str]) -> tuple[dict[str, Any], list[PhoneData]]:
    data = blank_none(form, CONTACT_FIELDS)
    rows = [n for n in range(1, 21) if (form.get(f"phone_{n}") or "").strip()]
    data["phones"] = [
        {"phone": form[f"phone_{n}"].strip(), "kind": form.get(f"kind_{n}") or "work"} for n in rows
    ]
    try:
        parsed = validated(lang, ContactCreate, data, form)
    except FormRefused as error:  # the schema names a phone by its place in the list: the row's
        error.state.errors = {_row_name(k, rows): text for k, text in error.state.errors.items()}
        raise
    values = parsed.model_dump(exclude={"phones"})
    phones = [PhoneData(phone=p.phone, kind=p.kind) for p in parsed.phones]
    return values, phones


def _row_name(name: str, rows: list[int]) -> str:
    parts = name.split(".")
    in_list = len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows)
    if parts[0] == "phones" and in_list:
        prefix = "kind" if parts[-1] == "kind" else "phone"
        return f"{prefix}_{rows[int(parts[1])]}"
    return name


def _contact_form(client_id: int, contact_id: int | None, state: FormState | None) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        client = clients.get_client(db, client_id)
        contact = None
        if contact_id is not None:
            contact = contacts.get_contact(db, client_id=client_id, contact_id=contact_id)
        form = state or FormState(values=_contact_values(contact) if contact else {})
        return {
            "client": client,
            "contact": contact,
            "form": form,
            "rows": _phone_rows({k: str(v) for k, v in form.values.items()}),
            "kinds": PHONE_KINDS,
            "may": rights(staff.profile),
        }

    return build


TEMPLATE = "office/clients_contact_form.html"


@router.get(BASE + "/{client_id:int}/contacts/new", response_model=None)
def new_contact(request: Request, client_id: int) -> Response:
    """The form of a new contact person of the client."""
    return show(request, TEMPLATE, _contact_form(client_id, None, None))


@router.post(BASE + "/{client_id:int}/contacts/new", response_model=None)
def create_contact(request: Request, client_id: int, form: FormDep) -> Response:
    """Add a contact person with phones, or the form again saying what is wrong."""
    lang = page_lang(request)

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CREATE, DocType.CONTACT)
        values, phones = _contact_input(lang, form)
        contacts.create_contact(db, client_id=client_id, data=values, phones=phones)
        return with_query(f"{BASE}/{client_id}", done="saved") + "#contacts"

    def again(state: FormState) -> Build:
        return _contact_form(client_id, None, state)

    failed = form_failed(request, TEMPLATE, again, form, f"{BASE}/{client_id}")
    return session.act(request, form.get("csrf"), change, failed=failed)


@router.get(BASE + "/{client_id:int}/contacts/{contact_id:int}/edit", response_model=None)
def edit_contact(request: Request, client_id: int, contact_id: int) -> Response:
    """The form of a contact person."""
    return show(request, TEMPLATE, _contact_form(client_id, contact_id, None))


@router.post(BASE + "/{client_id:int}/contacts/{contact_id:int}/edit", response_model=None)
def update_contact(request: Request, client_id: int, contact_id: int, form: FormDep) -> Response:
    """Save a contact person, unless someone changed it meanwhile."""
    lang = page_lang(request)

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CHANGE, DocType.CONTACT)
        values, phones = _contact_input(lang, form)
        contact = contacts.get_contact(db, client_id=client_id, contact_id=contact_id)
        what = f"«{contact.full_name}»"
        check_unchanged(_Snapshot(contact), CONTACT_EDITED, form.get("fp"), what=what)
        contacts.update_contact(
            db, client_id=client_id, contact_id=contact_id, changes=values, phones=phones
        )
        return with_query(f"{BASE}/{client_id}", done="saved") + "#contacts"

    def again(state: FormState) -> Build:
        return _contact_form(client_id, contact_id, state)

    failed = form_failed(request, TEMPLATE, again, form, f"{BASE}/{client_id}")
    return session.act(request, form.get("csrf"), change, failed=failed)


def _contact_soft(
    request: Request, client_id: int, contact_id: int, form: dict[str, str], restore: bool
) -> Response:
    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.DELETE, DocType.CONTACT)
        if restore:
            contact = contacts.restore_contact(db, client_id=client_id, contact_id=contact_id)
        else:
            contact = contacts.delete_contact(db, client_id=client_id, contact_id=contact_id)
        done = "restored" if restore else "deleted"
        target = with_query(f"{BASE}/{client_id}", done=done, n=contact.full_name)
        return target + "#contacts"

    def failed(_message: str, error: Any) -> Response:
        return refusal(request, error, f"{BASE}/{client_id}")

    return session.act(request, form.get("csrf"), change, failed=failed)


@router.post(BASE + "/{client_id:int}/contacts/{contact_id:int}/delete", response_model=None)
def delete_contact(request: Request, client_id: int, contact_id: int, form: FormDep) -> Response:
    """Mark a contact person deleted."""
    return _contact_soft(request, client_id, contact_id, form, restore=False)


@router.post(BASE + "/{client_id:int}/contacts/{contact_id:int}/restore", response_model=None)
def restore_contact(request: Request, client_id: int, contact_id: int, form: FormDep) -> Response:
    """Bring a deleted contact person back."""
    return _contact_soft(request, client_id, contact_id, form, restore=True)


@router.post(BASE + "/{client_id:int}/contacts/{contact_id:int}/dial", response_model=None)
def dial(request: Request, client_id: int, contact_id: int, form: FormDep) -> Response:
    """Dial a contact's phone from the user's phone agent: the API's own dial (PH-6, CLI-7)."""
    site = hub_of(request).settings.site

    def change(db: Session, staff: Staff) -> str:
        contacts.get_contact(db, client_id=client_id, contact_id=contact_id)
        sent = call_work.dial(
            db,
            profile=staff.profile,
            site=site,
            user_id=None,
            number=(form.get("number") or "").strip()[:64] or None,
            contact_id=contact_id,
        )
        target = with_query(f"{BASE}/{client_id}", done="dialled", n=sent.number)
        return target + "#contacts"

    def failed(_message: str, error: Any) -> Response:
        return refusal(request, error, f"{BASE}/{client_id}#contacts")

    return session.act(request, form.get("csrf"), change, failed=failed)
