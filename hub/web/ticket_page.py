"""The visitor's live ticket page (issue 23): ``/t/{token}``, its JSON state, cancel, running late.

Public and small-phone first. The page is drawn on the server and works without scripts (the
actions are plain forms with a CSRF token); ``ticket.js`` polls ``/t/{token}/state`` every two
seconds and alerts (vibration, a beep, a notification where allowed) when the ticket is called
or recalled. Every wrong or expired token gets the same 404, and such misses are counted per
address in the database (``booking.hit``), as are the actions; a valid link's polls are limited
per token in this process.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from hub.db.engine import transaction
from hub.errors import DomainError, NotFound
from hub.i18n import LANGUAGES, negotiate
from hub.protocol.waits import say_wait
from hub.services.queue import booking, links
from hub.services.queue import ticket_page as pages
from hub.services.queue.ticket_page import VisitorTicket
from hub.web.common import (
    LANG_COOKIE,
    SECURITY_HEADERS,
    check_csrf,
    client_address,
    context,
    error_text,
    hub_of,
    render,
    text,
)

router = APIRouter(include_in_schema=False)
Optional = Annotated[str | None, Form()]

POLL_SECONDS = 2
# Wrong tokens from one address: a guesser gets 30 tries per 10 minutes, a page left open past
# midnight stops polling at its first 404.
MISS_LIMIT = booking.Limit(hits=30, seconds=600)
# Polls of one link: a page asks 30 times a minute; a few tabs still fit.
POLLS_PER_MINUTE = 120


class PollCounter:
    """Requests per key in the current minute, for the keys seen lately (bounded memory)."""

    def __init__(self, limit: int, keep: int = 50_000) -> None:
        self.limit, self.keep = limit, keep
        self._lock = threading.Lock()
        self._counts: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Count one request; False once the key used up this minute's allowance."""
        minute = int(time.monotonic() // 60)
        with self._lock:
            seen_minute, hits = self._counts.pop(key, (minute, 0))
            hits = hits + 1 if seen_minute == minute else 1
            self._counts[key] = (minute, hits)
            while len(self._counts) > self.keep:
                self._counts.popitem(last=False)
        return hits <= self.limit


_POLLS = PollCounter(POLLS_PER_MINUTE)


def _lang(request: Request, booked: str | None) -> str:
    """?lang=, else the remembered choice, else the booking's language, else the browser's."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGUAGES:
        return str(asked)
    if booked in LANGUAGES:
        return str(booked)
    return negotiate(request.headers.get("accept-language"), hub_of(request).settings.default_lang)


def _miss(request: Request) -> None:
    # Committed on its own: a refused request still counts.
    with transaction(hub_of(request).sessions) as session:
        key = booking.rate_key("ticket-miss", client_address(request))
        booking.hit(session, context(request).now, key, MISS_LIMIT)


def _view(request: Request, token: str) -> VisitorTicket:
    """The ticket (NotFound counted as a miss); the visitor is marked as following."""
    hub = hub_of(request)
    ctx = context(request)
    try:
        with hub.read_sessions() as session:
            ticket = pages.view(session, ctx, token)
        if pages.needs_seen(ticket.seen_at, ctx.now):
            with transaction(hub.sessions) as writing:
                pages.mark_seen(writing, ctx, token)
    except NotFound:
        _miss(request)
        raise
    return ticket


def lines(ticket: VisitorTicket, lang: str, tz: Any) -> dict[str, str]:
    """The page's sentences for the ticket's state, in ``lang``."""

    def t(key: str, **params: Any) -> str:
        return text(lang, key, **params)

    def hm(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%H:%M") if moment else ""

    state = ticket.state
    headline, detail = t(f"tp_state_{state}"), ""
    if state == "waiting":
        if ticket.place == 1:
            headline = t("tp_next")
        elif ticket.place is not None:
            headline = t("tp_place", place=ticket.place, ahead=ticket.place - 1)
        said = say_wait(
            ticket.estimated_wait_s,
            lang,
            ticket.estimated_wait_low_s,
            ticket.estimated_wait_high_s,
        )
        if ticket.estimated_wait_s == 0:
            detail = t("tp_wait_now")
        elif said is not None:
            detail = t("tp_wait", wait=said)
    elif state in ("called", "serving"):
        headline = t(f"tp_state_{state}", window=ticket.window or "")
        if state == "called" and ticket.recalls:
            detail = t("tp_recalled", times=ticket.recalls)
    elif state == "booked" and ticket.booked_at is not None:
        detail = t("tp_booked_for", day=ticket.booked_at.astimezone(tz).strftime("%d.%m.%Y"))
        detail += f" {hm(ticket.booked_at)}–{hm(ticket.booked_until)}"
    late = t("tp_late_until", time=hm(ticket.late_until)) if ticket.late_until else ""
    return {"headline": headline, "detail": detail, "late": late}


def state_body(ticket: VisitorTicket, lang: str, tz: Any) -> dict[str, Any]:
    """The JSON a page polls: the ticket, its sentences and what it may do now."""
    called = ticket.state == "called"
    return {
        "state": ticket.state,
        "number": ticket.number,
        "service": ticket.service_name,
        "place": ticket.place,
        "wait_s": ticket.estimated_wait_s,
        "wait_low_s": ticket.estimated_wait_low_s,
        "wait_high_s": ticket.estimated_wait_high_s,
        "window": ticket.window,
        "recalls": ticket.recalls,
        "late_until": ticket.late_until.isoformat() if ticket.late_until else None,
        "can_cancel": ticket.can_cancel,
        "can_run_late": ticket.can_run_late,
        # Changes with every call and recall: the page alerts when it changes.
        "alert_key": f"{ticket.called_at.isoformat()}#{ticket.recalls}"
        if called and ticket.called_at
        else "",
        **lines(ticket, lang, tz),
    }


def _gone(request: Request, lang: str | None = None, status: int = 404) -> HTMLResponse:
    lang = lang or _lang(request, None)
    message = error_text(lang, NotFound(links.UNKNOWN))
    return render(request, "missing.html", {"message": message}, status=status, lang=lang)


def _limited(request: Request, error: DomainError) -> Response:
    lang = _lang(request, None)
    return render(request, "missing.html", {"message": error_text(lang, error)}, status=429)


@router.get("/t/{token}", response_class=HTMLResponse)
def ticket_page(request: Request, token: str) -> Response:
    """The live page of the ticket this token opens."""
    if not _POLLS.allow(token[:64]):
        return Response(status_code=429, headers=SECURITY_HEADERS)
    try:
        ticket = _view(request, token)
    except booking.RateLimited as error:
        return _limited(request, error)
    except NotFound:
        return _gone(request)
    lang = _lang(request, ticket.lang)
    tz = hub_of(request).settings.tz
    body = state_body(ticket, lang, tz)
    done = request.query_params.get("done")
    values = {
        "ticket": ticket,
        "token": token,
        "s": body,
        "poll_ms": POLL_SECONDS * 1000,
        "flash": text(lang, f"tp_done_{done}") if done in ("cancelled", "late") else "",
        "minutes": ticket.late_minutes,
        "last_moment": ticket.expires_at - timedelta(seconds=1),
    }
    return render(request, "ticket.html", values, lang=lang)


@router.get("/t/{token}/state")
def ticket_state(request: Request, token: str) -> Response:
    """The ticket's state as JSON for the page's script (404 for a wrong or expired token)."""
    if not _POLLS.allow(token[:64]):
        return JSONResponse({"error": "rate_limited"}, status_code=429, headers=SECURITY_HEADERS)
    try:
        ticket = _view(request, token)
    except booking.RateLimited:
        return JSONResponse({"error": "rate_limited"}, status_code=429, headers=SECURITY_HEADERS)
    except NotFound:
        return JSONResponse({"error": "not_found"}, status_code=404, headers=SECURITY_HEADERS)
    lang = _lang(request, ticket.lang)
    body = state_body(ticket, lang, hub_of(request).settings.tz)
    return JSONResponse(body, headers=SECURITY_HEADERS)


def _act(request: Request, token: str, csrf: str | None, what: str) -> Response:
    lang = _lang(request, None)
    try:
        check_csrf(request, csrf)
        key = booking.rate_key("address", client_address(request))
        with transaction(hub_of(request).sessions) as session:
            booking.hit(session, context(request).now, key, booking.ADDRESS_LIMIT)
        with transaction(hub_of(request).sessions) as session:
            if what == "cancelled":
                pages.cancel(session, context(request), token)
            else:
                pages.running_late(session, context(request), token)
    except NotFound:
        _miss(request)
        return _gone(request, lang)
    except DomainError as error:
        values = {"message": error_text(lang, error)}
        return render(request, "missing.html", values, status=error.status, lang=lang)
    return RedirectResponse(f"/t/{token}?done={what}", status_code=303)


@router.post("/t/{token}/cancel", response_model=None)
def cancel(request: Request, token: str, csrf: Optional = None) -> Response:
    """The visitor cancels the ticket (or the booking)."""
    return _act(request, token, csrf, "cancelled")


@router.post("/t/{token}/late", response_model=None)
def running_late(request: Request, token: str, csrf: Optional = None) -> Response:
    """The visitor is running late: the ticket keeps its place for a while."""
    return _act(request, token, csrf, "late")
