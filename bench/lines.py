"""Measure the line agent: callers one agent holds with clean audio, its CPU per caller, and the
time from an operator's Free to their phone ringing.

Run: .venv/bin/python -m bench.lines [--callers 5,10,20,40] [--rounds 20]   (loopback only;
needs mosquitto, kamailio, sipp, espeak-ng; prints figures, asserts nothing).

1. Capacity: the line agent runs in this process against Mosquitto and Kamailio; a small MQTT
   client answers its joins as the hub would (so the figures are the agent's, not the hub's).
   SIPp callers dial in at 20 per second and send a tone the whole time. Over a window, the
   process's CPU (the agent and that small client), the share of the tone's 20 ms frames the
   agent received per caller (50 a second expected), and the media ticks that started late.
2. Free to ring: the real hub (coordinator, SQLite, its own Mosquitto), the line agent, the
   operator's real phone agent, one caller at a time: the operator's panel presses Free and the
   clock stops when the panel sees the phone agent's "ringing" report (the same moment the
   phone rings); the operator answers, hangs up and finishes, and the next caller dials in.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware_config.device_config import DeviceConfig, MqttConfig
from hub.bootstrap import build_hub
from hub.protocol import topics
from hub.protocol.devices import PhoneCall, PhoneCmd
from hub.protocol.lines import LineHeld, LineJoin, LineLeft, LinePlace, LineReply, LineTicket
from hub.protocol.messages import decode, encode
from operator_panel.phone.line import LineAgent
from operator_panel.phone.line_settings import parse_line_settings
from operator_panel.phone.voip import VoipPhone
from tests import sip_peers
from tests.conftest import make_settings
from tests.coordinator_site import Inbox, running_site, wait_for
from tests.mqtt import start_mosquitto
from tests.test_coordinator import login, make_service
from tests.test_line_agent import (
    DEVICES,
    SECRETS,
    dial_in,
    finish,
    free,
    line_agent,
    phone_agent,
    ticket_of,
)

WINDOW = 10.0
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class FakeHub:
    """Answers a line agent's requests as the hub would: every caller waits, place 1."""

    def __init__(self, host: str, port: int) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-hub")
        self.client.username_pw_set("hub", "hub-pass")
        self.client.on_message = self._message
        self.client.connect(host, port)
        self.client.loop_start()
        self.client.subscribe(topics.line_req("main", "line-1"), 1)
        self.joined = 0

    def _message(self, _c: Any, _u: Any, msg: Any) -> None:
        request = decode(topics.TopicKind.LINE_REQ, msg.payload)
        if isinstance(request, LineHeld):  # on connecting: nobody is abandoned here
            reply = LineReply(request_id=request.request_id, ok=True, abandoned=0)
        else:
            assert isinstance(request, LineJoin | LinePlace | LineLeft)
            self.joined += isinstance(request, LineJoin)
            ticket = LineTicket(id=1, number="001", service_id=1, state="waiting", position=1)
            reply = LineReply(request_id=request.request_id, ok=True, ticket=ticket)
        self.client.publish(topics.line_reply("main", "line-1"), encode(reply), qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def capacity(folder: Path, counts: list[int]) -> None:
    acl = "user hub\ntopic readwrite cherga/v1/#\n\nuser line-1\n" + "\n".join(
        f"topic {a} {t}" for a, t in topics.acl_rules("main", "line", "line-1")
    )
    broker = start_mosquitto(
        folder / "mqtt", passwords={"hub": "hub-pass", "line-1": "dev-pass"}, acl=acl
    )
    registrar = sip_peers.Registrar(folder / "kamailio", {"100": "secret"})
    registrar.start()
    hub = FakeHub(broker.host, broker.port)
    low = sip_peers.free_port_pair()
    high = low + 4 * max(counts) + 20
    settings = parse_line_settings(
        {
            "sip": {"server": "127.0.0.1", "port": registrar.port, "user": "100",
                    "password": "secret", "local_ip": "127.0.0.1",
                    "local_port": sip_peers.free_port(avoid=range(low, high + 1)),
                    "rtp_port_low": low,
                    "rtp_port_high": high, "reregister_s": 60},
            "services": [1], "service_names": ["taxes"], "lang": "en",
            "max_callers": max(counts), "place_every_s": 30,
        }
    )  # fmt: skip
    config = DeviceConfig(
        device_id="line-1", role="line", site="main", name="bench",
        mqtt=MqttConfig(host=broker.host, port=broker.port, username="line-1",
                        password="dev-pass"),  # type: ignore[arg-type]
        settings={},
    )  # fmt: skip
    agent = LineAgent(config, settings, VoipPhone(settings.sip))
    callers: list[sip_peers.Sipp] = []
    try:
        assert agent.start(wait=10)
        wait_for("registered", lambda: agent.sip.registered, 10)
        idle = cpu_seconds()
        time.sleep(3)
        print(f"idle, registered        CPU {100 * (cpu_seconds() - idle) / 3:5.1f} % of a core")
        seconds = 4 * WINDOW + 20
        wav = sip_peers.tone_wav(folder / "tone.wav", seconds=seconds)
        for count in counts:
            new = count - len(agent.callers)
            scenario = sip_peers.caller_scenario(
                talk_ms=int(seconds * 1000), wav=wav, dtmf="", hangup=True
            )
            callers.append(
                sip_peers.run_sipp(
                    folder / f"callers{count}", scenario, proxy_port=registrar.port,
                    service="100", calls=new, rate=20, timeout_s=seconds + 30,
                )
            )  # fmt: skip
            wait_for(f"{count} callers", lambda c=count: len(agent.callers) >= c, 30)
            time.sleep(3)  # the greeting is over for the last ones
            legs = [agent.media.leg(call_id) for call_id in list(agent.callers)]
            before = {id(leg): leg.loud_in for leg in legs if leg is not None}
            late, ticks = agent.media.late_ticks, agent.media.ticks
            start_cpu, start = cpu_seconds(), time.monotonic()
            time.sleep(WINDOW)
            wall = time.monotonic() - start
            used = cpu_seconds() - start_cpu
            got = [
                (leg.loud_in - before[id(leg)]) / (50 * wall)
                for leg in legs
                if leg is not None and id(leg) in before
            ]
            late_share = (agent.media.late_ticks - late) / max(1, agent.media.ticks - ticks)
            # Which caller, in the order they were answered, received the least (a pattern
            # here tells the test peers' artefacts from the agent's).
            worst = [n for n, share in enumerate(got) if share < 0.5]
            print(
                f"{len(agent.callers):3d} callers  CPU {100 * used / wall:5.1f} % of a core "
                f"({100 * used / wall / max(1, len(agent.callers)):4.2f} % per caller)  "
                f"tone frames received: worst {100 * min(got):5.1f} %, "
                f"median {100 * statistics.median(got):5.1f} %  late ticks "
                f"{100 * late_share:4.1f} %  busy refused {agent.rejected_busy}  "
                f"under half received: callers {worst} of {len(got)} in order of answer"
            )
    finally:
        for caller in callers:
            caller.stop()
        agent.stop()
        hub.close()
        registrar.stop()
        broker.stop()


def free_to_ring(folder: Path, rounds: int) -> None:
    hub = build_hub(make_settings(f"sqlite:///{folder}/hub.db", folder / "hub"))
    took: list[float] = []
    with (
        sip_peers.registrar(folder / "kamailio2", SECRETS) as registrar,
        running_site(hub, DEVICES) as (site, _coordinators),
    ):
        taxes = make_service(site, "Податки", ["anna"])
        wav = sip_peers.tone_wav(folder / "tone2.wav", seconds=5)
        with (
            line_agent(site, registrar, [taxes]) as line,
            phone_agent(site, registrar, folder / "rec") as (_phone, _headset),
        ):
            panel = site.device("panel-a", "panel")
            rings = Inbox()
            panel.subscribe(topics.phone_call("main", "phone-a"), rings)
            login(panel, "anna")
            time.sleep(2)  # the phone agent's state has reached the hub
            for n in range(rounds):
                number = f"05012{n:05d}"
                caller = dial_in(registrar, folder / f"c{n}", number, wav, hang_up=False)
                wait_for("the caller joins", lambda n=number: ticket_of(hub, n), 20)
                start = time.monotonic()
                ticket = free(panel)
                ringing = rings.next(
                    lambda _t, m: isinstance(m, PhoneCall) and m.state == "ringing"
                )
                took.append(time.monotonic() - start)
                send = topics.phone_cmd("main", "phone-a")
                panel.publish(send, PhoneCmd(type="answer", call_id=ringing.call_id,
                                             request_id=uuid.uuid4()), qos=1)  # fmt: skip
                wait_for(
                    "the line bridges the caller",
                    lambda: any(c.state == "bridged" for c in line.callers.values()),
                    20,
                )
                panel.publish(send, PhoneCmd(type="hangup", call_id=ringing.call_id,
                                             request_id=uuid.uuid4()), qos=1)  # fmt: skip
                caller.sipp.wait(20)
                assert ticket is not None
                finish(panel, ticket)
            dial = sorted(line.job_to_ring)
        hub.close()
    took.sort()

    def pct(values: list[float], p: float) -> float:
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000

    print(
        f"Free -> operator's phone ringing ({len(took)} rounds): p50 {pct(took, 50):.0f} ms, "
        f"p99 {pct(took, 99):.0f} ms, max {took[-1] * 1000:.0f} ms; of which the line agent "
        f"from the job to the INVITE: p50 {pct(dial, 50):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", default="5,10,20,40", help="caller counts to measure")
    parser.add_argument("--rounds", type=int, default=20, help="Free-to-ring rounds")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cherga-lines-bench-"))
    counts = sorted(int(n) for n in args.callers.split(",") if n.strip())
    if counts:
        capacity(folder, counts)
    if args.rounds > 0:
        free_to_ring(folder, args.rounds)


if __name__ == "__main__":
    main()
