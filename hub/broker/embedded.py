"""The broker the hub starts itself when no CHERGA_MQTT_URL is set, and keeping its files current.

Files live in ``{data_dir}/mqtt``: mosquitto.conf, passwd (the devices'), passwd-hub, acl, the
persistence file, the log, the broker's PID, ``hub-port`` and ``hub-password`` (the hub's own
MQTT password, mode 0600). Devices connect on ``mqtt_host:mqtt_port``, where a client's id is its
username; the hub on a loopback listener of its own, the only one its password opens. Any
process that
changes the registry (the hub's REST API or ``cherga device ...``) calls ``sync_broker``, which
rewrites passwd and acl and sends SIGHUP to the running broker found through its PID file.
Mosquitto 2.0.11 then also disconnects clients whose credentials are gone (tests/test_broker.py).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from hub.broker.mosquitto import Mosquitto, is_free, signal_pid_file, write_auth
from hub.broker.passwords import new_password
from hub.broker.registry import BrokerAuth, broker_auth
from hub.broker.urls import MqttEndpoint, parse_mqtt_url
from hub.config import Settings
from hub.services.devices import HUB_MQTT_USER, active_devices

logger = logging.getLogger(__name__)

HUB_PASSWORD_FILE = "hub-password"
HUB_PORT_FILE = "hub-port"


def broker_folder(settings: Settings) -> Path:
    """Where the broker's files are kept."""
    return settings.data_dir / "mqtt"


def hub_password(folder: Path) -> str:
    """The hub's own MQTT password, created once and kept readable only by the hub's user."""
    path = folder / HUB_PASSWORD_FILE
    try:
        value = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        value = ""
    if value:
        return value
    folder.mkdir(parents=True, exist_ok=True)
    value = new_password()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(value + "\n")
    return value


def _hub_port(folder: Path) -> int | None:
    """The hub's listener's port of the last start, while it is free: a broker started again
    (by hand, or after it died) is where the running hub reconnects to."""
    try:
        port = int((folder / HUB_PORT_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return port if 0 < port < 65536 and is_free("127.0.0.1", port) else None


def current_auth(sessions: sessionmaker[Session], folder: Path) -> BrokerAuth:
    """Password hashes and ACL for the registry as it is now."""
    with sessions() as session:
        devices = active_devices(session)
        return broker_auth(devices, hub_password=hub_password(folder))


def sync_broker(settings: Settings, sessions: sessionmaker[Session]) -> bool:
    """Rewrite passwd and acl from the registry and reload the running broker.

    Returns True when a running embedded broker was told to reload. With an external broker the
    files are still written (a production Mosquitto can point at them) but nothing is signalled.
    """
    folder = broker_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    auth = current_auth(sessions, folder)
    write_auth(folder, hashes=auth.hashes, acl=auth.acl, hub_user=HUB_MQTT_USER)
    if settings.mqtt_url:
        return False
    reloaded = signal_pid_file(folder)
    logger.info(
        "broker files rewritten (%d users)%s", len(auth.hashes), ", broker reloaded" * reloaded
    )
    return reloaded


def device_endpoint(settings: Settings) -> tuple[str, int]:
    """The broker address written into device config files."""
    if settings.mqtt_url:
        endpoint = parse_mqtt_url(settings.mqtt_url)
        return settings.mqtt_public_host or endpoint.host, endpoint.port
    return settings.mqtt_public_host or settings.mqtt_host, settings.mqtt_port


@dataclass
class EmbeddedBroker:
    """A Mosquitto the hub started, and how the hub itself connects to it."""

    broker: Mosquitto
    endpoint: MqttEndpoint = field(repr=False)
    """How the hub connects: its own loopback listener, with its password."""

    @property
    def device_host(self) -> str:
        """Where devices connect (the listener with their passwords)."""
        return self.broker.host

    @property
    def device_port(self) -> int:
        """The devices' listener's port."""
        return self.broker.port

    def stop(self) -> None:
        """Stop the broker (its retained messages are saved)."""
        self.broker.stop()


def start_embedded(settings: Settings, sessions: sessionmaker[Session]) -> EmbeddedBroker:
    """Start Mosquitto on ``mqtt_host:mqtt_port`` with authentication and the registry's ACL.

    Raises hub.broker.mosquitto.BrokerError with a one-line message when Mosquitto is missing.
    """
    folder = broker_folder(settings)
    auth = current_auth(sessions, folder)
    broker = Mosquitto.start(
        folder,
        hashes=auth.hashes,
        acl=auth.acl,
        host=settings.mqtt_host,
        port=settings.mqtt_port,
        hub_user=HUB_MQTT_USER,
        hub_port=_hub_port(folder),
    )
    assert broker.hub_port is not None
    (folder / HUB_PORT_FILE).write_text(f"{broker.hub_port}\n", encoding="ascii")
    endpoint = MqttEndpoint(
        host="127.0.0.1",
        port=broker.hub_port,
        username=HUB_MQTT_USER,
        password=hub_password(folder),
    )
    logger.info(
        "embedded MQTT broker (Mosquitto) for devices on %s:%d, for the hub on %s, pid %d",
        broker.host,
        broker.port,
        endpoint.safe_url,
        broker.process.pid,
    )
    return EmbeddedBroker(broker=broker, endpoint=endpoint)


def hub_endpoint(settings: Settings) -> MqttEndpoint:
    """How the hub connects to the external broker of CHERGA_MQTT_URL (the embedded one gives
    its own endpoint when started: ``start_embedded``)."""
    if not settings.mqtt_url:
        raise ValueError("no CHERGA_MQTT_URL: the embedded broker's endpoint comes from its start")
    return parse_mqtt_url(settings.mqtt_url)
