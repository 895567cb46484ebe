"""The statistics' HTTP edge: the JSON reports under /api/v1/stats with their rights, the
service-level target on the service's card, and the Prometheus scrape with its token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from hub.bootstrap import Hub, build_hub
from hub.db.base import utcnow
from hub.db.engine import transaction
from hub.db.models import Journal, Project
from hub.services.queue import assign as queue_assign
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.core import QueueContext
from tests.conftest import UserFactory, make_settings
from tests.test_queue import KYIV
from tests.test_stats import Day, _worked_day

pytestmark = pytest.mark.timeout(120)
SCRAPE_TOKEN = "scrape-token-for-tests-1"
DAY = {"from": "2026-11-30", "to": "2026-11-30"}


@pytest.fixture
def hub(db_url: str, tmp_path: Path) -> Iterator[Hub]:
    """A hub whose metrics token is known (the worked day's facts filled in by tests)."""
    built = build_hub(make_settings(db_url, tmp_path, metrics_token=SCRAPE_TOKEN))
    yield built
    built.close()


@pytest.fixture
def worked(hub: Hub, client: TestClient) -> Day:
    return _worked_day(hub)


def test_reports_answer_with_the_hand_worked_figures(
    client: TestClient, admin_headers: dict[str, str], worked: Day
) -> None:
    reply = client.get("/api/v1/stats/hall", params=DAY | {"by": "period"}, headers=admin_headers)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["first"], body["by"], body["timezone"]) == ("2026-11-30", "period", "Europe/Kyiv")
    (row,) = body["rows"]
    assert (row["visitors"], row["service_level"], row["wait"]["p90_s"]) == (5, 0.8, 600)
    for path, by in (
        ("bookings", "service"),
        ("operators", "operator"),
        ("phone", "line"),
        ("desk", "day"),
        ("hall", "hour"),
    ):
        reply = client.get(f"/api/v1/stats/{path}", params=DAY | {"by": by}, headers=admin_headers)
        assert reply.status_code == 200, (path, reply.text)
        assert reply.json()["rows"], path
    desk = client.get("/api/v1/stats/desk", params=DAY, headers=admin_headers).json()
    assert (desk["rows"][0]["contacts"], desk["rows"][0]["phone"]["offered"]) == (8, 3)


def test_bookings_by_hour_operator_and_window_in_the_api(
    client: TestClient, admin_headers: dict[str, str], worked: Day
) -> None:
    def rows(by: str) -> list[dict[str, Any]]:
        reply = client.get("/api/v1/stats/bookings", params=DAY | {"by": by}, headers=admin_headers)
        assert reply.status_code == 200, reply.text
        found: list[dict[str, Any]] = reply.json()["rows"]
        return found

    hours = {row["key"]: row for row in rows("hour")}  # the office's hours (Kyiv)
    assert (hours["9"]["kept_late"], hours["10"]["missed"]) == (1, 1)
    (petro,) = rows("operator")
    assert (petro["key"], petro["name"], petro["kept"]) == (str(worked.petro.user_id), "petro", 1)
    assert [(row["key"], row["booked"]) for row in rows("window")] == [("2", 1)]


def test_reports_check_rights_and_parameters(
    client: TestClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    hub: Hub,
    worked: Day,
) -> None:
    assert client.get("/api/v1/stats/hall", params=DAY).status_code == 401
    _, clerk = make_user(rights={"event": "cu"})
    assert client.get("/api/v1/stats/hall", params=DAY, headers=clerk).status_code == 403
    with transaction(hub.sessions) as session:
        closed = Journal(code="closed", name_uk="Закритий", name_en="Closed")
        session.add(closed)
        session.flush()
        session.execute(update(Project).where(Project.id == worked.b).values(journal_id=closed.id))
    _, manager = make_user(rights={"project": "u"})
    rows = client.get("/api/v1/stats/hall", params=DAY, headers=manager).json()["rows"]
    assert [row["key"] for row in rows] == [str(worked.a)]  # B's journal is not theirs
    asked = DAY | {"service": [worked.b]}
    assert client.get("/api/v1/stats/hall", params=asked, headers=manager).json()["rows"] == []
    people = client.get("/api/v1/stats/operators", params=DAY, headers=manager).json()["rows"]
    assert [row["name"] for row in people] == ["olena"]
    for wrong in (
        {"from": "2026-12-01", "to": "2026-11-30"},
        {"from": "2020-01-01", "to": "2026-11-30"},
        DAY | {"by": "weekday"},
    ):
        reply = client.get("/api/v1/stats/hall", params=wrong, headers=admin_headers)
        assert reply.status_code == 422, reply.text
    reply = client.get("/api/v1/stats/phone", params=DAY | {"by": "service"}, headers=admin_headers)
    assert reply.status_code == 422


def test_the_service_level_target_is_on_the_service_card(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    reply = client.post(
        "/api/v1/projects", json={"name": "Паспорти", "uses_queue": True}, headers=admin_headers
    )
    assert reply.status_code == 201, reply.text
    project = reply.json()
    assert project["target_wait_s"] == 900
    url = f"/api/v1/projects/{project['id']}"
    for wrong in (5, 10**6, "600", None):
        reply = client.patch(url, json={"target_wait_s": wrong}, headers=admin_headers)
        assert reply.status_code == 422, wrong
    reply = client.patch(url, json={"target_wait_s": 300}, headers=admin_headers)
    assert reply.status_code == 200 and reply.json()["target_wait_s"] == 300


def test_metrics_need_the_scrape_token_or_an_administrator(
    client: TestClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    hub: Hub,
    worked: Day,
) -> None:
    now = QueueContext(now=utcnow(), tz=KYIV)
    with transaction(hub.sessions) as session:  # Petro takes a visitor this minute
        queue_assign.free(session, now, profile=worked.petro, window="2")
        queue_tickets.issue_ticket(session, now, service_id=worked.b)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    _, clerk = make_user(rights={"project": "cud"})
    assert client.get("/metrics", headers=clerk).status_code == 403
    assert client.get("/metrics", headers=admin_headers).status_code == 200
    reply = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    text = reply.text
    assert 'cherga_queue_tickets_issued_total{service="A паспорти"} 6.0' in text
    assert 'cherga_queue_waiting{service="A паспорти"} 2.0' in text
    assert 'cherga_devices{role="phone",state="offline"} 1.0' in text
    assert 'cherga_calls_total{direction="in",outcome="missed"} 2.0' in text
    assert "cherga_outbox_pending " in text
    assert 'cherga_queue_assignment_latency_seconds_count{service="B довідки"} 1.0' in text
    assert (
        'cherga_queue_assignment_latency_quantile_seconds{quantile="0.9",service="B довідки"}'
        in text
    )
