"""The security headers every reply of the hub carries, set in one place."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Nothing the hub serves is meant to be framed by another site (clickjacking) or sniffed into
# another type (an uploaded file or a JSON string run as HTML), and no address (a booking code,
# a token in a query) should leave in a Referer.
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# Given only to replies without a policy of their own: frame-ancestors restricts nothing but
# framing, so /docs keeps loading its scripts and styles from the hub.
FRAME_POLICY = "frame-ancestors 'none'"
# A browser that reached the hub over HTTPS once goes straight there for a year, so a network
# that strips TLS cannot serve it a plain page; never sent over plain HTTP, where a browser
# would ignore it anyway (and a hub run behind a plain-HTTP-only setup must stay reachable).
HSTS = "max-age=31536000"


class SecurityHeadersMiddleware:
    """Add the common security headers to every HTTP reply (HSTS to those over HTTPS)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", FRAME_POLICY)
                if scope.get("scheme") == "https":
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI) -> None:
    """Wrap the whole app, error pages included, in ``SecurityHeadersMiddleware``.

    ``add_middleware`` would place it inside Starlette's ServerErrorMiddleware, whose 500 replies
    would then go out without the headers; so the built stack itself is wrapped.
    """
    build = app.build_middleware_stack

    def build_wrapped() -> ASGIApp:
        return SecurityHeadersMiddleware(build())

    app.build_middleware_stack = build_wrapped  # type: ignore[method-assign]
