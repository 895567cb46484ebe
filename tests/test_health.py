"""``GET /healthz``: the broker as the hub's link sees it, the outbox's depth and age, and a
status that turns "degraded" when messages stop moving; cheap, and without secrets."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.broker.embedded import broker_folder, hub_password
from hub.db.base import utcnow
from hub.db.engine import transaction
from hub.db.models.queue import OutboxMessage
from hub.protocol import topics
from hub.services.common import outbox
from tests.conftest import ADMIN_PASSWORD
from tests.test_coordinator import (
    WAIT,
    Site,
    site,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.timeout(180)


def _enqueue(hub: Hub, count: int, age: timedelta = timedelta(0)) -> None:
    with transaction(hub.sessions) as session:
        ids = [
            outbox.enqueue(session, topics.display_announce("main"), {"v": 1, "n": n}, False)
            for n in range(count)
        ]
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(created_at=utcnow() - age)
            .execution_options(synchronize_session=False)
        )


def _wait(what: str, check: Any, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def _idle(body: dict[str, Any]) -> dict[str, Any] | None:
    return body if body["outbox"]["depth"] == 0 else None


def test_the_outbox_is_reported_where_no_link_runs(client: TestClient, hub: Hub) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["broker"] == "not served by this process"
    assert body["outbox"] == {"depth": 0, "oldest_unsent_s": 0.0, "max_age_s": 60.0}

    _enqueue(hub, 3, age=timedelta(minutes=5))
    reply = client.get("/healthz")
    outbox_part = reply.json()["outbox"]
    assert outbox_part["depth"] == 3 and 299 <= outbox_part["oldest_unsent_s"] < 400
    # A process that sends nothing (a tool, this test's hub) is not judged by what others send.
    assert reply.status_code == 200 and reply.json()["status"] == "ok"
    with transaction(hub.sessions) as session:
        first = outbox.pending(session, limit=1)[0].id
        outbox.mark_sent(session, [first])
    assert client.get("/healthz").json()["outbox"]["depth"] == 2
    assert ADMIN_PASSWORD not in reply.text and "password" not in reply.text


def test_a_stalled_outbox_makes_the_hub_degraded_until_it_moves(site: Site) -> None:  # noqa: F811
    site.hub.settings = site.hub.settings.model_copy(update={"health_outbox_max_age_s": 1.0})
    site.coordinator.link_grace = 3600.0  # only the outbox decides here
    with TestClient(create_app(site.hub)) as http:
        # The board the hub published on start may still be on its way.
        body = _wait("the outbox to empty", lambda: _idle(http.get("/healthz").json()))
        assert (body["status"], body["broker"]) == ("ok", "connected")
        assert body["outbox"]["max_age_s"] == 1.0

        site.broker.broker.stop()
        _wait("the link to notice", lambda: http.get("/healthz").json()["broker"] == "disconnected")
        _enqueue(site.hub, 2)
        stalled = _wait(
            "the hub to be degraded",
            lambda: (reply := http.get("/healthz")).status_code == 503 and reply.json(),
        )
        assert stalled["status"] == "degraded" and stalled["database"] == "ok"
        assert stalled["outbox"]["depth"] >= 2 and stalled["outbox"]["oldest_unsent_s"] >= 1.0
        assert stalled["mqtt"]["ok"] is False and stalled["mqtt"]["outbox_depth"] >= 2
        secret = hub_password(broker_folder(site.hub.settings))
        assert secret not in http.get("/healthz").text

        site.broker.broker.restart()
        # Healthy again once the oldest message is young; empty once the sender has caught up
        # (other messages, such as the panels' retained state, may be queued meanwhile).
        back = _wait(
            "the outbox to empty",
            lambda: (reply := http.get("/healthz")).status_code == 200 and _idle(reply.json()),
            timeout=60,
        )
        assert back["status"] == "ok" and back["broker"] == "connected"
