"""Dialling from the CRM (PH-6, CLI-7) and missed calls as callback work (EVT-2, EVT-6).

The REST API of a hub whose coordinator runs against the hub's own Mosquitto: a dial request
reaches the operator's phone agent as a ``dial`` command through the outbox; missed calls the
agent reported are listed by number and become a callback task with one action.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Task, TaskExecutor, User
from hub.protocol import topics
from tests.conftest import ADMIN_PASSWORD, login
from tests.coordinator_site import running_site, wait_for
from tests.test_calls import SPECS, Agent, call, call_events, make_client, make_operator
from tests.test_coordinator import PASSWORD, WAIT, Site
from tests.test_coordinator import login as panel_login

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def site(hub: Hub) -> Iterator[Site]:
    with running_site(hub, SPECS) as (built, _coordinators):
        yield built


@pytest.fixture
def api(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site.hub), raise_server_exceptions=False) as test_client:
        yield test_client


def test_dial_reaches_the_operators_agent_and_is_refused_clearly(
    site: Site, api: TestClient
) -> None:
    olena = make_operator(site, "olena", sip="101")
    make_operator(site, "taras")
    _client_id, contact_id = make_client(site, "ТОВ Ромашка", "050 123 45 67")
    panel_login(site.device("panel-1", "panel"), "olena")
    as_olena, as_taras = login(api, "olena", PASSWORD), login(api, "taras", PASSWORD)
    as_admin = login(api, "admin", ADMIN_PASSWORD)

    assert api.post("/api/v1/calls/dial", json={"number": "0501234567"}).status_code == 401
    offline = api.post("/api/v1/calls/dial", headers=as_olena, json={"number": "0501234567"})
    assert offline.status_code == 409, offline.text
    assert offline.json()["error"]["code"] == "call_phone_offline"
    none = api.post("/api/v1/calls/dial", headers=as_taras, json={"number": "0501234567"})
    assert none.status_code == 409 and none.json()["error"]["code"] == "call_no_phone"
    assert "taras" in none.json()["error"]["message"]
    empty = api.post("/api/v1/calls/dial", headers=as_olena, json={})
    assert empty.status_code == 422

    agent = Agent(site, "phone-1")
    commands: queue.Queue[Any] = queue.Queue()
    agent.client.subscribe(
        topics.phone_cmd("main", "phone-1"), lambda t, m: commands.put(m), wait=WAIT
    )
    agent.state(True, number="101")
    wait_for("agent registered", lambda: call_events(site) == [("phone_on", None)])

    sent = api.post("/api/v1/calls/dial", headers=as_olena, json={"number": "0501234567"})
    assert sent.status_code == 200, sent.text
    command = commands.get(timeout=WAIT)
    assert (command.type, command.target) == ("dial", "0501234567")
    assert str(command.request_id) == sent.json()["request_id"]
    assert sent.json()["device_id"] == "phone-1" and sent.json()["user_id"] == olena

    # A contact person's phone, as the clients registry dials it.
    by_contact = api.post("/api/v1/calls/dial", headers=as_olena, json={"contact_id": contact_id})
    assert by_contact.status_code == 200, by_contact.text
    assert commands.get(timeout=WAIT).target == "050 123 45 67"
    wrong = api.post(
        "/api/v1/calls/dial",
        headers=as_olena,
        json={"contact_id": contact_id, "number": "0999999999"},
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "call_not_contacts_number"

    # Only an administrator dials from someone else's phone.
    other = api.post(
        "/api/v1/calls/dial", headers=as_taras, json={"user_id": olena, "number": "0501234567"}
    )
    assert other.status_code == 403
    admin = api.post(
        "/api/v1/calls/dial", headers=as_admin, json={"user_id": olena, "number": "0670000000"}
    )
    assert admin.status_code == 200, admin.text
    assert commands.get(timeout=WAIT).target == "0670000000"

    # An agent that lost its SIP registration is refused again.
    agent.state(False, number="101")
    wait_for("agent off", lambda: ("phone_off", None) in call_events(site))
    again = api.post("/api/v1/calls/dial", headers=as_olena, json={"number": "0501234567"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "call_phone_offline"


def test_missed_calls_by_number_and_a_callback_task(site: Site, api: TestClient) -> None:
    olena = make_operator(site, "olena", sip="101")
    client_id, _contact = make_client(site, "ТОВ Ромашка", "050 123 45 67")
    panel_login(site.device("panel-1", "panel"), "olena")
    as_olena = login(api, "olena", PASSWORD)
    agent = Agent(site, "phone-1")
    for index, (number, second) in enumerate(
        (("+380501234567", 0), ("0501234567", 100), ("0931112233", 200))
    ):
        agent.report(f"m{index}", "ringing", number, second)
        agent.report(f"m{index}", "missed", number, second + 20)
    last_missed = call(site, "phone-1", "m1")
    call(site, "phone-1", "m2")

    page = api.get("/api/v1/calls/missed/by-number", headers=as_olena)
    assert page.status_code == 200, page.text
    groups = {item["phone_digits"]: item for item in page.json()["items"]}
    assert set(groups) == {"501234567", "931112233"}
    ours = groups["501234567"]
    assert ours["count"] == 2 and ours["client_id"] == client_id
    assert ours["client_name"] == "ТОВ Ромашка" and ours["last_event_id"] == last_missed.event_id
    assert groups["931112233"]["client_id"] is None and groups["931112233"]["count"] == 1
    # The events registry's own grouped view agrees.
    grouped = api.get("/api/v1/events/missed", headers=as_olena, params={"grouped": "true"})
    assert {i["phone_digits"]: i["count"] for i in grouped.json()["items"]} == {
        "501234567": 2,
        "931112233": 1,
    }

    # One action: a callback task for olena, linked to the missed call.
    made = api.post(
        f"/api/v1/calls/missed/{last_missed.event_id}/callback",
        headers=as_olena,
        json={"user_id": olena},
    )
    assert made.status_code == 201, made.text
    with site.hub.sessions() as session:
        task = session.get(Task, made.json()["task_id"])
        assert task is not None and task.event_id == last_missed.event_id
        assert task.client_id == client_id and task.name == "Передзвонити 0501234567"
        executors = session.scalars(
            select(TaskExecutor.user_id).where(TaskExecutor.task_id == task.id)
        ).all()
        assert list(executors) == [olena]
    assert (
        api.post(
            "/api/v1/calls/missed/999999/callback", headers=as_olena, json={"user_id": olena}
        ).status_code
        == 404
    )

    # Olena calls back: the call is a "callback" linked to the missed call, which is answered.
    agent.report("back", "ringing", "0501234567", 300, direction="out")
    agent.report("back", "answered", "0501234567", 305, direction="out")
    agent.report("back", "ended", "0501234567", 365, direction="out", duration_s=60)
    back = call(site, "phone-1", "back")
    assert back.answers_event_id == last_missed.event_id
    detail = api.get(f"/api/v1/calls/by-event/{back.event_id}", headers=as_olena)
    assert detail.status_code == 200, detail.text
    assert detail.json()["duration_s"] == 60 and detail.json()["direction"] == "out"
    event = api.get(f"/api/v1/events/{back.event_id}", headers=as_olena).json()
    assert event["type_code"] == "callback" and event["client_id"] == client_id
    assert event["call_duration_s"] == 60 and event["call_recording"] is None
    assert call(site, "phone-1", "m0").resolved_at is not None

    # A callback from a call that was not missed is refused; so is a user without task rights.
    not_missed = api.post(
        f"/api/v1/calls/missed/{back.event_id}/callback", headers=as_olena, json={"user_id": olena}
    )
    assert not_missed.status_code == 409
    assert not_missed.json()["error"]["code"] == "call_not_missed"
    make_viewer(site)
    as_viewer = login(api, "reader", PASSWORD)
    refused = api.post(
        f"/api/v1/calls/missed/{last_missed.event_id}/callback",
        headers=as_viewer,
        json={"user_id": olena},
    )
    assert refused.status_code == 403


def make_viewer(site: Site) -> int:
    """A user with CRM access and no document rights."""
    with transaction(site.hub.sessions) as session:
        user = User(username="reader", password_hash=site.hub.hasher.hash(PASSWORD))
        session.add(user)
        session.flush()
        return user.id
