"""The card's work group tab (PRJ-4): the employees taking part in the project (the electronic
queue's operators come from here), added in the "choose employees" window by marking them, and
taken out; both need the right to change the project in its journal, as through the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.api.schemas.projects import MemberAdd
from hub.services.access.rights import Action, DocType, require_in_journal
from hub.services.projects import desk, projects
from hub.web.common import page_lang, text
from hub.web.office import session
from hub.web.office.forms import FormState, validated
from hub.web.office.projects_card import head
from hub.web.office.projects_common import (
    BASE,
    FormDep,
    FormListsDep,
    form_failed,
    refusing,
    show,
)
from hub.web.office.session import Build, Staff, with_query

router = APIRouter()

TEMPLATE = "office/projects_group_add.html"
# At most this many employees are added by one form (the window lists the active users).
MAX_CHOSEN = 500


@router.get(BASE + "/{project_id:int}/group", response_model=None)
def group_tab(request: Request, project_id: int) -> Response:
    """The work group, by name."""

    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "group")
        values["members"] = projects.list_members(db, project_id=project_id)
        return values

    return show(request, "office/projects_group.html", build)


def _add_form(request: Request, project_id: int, state: FormState | None) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "group")
        members = desk.member_ids(db, project_id=project_id)
        values.update(
            people=desk.people(db, exclude=members),
            form=state or FormState(values={"users": []}),
        )
        return values

    return build


@router.get(BASE + "/{project_id:int}/group/add", response_model=None)
def add_page(request: Request, project_id: int) -> Response:
    """The "choose employees" window (Ins on the work group tab)."""
    return show(request, TEMPLATE, _add_form(request, project_id, None))


def _chosen(raw: list[str]) -> list[int]:
    ids: list[int] = []
    for value in raw[:MAX_CHOSEN]:
        if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 and int(value) not in ids:
            ids.append(int(value))
    return ids


@router.post(BASE + "/{project_id:int}/group/add", response_model=None)
def add_members(request: Request, project_id: int, lists: FormListsDep) -> Response:
    """Add the marked employees to the work group, or the window again saying what is wrong."""
    lang = page_lang(request)
    chosen = _chosen(lists.get("users", []))
    role = (lists.get("role") or [""])[0]
    shown: dict[str, Any] = {"users": [str(i) for i in chosen], "role": role}

    def change(db: Session, staff: Staff) -> str:
        project = projects.get_project(db, project_id)
        require_in_journal(db, staff.profile, Action.CHANGE, DocType.PROJECT, project.journal_id)
        extra = {} if chosen else {"users": text(lang, "prj_group_none_chosen")}
        body = validated(lang, MemberAdd, {"role": role.strip() or None}, shown, extra)
        for user_id in chosen:
            projects.add_member(
                db, profile=staff.profile, project_id=project_id, user_id=user_id, role=body.role
            )
        return with_query(f"{BASE}/{project_id}/group", done="members", n=len(chosen))

    def again(state: FormState) -> Build:
        return _add_form(request, project_id, state)

    csrf = (lists.get("csrf") or [""])[0]
    back = f"{BASE}/{project_id}/group"
    failed = form_failed(request, TEMPLATE, again, shown, back)
    return session.act(request, csrf, change, failed=failed)


@router.post(BASE + "/{project_id:int}/group/{user_id:int}/remove", response_model=None)
def remove_member(request: Request, project_id: int, user_id: int, form: FormDep) -> Response:
    """Take an employee out of the work group (Del on the row, after the confirmation)."""
    back = f"{BASE}/{project_id}/group"

    def change(db: Session, staff: Staff) -> str:
        name = desk.person_names(db, [user_id]).get(user_id, str(user_id))
        projects.remove_member(db, profile=staff.profile, project_id=project_id, user_id=user_id)
        return with_query(back, done="member_removed", n=name)

    return session.act(request, form.get("csrf"), change, failed=refusing(request, back))
