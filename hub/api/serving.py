"""Serving the hub's app: HTTPS with the office's (or the administrator's) certificate and plain
HTTP that only redirects there, both in one event loop; or plain HTTP alone, behind a proxy.

Both listeners are bound before anything starts, so a port in use is one clear line; SIGTERM and
Ctrl-C stop both; a renewed certificate is loaded into the running listener, for new handshakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.config import ConfigError, Settings
from hub.tls.authority import Authority
from hub.tls.names import check_name
from hub.tls.renewal import CertificateRenewal

logger = logging.getLogger(__name__)

# Permanent and, unlike 301, keeps the method and body: a form posted to http:// is posted
# again to https:// rather than turned into a GET.
REDIRECT = 308
GRACE_SECONDS = 10  # a stop waits this long for requests under way, then cancels them
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def base_url(scheme: str, host: str, port: int) -> str:
    """``scheme://host:port`` (an IPv6 address in brackets)."""
    return f"{scheme}://{_bracketed(host)}:{port}"


def https_host(host_header: str, https_port: int) -> str | None:
    """The Host header's host with ``https_port`` in place of its port; None when malformed."""
    value = host_header.strip()
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or ":" not in host:
            return None
    else:
        host, colon, digits = value.partition(":")
        rest = colon + digits
    port = rest[1:]
    if rest and not (
        rest[0] == ":" and port.isascii() and port.isdigit() and 0 < int(port) < 65536
    ):
        return None
    if "%" in host:
        # An IPv6 zone ("fe80::1%eth0") means nothing to another machine's browser.
        return None
    try:
        name = check_name(host)
    except ValueError:
        return None
    return _bracketed(name) + ("" if https_port == 443 else f":{https_port}")


class RedirectToHttps:
    """An ASGI app answering every request with a 308 to the same path and query over HTTPS."""

    def __init__(self, https_port: int) -> None:
        self.https_port = https_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        host = https_host(headers.get(b"host", b"").decode("latin-1"), self.https_port)
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        # Only an origin-form target ("/..."): an absolute URL or "*" is no path to keep.
        if host is None or not path.startswith(b"/"):
            await self._answer(send, 400, [], b"Bad Request: no valid Host for the redirect\n")
            return
        query = scope.get("query_string", b"")
        location = f"https://{host}".encode("ascii") + path + (b"?" + query if query else b"")
        await self._answer(send, REDIRECT, [(b"location", location)], b"Use HTTPS\n")

    @staticmethod
    async def _answer(
        send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    *headers,
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def listen_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to every address of ``host`` on ``port``; ConfigError naming the problem."""
    where = f"{_bracketed(host)}:{port}"
    try:
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {where}: {exc.strerror}") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # "::" would otherwise take the IPv4 port that "0.0.0.0" in the same list wants.
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise ConfigError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    return sockets


@dataclass(frozen=True)
class Certificate:
    """The files the HTTPS listener presents; ``office`` when the hub's own CA made them."""

    cert_file: Path
    key_file: Path
    office: bool


class _Server(uvicorn.Server):
    """A uvicorn server leaving signals to ``HubServers``, which stops all of them at once."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class _Listener:
    server: _Server
    sockets: list[socket.socket]
    url: str


class HubServers:
    """The hub's listeners, bound on creation; ``run`` serves until SIGTERM or Ctrl-C."""

    def __init__(self, settings: Settings, app: ASGIApp, certificate: Certificate | None) -> None:
        self.certificate = certificate
        self._context: ssl.SSLContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._interrupted = False
        self._listeners: list[_Listener] = []
        # Behind a proxy the peer is the proxy: its X-Forwarded-* headers say who the client is
        # and whether it came over HTTPS (secure cookies, HSTS), believed from it alone.
        proxy: dict[str, Any] = {
            "proxy_headers": bool(settings.forwarded_allow_ips),
            "forwarded_allow_ips": list(settings.forwarded_allow_ips),
        }
        common: dict[str, Any] = {
            "log_config": None,
            "access_log": False,
            "timeout_graceful_shutdown": GRACE_SECONDS,
        }
        try:
            if certificate is None:
                main = uvicorn.Config(
                    app, host=settings.host, port=settings.port, **proxy, **common
                )
                self._listeners.append(self._listen(main, "http"))
                return
            main = uvicorn.Config(
                app,
                host=settings.host,
                port=settings.https_port,
                ssl_certfile=certificate.cert_file,
                ssl_keyfile=certificate.key_file,
                **proxy,
                **common,
            )
            self._listeners.append(self._listen(main, "https"))
            self._context = main.ssl
            plain = uvicorn.Config(
                RedirectToHttps(settings.https_port),
                host=settings.host,
                port=settings.port,
                lifespan="off",
                proxy_headers=False,
                **common,
            )
            self._listeners.append(self._listen(plain, "http"))
        except BaseException:
            self.close()
            raise

    def _listen(self, config: uvicorn.Config, scheme: str) -> _Listener:
        if config.is_ssl:
            try:
                config.load()
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(
                    f"cannot use the HTTPS certificate {config.ssl_certfile} with its key "
                    f"{config.ssl_keyfile}: {exc}"
                ) from None
        else:
            config.load()
        sockets = listen_sockets(config.host, config.port)
        return _Listener(_Server(config), sockets, base_url(scheme, config.host, config.port))

    @property
    def url(self) -> str:
        """Where the API and pages are served (the HTTPS URL when HTTPS is on)."""
        return self._listeners[0].url

    @property
    def redirect_url(self) -> str | None:
        """The plain HTTP address that redirects to ``url`` (None without HTTPS)."""
        return self._listeners[1].url if len(self._listeners) > 1 else None

    @property
    def started(self) -> bool:
        """Whether every listener accepts connections."""
        return all(listener.server.started for listener in self._listeners)

    def follow(self, renewal: CertificateRenewal) -> None:
        """Load the office's certificate again whenever ``renewal`` changes it."""
        if self.certificate is not None and self.certificate.office:
            renewal.on_renewed(self.reload_certificate)

    def reload_certificate(self) -> None:
        """Load the certificate files into the running HTTPS listener (from any thread)."""
        loop = self._loop
        if loop is not None:
            # Handshakes run in the loop's thread: the context changes between two of them.
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: load here
                loop.call_soon_threadsafe(self._load_certificate)
                return
        self._load_certificate()

    def _load_certificate(self) -> None:
        if self._context is None or self.certificate is None:
            return
        cert, key = self.certificate.cert_file, self.certificate.key_file
        try:
            # A pair that does not load would leave the live context half-changed: try it aside.
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key)
            self._context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            logger.error("kept the previous HTTPS certificate: cannot load %s: %s", cert, exc)
            return
        logger.info("HTTPS now presents the certificate in %s", cert)

    def run(self, on_hangup: Callable[[], None] | None = None) -> None:
        """Serve until SIGTERM or Ctrl-C (then KeyboardInterrupt); SIGHUP calls ``on_hangup``."""
        # SIGTERM returns normally so the caller's clean-up runs and the exit code is 0; an
        # administrator's certificate is loaded again on SIGHUP (the office's follows renewal).
        factory = self._listeners[0].server.config.get_loop_factory()
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(self._serve(on_hangup))
        if self._interrupted:
            raise KeyboardInterrupt

    def stop(self) -> None:
        """Ask every listener to stop (from any thread)."""
        for listener in self._listeners:
            listener.server.should_exit = True

    def close(self) -> None:
        """Close the listening sockets (``run`` leaves them to this)."""
        for listener in self._listeners:
            for sock in listener.sockets:
                sock.close()

    async def _serve(self, on_hangup: Callable[[], None] | None) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop

        def stop(sig: int, _frame: FrameType | None) -> None:
            if sig == signal.SIGINT:
                if self._interrupted:
                    # A second Ctrl-C: do not wait for requests under way.
                    for listener in self._listeners:
                        listener.server.force_exit = True
                self._interrupted = True
            self.stop()

        def hangup(_sig: int, _frame: FrameType | None) -> None:
            if on_hangup is not None:
                loop.call_soon_threadsafe(on_hangup)
            if self.certificate is not None and not self.certificate.office:
                self.reload_certificate()

        previous: dict[int, Any] = {}
        # Signals reach the main thread only; run elsewhere (a test), ``stop`` ends the serving.
        if threading.current_thread() is threading.main_thread():
            previous = {sig: signal.signal(sig, stop) for sig in _SIGNALS}
            previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, hangup)
        try:
            tasks = [
                asyncio.create_task(listener.server.serve(sockets=listener.sockets))
                for listener in self._listeners
            ]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            # One ended (stopped, or failed to start): the others end with it.
            self.stop()
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    raise outcome
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, signal.SIG_DFL if handler is None else handler)
            self._loop = None


def hub_servers(settings: Settings, app: ASGIApp, authority: Authority) -> HubServers:
    """The listeners ``settings`` ask for, bound: HTTPS with its redirect, or plain HTTP."""
    if not settings.https:
        return HubServers(settings, app, None)
    if settings.tls_cert_file is not None and settings.tls_key_file is not None:
        certificate = Certificate(settings.tls_cert_file, settings.tls_key_file, office=False)
    else:
        certificate = Certificate(
            authority.server_cert_file, authority.server_key_file, office=True
        )
    return HubServers(settings, app, certificate)
