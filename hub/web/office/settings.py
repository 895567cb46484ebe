"""Settings (SET-1..SET-5): the reference books, one page per book, and the settings menu.

System records are shown apart from the user's own (the manual: bold black against blue) and
are offered no rename or delete; the domain refuses those anyway. Every page needs its settings
tab (ACC-4) and every change the settings right as well (ACC-1), exactly as the API decides.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hub.api.schemas.reference import (
    HistoryGroupCreate,
    HistoryGroupUpdate,
    ReferenceCreate,
    ReferenceUpdate,
    StatusCreate,
    StatusUpdate,
    TaskFieldCreate,
    TaskFieldUpdate,
)
from hub.errors import DomainError, NotFound
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action, DocType, SettingsTab
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.settings import history, reference
from hub.services.settings.reference import REFERENCE_KINDS, ReferenceKind
from hub.web.common import page_lang
from hub.web.office import history_texts, nav, settings_texts  # noqa: F401 (registers the words)
from hub.web.office.forms import FormState, invalid, refused
from hub.web.office.session import Staff, act, with_query
from hub.web.office.settings_common import blank_to_none, many, one, sent, serve

router = APIRouter()
ROOT = "/office/settings"
BOOKS = f"{ROOT}/books"
SHOWS = ("all", "system", "own")
VALUE_TYPES = ("text", "number", "date", "bool")


def sees_any_settings(profile: AccessProfile) -> bool:
    """Everyone has their own settings; the menu shows only the tabs open to them (ACC-4)."""
    return True


nav.add(nav.Section("settings", ROOT, 80, sees_any_settings))


def menu(profile: AccessProfile, lang: str) -> list[dict[str, str]]:
    """The settings tabs this user sees, as links, in the manual's order."""
    links = [
        {"href": f"{BOOKS}/{kind.slug}", "label": kind.label_uk if lang == "uk" else kind.label_en}
        for kind in REFERENCE_KINDS.values()
        if profile.sees_tab(kind.tab)
    ]
    if profile.sees_tab(SettingsTab.NUMBERING):
        links.append({"href": f"{ROOT}/numbering", "key": "set_numbering"})
    if profile.sees_tab(SettingsTab.PARAMETERS) or profile.sees_tab(SettingsTab.NOTIFICATIONS):
        links.append({"href": f"{ROOT}/parameters", "key": "set_parameters"})
        links.append({"href": f"{ROOT}/mail", "key": "set_mail"})
    if profile.sees_tab(SettingsTab.USERS):
        links.append({"href": f"{ROOT}/users", "key": "set_users"})
    links.append({"href": f"{ROOT}/mine", "key": "set_mine"})
    return links


def may_settings(profile: AccessProfile, action: Action, tab: SettingsTab) -> bool:
    """What ``access.require_settings_change`` allows, asked without raising."""
    return profile.sees_tab(tab) and profile.can(action, DocType.SETTINGS)


@router.get(ROOT, response_model=None)
def settings_index(request: Request) -> Response:
    """The settings tabs open to this user."""
    lang = page_lang(request)

    def build(_session: Session, staff: Staff) -> dict[str, Any]:
        return {"menu": menu(staff.profile, lang)}

    return serve(request, "office/settings_index.html", build)


# --- the reference books ---------------------------------------------------------------------


def _kind(slug: str) -> ReferenceKind:
    kind = REFERENCE_KINDS.get(slug)
    if kind is None:
        raise NotFound("not_found", what=slug)
    return kind


def _label(kind: ReferenceKind, lang: str) -> str:
    return kind.label_uk if lang == "uk" else kind.label_en


def _schemas(kind: ReferenceKind) -> tuple[type[BaseModel], type[BaseModel]]:
    # The API's own schemas: a page accepts exactly what the API accepts.
    if "fields" in kind.extra_fields:
        return HistoryGroupCreate, HistoryGroupUpdate
    if "color" in kind.extra_fields:
        return StatusCreate, StatusUpdate
    if "value_type" in kind.extra_fields:
        return TaskFieldCreate, TaskFieldUpdate
    return ReferenceCreate, ReferenceUpdate


def _editable(kind: ReferenceKind) -> tuple[str, ...]:
    """The fields a card shows for editing (and fingerprints)."""
    extra = tuple(f for f in kind.extra_fields if f != "value_type")
    return ("code", "name_uk", "name_en", "description", "sort_order", *extra)


def _matches(entry: Any, query: str) -> bool:
    folded = query.casefold()
    return any(
        folded in str(value).casefold() for value in (entry.code, entry.name_uk, entry.name_en)
    )


@router.get(BOOKS + "/{slug}", response_model=None)
def book(request: Request, slug: str, q: str = "", show: str = "all") -> Response:
    """One reference book: system records apart from the user's own, filtered on the server."""
    return _book_page(request, slug, q=q, show=show)


def _book_page(
    request: Request,
    slug: str,
    *,
    q: str = "",
    show: str = "all",
    problem: str = "",
    status: int = 200,
) -> Response:
    lang = page_lang(request)
    show = show if show in SHOWS else "all"
    q = q.strip()[:100]

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        kind = _kind(slug)
        access.require_tab(staff.profile, kind.tab, lang)
        system = {"system": True, "own": False}.get(show)
        entries = reference.list_entries(session, kind, system=system)
        if q:
            entries = [entry for entry in entries if _matches(entry, q)]
        profile = staff.profile
        return {
            "menu": menu(profile, lang),
            "kind": kind,
            "book": _label(kind, lang),
            "base": f"{BOOKS}/{kind.slug}",
            "entries": entries,
            "q": q,
            "show": show,
            "shows": SHOWS,
            "problem": problem,
            "saved": request.query_params.get("saved") == "1",
            "may_create": may_settings(profile, Action.CREATE, kind.tab),
            "may_change": may_settings(profile, Action.CHANGE, kind.tab),
            "may_delete": may_settings(profile, Action.DELETE, kind.tab),
        }

    return serve(request, "office/reference_list.html", build, status=status)


def _card(
    request: Request,
    slug: str,
    entry_id: int | None,
    form: FormState | None = None,
    *,
    status: int = 200,
) -> Response:
    """The card of a new or an existing record, with what was typed after a refusal."""
    lang = page_lang(request)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        kind = _kind(slug)
        profile = staff.profile
        access.require_tab(profile, kind.tab, lang)
        entry = None
        if entry_id is None:
            access.require_settings_change(profile, kind.tab, Action.CREATE, lang)
            shown = form or FormState(values={"sort_order": "0", "value_type": "text"})
        else:
            entry = reference.get_entry(session, kind, entry_id)
            values = {name: getattr(entry, name) for name in _editable(kind)}
            values = {k: "" if v is None else v for k, v in values.items()}
            values["fingerprint"] = fingerprint(entry, _editable(kind))
            shown = form or FormState(values=values)
        return {
            "menu": menu(profile, lang),
            "kind": kind,
            "book": _label(kind, lang),
            "base": f"{BOOKS}/{kind.slug}",
            "entry": entry,
            "form": shown,
            "value_types": VALUE_TYPES,
            "history_fields": history.known_fields(),
            "may_save": may_settings(
                profile, Action.CREATE if entry is None else Action.CHANGE, kind.tab
            ),
        }

    return serve(request, "office/reference_card.html", build, status=status)


@router.get(BOOKS + "/{slug}/new", response_model=None)
def new_entry(request: Request, slug: str) -> Response:
    """An empty card for a record of the user's own."""
    return _card(request, slug, None)


@router.get(BOOKS + "/{slug}/{entry_id:int}", response_model=None)
def entry_card(request: Request, slug: str, entry_id: int) -> Response:
    """A record's card: a system record keeps its code and names."""
    return _card(request, slug, entry_id)


def _entry_data(kind: ReferenceKind, form: FormData, *, creating: bool) -> dict[str, Any]:
    """The fields the form sent, as the API's schema reads them (empty optional = none)."""
    names = [
        *_editable(kind),
        *(("value_type",) if creating and "value_type" in kind.extra_fields else ()),
    ]
    data: dict[str, Any] = {}
    for name in names:
        if name == "fields":
            # Checkboxes: none ticked sends none, so the form says it showed them.
            if sent(form, "fields_shown"):
                data[name] = many(form, name) or None
            continue
        if not sent(form, name):
            continue
        value = one(form, name)
        if name in ("description", "color"):
            data[name] = blank_to_none(value)
        elif name == "sort_order":
            data[name] = value.strip() or "0"
        else:
            data[name] = value
    return data


@router.post(BOOKS + "/{slug}/new", response_model=None)
async def create_entry(request: Request, slug: str) -> Response:
    """Add a record of the user's own; every wrong field is shown and nothing is stored."""
    form = await request.form()
    return await run_in_threadpool(_save_entry, request, slug, None, form)


@router.post(BOOKS + "/{slug}/{entry_id:int}", response_model=None)
async def change_entry(request: Request, slug: str, entry_id: int) -> Response:
    """Save a card, refused when someone changed the record since it was opened."""
    form = await request.form()
    return await run_in_threadpool(_save_entry, request, slug, entry_id, form)


def _save_entry(request: Request, slug: str, entry_id: int | None, form: FormData) -> Response:
    lang = page_lang(request)
    kind = REFERENCE_KINDS.get(slug)
    if kind is None:
        return _card(request, slug, entry_id)
    creating = entry_id is None
    data = _entry_data(kind, form, creating=creating)
    typed = {**data, "fingerprint": one(form, "fingerprint")}
    typed = {k: "" if v is None else v for k, v in typed.items()}
    schema = _schemas(kind)[0 if creating else 1]
    try:
        checked = schema.model_validate(data, strict=False).model_dump(exclude_unset=True)
    except ValidationError as error:
        return _card(request, slug, entry_id, invalid(lang, error, typed), status=422)

    def change(session: Session, staff: Staff) -> str:
        if entry_id is None:
            access.require_settings_change(staff.profile, kind.tab, Action.CREATE, lang)
            reference.create_entry(session, kind, checked)
        else:
            access.require_settings_change(staff.profile, kind.tab, Action.CHANGE, lang)
            entry = reference.get_entry(session, kind, entry_id)
            name = entry.name_uk if lang == "uk" else entry.name_en
            check_unchanged(
                entry, _editable(kind), one(form, "fingerprint") or "-", what=f"«{name}»"
            )
            reference.update_entry(session, kind, entry_id, checked)
        return with_query(f"{BOOKS}/{kind.slug}", saved=1)

    def failed(message: str, error: DomainError) -> Response:
        state = refused(lang, error, typed)
        if error.code == "duplicate_code":
            # The domain names no field here, but the code is what must change.
            state.errors = {"code": message}
        return _card(request, slug, entry_id, state, status=error.status)

    return act(request, one(form, "csrf"), change, failed=failed)


@router.post(BOOKS + "/{slug}/{entry_id:int}/delete", response_model=None)
async def delete_entry(request: Request, slug: str, entry_id: int) -> Response:
    """Delete a record of the user's own that nothing uses (a system record never)."""
    form = await request.form()
    return await run_in_threadpool(_delete_entry, request, slug, entry_id, one(form, "csrf"))


def _delete_entry(request: Request, slug: str, entry_id: int, csrf: str) -> Response:
    lang = page_lang(request)

    def change(session: Session, staff: Staff) -> str:
        kind = _kind(slug)
        access.require_settings_change(staff.profile, kind.tab, Action.DELETE, lang)
        reference.delete_entry(session, kind, entry_id)
        return with_query(f"{BOOKS}/{kind.slug}", saved=1)

    def failed(message: str, error: DomainError) -> Response:
        return _book_page(request, slug, problem=message, status=error.status)

    return act(request, csrf, change, failed=failed)
