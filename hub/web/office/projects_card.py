"""The project card's frame (its head and tabs) and its details tab (PRJ-1, PRJ-8): the card's
fields checked on the server, every wrong field shown at once, and a save over someone else's
change refused (the form carries the card's fingerprint, ``hub.services.common.edits``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.api.schemas.projects import ProjectCreate
from hub.db.models import Project
from hub.services.access.rights import AccessProfile, Action, DocType, require_in_journal
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.projects import desk, projects
from hub.services.projects.projects import CARD_FIELDS
from hub.web.common import error_text, page_lang
from hub.web.office import session
from hub.web.office.forms import FormState, refuse_form, schema_errors
from hub.web.office.projects_common import (
    BASE,
    Can,
    FormDep,
    done_message,
    form_failed,
    ref,
    show,
    stripped,
)
from hub.web.office.session import Build, Staff, with_query

router = APIRouter()

CARD_TEMPLATE = "office/projects_details.html"
# The card's fields in the form's order (the error summary follows it).
FORM_FIELDS = (
    "name",
    "journal_id",
    "start_date",
    "end_date",
    "manager_id",
    "controller_id",
    "customer_id",
    "default_event_type_id",
    "description",
    "uses_queue",
)
REF_FIELDS = ("journal_id", "manager_id", "controller_id", "customer_id", "default_event_type_id")
DATE_FIELDS = ("start_date", "end_date")


def head(request: Request, db: Session, staff: Staff, project_id: int, tab: str) -> dict[str, Any]:
    """What every tab of the card shows above itself: the project, its journal, the tabs."""
    project = projects.get_project(db, project_id)
    books = {j.id: j for j in desk.journals(db)}
    return {
        "project": project,
        "journal": books.get(project.journal_id) if project.journal_id is not None else None,
        "tab": tab,
        "can": Can(staff.profile),
        "done": done_message(request),
    }


def card_choices(
    db: Session, profile: AccessProfile, action: Action, project: Project | None
) -> dict[str, Any]:
    """The card's choices: the journals the user may use for ``action``, people, event types."""
    books = desk.journals(db)
    offered = desk.journals_for(profile, action, DocType.PROJECT, books)
    current = project.journal_id if project is not None else None
    if current is not None and all(j.id != current for j in offered):
        offered = [j for j in books if j.id == current] + offered
    return {"journals": offered, "people": desk.people(db), "event_types": desk.event_types(db)}


def card_values(db: Session, project: Project) -> dict[str, Any]:
    """The card's form as the project is now, with its fingerprint."""
    values: dict[str, Any] = {name: getattr(project, name) for name in FORM_FIELDS}
    for name in DATE_FIELDS:
        values[name] = values[name].isoformat() if values[name] else ""
    for name in (*REF_FIELDS, "description"):
        values[name] = "" if values[name] is None else values[name]
    values["uses_queue"] = "1" if project.uses_queue else ""
    values["customer_label"] = desk.client_name(db, project.customer_id)
    values["fp"] = fingerprint(project, CARD_FIELDS)
    return values


def _typed(data: dict[str, Any]) -> dict[str, Any]:
    """The typed values that are of the right kind, for the domain's checks of a refused form."""
    typed: dict[str, Any] = {name: data[name] for name in REF_FIELDS if type(data[name]) is int}
    for name in DATE_FIELDS:
        try:
            typed[name] = date.fromisoformat(data[name]) if data[name] else None
        except ValueError:
            continue
    return typed


def card_input(db: Session, lang: str, form: dict[str, str]) -> dict[str, Any]:
    """The typed card as the services take it; FormRefused naming every wrong field."""
    data: dict[str, Any] = {name: ref(form, name) for name in REF_FIELDS}
    if not stripped(form, "customer_label"):
        data["customer_id"] = None  # the picker's name emptied: no customer
    data.update(
        name=stripped(form, "name"),
        start_date=stripped(form, "start_date"),
        end_date=stripped(form, "end_date"),
        description=(form.get("description") or "").strip() or None,
        uses_queue=form.get("uses_queue") == "1",
    )
    parsed, errors = schema_errors(lang, ProjectCreate, data)
    values = parsed.model_dump() if parsed is not None else _typed(data)
    for problem in desk.card_problems(db, values):
        errors.setdefault(str(problem.params.get("field") or ""), error_text(lang, problem))
    shown = {name: form.get(name, "") for name in FORM_FIELDS}
    shown.update(customer_label=form.get("customer_label", ""), fp=form.get("fp", ""))
    refuse_form(shown, errors)
    return dict(values)


def _details(request: Request, project_id: int, state: FormState | None) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "details")
        project: Project = values["project"]
        choices = card_choices(db, staff.profile, Action.CHANGE, project)
        names = desk.person_names(db, (project.manager_id, project.controller_id))
        types = {t.id: t for t in choices["event_types"]}
        values.update(
            form=state or FormState(values=card_values(db, project)),
            may_change=staff.profile.can(Action.CHANGE, DocType.PROJECT, project.journal_id),
            choices=choices,
            names={
                "manager": names.get(project.manager_id or 0, ""),
                "controller": names.get(project.controller_id or 0, ""),
                "customer": desk.client_name(db, project.customer_id),
                "event_type": types.get(project.default_event_type_id or 0),
            },
        )
        return values

    return build


@router.get(BASE + "/{project_id:int}", response_model=None)
def details(request: Request, project_id: int) -> Response:
    """The card's details tab: the form, or the facts for a user who may not change them."""
    return show(request, CARD_TEMPLATE, _details(request, project_id, None))


@router.post(BASE + "/{project_id:int}", response_model=None)
def save(request: Request, project_id: int, form: FormDep) -> Response:
    """Save the card, unless a field is wrong or someone changed it meanwhile."""
    lang = page_lang(request)

    def change(db: Session, staff: Staff) -> str:
        project = projects.get_project(db, project_id)
        require_in_journal(db, staff.profile, Action.CHANGE, DocType.PROJECT, project.journal_id)
        values = card_input(db, lang, form)
        check_unchanged(project, CARD_FIELDS, form.get("fp"), what=f"«{project.name}»")
        projects.update_project(db, profile=staff.profile, project_id=project_id, changes=values)
        return with_query(f"{BASE}/{project_id}", done="saved")

    def again(state: FormState) -> Build:
        return _details(request, project_id, state)

    failed = form_failed(request, CARD_TEMPLATE, again, form, f"{BASE}/{project_id}")
    return session.act(request, form.get("csrf"), change, failed=failed)
