"""Settings / Mail (issue 21 in the back-office): the office's SMTP and incoming servers (the
``mail`` group of the global parameters), the SMTP and corporate passwords (write-only: "set" or
"not set", never the value; a "remove" box), and the mail status with "Fetch mail now".

The rights are the API's (``may_change_parameters``): the Parameters tab (or, without it, the
Notifications tab) to see the page, and the settings change right to save, see the status or
fetch. The servers and the passwords are saved in one transaction: a wrong value saves nothing.
"""

from __future__ import annotations

import ssl
from datetime import datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.errors import DomainError
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action, SettingsTab
from hub.services.common.edits import check_unchanged
from hub.services.mail import inbox, outbox, secrets
from hub.services.settings.parameters import GlobalParameters, get_global, update_global
from hub.web.common import check_csrf, error_text, hub_of, page_lang, text
from hub.web.office import settings_mail_texts  # noqa: F401 (registers the words)
from hub.web.office.forms import FormState, form_failure, invalid, refuse_form
from hub.web.office.session import Staff, act, current_staff, refused, to_login, with_query
from hub.web.office.settings import ROOT, may_settings, menu
from hub.web.office.settings_common import REFUSED, one, serve
from hub.web.office.settings_parameters import Group, Param, form_changes, shown_values

router = APIRouter()
PATH = f"{ROOT}/mail"
SECURITY = ("starttls", "tls", "none")
GROUPS: tuple[Group, ...] = (
    (
        "set_group_smtp",
        (
            Param("mail.smtp_host", "text", optional=True, hint=True),
            Param("mail.smtp_port", "int", hint=True),
            Param("mail.smtp_security", "choice", SECURITY, labels="set_sec_"),
            Param("mail.smtp_login", "text", optional=True, hint=True),
            Param("mail.sender", "text", optional=True),
        ),
    ),
    (
        "set_group_incoming",
        (
            Param("mail.incoming_host", "text", optional=True),
            Param("mail.incoming_port", "int", hint=True),
            Param("mail.incoming_protocol", "choice", ("imap", "pop3")),
            Param("mail.incoming_tls", "bool"),
            Param("mail.corporate_login", "text", optional=True),
            Param("mail.fetch_every_minutes", "int", hint=True),
            Param("mail.booking_reminder_hours", "int", hint=True),
        ),
    ),
)
PASSWORDS = {"smtp_password": secrets.SMTP, "corporate_password": secrets.CORPORATE}


def mail_tab(profile: AccessProfile) -> SettingsTab:
    """The tab the mail settings live under, as the API decides: Parameters, or Notifications
    for one who sees only that."""
    if not profile.sees_tab(SettingsTab.PARAMETERS) and profile.sees_tab(SettingsTab.NOTIFICATIONS):
        return SettingsTab.NOTIFICATIONS
    return SettingsTab.PARAMETERS


def password_changes(
    lang: str, form: FormData, names: list[str]
) -> tuple[dict[str, str | None], dict[str, str], dict[str, Any]]:
    """The passwords the form changes (None: remove), the message of each wrong one, and what
    the form shows again (the "remove" boxes, never a password)."""
    changes: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    shown: dict[str, Any] = {}
    for name in names:
        typed = one(form, name)
        if one(form, f"clear_{name}"):
            shown[f"clear_{name}"] = "on"
            changes[name] = None
        elif typed:
            if len(typed) > secrets.MAX_SECRET:
                errors[name] = text(lang, "field_too_long", max=secrets.MAX_SECRET)
            elif any(ord(ch) < 32 for ch in typed):
                errors[name] = text(lang, "field_invalid")
            else:
                changes[name] = typed
    return changes, errors, shown


def status_values(session: Session, hub: Hub) -> dict[str, Any]:
    """The outbox's counts and latest error, sent today, each mailbox's last fetch."""
    midnight = datetime.combine(hub.today(), time(), tzinfo=hub.settings.tz)
    return {
        "health": outbox.health(session),
        "sent_today": outbox.sent_since(session, midnight),
        "mailboxes": inbox.states(session),
    }


def mailbox_values(session: Session, user_id: int, form: FormState) -> dict[str, Any]:
    """One's own mailbox for "My settings": whether its password is set, its last fetch."""
    name = secrets.mailbox_secret(user_id)
    return {
        "set": bool(secrets.secrets_set(session, [name])),
        "state": inbox.user_state(session, user_id),
        "form": form,
    }


def _page(request: Request, form: FormState | None = None, *, status: int = 200) -> Response:
    lang = page_lang(request)
    hub = hub_of(request)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        tab = mail_tab(staff.profile)
        access.require_tab(staff.profile, tab, lang)
        may_save = may_settings(staff.profile, Action.CHANGE, tab)
        stored = secrets.secrets_set(session, list(PASSWORDS.values()))
        return {
            "menu": menu(staff.profile, lang),
            "groups": GROUPS,
            "form": form or FormState(values=shown_values(get_global(session), GROUPS)),
            "action": PATH,
            "may_save": may_save,
            "saved": request.query_params.get("saved") == "1",
            "fetched": _fetched(lang, request),
            "passwords": [(name, PASSWORDS[name] in stored) for name in PASSWORDS],
            "status": status_values(session, hub) if may_save else None,
        }

    return serve(request, "office/settings_mail.html", build, status=status)


def _fetched(lang: str, request: Request) -> str:
    letters = request.query_params.get("fetched")
    if letters is None or not letters.isdigit():
        return ""
    bad = request.query_params.get("bad") or "0"
    bad = bad if bad.isdigit() else "0"
    key = "mail_fetch_failed" if bad != "0" else "mail_fetch_done"
    return text(lang, key, n=letters, bad=bad)


@router.get(PATH, response_model=None)
def mail_settings(request: Request) -> Response:
    """The mail servers, the passwords (set or not) and the mail status."""
    return _page(request)


@router.post(PATH, response_model=None)
async def save_mail_settings(request: Request) -> Response:
    """Save the servers and the passwords together; a wrong value saves nothing."""
    form = await request.form()
    return await run_in_threadpool(_save, request, form)


def _save(request: Request, form: FormData) -> Response:
    lang = page_lang(request)
    hub = hub_of(request)
    changes, typed = form_changes(form, GROUPS)
    passwords, wrong, boxes = password_changes(lang, form, list(PASSWORDS))
    typed.update(boxes)

    def change(session: Session, staff: Staff) -> str:
        access.require_settings_change(staff.profile, mail_tab(staff.profile), Action.CHANGE, lang)
        errors: dict[str, str] = {}
        try:
            GlobalParameters.model_validate(changes, strict=False)
        except ValidationError as error:
            errors = invalid(lang, error, typed).errors
        refuse_form(typed, {**errors, **wrong})
        what = "«" + text(lang, "set_mail") + "»"
        check_unchanged(get_global(session), ["mail"], one(form, "fingerprint") or "-", what=what)
        update_global(session, changes)
        for name, plain in passwords.items():
            secrets.set_secret(session, hub.sealer, PASSWORDS[name], plain)
        return with_query(PATH, saved=1)

    failed = form_failure(
        lang,
        typed,
        lambda state, status: _page(request, state, status=status),
        lambda error: refused(request, error_text(lang, error), error.status, REFUSED),
    )

    reply = act(request, one(form, "csrf"), change, failed=failed)
    if isinstance(reply, RedirectResponse) and reply.headers.get("location", "").startswith(PATH):
        hub.mail_wake()  # a new server or password: try the waiting letters now
    return reply


@router.post(PATH + "/fetch", response_model=None)
async def fetch_now(request: Request) -> Response:
    """Fetch every mailbox now (the settings change right), then show the status."""
    form = await request.form()
    return await run_in_threadpool(_fetch_now, request, one(form, "csrf"))


def _fetch_now(request: Request, csrf: str) -> Response:
    lang = page_lang(request)
    hub = hub_of(request)
    try:
        check_csrf(request, csrf)
        with hub.read_sessions() as session:
            staff = current_staff(request, session)
            if staff is None:
                return to_login(request)
            tab = mail_tab(staff.profile)
            access.require_settings_change(staff.profile, tab, Action.CHANGE, lang)
    except DomainError as error:
        return refused(request, error_text(lang, error), error.status, REFUSED)
    # Outside any transaction: each mailbox commits its own letters.
    result = inbox.fetch(hub, now=utcnow(), context=ssl.create_default_context())
    letters = sum(value for value in result.values() if isinstance(value, int))
    bad = sum(1 for value in result.values() if isinstance(value, str))
    hub.mail_wake()
    return RedirectResponse(with_query(PATH, fetched=str(letters), bad=str(bad)), 303)
