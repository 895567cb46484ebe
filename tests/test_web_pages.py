"""The web pages over HTTP: CSRF, escaping, the booking form without JavaScript, console login."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.services.queue import booking
from tests.conftest import ADMIN_PASSWORD
from tests.test_booking import make_service, next_workday, stored


def token_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def log_in_to_console(client: TestClient) -> None:
    """Log ``client`` in to the hall console as the administrator (its cookie kept)."""
    page = client.get("/console/login?lang=en")
    answer = client.post(
        "/console/login",
        data={"csrf": token_of(page.text), "username": "admin", "password": ADMIN_PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_booking_form_works_without_javascript_and_checks_csrf(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    service = make_service(client, admin_headers, "Паспорти", [1])
    day = next_workday(hub.today()).isoformat()
    page = client.get("/book", params={"service": service, "date": day, "lang": "en"})
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "Free times" in page.text and 'lang="en"' in page.text
    starts = re.findall(r'name="starts_at" value="([^"]+)"', page.text)
    form = {
        "service": str(service),
        "date": day,
        "companies": "1",
        "starts_at": starts[0],
        "name": "Олена",
        "phone": "+380501234567",
    }
    # No token, a token of another browser, a forged token: refused, nothing stored.
    for token in (None, "0" * 32 + "." + "0" * 64):
        refused = client.post("/book", data={**form, "csrf": token} if token else form)
        assert refused.status_code == 422
        assert "The page has expired" in refused.text
    assert stored(hub) == (0, 0, 0, 0)
    # A script in the name is refused and shown back escaped, never as markup.
    token = token_of(page.text)
    bad = client.post("/book", data={**form, "csrf": token, "name": "<script>alert(1)</script>"})
    assert bad.status_code == 422
    assert "<script>alert(1)</script>" not in bad.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bad.text
    assert "letters, spaces, apostrophes" in bad.text
    assert stored(hub) == (0, 0, 0, 0)
    done = client.post("/book", data={**form, "csrf": token}, follow_redirects=False)
    assert done.status_code == 303
    confirmation = client.get(done.headers["location"])
    assert "You are booked" in confirmation.text and "<svg" in confirmation.text
    # The confirmation's address carries the live page's token once (docs/ticket_page.md).
    code = urlsplit(done.headers["location"]).path.rsplit("/", 1)[1]
    assert "live=" in done.headers["location"]
    cancelled = client.post("/book/cancel", data={"csrf": token, "code": code.lower()})
    assert cancelled.status_code == 200 and "is cancelled" in cancelled.text
    unknown = client.post("/book/cancel", data={"csrf": token, "code": "NOSUCHCODE"})
    assert unknown.status_code == 404
    # A past date is explained, in Ukrainian by default.
    past = client.get("/book", params={"service": service, "date": "2020-01-01", "lang": "uk"})
    assert "Ця дата вже минула" in past.text


def test_console_needs_a_login_and_csrf(hub: Hub, client: TestClient) -> None:
    first = client.get("/console", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/console/login"
    page = client.get("/console/login?lang=en")
    token = token_of(page.text)
    wrong = client.post(
        "/console/login", data={"csrf": token, "username": "admin", "password": "nope"}
    )
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
    no_csrf = client.post("/console/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert no_csrf.status_code == 422
    ok = client.post(
        "/console/login",
        data={"csrf": token, "username": "admin", "password": ADMIN_PASSWORD},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "httponly" in ok.headers["set-cookie"].lower()
    assert client.get("/console").status_code == 200
    # The console's cookie is the API's own token: logging out revokes it.
    session_token = client.cookies.get("cherga_console")
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {session_token}"}).status_code
        == 200
    )
    forged = client.post("/console/logout", data={"csrf": "x.y"})
    assert forged.status_code == 422
    out = client.post("/console/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {session_token}"}).status_code
        == 401
    )


def test_the_public_api_is_served_under_api_v1_public(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    service = make_service(client, admin_headers, "Паспорти", [1])
    day = next_workday(hub.today()).isoformat()
    listed = client.get("/api/v1/public/services")
    assert listed.status_code == 200 and [s["id"] for s in listed.json()] == [service]
    free = client.get(f"/api/v1/public/services/{service}/slots", params={"date": day}).json()
    made = client.post(
        "/api/v1/public/bookings",
        json={
            "service_id": service,
            "starts_at": free[0]["starts_at"],
            "name": "Олена",
            "phone": "+380501234567",
        },
    )
    assert made.status_code == 201, made.text
    code = made.json()["booking_code"]
    # The first release's path still answers, for sites written against it.
    assert client.get(f"/api/public/v1/bookings/{code}").json()["state"] == "booked"
    assert client.post(f"/api/v1/public/bookings/{code}/cancel").json()["state"] == "cancelled"
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/public/bookings" in paths
    assert not [path for path in paths if path.startswith("/api/public/")]


def test_a_flood_on_the_form_gets_429_and_a_too_long_name_is_refused(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    service = make_service(client, admin_headers, "Паспорти", [1])
    day = next_workday(hub.today()).isoformat()
    page = client.get("/book", params={"service": service, "date": day, "lang": "en"})
    starts = re.findall(r'name="starts_at" value="([^"]+)"', page.text)
    form = {
        "csrf": token_of(page.text),
        "service": str(service),
        "date": day,
        "companies": "1",
        "starts_at": starts[0],
        "phone": "+380501234567",
    }
    long_name = client.post("/book", data={**form, "name": "Я" * 101})
    assert long_name.status_code == 422 and 'id="err-name"' in long_name.text
    codes = [
        client.post("/book", data={**form, "name": "Бот", "phone": "1"}).status_code
        for _ in range(booking.ADDRESS_LIMIT.hits)
    ]
    assert codes[0] == 422 and codes[-1] == 429
    flood = client.post("/book", data={**form, "name": "Олена"})
    assert flood.status_code == 429 and "Too many attempts" in flood.text
    assert stored(hub) == (0, 0, 0, 0)
