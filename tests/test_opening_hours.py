"""A queue service's opening hours per weekday (Q-2a; issue 16): the week's rules, the slots it
gives (counted by hand), the REST API in both its shapes, and the migration from one range.

The slots and the API run on real SQLite and PostgreSQL; the back-office's week table is tested
in a browser in ``test_office_queue.py``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from hub.bootstrap import Hub
from hub.db import refcache
from hub.db.engine import make_engine
from hub.db.migrate import alembic_config, upgrade
from hub.services.queue import hours
from hub.services.queue.hours import DayHours
from tests.conftest import UserFactory
from tests.test_booking import make_service, slots

API = "/api/v1/queue/services"


def next_weekday(today: date, weekday: int) -> date:
    """The first ISO ``weekday`` after ``today`` (never today: all its slots are still ahead)."""
    return today + timedelta(days=(weekday - today.isoweekday() - 1) % 7 + 1)


def local_times(hub: Hub, found: list[Any], key: str = "starts_at") -> list[time]:
    return [datetime.fromisoformat(s[key]).astimezone(hub.settings.tz).time() for s in found]


# --- the week's rules, without a database ----------------------------------------------------


def test_every_problem_of_a_week_is_found_and_names_its_day() -> None:
    week = [
        DayHours(1, time(9), time(13)),
        DayHours(4, time(20), time(12)),
        DayHours(1, time(10), time(11)),
        DayHours(8, time(9), time(10)),
    ]
    found = {(p.code, p.params["field"]) for p in hours.problems(week)}
    assert found == {
        ("hours_closes_before_opens", "day_4_closes"),
        ("hours_weekday_twice", "hours"),
        ("hours_weekday_invalid", "hours"),
    }
    thursday = next(p for p in hours.problems(week) if p.code == "hours_closes_before_opens")
    assert str(thursday) == "Thursday: the opening time must come before the closing time."
    assert [p.code for p in hours.problems([])] == ["hours_no_open_day"]
    assert hours.problems([DayHours(7, time(0), time(23, 59))]) == []
    # The former shape, one range for a set of weekdays, is the same days with that range.
    assert hours.from_range("531", time(9), time(12)) == (
        DayHours(1, time(9), time(12)),
        DayHours(3, time(9), time(12)),
        DayHours(5, time(9), time(12)),
    )
    assert hours.week(hours.from_range("12345", time(9), time(18))) == hours.DEFAULT_HOURS
    assert hours.DEFAULT_HOURS.weekdays == "12345" and hours.DEFAULT_HOURS.on(6) is None


# --- slots on the open spans, on both databases ----------------------------------------------


def test_a_week_of_two_spans_gives_slots_on_exactly_those_spans(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    service = make_service(client, admin_headers, "Податкові консультації", [1])
    week = {
        "days": [
            {"weekday": 4, "opens": "12:00", "closes": "20:00"},
            {"weekday": 1, "opens": "09:00", "closes": "13:00"},
        ]
    }
    reply = client.put(f"{API}/{service}/hours", headers=admin_headers, json=week)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "days": [
            {"weekday": 1, "opens": "09:00:00", "closes": "13:00:00"},
            {"weekday": 4, "opens": "12:00:00", "closes": "20:00:00"},
        ]
    }
    today = hub.today()
    monday, thursday = next_weekday(today, 1), next_weekday(today, 4)
    # Units of 10 minutes (default_service_minutes) from each day's opening time.
    # Monday 09:00-13:00 is 240 minutes: 24 one-company slots, 09:00 to 12:50 (ending 13:00).
    one = slots(client, service, monday)
    assert len(one) == 24
    assert local_times(hub, one)[0] == time(9, 0)
    assert local_times(hub, one)[-1] == time(12, 50)
    assert local_times(hub, one, "ends_at")[-1] == time(13, 0)
    # Three companies take three units (30 minutes): 24 - 2 = 22, the last at 12:30.
    three = slots(client, service, monday, companies=3)
    assert len(three) == 22 and local_times(hub, three)[-1] == time(12, 30)
    # Thursday 12:00-20:00 is 480 minutes: 48 slots, 12:00 to 19:50; three companies: 46.
    one = slots(client, service, thursday)
    assert len(one) == 48
    assert (local_times(hub, one)[0], local_times(hub, one)[-1]) == (time(12, 0), time(19, 50))
    assert len(slots(client, service, thursday, companies=3)) == 46
    # Every other day is closed: Tuesday, Wednesday, Friday and the weekend give nothing.
    for weekday in (2, 3, 5, 6, 7):
        assert slots(client, service, next_weekday(today, weekday)) == [], weekday
    # A booking outside the spans is refused: Monday 13:00 is closing time.
    closed = datetime.combine(monday, time(13, 0), tzinfo=hub.settings.tz)
    refused = client.post(
        "/api/v1/public/bookings",
        json={"service_id": service, "starts_at": closed.isoformat(), "name": "Олег"},
    )
    assert refused.status_code == 422
    # The public list shows the week and, for older sites, its widest range.
    listed = client.get("/api/v1/public/services").json()
    assert listed == [
        {
            "id": service,
            "name": "Податкові консультації",
            "days": reply.json()["days"],
            "weekdays": "14",
            "opens": "09:00:00",
            "closes": "20:00:00",
        }
    ]


def test_the_hours_api_takes_days_or_the_former_range_and_refuses_wrong_weeks(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    service = make_service(client, admin_headers, "Довідки", [1])
    url = f"{API}/{service}/hours"
    default = client.get(url, headers=admin_headers)
    assert default.status_code == 200, default.text
    assert [day["weekday"] for day in default.json()["days"]] == [1, 2, 3, 4, 5]
    # The former shape: one range for a set of weekdays, answered as days.
    former = client.put(
        url,
        headers=admin_headers,
        json={"weekdays": "67", "opens": "10:00", "closes": "14:30"},
    )
    assert former.status_code == 200, former.text
    assert former.json()["days"] == [
        {"weekday": 6, "opens": "10:00:00", "closes": "14:30:00"},
        {"weekday": 7, "opens": "10:00:00", "closes": "14:30:00"},
    ]
    assert client.get(url, headers=admin_headers).json() == former.json()
    for body, code, field in (
        (
            {"days": [{"weekday": 2, "opens": "18:00", "closes": "09:00"}]},
            "hours_closes_before_opens",
            "day_2_closes",
        ),
        (
            {
                "days": [
                    {"weekday": 2, "opens": "09:00", "closes": "10:00"},
                    {"weekday": 2, "opens": "11:00", "closes": "12:00"},
                ]
            },
            "hours_weekday_twice",
            "hours",
        ),
        (
            {"days": [{"weekday": 1, "opens": "09:00", "closes": "10:00"}], "weekdays": "1"},
            "hours_shape",
            "days",
        ),
        ({"weekdays": "12", "opens": "09:00"}, "hours_shape", "days"),
    ):
        reply = client.put(url, headers={**admin_headers, "Accept-Language": "en"}, json=body)
        assert reply.status_code == 422, (body, reply.text)
        error = reply.json()["error"]
        assert (error["code"], error["fields"][0]["field"]) == (code, field), error
    malformed: list[dict[str, Any]] = [
        {"days": []},
        {"days": [{"weekday": 8, "opens": "09:00", "closes": "10:00"}]},
        {"days": [{"weekday": 1, "opens": "9am", "closes": "10:00"}]},
        {"days": [{"weekday": 1, "opens": "09:00+02:00", "closes": "10:00"}]},
        {"weekdays": "0", "opens": "09:00", "closes": "10:00"},
    ]
    for malformed_body in malformed:
        reply = client.put(url, headers=admin_headers, json=malformed_body)
        assert reply.status_code == 422, (malformed_body, reply.text)
        assert reply.json()["error"]["code"] == "validation_error"
    # Nothing refused was stored; without the right to change projects nothing is either.
    assert client.get(url, headers=admin_headers).json() == former.json()
    _user, headers = make_user("viewer", rights={"event": "c"})
    assert client.get(url, headers=headers).status_code == 200
    week = {"days": [{"weekday": 1, "opens": "09:00", "closes": "10:00"}]}
    assert client.put(url, headers=headers, json=week).status_code == 403
    assert client.get(url, headers=admin_headers).json() == former.json()
    assert client.get(f"{API}/999999/hours", headers=admin_headers).status_code == 404


# --- the migration from one range per service ----------------------------------------------


def test_the_migration_spreads_a_range_over_its_weekdays_and_back(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0010")
        with engine.begin() as connection:
            for number, name in ((1, "Паспорти"), (2, "Довідки")):
                connection.execute(
                    text(
                        "INSERT INTO projects (id, number, name, uses_queue, created_at, "
                        "updated_at) VALUES (:id, :number, :name, true, :now, :now)"
                    ),
                    {"id": number, "number": f"P{number}", "name": name, "now": "2026-12-01"},
                )
            connection.execute(
                text(
                    "INSERT INTO booking_hours (project_id, weekdays, opens, closes) "
                    "VALUES (1, '135', '09:30:00', '16:00:00')"
                )
            )
        upgrade(engine, "0011")
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT project_id, weekday, opens, closes FROM opening_hours "
                    "ORDER BY project_id, weekday"
                )
            ).all()
        assert [(r[0], r[1], str(r[2])[:5], str(r[3])[:5]) for r in rows] == [
            (1, 1, "09:30", "16:00"),
            (1, 3, "09:30", "16:00"),
            (1, 5, "09:30", "16:00"),
        ]
        # Service 2 had no row: it keeps the default week, as before. Given a week of its own,
        # going back gives each service one range: its open days, earliest to latest.
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO opening_hours (project_id, weekday, opens, closes) VALUES "
                    "(2, 1, '09:00:00', '13:00:00'), (2, 4, '12:00:00', '20:00:00')"
                )
            )
        config = alembic_config()
        with engine.begin() as connection:
            refcache.quiet(connection)
            config.attributes["connection"] = connection
            command.downgrade(config, "0010")
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT project_id, weekdays, opens, closes FROM booking_hours ORDER BY 1")
            ).all()
        assert [(r[0], r[1], str(r[2])[:5], str(r[3])[:5]) for r in rows] == [
            (1, "135", "09:30", "16:00"),
            (2, "14", "09:00", "20:00"),
        ]
    finally:
        engine.dispose()
