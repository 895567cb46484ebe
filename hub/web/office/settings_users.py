"""Settings / Parameters / Users (SET-9): the user's own settings, and each user's parameters set
by someone holding that tab (an administrator picks a user, then edits their form).

One form serves both: telephony (the SIP password; the project and unit of events made from
calls), mail (corporate mail, checking it, its project and unit), the phone's auto-start, user
statuses and birthday reminders; the SIP number is the employee's, shown here and set on the
user's card. The rights are the domain's (``hub.services.settings.user_parameters``, the same
as the API's ``/users/{id}/parameters``): one's own are always readable, another's need the
tab, and every change needs the tab and the settings right. The SIP password is write-only:
never shown, kept when its field is left empty, removed by its "remove" box.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hub.errors import DomainError, Invalid
from hub.services.access import registry
from hub.services.access import rights as access
from hub.services.access.rights import SettingsTab
from hub.services.mail import secrets
from hub.services.settings import user_parameters
from hub.services.settings.parameters import SECRET_USER_PARAMETERS
from hub.web.common import hub_of, page_lang
from hub.web.office import settings_mail
from hub.web.office.access import sees_users
from hub.web.office.forms import FormRefused, FormState, invalid, refuse_form, refused
from hub.web.office.session import Staff, act, with_query
from hub.web.office.settings import ROOT, menu
from hub.web.office.settings_common import one, serve
from hub.web.office.settings_parameters import Group, Param, form_changes, shown_values

router = APIRouter()
MINE = f"{ROOT}/mine"
USERS = f"{ROOT}/users"
TEMPLATE = "office/settings_user.html"
PAGE = 50
MAILBOX = "mailbox_password"

GROUPS: tuple[Group, ...] = (
    (
        "set_group_telephony",
        (
            Param("sip_password", "secret"),
            Param("telephony_project_id", "int", optional=True),
            Param("telephony_unit", "text", optional=True),
            Param("auto_start_phone", "bool"),
        ),
    ),
    (
        "set_group_mail",
        (
            Param("receive_corporate_mail", "bool"),
            Param("check_mail_on_open", "bool"),
            Param("mail_login", "text", optional=True, hint=True),
            Param("corporate_mail_delivery", "choice", ("all", "one")),
            Param("mail_project_id", "int", optional=True),
            Param("mail_unit", "text", optional=True),
        ),
    ),
    (
        "set_group_statuses",
        (Param("use_user_statuses", "bool"), Param("view_user_statuses", "bool")),
    ),
    (
        "set_group_reminders",
        (Param("birthday_reminders", "bool"), Param("birthday_days_ahead", "int")),
    ),
)
CLEAR = tuple(f"clear_{name}" for name in sorted(SECRET_USER_PARAMETERS))
# What the form shows, so a change of anything else (a registry's columns) is no conflict.
SHOWN = tuple(
    sorted({param.name for _title, params in GROUPS for param in params} - SECRET_USER_PARAMETERS)
)


class _Refused(Invalid):
    """The form's values failed validation: the form again with every message."""

    def __init__(self, state: FormState) -> None:
        super().__init__("validation_error", details="")
        self.state = state


def _path(user_id: int | None) -> str:
    return MINE if user_id is None else f"{USERS}/{user_id}"


def _page(
    request: Request,
    user_id: int | None,
    form: FormState | None = None,
    *,
    status: int = 200,
    mailbox: FormState | None = None,
) -> Response:
    """The form of the user's own parameters (``user_id`` None) or of the user ``user_id``."""
    lang = page_lang(request)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        target = staff.user_id if user_id is None else user_id
        user, params = user_parameters.read(
            session, profile=staff.profile, user_id=target, lang=lang
        )
        values = shown_values(params, GROUPS)
        values["fingerprint"] = user_parameters.version(params, SHOWN)
        employee = user.employee
        return {
            "menu": menu(staff.profile, lang),
            "own": user_id is None,
            "target": user,
            "name": employee.full_name if employee else user.username,
            "sip_number": employee.sip_number if employee else None,
            "user_card": f"/office/access/users/{user.id}" if sees_users(staff.profile) else "",
            "groups": GROUPS,
            "form": form or FormState(values=values),
            "secret_set": bool(user_parameters.secrets_set(params)),
            "action": _path(user_id),
            "may_save": user_parameters.may_change(staff.profile),
            "saved": request.query_params.get("saved") == "1",
            "mailbox": (
                settings_mail.mailbox_values(session, staff.user_id, mailbox or FormState())
                if user_id is None
                else None
            ),
            "mailbox_saved": request.query_params.get("mailbox") == "1",
        }

    return serve(request, TEMPLATE, build, status=status)


def _save(request: Request, user_id: int | None, form: FormData) -> Response:
    lang = page_lang(request)
    changes, typed = form_changes(form, GROUPS)
    cleared = [name[len("clear_") :] for name in CLEAR if one(form, name)]
    typed.update({f"clear_{name}": "on" for name in cleared})

    def change(session: Session, staff: Staff) -> str:
        target = staff.user_id if user_id is None else user_id
        try:  # the rights are checked first: a forged form is refused whatever it holds
            user_parameters.change(
                session,
                profile=staff.profile,
                user_id=target,
                changes=changes,
                clear=cleared,
                shown=one(form, "fingerprint") or "-",
                fields=SHOWN,
                lang=lang,
            )
        except ValidationError as error:
            raise _Refused(invalid(lang, error, typed)) from None
        return with_query(_path(user_id), saved=1)

    def failed(_message: str, error: DomainError) -> Response:
        state = error.state if isinstance(error, _Refused) else refused(lang, error, typed)
        return _page(request, user_id, state, status=error.status)

    return act(request, one(form, "csrf"), change, failed=failed)


# --- one's own -------------------------------------------------------------------------------


@router.get(MINE, response_model=None)
def mine(request: Request) -> Response:
    """The logged-in user's own settings."""
    return _page(request, None)


@router.post(MINE, response_model=None)
async def save_mine(request: Request) -> Response:
    """Save the user's own settings under the same right as the API."""
    form = await request.form()
    return await run_in_threadpool(_save, request, None, form)


@router.post(MINE + "/mailbox", response_model=None)
async def save_mailbox(request: Request) -> Response:
    """Set or remove one's own mailbox password (any user, as the API allows)."""
    form = await request.form()
    return await run_in_threadpool(_save_mailbox, request, form)


def _save_mailbox(request: Request, form: FormData) -> Response:
    lang = page_lang(request)
    hub = hub_of(request)
    changes, errors, shown = settings_mail.password_changes(lang, form, [MAILBOX])

    def change(session: Session, staff: Staff) -> str:
        refuse_form(shown, errors)
        if MAILBOX in changes:
            secrets.set_secret(
                session, hub.sealer, secrets.mailbox_secret(staff.user_id), changes[MAILBOX]
            )
        return with_query(MINE, mailbox=1) + "#mailbox"

    def failed(_message: str, error: DomainError) -> Response:
        state = error.state if isinstance(error, FormRefused) else refused(lang, error, shown)
        return _page(request, None, status=error.status, mailbox=state)

    return act(request, one(form, "csrf"), change, failed=failed)


# --- any user's ------------------------------------------------------------------------------


@router.get(USERS, response_model=None)
def users_list(
    request: Request,
    q: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """The users whose parameters may be opened here, a page at a time, found by name."""
    lang = page_lang(request)
    q = q.strip()

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        access.require_tab(staff.profile, SettingsTab.USERS, lang)
        found = registry.users_page(session, search=q, cursor=cursor or None, limit=PAGE)
        return {
            "menu": menu(staff.profile, lang),
            "users": found.items,
            "q": q,
            "next": with_query(USERS, q=q, cursor=found.next_cursor) if found.next_cursor else "",
            "first": with_query(USERS, q=q) if cursor else "",
        }

    return serve(request, "office/settings_users.html", build)


@router.get(USERS + "/{user_id:int}", response_model=None)
def user_page(request: Request, user_id: int) -> Response:
    """A user's parameters: editable with the right, read-only with the tab alone."""
    return _page(request, user_id)


@router.post(USERS + "/{user_id:int}", response_model=None)
async def save_user(request: Request, user_id: int) -> Response:
    """Save a user's parameters under the same rights as the API."""
    form = await request.form()
    return await run_in_threadpool(_save, request, user_id, form)
