"""Running a headless appliance (printer agent, phone agent) until systemd or Ctrl-C stops it."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class Agent(Protocol):
    """What a headless appliance offers: start its threads, stop them cleanly."""

    def start(self) -> object: ...

    def stop(self) -> None: ...


def run_until_stopped(agent: Agent, label: str) -> int:
    """Start ``agent``, wait for SIGTERM or SIGINT, stop it; returns the exit status 0."""
    done = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    agent.start()
    logger.info("%s started", label)
    try:
        done.wait()
    finally:
        agent.stop()
    return 0
