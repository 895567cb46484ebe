"""The phone agent's SIP over TLS (and TCP) against a real peer on 127.0.0.1: Kamailio 5.6 with
its tls module (Debian ``kamailio-tls-modules``) as registrar and proxy, its certificate issued
by the hub's own CA (hub.tls.authority), SIPp calling through it over UDP.

Registration and an incoming call over TLS; the agent refusing a PBX its CA did not sign, or
one whose certificate names another host, as a fault in its device state; a client certificate
for a PBX that asks for one; a tap between agent and PBX that sees no SIP in clear over TLS (and
sees it over TCP); reconnection when the PBX drops the connection; a port reused at once after a
stop; and what a caller offering only SRTP (RTP/SAVP) gets. Before those, without peers: the TLS
settings' one-line errors and the example in docs/phone_agent.md.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from firmware_config.device_config import DeviceConfig, MqttConfig, parse_config, write_config
from hub.tls.authority import Authority
from operator_panel.phone import cli
from operator_panel.phone.agent import PhoneAgent
from operator_panel.phone.settings import PhoneSettingsError, parse_settings
from operator_panel.phone.sip import EndReason, SipCall
from operator_panel.phone.voip import VoipPhone
from tests import sip_peers
from tests import test_phone_agent as agent_tests
from tests.mqtt import Broker
from tests.sip_peers import HOST, Registrar, free_port, run_sipp
from tests.test_phone_agent import (
    DEVICE,
    DEVICE_PASSWORD,
    NUMBER,
    SECRET,
    WAIT,
    HubSide,
    finished,
    loud_frames,
)

pytestmark = pytest.mark.timeout(60)
# The agent tests' Mosquitto (with the devices' ACL) and the hub's side of it.
broker, hub = agent_tests.broker, agent_tests.hub

TLS_CFG = """[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = {cert}
private_key = {key}

[server:{host}:{mtls_port}]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
certificate = {cert}
private_key = {key}
ca_list = {ca}

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
"""


@dataclass
class Pbx:
    """Kamailio listening on UDP (``registrar.port``), TCP, TLS and TLS with client certificates."""

    registrar: Registrar
    ca: Authority
    tcp_port: int
    tls_port: int
    mtls_port: int


def _stream_port(avoid: range = range(0)) -> int:
    return free_port(socket.SOCK_STREAM, avoid=avoid)


def _with_tls(cfg: str, folder: Path, tcp_port: int, tls_port: int, mtls_port: int) -> str:
    """sip_peers' Kamailio config with TCP and TLS listeners and the tls module loaded."""
    listen = "listen=udp:{host}:{port}\n"
    extra = "".join(
        f"listen={proto}:{HOST}:{port}\nalias={HOST}:{port}\n"
        for proto, port in (("tcp", tcp_port), ("tls", tls_port), ("tls", mtls_port))
    )
    module = f'loadmodule "tls.so"\nmodparam("tls", "config", "{folder / "tls.cfg"}")\n'
    assert "disable_tcp=yes\n" in cfg and listen in cfg and 'loadmodule "kex.so"\n' in cfg
    cfg = cfg.replace("disable_tcp=yes\n", "enable_tls=yes\n").replace(listen, listen + extra)
    return cfg.replace('loadmodule "kex.so"\n', 'loadmodule "kex.so"\n' + module)


@pytest.fixture
def pbx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pbx]:
    """A TLS Kamailio whose certificate (for 127.0.0.1) the office CA issued."""
    if not Path("/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so").exists():
        pytest.skip("Kamailio's tls module is missing: apt-get install kamailio-tls-modules")
    folder = tmp_path / "kamailio"
    folder.mkdir()
    ca = Authority.open(tmp_path / "office-ca")
    issued = ca.issue_server([HOST])
    (folder / "pbx.crt").write_text(issued.cert_pem)
    (folder / "pbx.key").write_text(issued.key_pem)
    ports = _stream_port(), _stream_port(), _stream_port()
    (folder / "tls.cfg").write_text(
        TLS_CFG.format(
            cert=folder / "pbx.crt", key=folder / "pbx.key", ca=ca.ca_file, host=HOST,
            mtls_port=ports[2],
        )
    )  # fmt: skip
    # Registrar.start() formats this module constant: the TLS one for this test only.
    monkeypatch.setattr(
        sip_peers, "KAMAILIO_CFG", _with_tls(sip_peers.KAMAILIO_CFG, folder, *ports)
    )
    with sip_peers.registrar(folder, {NUMBER: SECRET, "2001": "peer"}) as registrar:
        yield Pbx(registrar, ca, *ports)


def sip_settings(port: int, **extra: Any) -> dict[str, Any]:
    """``[settings.sip]`` for an agent registering as NUMBER at 127.0.0.1:``port``."""
    low = sip_peers.free_port_pair()
    return {
        "server": HOST, "port": port, "user": NUMBER, "password": SECRET, "local_ip": HOST,
        "local_port": _stream_port(range(low, low + 41)), "rtp_port_low": low,
        "rtp_port_high": low + 40,
        "reregister_s": 30, "lines": 5, **extra,
    }  # fmt: skip


def tls_agent(broker: Broker, folder: Path, sip: dict[str, Any]) -> PhoneAgent:
    """A phone agent with these SIP settings, validated as a device config file is."""
    config = parse_config(
        {
            "device_id": DEVICE, "role": "phone", "site": "main", "name": "Operator 1 phone",
            "mqtt": {"host": broker.host, "port": broker.port, "username": DEVICE,
                     "password": DEVICE_PASSWORD},
            "settings": {
                "sip": {**sip, "recordings": str(folder / "recordings")},
                "ring_timeout_s": 30, "status_interval_s": 0.2,
            },
        }
    )  # fmt: skip
    settings = parse_settings(config.settings)
    assert settings.sip is not None
    sip_phone = VoipPhone(settings.sip)
    return PhoneAgent(config, settings, sip_phone, recordings=folder / "recordings")


@pytest.fixture
def tls_phone(broker: Broker, hub: HubSide, pbx: Pbx, tmp_path: Path) -> Iterator[PhoneAgent]:
    """An agent registered over TLS, the PBX checked against the office CA (a file)."""
    sip = sip_settings(pbx.tls_port, transport="tls", tls_ca=str(pbx.ca.ca_file))
    agent = tls_agent(broker, tmp_path, sip)
    assert agent.start(wait=WAIT)
    try:
        hub.wait_state(lambda s: bool(s.get("phone", {}).get("registered")))
        yield agent
    finally:
        agent.stop()


def faults(state: dict[str, Any]) -> dict[str, str]:
    """The device state's faults, by code."""
    return {f["code"]: f["message"] for f in state.get("faults", [])}


# ---- a SIP line without MQTT -----------------------------------------------------------------


class Quiet:
    """A SipListener that only remembers the registration."""

    def __init__(self) -> None:
        self.registered = threading.Event()

    def incoming(self, call: SipCall) -> None:
        call.reject()

    def answered(self, call: SipCall) -> None:
        pass

    def ended(self, call: SipCall, reason: EndReason) -> None:
        pass

    def dtmf(self, call: SipCall, digit: str) -> None:
        pass

    def registration(self, registered: bool) -> None:
        if registered:
            self.registered.set()


def until(check: Callable[[], Any], timeout: float = WAIT) -> Any:
    """``check()`` once it is truthy, polled until the deadline (then its last value)."""
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


@pytest.fixture
def line() -> Iterator[Callable[[dict[str, Any]], VoipPhone]]:
    """Start SIP lines from ``[settings.sip]`` tables; every one is stopped at the end."""
    started: list[VoipPhone] = []

    def start(sip: dict[str, Any]) -> VoipPhone:
        settings = parse_settings({"sip": sip}).sip
        assert settings is not None
        phone = VoipPhone(settings)
        started.append(phone)
        phone.start(Quiet())
        return phone

    yield start
    for phone in started:
        phone.stop()


# ---- the settings -----------------------------------------------------------------------------


def test_udp_stays_the_default_and_tls_takes_its_own_port(tmp_path: Path) -> None:
    base = {"server": "pbx.local", "user": NUMBER, "password": SECRET}
    udp = parse_settings({"sip": base}).sip
    assert udp is not None and (udp.transport, udp.server_port, udp.tls_context()) == (
        "udp", 5060, None,
    )  # fmt: skip
    tls = parse_settings({"sip": {**base, "transport": "tls", "proxy": "sbc.local"}}).sip
    assert tls is not None and (tls.server_port, tls.outbound_port) == (5061, 5061)
    context = tls.tls_context()  # the system's CAs, names checked
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname and context.get_ca_certs() is not None


KEY_TEXT = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n"


@pytest.mark.parametrize(
    ("extra", "where", "why"),
    [
        ({"transport": "sctp"}, "transport", "'udp', 'tcp' or 'tls'"),
        ({"tls_ca": "/etc/hostname"}, "tls_ca", 'only used with transport = "tls"'),
        ({"transport": "tls", "tls_ca": "ca.pem"}, "tls_ca", "absolute file path"),
        ({"transport": "tls", "tls_ca": "/no/such.pem"}, "tls_ca", "not a readable file"),
        ({"transport": "tls", "tls_ca": "/etc/hostname"}, "tls_ca", "not a valid PEM certificate"),
        ({"transport": "tls", "tls_verify_name": False}, "tls_verify_name", "only with tls_ca"),
        ({"transport": "tls", "tls_server_name": "a b"}, "tls_server_name", "not a host name"),
        ({"transport": "tls", "tls_key": KEY_TEXT}, "tls_key", "needs tls_cert"),
        ({"transport": "tcp", "tls_key": KEY_TEXT}, "tls_key", 'only used with transport = "tls"'),
        ({"media_encryption": "srtp"}, "media_encryption", "SRTP is not available"),
        ({"media_encryption": "zrtp"}, "media_encryption", "'none' or 'srtp'"),
    ],
)
def test_a_wrong_tls_setting_is_named_in_one_line(
    extra: dict[str, Any], where: str, why: str
) -> None:
    base = {"server": "pbx.local", "user": NUMBER, "password": SECRET}
    with pytest.raises(PhoneSettingsError) as caught:
        parse_settings({"sip": {**base, **extra}})
    message = str(caught.value)
    assert f"settings.sip.{where}: " in message and why in message, message
    assert "\n" not in message and "TOP-SECRET" not in message and SECRET not in message


def test_validate_config_checks_the_tls_files_and_never_shows_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = Authority.open(tmp_path / "ca")
    own = ca.issue_client(DEVICE)
    stranger = Authority.open(tmp_path / "stranger").issue_client(DEVICE)

    def config(**tls: Any) -> Path:
        path = tmp_path / "phone.toml"
        sip = {"server": "pbx.local", "user": NUMBER, "password": SECRET, "transport": "tls"}
        write_config(
            DeviceConfig(
                device_id=DEVICE, role="phone", site="main", name="Phone",
                mqtt=MqttConfig(host=HOST, username=DEVICE, password=DEVICE_PASSWORD),  # type: ignore[arg-type]
                settings={"sip": {**sip, **tls}},
            ),
            path,
        )  # fmt: skip
        return path

    good = config(tls_ca=str(ca.ca_file), tls_cert=own.cert_pem, tls_key=own.key_pem)
    assert cli.main(["--config", str(good), "--validate-config"]) == 0, capsys.readouterr().err
    assert "valid phone configuration" in capsys.readouterr().out
    # A key that is not the certificate's: refused, naming the key, never printing it.
    bad = config(tls_ca=ca.ca_pem, tls_cert=own.cert_pem, tls_key=stranger.key_pem)
    assert cli.main(["--config", str(bad), "--validate-config"]) == 2
    err = capsys.readouterr().err
    assert "settings.sip.tls_key: " in err and "do not match" in err, err
    body = stranger.key_pem.splitlines()[1]
    assert body not in err and SECRET not in err


def test_the_documented_tls_example_is_valid(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "phone_agent.md").read_text()
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", doc, re.S) if "tls_ca = " in b]
    ca = Authority.open(tmp_path / "ca")
    text = block.replace("/etc/cherga/pbx-ca.crt", str(ca.ca_file))
    sip = parse_settings(tomllib.loads(text)["settings"]).sip
    assert sip is not None and (sip.transport, sip.server_port) == ("tls", 5061)
    assert sip.tls_ca == str(ca.ca_file) and sip.tls_verify_name and sip.tls_context()


# ---- registration and calls over TLS -----------------------------------------------------------


def test_registers_over_tls_and_an_incoming_call_rings_is_answered_and_ends(
    tls_phone: PhoneAgent, hub: HubSide, pbx: Pbx, tmp_path: Path
) -> None:
    assert faults(hub.latest) == {}
    # 3 s of tone: the recording starts after two round trips a busy machine can stretch.
    wav = sip_peers.tone_wav(tmp_path / "tone.wav", seconds=3)
    scenario = sip_peers.caller_scenario(talk_ms=3000, wav=wav, dtmf="", hangup=True)
    # SIPp reaches Kamailio over UDP; Kamailio hands the INVITE to the agent over its TLS link.
    sipp = run_sipp(tmp_path / "caller", scenario, proxy_port=pbx.registrar.port, service=NUMBER)
    ringing = hub.next_call("ringing")
    assert (ringing.direction, ringing.remote) == ("in", "2001")
    hub.send(type="answer", call_id=ringing.call_id)
    hub.next_call("answered")
    hub.send(type="record_start", call_id=ringing.call_id)
    ended = hub.next_call("ended", timeout=15)
    finished(sipp)
    assert (ended.call_id, ended.reason) == (ringing.call_id, "remote_hangup")
    assert ended.recording is not None
    assert loud_frames(tls_phone.media.recordings / ended.recording) >= 25, "no audio came in"
    # The audio itself is plain RTP: the agent's answer offers RTP/AVP and no SRTP key.
    log = (tmp_path / "caller" / "messages.log").read_text(errors="replace")
    answer = log[log.index("SIP/2.0 200 OK") :]
    assert "m=audio" in answer and "RTP/AVP" in answer and "a=crypto" not in answer
    # The INVITE reached the agent over its TLS connection: it has no other SIP socket.
    assert re.search(rf"Contact: <sip:{NUMBER}@{HOST}:\d+;transport=TLS>", answer, re.I)
    assert tls_phone.sip is not None
    connection = getattr(tls_phone.sip, "_lib").sip.connection  # noqa: B009
    assert isinstance(connection.socket, ssl.SSLSocket)
    hub.wait_state(lambda s: s["phone"]["busy"] == 0)


def test_a_pbx_another_ca_signed_is_refused_and_reported(
    broker: Broker, hub: HubSide, pbx: Pbx, tmp_path: Path
) -> None:
    stranger = Authority.open(tmp_path / "another-ca")
    sip = sip_settings(pbx.tls_port, transport="tls", tls_ca=stranger.ca_pem)  # PEM inline
    agent = tls_agent(broker, tmp_path, sip)
    line = agent.sip
    assert isinstance(line, VoipPhone)
    assert agent.start(wait=WAIT)
    try:
        hub.wait_state(lambda s: "sip_tls_failed" in faults(s))
        message = faults(hub.latest)["sip_tls_failed"]
        assert f"{HOST}:{pbx.tls_port} (tls)" in message, message
        assert "unable to get local issuer certificate" in message, message
        assert hub.latest["state"] == "online" and hub.latest["phone"]["registered"] is False
        # It keeps trying, with backoff: refused every time, alive, the fault still there.
        assert until(lambda: line.restarts >= 3), line.restarts
        assert not line.registered and "sip_tls_failed" in faults(hub.latest)
    finally:
        started = time.monotonic()
        agent.stop()
        assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("extra", "outcome"),
    [
        ({}, "registered"),
        ({"tls_server_name": "pbx.example"}, "mismatch"),  # the certificate names 127.0.0.1 only
        ({"tls_server_name": "pbx.example", "tls_verify_name": False}, "registered"),
    ],
)
def test_the_server_name_is_checked_unless_turned_off(
    line: Callable[[dict[str, Any]], VoipPhone], pbx: Pbx, extra: dict[str, Any], outcome: str
) -> None:
    phone = line(sip_settings(pbx.tls_port, transport="tls", tls_ca=str(pbx.ca.ca_file), **extra))
    if outcome == "registered":
        assert until(lambda: phone.registered), phone.fault
        assert phone.fault is None
    else:
        fault = until(lambda: phone.fault)
        assert fault is not None and fault.code == "sip_tls_failed"
        assert "mismatch" in fault.message, fault.message
        assert not phone.registered


def test_a_client_certificate_for_a_pbx_that_asks_for_one(
    line: Callable[[dict[str, Any]], VoipPhone], pbx: Pbx, tmp_path: Path
) -> None:
    own = pbx.ca.issue_client(DEVICE)
    key_file = tmp_path / "phone.key"
    key_file.write_text(own.key_pem)
    key_file.chmod(0o600)
    with_cert = line(
        sip_settings(
            pbx.mtls_port, transport="tls", tls_ca=pbx.ca.ca_pem, tls_cert=own.cert_pem,
            tls_key=str(key_file),
        )
    )  # fmt: skip
    without = line(sip_settings(pbx.mtls_port, transport="tls", tls_ca=pbx.ca.ca_pem))
    assert until(lambda: with_cert.registered), with_cert.fault
    fault = until(lambda: without.fault)
    assert fault is not None and not without.registered
    assert fault.code == "sip_tls_failed" and "client certificate" in fault.message, fault


# ---- what a tap between agent and PBX sees ----------------------------------------------------


@dataclass
class Tap:
    """A TCP relay between the agent and the PBX that keeps every byte the agent sends."""

    target: int
    sent: bytearray = field(default_factory=bytearray)
    server: socket.socket = field(init=False)
    _threads: list[threading.Thread] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.server = socket.create_server((HOST, 0))
        self.server.settimeout(0.2)
        self._spawn(self._accept)

    @property
    def port(self) -> int:
        return int(self.server.getsockname()[1])

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                agent, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection((HOST, self.target))
            self._sockets += [agent, upstream]
            self._spawn(self._pump, agent, upstream, True)
            self._spawn(self._pump, upstream, agent, False)

    def _pump(self, source: socket.socket, sink: socket.socket, record: bool) -> None:
        try:
            while data := source.recv(65536):
                if record:
                    self.sent += data
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        for sock in [self.server, *self._sockets]:
            sock.close()
        for thread in self._threads:
            thread.join(2)


@pytest.mark.parametrize("transport", ["tls", "tcp"])
def test_a_tap_sees_no_sip_over_tls_and_all_of_it_over_tcp(
    line: Callable[[dict[str, Any]], VoipPhone], pbx: Pbx, transport: str
) -> None:
    tap = Tap(pbx.tls_port if transport == "tls" else pbx.tcp_port)
    try:
        extra = {"tls_ca": str(pbx.ca.ca_file)} if transport == "tls" else {}
        phone = line(sip_settings(tap.port, transport=transport, **extra))
        assert until(lambda: phone.registered), phone.fault
        seen = bytes(tap.sent)
        assert len(seen) > 500  # the two REGISTERs went through the tap
        clear = [b"REGISTER", b"SIP/2.0", b"Authorization", b"Digest", b"username=", b"Via:"]
        found = [word for word in clear if word in seen]
        if transport == "tls":
            assert found == [], f"in clear over TLS: {found}"
            assert seen[:1] == b"\x16"  # a TLS handshake record
        else:  # the control: the same registration over plain TCP
            assert found == clear
            assert re.search(rb'Authorization: Digest username="' + NUMBER.encode(), seen)
    finally:
        tap.close()


# ---- the connection and its port -------------------------------------------------------------


def test_the_pbx_dropping_the_connection_is_noticed_and_the_agent_connects_again(
    tls_phone: PhoneAgent, hub: HubSide, pbx: Pbx, tmp_path: Path
) -> None:
    """Kamailio restarts (its location table is lost): the agent sees its TLS connection close
    and registers again at once, not at the next re-REGISTER (30 s here)."""
    pbx.registrar.stop()
    hub.wait_state(lambda s: s.get("phone", {}).get("registered") is False)
    pbx.registrar.start()  # the same ports, an empty location table
    hub.wait_state(lambda s: bool(s.get("phone", {}).get("registered")), timeout=12)
    assert faults(hub.latest) == {}
    sipp = run_sipp(
        tmp_path / "after", sip_peers.cancel_scenario(ring_ms=500),
        proxy_port=pbx.registrar.port, service=NUMBER,
    )  # fmt: skip
    hub.next_call("ringing")
    finished(sipp)
    assert hub.next_call("missed").reason == "cancelled"


@pytest.mark.parametrize("transport", ["tls", "tcp"])
def test_a_stopped_line_registers_again_from_the_same_port_at_once(
    line: Callable[[dict[str, Any]], VoipPhone], pbx: Pbx, transport: str
) -> None:
    """rfcvoip binds its connection to the fixed local SIP port: without the fix the port sat in
    TIME_WAIT after a stop and every new connection failed for a minute."""
    extra = {"tls_ca": str(pbx.ca.ca_file)} if transport == "tls" else {}
    port = pbx.tls_port if transport == "tls" else pbx.tcp_port
    sip = sip_settings(port, transport=transport, **extra)
    first = line(sip)
    assert until(lambda: first.registered), first.fault
    first.stop()
    again = line(sip)
    assert until(lambda: again.registered, timeout=5), again.fault


# ---- SRTP --------------------------------------------------------------------------------------


def test_a_caller_offering_only_srtp_gets_488_and_never_rings(
    tls_phone: PhoneAgent, hub: HubSide, pbx: Pbx, tmp_path: Path
) -> None:
    """rfcvoip has no SRTP: an offer of RTP/SAVP alone is refused with 488 Not Acceptable Here
    before it rings, so the hub hears nothing of it (not even a missed call)."""
    scenario = sip_peers.rejected_scenario()
    offers = "m=audio [media_port] RTP/AVP 0 101\n"
    recvs = re.search(r'  <recv response="486".*?<recv response="487"/>\n', scenario, re.S)
    assert offers in scenario and recvs is not None
    key = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\n"
    scenario = scenario.replace(offers, "m=audio [media_port] RTP/SAVP 0 101\n      " + key)
    scenario = scenario.replace(recvs.group(0), '  <recv response="488"/>\n')
    sipp = run_sipp(tmp_path / "srtp", scenario, proxy_port=pbx.registrar.port, service=NUMBER)
    finished(sipp)
    # A plain call after it: its report is the first one, so the SRTP call was never reported.
    after = run_sipp(
        tmp_path / "after", sip_peers.cancel_scenario(ring_ms=500),
        proxy_port=pbx.registrar.port, service=NUMBER,
    )  # fmt: skip
    first = hub.calls.get(timeout=WAIT)
    assert first.state == "ringing" and first.call_id.endswith(f"-{after.process.pid}@{HOST}")
    finished(after)
    assert hub.next_call("missed").call_id == first.call_id
    assert tls_phone.sip is not None and tls_phone.sip.registered
