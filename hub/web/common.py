"""What every web page shares: templates, language, CSRF tokens, security headers, the clock."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.base import dialect_insert
from hub.db.engine import transaction
from hub.db.models.booking import WebKey
from hub.errors import DomainError, Invalid
from hub.i18n import LANGUAGES, negotiate, normalise_language, translate
from hub.services.queue.core import QueueContext
from hub.web.texts import TEXTS

HERE = Path(__file__).parent
LANG_COOKIE = "cherga_lang"
CSRF_COOKIE = "cherga_csrf"
CSRF_FIELD = "csrf"
# What pages add to the headers every reply gets (hub/api/headers.py: nosniff, no framing, no
# referrer): scripts and styles only from the hub itself, and no copy of a page with a booking
# code or a client's data kept in a cache.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def hub_of(request: Request) -> Hub:
    """The hub this app serves."""
    hub: Hub = request.app.state.hub
    return hub


def context(request: Request) -> QueueContext:
    """The moment and site of this request.

    ``app.state.clock``, when set (end-to-end tests set it to the clock the MQTT coordinator
    runs on), replaces the real clock, so pages and devices agree on what "now" is.
    """
    hub = hub_of(request)
    clock = getattr(request.app.state, "clock", None) or hub.clock.now
    return QueueContext(
        now=clock(),
        tz=hub.settings.tz,
        site=hub.settings.site,
        office_url=hub.settings.office_url,
        visitor_url=hub.settings.ticket_page_url,
    )


def page_lang(request: Request) -> str:
    """The language asked for in ``?lang=``, else remembered in a cookie, else the browser's."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGUAGES:
        return str(asked)
    return negotiate(request.headers.get("accept-language"), hub_of(request).settings.default_lang)


def text(lang: str, key: str, /, **params: Any) -> str:
    """A page text from the web catalogue, or a message from the hub's catalogues."""
    pair = TEXTS.get(key)
    if pair is None:
        return translate(key, lang, **params)
    template = pair[0] if normalise_language(lang) == "uk" else pair[1]
    return template.format(**params) if params else template


def error_text(lang: str, error: DomainError) -> str:
    """A domain error as a sentence for a person."""
    shown = {k: v for k, v in error.params.items() if k not in ("field", "right")}
    return translate(error.code, lang, **shown)


def _web_key(request: Request) -> bytes:
    # One secret per database, so every replica signs the same way; made on first use.
    cached: bytes | None = getattr(request.app.state, "web_key", None)
    if cached is not None:
        return cached
    hub = hub_of(request)
    with transaction(hub.sessions) as session:
        session.execute(
            dialect_insert(session, WebKey)
            .values(name="csrf", value=secrets.token_hex(32))
            .on_conflict_do_nothing()
        )
        value = session.scalar(select(WebKey.value).where(WebKey.name == "csrf"))
    key = bytes.fromhex(str(value))
    request.app.state.web_key = key
    return key


def _nonce(request: Request) -> str:
    current = request.cookies.get(CSRF_COOKIE, "")
    if len(current) == 32 and all(c in "0123456789abcdef" for c in current):
        return current
    fresh: str = getattr(request.state, "csrf_nonce", "") or secrets.token_hex(16)
    request.state.csrf_nonce = fresh
    return fresh


def csrf_token(request: Request) -> str:
    """The form token: the cookie's nonce signed with the server's key."""
    nonce = _nonce(request)
    signature = hmac.new(_web_key(request), nonce.encode(), hashlib.sha256).hexdigest()
    return f"{nonce}.{signature}"


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a form whose token is not this browser's cookie nonce signed by this server."""
    nonce, _, signature = (token or "").partition(".")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    expected = hmac.new(_web_key(request), nonce.encode(), hashlib.sha256).hexdigest()
    if not (
        cookie and hmac.compare_digest(nonce, cookie) and hmac.compare_digest(signature, expected)
    ):
        raise Invalid("booking_csrf", field="csrf")


def client_address(request: Request) -> str:
    """The peer address (behind a proxy, the proxy's: configure its limits there too)."""
    return request.client.host if request.client else "unknown"


def secure_cookies(request: Request) -> bool:
    """Whether cookies may only travel over HTTPS."""
    return request.url.scheme == "https"


def render(
    request: Request,
    template: str,
    values: dict[str, Any],
    *,
    status: int = 200,
    lang: str | None = None,
) -> HTMLResponse:
    """A page in the request's language with the CSRF cookie and the security headers."""
    lang = lang or page_lang(request)
    hub = hub_of(request)
    tz = hub.settings.tz

    def hm(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%H:%M") if moment else ""

    def day(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%d.%m.%Y") if moment else ""

    def hms(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%H:%M:%S") if moment else ""

    def switch(code: str) -> str:
        query = dict(request.query_params)
        query["lang"] = code
        return f"{request.url.path}?{urlencode(query)}"

    def label(prefix: str, code: str | None, fallback: str | None = None) -> str:
        # A known code in the page's language; else the sender's own words, else the code.
        known = TEXTS.get(f"{prefix}_{code}")
        if known is not None:
            return known[0] if normalise_language(lang) == "uk" else known[1]
        return fallback or code or ""

    def fault(code: str | None, message: str | None = None) -> str:
        return label("fault", code, message)

    from hub.web.office import nav  # the back-office imports this module

    token = csrf_token(request)
    body = _env.get_template(template).render(
        office_sections=lambda staff: nav.sections(staff.profile),
        request=request,
        lang=lang,
        t=lambda key, **params: text(lang, key, **params),
        hm=hm,
        hms=hms,
        day=day,
        switch=switch,
        fault=fault,
        label=label,
        csrf=token,
        csrf_field=CSRF_FIELD,
        **values,
    )
    response = HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)
    secure = secure_cookies(request)
    nonce = token.partition(".")[0]
    if request.cookies.get(CSRF_COOKIE) != nonce:
        response.set_cookie(
            CSRF_COOKIE, nonce, httponly=True, samesite="lax", secure=secure, path="/"
        )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=secure, path="/"
        )
    return response
