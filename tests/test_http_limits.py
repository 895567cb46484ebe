"""HTTP hardening: body size limits, the login throttle, security headers, Secure cookies.

Each test runs the hub's own app on real SQLite and PostgreSQL; the streaming tests serve it
over TCP with uvicorn, so a body really arrives chunk by chunk and the refusal really stops it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.db.models import Attachment
from hub.db.models.booking import RateHit
from hub.services.common.security import Hasher
from hub.services.queue import booking
from tests.browser import serve
from tests.conftest import ADMIN_PASSWORD, UserFactory, make_settings
from tests.test_booking import make_service, next_workday, stored

TOKEN_URL = "/api/v1/auth/token"
BOOKINGS = "/api/v1/public/bookings"
# The documented limits (docs/web.md); test_the_documented_numbers checks the code agrees.
ANONYMOUS_MAX = 64 * 1024
AUTHENTICATED_MAX = 1024 * 1024
UPLOAD_MB = 2.0
ADDRESS_FAILURES = 10
ADDRESS_WINDOW = 600
USERNAME_FAILURES = 20
# The start of an hour: both login windows (10 minutes, 1 hour) begin here.
MOMENT = datetime(2026, 12, 7, 8, 0, 0, tzinfo=UTC)
Headers = dict[str, str]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """A test hub whose upload limits lie above the general one (1 MiB) and are cheap to pass."""
    return make_settings(db_url, tmp_path, attachment_max_mb=UPLOAD_MB, import_max_mb=UPLOAD_MB)


def chunks(total: int, sent: list[int], size: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes in chunks (a body without Content-Length); counts what was taken."""
    while sent[0] < total:
        piece = min(size, total - sent[0])
        sent[0] += piece
        yield b"x" * piece


def booking_counters(hub: Hub) -> int:
    """Rows of the public booking's per-address counter."""
    with hub.sessions() as session:
        query = select(func.count()).select_from(RateHit).where(RateHit.key.like("address:%"))
        return int(session.scalar(query) or 0)


def attachments_stored(hub: Hub) -> tuple[int, list[Path]]:
    root = hub.settings.data_dir / "attachments"
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
    with hub.sessions() as session:
        return int(session.scalar(select(func.count(Attachment.id))) or 0), files


def new_project(client: TestClient, headers: Headers) -> int:
    reply = client.post("/api/v1/projects", headers=headers, json={"name": "Проект"})
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def assert_too_large(reply: httpx.Response, lang: str = "en") -> None:
    assert reply.status_code == 413, reply.text[:300]
    error = reply.json()["error"]
    assert error["code"] == "body_too_large"
    expected = "The request body is too large." if lang == "en" else "Тіло запиту завелике."
    assert error["message"] == expected


# --- body size ---------------------------------------------------------------------------------


def test_an_anonymous_body_over_its_limit_is_refused_and_nothing_is_stored(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    service = make_service(client, admin_headers, "Паспорти", [1])
    day = next_workday(hub.today()).isoformat()
    free = client.get(f"/api/v1/public/services/{service}/slots", params={"date": day}).json()
    big = json.dumps(
        {
            "service_id": service,
            "starts_at": free[0]["starts_at"],
            "name": "Олена",
            "phone": "+380501234567",
            "comment": "x" * ANONYMOUS_MAX,
        }
    ).encode()
    english = {"Content-Type": "application/json", "Accept-Language": "en"}
    assert_too_large(client.post(BOOKINGS, content=big, headers=english))
    assert_too_large(client.post(BOOKINGS, content=big, headers={"Accept-Language": "uk"}), "uk")
    # Without Content-Length (chunked): counted as it comes, refused the same way.
    sent = [0]
    assert_too_large(client.post(BOOKINGS, content=chunks(len(big), sent), headers=english))
    # The route never ran: no booking, and not even the address counter was touched.
    assert stored(hub) == (0, 0, 0, 0)
    assert booking_counters(hub) == 0
    # A real booking is far below the limit.
    ok = client.post(
        BOOKINGS,
        json={
            "service_id": service,
            "starts_at": free[0]["starts_at"],
            "name": "Олена",
            "phone": "+380501234567",
        },
    )
    assert ok.status_code == 201, ok.text
    # The public form too.
    page = client.get("/book", params={"service": service, "date": day, "lang": "en"})
    form = {"csrf": re.findall(r'name="csrf" value="([^"]+)"', page.text)[0], "name": "x" * 70000}
    assert client.post("/book", data=form).status_code == 413
    assert stored(hub)[0] == 1


def test_credentials_raise_the_limit_to_the_general_one(
    client: TestClient, admin_headers: Headers
) -> None:
    medium = json.dumps({"name": "Проект", "description": "x" * (ANONYMOUS_MAX * 2)}).encode()
    json_type = {"Content-Type": "application/json", "Accept-Language": "en"}
    # Past the anonymous limit, within the general one: it reaches the route (which checks it).
    reply = client.post("/api/v1/projects", content=medium, headers={**admin_headers, **json_type})
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "validation_error"
    # Without credentials the same body is refused before any login check.
    assert_too_large(client.post("/api/v1/projects", content=medium, headers=json_type))
    # A console session cookie counts as credentials too.
    with_cookie = client.post(
        "/api/v1/projects",
        content=medium,
        headers={**json_type, "Cookie": "cherga_console=not-checked-here"},
    )
    assert with_cookie.status_code == 401
    huge = b"x" * (AUTHENTICATED_MAX + 1)
    assert_too_large(
        client.post("/api/v1/projects", content=huge, headers={**admin_headers, **json_type})
    )


def test_uploads_get_their_configured_limit(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    project = new_project(client, admin_headers)
    url = f"/api/v1/projects/{project}/attachments"
    english = {**admin_headers, "Accept-Language": "en"}
    file = b"a" * int(1.5 * 1024 * 1024)  # above the general limit, below the attachments'
    ok = client.post(url, headers=english, files={"file": ("big.bin", file, "text/plain")})
    assert ok.status_code == 201, ok.text
    assert attachments_stored(hub)[0] == 1
    over = b"a" * int(UPLOAD_MB * 1024 * 1024 + 128 * 1024)
    assert_too_large(
        client.post(url, headers=english, files={"file": ("o.bin", over, "text/plain")})
    )
    # Anyone without credentials gets the small limit even on an upload route.
    anonymous = client.post(
        url, headers={"Accept-Language": "en"}, files={"file": ("a.bin", file, "text/plain")}
    )
    assert_too_large(anonymous)
    # A forged token is not enough for an upload's limit: the hub checks it first.
    forged = client.post(
        url,
        headers={"Authorization": "Bearer forged", "Accept-Language": "en"},
        files={"file": ("f.bin", file, "text/plain")},
    )
    assert_too_large(forged)
    rows, files = attachments_stored(hub)
    assert rows == 1 and len(files) == 1
    # The import route: a file above the general limit reaches the importer and is read.
    big_csv = b"name\n" + b"\n" * int(1.5 * 1024 * 1024)
    imported = client.post(
        "/api/v1/imports/clients",
        headers=english,
        files={"file": ("c.csv", big_csv, "application/octet-stream")},
    )
    assert imported.status_code == 200, imported.text[:300]
    assert imported.json()["rows"] == 0  # blank lines only: read through, nothing to import
    assert_too_large(
        client.post(
            "/api/v1/imports/clients",
            headers=english,
            files={"file": ("c.csv", over, "application/octet-stream")},
        )
    )


def test_every_route_taking_a_file_gets_an_upload_limit(hub: Hub) -> None:
    from starlette.datastructures import Headers as RequestHeaders

    from hub.api.limits import BodyLimits

    limits = BodyLimits.from_settings(hub.settings)
    credentials = RequestHeaders({"authorization": "Bearer x"})
    upload_routes = [
        context
        for context in iter_route_contexts(create_app(hub).routes)
        if isinstance(context.original_route, APIRoute)
        and any(
            "UploadFile" in str(field.field_info.annotation)
            for field in context.original_route.dependant.body_params
        )
    ]
    # attachments of projects, events, tasks; imports through the API and the back-office; the
    # back-office's attachments of projects and tasks; a letter to a client through the API
    assert len(upload_routes) == 8
    for context in upload_routes:
        path = re.sub(r"\{[^}]+\}", "1", context.path_format)
        assert context.methods == {"POST"}, path
        assert limits.for_request("POST", path, credentials) > limits.authenticated, path
    assert limits.for_request("POST", "/api/v1/projects/1", credentials) == limits.authenticated
    # The client card's letter reads its files in a dependency of its own, not a body field.
    letter = limits.for_request("POST", "/office/clients/1/letter", credentials)
    assert letter > limits.authenticated


def test_a_declared_length_is_refused_without_reading_the_body() -> None:
    from hub.api.limits import BodyLimitMiddleware, BodyLimits

    called: list[str] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append("app")

    async def receive() -> dict[str, Any]:
        called.append("receive")
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    middleware = BodyLimitMiddleware(
        app,
        limits=BodyLimits(anonymous=10, authenticated=20, attachment=30, imports=30),
        default_lang="uk",
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": BOOKINGS,
        "headers": [(b"content-length", b"52428800")],
    }
    asyncio.run(middleware(scope, receive, send))
    assert called == []  # neither the app nor a single read of the body
    assert sent[0]["status"] == 413 and (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["error"]["code"] == "body_too_large"


def test_over_tcp_a_streamed_body_is_cut_off_at_the_limit(hub: Hub) -> None:
    total = 50 * 1024 * 1024
    with serve(create_app(hub)) as base, httpx.Client(base_url=base, timeout=30) as http:
        declared = http.post(BOOKINGS, content=b"x" * total, headers={"Accept-Language": "en"})
        assert_too_large(declared)
        sent = [0]
        streamed = http.post(
            BOOKINGS, content=chunks(total, sent), headers={"Accept-Language": "en"}
        )
        assert_too_large(streamed)
        assert streamed.headers["connection"] == "close"
        # The hub stopped reading near the limit: the rest never left the client's generator
        # (what did is the limit plus what the sockets' buffers hold).
        assert sent[0] < 16 * 1024 * 1024, sent[0]
        assert http.get("/healthz").status_code == 200
    assert stored(hub) == (0, 0, 0, 0)


# --- login throttle ----------------------------------------------------------------------------


class Clock:
    """A clock the test moves by hand (the app reads ``app.state.clock``)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def token(client: TestClient, username: str, password: str, **headers: str) -> httpx.Response:
    return client.post(
        TOKEN_URL, data={"username": username, "password": password}, headers=headers
    )


def test_a_flood_of_wrong_passwords_locks_the_address_until_its_window_ends(
    hub: Hub, client: TestClient, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user("olena", password="olena-password-1")
    clock = Clock(MOMENT)
    client.app.state.clock = clock  # type: ignore[attr-defined]
    codes = [token(client, "admin", f"guess-{n}").status_code for n in range(ADDRESS_FAILURES)]
    assert codes == [401] * ADDRESS_FAILURES
    # Locked: refused before the password is looked at, the right one too, and no hash is spent.
    checks: list[str] = []
    verify = Hasher.verify

    def counted(self: Hasher, password_hash: str | None, password: str) -> bool:
        checks.append("v")
        return verify(self, password_hash, password)

    monkeypatch.setattr(Hasher, "verify", counted)
    locked = token(client, "admin", ADMIN_PASSWORD, **{"Accept-Language": "en"})
    assert locked.status_code == 429, locked.text
    assert locked.json()["error"]["code"] == "login_rate_limited"
    assert "Too many failed logins" in locked.json()["error"]["message"]
    assert int(locked.headers["retry-after"]) == ADDRESS_WINDOW
    # Everyone behind the same address is locked out with it (an office behind one NAT address).
    assert token(client, "olena", "olena-password-1").status_code == 429
    clock.moment = MOMENT + timedelta(seconds=ADDRESS_WINDOW - 100)
    later = token(client, "admin", ADMIN_PASSWORD, **{"Accept-Language": "uk"})
    assert later.status_code == 429 and int(later.headers["retry-after"]) == 100
    assert "Забагато невдалих спроб входу" in later.json()["error"]["message"]
    assert checks == []
    # The next window: the right password works again.
    clock.moment = MOMENT + timedelta(seconds=ADDRESS_WINDOW)
    assert token(client, "admin", ADMIN_PASSWORD).status_code == 200
    assert checks == ["v"]


def test_successful_logins_do_not_count(hub: Hub, client: TestClient) -> None:
    client.app.state.clock = Clock(MOMENT)  # type: ignore[attr-defined]
    for _ in range(ADDRESS_FAILURES + 5):
        assert token(client, "admin", ADMIN_PASSWORD).status_code == 200
    codes = [token(client, "admin", "wrong-password").status_code for _ in range(ADDRESS_FAILURES)]
    assert codes == [401] * ADDRESS_FAILURES
    assert token(client, "admin", "wrong-password").status_code == 429


def test_an_account_is_locked_against_guesses_from_many_addresses(
    hub: Hub, make_user: UserFactory
) -> None:
    app = create_app(hub)
    app.state.clock = Clock(MOMENT)
    make_user("olena", password="olena-password-1")
    for n in range(USERNAME_FAILURES // 5):
        with TestClient(app, client=(f"192.0.2.{n + 1}", 40000)) as guesser:
            codes = [token(guesser, "Admin", f"guess-{i}").status_code for i in range(5)]
            assert codes == [401] * 5
    with TestClient(app, client=("198.51.100.7", 40000)) as fresh:
        assert token(fresh, "admin", ADMIN_PASSWORD).status_code == 429
        # The address itself is not locked: another account logs in from it.
        assert token(fresh, "olena", "olena-password-1").status_code == 200


def test_the_console_and_the_api_share_one_throttle(hub: Hub, client: TestClient) -> None:
    client.app.state.clock = Clock(MOMENT)  # type: ignore[attr-defined]
    for _ in range(ADDRESS_FAILURES):
        assert token(client, "admin", "wrong-password").status_code == 401
    page = client.get("/console/login?lang=en")
    csrf = re.findall(r'name="csrf" value="([^"]+)"', page.text)[0]
    console = client.post(
        "/console/login", data={"csrf": csrf, "username": "admin", "password": ADMIN_PASSWORD}
    )
    assert console.status_code == 429
    assert "Too many failed logins" in console.text
    assert int(console.headers["retry-after"]) == ADDRESS_WINDOW


def test_a_flood_of_public_bookings_gets_429_with_retry_after(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    make_service(client, admin_headers, "Паспорти", [1])
    body = {"service_id": 1, "starts_at": "2020-01-01T09:00:00+02:00", "name": "Бот", "phone": "1"}
    replies = [client.post(BOOKINGS, json=body) for _ in range(booking.ADDRESS_LIMIT.hits + 1)]
    assert {r.status_code for r in replies[:-1]} == {422}
    assert replies[-1].status_code == 429
    assert replies[-1].json()["error"]["code"] == "rate_limited"
    assert 0 < int(replies[-1].headers["retry-after"]) <= booking.ADDRESS_LIMIT.seconds


def test_the_documented_numbers() -> None:
    from hub.api import limits
    from hub.services.access import login_limits
    from hub.web import console

    assert limits.CONSOLE_COOKIE == console.SESSION_COOKIE

    assert limits.ANONYMOUS_MAX_BYTES == ANONYMOUS_MAX
    assert limits.AUTHENTICATED_MAX_BYTES == AUTHENTICATED_MAX
    address, username = login_limits.ADDRESS_LIMIT, login_limits.USERNAME_LIMIT
    assert (address.hits, address.seconds) == (ADDRESS_FAILURES, ADDRESS_WINDOW)
    assert (username.hits, username.seconds) == (USERNAME_FAILURES, 3600)


# --- headers and cookies -----------------------------------------------------------------------


def test_every_kind_of_reply_carries_the_security_headers(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    def boom() -> None:
        raise RuntimeError("a bug")

    client.app.add_api_route("/boom", boom)  # type: ignore[attr-defined]
    replies = {
        "docs": client.get("/docs"),
        "openapi": client.get("/openapi.json"),
        "docs script": client.get("/static-offline-docs/swagger-ui-bundle.js"),
        "health": client.get("/healthz"),
        "api": client.get("/api/v1/me", headers=admin_headers),
        "401": client.get("/api/v1/me"),
        "404": client.get("/no/such/page"),
        "422": client.post("/api/v1/projects", headers=admin_headers, json={}),
        "413": client.post(BOOKINGS, content=b"x" * (ANONYMOUS_MAX + 1)),
        "500": client.get("/boom"),
        "page": client.get("/book"),
        "console": client.get("/console/login"),
        "redirect": client.get("/console", follow_redirects=False),
    }
    assert replies["500"].status_code == 500 and replies["404"].status_code == 404
    for kind, reply in replies.items():
        headers = reply.headers
        assert headers.get_list("x-content-type-options") == ["nosniff"], kind
        assert headers.get_list("x-frame-options") == ["DENY"], kind
        assert headers.get_list("referrer-policy") == ["no-referrer"], kind
        assert len(headers.get_list("content-security-policy")) == 1, kind
        assert "frame-ancestors 'none'" in headers["content-security-policy"], kind
    # Pages keep their own strict policy; /docs gets only the framing rule, so the Swagger UI
    # (its scripts served by the hub, one of them inline) still runs.
    assert "script-src 'self'" in replies["page"].headers["content-security-policy"]
    assert replies["docs"].headers["content-security-policy"] == "frame-ancestors 'none'"
    assert "/static-offline-docs/swagger-ui-bundle.js" in replies["docs"].text
    assert replies["docs script"].status_code == 200


def test_cookies_are_secure_over_https(hub: Hub) -> None:
    with TestClient(create_app(hub), base_url="https://testserver") as https:
        page = https.get("/console/login?lang=en")
        assert page.status_code == 200
        set_cookies = page.headers.get_list("set-cookie")
        assert {c.split("=")[0] for c in set_cookies} == {"cherga_csrf", "cherga_lang"}
        assert all("; secure" in c.lower() for c in set_cookies), set_cookies
        csrf = re.findall(r'name="csrf" value="([^"]+)"', page.text)[0]
        https.cookies.delete("cherga_lang")
        login = https.post(
            "/console/login",
            data={"csrf": csrf, "username": "admin", "password": ADMIN_PASSWORD},
            follow_redirects=False,
        )
        assert login.status_code == 303, login.text
        set_cookies = login.headers.get_list("set-cookie")
        assert {c.split("=")[0] for c in set_cookies} == {"cherga_console", "cherga_lang"}
        assert all("; secure" in c.lower() for c in set_cookies), set_cookies
        logout = https.post("/console/logout", data={"csrf": csrf}, follow_redirects=False)
        assert logout.status_code == 303
        (deleted,) = logout.headers.get_list("set-cookie")
        assert deleted.startswith('cherga_console="";') and "; secure" in deleted.lower()
    # Over plain HTTP (a hub on the office LAN) the cookies must still work: not Secure.
    with TestClient(create_app(hub)) as http:
        page = http.get("/console/login?lang=en")
        assert not any("secure" in c.lower() for c in page.headers.get_list("set-cookie"))
