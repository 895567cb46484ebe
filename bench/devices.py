"""The benches' second process: the devices, a fleet of real MQTT clients, run there so their
threads do not compete for the hub's interpreter lock, as on real appliances. The parent asks
for a phase by name (one of the fleet's methods) and waits for its figures. ``DeviceFleet`` is
what every bench's fleet shares: its clients, connected with their own credentials, and the
kiosk's and the panel's request.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
import uuid
from collections.abc import Callable, Collection, Mapping
from contextlib import suppress
from multiprocessing.connection import Connection
from typing import Any, Protocol

from hub.broker.provision import Credentials
from hub.protocol import topics
from hub.protocol.base import DeviceRole, Request
from hub.protocol.client import DeviceClient
from hub.protocol.messages import IssueTicket, KioskReply, PanelReply


class Fleet(Protocol):
    """What the device process runs: built from the site, closed at the end."""

    def close(self) -> None: ...


class DeviceFleet:
    """Devices of one site as real MQTT clients, each with its own credentials."""

    def __init__(
        self, site: str, credentials: Mapping[str, Credentials], *, version: str, wait: float
    ) -> None:
        self.site_name = site
        self.credentials = credentials
        self.version = version
        self.wait = wait
        self.clients: list[DeviceClient] = []

    def _client(self, device: str, role: DeviceRole) -> DeviceClient:
        client = DeviceClient(
            site=self.site_name,
            device=device,
            role=role,
            version=self.version,
            **self.credentials[device].mqtt_config().client_options(),
        )
        self.clients.append(client)
        client.start()
        return client

    def _connected(self) -> None:
        for client in self.clients:
            if not client.wait_connected(self.wait):
                raise RuntimeError(f"{client.device} could not connect to the broker")

    def close(self) -> None:
        for client in self.clients:
            try:
                client.close(timeout=2.0)
            except Exception:
                traceback.print_exc()

    def kiosk(self, client: DeviceClient, service: int) -> KioskReply:
        """A ticket for ``service`` issued at the kiosk ``client``."""
        site, device = self.site_name, client.device
        request = IssueTicket(request_id=uuid.uuid4(), service_id=service)
        return client.request(
            topics.kiosk_req(site, device),
            topics.kiosk_reply(site, device),
            request,
            timeout=self.wait,
            expect=KioskReply,
        )

    def panel(self, client: DeviceClient, request: Request) -> PanelReply:
        """The panel ``client``'s request and the hub's reply."""
        site, device = self.site_name, client.device
        return client.request(
            topics.panel_req(site, device),
            topics.panel_reply(site, device),
            request,
            timeout=self.wait,
            expect=PanelReply,
        )


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
