"""MQTT over TLS on the embedded broker (issue 24): who gets in, who does not, and what an
eavesdropper on the network sees.

Everything is real: the hub's own Mosquitto with its TLS listener, certificates from the office's
authority, paho clients, tcpdump on the loopback interface.
"""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import socket
import ssl
import subprocess
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from fastapi.testclient import TestClient

from firmware_config.device_config import parse_config
from hub.bootstrap import Hub
from hub.broker.embedded import sync_broker
from hub.protocol import topics
from hub.protocol.client import DeviceClient
from hub.protocol.tls import ClientTls, client_context
from hub.tls.authority import Authority
from hub.tls.office import office_authority
from tests.test_broker import connect, tls_refused
from tests.test_coordinator import (
    PASSWORD,
    WAIT,
    KioskReply,
    Site,
    ask,
    login,
    make_service,
    rid,
    site,  # noqa: F401
)

sqlite = pytest.mark.parametrize("backend", ["sqlite"])
"""The hub's database plays no part in what is tested here."""


def _own(site: Site, device: str) -> ClientTls:  # noqa: F811
    tls = site.tls(device)
    assert tls is not None, "devices connect over TLS by default"
    return tls


@sqlite
def test_a_device_with_the_offices_ca_and_its_certificate_is_served(site: Site) -> None:  # noqa: F811
    from hub.protocol.messages import IssueTicket

    service = make_service(site, "Паспорти", [])
    kiosk = site.device("kiosk-2", "kiosk")
    reply = ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply)
    assert reply.ok and reply.ticket is not None
    assert "require_certificate true" in (site.broker.broker.folder / "mosquitto.conf").read_text()


@sqlite
def test_the_broker_refuses_devices_without_the_right_certificate(
    site: Site,  # noqa: F811
    tmp_path: Path,
) -> None:
    broker = site.broker.broker
    own = _own(site, "kiosk-1")
    other = Authority.open(tmp_path / "another-office")
    stranger = other.issue_client("kiosk-1")

    # Plain MQTT with the right password: the TLS listener does not even answer MQTT.
    plain = connect(broker, "kiosk-1", site.passwords["kiosk-1"], client_id="kiosk-1")
    try:
        reason = plain.disconnects.get(timeout=WAIT)
        assert plain.connects.empty(), reason
    finally:
        plain.close()
    # TLS without a certificate of its own, or with one from another office's CA.
    assert "closed" in tls_refused(broker, "kiosk-1", ClientTls(ca_pem=own.ca_pem))
    with_stranger = ClientTls(own.ca_pem, stranger.cert_pem, stranger.key_pem)
    assert "closed" in tls_refused(broker, "kiosk-1", with_stranger)
    # An expired certificate of the office (its life ended a moment ago).
    expired = office_authority(site.hub.settings).issue_client("kiosk-1", days=0, minutes=0)
    with_expired = ClientTls(own.ca_pem, expired.cert_pem, expired.key_pem)
    assert "closed" in tls_refused(broker, "kiosk-1", with_expired)


@sqlite
def test_a_device_refuses_a_broker_its_ca_did_not_sign(site: Site, tmp_path: Path) -> None:  # noqa: F811
    own = _own(site, "kiosk-1")
    other = Authority.open(tmp_path / "another-office")
    wrong_ca = ClientTls(other.ca_pem, own.cert_pem, own.key_pem)
    refusal = tls_refused(site.broker.broker, "kiosk-1", wrong_ca)
    assert refusal.startswith("handshake") and "certificate verify failed" in refusal
    # The device's own client says why, once, in words a technician can act on.
    client = DeviceClient(
        site="main",
        device="kiosk-1",
        role="kiosk",
        host=site.broker.device_host,
        port=site.broker.device_port,
        username="kiosk-1",
        password=site.passwords["kiosk-1"],
        tls=wrong_ca,
    )
    try:
        assert client.start(wait=1.0) is False
        deadline = time.monotonic() + WAIT
        while client._last_problem is None:
            assert time.monotonic() < deadline, "the device said nothing"
            time.sleep(0.05)
        assert "not trusted" in client._last_problem
    finally:
        client.close()


@sqlite
def test_another_devices_certificate_gives_only_that_devices_rights(site: Site) -> None:  # noqa: F811
    broker = site.broker.broker
    real = connect(broker, "kiosk-1", "", client_id="kiosk-1", tls=_own(site, "kiosk-1"))
    impostor = None
    try:
        assert real.connects.get(timeout=WAIT) == "Success"
        # kiosk-2's certificate, presented with kiosk-1's name and client id: the broker takes
        # the identity from the certificate, so it is kiosk-2 that connects...
        impostor = connect(broker, "kiosk-1", "x", client_id="kiosk-1", tls=_own(site, "kiosk-2"))
        assert impostor.connects.get(timeout=WAIT) == "Success"
        # ...which may not speak for kiosk-1, and has not knocked kiosk-1 off.
        forged = impostor.publish(topics.kiosk_req("main", "kiosk-1"), b"{}")
        assert forged == "Not authorized"
        assert impostor.publish(topics.kiosk_req("main", "kiosk-2"), b"{}") == "Success"
        assert real.disconnects.empty()
        log = (broker.folder / "mosquitto.log").read_text(encoding="utf-8", errors="replace")
        assert "as kiosk-2 (p5" in log and "u'kiosk-2'" in log
    finally:
        real.close()
        if impostor is not None:
            impostor.close()


@sqlite
def test_new_credentials_over_the_api_replace_the_old_at_once(
    site: Site,  # noqa: F811
    client: TestClient,
    admin_headers: dict[str, str],
) -> None:
    broker = site.broker.broker
    old = _own(site, "kiosk-2")
    connected = connect(broker, "kiosk-2", "", client_id="kiosk-2", tls=old)
    try:
        assert connected.connects.get(timeout=WAIT) == "Success"
        answer = client.post("/api/v1/devices/kiosk-2/credentials", headers=admin_headers)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["mqtt_tls"] is True and "BEGIN CERTIFICATE" in body["ca_certificate"]
        # The connection made with the old certificate is dropped, and it no longer gets in.
        assert connected.disconnects.get(timeout=WAIT)
    finally:
        connected.close()
    assert tls_refused(broker, "kiosk-2", old)
    config = parse_config(tomllib.loads(body["config_toml"]))
    assert config.mqtt.password.get_secret_value() == body["mqtt_password"]
    new = config.mqtt.client_options()["tls"]
    assert tls_refused(broker, "kiosk-2", new) == ""
    # Another administrator's look at the device never shows the key again.
    listed = client.get("/api/v1/devices", headers=admin_headers).text
    assert "PRIVATE KEY" not in listed and body["mqtt_password"] not in listed


def _serial_presented(host: str, port: int, tls: ClientTls) -> int:
    with (
        socket.create_connection((host, port), timeout=WAIT) as raw,
        client_context(tls).wrap_socket(raw, server_hostname=host) as wrapped,
    ):
        der = wrapped.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


@sqlite
def test_a_renewed_server_certificate_is_presented_without_a_restart(
    site: Site,  # noqa: F811
) -> None:
    own = _own(site, "kiosk-1")
    host, port = site.broker.device_host, site.broker.device_port
    authority = office_authority(site.hub.settings)
    before = _serial_presented(host, port, own)
    current = x509.load_pem_x509_certificate(authority.server_cert_file.read_bytes())
    assert before == current.serial_number
    pid = site.broker.broker.process.pid
    # Near its end (what the hub's daily check sees a month before it expires): a new one.
    from hub.tls.office import server_names

    late = current.not_valid_after_utc - dt.timedelta(days=10)
    assert authority.ensure_server(server_names(site.hub.settings), now=late)
    assert sync_broker(site.hub.settings, site.hub.sessions)
    renewed = x509.load_pem_x509_certificate(authority.server_cert_file.read_bytes())
    deadline = time.monotonic() + WAIT
    while _serial_presented(host, port, own) != renewed.serial_number:
        assert time.monotonic() < deadline, "the broker still presents the old certificate"
        time.sleep(0.1)
    assert site.broker.broker.process.pid == pid and site.broker.broker.process.poll() is None


@contextmanager
def _tcpdump(port: int, out: Path) -> Iterator[None]:
    """Capture loopback traffic to and from ``port`` (the devices' listener) into ``out``."""
    binary = shutil.which("tcpdump")
    if binary is None:
        pytest.skip("tcpdump is needed (Debian: tcpdump)")
    # Immediate mode: without it packets wait in the kernel's ring until a block fills, and a
    # short capture stopped by SIGINT may hold none of them.
    command = [binary, "-i", "lo", "--immediate-mode", "-U", "-n", "-s", "0", "-w", str(out)]
    process = subprocess.Popen(
        [*command, "tcp", "port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()  # "listening on lo, ..."
        assert "listening on" in line, line
        # The capture runs once a marker sent now is in the file; everything sent before a
        # second marker is in it once that marker is.
        _mark(port, out, b"cherga-capture-start")
        yield
        _mark(port, out, b"cherga-capture-end")
    finally:
        # SIGINT: tcpdump writes out what it captured and exits.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=WAIT)


def _mark(port: int, out: Path, marker: bytes) -> None:
    """Send ``marker`` to ``port`` (the broker drops it as garbage) until the capture has it."""
    deadline = time.monotonic() + WAIT
    while True:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as probe:
            probe.sendall(marker)
            for _ in range(20):
                if marker in out.read_bytes():
                    return
                time.sleep(0.05)
        assert time.monotonic() < deadline, "tcpdump captured nothing"


def _captured_login(site: Site, out: Path) -> bytes:  # noqa: F811
    make_service(site, "Паспорти", ["olena"])
    with _tcpdump(site.broker.device_port, out):
        panel = site.device("panel-1", "panel")
        assert login(panel, "olena").ok
        panel.close()
    data = out.read_bytes()
    assert len(data) > 2000, "the capture holds the panel's traffic"
    return data


@sqlite
def test_an_operators_password_never_crosses_the_network_in_clear(
    site: Site,  # noqa: F811
    tmp_path: Path,
) -> None:
    data = _captured_login(site, tmp_path / "tls.pcap")
    assert PASSWORD.encode() not in data
    assert b"olena" not in data and b"panel-1" not in data.replace(b"panel-1.", b"")
    assert b"cherga/v1" not in data  # not even the topics


@pytest.fixture
def plain(hub: Hub) -> None:
    """The broker's plain-TCP mode (``mqtt_tls = false``), before ``site`` starts it."""
    hub.settings = hub.settings.model_copy(update={"mqtt_tls": False})


@sqlite
def test_the_capture_does_see_a_password_sent_in_clear(
    plain: None,
    site: Site,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The control for the test above: the same capture of the plain mode shows it."""
    assert site.tls("panel-1") is None
    data = _captured_login(site, tmp_path / "plain.pcap")
    assert PASSWORD.encode() in data


@sqlite
def test_a_device_config_keeps_pem_blocks_readable_and_round_trips(site: Site) -> None:  # noqa: F811
    from firmware_config.device_config import to_toml

    config = site.credentials["kiosk-1"]
    text = to_toml(
        parse_config(
            {
                "device_id": "kiosk-1",
                "role": "kiosk",
                "site": "main",
                "name": "Кіоск",
                "mqtt": config.mqtt_config(),
            }
        )
    )
    assert "-----BEGIN CERTIFICATE-----\nMII" in text and "-----BEGIN PRIVATE KEY-----\n" in text
    again = parse_config(tomllib.loads(text))
    assert again.mqtt.client_options()["tls"] == config.client_tls()
    # A CA that is not one, or a key that is not the certificate's, is refused at reading.
    data = tomllib.loads(text)
    data["mqtt"]["tls"]["key"] = office_authority(site.hub.settings).issue_client("x").key_pem
    with pytest.raises(Exception, match="do not match"):
        parse_config(data)
    data["mqtt"]["tls"]["ca"] = "-----BEGIN CERTIFICATE-----\n" + "A" * 80 + "\n"
    with pytest.raises(Exception, match="not a valid PEM"):
        parse_config(data)


def test_a_devices_context_trusts_its_office_alone(tmp_path: Path) -> None:
    """No system store (a public certificate for the same name must not pass), the broker's
    name checked, TLS 1.2 at least."""
    authority = Authority.open(tmp_path / "office")
    context = client_context(ClientTls(ca_pem=authority.ca_pem))
    assert [ca["subject"] for ca in context.get_ca_certs()] == [
        (
            (("organizationName", "Cherga"),),
            (
                (
                    "commonName",
                    authority.cert.subject.rfc4514_string().split("CN=")[1].split(",")[0],
                ),
            ),
        )
    ]
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    with pytest.raises(ValueError, match="not a valid PEM"):
        client_context(ClientTls(ca_pem="-----BEGIN CERTIFICATE-----\nAAAA\n"))


def _documented_broker_conf() -> str:
    """The Mosquitto block of docs/mqtt_tls.md for an external broker."""
    text = (Path(__file__).parents[1] / "docs" / "mqtt_tls.md").read_text(encoding="utf-8")
    block = text.split("```conf\n", 1)[1].split("```", 1)[0]
    assert "use_identity_as_username true" in block
    return block


@sqlite
def test_an_external_broker_set_up_as_documented_serves_over_tls(hub: Hub) -> None:
    from hub.bootstrap import prepare_database
    from hub.broker.embedded import broker_folder, hub_password
    from hub.broker.mosquitto import CONF_NAME, spawn, stop_process
    from hub.broker.urls import parse_mqtt_url
    from hub.coordinator.service import Coordinator
    from hub.protocol.messages import IssueTicket
    from tests.mqtt import open_for_broker
    from tests.pg import free_port
    from tests.test_coordinator import register

    folder = broker_folder(hub.settings)
    open_for_broker(folder)
    devices_port, hub_port = free_port(), free_port()
    url = f"mqtts://cherga-hub:{hub_password(folder)}@127.0.0.1:{hub_port}"
    hub.settings = hub.settings.model_copy(update={"mqtt_url": url, "mqtt_port": devices_port})
    prepare_database(hub)
    credentials = register(hub, [("kiosk", "kiosk-1", {})])
    assert credentials["kiosk-1"].tls, "an mqtts:// broker means TLS for the devices too"
    assert sync_broker(hub.settings, hub.sessions) is False  # files written, nothing to signal
    conf = (
        _documented_broker_conf()
        .replace("/var/lib/cherga/data/mqtt", str(folder.resolve()))
        .replace("listener 8883", f"listener {devices_port} 127.0.0.1")
        .replace("listener 8885", f"listener {hub_port} 127.0.0.1")
    )
    (folder / CONF_NAME).write_text(conf + "log_dest stderr\n", encoding="utf-8")
    process = spawn(folder, "127.0.0.1", devices_port, hub_port=hub_port)
    coordinator = Coordinator(hub, parse_mqtt_url(url))
    kiosk = None
    try:
        assert coordinator.start(wait=WAIT), "the hub did not connect over mqtts://"
        service = make_service(cast_site(hub), "Паспорти", [])
        kiosk = DeviceClient(
            site="main",
            device="kiosk-1",
            role="kiosk",
            **credentials["kiosk-1"].mqtt_config().client_options(),
        )
        assert kiosk.start(wait=WAIT)
        reply = ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply)
        assert reply.ok
    finally:
        if kiosk is not None:
            kiosk.close()
        coordinator.stop()
        stop_process(process)


def cast_site(hub: Hub) -> Site:
    """A stand-in Site for make_service, which needs only the hub."""
    from types import SimpleNamespace
    from typing import cast

    return cast(Site, SimpleNamespace(hub=hub))


def test_a_private_key_never_reaches_the_log(tmp_path: Path) -> None:
    import logging

    from hub.logs import RedactingFormatter

    key = Authority.open(tmp_path / "office").issue_client("kiosk-1").key_pem
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "config: %s", (key,), None)
    line = RedactingFormatter("%(message)s").format(record)
    body = key.splitlines()[1]
    assert body not in line and "PRIVATE KEY----- *** (redacted)" in line
