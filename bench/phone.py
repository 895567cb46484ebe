"""Measure the phone agent: CPU and memory idle (registered), with 1 and with 5 answered calls,
or (``--conference``) with two callers in a three-way conference mixed in the agent.

Run: .venv/bin/python bench/phone.py [--conference] [--sound DEVICE]   (loopback only; needs
mosquitto, kamailio, sipp; ``--sound null`` adds arecord/aplay on ALSA's null device; prints
figures, asserts nothing). The agent runs as its own process (``cherga phone``) so /proc gives
its figures alone; SIPp callers send PCMU audio the whole time and a hub-side client answers
every call and records each one (the recording is the busiest path).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware_config.device_config import DeviceConfig, MqttConfig, write_config
from hub.protocol import topics
from tests import sip_peers
from tests.mqtt import start_mosquitto

WINDOW = 10.0
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int) -> float:
    """Resident memory now, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def measure(pid: int, label: str) -> None:
    start_cpu, start = cpu_seconds(pid), time.monotonic()
    time.sleep(WINDOW)
    used = cpu_seconds(pid) - start_cpu
    share = 100 * used / (time.monotonic() - start)
    print(
        f"{label:<18} CPU {share:5.1f} % of one core   RSS {rss_mib(pid):6.1f} MiB   "
        f"threads {threads(pid)}"
    )


class Answerer:
    """The hub's side: answers and records every call that rings."""

    def __init__(self, host: str, port: int) -> None:
        self.answered = 0
        self.calls: list[str] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-hub")
        self.client.username_pw_set("hub", "hub-pass")
        self.client.on_message = self._message
        self.client.connect(host, port)
        self.client.loop_start()
        self.client.subscribe(topics.phone_call("main", "phone-1"), 1)

    def _message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        report = json.loads(msg.payload)
        cmd = topics.phone_cmd("main", "phone-1")
        if report["state"] == "ringing":
            answer = {"v": 1, "type": "answer", "call_id": report["call_id"]}
            self.client.publish(cmd, json.dumps(answer), qos=1)
        elif report["state"] == "answered" and report["call_id"] not in self.calls:
            self.calls.append(report["call_id"])
            self.answered += 1
            record = {"v": 1, "type": "record_start", "call_id": report["call_id"]}
            self.client.publish(cmd, json.dumps(record), qos=1)

    def send(self, kind: str, call_id: str) -> None:
        cmd = topics.phone_cmd("main", "phone-1")
        self.client.publish(cmd, json.dumps({"v": 1, "type": kind, "call_id": call_id}), qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def main(conference: bool = False, sound: str | None = None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="cherga-phone-bench-"))
    acl = "user hub\ntopic readwrite cherga/v1/#\n\nuser phone-1\n" + "\n".join(
        f"topic {a} {t}" for a, t in topics.acl_rules("main", "phone", "phone-1")
    )
    broker = start_mosquitto(
        folder / "mqtt", passwords={"hub": "hub-pass", "phone-1": "dev-pass"}, acl=acl
    )
    registrar = sip_peers.Registrar(folder / "kamailio", {"1001": "secret"})
    registrar.start()
    low = sip_peers.free_port_pair()
    config = folder / "phone.toml"
    sip = {
        "server": "127.0.0.1", "port": registrar.port, "user": "1001", "password": "secret",
        "local_ip": "127.0.0.1", "local_port": sip_peers.free_port(avoid=range(low, low + 101)),
        "rtp_port_low": low,
        "rtp_port_high": low + 100, "reregister_s": 60, "recordings": str(folder / "rec"),
    }  # fmt: skip
    write_config(
        DeviceConfig(
            device_id="phone-1", role="phone", site="main", name="bench",
            mqtt=MqttConfig(host=broker.host, port=broker.port, username="phone-1",
                            password="dev-pass"),  # type: ignore[arg-type]
            settings={"sip": sip, "ring_timeout_s": 60, "sound_device": sound or "none"},
        ),
        config,
    )  # fmt: skip
    agent = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "phone", "--config", str(config)],
        stdout=subprocess.DEVNULL, stderr=(folder / "agent.log").open("wb"),
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    hub = Answerer(broker.host, broker.port)
    callers: list[sip_peers.Sipp] = []
    try:
        time.sleep(3)
        measure(agent.pid, "registered, idle")
        wav = sip_peers.tone_wav(folder / "tone.wav", seconds=2 * WINDOW + 15)
        talk = int((2 * WINDOW + 15) * 1000)
        for calls in (2,) if conference else (1, 5):
            new = calls - hub.answered
            scenario = sip_peers.caller_scenario(talk_ms=talk, wav=wav, dtmf="", hangup=True)
            callers.append(
                sip_peers.run_sipp(
                    folder / f"calls{calls}",
                    scenario,
                    proxy_port=registrar.port,
                    service="1001",
                    calls=new,
                    rate=10,
                    timeout_s=60,
                )
            )
            deadline = time.monotonic() + 10
            while hub.answered < calls and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.5)
            measure(agent.pid, f"{hub.answered} active call(s)")
        if conference:  # the first caller on hold, then joined with the second: a 3-way mix
            hub.send("hold", hub.calls[0])
            time.sleep(0.5)
            hub.send("conference", hub.calls[0])
            time.sleep(1.5)
            measure(agent.pid, "3-way conference")
    finally:
        for caller in callers:
            caller.stop()
        hub.close()
        agent.terminate()
        try:
            agent.wait(15)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
        registrar.stop()
        broker.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conference", action="store_true", help="measure a 3-way conference")
    parser.add_argument("--sound", metavar="DEVICE", help="an ALSA device for the headset")
    args = parser.parse_args()
    main(conference=args.conference, sound=args.sound)
