"""Public booking (Q-2a, Q-3): slots, the last seat under concurrency, the JSON API, bad input.

Everything runs on real SQLite and PostgreSQL through the hub's app; the browser tests are in
``test_web_browser.py``.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Event
from hub.db.models.booking import BookingContact, BookingSeat
from hub.db.models.queue import QueueTicket
from hub.errors import Conflict
from hub.services.access.rights import AccessProfile
from hub.services.queue import booking, hours
from hub.services.queue import slots as slots_rule
from hub.services.queue.core import QueueContext
from tests.conftest import UserFactory

API = "/api/public/v1"


def make_service(client: TestClient, headers: dict[str, str], name: str, members: list[int]) -> int:
    """A service (a project using the queue) whose work group is ``members``."""
    reply = client.post(
        "/api/v1/projects",
        headers=headers,
        json={"name": name, "uses_queue": True, "start_date": "2026-01-01"},
    )
    assert reply.status_code == 201, reply.text
    service = int(reply.json()["id"])
    for user_id in members:
        added = client.put(f"/api/v1/projects/{service}/members/{user_id}", headers=headers)
        assert added.status_code in (200, 201, 204), added.text
    return service


def next_workday(today: date) -> date:
    """The first Monday-to-Friday day after ``today`` (the default opening days)."""
    day = today + timedelta(days=1)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day


def ctx(hub: Hub) -> QueueContext:
    return QueueContext(now=datetime.now(hub.settings.tz), tz=hub.settings.tz)


def stored(hub: Hub) -> tuple[int, int, int, int]:
    """(tickets, events, seats, contacts) in the database."""
    with hub.sessions() as session:
        return (
            session.scalar(select(func.count(QueueTicket.id))) or 0,
            session.scalar(select(func.count(Event.id))) or 0,
            session.scalar(select(func.count(BookingSeat.id))) or 0,
            session.scalar(select(func.count(BookingContact.ticket_id))) or 0,
        )


def slots(client: TestClient, service: int, day: date, companies: int = 1) -> list[Any]:
    reply = client.get(
        f"{API}/services/{service}/slots", params={"date": day.isoformat(), "companies": companies}
    )
    assert reply.status_code == 200, reply.text
    result: list[Any] = reply.json()
    return result


def test_slots_follow_hours_work_group_and_companies(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    other, _ = make_user("olena", rights={"task": "cu", "event": "cu"})
    service = make_service(client, admin_headers, "Паспорти", [1, other])
    day = next_workday(hub.today())
    one = slots(client, service, day)
    # 09:00..17:50 in 10-minute units (default_service_minutes), local time.
    assert len(one) == 54
    first = datetime.fromisoformat(one[0]["starts_at"])
    assert first.astimezone(hub.settings.tz).time() == time(9, 0)
    assert datetime.fromisoformat(one[0]["ends_at"]) - first == timedelta(minutes=10)
    three = slots(client, service, day, companies=3)
    assert len(three) == 52
    assert datetime.fromisoformat(three[-1]["ends_at"]).astimezone(hub.settings.tz).time() == time(
        18, 0
    )
    saturday = day + timedelta(days=(6 - day.isoweekday()) % 7)
    assert slots(client, service, saturday) == []
    # Two operators: a unit is offered until both seats are taken.
    for phone in ("+380501110001", "+380501110002"):
        reply = client.post(
            f"{API}/bookings",
            json={
                "service_id": service,
                "starts_at": one[0]["starts_at"],
                "name": "Ігор",
                "phone": phone,
            },
        )
        assert reply.status_code == 201, reply.text
    assert slots(client, service, day)[0]["starts_at"] == one[1]["starts_at"]
    # A two-company visit cannot start at 08:50-style edges or overlap the full unit.
    assert all(slot["starts_at"] != one[0]["starts_at"] for slot in slots(client, service, day, 2))
    # Opening hours per service.
    with transaction(hub.sessions) as session:
        hours.set_opening_hours(
            session,
            profile=AccessProfile(user_id=1, username="admin", is_admin=True),
            service_id=service,
            days=[hours.DayHours(6, time(10, 0), time(11, 0))],
        )
    assert slots(client, service, day) == []
    assert len(slots(client, service, saturday)) == 6


@pytest.mark.parametrize("capacity", [1, 2])
def test_the_last_seat_goes_to_exactly_one_of_concurrent_bookings(
    hub: Hub,
    client: TestClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    capacity: int,
) -> None:
    members = [1] + [make_user(f"op{n}")[0] for n in range(capacity - 1)]
    service = make_service(client, admin_headers, "Податки", members)
    day = next_workday(hub.today())
    slot = datetime.fromisoformat(slots(client, service, day, companies=2)[3]["starts_at"])
    racers = 6
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        contact = booking.Contact(f"Гість {chr(0x0410 + n)}", f"+38050222000{n}", None)
        barrier.wait(timeout=10)
        try:
            with transaction(hub.sessions) as session:
                booking.book(
                    session,
                    ctx(hub),
                    service_id=service,
                    starts_at=slot,
                    companies=2,
                    contact=contact,
                    lang="uk",
                )
            result = "booked"
        except Conflict as error:
            result = error.code
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == sorted(
        ["booked"] * capacity + ["booking_slot_full"] * (racers - capacity)
    )
    tickets, events, seats, contacts = stored(hub)
    assert (tickets, events, seats, contacts) == (capacity, capacity, 2 * capacity, capacity)
    # Both units of the two-company slot are full now; neighbours that overlap them are gone.
    offered = {s["starts_at"] for s in slots(client, service, day, companies=1)}
    assert slot.isoformat() not in offered
    assert (slot + timedelta(minutes=10)).isoformat() not in offered


def test_book_read_and_cancel_through_the_json_api(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    service = make_service(client, admin_headers, "Довідки", [1])
    listed = client.get(f"{API}/services").json()
    assert listed == [
        {
            "id": service,
            "name": "Довідки",
            "days": [
                {"weekday": weekday, "opens": "09:00:00", "closes": "18:00:00"}
                for weekday in range(1, 6)
            ],
            "weekdays": "12345",
            "opens": "09:00:00",
            "closes": "18:00:00",
        }
    ]
    day = next_workday(hub.today())
    first = slots(client, service, day)[0]
    reply = client.post(
        f"{API}/bookings",
        json={
            "service_id": service,
            "starts_at": first["starts_at"],
            "name": "Олена Петрук-Коваль",
            "email": "olena@example.com",
            "lang": "en",
        },
    )
    assert reply.status_code == 201, reply.text
    made = reply.json()
    code = made["booking_code"]
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{10}", code)
    assert made["state"] == "booked" and made["ends_at"] == first["ends_at"]
    assert client.get(f"{API}/bookings/{code.lower()}").json()["number"] == made["number"]
    assert first not in slots(client, service, day)
    page = client.get(made["page_url"])
    assert page.status_code == 200 and "<svg" in page.text and code in page.text
    assert client.get(made["qr_url"]).headers["content-type"].startswith("image/svg+xml")
    cancelled = client.post(f"{API}/bookings/{code}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert first in slots(client, service, day)
    again = client.post(f"{API}/bookings/{code}/cancel")
    assert again.status_code == 409
    unknown = client.get(f"{API}/bookings/AAAAAAAAAA", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "queue_booking_unknown"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"name": "<script>alert(1)</script>"}, "booking_name_invalid", "name"),
        ({"name": "Я" * 101}, "booking_name_invalid", "name"),
        ({"name": "Ян" * 101}, "validation_error", "name"),
        ({"name": "   "}, "booking_name_required", "name"),
        ({"phone": "12345"}, "booking_phone_invalid", "phone"),
        ({"phone": "+38 (050) 12-34-567<b>"}, "booking_phone_invalid", "phone"),
        ({"phone": None, "email": "not-an-address"}, "booking_email_invalid", "email"),
        ({"phone": None}, "booking_contact_required", "phone"),
        ({"companies": 11}, "validation_error", "companies"),
        ({"starts_at": "2020-01-06T09:00:00+02:00"}, "booking_date_past", "date"),
        ({"starts_at": "SHIFT"}, "booking_slot_invalid", "starts_at"),
        ({"starts_at": "2020-01-06T09:00:00"}, "validation_error", "starts_at"),
        ({"service_id": 999}, "queue_service_unknown", "service_id"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(
    hub: Hub,
    client: TestClient,
    admin_headers: dict[str, str],
    change: dict[str, Any],
    code: str,
    field: str,
) -> None:
    service = make_service(client, admin_headers, "Паспорти", [1])
    day = next_workday(hub.today())
    first = datetime.fromisoformat(slots(client, service, day)[0]["starts_at"])
    body: dict[str, Any] = {
        "service_id": service,
        "starts_at": first.isoformat(),
        "name": "Олена",
        "phone": "+380501234567",
    }
    body.update(change)
    if body["starts_at"] == "SHIFT":  # a time off the slot grid
        body["starts_at"] = (first + timedelta(minutes=3)).isoformat()
    reply = client.post(f"{API}/bookings", json=body, headers={"Accept-Language": "en"})
    assert reply.status_code in (404, 409, 422), reply.text
    error = reply.json()["error"]
    assert error["code"] == code, error
    assert error["message"] and "{" not in error["message"]
    assert [f["field"] for f in error["fields"]] == [field]
    assert stored(hub) == (0, 0, 0, 0)


def test_a_flood_is_refused_per_address_and_per_phone(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    service = make_service(client, admin_headers, "Паспорти", [1])
    day = next_workday(hub.today())
    free = slots(client, service, day)
    # One phone may book PHONE_LIMIT times a day.
    replies = [
        client.post(
            f"{API}/bookings",
            json={
                "service_id": service,
                "starts_at": free[n]["starts_at"],
                "name": "Ігор",
                "phone": "+380671112233",
            },
        )
        for n in range(booking.PHONE_LIMIT.hits + 1)
    ]
    assert [r.status_code for r in replies] == [201] * booking.PHONE_LIMIT.hits + [429]
    assert replies[-1].json()["error"]["code"] == "rate_limited"
    assert stored(hub)[0] == booking.PHONE_LIMIT.hits
    # The address's allowance runs out whatever is sent (here bad phones), and nothing is stored.
    junk = {"service_id": service, "starts_at": free[-2]["starts_at"], "name": "Бот", "phone": "1"}
    codes = [
        client.post(f"{API}/bookings", json=junk).status_code
        for _ in range(booking.ADDRESS_LIMIT.hits)
    ]
    assert codes == [422] * (booking.ADDRESS_LIMIT.hits - booking.PHONE_LIMIT.hits - 1) + [429] * (
        booking.PHONE_LIMIT.hits + 1
    )
    flood = client.post(
        f"{API}/bookings",
        json={
            "service_id": service,
            "starts_at": free[-1]["starts_at"],
            "name": "Петро",
            "phone": "+380931234567",
        },
        headers={"Accept-Language": "en"},
    )
    assert flood.status_code == 429
    assert "Too many attempts" in flood.json()["error"]["message"]
    assert stored(hub)[0] == booking.PHONE_LIMIT.hits


def test_a_graded_slot_rule_decides_how_long_a_booking_takes(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    """SET-7 / Q-3 by the manual's gradation: up to 1 company 20 minutes, up to 3 companies 30
    minutes, more take the last step's 30; the day's units stay 10 minutes."""
    service = make_service(client, admin_headers, "Податки", [1])
    with transaction(hub.sessions) as session:
        slots_rule.store_slot_rule(
            session,
            service,
            slots_rule.SlotRule(
                "graded", 10, (slots_rule.SlotStep(1, 20), slots_rule.SlotStep(3, 30))
            ),
        )
    day = next_workday(hub.today())
    lengths = {}
    for companies in (1, 2, 3, 5):
        offered = slots(client, service, day, companies)
        first = offered[0]
        lengths[companies] = (
            len(offered),
            datetime.fromisoformat(first["ends_at"]) - datetime.fromisoformat(first["starts_at"]),
        )
    # 54 ten-minute units from 09:00: a visit of 2 units may start at 53 of them, of 3 at 52.
    assert lengths == {
        1: (53, timedelta(minutes=20)),
        2: (52, timedelta(minutes=30)),
        3: (52, timedelta(minutes=30)),
        5: (52, timedelta(minutes=30)),
    }
    start = slots(client, service, day, 5)[0]["starts_at"]
    reply = client.post(
        f"{API}/bookings",
        json={
            "service_id": service,
            "starts_at": start,
            "companies": 5,
            "name": "Ігор",
            "phone": "+380501110003",
        },
    )
    assert reply.status_code == 201, reply.text
    booked = reply.json()
    assert datetime.fromisoformat(booked["ends_at"]) - datetime.fromisoformat(
        booked["starts_at"]
    ) == timedelta(minutes=30)
    assert stored(hub)[2] == 3  # three units' seats taken, not five
    with hub.sessions() as session:
        event = session.scalars(select(Event)).one()
        assert event.ends_at - event.starts_at == timedelta(minutes=30)
