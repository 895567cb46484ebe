"""The broker's files made from the registry, enforced by a real Mosquitto (MQTT v5 clients)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from hub.broker import mosquitto as runner
from hub.broker.mosquitto import BrokerError, Mosquitto
from hub.broker.passwords import hash_password, is_mosquitto_hash, verify_password
from hub.broker.registry import broker_auth, render_acl
from hub.db.models import Device
from hub.protocol import topics
from hub.protocol.tls import ClientTls, client_context
from hub.services.devices.devices import HUB_MQTT_USER
from tests.mqtt import open_for_broker

SITE = "main"
WAIT = 10.0
HUB_PASSWORD = "hub-secret-password"


@dataclass
class Probe:
    """A raw paho MQTT v5 client that records what happens to it."""

    client: mqtt.Client
    messages: queue.Queue[tuple[str, bytes, bool]] = field(default_factory=queue.Queue)
    connects: queue.Queue[str] = field(default_factory=queue.Queue)
    disconnects: queue.Queue[str] = field(default_factory=queue.Queue)
    pubacks: dict[int, str] = field(default_factory=dict)
    acked: threading.Condition = field(default_factory=threading.Condition)

    def next_message(self) -> tuple[str, bytes, bool]:
        return self.messages.get(timeout=WAIT)

    def expect_only(self, topic: str, payload: bytes) -> None:
        """The next message is (topic, payload), and so is anything already queued after it.

        Used after a permitted "sentinel" published last: anything forbidden sent earlier on
        the same connection would have arrived before it. Overlapping subscriptions may
        deliver the sentinel more than once.
        """
        assert self.next_message()[:2] == (topic, payload)
        while not self.messages.empty():
            assert self.messages.get_nowait()[:2] == (topic, payload)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> str:
        """Publish at QoS 1 and return the PUBACK's reason (MQTT v5 shows refusals)."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        with self.acked:
            assert self.acked.wait_for(lambda: info.mid in self.pubacks, timeout=WAIT)
            reason = self.pubacks[info.mid]
        # MQTT v5's "no matching subscribers" is a success code too.
        return "Success" if reason == "No matching subscribers" else reason

    def subscribe(self, topic: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *args: done.set()
        self.client.subscribe(topic, qos=1)
        assert done.wait(WAIT)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def connect(
    broker: Mosquitto,
    user: str,
    password: str,
    *,
    reconnect: bool = False,
    port: int | None = None,
    client_id: str | None = None,
    tls: ClientTls | None = None,
) -> Probe:
    """Connect (to the devices' listener unless ``port`` is given; over TLS with ``tls``) and
    record the CONNACK; the probe's first ``connects`` item is its reason."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id or f"probe-{user}", protocol=mqtt.MQTTv5
    )
    client.username_pw_set(user, password)
    if tls is not None:
        client.tls_set_context(client_context(tls))
    probe = Probe(client)

    def on_connect(c: Any, u: Any, f: Any, reason: ReasonCode, p: Properties | None) -> None:
        probe.connects.put(str(reason))

    def on_disconnect(c: Any, u: Any, f: Any, reason: ReasonCode, p: Properties | None) -> None:
        probe.disconnects.put(str(reason))

    def on_message(c: Any, u: Any, message: mqtt.MQTTMessage) -> None:
        probe.messages.put((message.topic, bytes(message.payload), bool(message.retain)))

    def on_publish(c: Any, u: Any, mid: int, reason: ReasonCode, p: Properties | None) -> None:
        with probe.acked:
            probe.pubacks[mid] = str(reason)
            probe.acked.notify_all()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_message = on_message
    client.on_publish = on_publish
    if not reconnect:
        client.reconnect_delay_set(60, 120)
    client.connect(broker.host, port or broker.port)
    client.loop_start()
    return probe


def tls_refused(broker: Mosquitto, device_id: str, tls: ClientTls) -> str:
    """How the devices' TLS listener refuses ``tls`` for ``device_id`` ("" when it lets the
    device in): in the handshake, or (TLS 1.3 checks the client's certificate after the
    client's side of the handshake is done) by closing the connection before any CONNACK."""
    try:
        probe = connect(broker, device_id, "", client_id=device_id, tls=tls)
    except OSError as exc:
        return f"handshake: {exc}"
    try:
        deadline = time.monotonic() + WAIT
        while probe.connects.empty():
            if not probe.disconnects.empty():
                return f"closed: {probe.disconnects.get()}"
            assert time.monotonic() < deadline, "neither let in nor refused"
            time.sleep(0.02)
        return "" if probe.connects.get() == "Success" else "refused by its CONNACK"
    finally:
        probe.close()


def make_device(device_id: str, role: str, password: str, **extra: Any) -> Device:
    """An unsaved registry row: the broker's files need only these fields."""
    return Device(
        id=device_id,
        role=role,
        site=SITE,
        name=f"Пристрій {device_id}",
        mqtt_password_hash=hash_password(password),
        revoked_at=None,
        **extra,
    )


DEVICES = {
    "kiosk-1": ("kiosk", "kiosk-pw"),
    "panel-1": ("panel", "panel-pw"),
    "panel-2": ("panel", "panel2-pw"),
    "printer-1": ("printer", "printer-pw"),
    "display-1": ("display", "display-pw"),
}


@pytest.fixture
def registry() -> list[Device]:
    return [make_device(i, role, pw) for i, (role, pw) in DEVICES.items()]


@pytest.fixture
def broker(tmp_path: Path, registry: list[Device]) -> Iterator[Mosquitto]:
    auth = broker_auth(registry, hub_password=HUB_PASSWORD)
    open_for_broker(tmp_path / "mqtt")
    started = Mosquitto.start(
        tmp_path / "mqtt", hashes=auth.hashes, acl=auth.acl, hub_user=HUB_MQTT_USER
    )
    yield started
    started.stop()


def _connect(broker: Mosquitto, probes: list[Probe], user: str) -> Probe:
    hub = user == HUB_MQTT_USER
    password = HUB_PASSWORD if hub else DEVICES[user][1]
    probe = connect(broker, user, password, port=broker.hub_port if hub else None)
    probes.append(probe)
    assert probe.connects.get(timeout=WAIT) == "Success"
    return probe


def test_password_hash_is_mosquittos_format() -> None:
    hashed = hash_password("secret", salt=b"0123456789ab", iterations=101)
    assert hashed.startswith("$7$101$")
    assert is_mosquitto_hash(hashed)
    assert verify_password("secret", hashed)
    assert not verify_password("Secret", hashed)
    assert not is_mosquitto_hash("secret")


def test_acl_lists_each_device_topics_literally(registry: list[Device]) -> None:
    acl = render_acl(registry)
    block = acl.split("user kiosk-1\n")[1].split("\n\n")[0].splitlines()
    assert block == [
        "topic write cherga/v1/main/devices/kiosk-1/state",
        "topic write cherga/v1/main/kiosk/kiosk-1/req",
        "topic read cherga/v1/main/kiosk/kiosk-1/reply",
        "topic read cherga/v1/main/display/#",
    ]
    assert "pattern" not in acl and "%u" not in acl
    revoked = make_device("kiosk-9", "kiosk", "x")
    revoked.revoked_at = revoked.created_at or __import__("datetime").datetime.now()
    assert "kiosk-9" not in render_acl([revoked])


def test_bad_password_file_entries_are_refused() -> None:
    with pytest.raises(BrokerError):
        runner.render_password_file({"kiosk-1": "plain-text-password"})
    with pytest.raises(BrokerError):
        runner.render_password_file({"a:b": hash_password("x")})


def test_wrong_password_and_unknown_user_are_refused(broker: Mosquitto) -> None:
    for user, password in (("kiosk-1", "wrong"), ("stranger", "kiosk-pw"), ("kiosk-1", "")):
        probe = connect(broker, user, password)
        try:
            assert probe.connects.get(timeout=WAIT) in (
                "Not authorized",
                "Bad user name or password",
            )
        finally:
            probe.close()


def test_device_uses_its_own_topics(broker: Mosquitto, probes: list[Probe]) -> None:
    hub = _connect(broker, probes, HUB_MQTT_USER)
    kiosk = _connect(broker, probes, "kiosk-1")
    printer = _connect(broker, probes, "printer-1")
    for leaf in ("req", "result", "state"):
        hub.subscribe(f"cherga/v1/main/+/+/{leaf}")
    kiosk.subscribe(topics.kiosk_reply(SITE, "kiosk-1"))
    printer.subscribe(topics.printer_job(SITE, "printer-1"))

    assert kiosk.publish(topics.kiosk_req(SITE, "kiosk-1"), b"req") == "Success"
    assert hub.next_message()[:2] == (topics.kiosk_req(SITE, "kiosk-1"), b"req")
    state = topics.device_state(SITE, "kiosk-1")
    assert kiosk.publish(state, b"online", retain=True) == "Success"
    assert hub.next_message()[:2] == (state, b"online")

    assert hub.publish(topics.kiosk_reply(SITE, "kiosk-1"), b"reply") == "Success"
    assert kiosk.next_message()[:2] == (topics.kiosk_reply(SITE, "kiosk-1"), b"reply")
    assert hub.publish(topics.printer_job(SITE, "printer-1"), b"job") == "Success"
    assert printer.next_message()[:2] == (topics.printer_job(SITE, "printer-1"), b"job")
    assert printer.publish(topics.printer_result(SITE, "printer-1"), b"ok") == "Success"
    assert hub.next_message()[:2] == (topics.printer_result(SITE, "printer-1"), b"ok")


def test_kiosk_cannot_publish_to_a_panel_topic(broker: Mosquitto, probes: list[Probe]) -> None:
    hub = _connect(broker, probes, HUB_MQTT_USER)
    kiosk = _connect(broker, probes, "kiosk-1")
    hub.subscribe("cherga/v1/#")
    forbidden = [
        topics.panel_req(SITE, "panel-1"),
        topics.device_state(SITE, "panel-1"),
        topics.kiosk_req(SITE, "kiosk-2"),
        topics.kiosk_reply(SITE, "kiosk-1"),  # its own reply comes only from the hub
        topics.display_board(SITE),
        topics.kiosk_req("other-site", "kiosk-1"),
    ]
    for topic in forbidden:
        assert kiosk.publish(topic, b"forged") == "Not authorized", topic
    # A permitted message after the forged ones: the hub must see it and nothing before it.
    assert kiosk.publish(topics.kiosk_req(SITE, "kiosk-1"), b"sentinel") == "Success"
    assert hub.next_message()[:2] == (topics.kiosk_req(SITE, "kiosk-1"), b"sentinel")
    assert hub.messages.empty()


def test_kiosk_cannot_read_printer_jobs_or_other_devices(
    broker: Mosquitto, probes: list[Probe]
) -> None:
    hub = _connect(broker, probes, HUB_MQTT_USER)
    # Retained messages of other devices are there before the kiosk subscribes.
    assert hub.publish(topics.panel_assignment(SITE, "panel-1"), b"a1", retain=True) == "Success"
    assert hub.publish(topics.device_state(SITE, "panel-1"), b"online", retain=True) == "Success"
    kiosk = _connect(broker, probes, "kiosk-1")
    for pattern in (
        topics.printer_job(SITE, "printer-1"),
        "cherga/v1/#",
        "#",
        topics.panel_assignment(SITE, "panel-1"),
    ):
        kiosk.subscribe(pattern)
    assert hub.publish(topics.printer_job(SITE, "printer-1"), b"job") == "Success"
    assert hub.publish(topics.panel_reply(SITE, "panel-1"), b"secret") == "Success"
    assert hub.publish(topics.kiosk_reply(SITE, "kiosk-1"), b"sentinel") == "Success"
    kiosk.expect_only(topics.kiosk_reply(SITE, "kiosk-1"), b"sentinel")


def test_board_is_retained_and_readable_by_screen_devices(
    broker: Mosquitto, probes: list[Probe]
) -> None:
    hub = _connect(broker, probes, HUB_MQTT_USER)
    board = topics.display_board(SITE)
    assert hub.publish(board, b'{"calls": []}', retain=True) == "Success"
    for device in ("kiosk-1", "panel-1", "display-1"):
        probe = _connect(broker, probes, device)
        probe.subscribe(topics.display_all(SITE))
        assert probe.next_message() == (board, b'{"calls": []}', True), device
    # A panel reads its own retained assignment but never another panel's.
    assert hub.publish(topics.panel_assignment(SITE, "panel-1"), b"t1", retain=True) == "Success"
    assert hub.publish(topics.panel_assignment(SITE, "panel-2"), b"t2", retain=True) == "Success"
    panel2 = _connect(broker, probes, "panel-2")
    # The wildcard covers both panels' retained assignments; only its own may arrive.
    panel2.subscribe("cherga/v1/main/panel/+/assignment")
    assert panel2.next_message() == (topics.panel_assignment(SITE, "panel-2"), b"t2", True)
    assert hub.publish(topics.panel_reply(SITE, "panel-2"), b"sync") == "Success"
    panel2.subscribe(topics.panel_reply(SITE, "panel-2"))
    assert hub.publish(topics.panel_reply(SITE, "panel-2"), b"sentinel") == "Success"
    assert panel2.next_message()[:2] == (topics.panel_reply(SITE, "panel-2"), b"sentinel")
    assert panel2.messages.empty()


def test_revoked_device_is_cut_off_on_reload(
    broker: Mosquitto, probes: list[Probe], registry: list[Device]
) -> None:
    """Mosquitto 2.0.11 re-checks connected clients on SIGHUP and disconnects revoked ones."""
    hub = _connect(broker, probes, HUB_MQTT_USER)
    kiosk = _connect(broker, probes, "kiosk-1")
    hub.subscribe("cherga/v1/main/+/+/req")
    kiosk.subscribe(topics.kiosk_reply(SITE, "kiosk-1"))
    assert kiosk.publish(topics.kiosk_req(SITE, "kiosk-1"), b"before") == "Success"
    assert hub.next_message()[1] == b"before"

    kept = [d for d in registry if d.id != "kiosk-1"]
    auth = broker_auth(kept, hub_password=HUB_PASSWORD)
    broker.update(hashes=auth.hashes, acl=auth.acl)

    assert kiosk.disconnects.get(timeout=WAIT)  # the broker dropped the connection
    kiosk.client.publish(topics.kiosk_req(SITE, "kiosk-1"), b"after", qos=1)
    assert hub.publish(topics.kiosk_reply(SITE, "kiosk-1"), b"to-revoked") == "Success"
    again = connect(broker, "kiosk-1", DEVICES["kiosk-1"][1])
    probes.append(again)
    assert again.connects.get(timeout=WAIT) == "Not authorized"
    # Other devices carry on.
    panel = _connect(broker, probes, "panel-1")
    assert panel.publish(topics.panel_req(SITE, "panel-1"), b"still-here") == "Success"
    assert hub.next_message()[1] == b"still-here"
    assert kiosk.messages.empty()


def test_restart_keeps_retained_messages(broker: Mosquitto, probes: list[Probe]) -> None:
    hub = _connect(broker, probes, HUB_MQTT_USER)
    assert hub.publish(topics.display_board(SITE), b"kept", retain=True) == "Success"
    hub.close()
    probes.remove(hub)
    old_pid = broker.process.pid
    broker.restart()
    assert broker.process.pid != old_pid
    display = _connect(broker, probes, "display-1")
    display.subscribe(topics.display_all(SITE))
    assert display.next_message() == (topics.display_board(SITE), b"kept", True)


def test_missing_mosquitto_gives_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("os.access", lambda path, mode: False)
    with pytest.raises(BrokerError) as error:
        runner.find_mosquitto()
    assert "\n" not in str(error.value)
    assert "CHERGA_MQTT_URL" in str(error.value)


def test_dead_broker_reports_its_log(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    runner.write_files(folder, host="127.0.0.1", port=runner.free_port(), hashes=None, acl=None)
    (folder / runner.CONF_NAME).write_text("no_such_option 1\n")
    with pytest.raises(BrokerError, match="no_such_option"):
        runner.spawn(folder, "127.0.0.1", runner.free_port())


def test_the_hubs_listener_never_takes_the_devices_port(
    tmp_path: Path, registry: list[Device], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The devices' port is only written to the config when the hub's listener picks a free
    one, so the system may hand that same port out again (two CI failures: Mosquitto found
    both listeners on one port and exited). Here the system hands it out first; the hub's
    listener takes the next, and the broker starts with both. Two equal ports given are
    refused."""
    devices = runner.free_port()
    handed = iter([devices])
    system_port = runner.socket.socket

    class FirstTheDevicesPort(system_port):  # type: ignore[misc,valid-type]
        def getsockname(self) -> Any:
            host, port = super().getsockname()[:2]
            return (host, next(handed, port))

    monkeypatch.setattr(runner.socket, "socket", FirstTheDevicesPort)
    auth = broker_auth(registry, hub_password=HUB_PASSWORD)
    open_for_broker(tmp_path / "mqtt")
    started = Mosquitto.start(
        tmp_path / "mqtt", hashes=auth.hashes, acl=auth.acl, port=devices, hub_user=HUB_MQTT_USER
    )
    try:
        assert started.port == devices and started.hub_port not in (None, devices)
        assert started.process.poll() is None
    finally:
        started.stop()
    with pytest.raises(BrokerError, match="cannot share port"):
        Mosquitto.start(
            tmp_path / "other",
            hashes=auth.hashes,
            acl=auth.acl,
            port=devices,
            hub_user=HUB_MQTT_USER,
            hub_port=devices,
        )
