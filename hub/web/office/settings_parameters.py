"""Settings: the global parameters on the manual's two tabs, and the parameters forms' pieces.

Parameters / Notifications (SET-8) and Parameters / Settings (SET-10..SET-12, the queue) are each
their own form, saved under their own tab's right as the API does. Every value is validated
before any is stored. A form is declared as groups of ``Param``; ``shown_values`` and
``form_changes`` turn stored parameters into a form and a posted form into changes, for these
pages and for the users' parameters (``settings_users``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hub.errors import DomainError, NotFound
from hub.services.access import rights as access
from hub.services.access.rights import Action, SettingsTab
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.settings.parameters import (
    SECRET_USER_PARAMETERS,
    GlobalParameters,
    get_global,
    update_global,
)
from hub.web.common import page_lang
from hub.web.office.forms import FormState, invalid, refused
from hub.web.office.session import Staff, act, with_query
from hub.web.office.settings import ROOT, may_settings, menu
from hub.web.office.settings_common import one, serve

router = APIRouter()
NOTIFY = ("none", "email", "system", "email_and_system")


@dataclass(frozen=True)
class Param:
    """One field of a parameters form; its label is ``set_p_{name}``, its hint ``set_h_{name}``."""

    name: str
    kind: str  # bool, int, text, choice or secret
    choices: tuple[str, ...] = ()
    optional: bool = False
    hint: bool = False
    labels: str = "set_c_"  # a choice's label is ``{labels}{choice}``


Group = tuple[str, tuple[Param, ...]]

NOTIFICATIONS: tuple[Group, ...] = (
    (
        "",
        (
            Param(
                "responsible_person_type",
                "choice",
                ("employee", "responsibility_centre", "per_document"),
            ),
        ),
    ),
    (
        "set_group_notify",
        tuple(
            Param(f"task_notifications.{who}", "choice", NOTIFY)
            for who in ("author", "executor", "controller", "responsible")
        ),
    ),
)
SETTINGS: tuple[Group, ...] = (
    (
        "set_group_tasks",
        (Param("queue_create_task_on_save", "bool"), Param("audit_tasks_events", "bool")),
    ),
    (
        "set_group_queue",
        (
            Param("queue.early_checkin_minutes", "int"),
            Param("queue.late_checkin_minutes", "int"),
            Param("queue.late_booking_rule", "choice", ("walk_in", "expire")),
            Param("queue.no_show_after_recalls", "int", optional=True),
            Param("queue.no_show_after_seconds", "int", optional=True),
            Param("queue.running_late_minutes", "int", hint=True),
            Param("queue.default_service_minutes", "int", hint=True),
            Param("queue.wait_estimate_percent", "int", hint=True),
            Param("queue.service_level_alert_percent", "int", optional=True, hint=True),
        ),
    ),
    (
        "set_group_telephony",
        (
            Param("telephony_load_missed_calls", "bool"),
            Param("telephony_server_path", "text", optional=True, hint=True),
            Param("telephony_min_number_length", "int", hint=True),
        ),
    ),
)
TABS: dict[str, tuple[SettingsTab, tuple[Group, ...]]] = {
    "settings": (SettingsTab.PARAMETERS, SETTINGS),
    "notifications": (SettingsTab.NOTIFICATIONS, NOTIFICATIONS),
}


def _params(groups: tuple[Group, ...]) -> list[Param]:
    return [param for _title, params in groups for param in params]


def _top(groups: tuple[Group, ...]) -> list[str]:
    """The stored parameters a form covers (a group such as ``queue`` is one)."""
    return sorted({param.name.split(".")[0] for param in _params(groups)} - SECRET_USER_PARAMETERS)


def shown_values(model: BaseModel, groups: tuple[Group, ...]) -> dict[str, Any]:
    """The form's values from the stored parameters (a secret is never shown)."""
    values: dict[str, Any] = {}
    for param in _params(groups):
        if param.kind == "secret":
            continue
        value: Any = model
        for part in param.name.split("."):
            value = getattr(value, part)
        values[param.name] = "" if value is None else value
    values["fingerprint"] = fingerprint(model, _top(groups))
    return values


def form_changes(
    form: FormData, groups: tuple[Group, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the form changes (nested as the model is) and what it shows again if refused."""
    changes: dict[str, Any] = {}
    typed: dict[str, Any] = {"fingerprint": one(form, "fingerprint")}
    for param in _params(groups):
        raw = one(form, param.name).strip()
        value: Any = raw
        if param.kind == "bool":
            value = raw in ("on", "true", "1")
        elif param.kind == "secret" and not raw:
            continue  # empty keeps the stored password
        elif param.optional and not raw:
            value = None
        if param.kind != "secret":
            typed[param.name] = "" if value is None else value
        head, _, tail = param.name.partition(".")
        if tail:
            changes.setdefault(head, {})[tail] = value
        else:
            changes[head] = value
    return changes, typed


# --- Parameters ------------------------------------------------------------------------------


@router.get(ROOT + "/parameters", response_model=None)
def parameters(request: Request) -> Response:
    """The first of the two parameter tabs the user sees."""
    return _parameters_page(request, None)


@router.get(ROOT + "/parameters/{tab}", response_model=None)
def parameters_tab(request: Request, tab: str) -> Response:
    """Parameters / Settings or Parameters / Notifications."""
    return _parameters_page(request, tab)


def _parameters_page(
    request: Request, tab: str | None, form: FormState | None = None, *, status: int = 200
) -> Response:
    lang = page_lang(request)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        profile = staff.profile
        open_tabs = [key for key, (where, _g) in TABS.items() if profile.sees_tab(where)]
        chosen = tab or (open_tabs[0] if open_tabs else "settings")
        if chosen not in TABS:
            raise NotFound("not_found", what=chosen)
        where, groups = TABS[chosen]
        access.require_tab(profile, where, lang)
        return {
            "menu": menu(profile, lang),
            "tabs": open_tabs,
            "tab": chosen,
            "groups": groups,
            "form": form or FormState(values=shown_values(get_global(session), groups)),
            "action": f"{ROOT}/parameters/{chosen}",
            "may_save": may_settings(profile, Action.CHANGE, where),
            "saved": request.query_params.get("saved") == "1",
        }

    return serve(request, "office/settings_parameters.html", build, status=status)


@router.post(ROOT + "/parameters/{tab}", response_model=None)
async def save_parameters(request: Request, tab: str) -> Response:
    """Save one tab's parameters; a wrong value stores nothing."""
    form = await request.form()
    return await run_in_threadpool(_save_parameters, request, tab, form)


def _save_parameters(request: Request, tab: str, form: FormData) -> Response:
    lang = page_lang(request)
    if tab not in TABS:
        return _parameters_page(request, tab)
    where, groups = TABS[tab]
    changes, typed = form_changes(form, groups)
    try:
        GlobalParameters.model_validate(changes, strict=False)
    except ValidationError as error:
        return _parameters_page(request, tab, invalid(lang, error, typed), status=422)

    def change(session: Session, staff: Staff) -> str:
        access.require_settings_change(staff.profile, where, Action.CHANGE, lang)
        what = "«" + ("Параметри" if lang == "uk" else "Parameters") + "»"
        check_unchanged(
            get_global(session), _top(groups), one(form, "fingerprint") or "-", what=what
        )
        update_global(session, changes)
        return with_query(f"{ROOT}/parameters/{tab}", saved=1)

    def failed(_message: str, error: DomainError) -> Response:
        return _parameters_page(request, tab, refused(lang, error, typed), status=error.status)

    return act(request, one(form, "csrf"), change, failed=failed)
