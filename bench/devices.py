"""The benches' second process: the devices, a fleet of real MQTT clients, run there so their
threads do not compete for the hub's interpreter lock, as on real appliances. The parent asks
for a phase by name (one of the fleet's methods) and waits for its figures.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable, Collection
from contextlib import suppress
from multiprocessing.connection import Connection
from typing import Any, Protocol


class Fleet(Protocol):
    """What the device process runs: built from the site, closed at the end."""

    def close(self) -> None: ...


def _serve(
    conn: Connection, make: Callable[[Any], Fleet], site: Any, phases: Collection[str]
) -> None:
    """Entry point of the device process: connect, then run the phases the parent asks for."""
    fleet: Fleet | None = None
    try:
        fleet = make(site)
        conn.send(("ready", None))
        while True:
            command, params = conn.recv()
            if command not in phases:
                return
            conn.send(("done", getattr(fleet, command)(**params)))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        return
    except Exception:
        conn.send(("error", traceback.format_exc()))
    finally:
        if fleet is not None:
            fleet.close()


class Devices:
    """The device process as seen from here: ask for a phase, wait for its figures."""

    def __init__(
        self,
        make: Callable[[Any], Fleet],
        site: Any,
        *,
        phases: Collection[str],
        name: str,
        ready_s: float = 120.0,
        stop_s: float = 15.0,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._stop_s = stop_s
        self._process = context.Process(
            target=_serve, args=(child, make, site, tuple(phases)), name=name, daemon=True
        )
        self._process.start()
        child.close()
        self._wait(ready_s)

    def _wait(self, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while not self._conn.poll(0.5):
            if not self._process.is_alive():
                raise RuntimeError("the device process died")
            if time.monotonic() > deadline:
                raise TimeoutError("the device process did not answer in time")
        status, body = self._conn.recv()
        if status == "error":
            raise RuntimeError(f"the device process failed:\n{body}")
        return body

    def run(self, command: str, timeout: float, **params: Any) -> dict[str, Any]:
        self._conn.send((command, params))
        result: dict[str, Any] = self._wait(timeout)
        return result

    def stop(self) -> None:
        with suppress(OSError, ValueError):
            self._conn.send(("quit", {}))
        self._process.join(self._stop_s)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._conn.close()
