"""The broker's access matrix, enforced by the real Mosquitto the hub starts (its two listeners).

Every role publishes to every topic of the contract (its own device's, another device's of the
same role, another site's) and reads them all through a wildcard subscription; what it may do is
written out here from DESIGN.md ("Each device may publish only to its own request/result/state
topics and read only its own reply, job, assignment and command topics plus display/*"), not
derived from the code that writes the ACL. Then what an outside test found a device could do to
another: take its client id, use the hub's listener, send a packet of hundreds of megabytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.broker.mosquitto import MAX_PACKET, Mosquitto
from hub.broker.registry import broker_auth
from hub.protocol import topics
from hub.services.devices.devices import HUB_MQTT_USER
from tests.mqtt import open_for_broker
from tests.test_broker import HUB_PASSWORD, WAIT, Probe, connect, make_device

SITE = "main"
P = f"cherga/v1/{SITE}/"
BOARD, ANNOUNCE = P + "display/board", P + "display/announce"

ROLES = {
    "kiosk-1": "kiosk",
    "kiosk-2": "kiosk",
    "panel-1": "panel",
    "panel-2": "panel",
    "display-1": "display",
    "printer-1": "printer",
    "printer-2": "printer",
    "phone-1": "phone",
    "phone-2": "phone",
}
LEAVES = {
    "kiosk": ("req", "reply"),
    "panel": ("req", "reply", "assignment", "operators", "notices"),
    "display": (),
    "printer": ("job", "result"),
    "phone": ("call", "cmd", "recording"),
}
PROBED = ("kiosk-1", "panel-1", "display-1", "printer-1", "phone-1")

# What each probed device may publish and read: DESIGN.md's MQTT contract, written out.
WRITES = {
    "kiosk-1": {"devices/kiosk-1/state", "kiosk/kiosk-1/req"},
    # A panel commands the phone agent beside it (phone-1 is linked to panel-1).
    "panel-1": {"devices/panel-1/state", "panel/panel-1/req", "phone/phone-1/cmd"},
    "display-1": {"devices/display-1/state"},
    "printer-1": {"devices/printer-1/state", "printer/printer-1/result"},
    "phone-1": {"devices/phone-1/state", "phone/phone-1/call", "phone/phone-1/recording"},
}
SCREEN = {"display/board", "display/announce"}
READS = {
    "kiosk-1": {"kiosk/kiosk-1/reply", *SCREEN},
    "panel-1": {
        "panel/panel-1/reply",
        "panel/panel-1/assignment",
        "panel/panel-1/operators",
        "panel/panel-1/notices",
        # ... and the calls and state of its phone agent.
        "phone/phone-1/call",
        "devices/phone-1/state",
        *SCREEN,
    },
    "display-1": set(SCREEN),
    "printer-1": {"printer/printer-1/job", *SCREEN},
    "phone-1": {"phone/phone-1/cmd", *SCREEN},
}


def universe() -> list[str]:
    """Every concrete topic of the contract for the registered devices, and a few of another
    site's."""
    found = [BOARD, ANNOUNCE]
    for device, role in ROLES.items():
        found.append(f"{P}devices/{device}/state")
        found += [f"{P}{role}/{device}/{leaf}" for leaf in LEAVES[role]]
    found += [
        "cherga/v1/other/display/board",
        "cherga/v1/other/kiosk/kiosk-1/req",
        "cherga/v1/other/devices/kiosk-1/state",
    ]
    return found


def password(device: str) -> str:
    return f"{device}-secret"


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    linked = {"panel-1": {"phone_id": "phone-1"}}
    registry = [
        make_device(device, role, password(device), **linked.get(device, {}))
        for device, role in ROLES.items()
    ]
    auth = broker_auth(registry, hub_password=HUB_PASSWORD)
    folder = tmp_path_factory.mktemp("matrix") / "mqtt"
    open_for_broker(folder)
    started = Mosquitto.start(folder, hashes=auth.hashes, acl=auth.acl, hub_user=HUB_MQTT_USER)
    yield started
    started.stop()


def join(
    broker: Mosquitto, probes: list[Probe], user: str, *, client_id: str | None = None
) -> Probe:
    hub = user == HUB_MQTT_USER
    probe = connect(
        broker,
        user,
        HUB_PASSWORD if hub else password(user),
        port=broker.hub_port if hub else None,
        client_id=client_id,
    )
    probes.append(probe)
    assert probe.connects.get(timeout=WAIT) == "Success"
    return probe


@pytest.mark.parametrize("device", PROBED)
def test_a_device_publishes_only_to_its_own_topics(
    broker: Mosquitto, probes: list[Probe], device: str
) -> None:
    probe = join(broker, probes, device)
    allowed = {P + topic for topic in WRITES[device]}
    refused = {t for t in universe() if probe.publish(t, b"x") == "Not authorized"}
    assert set(universe()) - refused == allowed


def test_each_device_reads_only_its_own_topics(broker: Mosquitto, probes: list[Probe]) -> None:
    hub = join(broker, probes, HUB_MQTT_USER)
    readers = {device: join(broker, probes, device) for device in PROBED}
    for reader in readers.values():
        # Mosquitto grants any subscription and filters each message at delivery.
        reader.subscribe("cherga/v1/#")
        reader.subscribe("$share/cherga-hub/cherga/v1/#")
    for topic in universe():
        assert hub.publish(topic, b"x") == "Success"
    # Last, a message every device may read: whatever was to reach a device came before it.
    assert hub.publish(BOARD, b"end") == "Success"
    for device, reader in readers.items():
        got: set[str] = set()
        while (message := reader.next_message())[:2] != (BOARD, b"end"):
            got.add(message[0])
        assert got == {P + topic for topic in READS[device]}, device


@pytest.mark.parametrize("taken", ["main.panel-1", "panel-1", "probe-panel-1"])
def test_a_device_cannot_take_another_devices_client_id(
    broker: Mosquitto, probes: list[Probe], taken: str
) -> None:
    """On the devices' listener a client's id is its username: another device's id given at
    CONNECT knocks nobody off (an outside test saw two devices kick each other off for good)."""
    hub = join(broker, probes, HUB_MQTT_USER)
    hub.subscribe(P + "panel/+/req")
    victim = join(broker, probes, "panel-1", client_id=taken)
    join(broker, probes, "kiosk-1", client_id=taken)  # its CONNACK: the broker took it in
    assert victim.publish(topics.panel_req(SITE, "panel-1"), b"still here") == "Success"
    assert hub.next_message()[:2] == (topics.panel_req(SITE, "panel-1"), b"still here")
    assert victim.disconnects.empty()


def test_the_hubs_listener_and_the_devices_listener_take_only_their_own(
    broker: Mosquitto, probes: list[Probe]
) -> None:
    assert broker.hub_port is not None and broker.hub_port != broker.port
    for user, secret, port in (
        (HUB_MQTT_USER, HUB_PASSWORD, broker.port),
        ("kiosk-1", password("kiosk-1"), broker.hub_port),
    ):
        probe = connect(broker, user, secret, port=port)
        probes.append(probe)
        assert probe.connects.get(timeout=WAIT) in ("Not authorized", "Bad user name or password")


def test_an_oversize_packet_disconnects_its_sender_and_reaches_nobody(
    broker: Mosquitto, probes: list[Probe]
) -> None:
    hub = join(broker, probes, HUB_MQTT_USER)
    hub.subscribe(P + "kiosk/+/req")
    kiosk = join(broker, probes, "kiosk-1")
    kiosk.client.publish(topics.kiosk_req(SITE, "kiosk-1"), b"x" * (MAX_PACKET + 1), qos=1)
    assert kiosk.disconnects.get(timeout=WAIT)
    # A large message within the limit (a call's recording) still travels.
    phone = join(broker, probes, "phone-1")
    hub.subscribe(P + "phone/+/recording")
    recording = topics.phone_recording(SITE, "phone-1")
    assert phone.publish(recording, b"r" * (4 * 2**20)) == "Success"
    topic, payload, _retained = hub.next_message()
    assert (topic, len(payload)) == (recording, 4 * 2**20)


def test_the_config_keeps_the_hub_on_loopback(broker: Mosquitto) -> None:
    text = (Path(broker.folder) / "mosquitto.conf").read_text()
    assert f"listener {broker.hub_port} 127.0.0.1" in text
    assert "use_username_as_clientid true" in text
    assert f"max_packet_size {MAX_PACKET}" in text
