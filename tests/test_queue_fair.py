"""Fair calling (issue 20): the choice worked out by hand, Free in either mode on SQLite and
PostgreSQL with the panel's explanation, the mode on the API, and migration 0022."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text, update

from hub.bootstrap import Hub
from hub.db import refcache
from hub.db.engine import make_engine, transaction
from hub.db.migrate import alembic_config, upgrade
from hub.db.models import Project
from hub.services.queue import operators as queue_operators
from hub.services.queue import publish as queue_publish
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.calling import Candidate, choose
from tests.test_queue import T0, at, issue, make_operator, make_service, press_free

NOW = T0 + timedelta(hours=1)  # 10:00


def walk_in(n: int, minutes_ago: float, service: int = 1, lane: int = 1) -> Candidate:
    return Candidate(n, service, lane, NOW - timedelta(minutes=minutes_ago), "walk_in")


def booking(n: int, slot_in: float, service: int = 1) -> Candidate:
    return Candidate(n, service, 1, NOW + timedelta(minutes=slot_in), "booking")


FAIR, Q5 = {1: "fair"}, {1: "nearest"}


def picked(candidates: list[Candidate], modes: dict[int, str]) -> tuple[int, str]:
    found = choose(candidates, now=NOW, modes=modes)
    assert found is not None
    return found.ticket_id, found.rule


def test_the_choice_by_hand() -> None:
    # A walk-in waiting 20 minutes; a booking for 10:03, due since 09:53: it counts 7 + 60.
    line = [walk_in(1, 20), booking(2, 3)]
    assert picked(line, Q5) == (1, "nearest")
    assert picked(line, FAIR) == (2, "booking_due")
    # A walk-in waiting 70 minutes is not passed by a booking due for 7 minutes (67).
    assert picked([walk_in(3, 70), *line], FAIR) == (3, "waited")
    # ... but one waiting 35 minutes is.
    assert picked([walk_in(3, 35), *line], FAIR) == (2, "booking_due")
    # A booking for 10:20 is not due: a walk-in of one minute goes first ...
    assert picked([walk_in(4, 1), booking(5, 20)], FAIR) == (4, "waited")
    # ... and it is called early only when nobody else waits.
    assert picked([booking(5, 20)], FAIR) == (5, "early")
    # The front lane (a transfer to the front) goes before everyone, in either mode.
    assert picked([*line, walk_in(6, 0, lane=0)], FAIR) == (6, "front")
    # An operator serving a Q-5 service (2) and a fair one (1) compares both on one scale.
    assert picked([walk_in(7, 10, service=2), booking(8, 0)], {1: "fair", 2: "nearest"}) == (
        8,
        "booking_due",
    )
    assert choose([], now=NOW, modes=FAIR) is None


def _booked_and_checked_in(hub: Hub, service: int, slot_minutes: float, at_minute: float) -> int:
    with transaction(hub.sessions) as session:
        made = queue_tickets.create_booking(
            session, at(0), service_id=service, booked_at=T0 + timedelta(minutes=slot_minutes)
        )
    assert made.booking_code is not None
    with transaction(hub.sessions) as session:
        return queue_tickets.check_in(session, at(at_minute), code=made.booking_code).ticket.id


def _free_twice(hub: Hub, mode: str) -> list[tuple[int, str, str]]:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        session.execute(update(Project).where(Project.id == service).values(calling_mode=mode))
        olena = make_operator(session, "olena", [service])
    first = issue(hub, service, 0).ticket.id
    issue(hub, service, 10)
    booked = _booked_and_checked_in(hub, service, 30, 26)
    calls = []
    for minute in (27, 40):
        result = press_free(hub, olena, minute, device="panel-1")
        assert result.assignment is not None
        with transaction(hub.sessions) as session:
            said = queue_publish.reason_text(result.assignment.reason, at(minute), "en")
            queue_operators.done(
                session, at(minute + 1), profile=olena, ticket_id=result.assignment.ticket.id
            )
        calls.append((result.assignment.ticket.id, result.assignment.reason.rule, said))
    expected = [booked, first] if mode == "fair" else [first]
    assert [c[0] for c in calls][: len(expected)] == expected
    return calls


def test_free_in_the_nearest_mode_keeps_q5(hub: Hub) -> None:
    calls = _free_twice(hub, "nearest")
    assert [c[1] for c in calls] == ["nearest", "nearest"]
    assert calls[0][2] == "Nearest in the line of 'Паспорти': time 09:00."


def test_free_in_the_fair_mode_calls_the_booking_on_time_and_says_why(hub: Hub) -> None:
    """At 09:27 the booking for 09:30 (due since 09:20, counts 67 minutes) passes the walk-in
    who came at 09:00 (27 minutes); at 09:40 that walk-in, now the longest waiting, goes."""
    calls = _free_twice(hub, "fair")
    assert [c[1] for c in calls] == ["booking_due", "waited"]
    assert calls[0][2] == (
        "Booked for 09:30, service 'Паспорти': its time has come (fair calling)."
    )
    assert calls[1][2] == (
        "Waited longest (40 min, since 09:00), service 'Паспорти' (fair calling)."
    )


def test_the_calling_mode_on_the_api(client: TestClient, admin_headers: dict[str, str]) -> None:
    made = client.post(
        "/api/v1/projects", headers=admin_headers, json={"name": "Каса", "uses_queue": True}
    )
    assert made.status_code == 201, made.text
    assert made.json()["calling_mode"] == "nearest"
    url = f"/api/v1/projects/{made.json()['id']}"
    changed = client.patch(url, headers=admin_headers, json={"calling_mode": "fair"})
    assert changed.status_code == 200, changed.text
    assert client.get(url, headers=admin_headers).json()["calling_mode"] == "fair"
    wrong = client.patch(url, headers=admin_headers, json={"calling_mode": "random"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] and "calling_mode" in wrong.text
    assert client.get(url, headers=admin_headers).json()["calling_mode"] == "fair"


def test_migration_0022_adds_and_removes_the_calling_mode(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0019")
        connection.execute(
            text(
                "INSERT INTO projects (number, name, uses_queue, target_wait_s, created_at, "
                "updated_at) VALUES ('P1', 'Паспорти', true, 900, :now, :now)"
            ),
            {"now": "2026-12-05 10:00:00+00:00"},
        )
    upgrade(engine)
    with engine.connect() as connection:
        modes = connection.execute(select(Project.calling_mode)).scalars().all()
    assert modes == ["nearest"]
    with engine.begin() as connection:
        refcache.quiet(connection)
        config.attributes["connection"] = connection
        command.downgrade(config, "0019")
    columns = {c["name"] for c in inspect(engine).get_columns("projects")}
    assert "calling_mode" not in columns and "target_wait_s" in columns
    engine.dispose()
