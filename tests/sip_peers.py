"""Real SIP peers for tests, on 127.0.0.1 random free ports, each killed by its PID.

* ``Registrar``: Kamailio 5.6 (Debian ``kamailio``) as registrar and proxy, in-memory location,
  digest authentication of REGISTER against a fixed set of users, no database.
* ``Sipp``: SIPp 3.6 (Debian ``sip-tester``) as the other party: a caller that plays audio and
  RFC 2833 DTMF, a caller that cancels while ringing, a callee that answers at once.

Skip, naming the package, when a binary is missing (``need``).
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HOST = "127.0.0.1"
PACKAGES = {"kamailio": "kamailio", "sipp": "sip-tester", "baresip": "baresip"}
DTMF_PCAPS = Path("/usr/share/sip-tester")


def need(binary: str) -> str:
    """The binary's path, or skip the test naming the Debian package that provides it."""
    found = shutil.which(binary) or (f"/usr/sbin/{binary}" if binary == "kamailio" else None)
    if found is None or not os.path.exists(found):
        pytest.skip(f"{binary} is not installed: apt-get install {PACKAGES[binary]}")
    return found


def free_port(kind: int = socket.SOCK_DGRAM, *, avoid: range = range(0)) -> int:
    """A port free for UDP (and TCP) on loopback right now, outside ``avoid`` (an RTP range
    the agent will refuse to share with its SIP port)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port
    raise RuntimeError(f"no free port outside {avoid}")


def free_port_pair() -> int:
    """An even port p with p and p+1 free (RTP and RTCP)."""
    for _ in range(200):
        port = free_port()
        if port % 2:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind((HOST, port + 1))
        except OSError:
            continue
        return port
    raise RuntimeError("no free RTP port pair")


def kill(process: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """SIGTERM the process, SIGKILL it if it lingers; always reaps it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


KAMAILIO_CFG = """#!KAMAILIO
debug=1
log_stderror=yes
fork=no
children=2
disable_tcp=yes
auto_aliases=no
listen=udp:{host}:{port}
alias={host}:{port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "auth.so"
loadmodule "nathelper.so"
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "min_expires", 1)
modparam("rr", "enable_full_lr", 1)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (!sanity_check("1511", "7")) {{ xlog("L_WARN", "malformed SIP from $si:$sp\\n"); exit; }}
    force_rport();
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (has_totag()) {{
        if (loose_route() || !is_myself("$ru")) {{ t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    t_check_trans();
    remove_hf("Route");
    if (is_method("REGISTER")) {{
        $var(pw) = "";
{passwords}
        if ($var(pw) == "" || !pv_www_authenticate("$td", "$var(pw)", "0")) {{
            www_challenge("$td", "0");
            exit;
        }}
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    if (is_method("INVITE|SUBSCRIBE")) {{ record_route(); }}
    # The libraries leave the port off URIs of the server: a port-less loopback URI is ours.
    if (is_myself("$ru") || ($rd == "{host}" && ($rp == 5060 || $rp == {port}))) {{
        if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    }}
    t_relay();
}}
"""


@dataclass
class Registrar:
    """A running Kamailio registrar/proxy."""

    folder: Path
    users: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / "kamailio.log"

    def start(self) -> None:
        """Start (or start again on the same port, with an empty location table)."""
        binary = need("kamailio")
        self.folder.mkdir(parents=True, exist_ok=True)
        passwords = "\n".join(
            f'        if ($au == "{user}") {{ $var(pw) = "{pw}"; }}'
            for user, pw in self.users.items()
        )
        cfg = self.folder / "kamailio.cfg"
        cfg.write_text(KAMAILIO_CFG.format(host=HOST, port=self.port, passwords=passwords))
        out = self.log.open("ab")
        self.process = subprocess.Popen(
            [binary, "-DD", "-E", "-f", str(cfg), "-Y", str(self.folder), "-P",
             str(self.folder / "kamailio.pid"), "-m", "32", "-M", "4"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        out.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kamailio died: {self.log.read_text()[-2000:]}")
            if self._answers():
                return
            time.sleep(0.05)
        raise RuntimeError(f"kamailio did not start: {self.log.read_text()[-2000:]}")

    def _answers(self) -> bool:
        """True when an OPTIONS gets any answer."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((HOST, 0))
            sock.settimeout(0.2)
            me = sock.getsockname()[1]
            probe = (
                f"OPTIONS sip:{HOST}:{self.port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {HOST}:{me};branch=z9hG4bK{time.monotonic_ns()}\r\n"
                f"From: <sip:probe@{HOST}>;tag=1\r\nTo: <sip:{HOST}:{self.port}>\r\n"
                f"Call-ID: probe{time.monotonic_ns()}\r\nCSeq: 1 OPTIONS\r\n"
                "Max-Forwards: 5\r\nContent-Length: 0\r\n\r\n"
            )
            sock.sendto(probe.encode(), (HOST, self.port))
            try:
                sock.recv(4096)
            except OSError:
                return False
            return True

    def stop(self) -> None:
        """Kill it (the location table is lost: agents must register again)."""
        if self.process is not None:
            kill(self.process)
            self.process = None


@contextmanager
def registrar(folder: Path, users: dict[str, str]) -> Iterator[Registrar]:
    """A Kamailio registrar for the ``users`` (name to password), stopped on the way out."""
    server = Registrar(folder, users)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---- SIPp ------------------------------------------------------------------------------

_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="{name}">
"""
_INVITE = """  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[local_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=sendrecv
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
"""
_ACK = """  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
"""
_BYE = """  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200" crlf="true"/>
"""
_WAIT_BYE = """  <recv request="ACK" optional="true"/>
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
"""


def caller_scenario(*, talk_ms: int, wav: Path | None, dtmf: str, hangup: bool) -> str:
    """A caller: INVITE, answered (any delay), audio and DTMF, then BYE or wait for BYE."""
    parts = [_HEAD.format(name="caller"), _INVITE]
    parts.append('  <recv response="200" rrs="true" rtd="true"/>\n')
    parts.append(_ACK)
    if wav is not None:
        parts.append(f'  <nop><action><exec rtp_stream="{wav},1,0"/></action></nop>\n')
    parts.append('  <pause milliseconds="300"/>\n')
    for digit in dtmf:
        name = {"*": "star", "#": "pound"}.get(digit, digit)
        parts.append(
            f'  <nop><action><exec play_pcap_audio="{DTMF_PCAPS}/dtmf_2833_{name}.pcap"/>'
            '</action></nop>\n  <pause milliseconds="400"/>\n'
        )
    parts.append(f'  <pause milliseconds="{talk_ms}"/>\n')
    parts.append(_BYE if hangup else _WAIT_BYE)
    parts.append("</scenario>\n")
    return "".join(parts)


def cancel_scenario(*, ring_ms: int) -> str:
    """A caller that gives up while it rings: INVITE, 180, CANCEL, 200 + 487, ACK."""
    cancel = f"""  <pause milliseconds="{ring_ms}"/>
  <send><![CDATA[
      CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-4]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200"/>
  <recv response="487"/>
  <send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-7]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
"""
    head = _INVITE.replace(
        '  <recv response="180" optional="true"/>\n  <recv response="183" optional="true"/>\n',
        '  <recv response="180"/>\n',
    )
    return _HEAD.format(name="cancel") + head + cancel + "</scenario>\n"


def rejected_scenario() -> str:
    """A caller that expects a final failure (busy, unavailable...) and ACKs it."""
    return (
        _HEAD.format(name="rejected")
        + _INVITE
        + """  <recv response="486" optional="true" next="ack"/>
  <recv response="480" optional="true" next="ack"/>
  <recv response="603" optional="true" next="ack"/>
  <recv response="487"/>
  <label id="ack"/>
  <send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-8]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
</scenario>
"""
    )


def callee_scenario(*, talk_ms: int) -> str:
    """A callee: answers an INVITE at once, then hangs up after ``talk_ms`` (0: waits for BYE)."""
    answer = """  <recv request="INVITE" crlf="true" rrs="true"/>
  <send><![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]C[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:callee@[local_ip]:[local_port]>
      Content-Length: 0
  ]]></send>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]C[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:callee@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
  ]]></send>
  <recv request="ACK" crlf="true"/>
"""
    if talk_ms <= 0:
        return _HEAD.format(name="callee") + answer + _WAIT_BYE + "</scenario>\n"
    bye = f"""  <pause milliseconds="{talk_ms}"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [last_From:]
      [last_To:]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:callee@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200"/>
"""
    return _HEAD.format(name="callee") + answer + bye + "</scenario>\n"


def tone_wav(path: Path, *, seconds: float = 1.0, hz: float = 440.0) -> Path:
    """A mu-law 8 kHz mono WAV of a sine tone (what SIPp's rtp_stream plays as PCMU)."""
    import audioop  # deprecated in 3.13, fine for a test helper on 3.11

    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / 8000)))
        for i in range(int(8000 * seconds))
    )
    ulaw = audioop.lin2ulaw(frames, 2)
    with path.open("wb") as out:
        # A WAVE_FORMAT_MULAW header (wave cannot write one), then the data.
        fmt = struct.pack("<HHIIHH", 7, 1, 8000, 8000, 1, 8)
        out.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(ulaw)) + b"WAVE")
        out.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
        out.write(b"data" + struct.pack("<I", len(ulaw)) + ulaw)
    return path


@dataclass
class Sipp:
    """One SIPp process running one scenario."""

    process: subprocess.Popen[bytes]
    folder: Path
    port: int
    media_port: int

    def wait(self, timeout: float) -> int:
        """Wait for SIPp to finish; its exit status (0: every call succeeded)."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            kill(self.process)
            return -1

    def output(self) -> str:
        logs = sorted(self.folder.glob("*"))
        return "\n".join(p.name + ":\n" + p.read_text(errors="replace")[-3000:] for p in logs)

    def stop(self) -> None:
        kill(self.process)


def run_sipp(
    folder: Path,
    scenario: str,
    *,
    proxy_port: int | None,
    service: str = "",
    caller: str = "2001",
    calls: int = 1,
    rate: int = 1,
    timeout_s: float = 30.0,
    listen_port: int | None = None,
    extra: list[str] | None = None,
) -> Sipp:
    """Start SIPp with ``scenario`` (XML text); a caller sends to the proxy's port."""
    binary = need("sipp")
    folder.mkdir(parents=True, exist_ok=True)
    xml = folder / "scenario.xml"
    xml.write_text(scenario)
    inf = folder / "fields.csv"
    inf.write_text(f"SEQUENTIAL\n{caller};\n")
    port = listen_port or free_port()
    media = free_port_pair()
    args = [
        binary, "-sf", str(xml), "-inf", str(inf), "-i", HOST, "-p", str(port),
        "-mi", HOST, "-mp", str(media), "-m", str(calls), "-r", str(rate),
        "-l", str(calls), "-timeout", f"{int(timeout_s)}s", "-timeout_error",
        "-bg" if False else "-nostdin", "-trace_err", "-trace_msg", "-error_file",
        str(folder / "errors.log"), "-message_file", str(folder / "messages.log"),
        "-max_recv_loops", "1000",
    ]  # fmt: skip
    if service:
        args += ["-s", service]
    args += extra or []
    if proxy_port is not None:
        args.append(f"{HOST}:{proxy_port}")
    log = (folder / "sipp.out").open("ab")
    process = subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=folder,
        start_new_session=True,
    )  # fmt: skip
    log.close()
    return Sipp(process, folder, port, media)


def read_wav(path: Path) -> tuple[int, int, bytes]:
    """(sample rate, sample width, frames) of a WAV file."""
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate(), wav.getsampwidth(), wav.readframes(wav.getnframes())


# ---- baresip -----------------------------------------------------------------------------

BARESIP_CONFIG = """poll_method\tepoll
sip_listen\t{host}:{port}
net_interface\t{host}
audio_player\taubridge,cherga
audio_source\tausine,440
ausrc_srate\t48000
ausrc_channels\t2
audio_alert\taubridge,cherga
rtp_ports\t{rtp_low}-{rtp_high}
module_path\t/usr/lib/baresip/modules
module\tg711.so
module\taubridge.so
module\tausine.so
module_app\taccount.so
module_app\tmenu.so
"""


@dataclass
class Baresip:
    """A headless baresip (Debian ``baresip``): a strict SIP phone sending a 440 Hz tone."""

    process: subprocess.Popen[bytes]
    folder: Path
    port: int

    def output(self) -> str:
        return (self.folder / "baresip.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        kill(self.process)


def start_baresip(
    folder: Path,
    *,
    user: str,
    password: str,
    registrar_port: int,
    commands: list[str] | None = None,
) -> Baresip:
    """baresip as ``user``, registered at the registrar, answering every call at once;
    ``commands`` run at start (``/dial sip:...``)."""
    binary = need("baresip")
    folder.mkdir(parents=True, exist_ok=True)
    port, rtp = free_port(), free_port_pair()
    (folder / "config").write_text(
        BARESIP_CONFIG.format(host=HOST, port=port, rtp_low=rtp, rtp_high=rtp + 20)
    )
    (folder / "accounts").write_text(
        f"<sip:{user}@{HOST}:{registrar_port}>;auth_pass={password};regint=60;answermode=auto\n"
    )
    args = [binary, "-f", str(folder)]
    for command in commands or []:
        args += ["-e", command]
    log = (folder / "baresip.log").open("ab")
    process = subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    log.close()
    return Baresip(process, folder, port)
