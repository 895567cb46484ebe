"""Refuse too-large HTTP bodies before they are read: the hub runs on a Pi with 1 GB.

A pure ASGI middleware: a body announced by ``Content-Length`` beyond the limit is answered 413
without a byte of it being received; a chunked body is counted as it streams and refused as soon
as it passes the limit, so at most one limit's worth of it is ever read. The limit depends on
who asks and where: little for anyone without credentials, more for a logged-in caller, and the
configured file sizes only on the upload routes, for a caller whose token or key the hub knows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.errors import error_body
from hub.bootstrap import Hub
from hub.config import Settings
from hub.errors import Unauthenticated
from hub.i18n import negotiate, translate
from hub.services.access import users

KIB = 1024
MIB = 1024 * KIB
# Without credentials the hub takes only the public booking form and JSON API (under 2 KiB with
# every field at its longest) and login forms: 64 KiB leaves room and bounds what a stranger
# can make the hub hold per request.
ANONYMOUS_MAX_BYTES = 64 * KIB
# The largest JSON a logged-in caller sends is a long text (20 000 characters, at most
# 12 bytes each when escaped) or 500 ids: well under 1 MiB.
AUTHENTICATED_MAX_BYTES = 1 * MIB
# A multipart upload carries its boundaries and small form fields beside the file itself.
MULTIPART_SLACK_BYTES = 64 * KIB

# The routes taking files (hub/api/routes/projects/attachments.py, clients/imports.py, and the
# back-office's import page, hub/web/office/clients_import.py, and its attachments of projects
# and tasks, hub/web/office/projects_files.py and task_card_parts.py).
ATTACHMENT_UPLOAD = re.compile(
    r"^(?:/api/v1/(?:projects|events|tasks)|/office/(?:projects|tasks))/[^/]+/attachments/?$"
)
# A letter to a client with its files (hub/api/routes/clients/letters.py, clients_letter.py).
LETTER_UPLOAD = re.compile(r"^(?:/api/v1/clients/[^/]+/letters|/office/clients/[^/]+/letter)/?$")
IMPORT_UPLOAD = re.compile(r"^(?:/api/v1/imports/[^/]+|/office/clients/import)/?$")
# Cookie of the console's session (hub/web/console.py SESSION_COOKIE; not imported, so the API
# layer does not depend on the web pages).
CONSOLE_COOKIE = "cherga_console"


@dataclass(frozen=True)
class BodyLimits:
    """The largest body accepted, by kind of request."""

    anonymous: int
    authenticated: int
    attachment: int
    imports: int

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        """The limits for these settings: the upload routes get the configured file sizes."""
        return cls(
            anonymous=ANONYMOUS_MAX_BYTES,
            authenticated=AUTHENTICATED_MAX_BYTES,
            attachment=int(settings.attachment_max_mb * MIB) + MULTIPART_SLACK_BYTES,
            imports=int(settings.import_max_mb * MIB) + MULTIPART_SLACK_BYTES,
        )

    def for_request(self, method: str, path: str, headers: Headers) -> int:
        """The limit of one request: credentials and route decide it."""
        if not has_credentials(headers):
            return self.anonymous
        if method == "POST" and (ATTACHMENT_UPLOAD.match(path) or LETTER_UPLOAD.match(path)):
            return max(self.attachment, self.authenticated)
        if method == "POST" and IMPORT_UPLOAD.match(path):
            return max(self.imports, self.authenticated)
        return self.authenticated


def has_credentials(headers: Headers) -> bool:
    """Whether the request carries a token, an API key or the console's session cookie.

    Only their presence is looked at here: a forged one buys at most the authenticated limit.
    The upload routes' larger limits also need a secret that ``known_secret`` accepts.
    """
    if headers.get("authorization") or headers.get("x-api-key"):
        return True
    cookies = headers.get("cookie")
    return bool(cookies and cookie_parser(cookies).get(CONSOLE_COOKIE))


def secrets_of(headers: Headers) -> list[str]:
    """The bearer token, API key and console session token the request carries."""
    found = []
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        found.append(token.strip())
    if headers.get("x-api-key"):
        found.append(headers["x-api-key"])
    session = cookie_parser(headers.get("cookie", "")).get(CONSOLE_COOKIE)
    if session:
        found.append(session)
    return found


def known_secret(hub: Hub) -> Callable[[str], bool]:
    """A check that a secret is a live token or API key of an active user (one read)."""

    def check(secret: str) -> bool:
        with hub.sessions() as session:
            try:
                users.user_for_secret(session, secret)
            except Unauthenticated:
                return False
            return True

    return check


def _declared_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


class BodyLimitMiddleware:
    """Answer 413 to a body larger than the request's limit, reading no more than the limit."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: BodyLimits,
        default_lang: str,
        verify: Callable[[str], bool] | None = None,
    ) -> None:
        self.app = app
        self.limits = limits
        self.default_lang = default_lang
        # Without a check (unit tests), credentials are taken at their word.
        self.verify = verify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limits.for_request(scope["method"], scope["path"], headers)
        if limit > self.limits.authenticated and not await self._proven(headers):
            # A file of tens of MB is spooled to a temporary file (RAM where /tmp is tmpfs):
            # only for a caller the hub knows.
            limit = self.limits.anonymous
        declared = _declared_length(headers)
        if declared is not None and declared > limit:
            # Answered before receive() is ever called: the server never reads the body (and
            # never sends "100 Continue" to a client that waits for it).
            await self._refuse(headers, send)
            return
        received = 0
        exceeded = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    # FastAPI re-raises an HTTPException met while reading the body, so the
                    # app's own handler answers it (hub/api/errors.py: "body_too_large").
                    raise HTTPException(status_code=413)
            return message

        async def closing(message: Message) -> None:
            if exceeded and message["type"] == "http.response.start":
                # Else the server would keep the connection and read the rest of the body
                # only to throw it away.
                MutableHeaders(scope=message)["connection"] = "close"
            await send(message)

        await self.app(scope, counted, closing)

    async def _proven(self, headers: Headers) -> bool:
        verify = self.verify
        if verify is None:
            return True
        found = secrets_of(headers)
        return await run_in_threadpool(lambda: any(verify(secret) for secret in found))

    async def _refuse(self, headers: Headers, send: Send) -> None:
        lang = negotiate(headers.get("accept-language"), self.default_lang)
        body = json.dumps(
            error_body("body_too_large", translate("body_too_large", lang)), ensure_ascii=False
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The unread body leaves the connection unusable for another request.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
