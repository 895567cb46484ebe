"""Who is logged in to the back-office, and the one way a page and an action are served.

The login (``/console/login``, shared by every part of the back-office) exchanges the API's
username and password for the API's own bearer token, kept in an HttpOnly, SameSite=Strict
cookie: the same accounts, rights, expiry and logout as the REST API. Pages read it here; a
missing or expired one sends the browser to the login with the page to come back to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from hub.db.engine import transaction
from hub.errors import DomainError, Unauthenticated
from hub.services.access import rights as access
from hub.services.access import users
from hub.services.access.rights import AccessProfile
from hub.web.common import check_csrf, error_text, hub_of, page_lang, render

SESSION_COOKIE = "cherga_console"
LOGIN_PATH = "/console/login"
REFUSED = "office/refused.html"


@dataclass(frozen=True)
class Staff:
    """The logged-in user of the back-office."""

    user_id: int
    name: str
    profile: AccessProfile
    token: str


def current_staff(request: Request, session: Session) -> Staff | None:
    """The user whose session cookie this request carries, if it is valid and may use the CRM."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        user = users.user_for_secret(session, token)
    except Unauthenticated:
        return None
    profile = access.load_profile(session, user)
    if not (profile.crm_access or profile.unrestricted):
        return None
    name = user.employee.full_name if user.employee else user.username
    return Staff(user.id, name, profile, token)


def staff_of(request: Request) -> Staff | None:
    """The logged-in user, read in a session of its own (for a page served outside ``page``)."""
    with hub_of(request).sessions() as session:
        return current_staff(request, session)


def safe_next(value: str | None) -> str:
    """Where to go after the login: a path of this hub only (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/office"
    return value[:512]


def to_login(request: Request) -> RedirectResponse:
    """Back to the login, remembering the page asked for."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(here, safe='')}", status_code=303)


Build = Callable[[Session, Staff], dict[str, Any]]


def page(
    request: Request, template: str, build: Build, *, status: int = 200, **extra: Any
) -> Response:
    """A page for the logged-in user: ``build`` reads what it shows in one read session."""
    with hub_of(request).sessions() as session:
        staff = current_staff(request, session)
        if staff is None:
            return to_login(request)
        values = build(session, staff)
    return render(request, template, {"staff": staff, **values, **extra}, status=status)


@dataclass(frozen=True)
class Refusal:
    """How a section's refusal page reads: its title, the summary's heading, the way back."""

    title: str = "errors_title"
    heading: str = ""
    back: str = "/office"
    back_label: str = "office_home"
    back_class: str = ""


def refused(
    request: Request, message: str, status: int, look: Refusal, back: str | None = None
) -> Response:
    """A page with the refusal's message, a way back, and the status the API would give."""
    staff = staff_of(request)
    if staff is None:
        return to_login(request)
    values = {"staff": staff, "message": message, "refusal": look, "back": back or look.back}
    return render(request, REFUSED, values, status=status)


def page_or_refusal(
    request: Request,
    template: str,
    build: Build,
    *,
    look: Refusal,
    status: int = 200,
    back: str | None = None,
    **extra: Any,
) -> Response:
    """``page``, but a refused read (not found, no right, a bad filter) is a page saying so."""
    try:
        return page(request, template, build, status=status, **extra)
    except DomainError as error:
        return refused(request, error_text(page_lang(request), error), error.status, look, back)


def act(
    request: Request,
    csrf: str | None,
    change: Callable[[Session, Staff], str],
    *,
    failed: Callable[[str, DomainError], Response],
) -> Response:
    """Run one change in one transaction for the logged-in user.

    ``change`` returns where to go next (a redirect after a successful POST, so a reload never
    repeats it); a refused change rolls back entirely and ``failed`` answers with the message.
    """
    lang = page_lang(request)
    try:
        check_csrf(request, csrf)
        with transaction(hub_of(request).sessions) as session:
            staff = current_staff(request, session)
            if staff is None:
                return to_login(request)
            target = change(session, staff)
    except DomainError as error:
        return failed(error_text(lang, error), error)
    return RedirectResponse(target, status_code=303)


def with_query(path: str, **params: str | int | None) -> str:
    """``path`` with the non-empty ``params`` as its query string."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path
