"""The card's contracts tab (PRJ-2): the project's contracts with planned and actual amounts and
their totals per currency (added up by the database), a contract created, changed and deleted
with the contract rights in the project's journal (ACC-1, ACC-2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.api.schemas.projects import ContractCreate
from hub.db.models import ProjectContract
from hub.services.access.rights import Action, DocType, require_in_journal
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.projects import contracts, desk, projects
from hub.services.projects.contracts import CONTRACT_FIELDS
from hub.web.common import page_lang
from hub.web.office import session
from hub.web.office.forms import FormState, validated
from hub.web.office.projects_card import head
from hub.web.office.projects_common import (
    BASE,
    FormDep,
    form_failed,
    ref,
    refusing,
    show,
    stripped,
)
from hub.web.office.session import Build, Staff, with_query

router = APIRouter()

PAGE = 50
TEMPLATE = "office/projects_contract_form.html"
FORM_FIELDS = (
    "number",
    "contract_date",
    "client_id",
    "subject",
    "planned_amount",
    "actual_amount",
    "currency",
)
Cursor = Annotated[str | None, Query(max_length=1000)]


@router.get(BASE + "/{project_id:int}/contracts", response_model=None)
def contracts_tab(request: Request, project_id: int, cursor: Cursor = None) -> Response:
    """The project's contracts, one keyset page, with the totals of all of them."""

    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "contracts")
        page = contracts.list_contracts(db, project_id=project_id, cursor=cursor, limit=PAGE)
        here = f"{BASE}/{project_id}/contracts"
        values.update(
            page=page,
            totals=contracts.contract_totals(db, project_id=project_id),
            clients=desk.client_names(db, (c.client_id for c in page.items)),
            first=here if cursor else "",
            later=with_query(here, cursor=page.next_cursor) if page.next_cursor else "",
        )
        return values

    return show(request, "office/projects_contracts.html", build)


def _money(form: dict[str, str], name: str) -> str | None:
    """An amount as typed, read the way people write it (spaces between thousands, a comma)."""
    raw = "".join((form.get(name) or "").split()).replace("\u00a0", "").replace(",", ".")
    return raw or None


def _contract_values(contract: ProjectContract, client_name: str) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(contract, name) for name in FORM_FIELDS}
    values["contract_date"] = contract.contract_date.isoformat() if contract.contract_date else ""
    values = {name: "" if value is None else str(value) for name, value in values.items()}
    values["client_label"] = client_name
    values["fp"] = fingerprint(contract, CONTRACT_FIELDS)
    return values


def _contract_input(lang: str, form: dict[str, str]) -> dict[str, Any]:
    """The typed contract as the services take it; FormRefused naming every wrong field."""
    data: dict[str, Any] = {
        "number": stripped(form, "number"),
        "contract_date": stripped(form, "contract_date"),
        "client_id": ref(form, "client_id") if stripped(form, "client_label") else None,
        "subject": stripped(form, "subject"),
    }
    for name in ("planned_amount", "actual_amount"):
        amount = _money(form, name)
        if amount is not None:  # an empty amount is nought, the schema's default
            data[name] = amount
    currency = stripped(form, "currency")
    if currency is not None:
        data["currency"] = currency
    shown = {name: form.get(name, "") for name in FORM_FIELDS}
    shown.update(client_label=form.get("client_label", ""), fp=form.get("fp", ""))
    parsed = validated(lang, ContractCreate, data, shown)
    return dict(parsed.model_dump())


def _form(
    request: Request, project_id: int, contract_id: int | None, state: FormState | None
) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "contracts")
        contract = None
        if contract_id is not None:
            contract = contracts.get_contract(db, project_id=project_id, contract_id=contract_id)
        if state is not None:
            form = state
        elif contract is not None:
            form = FormState(
                values=_contract_values(contract, desk.client_name(db, contract.client_id))
            )
        else:
            form = FormState(values={"currency": "UAH"})
        values.update(contract=contract, form=form)
        return values

    return build


@router.get(BASE + "/{project_id:int}/contracts/new", response_model=None)
def new_contract(request: Request, project_id: int) -> Response:
    """The form of a new contract (Ins on the contracts tab)."""
    return show(request, TEMPLATE, _form(request, project_id, None, None))


@router.post(BASE + "/{project_id:int}/contracts/new", response_model=None)
def create_contract(request: Request, project_id: int, form: FormDep) -> Response:
    """Add the contract, or the form again saying what is wrong (nothing saved)."""
    lang = page_lang(request)

    def change(db: Session, staff: Staff) -> str:
        project = projects.get_project(db, project_id)
        require_in_journal(db, staff.profile, Action.CREATE, DocType.CONTRACT, project.journal_id)
        values = _contract_input(lang, form)
        contracts.create_contract(db, profile=staff.profile, project_id=project_id, values=values)
        return with_query(f"{BASE}/{project_id}/contracts", done="contract")

    def again(state: FormState) -> Build:
        return _form(request, project_id, None, state)

    back = f"{BASE}/{project_id}/contracts"
    failed = form_failed(request, TEMPLATE, again, form, back)
    return session.act(request, form.get("csrf"), change, failed=failed)


@router.get(BASE + "/{project_id:int}/contracts/{contract_id:int}", response_model=None)
def edit_contract(request: Request, project_id: int, contract_id: int) -> Response:
    """The form of a contract (Enter on its row)."""
    return show(request, TEMPLATE, _form(request, project_id, contract_id, None))


@router.post(BASE + "/{project_id:int}/contracts/{contract_id:int}", response_model=None)
def save_contract(request: Request, project_id: int, contract_id: int, form: FormDep) -> Response:
    """Save the contract, unless a field is wrong or someone changed it meanwhile."""
    lang = page_lang(request)

    def change(db: Session, staff: Staff) -> str:
        project = projects.get_project(db, project_id)
        require_in_journal(db, staff.profile, Action.CHANGE, DocType.CONTRACT, project.journal_id)
        values = _contract_input(lang, form)
        contract = contracts.get_contract(db, project_id=project_id, contract_id=contract_id)
        what = f"«{contract.number}»"
        check_unchanged(contract, CONTRACT_FIELDS, form.get("fp"), what=what)
        contracts.update_contract(
            db,
            profile=staff.profile,
            project_id=project_id,
            contract_id=contract_id,
            changes=values,
        )
        return with_query(f"{BASE}/{project_id}/contracts", done="contract")

    def again(state: FormState) -> Build:
        return _form(request, project_id, contract_id, state)

    back = f"{BASE}/{project_id}/contracts"
    failed = form_failed(request, TEMPLATE, again, form, back)
    return session.act(request, form.get("csrf"), change, failed=failed)


@router.post(BASE + "/{project_id:int}/contracts/{contract_id:int}/delete", response_model=None)
def delete_contract(request: Request, project_id: int, contract_id: int, form: FormDep) -> Response:
    """Remove a contract from the project (Del on its row, after the confirmation)."""
    back = f"{BASE}/{project_id}/contracts"

    def change(db: Session, staff: Staff) -> str:
        number = contracts.get_contract(db, project_id=project_id, contract_id=contract_id).number
        contracts.delete_contract(
            db, profile=staff.profile, project_id=project_id, contract_id=contract_id
        )
        return with_query(back, done="contract_deleted", n=number)

    return session.act(request, form.get("csrf"), change, failed=refusing(request, back))
