"""A panel linked to its phone agent: the registry's checks, the broker's ACL, the CLI."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from firmware_config.device_config import read_config
from hub.bootstrap import Hub, prepare_database
from hub.broker.registry import render_acl
from hub.db.engine import transaction
from hub.db.models import Device
from hub.errors import Conflict, Invalid
from hub.protocol import topics
from hub.protocol.devices import DeviceState, PhoneStatus
from hub.services.devices import devices
from tests.test_devices import _cherga, _env
from tests.test_web_pages import log_in_to_console

pytestmark = pytest.mark.timeout(120)


def test_phone_link_is_checked_and_shapes_the_acl(hub: Hub) -> None:
    prepare_database(hub)
    with transaction(hub.sessions) as session:
        for role, device_id in (("phone", "phone-1"), ("phone", "phone-2"), ("kiosk", "kiosk-1")):
            devices.add_device(session, role=role, name=device_id, site="main", device_id=device_id)
        devices.add_device(session, role="phone", name="far", site="other", device_id="phone-far")
    bad = [
        ({"role": "kiosk", "phone_id": "phone-1"}, Invalid, "device_phone_panel_only"),
        ({"role": "panel", "window": 1, "phone_id": "kiosk-1"}, Invalid, "device_phone_invalid"),
        ({"role": "panel", "window": 1, "phone_id": "ghost"}, Invalid, "device_phone_invalid"),
        ({"role": "panel", "window": 1, "phone_id": "phone-far"}, Invalid, "device_phone_invalid"),
    ]
    for fields, error, code in bad:
        with pytest.raises(error) as caught, transaction(hub.sessions) as session:
            devices.add_device(session, name="x", site="main", **fields)  # type: ignore[arg-type]
        assert caught.value.code == code
    with transaction(hub.sessions) as session:
        devices.add_device(
            session, role="panel", name="P1", site="main", window=1, phone_id="phone-1",
            device_id="panel-1",
        )  # fmt: skip
        devices.add_device(
            session, role="panel", name="P2", site="main", window=2, device_id="panel-2"
        )
    with pytest.raises(Conflict) as taken, transaction(hub.sessions) as session:
        devices.add_device(
            session, role="panel", name="P3", site="main", window=3, phone_id="phone-1"
        )
    assert taken.value.code == "device_phone_taken"

    with hub.sessions() as session:
        acl = render_acl(devices.active_devices(session))
        panel = session.get(Device, "panel-1")
        assert panel is not None and devices.phone_device(session, panel) == "phone-1"
    blocks = {block.split("\n")[1]: block for block in acl.split("\n\n") if "\nuser " in block}
    linked, other = blocks["user panel-1"], blocks["user panel-2"]
    assert f"topic write {topics.phone_cmd('main', 'phone-1')}" in linked
    assert f"topic read {topics.phone_call('main', 'phone-1')}" in linked
    assert "phone/" not in other
    assert f"topic write {topics.phone_call('main', 'phone-1')}" in blocks["user phone-1"]

    # Revoking the agent takes its topics away from the panel at the next sync.
    with transaction(hub.sessions) as session:
        devices.revoke_device(session, "phone-1")
    with hub.sessions() as session:
        acl = render_acl(devices.active_devices(session))
        panel = session.get(Device, "panel-1")
        assert panel is not None and devices.phone_device(session, panel) is None
    assert "phone-1" not in acl


def test_phone_status_is_stored_from_the_device_state(hub: Hub) -> None:
    prepare_database(hub)
    with transaction(hub.sessions) as session:
        devices.add_device(session, role="phone", name="P", site="main", device_id="phone-1")
        online = DeviceState(
            state="online", role="phone", phone=PhoneStatus(registered=True, number="101", busy=1)
        )
        row = devices.record_state(session, site="main", device_id="phone-1", state=online)
        assert row is not None
        assert row.phone_status == {
            "registered": True, "number": "101", "lines": 5, "busy": 1, "second_ring": True
        }  # fmt: skip
        # The generic device client's own state (faults) carries no phone part: kept.
        bare = DeviceState(state="online", role="phone")
        row = devices.record_state(session, site="main", device_id="phone-1", state=bare)
        assert row is not None and row.phone_status is not None
        assert row.phone_status["registered"] is True
        offline = DeviceState(state="offline", role="phone")
        row = devices.record_state(session, site="main", device_id="phone-1", state=offline)
        assert row is not None and row.phone_status is None and not row.online


def test_cli_links_a_panel_to_its_phone_agent(tmp_path: Path) -> None:
    env = _env(tmp_path / "data", CHERGA_MQTT_PUBLIC_HOST="hub.local")
    agent = _cherga(env, "device", "add", "--role", "phone", "--name", "Лінії 1", "--json")
    assert agent.returncode == 0, agent.stderr
    assert json.loads(agent.stdout)["device_id"] == "phone-1"
    out = tmp_path / "panel.toml"
    added = _cherga(
        env,
        *("device", "add", "--role", "panel", "--name", "Вікно 1", "--window", "1"),
        *("--phone", "phone-1", "--json", "--config-out", str(out)),
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["phone"] == "phone-1"
    # Top-level once the device config declares the key, else in the panel's [settings].
    written = tomllib.loads(out.read_text())
    assert written.get("phone_device", written.get("settings", {}).get("phone_device")) == (
        "phone-1"
    )
    config = read_config(out)
    linked = getattr(config, "phone_device", None) or config.settings.get("phone_device")
    assert linked == "phone-1"
    acl = (tmp_path / "data" / "mqtt").rglob("*acl*")
    text = "\n".join(path.read_text() for path in acl if path.is_file())
    assert f"topic read {topics.phone_call('main', 'phone-1')}" in text

    refused = _cherga(env, "device", "add", "--role", "kiosk", "--name", "K", "--phone", "phone-1")
    assert refused.returncode == 1 and "panel is linked to a phone" in refused.stderr
    unknown = _cherga(
        env,
        *("device", "add", "--role", "panel", "--name", "W2", "--window", "2"),
        *("--phone", "phone-9"),
    )
    assert unknown.returncode == 1 and "phone-9" in unknown.stderr


def test_devices_page_shows_the_phone_registration_and_busy_lines(
    hub: Hub, client: TestClient
) -> None:
    with transaction(hub.sessions) as session:
        devices.add_device(session, role="phone", name="Лінії", site="main", device_id="phone-1")
        devices.add_device(session, role="phone", name="Другі", site="main", device_id="phone-2")
        devices.add_device(
            session, role="panel", name="Вікно 1", site="main", window=1, phone_id="phone-1"
        )
        status = PhoneStatus(registered=True, number="101", lines=5, busy=2)
        for device_id, phone in (("phone-1", status), ("phone-2", None)):
            state = DeviceState(state="online", role="phone", phone=phone)
            devices.record_state(session, site="main", device_id=device_id, state=state)
    log_in_to_console(client)
    shown = client.get("/console/devices?fragment=1&lang=en")
    assert shown.status_code == 200, shown.text
    rows = {part.split('"', 1)[0]: part for part in shown.text.split('data-device="')[1:]}
    assert "registered · lines busy: 2 of 5 · 101" in rows["phone-1"]
    assert 'data-registered="no"' in rows["phone-2"] and "not registered" in rows["phone-2"]
    assert "phone phone-1" in rows["panel-1"]
