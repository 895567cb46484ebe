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
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy.orm import Session, sessionmaker

from hub.broker.mosquitto import (
    BrokerError,
    BrokerTls,
    Mosquitto,
    free_port,
    is_free,
    signal_pid_file,
    write_auth,
)
from hub.broker.passwords import new_password
from hub.broker.registry import BrokerAuth, broker_auth
from hub.broker.urls import MqttEndpoint, parse_mqtt_url
from hub.config import Settings
from hub.protocol.tls import ClientTls, client_context
from hub.services.devices.certificates import revoked_serials
from hub.services.devices.devices import HUB_MQTT_USER, active_devices
from hub.tls.office import office_authority

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


def _hub_port(folder: Path, taken: set[int]) -> int:
    """The hub's listener's port: the last start's, while it is free (a broker started again,
    by hand or after it died, is where the running hub reconnects to), else a free one; never
    one of ``taken``, the ports the hub's other listeners are configured on (not bound yet, so
    the system could hand them out)."""
    try:
        port = int((folder / HUB_PORT_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        port = 0
    if 0 < port < 65536 and port not in taken and is_free("127.0.0.1", port):
        return port
    return free_port("127.0.0.1", besides=taken)


def current_auth(sessions: sessionmaker[Session], folder: Path) -> BrokerAuth:
    """Password hashes and ACL for the registry as it is now."""
    with sessions() as session:
        devices = active_devices(session)
        return broker_auth(devices, hub_password=hub_password(folder))


def devices_tls(settings: Settings) -> bool:
    """Whether devices reach the broker over TLS: the embedded one with ``mqtt_tls``, or an
    external one named by an ``mqtts://`` URL."""
    if settings.mqtt_url:
        return parse_mqtt_url(settings.mqtt_url).tls
    return settings.mqtt_tls


def current_tls(settings: Settings, sessions: sessionmaker[Session]) -> BrokerTls:
    """The devices' listener's TLS files as they must be now: the office's CA, the current
    server certificate (renewed here when due) and the revocation list of the registry."""
    authority = office_authority(settings)
    with sessions() as session:
        revoked = revoked_serials(session)
    return BrokerTls(
        ca_pem=authority.ca_pem,
        cert_pem=authority.server_cert_file.read_text(encoding="ascii"),
        key_pem=authority.server_key_file.read_text(encoding="ascii"),
        crl_pem=authority.crl_pem(revoked),
    )


def sync_broker(
    settings: Settings, sessions: sessionmaker[Session], *, cut_off: Sequence[str] = ()
) -> bool:
    """Rewrite passwd and acl from the registry and reload the running broker; then
    disconnect the devices of ``cut_off`` (just revoked or given new credentials) if they are
    still connected with what they had.

    Returns True when a running embedded broker was told to reload. With an external broker the
    files are still written (a production Mosquitto can point at them) but nothing is signalled.
    """
    folder = broker_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    auth = current_auth(sessions, folder)
    tls = current_tls(settings, sessions) if devices_tls(settings) else None
    write_auth(folder, hashes=auth.hashes, acl=auth.acl, hub_user=HUB_MQTT_USER, tls=tls)
    if settings.mqtt_url:
        return False
    reloaded = signal_pid_file(folder)
    logger.info(
        "broker files rewritten (%d users)%s", len(auth.hashes), ", broker reloaded" * reloaded
    )
    if reloaded and tls is not None:
        for device_id in cut_off:
            take_over(settings, device_id)
    return reloaded


def take_over(settings: Settings, device_id: str, timeout: float = 5.0) -> bool:
    """Disconnect ``device_id`` from the embedded broker's TLS listener.

    Mosquitto re-reads its revocation list and ACL on a reload but keeps the connections it
    already has, and the ACL then only silences them: so the hub connects once as that device,
    with a certificate of two minutes' life, and the broker drops the older connection of the
    same client id (publishing its last will, ``offline``). The device's reconnect with its old
    certificate is refused by the revocation list. Returns whether the broker let us in.
    """
    authority = office_authority(settings)
    issued = authority.issue_client(device_id, days=0, minutes=2)
    host = settings.mqtt_host if settings.mqtt_host not in ("0.0.0.0", "::") else "127.0.0.1"
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=device_id, protocol=MQTTProtocolVersion.MQTTv5
    )
    tls = ClientTls(ca_pem=authority.ca_pem, cert_pem=issued.cert_pem, key_pem=issued.key_pem)
    client.tls_set_context(client_context(tls))
    accepted = threading.Event()
    client.on_connect = lambda _c, _u, _f, reason, _p: (
        accepted.set() if not reason.is_failure else None
    )
    try:
        client.connect(host, settings.mqtt_port, keepalive=10)
        client.loop_start()
        done = accepted.wait(timeout)
        client.disconnect()
    except OSError as exc:
        logger.warning("could not disconnect %s from the broker: %s", device_id, exc)
        return False
    finally:
        client.loop_stop()
    logger.info("%s disconnected from the broker%s", device_id, "" if done else " (no answer)")
    return done


def device_endpoint(settings: Settings) -> tuple[str, int]:
    """The broker address written into device config files."""
    if settings.mqtt_url:
        endpoint = parse_mqtt_url(settings.mqtt_url)
        # Over TLS the devices have a listener of their own (certificates, not passwords:
        # docs/mqtt_tls.md), on CHERGA_MQTT_PORT; over plain TCP they share the hub's.
        port = settings.mqtt_port if endpoint.tls else endpoint.port
        return settings.mqtt_public_host or endpoint.host, port
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
        hub_port=_hub_port(folder, {settings.mqtt_port, settings.port, settings.https_port}),
        tls=current_tls(settings, sessions) if settings.mqtt_tls else None,
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
        "embedded MQTT broker (Mosquitto) for devices on %s:%d (%s), for the hub on %s, pid %d",
        broker.host,
        broker.port,
        "TLS with device certificates" if broker.tls is not None else "plain TCP, passwords",
        endpoint.safe_url,
        broker.process.pid,
    )
    return EmbeddedBroker(broker=broker, endpoint=endpoint)


def broker_ca_pem(settings: Settings) -> str:
    """The CA devices check the broker against: ``mqtt_ca_file`` for an external broker that
    names one, else the office's own."""
    if settings.mqtt_url and settings.mqtt_ca_file is not None:
        try:
            return settings.mqtt_ca_file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise BrokerError(
                f"cannot read CHERGA_MQTT_CA_FILE {settings.mqtt_ca_file}: {exc}"
            ) from None
    return office_authority(settings).ca_pem


def hub_tls_context(settings: Settings) -> ssl.SSLContext:
    """How the hub checks an ``mqtts://`` broker: ``mqtt_ca_file``, or the office's CA and the
    system's store."""
    if settings.mqtt_ca_file is not None:
        return ssl.create_default_context(cafile=str(settings.mqtt_ca_file))
    context = ssl.create_default_context()
    context.load_verify_locations(cadata=office_authority(settings).ca_pem)
    return context


def hub_endpoint(settings: Settings) -> MqttEndpoint:
    """How the hub connects to the external broker of CHERGA_MQTT_URL (the embedded one gives
    its own endpoint when started: ``start_embedded``)."""
    if not settings.mqtt_url:
        raise ValueError("no CHERGA_MQTT_URL: the embedded broker's endpoint comes from its start")
    return parse_mqtt_url(settings.mqtt_url)
