"""The walk-throughs in docs/ run as written against a real hub, so they never go stale."""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.mqtt import open_for_broker
from tests.pg import free_port

DOCS = Path(__file__).resolve().parent.parent / "docs"
PASSWORD = "walk-through-1"


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def run_walk_through(doc: str, tmp_path: Path, tools: tuple[str, ...]) -> str:
    """Run every sh block of ``docs/{doc}`` in order against a fresh hub; returns the output.

    The reader's hub listens on 8443 (HTTPS) and its broker on 8883 (TLS), with the office's
    authority in ``data/tls``; this one uses free ports and its own folder.
    """
    missing = [tool for tool in (*tools, "bash") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the walk-through needs {', '.join(missing)} (tests/run installs them)")
    blocks = shell_blocks((DOCS / doc).read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    port, https_port, mqtt_port = free_port(), free_port(), free_port()
    script = "set -euo pipefail\n" + "\n".join(blocks).replace(
        "https://127.0.0.1:8443", f"https://127.0.0.1:{https_port}"
    ).replace("MQTT_PORT=8883", f"MQTT_PORT={mqtt_port}").replace(
        "data/tls/ca.crt", str(tmp_path / "tls" / "ca.crt")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
    env.update(
        CHERGA_ADMIN_PASSWORD=PASSWORD,
        CHERGA_HTTPS_PORT=str(https_port),
        CHERGA_PASSWORD_HASH_MEMORY_KIB="1024",
        CHERGA_MQTT_PORT=str(mqtt_port),
    )
    open_for_broker(tmp_path / "mqtt")
    hub = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "hub", "--port", str(port), "--data-dir", str(tmp_path)],
        env=env,
        stdout=(tmp_path / "hub.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert hub.poll() is None, (tmp_path / "hub.log").read_text(errors="replace")[-2000:]
            try:
                # The office's authority is made as the hub starts.
                ca = ssl.create_default_context(cafile=tmp_path / "tls" / "ca.crt")
                health = httpx.get(f"https://127.0.0.1:{https_port}/healthz", timeout=1, verify=ca)
                if health.status_code == 200:
                    break
            except (httpx.TransportError, FileNotFoundError):
                pass
            assert time.monotonic() < deadline, "the hub did not start in 60 s"
            time.sleep(0.2)
        run = subprocess.run(
            ["bash", "-c", script],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        hub.send_signal(signal.SIGTERM)
        hub.wait(timeout=30)
    hub_log = (tmp_path / "hub.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0, f"{run.stderr[-3000:]}\n{run.stdout[-3000:]}\n--- hub\n{hub_log}"
    return run.stdout


def test_crm_walk_through_runs_as_written(tmp_path: Path) -> None:
    out = run_walk_through("crm.md", tmp_path, ("curl", "jq"))
    # A few results the text promises: the contact filled in, the task linked back to the event,
    # the balance computed, the import stored, the dependency in the plan.
    assert '"contact_id": 1' in out
    assert '"event_id": 1' in out
    assert '"closing": "-500.00"' in out
    assert '"stored": true' in out
    assert "Виставити рахунок" in out
    assert "null" not in re.findall(r'"dependencies": (\S+)', out)


def test_queue_walk_through_runs_as_written(tmp_path: Path) -> None:
    out = run_walk_through("queue.md", tmp_path, ("curl", "jq", "mosquitto_rr", "mosquitto_sub"))
    # The promises of the text: a ticket, Free giving it to window 3 with a task and a reason,
    # the board showing the call, the task done, a refusal in words.
    assert '"number":"001"' in out
    assert '"window": "3"' in out and "Найближчий у черзі «Паспортний стіл»" in out
    assert '[{"number":"001","window":"3"' in out
    assert '"status":"done"' in out
    assert '"code":"not_found"' in out
