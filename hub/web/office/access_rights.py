"""Access control: one user's rights grid, for administrators only (ACC-1..ACC-5).

Per document type and per journal: create, change, delete; the task-status prohibition; the
settings tabs the user sees; full access granted or revoked in one action (revoking clears every
explicit right: the domain does that). The whole grid is saved in one transaction.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hub.db.models import User
from hub.errors import DomainError
from hub.services.access import rights as access
from hub.services.access import users
from hub.services.access.rights import (
    DOC_LABELS,
    TAB_LABELS,
    AccessProfile,
    Action,
    DocType,
    Rights,
    SettingsTab,
)
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.settings import reference
from hub.services.settings.reference import REFERENCE_KINDS
from hub.web.common import page_lang, text
from hub.web.office.access import ROOT
from hub.web.office.forms import FormState, refused
from hub.web.office.session import Staff, act, with_query
from hub.web.office.settings_common import many, one, sent, serve

router = APIRouter()
GRID = ("full_access", "deny", "docs", "journals", "tabs")


def _grid(profile: AccessProfile) -> SimpleNamespace:
    """A user's stored rights as the sets of ticked boxes (for the form and its fingerprint)."""
    docs = sorted(
        f"{doc}.{action.value}"
        for doc, rights in profile.doc_rights.items()
        for action in Action
        if rights.allows(action)
    )
    journals = sorted(
        f"{journal}.{action.value}"
        for journal, rights in profile.journal_rights.items()
        for action in Action
        if rights.allows(action)
    )
    return SimpleNamespace(
        full_access=profile.full_access,
        deny=profile.deny_task_status_change,
        docs=docs,
        journals=journals,
        tabs=sorted(profile.visible_tabs),
    )


def _label(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "uk" else pair[1]


def _print(user: User) -> str:
    return user.employee.full_name if user.employee else user.username


def _page(
    request: Request, user_id: int, form: FormState | None = None, *, status: int = 200
) -> Response:
    lang = page_lang(request)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        access.require_admin(staff.profile)
        user = users.get_user(session, user_id)
        grid = _grid(access.load_profile(session, user))
        journals = reference.list_entries(session, REFERENCE_KINDS["journals"])
        values = {
            "docs": set(grid.docs),
            "journals": set(grid.journals),
            "tabs": set(grid.tabs),
            "deny": grid.deny,
            "fingerprint": fingerprint(grid, GRID),
        }
        return {
            "user": user,
            "name": _print(user),
            "form": form or FormState(values=values),
            "actions": list(Action),
            "documents": [(doc.value, _label(DOC_LABELS[doc], lang)) for doc in DocType],
            "journals": [
                (journal.id, journal.name_uk if lang == "uk" else journal.name_en)
                for journal in journals
            ],
            "settings_tabs": [(tab.value, _label(TAB_LABELS[tab], lang)) for tab in SettingsTab],
            "saved": request.query_params.get("saved") == "1",
        }

    return serve(request, "office/rights_grid.html", build, status=status)


@router.get(ROOT + "/{user_id:int}/rights", response_model=None)
def rights_page(request: Request, user_id: int) -> Response:
    """The rights grid of one user."""
    return _page(request, user_id)


def _ticked(form: FormData) -> dict[str, Any]:
    return {
        "docs": set(many(form, "doc")),
        "journals": set(many(form, "journal")),
        "tabs": set(many(form, "tab")),
        "deny": sent(form, "deny"),
        "fingerprint": one(form, "fingerprint"),
    }


def _rights(ticked: set[str], key: str) -> Rights:
    return Rights(**{action.value: f"{key}.{action.value}" in ticked for action in Action})


@router.post(ROOT + "/{user_id:int}/rights", response_model=None)
async def save_rights(request: Request, user_id: int) -> Response:
    """Save the whole grid at once; refused if someone changed it since it was opened."""
    form = await request.form()
    return await run_in_threadpool(_save, request, user_id, form)


def _save(request: Request, user_id: int, form: FormData) -> Response:
    lang = page_lang(request)
    ticked = _ticked(form)
    # A box the page never offered is ignored; only known tabs can be stored.
    tabs = [tab for tab in SettingsTab if tab.value in ticked["tabs"]]

    def change(session: Session, staff: Staff) -> str:
        access.require_admin(staff.profile)
        user = users.get_user(session, user_id)
        what = text(lang, "acc_what_rights", name=user.username)
        grid = _grid(access.load_profile(session, user))
        check_unchanged(grid, GRID, ticked["fingerprint"] or "-", what=what)
        for doc in DocType:
            rights = _rights(ticked["docs"], doc.value)
            access.set_doc_rights(session, user_id=user_id, doc_type=doc, rights=rights)
        for journal in reference.list_entries(session, REFERENCE_KINDS["journals"]):
            rights = _rights(ticked["journals"], str(journal.id))
            access.set_journal_rights(
                session, user_id=user_id, journal_id=journal.id, rights=rights
            )
        access.set_task_status_prohibition(session, user_id=user_id, prohibited=ticked["deny"])
        access.set_visible_tabs(session, user_id=user_id, tabs=tabs)
        return with_query(f"{ROOT}/{user_id}/rights", saved=1)

    def failed(_message: str, error: DomainError) -> Response:
        return _page(request, user_id, refused(lang, error, ticked), status=error.status)

    return act(request, one(form, "csrf"), change, failed=failed)


@router.post(ROOT + "/{user_id:int}/full", response_model=None)
async def grant_full(request: Request, user_id: int) -> Response:
    """ACC-5: every right in one action."""
    form = await request.form()
    return await run_in_threadpool(_full, request, user_id, one(form, "csrf"), True)


@router.post(ROOT + "/{user_id:int}/full/revoke", response_model=None)
async def revoke_full(request: Request, user_id: int) -> Response:
    """ACC-5: full access and every explicit right taken away in one action."""
    form = await request.form()
    return await run_in_threadpool(_full, request, user_id, one(form, "csrf"), False)


def _full(request: Request, user_id: int, csrf: str, grant: bool) -> Response:
    lang = page_lang(request)

    def change(session: Session, staff: Staff) -> str:
        access.require_admin(staff.profile)
        if grant:
            access.grant_full_access(session, user_id=user_id)
        else:
            access.revoke_full_access(session, user_id=user_id)
        return with_query(f"{ROOT}/{user_id}/rights", saved=1)

    def failed(_message: str, error: DomainError) -> Response:
        return _page(request, user_id, refused(lang, error, {}), status=error.status)

    return act(request, csrf, change, failed=failed)
