"""The hall administrator's console: the live queue, desk tickets, calls, prints, devices.

Login exchanges the API's username and password for the API's own bearer token, kept in an
HttpOnly cookie scoped to /console: the same accounts, rights and logout as the REST API. Every
form carries the CSRF token. The live part is a fragment the page re-reads every second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hub.db.engine import transaction
from hub.errors import DomainError, Unauthenticated
from hub.i18n import normalise_language
from hub.services.access import login_limits, users
from hub.services.access import rights as access
from hub.services.clients import clients
from hub.services.queue import assign as queue_assign
from hub.services.queue import booking, printing
from hub.services.queue import console as desk
from hub.services.queue import operators as queue_operators
from hub.services.queue import tickets as queue_tickets
from hub.web import live
from hub.web.common import (
    LANG_COOKIE,
    check_csrf,
    client_address,
    context,
    error_text,
    hub_of,
    page_lang,
    render,
    secure_cookies,
)
from hub.web.office.session import SESSION_COOKIE, Staff, current_staff, safe_next
from hub.web.texts import TEXTS

router = APIRouter(prefix="/console", include_in_schema=False)

Optional = Annotated[str | None, Form()]


def _to_login() -> RedirectResponse:
    return RedirectResponse("/console/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """The login form of the whole back-office."""
    asked = request.query_params.get("next")
    goto = safe_next(asked) if asked else ""
    return render(request, "login.html", {"error": None, "username": "", "next": goto})


@router.post("/login", response_model=None)
def login(
    request: Request,
    csrf: Optional = None,
    username: Optional = None,
    password: Optional = None,
    next: Optional = None,
) -> Response:
    """Check the password as the API does and keep the API token in a cookie."""
    lang = page_lang(request)
    hub = hub_of(request)

    def attempt(session: Session) -> tuple[str, str]:
        user = users.authenticate(
            session, hasher=hub.hasher, username=username or "", password=password or ""
        )
        profile = access.load_profile(session, user)
        if not (profile.crm_access or profile.unrestricted):
            raise Unauthenticated("no_crm_access")
        token = users.issue_token(session, user=user, ttl=hub.token_ttl)
        return token, normalise_language(user.lang)

    try:
        check_csrf(request, csrf)
        # The API's throttle (failed logins per address and per username), so neither door
        # is a way around the other.
        token, user_lang = login_limits.throttled(
            hub.sessions,
            context(request).now,
            address=client_address(request),
            username=username or "",
            attempt=attempt,
        )
    except DomainError as error:
        values = {
            "error": error_text(lang, error),
            "username": (username or "")[:64],
            "next": safe_next(next) if next else "",
        }
        page = render(request, "login.html", values, status=error.status)
        if isinstance(error, booking.RateLimited):
            page.headers["Retry-After"] = str(error.params["seconds"])
        return page
    secure = secure_cookies(request)
    response = RedirectResponse(safe_next(next) if next else "/console", status_code=303)
    # One login for the whole back-office: the console, /office and every section.
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hub.token_ttl.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    if LANG_COOKIE not in request.cookies:
        response.set_cookie(LANG_COOKIE, user_lang, samesite="lax", secure=secure, path="/")
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, csrf: Optional = None) -> Response:
    """End the session: the token is revoked, not only forgotten by the browser."""
    check_csrf(request, csrf)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with transaction(hub_of(request).sessions) as session:
            users.revoke_token(session, token)
    response = _to_login()
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=secure_cookies(request),
        httponly=True,
        samesite="strict",
    )
    return response


def _page(
    request: Request,
    template: str,
    build: Callable[[Session, Staff], dict[str, Any]],
    *,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    with hub_of(request).sessions() as session:
        staff = current_staff(request, session)
        if staff is None:
            return _to_login()
        values = build(session, staff)
    return render(request, template, {"staff": staff, **values, **(extra or {})}, status=status)


def _live(session: Session, staff: Staff, request: Request) -> dict[str, Any]:
    return {"live": live.snapshot(session, context(request), user_id=staff.user_id)}


def _flash(request: Request) -> str | None:
    key = request.query_params.get("msg", "")
    if key not in TEXTS or not key.startswith("msg_"):
        return None
    lang = page_lang(request)
    number = request.query_params.get("n", "")[:32]
    window = request.query_params.get("w", "")[:16]
    return TEXTS[key][0 if lang == "uk" else 1].format(number=number, window=window)


@router.get("", response_model=None)
def console(request: Request) -> Response:
    """The console: the live view, the desk ticket form and the client lookup."""
    query = request.query_params.get("q", "").strip()[:100]

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        found = clients.list_clients(session, q=query, limit=10).items if query else None
        return {
            **_live(session, staff, request),
            "q": query,
            "found": found,
            "error": None,
            "later": desk.later_bookings(session, context(request)),
        }

    return _page(request, "console.html", build, extra={"flash": _flash(request)})


@router.get("/live", response_model=None)
def live_fragment(request: Request) -> Response:
    """The live part alone, re-read by the page every second."""
    return _page(request, "console_live.html", lambda s, staff: _live(s, staff, request))


@router.get("/devices", response_model=None)
def devices_page(request: Request) -> Response:
    """Each device: online or not, last seen, version, faults."""
    fragment = request.query_params.get("fragment") == "1"
    template = "devices_live.html" if fragment else "devices.html"
    return _page(
        request,
        template,
        lambda session, staff: {
            "devices": live.all_devices(session, context(request)),
            "link": live.hub_link(hub_of(request).probes),
        },
    )


def _act(
    request: Request,
    csrf: str | None,
    action: Callable[[Session, Staff], dict[str, str]],
) -> Response:
    """Run one console action in one transaction; go back to the console with its outcome."""
    lang = page_lang(request)
    hub = hub_of(request)
    try:
        check_csrf(request, csrf)
        with transaction(hub.sessions) as session:
            staff = current_staff(request, session)
            if staff is None:
                return _to_login()
            outcome = action(session, staff)
    except DomainError as error:
        message = error_text(lang, error)

        def build(session: Session, staff: Staff) -> dict[str, Any]:
            return {
                **_live(session, staff, request),
                "q": "",
                "found": None,
                "error": message,
                "later": desk.later_bookings(session, context(request)),
            }

        return _page(request, "console.html", build, status=error.status)
    return RedirectResponse(f"/console?{urlencode(outcome)}", status_code=303)


def _number(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


@router.post("/issue", response_model=None)
def issue(
    request: Request,
    csrf: Optional = None,
    service: Optional = None,
    name: Optional = None,
    phone: Optional = None,
    companies: Optional = None,
    client_id: Optional = None,
    time: Optional = None,
    printer: Optional = None,
) -> Response:
    """A ticket issued at the desk: now (a walk-in) or for a chosen time today (a booking with
    its code), optionally for a client card, and printed in the same step when a printer is
    chosen."""

    def action(session: Session, staff: Staff) -> dict[str, str]:
        ctx = context(request)
        details = desk.desk_details(
            session,
            name=name,
            phone=phone,
            companies=_number(companies) or 1,
            client_id=_number(client_id) or None,
        )
        later = desk.desk_time(ctx, time)
        if later is None:
            ticket = queue_tickets.issue_ticket(
                session, ctx, service_id=_number(service), client=details, profile=staff.profile
            ).ticket
            outcome = {"msg": "msg_issued", "n": ticket.number}
        else:
            ticket = queue_tickets.create_booking(
                session,
                ctx,
                service_id=_number(service),
                booked_at=later,
                client=details,
                profile=staff.profile,
            )
            outcome = {"msg": "msg_issued_for", "n": ticket.number, "w": time or ""}
        if printer:
            # One step: the print job goes out with the ticket's own transaction.
            printing.send(
                session,
                ctx,
                ticket_id=ticket.id,
                printer_id=printer,
                lang=page_lang(request),  # type: ignore[arg-type]
            )
        return outcome

    return _act(request, csrf, action)


@router.post("/bookings/{ticket_id}/check-in", response_model=None)
def check_in(request: Request, ticket_id: int, csrf: Optional = None) -> Response:
    """A booked visitor arrived at the desk: checked in as a kiosk would."""

    def action(session: Session, staff: Staff) -> dict[str, str]:
        result = desk.check_in_at_desk(
            session, context(request), profile=staff.profile, ticket_id=ticket_id
        )
        return {"msg": "msg_checked_in", "n": result.ticket.number}

    return _act(request, csrf, action)


@router.post("/tickets/{ticket_id}/call", response_model=None)
def call(
    request: Request, ticket_id: int, csrf: Optional = None, window: Optional = None
) -> Response:
    """Call a waiting ticket by hand to the logged-in user's window."""

    def action(session: Session, staff: Staff) -> dict[str, str]:
        access.require(staff.profile, access.Action.CREATE, access.DocType.TASK)
        assignment = queue_assign.call_ticket(
            session, context(request), profile=staff.profile, ticket_id=ticket_id, window=window
        )
        return {"msg": "msg_called", "n": assignment.ticket.number, "w": assignment.window}

    return _act(request, csrf, action)


@router.post("/tickets/{ticket_id}/move", response_model=None)
def move(
    request: Request,
    ticket_id: int,
    csrf: Optional = None,
    service: Optional = None,
    front: Optional = None,
) -> Response:
    """Move a waiting ticket to another service's line, or to the front of a line."""

    def action(session: Session, staff: Staff) -> dict[str, str]:
        ticket = desk.move_ticket(
            session,
            context(request),
            profile=staff.profile,
            ticket_id=ticket_id,
            service_id=_number(service),
            front=front == "1",
        )
        return {"msg": "msg_moved", "n": ticket.number}

    return _act(request, csrf, action)


@router.post("/tickets/{ticket_id}/cancel", response_model=None)
def cancel(request: Request, ticket_id: int, csrf: Optional = None) -> Response:
    """Cancel a waiting ticket or a booking."""

    def action(session: Session, staff: Staff) -> dict[str, str]:
        ticket = booking.cancel_ticket(
            session, context(request), profile=staff.profile, ticket_id=ticket_id
        )
        return {"msg": "msg_cancelled", "n": ticket.number}

    return _act(request, csrf, action)


@router.post("/tickets/{ticket_id}/done", response_model=None)
def done(request: Request, ticket_id: int, csrf: Optional = None) -> Response:
    """Finish the visit the logged-in user called."""

    def action(session: Session, staff: Staff) -> dict[str, str]:
        access.require(staff.profile, access.Action.CHANGE, access.DocType.TASK)
        result = queue_operators.done(
            session, context(request), profile=staff.profile, ticket_id=ticket_id
        )
        return {"msg": "msg_done", "n": result.ticket.number}

    return _act(request, csrf, action)


@router.post("/tickets/{ticket_id}/print", response_model=None)
def print_ticket(
    request: Request, ticket_id: int, csrf: Optional = None, printer: Optional = None
) -> Response:
    """Print or reprint a ticket on the chosen printer."""

    def action(session: Session, staff: Staff) -> dict[str, str]:
        access.require(staff.profile, access.Action.CREATE, access.DocType.EVENT)
        job = printing.send(
            session,
            context(request),
            ticket_id=ticket_id,
            printer_id=printer or "",
            lang=page_lang(request),  # type: ignore[arg-type]
            copies=1,
        )
        return {"msg": "msg_printed", "n": job.number}

    return _act(request, csrf, action)


@router.post("/services/{service_id}/queue", response_model=None)
def switch(
    request: Request, service_id: int, csrf: Optional = None, on: Optional = None
) -> Response:
    """Turn a service's queue on or off."""

    def action(session: Session, staff: Staff) -> dict[str, str]:
        booking.switch_queue(
            session, context(request), profile=staff.profile, service_id=service_id, on=on == "1"
        )
        return {"msg": "msg_switched"}

    return _act(request, csrf, action)
