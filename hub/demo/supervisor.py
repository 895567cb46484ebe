"""The demo's processes: started as ``cherga ...`` programs, watched, and stopped by their PIDs.

Each program runs in a session of its own, so a Ctrl+C in the terminal reaches the demo alone,
which then stops the programs in order (the appliances, then the hub, which stops its broker):
SIGTERM, as systemd would, and SIGKILL only for one that does not end in time. Each also gets
SIGTERM from the kernel if the demo itself dies (even by SIGKILL), so no program outlives it.
Their output goes to one log file each, leaving the terminal to the demo's own lines.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from hub.broker.mosquitto import _die_with_parent, stop_process

logger = logging.getLogger(__name__)

STOP_WAIT = 20.0


@dataclass
class Child:
    """One program the demo started."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    reported: bool = False

    @property
    def alive(self) -> bool:
        """Whether it still runs."""
        return self.process.poll() is None


class Supervisor:
    """Starts ``cherga`` programs and stops every one of them."""

    def __init__(self, logs: Path, env: dict[str, str], cwd: Path) -> None:
        self.logs, self.env, self.cwd = logs, env, cwd
        self.children: list[Child] = []

    def spawn(self, name: str, args: Sequence[str], env: dict[str, str] | None = None) -> Child:
        """``cherga ARGS`` as a child process, its output in ``logs/NAME.log``."""
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "hub.cli", *args],
                cwd=self.cwd,
                env={**self.env, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        child = Child(name, process, log)
        self.children.append(child)
        logger.debug("started %s (pid %d)", name, process.pid)
        return child

    def pids(self) -> list[int]:
        """The PIDs of the programs still running."""
        return [child.process.pid for child in self.children if child.alive]

    def newly_ended(self) -> list[Child]:
        """Programs that ended since the last call."""
        ended = [c for c in self.children if not c.alive and not c.reported]
        for child in ended:
            child.reported = True
        return ended

    def stop(self, names: Sequence[str] | None = None) -> None:
        """SIGTERM to each named program (all by default) at once, then wait for each; SIGKILL
        for one that is still running after STOP_WAIT. Whatever it left in its session (a
        broker the hub started) is stopped too."""
        chosen = [c for c in self.children if names is None or c.name in names]
        for child in chosen:
            if child.alive:
                child.process.terminate()
        for child in chosen:
            stop_process(child.process, timeout=STOP_WAIT)
            child.reported = True
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signal.SIGTERM)
