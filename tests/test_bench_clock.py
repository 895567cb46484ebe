"""The hub's injectable clock: a controlled clock drives the queue's times, on a bench hub only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import build_hub, prepare_database
from hub.clock import ClockError, ControlledClock, SystemClock
from hub.config import ConfigError, load_settings
from hub.db.engine import transaction
from hub.db.models.queue import QueueTicket
from tests.conftest import UserFactory, make_settings

Q = "/api/v1/queue"
CLOCK = "/api/v1/bench/clock"
MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Kyiv"))


def test_a_controlled_clock_stands_still_and_never_goes_back() -> None:
    clock = ControlledClock(MORNING)
    seen: list[datetime] = []
    stop = clock.on_set(seen.append)
    assert clock.now() == MORNING and clock.now().tzinfo == UTC
    later = MORNING + timedelta(minutes=7)
    assert clock.set(later) == later and clock.now() == later and seen == [later]
    with pytest.raises(ClockError):
        clock.set(MORNING)
    with pytest.raises(ClockError):
        clock.set(datetime(2026, 3, 2, 10, 0))  # no time zone
    assert clock.now() == later
    stop()
    clock.set(later + timedelta(seconds=1))
    assert seen == [later]


def test_a_normal_hub_has_the_system_clock_and_no_way_to_set_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    hub = client.app.state.hub  # type: ignore[attr-defined]
    assert isinstance(hub.clock, SystemClock)
    assert abs(hub.clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    reply = client.put(CLOCK, headers=admin_headers, json={"now": MORNING.isoformat()})
    assert reply.status_code == 404
    assert client.get(CLOCK, headers=admin_headers).status_code == 404


def test_the_controlled_clock_is_refused_outside_bench_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="bench_mode"):
        load_settings(data_dir=tmp_path, clock="controlled")
    monkeypatch.setenv("CHERGA_CLOCK", "controlled")
    with pytest.raises(ConfigError, match="bench_mode"):
        load_settings(data_dir=tmp_path)
    monkeypatch.setenv("CHERGA_BENCH_MODE", "true")
    assert load_settings(data_dir=tmp_path).clock == "controlled"
    monkeypatch.delenv("CHERGA_CLOCK")
    assert load_settings(data_dir=tmp_path).clock == "system"  # bench mode alone: real time


@pytest.fixture
def bench_client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A bench hub (controlled clock) on the fresh database."""
    hub = build_hub(make_settings(db_url, tmp_path, bench_mode=True, clock="controlled"))
    prepare_database(hub)
    with TestClient(create_app(hub), raise_server_exceptions=False) as test_client:
        yield test_client
    hub.close()


def _set(client: TestClient, headers: dict[str, str], moment: datetime) -> None:
    reply = client.put(CLOCK, headers=headers, json={"now": moment.isoformat()})
    assert reply.status_code == 200, reply.text
    assert datetime.fromisoformat(reply.json()["now"]) == moment


def test_the_controlled_clock_drives_a_tickets_times(
    bench_client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    client = bench_client
    hub = client.app.state.hub  # type: ignore[attr-defined]
    operator_id, operator = make_user(rights={"task": "cu", "event": "cu"})
    reply = client.put(CLOCK, headers=operator, json={"now": MORNING.isoformat()})
    assert reply.status_code == 403  # administrators only
    assert client.put(CLOCK, json={"now": MORNING.isoformat()}).status_code == 401

    reply = client.post(
        "/api/v1/projects", headers=admin_headers, json={"name": "Паспорти", "uses_queue": True}
    )
    service = int(reply.json()["id"])
    client.put(f"/api/v1/projects/{service}/members/{operator_id}", headers=admin_headers)

    _set(client, admin_headers, MORNING)
    reply = client.post(f"{Q}/tickets", headers=operator, json={"service_id": service})
    assert reply.status_code == 201, reply.text
    ticket_id = reply.json()["ticket"]["id"]
    _set(client, admin_headers, MORNING + timedelta(minutes=25))
    reply = client.post(f"{Q}/operators/me/free", headers=operator, json={"window": "3"})
    assert reply.json()["assignment"]["ticket"]["id"] == ticket_id
    _set(client, admin_headers, MORNING + timedelta(minutes=26))
    assert client.post(f"{Q}/tickets/{ticket_id}/start", headers=operator).status_code == 200
    _set(client, admin_headers, MORNING + timedelta(minutes=38))
    reply = client.post(f"{Q}/tickets/{ticket_id}/done", headers=operator, json={})
    assert reply.status_code == 200, reply.text

    reply = client.put(CLOCK, headers=admin_headers, json={"now": MORNING.isoformat()})
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "bench_clock_backwards"
    reply = client.put(CLOCK, headers=admin_headers, json={"now": "2026-03-02T10:00:00"})
    assert reply.status_code == 422  # no time zone
    with transaction(hub.sessions) as session:
        ticket = session.get(QueueTicket, ticket_id)
        assert ticket is not None
        times = [
            ticket.arrived_at,
            ticket.called_at,
            ticket.started_at,
            ticket.finished_at,
        ]
        assert ticket.service_day == MORNING.date()
    expected = [MORNING + timedelta(minutes=m) for m in (0, 25, 26, 38)]
    assert [_utc(t) for t in times] == expected
    # The day's statistics are facts written on the same clock: one visit, called at 25 min.
    day = MORNING.date().isoformat()
    reply = client.get("/api/v1/stats/hall", headers=admin_headers, params={"from": day, "to": day})
    assert reply.status_code == 200, reply.text
    (row,) = reply.json()["rows"]
    assert (row["visitors"], row["served"]) == (1, 1)
    assert (row["wait"]["median_s"], row["service"]["median_s"]) == (25 * 60, 12 * 60)


def _utc(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
