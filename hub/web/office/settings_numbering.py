"""Settings / Numbering (SET-6): the automatic numbering of documents, one rule per document type
and, where a project has its own, per project (the electronic queue's tickets, Q-4).

The registry lists every rule with the number it gives next; a card creates or changes one, and
a project's own rule may be deleted (the general rules stay). The manual's Parameters group
"Автонумерація" (events or tasks numbered per project) is the "per project" mark of the general
Events and Tasks rules. Everything goes through ``hub.services.settings.numbering`` with the
API's own schemas, under the Numbering tab (ACC-4) and the settings right (ACC-1), as the API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hub.api.schemas.common import MAX_DB_INT
from hub.api.schemas.numbering import RuleCreate, RuleUpdate
from hub.db.models import NumberingRule
from hub.errors import DomainError, Invalid
from hub.services.access import rights as access
from hub.services.access.rights import Action, SettingsTab
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.events import pickers
from hub.services.projects import projects
from hub.services.settings import numbering
from hub.services.settings.seed import DEFAULT_NUMBERING
from hub.web.common import hub_of, page_lang, text
from hub.web.office import settings_numbering_texts  # noqa: F401 (registers the words)
from hub.web.office.forms import FormState, invalid, refused
from hub.web.office.session import Staff, act, with_query
from hub.web.office.settings import ROOT, may_settings, menu
from hub.web.office.settings_common import one, serve

router = APIRouter()
BASE = f"{ROOT}/numbering"
TAB = SettingsTab.NUMBERING
EDITABLE = ("prefix", "width", "start", "per_project", "daily_reset")
RESETS = ("never", "daily")
PROJECT_PICKER = "/office/events/pick/project"
# The document types every installation numbers, in the manual's order.
KNOWN_DOCS = tuple(doc_type for doc_type, *_rest in DEFAULT_NUMBERING)


def doc_label(lang: str, doc_type: str) -> str:
    """A document type's name, or its code when the page has no words for it."""
    key = f"num_doc_{doc_type}"
    name = text(lang, key)
    return doc_type if name == key else name


def _in_order(lines: list[numbering.RuleLine]) -> list[numbering.RuleLine]:
    """The manual's document types first, each general rule before the projects' own."""
    place = {doc_type: index for index, doc_type in enumerate(KNOWN_DOCS)}

    def key(line: numbering.RuleLine) -> tuple[int, str, bool, str]:
        order = place.get(line.doc_type, len(place))
        return order, line.doc_type, line.project_id is not None, line.project_name or ""

    return sorted(lines, key=key)


def _doc_choices(lang: str, rules: list[numbering.RuleLine]) -> list[tuple[str, str]]:
    found = list(KNOWN_DOCS) + sorted({r.doc_type for r in rules} - set(KNOWN_DOCS))
    return [(doc_type, doc_label(lang, doc_type)) for doc_type in found]


@router.get(BASE, response_model=None)
def rules_page(request: Request) -> Response:
    """Every numbering rule with the number it gives next."""
    return _registry(request)


def _registry(request: Request, *, problem: str = "", status: int = 200) -> Response:
    lang = page_lang(request)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        profile = staff.profile
        access.require_tab(profile, TAB, lang)
        return {
            "menu": menu(profile, lang),
            "base": BASE,
            "lines": _in_order(numbering.rule_lines(session, on=hub_of(request).today())),
            "doc_label": lambda doc_type: doc_label(lang, doc_type),
            "problem": problem,
            "saved": request.query_params.get("saved") == "1",
            "may_create": may_settings(profile, Action.CREATE, TAB),
            "may_delete": may_settings(profile, Action.DELETE, TAB),
        }

    return serve(request, "office/settings_numbering.html", build, status=status)


def _shown(rule: NumberingRule) -> dict[str, Any]:
    """A rule's card as the form shows it, with the fingerprint that guards its save."""
    return {
        "prefix": rule.prefix,
        "width": rule.width,
        "start": rule.start,
        "per_project": "on" if rule.per_project else "",
        "reset": "daily" if rule.daily_reset else "never",
        "fingerprint": fingerprint(rule, EDITABLE),
    }


def _card(
    request: Request, rule_id: int | None, form: FormState | None = None, *, status: int = 200
) -> Response:
    lang = page_lang(request)
    today = hub_of(request).today()

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        profile = staff.profile
        access.require_tab(profile, TAB, lang)
        rule = None if rule_id is None else numbering.get_rule(session, rule_id)
        lines = numbering.rule_lines(session, on=today)
        line = next((item for item in lines if rule and item.id == rule.id), None)
        if rule is None:
            shown = form or FormState(values={"doc_type": "event", "width": 6, "start": 1})
        else:
            shown = form or FormState(values=_shown(rule))
        return {
            "menu": menu(profile, lang),
            "base": BASE,
            "rule": rule,
            "line": line,
            "form": shown,
            "docs": _doc_choices(lang, lines),
            "doc_label": lambda doc_type: doc_label(lang, doc_type),
            "resets": RESETS,
            "project_picker": PROJECT_PICKER,
            "may_save": may_settings(
                profile, Action.CREATE if rule is None else Action.CHANGE, TAB
            ),
        }

    return serve(request, "office/settings_numbering_card.html", build, status=status)


@router.get(BASE + "/new", response_model=None)
def new_rule(request: Request) -> Response:
    """An empty card: a document type, a project or all of them, and how numbers look."""
    return _card(request, None)


@router.get(BASE + "/{rule_id:int}", response_model=None)
def rule_card(request: Request, rule_id: int) -> Response:
    """A rule's card (its document type and project stay as they are)."""
    return _card(request, rule_id)


def _typed(form: FormData, *, creating: bool) -> dict[str, Any]:
    """What the form sent, to show again after a refusal."""
    names = ["prefix", "width", "start", "per_project", "reset", "fingerprint"]
    if creating:
        names += ["doc_type", "project_id", "project_id_label"]
    return {name: one(form, name) for name in names}


def _data(typed: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The fields as the API's schema reads them (a number left as typed, for its message)."""
    data: dict[str, Any] = {
        "prefix": typed["prefix"],
        "width": typed["width"].strip() or None,
        "start": typed["start"].strip() or None,
        "per_project": typed["per_project"] in ("on", "1", "true"),
        "daily_reset": typed["reset"] == "daily",
    }
    if creating:
        data["doc_type"] = typed["doc_type"]
        data["project_id"] = typed["project_id"].strip() or None
    if data["width"] is None:
        del data["width"]  # missing: required below
    if data["start"] is None:
        del data["start"]
    return data


def _checked(
    lang: str, typed: dict[str, Any], *, creating: bool
) -> tuple[dict[str, Any] | None, FormState | None]:
    """The values to store, or the form again with every wrong field's message."""
    data = _data(typed, creating=creating)
    errors: dict[str, str] = {}
    for name in ("width", "start"):
        if name not in data:
            errors[name] = text(lang, "field_required")
    checked: dict[str, Any] | None = None
    try:
        schema = RuleCreate if creating else RuleUpdate
        checked = schema.model_validate(data, strict=False).model_dump(exclude_unset=True)
    except ValidationError as error:
        errors = invalid(lang, error, typed).errors | errors
    if "width" in errors and "width" in data:
        errors["width"] = text(lang, "num_width_invalid", max=numbering.MAX_WIDTH)
    if "start" in errors and "start" in data:
        errors["start"] = text(lang, "num_start_invalid")
    if creating and "project_id" in errors:
        errors["project_id"] = text(lang, "num_project_pick")
    if errors or checked is None:
        return None, FormState(values=typed, errors=errors)
    return checked, None


def _project(session: Session, staff: Staff, typed: dict[str, Any]) -> int | None:
    """The project a new rule is for: the one chosen in the picker (F3), or the one project of
    the name typed without it; none when the name is left empty (all projects)."""
    label = str(typed.get("project_id_label") or "").strip()
    if not label:
        return None
    chosen = str(typed.get("project_id") or "").strip()
    if chosen:
        ident = int(chosen)
        if ident > MAX_DB_INT:
            raise Invalid("num_project_unknown", field="project_id", name=label[:100])
        return projects.get_project(session, ident).id
    found = pickers.pick_projects(session, staff.profile, label)
    same = [choice for choice in found if choice.label.casefold() == label.casefold()]
    if len(same) != 1:
        raise Invalid("num_project_unknown", field="project_id", name=label[:100])
    return same[0].id


@router.post(BASE + "/new", response_model=None)
async def create_rule(request: Request) -> Response:
    """Add a rule; every wrong field is shown and nothing is stored."""
    form = await request.form()
    return await run_in_threadpool(_save, request, None, form)


@router.post(BASE + "/{rule_id:int}", response_model=None)
async def change_rule(request: Request, rule_id: int) -> Response:
    """Save a rule's card, refused when someone changed it since it was opened."""
    form = await request.form()
    return await run_in_threadpool(_save, request, rule_id, form)


def _save(request: Request, rule_id: int | None, form: FormData) -> Response:
    lang = page_lang(request)
    creating = rule_id is None
    typed = _typed(form, creating=creating)
    checked, wrong = _checked(lang, typed, creating=creating)
    if wrong is not None or checked is None:
        return _card(request, rule_id, wrong, status=422)
    values = checked

    def change(session: Session, staff: Staff) -> str:
        if rule_id is None:
            access.require_settings_change(staff.profile, TAB, Action.CREATE, lang)
            values["project_id"] = _project(session, staff, typed)
            numbering.create_rule(session, values)
            return with_query(BASE, saved=1)
        access.require_settings_change(staff.profile, TAB, Action.CHANGE, lang)
        rule = numbering.get_rule(session, rule_id)
        what = f"«{doc_label(lang, rule.doc_type)}»"
        check_unchanged(rule, EDITABLE, typed["fingerprint"] or "-", what=what)
        numbering.update_rule(session, rule_id, values)
        return with_query(BASE, saved=1)

    def failed(message: str, error: DomainError) -> Response:
        state = refused(lang, error, typed)
        if error.code == "numbering_rule_exists":
            # The domain names no field: the document type and project are what clash.
            state.errors = {"doc_type": message}
        elif error.code == "num_project_unknown":
            state.errors = {"project_id": text(lang, error.code, name=error.params["name"])}
        elif error.code == "not_found" and creating:
            state.errors = {"project_id": text(lang, "num_project_pick")}
        return _card(request, rule_id, state, status=error.status)

    return act(request, one(form, "csrf"), change, failed=failed)


@router.post(BASE + "/{rule_id:int}/delete", response_model=None)
async def delete_rule(request: Request, rule_id: int) -> Response:
    """Delete a project's own rule (its documents follow the general rule again)."""
    form = await request.form()
    return await run_in_threadpool(_delete, request, rule_id, one(form, "csrf"))


def _delete(request: Request, rule_id: int, csrf: str) -> Response:
    lang = page_lang(request)

    def change(session: Session, staff: Staff) -> str:
        access.require_settings_change(staff.profile, TAB, Action.DELETE, lang)
        numbering.delete_rule(session, rule_id)
        return with_query(BASE, saved=1)

    def failed(message: str, error: DomainError) -> Response:
        return _registry(request, problem=message, status=error.status)

    return act(request, csrf, change, failed=failed)
