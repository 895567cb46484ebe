"""The hub's memory under size attacks, over MQTT and HTTP; prints its figures, asserts nothing.

    .venv/bin/python bench/size_attacks.py [--mqtt-mb 20] [--mqtt-count 10] [--http-mb 50]
                                           [--http-count 20]

Starts ``cherga hub`` (SQLite, its own Mosquitto) in a temporary folder, registers a kiosk, and
sends as that kiosk's login messages far larger than any request (within and beyond the broker's
packet limit), then, without any login, HTTP bodies of tens of megabytes to the public booking
API, both with Content-Length and chunked. After each kind it prints the hub's resident memory
(VmRSS) and whether it still answers /healthz and a healthy device. An outside test saw a 64 MB
MQTT message grow the hub from 177 to 343 MB (243 MB after) and a 50 MB booking body from 137 to
275 MB.
"""

# ruff: noqa: E402

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == _ROOT / "bench":
    sys.path[0] = str(_ROOT)

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from firmware_config.device_config import read_config
from hub.broker.mosquitto import MAX_PACKET, free_port
from hub.protocol.tls import client_context

CHERGA = str(_ROOT / ".venv" / "bin" / "cherga")


def rss_mb(pid: int) -> float:
    """The process's resident memory in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the hub exited")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the hub did not become healthy")


def mqtt_attack(device: dict[str, object], config: Path, size: int, count: int) -> int:
    """Publish ``count`` payloads of ``size`` bytes as the kiosk (with the credentials of its
    config file: over TLS by default); how many the broker took."""
    mqtt_config = read_config(config).mqtt
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-attacker")
    client.username_pw_set(mqtt_config.username, mqtt_config.password.get_secret_value())
    if mqtt_config.tls is not None:
        client.tls_set_context(client_context(mqtt_config.tls.client_tls()))
    client.connect(mqtt_config.host, mqtt_config.port)
    client.loop_start()
    topic = f"cherga/v1/{device['site']}/kiosk/{device['device_id']}/req"
    taken = 0
    try:
        for _ in range(count):
            deadline = time.monotonic() + 10
            while not client.is_connected() and time.monotonic() < deadline:
                time.sleep(0.05)
            info = client.publish(topic, b"x" * size, qos=1)
            try:
                info.wait_for_publish(timeout=10)
                taken += int(info.is_published())
            except (RuntimeError, ValueError):
                pass
    finally:
        client.disconnect()
        client.loop_stop()
    return taken


def chunks(total: int, size: int = 2**20) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b"x" * part


def http_attack(url: str, size: int, count: int, *, chunked: bool) -> dict[int, int]:
    """POST ``count`` bodies of ``size`` bytes to the public booking API; answers by status."""
    answers: dict[int, int] = {}
    for _ in range(count):
        body: bytes | Iterator[bytes] = chunks(size) if chunked else b"x" * size
        try:
            status = httpx.post(
                f"{url}/api/v1/public/bookings",
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=60,
            ).status_code
        except httpx.TransportError:
            status = 0  # the hub closed the connection before reading it all
        answers[status] = answers.get(status, 0) + 1
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mqtt-mb", type=float, default=20)
    parser.add_argument("--mqtt-count", type=int, default=10)
    parser.add_argument("--http-mb", type=float, default=50)
    parser.add_argument("--http-count", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cherga-size-") as folder:
        os.chmod(folder, 0o755)
        http, broker = free_port(), free_port()
        env = {
            **os.environ,
            "CHERGA_DATA_DIR": str(Path(folder) / "data"),
            "CHERGA_PORT": str(http),
            # The sizes the app refuses are measured, not TLS: plain HTTP on this port.
            "CHERGA_HTTPS": "false",
            "CHERGA_MQTT_PORT": str(broker),
            "CHERGA_ADMIN_PASSWORD": "bench-admin-1",
            "CHERGA_LOG_LEVEL": "WARNING",
        }
        env.pop("CHERGA_MQTT_URL", None)
        config = Path(folder) / "kiosk.toml"
        add = [CHERGA, "device", "add", "--role", "kiosk", "--name", "Кіоск", "--json"]
        added = subprocess.run(
            [*add, "--config-out", str(config)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        device = json.loads(added.stdout)
        url = f"http://127.0.0.1:{http}"
        with open(Path(folder) / "hub.log", "wb") as log:
            hub = subprocess.Popen([CHERGA, "hub"], env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_healthy(url, hub)
                time.sleep(2)
                print(f"hub at rest: {rss_mb(hub.pid):.0f} MB")
                size = int(args.mqtt_mb * 2**20)
                taken = mqtt_attack(device, config, size, args.mqtt_count)
                print(
                    f"MQTT: {args.mqtt_count} x {args.mqtt_mb:g} MB from a kiosk's login "
                    f"({taken} taken by the broker): hub {rss_mb(hub.pid):.0f} MB"
                )
                over = MAX_PACKET + 1
                taken = mqtt_attack(device, config, over, 3)
                print(
                    f"MQTT: 3 x {over / 2**20:.1f} MB (past the broker's limit, {taken} taken): "
                    f"hub {rss_mb(hub.pid):.0f} MB"
                )
                size = int(args.http_mb * 2**20)
                for chunked in (False, True):
                    answers = http_attack(url, size, args.http_count, chunked=chunked)
                    kind = "chunked" if chunked else "with Content-Length"
                    print(
                        f"HTTP: {args.http_count} x {args.http_mb:g} MB booking bodies {kind}, "
                        f"no login: answers {answers}, hub {rss_mb(hub.pid):.0f} MB"
                    )
                time.sleep(3)
                health = httpx.get(f"{url}/healthz", timeout=5)
                print(
                    f"3 s later: hub {rss_mb(hub.pid):.0f} MB; /healthz {health.status_code}, "
                    f"mqtt {health.json().get('mqtt')}"
                )
            finally:
                hub.terminate()
                hub.wait(timeout=30)


if __name__ == "__main__":
    main()
