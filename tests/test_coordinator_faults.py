"""The coordinator under faults: a hub killed between commit and publish, a broker restarted
mid-run, a device revoked while connected (DESIGN.md "The queue's guarantees").

Every process is real (Mosquitto, ``cherga hub``) and stopped by its PID in ``finally``.
"""

from __future__ import annotations

import json
import os
import queue
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import func, select

from hub.bootstrap import build_hub, prepare_database
from hub.broker.embedded import sync_broker
from hub.broker.mosquitto import spawn, write_files
from hub.broker.registry import broker_auth
from hub.db.engine import transaction
from hub.db.models import DeviceRequest
from hub.db.models.queue import OutboxMessage, QueueTicket
from hub.protocol import topics
from hub.protocol.client import DeviceClient
from hub.protocol.messages import Finish, IssueTicket, KioskReply, PanelReply, SetStatus
from hub.services.devices import devices
from hub.services.devices.devices import HUB_MQTT_USER
from tests.conftest import make_settings
from tests.coordinator_site import (
    HubProcess,
    Inbox,
    last_outbox_id,
    unsent,
    wait_for,
)
from tests.mqtt import Broker, open_for_broker
from tests.pg import free_port
from tests.test_broker import tls_refused
from tests.test_coordinator import (
    PASSWORD,
    WAIT,
    Site,
    ask,
    login,
    make_service,
    register,
    rid,
    site,  # noqa: F401 (a fixture)
)

HUB_PASSWORD = "hub-mqtt-secret-1"


def drain(inbox: Inbox) -> None:
    """Forget what arrived so far, so the next message is one that comes from now on."""
    while True:
        try:
            inbox.items.get_nowait()
        except queue.Empty:
            return


def is_board(topic: str, message: Any) -> bool:
    return topic.endswith("/board")


def is_announce(topic: str, message: Any) -> bool:
    return topic.endswith("/announce")


def watch(client: DeviceClient) -> queue.Queue[bool]:
    """Every change of ``client``'s connection, in order."""
    changes: queue.Queue[bool] = queue.Queue()
    client.on_connection_change(changes.put)
    return changes


def lost_and_back(changes: queue.Queue[bool]) -> None:
    """The connection dropped and came back (the client reconnected by itself)."""
    seen = [changes.get(timeout=WAIT)]
    while seen[-1] is not True or False not in seen:
        seen.append(changes.get(timeout=WAIT))


@pytest.mark.timeout(240)
def test_a_hub_killed_between_commit_and_publish_sends_on_its_next_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = f"sqlite:///{data_dir / 'cherga.db'}"
    hub = build_hub(make_settings(database, data_dir))
    broker: Broker | None = None
    processes: list[HubProcess] = []
    clients: list[DeviceClient] = []
    try:
        prepare_database(hub)
        passwords = register(
            hub, [("panel", "panel-1", {"window": 1}), ("display", "display-1", {})]
        )
        # make_service needs only the hub of a site.
        service = make_service(cast(Site, SimpleNamespace(hub=hub)), "Паспорти", ["olena"])
        with hub.sessions() as session:
            auth = broker_auth(devices.active_devices(session), hub_password=HUB_PASSWORD)
        folder, port = tmp_path / "broker", free_port()
        open_for_broker(folder)
        write_files(folder, host="127.0.0.1", port=port, hashes=auth.hashes, acl=auth.acl)
        broker = Broker("127.0.0.1", port, folder, spawn(folder, "127.0.0.1", port))

        def device(device_id: str, role: Any, client_id: str | None = None) -> DeviceClient:
            client = DeviceClient(
                host="127.0.0.1",
                port=port,
                site="main",
                device=device_id,
                role=role,
                username=device_id,
                password=passwords[device_id].password,
                backoff_max=1.0,  # the broker comes back within the test's patience
                client_id=client_id,
            )
            clients.append(client)
            return client

        shown, held = Inbox(), Inbox()
        display, panel = device("display-1", "display"), device("panel-1", "panel")
        display.subscribe(topics.display_all("main"), shown)
        panel.subscribe(topics.panel_assignment("main", "panel-1"), held)
        assert display.start(wait=WAIT) and panel.start(wait=WAIT)

        http_port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
        env.update(
            CHERGA_DATA_DIR=str(data_dir),
            CHERGA_DATABASE_URL=database,
            CHERGA_ADMIN_PASSWORD="admin-secret-1",
            CHERGA_PASSWORD_HASH_MEMORY_KIB="1024",
            CHERGA_PASSWORD_HASH_TIME_COST="1",
            CHERGA_PORT=str(http_port),
            # HubProcess waits for /healthz over plain HTTP on this port.
            CHERGA_HTTPS="false",
            CHERGA_MQTT_URL=f"mqtt://{HUB_MQTT_USER}:{HUB_PASSWORD}@127.0.0.1:{port}",
        )
        first = HubProcess(env, http_port, tmp_path / "hub-1.log")
        processes.append(first)
        first.wait_healthy()
        # The hub connected and published its board: it is serving.
        shown.next(is_board)
        before = last_outbox_id(hub)

        # The broker goes away; the hub commits changes whose messages cannot travel.
        broker.stop()
        wait_for("the display noticed the broker is gone", lambda: not display.connected)
        token = httpx.post(
            f"{first.url}/api/v1/auth/token",
            data={"username": "olena", "password": PASSWORD},
            timeout=WAIT,
        )
        assert token.status_code == 200, token.text
        auth_header = {"Authorization": f"Bearer {token.json()['access_token']}"}
        issued = httpx.post(
            f"{first.url}/api/v1/queue/tickets",
            json={"service_id": service},
            headers=auth_header,
            timeout=WAIT,
        )
        assert issued.status_code == 201, issued.text
        ticket = issued.json()["ticket"]
        freed = httpx.post(
            f"{first.url}/api/v1/queue/operators/me/free",
            json={"window": "1", "device_id": "panel-1"},
            headers=auth_header,
            timeout=WAIT,
        )
        assert freed.status_code == 200, freed.text
        assert freed.json()["assignment"]["ticket"]["id"] == ticket["id"]

        first.kill()
        waiting = {m.topic for m in unsent(hub, before)}
        assert {
            topics.panel_assignment("main", "panel-1"),
            topics.display_announce("main"),
            topics.display_board("main"),
        } <= waiting, waiting
        pending_ids = [m.id for m in unsent(hub, before)]

        # The broker is back (devices reconnect by themselves), then a new hub starts.
        broker.process = spawn(folder, "127.0.0.1", port)
        wait_for("the devices reconnected", lambda: display.connected and panel.connected)
        second = HubProcess(env, http_port, tmp_path / "hub-2.log")
        processes.append(second)
        second.wait_healthy()

        # The announcement is sent only from the outbox (no resynchronisation repeats it).
        call = shown.next(is_announce)
        assert (call.number, call.window) == (ticket["number"], "1")
        board = shown.next(lambda t, m: is_board(t, m) and m.calls)
        assert [(c.number, c.window) for c in board.calls] == [(ticket["number"], "1")]
        assignment = held.next(lambda t, m: m.ticket is not None)
        assert assignment.ticket.id == ticket["id"] and assignment.window == "1"
        wait_for(
            "the outbox was marked sent",
            lambda: not {m.id for m in unsent(hub)} & set(pending_ids),
        )

        # A panel that starts now finds its assignment retained on the broker.
        late, retained = device("panel-1", "panel", client_id="panel-1-replaced"), Inbox()
        late.subscribe(topics.panel_assignment("main", "panel-1"), retained)
        assert late.start(wait=WAIT)
        assert retained.next().ticket.id == ticket["id"]
    finally:
        for client in clients:
            client.close()
        for process in processes:
            process.stop()
        if broker is not None:
            broker.stop()
        hub.close()


@pytest.mark.timeout(120)
def test_devices_and_hub_resynchronise_after_the_broker_restarts(site: Site) -> None:  # noqa: F811
    service = make_service(site, "Паспорти", ["olena"])
    kiosk = site.device("kiosk-2", "kiosk")
    panel = site.device("panel-1", "panel")
    display = site.device("display-1", "display")
    shown, held = Inbox(), Inbox()
    display.subscribe(topics.display_all("main"), shown, wait=WAIT)
    panel.subscribe(topics.panel_assignment("main", "panel-1"), held, wait=WAIT)
    login(panel, "olena")
    before = [
        ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply).ticket
        for _ in range(2)
    ]
    got = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert got.assignment.ticket.id == before[0].id
    shown.next(lambda t, m: is_board(t, m) and m.calls)
    mark = last_outbox_id(site.hub)
    changes = [watch(client) for client in (kiosk, panel, display)]
    drain(shown)

    site.broker.broker.restart()
    for change in changes:
        lost_and_back(change)
    # The hub reconnected and resynchronised: a board drawn after the restart was acknowledged.
    board_topic = topics.display_board("main")

    def resent() -> bool:
        fresh = {m.id for m in unsent(site.hub, mark)}
        with site.hub.sessions() as session:
            ids = session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.id > mark, OutboxMessage.topic == board_topic
                )
            ).all()
        return any(i not in fresh for i in ids)

    wait_for("the hub republished the board", resent)
    again = shown.next(is_board)
    assert [c.number for c in again.calls] == [before[0].number]

    # Served in order: the ticket from before the restart, then one taken after it.
    after = ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply)
    assert after.ok and after.ticket.position == 2
    done = ask(panel, Finish(request_id=rid(), ticket_id=before[0].id), PanelReply)
    assert done.ok
    second = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert second.assignment.ticket.id == before[1].id
    assert shown.next(is_announce).number == before[1].number
    assert held.next(lambda t, m: m.ticket is not None and m.ticket.id == before[1].id)
    assert ask(panel, Finish(request_id=rid(), ticket_id=before[1].id), PanelReply).ok
    third = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert third.assignment.ticket.id == after.ticket.id
    with site.hub.sessions() as session:
        states = dict(session.execute(select(QueueTicket.number, QueueTicket.state)).all())
    assert states == {"001": "done", "002": "done", "003": "called"}


def test_a_revoked_device_cannot_connect_and_is_not_served(site: Site) -> None:  # noqa: F811
    service = make_service(site, "Паспорти", [])
    kiosk = site.device("kiosk-2", "kiosk")
    assert ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply).ok
    changes = watch(kiosk)

    with transaction(site.hub.sessions) as session:
        devices.revoke_device(session, "kiosk-2")
    assert sync_broker(site.hub.settings, site.hub.sessions, cut_off=["kiosk-2"])
    # The broker cuts the connected kiosk off and refuses it from then on.
    assert changes.get(timeout=WAIT) is False
    tls = site.tls("kiosk-2")
    assert tls is not None, "devices connect over TLS by default"
    assert tls_refused(site.broker.broker, "kiosk-2", tls)

    # Even a message on its topic that reached the hub (only the hub could send it) is refused.
    request_id = rid()
    rejected = site.coordinator.rejected
    site.coordinator.handle(
        topics.kiosk_req("main", "kiosk-2"),
        json.dumps(
            {"v": 1, "type": "issue_ticket", "request_id": str(request_id), "service_id": service}
        ).encode(),
    )
    assert site.coordinator.rejected == rejected + 1
    with site.hub.sessions() as session:
        assert session.scalar(select(func.count()).select_from(QueueTicket)) == 1
        answer = session.get(DeviceRequest, str(request_id))
        assert answer is not None and answer.reply["ok"] is False
        assert answer.reply["error"]["code"] == "device_unknown"
    # The others are still served.
    other = site.device("kiosk-1", "kiosk")
    still = ask(other, IssueTicket(request_id=rid(), service_id=service), KioskReply)
    assert still.ok and still.ticket.number == "002"
