"""The device-side MQTT client against a real Mosquitto on loopback: availability (online,
last will), request/reply correlation, timeouts, reconnect and resubscribe, robustness."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal
from uuid import UUID, uuid4

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from hub.protocol import topics
from hub.protocol.client import DeviceClient, RequestTimeout
from hub.protocol.errors import ProtocolError
from hub.protocol.messages import (
    DeviceState,
    DisplayBoard,
    IssueTicket,
    KioskReply,
    ListServices,
    PanelReply,
    TicketInfo,
    decode,
    encode,
)
from tests.mqtt import Broker, start_mosquitto

ROOT = Path(__file__).resolve().parents[1]
SITE = "hq"
WAIT = 15.0


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Poll until ``predicate`` holds; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def broker_dir() -> Iterator[Path]:
    """A folder Mosquitto can reach after dropping root (pytest's tmp_path is 0700 root)."""
    folder = Path(tempfile.mkdtemp(prefix="cherga-proto-"))
    folder.chmod(0o711)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def broker(broker_dir: Path) -> Iterator[Broker]:
    b = start_mosquitto(broker_dir / "broker")
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def make_client(broker: Broker) -> Iterator[Callable[..., DeviceClient]]:
    """Build and start DeviceClients that are closed at teardown."""
    made: list[DeviceClient] = []

    def make(device: str, role: Any = "kiosk", **kwargs: Any) -> DeviceClient:
        kwargs.setdefault("backoff_min", 0.1)
        kwargs.setdefault("backoff_max", 1.0)
        c = DeviceClient(
            host=broker.host, port=broker.port, site=SITE, device=device, role=role, **kwargs
        )
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


class Raw:
    """A plain paho client standing in for the hub (or a misbehaving peer)."""

    def __init__(self, broker: Broker) -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def subscribe(self, topic_filter: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *a: done.set()
        self.client.subscribe(topic_filter, qos=1)
        assert done.wait(WAIT)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(WAIT)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def raw(broker: Broker) -> Iterator[Raw]:
    r = Raw(broker)
    yield r
    r.close()


def watch_states(make_client: Callable[..., DeviceClient]) -> list[tuple[str, DeviceState]]:
    """A display that records every device state it sees."""
    seen: list[tuple[str, DeviceState]] = []
    observer = make_client("watcher", "display")

    def on_state(topic: topics.Topic, message: Any) -> None:
        assert isinstance(message, DeviceState)
        seen.append((str(topic.device), message))

    observer.subscribe(f"{topics.PREFIX}/{SITE}/devices/+/state", on_state)
    assert observer.start(wait=WAIT)
    return seen


DEVICE_SCRIPT = """
import sys, time
from hub.protocol.client import DeviceClient
c = DeviceClient(host=sys.argv[1], port=int(sys.argv[2]), site="hq", device="k9",
                 role="kiosk", version="1.2.3")
assert c.start(wait=15)
print("ready", flush=True)
time.sleep(600)
"""


def test_online_retained_then_last_will_offline_when_killed(
    broker: Broker, make_client: Callable[..., DeviceClient]
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", DEVICE_SCRIPT, broker.host, str(broker.port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        seen = watch_states(make_client)
        # The observer connected after the device: it sees the retained "online".
        wait_for(lambda: ("k9", "online") in [(d, s.state) for d, s in seen], "retained online")
        online = next(s for d, s in seen if d == "k9")
        assert (online.role, online.version) == ("kiosk", "1.2.3")
        proc.send_signal(signal.SIGKILL)
        proc.wait(WAIT)
        wait_for(lambda: seen[-1][1].state == "offline", "last will offline")
        assert seen[-1][0] == "k9" and seen[-1][1].role == "kiosk"
    finally:
        proc.kill()
        proc.wait(WAIT)
    # The offline state is retained for devices that come later.
    late = watch_states(make_client)
    wait_for(lambda: any(d == "k9" for d, _ in late), "retained offline")
    assert [s.state for d, s in late if d == "k9"] == ["offline"]


def test_clean_close_publishes_offline(make_client: Callable[..., DeviceClient]) -> None:
    seen = watch_states(make_client)
    device = make_client("p1", "panel")
    assert device.start(wait=WAIT)
    wait_for(lambda: ("p1", "online") in [(d, s.state) for d, s in seen], "online")
    device.close()
    assert not device.connected
    wait_for(lambda: [s.state for d, s in seen if d == "p1"][-1] == "offline", "offline")


def serve_kiosk(raw: Raw, device: str, stop: threading.Event) -> threading.Thread:
    """A responder thread: answers each issue_ticket with a ticket naming its service."""
    raw.subscribe(topics.kiosk_req(SITE, device))

    def run() -> None:
        while not stop.is_set():
            try:
                msg = raw.messages.get(timeout=0.1)
            except queue.Empty:
                continue
            req = decode(topics.parse(msg.topic).kind, msg.payload)
            assert isinstance(req, IssueTicket)
            ticket = TicketInfo(
                id=req.service_id, number=f"A-{req.service_id:03d}", service_id=req.service_id,
                position=0,
            )  # fmt: skip
            reply = KioskReply(request_id=req.request_id, ok=True, ticket=ticket)
            raw.client.publish(topics.kiosk_reply(SITE, device), encode(reply), qos=1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_concurrent_requests_each_get_their_own_reply(
    raw: Raw, make_client: Callable[..., DeviceClient], protocol: Literal["5", "3.1.1"]
) -> None:
    stop = threading.Event()
    responder = serve_kiosk(raw, "k1", stop)
    kiosk = make_client("k1", "kiosk", protocol=protocol)
    assert kiosk.start(wait=WAIT)
    results: dict[int, KioskReply | BaseException] = {}

    def ask(service_id: int) -> None:
        try:
            results[service_id] = kiosk.request(
                topics.kiosk_req(SITE, "k1"),
                topics.kiosk_reply(SITE, "k1"),
                IssueTicket(request_id=uuid4(), service_id=service_id),
                timeout=WAIT,
                expect=KioskReply,
            )
        except BaseException as exc:
            results[service_id] = exc

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(1, 21)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 2)
    stop.set()
    responder.join(WAIT)
    assert sorted(results) == list(range(1, 21))
    for service_id, reply in results.items():
        assert isinstance(reply, KioskReply), reply
        assert reply.ok and reply.ticket is not None
        assert reply.ticket.number == f"A-{service_id:03d}"


def test_timeout_then_late_reply_is_dropped(
    raw: Raw, make_client: Callable[..., DeviceClient], caplog: pytest.LogCaptureFixture
) -> None:
    kiosk = make_client("k2", "kiosk")
    assert kiosk.start(wait=WAIT)
    raw.subscribe(topics.kiosk_req(SITE, "k2"))
    request = ListServices(request_id=uuid4())
    with pytest.raises(RequestTimeout, match="list_services"):
        kiosk.request(topics.kiosk_req(SITE, "k2"), topics.kiosk_reply(SITE, "k2"), request, 0.3)
    # The hub did get it, and answers too late.
    got = decode("kiosk_req", raw.messages.get(timeout=WAIT).payload)
    assert isinstance(got, ListServices) and got.request_id == request.request_id
    with caplog.at_level(logging.INFO, logger="hub.protocol.client"):
        late = KioskReply(request_id=request.request_id, ok=True, services=[])
        raw.publish(topics.kiosk_reply(SITE, "k2"), encode(late))
        wait_for(lambda: "late or unknown reply" in caplog.text, "late reply log")
    assert kiosk.connected


def test_wrong_reply_type_and_malformed_reply_fail_fast(
    raw: Raw, make_client: Callable[..., DeviceClient]
) -> None:
    """A reply that breaks the contract fails its request at once instead of timing out."""
    kiosk = make_client("k3", "kiosk")
    assert kiosk.start(wait=WAIT)
    raw.subscribe(topics.kiosk_req(SITE, "k3"))

    def answer_with(body: Callable[[UUID], bytes]) -> threading.Thread:
        def run() -> None:
            msg = raw.messages.get(timeout=WAIT)
            req = decode("kiosk_req", msg.payload)
            assert isinstance(req, ListServices)
            rid = req.request_id
            raw.publish(topics.kiosk_reply(SITE, "k3"), body(rid))

        t = threading.Thread(target=run)
        t.start()
        return t

    t = answer_with(
        lambda rid: b'{"v":1,"request_id":"%s","ok":true,"bogus":1}' % str(rid).encode()
    )

    with pytest.raises(ProtocolError) as err:
        kiosk.request(
            topics.kiosk_req(SITE, "k3"), topics.kiosk_reply(SITE, "k3"),
            ListServices(request_id=uuid4()), WAIT,
        )  # fmt: skip
    assert err.value.code == "unknown_field"
    t.join(WAIT)


def test_reconnect_and_resubscribe_after_broker_restart(
    broker: Broker, raw: Raw, make_client: Callable[..., DeviceClient]
) -> None:
    display = make_client("d1", "display")
    boards: queue.Queue[DisplayBoard] = queue.Queue()
    changes: list[bool] = []
    display.on_connection_change(changes.append)
    display.subscribe(topics.display_board(SITE), lambda t, m: boards.put(m))  # type: ignore[arg-type]
    assert display.start(wait=WAIT)
    raw.publish(topics.display_board(SITE), encode(DisplayBoard(waiting={1: 1})))
    assert boards.get(timeout=WAIT).waiting == {1: 1}
    raw.close()

    broker.restart()
    wait_for(lambda: changes[-2:] == [False, True], "disconnect then reconnect")
    assert display.connected
    again = Raw(broker)
    try:
        again.publish(topics.display_board(SITE), encode(DisplayBoard(waiting={1: 7})))
        # Resubscribed: the new board arrives (the old retained one may come first).
        deadline = time.monotonic() + WAIT
        got: DisplayBoard | None = None
        while got is None or got.waiting != {1: 7}:
            got = boards.get(timeout=max(0.01, deadline - time.monotonic()))
        # And the device announced itself online again.
        again.subscribe(topics.device_state(SITE, "d1"))
        state = decode("device_state", again.messages.get(timeout=WAIT).payload)
        assert isinstance(state, DeviceState) and state.state == "online"
    finally:
        again.close()


def test_raising_handler_and_bad_payload_do_not_stop_delivery(
    raw: Raw, make_client: Callable[..., DeviceClient], caplog: pytest.LogCaptureFixture
) -> None:
    display = make_client("d2", "display")
    good: list[DisplayBoard] = []
    calls: list[int] = []

    def explode(topic: topics.Topic, message: Any) -> None:
        calls.append(1)
        raise RuntimeError("boom")

    display.subscribe(topics.display_board(SITE), explode)
    display.subscribe(topics.display_board(SITE), lambda t, m: good.append(m))  # type: ignore[arg-type]
    assert display.start(wait=WAIT)
    with caplog.at_level(logging.WARNING, logger="hub.protocol.client"):
        raw.publish(topics.display_board(SITE), b"{not json")
        raw.publish(topics.display_board(SITE), b'{"v":2,"calls":[]}')
        raw.publish(topics.display_board(SITE), encode(DisplayBoard(waiting={4: 1})))
        raw.publish(topics.display_board(SITE), encode(DisplayBoard(waiting={4: 2})))
        wait_for(lambda: len(good) == 2, "both good boards")
    assert [b.waiting for b in good] == [{4: 1}, {4: 2}]
    assert len(calls) == 2  # the raising handler ran for each good message
    assert caplog.text.count("handler for") == 2
    assert caplog.text.count("malformed message") == 2
    assert "not valid JSON" in caplog.text
    assert "version 2" in caplog.text
    assert display.connected


def test_credentials_and_unreachable_hub(
    broker_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broker = start_mosquitto(broker_dir / "auth", passwords={"panel1": "s3cret-pass"})
    try:
        good = DeviceClient(
            host=broker.host, port=broker.port, site=SITE, device="p1", role="panel",
            username="panel1", password="s3cret-pass",
        )  # fmt: skip
        bad = DeviceClient(
            host=broker.host, port=broker.port, site=SITE, device="p2", role="panel",
            username="panel1", password="wrong", backoff_min=0.1, backoff_max=0.2,
        )  # fmt: skip
        try:
            assert good.start(wait=WAIT)
            with caplog.at_level(logging.WARNING, logger="hub.protocol.client"):
                assert not bad.start(wait=1.0)
                with pytest.raises(RequestTimeout, match="unreachable"):
                    bad.request(
                        topics.panel_req(SITE, "p2"), topics.panel_reply(SITE, "p2"),
                        ListServices(request_id=uuid4()), 0.2, expect=PanelReply,
                    )  # fmt: skip
            # Repeated refusals are logged once, and the password never.
            assert caplog.text.count("refused the connection") == 1
            assert "wrong" not in caplog.text and "s3cret" not in caplog.text
        finally:
            good.close()
            bad.close()
    finally:
        broker.stop()
