"""The Projects section (PRJ): the registry by journal (PRJ-1, SET-5), a new project, and a
project deleted from the registry. The card's tabs live in ``projects_card`` (details, events,
tasks, plan), ``projects_contracts``, ``projects_group``, ``projects_discussion`` and
``projects_files``; an event or a task made from the card in ``projects_work``.

Every page reads through the same services as the API (``hub.services.projects``) and pages by
their keyset cursors; what the user may not do is not offered, and each change checks the same
rights (the journal's too) again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.errors import Invalid
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.projects import desk, projects
from hub.services.projects.projects import JournalFilter
from hub.web.common import hub_of, page_lang
from hub.web.office import (
    projects_card,
    projects_contracts,
    projects_discussion,
    projects_files,
    projects_group,
    projects_work,
    session,
)
from hub.web.office.forms import FormState
from hub.web.office.projects_card import CARD_TEMPLATE, card_choices, card_input
from hub.web.office.projects_common import (
    BASE,
    Can,
    FormDep,
    done_message,
    form_failed,
    refusing,
    show,
)
from hub.web.office.session import Build, Staff, with_query

router = APIRouter()

PAGE = 50
MAX_ID = 2**31 - 1
Text = Annotated[str | None, Query(max_length=200)]
Cursor = Annotated[str | None, Query(max_length=1000)]
JournalParam = Annotated[str | None, Query(max_length=12)]


def journal_filter(raw: str | None) -> JournalFilter:
    """The registry's journal: all (empty), none, or one journal's id; 422 for anything else."""
    if not raw:
        return None
    if raw == "none":
        return "none"
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    raise Invalid("prj_journal_filter", field="journal")


@router.get(BASE, response_model=None)
def registry(
    request: Request, journal: JournalParam = None, q: Text = None, cursor: Cursor = None
) -> Response:
    """The registry of projects by journal, found by a part of the name (PRJ-1)."""
    search = (q or "").replace("\x00", "").strip()

    def build(db: Session, staff: Staff) -> dict[str, Any]:
        chosen = journal_filter(journal)
        page = projects.list_projects(
            db, journal=chosen, search=search or None, cursor=cursor, limit=PAGE
        )
        here = with_query(BASE, journal=journal, q=search)
        return {
            "rows": desk.registry_rows(db, page.items),
            "page": page,
            "journals": desk.journals(db),
            "journal": journal or "",
            "q": search,
            "here": here,
            "first": here if cursor else "",
            "later": with_query(BASE, journal=journal, q=search, cursor=page.next_cursor)
            if page.next_cursor
            else "",
            "can": Can(staff.profile),
            "done": done_message(request),
        }

    return show(request, "office/projects.html", build)


def _new_form(state: FormState | None, journal: str | None) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        form = state or FormState(values={"journal_id": journal or ""})
        return {
            "project": None,
            "form": form,
            "may_change": True,
            "choices": card_choices(db, staff.profile, Action.CREATE, None),
            "can": Can(staff.profile),
        }

    return build


@router.get(BASE + "/new", response_model=None)
def new_project(request: Request, journal: JournalParam = None) -> Response:
    """The card of a new project (Ins on the registry), in the registry's journal."""
    return show(request, CARD_TEMPLATE, _new_form(None, journal))


@router.post(BASE + "/new", response_model=None)
def create_project(request: Request, form: FormDep) -> Response:
    """Open the project with the next number, or the card again saying what is wrong."""
    lang = page_lang(request)
    hub = hub_of(request)

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CREATE, DocType.PROJECT)
        values = card_input(db, lang, form)
        project = projects.create_project(
            db, profile=staff.profile, values=values, today=hub.today()
        )
        return with_query(f"{BASE}/{project.id}", done="created", n=project.number)

    def again(state: FormState) -> Build:
        return _new_form(state, None)

    failed = form_failed(request, CARD_TEMPLATE, again, form)
    return session.act(request, form.get("csrf"), change, failed=failed)


@router.post(BASE + "/{project_id:int}/delete", response_model=None)
def delete_project(request: Request, project_id: int, form: FormDep) -> Response:
    """Delete a project without events or tasks (Del on its row, after the confirmation)."""
    files = hub_of(request).files
    journal = form.get("journal") or ""

    def change(db: Session, staff: Staff) -> str:
        name = projects.get_project(db, project_id).name
        projects.delete_project(db, profile=staff.profile, project_id=project_id, files=files)
        try:
            journal_filter(journal)
        except Invalid:
            return with_query(BASE, done="deleted", n=name)
        return with_query(BASE, journal=journal, done="deleted", n=name)

    return session.act(
        request, form.get("csrf"), change, failed=refusing(request, f"{BASE}/{project_id}")
    )


router.include_router(projects_card.router)
router.include_router(projects_contracts.router)
router.include_router(projects_work.router)
router.include_router(projects_group.router)
router.include_router(projects_discussion.router)
router.include_router(projects_files.router)
