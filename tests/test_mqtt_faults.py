"""One device must never stop the hub's service of the others (issue: hardening).

Each test reproduces what an outside test did to a hub started as in production (its own
Mosquitto with both listeners, the coordinator, real device clients) and checks that healthy
devices are still served afterwards and that /healthz tells the truth about the MQTT link.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from hub.api.app import create_app
from hub.bootstrap import Hub, prepare_database
from hub.broker.embedded import start_embedded
from hub.broker.mosquitto import BrokerError
from hub.coordinator.sender import OutboxSender
from hub.db.base import utcnow
from hub.db.engine import transaction
from hub.protocol import topics
from hub.protocol.messages import KioskReply, ListServices, PanelReply, SetStatus, decode
from hub.services.common import outbox
from hub.services.queue.core import QueueContext
from tests.mqtt import open_for_broker
from tests.pg import free_port
from tests.test_broker import Probe, connect
from tests.test_coordinator import (
    WAIT,
    Site,
    ask,
    login,
    make_service,
    rid,
    site,  # noqa: F401 (a fixture)
)
from tests.test_web_pages import log_in_to_console

NESTED = b"[" * 1100 + b"]" * 1100


def raw(site: Site, device: str) -> Probe:  # noqa: F811
    """A device's own login, used by hand: it sends whatever bytes it likes."""
    probe = connect(site.broker.broker, device, site.passwords[device], tls=site.tls(device))
    assert probe.connects.get(timeout=WAIT) == "Success"
    return probe


def wait_until(what: str, check: Any, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_deeply_nested_message_is_refused_and_the_others_are_still_served(
    site: Site,  # noqa: F811
    probes: list[Probe],
) -> None:
    """A 2.2 KB panel request of nested arrays once killed paho's network thread: no kiosk or
    panel got a reply again while /healthz said ok. A kiosk's got no error reply."""
    service = make_service(site, "Паспорти", ["olena"])
    bad_panel, bad_kiosk = raw(site, "panel-2"), raw(site, "kiosk-2")
    probes += [bad_panel, bad_kiosk]
    bad_kiosk.subscribe(topics.kiosk_reply("main", "kiosk-2"))
    before = site.coordinator.rejected

    assert bad_panel.publish(topics.panel_req("main", "panel-2"), NESTED) == "Success"
    assert bad_kiosk.publish(topics.kiosk_req("main", "kiosk-2"), NESTED) == "Success"
    request_id = uuid.uuid4()
    deep = b'{"v":1,"type":"list_services","request_id":"%s","x":%s}' % (
        str(request_id).encode(),
        NESTED,
    )
    assert bad_kiosk.publish(topics.kiosk_req("main", "kiosk-2"), deep) == "Success"

    # The kiosk that sent a request it can be answered on is told why, at once.
    topic, payload, _ = bad_kiosk.next_message()
    reply = decode(topics.parse(topic).kind, payload)
    assert isinstance(reply, KioskReply) and reply.request_id == request_id
    assert not reply.ok and reply.error is not None and reply.error.code == "bad_json"
    wait_until("three rejections", lambda: site.coordinator.rejected >= before + 3)

    # Everyone else is still served: a kiosk's ticket, an operator's Free.
    kiosk, panel = site.device("kiosk-1", "kiosk"), site.device("panel-1", "panel")
    listed = ask(kiosk, ListServices(request_id=rid()), KioskReply)
    assert listed.ok and [s.id for s in listed.services] == [service]
    login(panel, "olena")
    assert ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply).ok
    health = site.coordinator.health()
    assert health["ok"] and health["network_thread"] == "alive" and health["connected"]


def test_a_device_that_joins_the_hubs_shared_subscription_steals_no_request(
    site: Site,  # noqa: F811
    probes: list[Probe],
) -> None:
    """Four devices subscribed as the hub's share group once lost 80 of 100 kiosk requests:
    the broker handed them shares it then dropped. The hub's group is now not guessable."""
    make_service(site, "Паспорти", [])
    thieves = [raw(site, device) for device in ("kiosk-2", "panel-1", "panel-2", "display-1")]
    probes += thieves
    base = "cherga/v1/main"
    for thief in thieves:
        for group in ("cherga-hub", "cherga", "hub"):
            thief.subscribe(f"$share/{group}/{base}/kiosk/+/req")
            thief.subscribe(f"$share/{group}/{base}/panel/+/req")
    kiosk = site.device("kiosk-1", "kiosk")
    for _ in range(40):
        assert ask(kiosk, ListServices(request_id=rid()), KioskReply).ok


def test_a_request_too_large_for_its_topic_is_dropped_unread(
    site: Site,  # noqa: F811
    probes: list[Probe],
) -> None:
    make_service(site, "Паспорти", [])
    bad = raw(site, "kiosk-2")
    probes.append(bad)
    big = b'{"v":1,"type":"list_services","pad":"' + b"x" * 300_000 + b'"}'
    assert bad.publish(topics.kiosk_req("main", "kiosk-2"), big) == "Success"
    wait_until("the oversize message counted", lambda: site.coordinator.oversize == 1)
    assert ask(site.device("kiosk-1", "kiosk"), ListServices(request_id=rid()), KioskReply).ok


def test_healthz_reports_the_mqtt_link(site: Site) -> None:  # noqa: F811
    """/healthz once said ok while the hub's MQTT was dead: now it asks the link itself."""
    site.coordinator.link_grace = 0.5
    with TestClient(create_app(site.hub)) as http:
        body = http.get("/healthz").json()
        assert body["status"] == "ok" and body["mqtt"]["connected"] is True
        assert body["mqtt"]["outbox_oldest_unsent_s"] < 60

        site.broker.broker.stop()
        down = wait_until("/healthz to fail", lambda: _status(http, 503))
        assert down["status"] == "degraded" and down["mqtt"]["connected"] is False
        assert down["broker"] == "disconnected"
        assert down["database"] == "ok"

        site.broker.broker.restart()
        back = wait_until("/healthz to recover", lambda: _status(http, 200), timeout=30)
        assert back["mqtt"]["connected"] is True and back["broker"] == "connected"

        # paho's network thread gone (as the nested message once ended it): not healthy.
        site.coordinator._client.loop_stop()
        stopped = wait_until("/healthz to fail", lambda: _status(http, 503))
        assert stopped["mqtt"]["network_thread"] == "stopped"


def test_the_devices_page_shows_the_hubs_own_link(site: Site) -> None:  # noqa: F811
    site.coordinator.link_grace = 0.5
    with TestClient(create_app(site.hub)) as http:
        log_in_to_console(http)
        shown = http.get("/console/devices?fragment=1&lang=en")
        assert shown.status_code == 200, shown.text
        assert 'class="card hub-link" data-ok="yes"' in shown.text
        assert "The hub&#39;s link to the MQTT broker" in shown.text and ">up<" in shown.text
        site.broker.broker.stop()
        down = wait_until(
            "the page to show the link down",
            lambda: (
                'data-ok="no"' in (page := http.get("/console/devices?fragment=1")).text
                and page.text
            ),
        )
        assert "down for" in down


def _status(http: TestClient, code: int) -> dict[str, Any] | None:
    answer = http.get("/healthz")
    return answer.json() if answer.status_code == code else None  # type: ignore[no-any-return]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_outbox_sender_survives_a_broker_that_never_took_its_messages(hub: Hub) -> None:
    """paho raises RuntimeError from ``is_published`` for a message it could not hand to the
    broker; that ended the outbox thread of a hub stopping while the broker was gone."""
    prepare_database(hub)
    with transaction(hub.sessions) as session:
        outbox.enqueue(session, "cherga/v1/main/display/announce", {"v": 1}, False)
    offline = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="never-connected")

    def context() -> QueueContext:
        return QueueContext(now=utcnow(), tz=hub.settings.tz, site="main")

    sender = OutboxSender(
        hub, "main", lambda t, body, retain: offline.publish(t, body, qos=1, retain=retain), context
    )
    with pytest.raises(ConnectionError):
        sender.send_pending(wait=True)
    sender.flush()  # never raises: what was not acknowledged is sent again later
    with hub.read_sessions() as session:
        assert len(outbox.pending(session, 10)) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_hub_refuses_a_broker_port_another_program_listens_on(hub: Hub) -> None:
    """With 1883 taken by another broker, the hub once logged that its own Mosquitto was there
    and then talked to the stranger."""
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen(8)  # accepts connections, as another broker would
        port = stranger.getsockname()[1]
        hub.settings = hub.settings.model_copy(update={"mqtt_port": port})
        open_for_broker(hub.settings.data_dir / "mqtt")
        with pytest.raises(BrokerError) as refused:
            start_embedded(hub.settings, hub.sessions)
    assert f"127.0.0.1:{port}" in str(refused.value) and "CHERGA_MQTT" in str(refused.value)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_embedded_broker_starts_again_on_its_own_port(hub: Hub) -> None:
    """The check for a taken port does not refuse the hub's own restart (TIME_WAIT)."""
    hub.settings = hub.settings.model_copy(update={"mqtt_port": free_port()})
    open_for_broker(hub.settings.data_dir / "mqtt")
    first = start_embedded(hub.settings, hub.sessions)
    try:
        probe = socket.create_connection((first.device_host, first.device_port), timeout=WAIT)
        probe.close()
    finally:
        first.stop()
    again = start_embedded(hub.settings, hub.sessions)
    again.stop()


def test_no_hub_thread_dies_under_bad_messages(
    site: Site,  # noqa: F811
    probes: list[Probe],
) -> None:
    """Garbage of every kind on every topic the hub reads: no thread of the hub ends with an
    exception, and the hub still answers."""
    died: list[threading.ExceptHookArgs] = []
    previous = threading.excepthook
    threading.excepthook = died.append
    try:
        senders = {d: raw(site, d) for d in ("kiosk-2", "panel-2", "printer-1", "display-1")}
        probes += senders.values()
        garbage = [NESTED, b"\xff\xfe", b"", b"null", b"{}", b'{"v":1}', b"[1,2]", b"1e999999"]
        for device, probe in senders.items():
            role = device.split("-")[0]
            own = [topics.device_state("main", device)]
            own += {
                "kiosk": [topics.kiosk_req("main", device)],
                "panel": [topics.panel_req("main", device)],
                "printer": [topics.printer_result("main", device)],
            }.get(role, [])
            for topic in own:
                for payload in garbage:
                    assert probe.publish(topic, payload) == "Success"
        assert ask(site.device("kiosk-1", "kiosk"), ListServices(request_id=rid()), KioskReply).ok
        assert site.coordinator.health()["network_thread"] == "alive"
    finally:
        threading.excepthook = previous
    assert died == []
