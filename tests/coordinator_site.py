"""Building blocks for the coordinator's fault and concurrency tests.

A site with any set of devices and any number of coordinators on one broker and database (the
fixture in tests/test_coordinator.py has a fixed set and one coordinator), and a real ``cherga
hub`` process to kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from hub.bootstrap import Hub, build_hub, prepare_database
from hub.broker.embedded import start_embedded
from hub.coordinator.service import Coordinator
from hub.db.models.queue import OutboxMessage
from tests import test_coordinator
from tests.mqtt import open_for_broker
from tests.pg import free_port
from tests.test_coordinator import WAIT, Site, register

DeviceSpec = tuple[str, str, dict[str, Any]]
"""(role, device id, extra fields of ``devices.add_device``)."""

CHERGA = [sys.executable, "-m", "hub.cli"]


class Inbox(test_coordinator.Inbox):
    """tests/test_coordinator.py's Inbox, typed as the DeviceClient handler it is used as."""

    def __call__(self, topic: object, message: Any) -> None:
        super().__call__(str(topic), message)


@contextmanager
def running_site(
    hub: Hub,
    specs: Sequence[DeviceSpec],
    *,
    coordinators: int = 1,
    shards: int | None = None,
) -> Iterator[tuple[Site, list[Coordinator]]]:
    """The hub's own Mosquitto and ``coordinators`` coordinators, each with its own Hub.

    Extra coordinators get a Hub built from the same settings (own engine and sessions), as a
    second hub process would; everything started here is stopped on the way out. ``shards``
    overrides each coordinator's number of request workers.
    """
    hub.settings = hub.settings.model_copy(update={"mqtt_port": free_port()})
    open_for_broker(hub.settings.data_dir / "mqtt")
    prepare_database(hub)
    credentials = register(hub, specs)
    broker = start_embedded(hub.settings, hub.sessions)
    now = [datetime.now(UTC).replace(microsecond=0)]
    extra_hubs = [build_hub(hub.settings) for _ in range(coordinators - 1)]
    running = [
        Coordinator(each, broker.endpoint, shards=shards, tick=0.2, clock=lambda: now[0])
        for each in [hub, *extra_hubs]
    ]
    built = Site(hub, broker, running[0], credentials, now)
    try:
        for coordinator in running:
            assert coordinator.start(wait=WAIT)
        yield built, running
    finally:
        for client in built.clients:
            client.close()
        for coordinator in running:
            coordinator.stop()
        broker.stop()
        for each in extra_hubs:
            each.close()


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(0.05)


def unsent(hub: Hub, after: int = 0) -> list[OutboxMessage]:
    """Outbox messages after id ``after`` not yet acknowledged by the broker."""
    with hub.sessions() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id > after, OutboxMessage.sent_at.is_(None))
                .order_by(OutboxMessage.id)
            )
        )


def last_outbox_id(hub: Hub) -> int:
    """The newest outbox id (0 when empty)."""
    with hub.sessions() as session:
        return max(session.scalars(select(OutboxMessage.id)).all(), default=0)


class HubProcess:
    """``cherga hub`` as a child process on a given HTTP port; stopped or killed by its PID."""

    def __init__(self, env: dict[str, str], http_port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{http_port}"
        self._log_path = log
        self._log = open(log, "ab")  # noqa: SIM115 (handed to the child, closed in stop())
        self.process = subprocess.Popen(
            [*CHERGA, "hub"], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        """What the hub wrote so far (for failure messages)."""
        return self._log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Wait until /healthz answers; fail with the hub's output if it died."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.output()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the hub did not start: {self.output()}"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut of the hub alone."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self._log.close()
