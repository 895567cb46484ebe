"""Device registry: services on both databases, REST, `cherga device`, the embedded broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from firmware_config.device_config import DeviceConfigError, parse_config, read_config
from hub.bootstrap import Hub
from hub.broker.passwords import verify_password
from hub.db.engine import transaction
from hub.errors import Conflict, Invalid, NotFound
from hub.protocol import topics
from hub.protocol.devices import DeviceState
from hub.services.devices import devices
from tests.conftest import UserFactory
from tests.mqtt import open_for_broker
from tests.pg import free_port
from tests.test_broker import WAIT, connect, tls_refused

CHERGA = [sys.executable, "-m", "hub.cli"]


def test_add_list_revoke_and_state(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        printer = devices.add_device(session, role="printer", name="Принтер", site="main")
        kiosk = devices.add_device(
            session, role="kiosk", name=" Кіоск ", site="main", printer_id="printer-1"
        )
        panel = devices.add_device(session, role="panel", name="Вікно 3", site="main", window=3)
    assert (printer.device.id, kiosk.device.id, panel.device.id) == (
        "printer-1",
        "kiosk-1",
        "panel-1",
    )
    assert kiosk.device.name == "Кіоск" and kiosk.device.printer_id == "printer-1"
    assert kiosk.mqtt_password != printer.mqtt_password and len(kiosk.mqtt_password) >= 24
    with hub.sessions() as session:
        stored = devices.get_device(session, "kiosk-1")
        # Only the hash is stored, in the form Mosquitto's password file takes.
        assert kiosk.mqtt_password not in stored.mqtt_password_hash
        assert verify_password(kiosk.mqtt_password, stored.mqtt_password_hash)
        assert [d.id for d in devices.list_devices(session)] == ["kiosk-1", "panel-1", "printer-1"]

    with transaction(hub.sessions) as session:
        state = DeviceState(state="online", role="kiosk", version="1.2.0")
        assert devices.record_state(session, site="main", device_id="kiosk-1", state=state)
        assert devices.record_state(session, site="other", device_id="kiosk-1", state=state) is None
        assert devices.record_state(session, site="main", device_id="ghost", state=state) is None
    with hub.sessions() as session:
        seen = devices.get_device(session, "kiosk-1")
        assert seen.online and seen.version == "1.2.0" and seen.last_seen_at is not None

    with transaction(hub.sessions) as session:
        devices.revoke_device(session, "kiosk-1")
    with pytest.raises(Conflict), transaction(hub.sessions) as session:
        devices.revoke_device(session, "kiosk-1")
    with transaction(hub.sessions) as session:
        offline = DeviceState(state="online")
        assert (
            devices.record_state(session, site="main", device_id="kiosk-1", state=offline) is None
        )
        assert [d.id for d in devices.active_devices(session)] == ["panel-1", "printer-1"]
        # A revoked id is never reused.
        assert (
            devices.add_device(session, role="kiosk", name="K", site="main").device.id == "kiosk-2"
        )


@pytest.mark.parametrize(
    ("fields", "error", "code"),
    [
        ({"role": "toaster"}, Invalid, "device_role_unknown"),
        ({"role": "panel"}, Invalid, "device_window_required"),
        ({"role": "panel", "window": 0}, Invalid, "device_window_required"),
        ({"window": 2}, Invalid, "device_window_panel_only"),
        ({"name": "  "}, Invalid, "device_name_invalid"),
        ({"device_id": "Kiosk/1"}, Invalid, "device_id_invalid"),
        ({"device_id": "cherga-hub"}, Invalid, "device_id_reserved"),
        ({"device_id": "printer-1"}, Conflict, "device_id_taken"),
        ({"printer_id": "nope"}, Invalid, "device_printer_invalid"),
        ({"printer_id": "printer-1", "site": "other"}, Invalid, "device_printer_invalid"),
        ({"role": "display", "printer_id": "printer-1"}, Invalid, "device_printer_kiosk_only"),
        ({"role": "panel", "window": 1}, Conflict, "device_window_taken"),
        ({"site": "Bad Site"}, Invalid, "device_id_invalid"),
    ],
)
def test_bad_input_changes_nothing(
    hub: Hub, fields: dict[str, Any], error: type[Exception], code: str
) -> None:
    with transaction(hub.sessions) as session:
        devices.add_device(session, role="printer", name="P", site="main")
        devices.add_device(session, role="panel", name="W1", site="main", window=1)
    arguments: dict[str, Any] = {"role": "kiosk", "name": "K", "site": "main", **fields}
    with pytest.raises(error) as caught, transaction(hub.sessions) as session:
        devices.add_device(session, **arguments)
    assert getattr(caught.value, "code", None) == code
    with hub.sessions() as session:
        assert len(devices.list_devices(session)) == 2
    with pytest.raises(NotFound), hub.sessions() as session:
        devices.get_device(session, "kiosk-1")


def test_rest_access_and_provisioning(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory, hub: Hub
) -> None:
    _, nobody = make_user()
    _, provisioner = make_user(rights={"device": "c"})
    assert client.get("/api/v1/devices", headers=nobody).status_code == 403
    body = {"role": "panel", "name": "Вікно 2", "window": 2}
    assert client.post("/api/v1/devices", headers=nobody, json=body).status_code == 403
    reply = client.post("/api/v1/devices", headers=provisioner, json=body)
    assert reply.status_code == 201, reply.text
    made = reply.json()
    assert made["device_id"] == "panel-1" and made["window"] == 2 and made["site"] == "main"
    # The config carries the office's zone: the panel's times are the office's (and the Pi
    # set-up makes it the system's zone).
    assert parse_config(tomllib.loads(made["config_toml"])).timezone == "Europe/Kyiv"
    assert made["mqtt_username"] == "panel-1" and len(made["mqtt_password"]) >= 24
    # The broker's files follow the registry: the device's hash and its ACL block.
    folder = hub.settings.data_dir / "mqtt"
    assert "user panel-1\n" in (folder / "acl").read_text()
    passwd = dict(line.split(":", 1) for line in (folder / "passwd").read_text().splitlines())
    assert verify_password(made["mqtt_password"], passwd["panel-1"])

    listed = client.get("/api/v1/devices", headers=provisioner).json()
    assert [(d["device_id"], d["online"], d["last_seen_at"]) for d in listed] == [
        ("panel-1", False, None)
    ]
    assert all("mqtt_password" not in d for d in listed)
    bad = client.post("/api/v1/devices", headers=admin_headers, json={**body, "extra": 1})
    assert bad.status_code == 422
    assert client.post("/api/v1/devices/panel-1/revoke", headers=provisioner).status_code == 403
    revoked = client.post("/api/v1/devices/panel-1/revoke", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert "panel-1" not in (folder / "acl").read_text()
    assert "panel-1" not in (folder / "passwd").read_text()
    assert client.post("/api/v1/devices/panel-1/revoke", headers=admin_headers).status_code == 409
    assert client.post("/api/v1/devices/ghost/revoke", headers=admin_headers).status_code == 404

    # A panel with its phone agent: linked, listed, and the agent goes to one panel only.
    agent = client.post(
        "/api/v1/devices", headers=provisioner, json={"role": "phone", "name": "Лінії вікна 3"}
    )
    assert agent.status_code == 201, agent.text
    phone_id = agent.json()["device_id"]
    with_phone = {"role": "panel", "name": "Вікно 3", "window": 3, "phone": phone_id}
    panel = client.post("/api/v1/devices", headers=provisioner, json=with_phone)
    assert panel.status_code == 201, panel.text
    assert panel.json()["phone"] == phone_id
    taken = client.post("/api/v1/devices", headers=provisioner, json={**with_phone, "window": 4})
    assert taken.status_code == 409, taken.text
    not_a_phone = {**with_phone, "window": 5, "phone": panel.json()["device_id"]}
    assert client.post("/api/v1/devices", headers=provisioner, json=not_a_phone).status_code == 422
    listed = {d["device_id"]: d for d in client.get("/api/v1/devices", headers=provisioner).json()}
    assert listed[panel.json()["device_id"]]["phone"] == phone_id
    assert listed[phone_id]["phone_status"] is None  # never online yet


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
    env.update(
        CHERGA_DATA_DIR=str(data_dir),
        CHERGA_ADMIN_PASSWORD="admin-secret-1",
        CHERGA_PASSWORD_HASH_MEMORY_KIB="1024",
        CHERGA_PASSWORD_HASH_TIME_COST="1",
        **extra,
    )
    return env


def _cherga(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHERGA, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_add_json_and_config_file_round_trip(tmp_path: Path) -> None:
    env = _env(
        tmp_path / "data",
        CHERGA_MQTT_PUBLIC_HOST="hub.local",
        CHERGA_MQTT_PORT="1884",
        CHERGA_TIMEZONE="America/New_York",
    )
    printer = _cherga(env, "device", "add", "--role", "printer", "--name", "P", "--json")
    assert printer.returncode == 0, printer.stderr
    out = tmp_path / "kiosk.toml"
    added = _cherga(
        env,
        *("device", "add", "--role", "kiosk", "--name", "Кіоск 1", "--printer", "printer-1"),
        *("--json", "--config-out", str(out)),
    )
    assert added.returncode == 0, added.stderr
    data = json.loads(added.stdout)
    assert {k: data[k] for k in ("device_id", "site", "mqtt_host", "mqtt_port")} == {
        "device_id": "kiosk-1",
        "site": "main",
        "mqtt_host": "hub.local",
        "mqtt_port": 1884,
    }
    assert data["mqtt_username"] == "kiosk-1"
    assert data["mqtt_password"] not in added.stderr  # not logged
    assert out.stat().st_mode & 0o777 == 0o600
    config = read_config(out)
    assert (config.device_id, config.role, config.site, config.name, config.printer) == (
        "kiosk-1",
        "kiosk",
        "main",
        "Кіоск 1",
        "printer-1",
    )
    assert (config.mqtt.host, config.mqtt.port, config.mqtt.username) == (
        "hub.local",
        1884,
        "kiosk-1",
    )
    assert config.mqtt.password.get_secret_value() == data["mqtt_password"]
    # The office's zone (the hub's setting) goes into the device's config.
    assert config.timezone == "America/New_York"
    assert 'timezone = "America/New_York"' in out.read_text(encoding="utf-8")
    assert data["mqtt_password"] not in repr(config)

    refused = _cherga(env, "device", "add", "--role", "panel", "--name", "W", "--json")
    assert refused.returncode == 1 and "window" in refused.stderr
    assert len(refused.stderr.strip().splitlines()[-1]) < 200
    listed = _cherga(env, "device", "list", "--json")
    assert [d["device_id"] for d in json.loads(listed.stdout)] == ["kiosk-1", "printer-1"]
    assert _cherga(env, "device", "revoke", "kiosk-1").returncode == 0
    assert _cherga(env, "device", "revoke", "kiosk-1").returncode == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("device_id = 'k'\n", "role: Field required"),
        ("this is not toml", "not valid TOML"),
        (
            "device_id='panel-1'\nrole='panel'\nsite='main'\nname='W'\n"
            "[mqtt]\nhost='h'\nusername='panel-1'\npassword='s3cret-value'\n",
            "window is required for a panel",
        ),
        (
            "device_id='k-1'\nrole='kiosk'\nsite='main'\nname='K'\n"
            "[mqtt]\nhost='h'\nport=70000\nusername='k-1'\npassword='s3cret-value'\n",
            "mqtt.port",
        ),
    ],
)
def test_config_file_errors_are_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "device.toml"
    path.write_text(text)
    with pytest.raises(DeviceConfigError) as error:
        read_config(path)
    message = str(error.value)
    assert expected in message and "\n" not in message and "s3cret-value" not in message
    assert str(path) in message
    with pytest.raises(DeviceConfigError, match="no such device config file"):
        read_config(tmp_path / "missing.toml")


def test_embedded_broker_accepts_provisioned_device_and_cuts_revoked(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    open_for_broker(data_dir / "mqtt")
    mqtt_port, http_port = free_port(), free_port()
    # This test is about the broker: the hub's health over plain HTTP is enough.
    env = _env(
        data_dir, CHERGA_MQTT_PORT=str(mqtt_port), CHERGA_PORT=str(http_port), CHERGA_HTTPS="false"
    )
    config_file = tmp_path / "display.toml"
    added = _cherga(
        env, "device", "add", "--role", "display", "--name", "Табло", "--json",
        "--config-out", str(config_file),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    creds = json.loads(added.stdout)
    assert creds["mqtt_tls"] is True
    tls = read_config(config_file).mqtt.client_options()["tls"]
    process = subprocess.Popen(
        [*CHERGA, "hub"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    probe = None
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                if httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the hub did not start in 60 s"
            time.sleep(0.2)
        broker_pid = int((data_dir / "mqtt" / "mosquitto.pid").read_text())
        assert Path(f"/proc/{broker_pid}").exists()

        class Where:
            host = "127.0.0.1"
            port = mqtt_port

        # Over TLS the broker takes the device's identity from its certificate.
        device = creds["device_id"]
        probe = connect(Where, device, "", client_id=device, tls=tls)  # type: ignore[arg-type]
        assert probe.connects.get(timeout=WAIT) == "Success"
        state = topics.device_state("main", device)
        assert probe.publish(state, b'{"v": 1, "state": "online"}', retain=True) == "Success"
        assert probe.publish(topics.display_board("main"), b"forged") == "Not authorized"

        # Revoked while the hub runs: the CLI rewrites the files, reloads the hub's broker and
        # has the broker drop the device's connection; its certificate no longer gets in.
        assert _cherga(env, "device", "revoke", device).returncode == 0
        assert probe.disconnects.get(timeout=WAIT)
        assert tls_refused(Where, device, tls)  # type: ignore[arg-type]
    finally:
        if probe is not None:
            probe.close()
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert creds["mqtt_password"] not in output
    # uvicorn re-raises the SIGTERM it handled once it has shut down.
    assert process.returncode in (0, -signal.SIGTERM), output
    # The broker went with the hub (its parent-death signal is SIGTERM, its normal stop).
    deadline = time.monotonic() + WAIT
    while Path(f"/proc/{broker_pid}").exists():
        if "zombie" in Path(f"/proc/{broker_pid}/status").read_text():
            break
        assert time.monotonic() < deadline, "the embedded broker outlived the hub"
        time.sleep(0.05)
