"""Ticket load and bookkeeping for the kill and restart fault tests (tests/test_fault_kills.py)
and their long versions (bench/faults.py).

Kiosks are real DeviceClients that retry an unanswered request with the same ``request_id``, as
a real kiosk does; REST clients issue tickets through ``POST /api/v1/queue/tickets``. A
``Ledger`` keeps every acknowledged ticket (an ok reply over MQTT, a 2xx over REST), and
``check_tickets`` compares it with the database afterwards.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.broker.mosquitto import spawn, write_files
from hub.broker.registry import broker_auth
from hub.db.models import DeviceRequest
from hub.db.models.queue import QueueTicket
from hub.protocol import topics
from hub.protocol.base import Reply, Request
from hub.protocol.client import DeviceClient, RequestTimeout
from hub.protocol.messages import IssueTicket, KioskReply
from hub.services.devices import devices
from hub.services.devices.devices import HUB_MQTT_USER
from hub.services.queue.core import waiting_counts
from tests.coordinator_site import HubProcess
from tests.mqtt import Broker, open_for_broker
from tests.pg import free_port

R = TypeVar("R", bound=Reply)

HUB_PASSWORD = "hub-mqtt-secret-1"
ATTEMPT = 3.0
"""Seconds a device waits for one attempt's reply before sending the request again."""
GIVE_UP = 120.0
"""Seconds after which a kiosk stops retrying one request (a failure the checks report)."""


def start_site_broker(hub: Hub, folder: Path) -> Broker:
    """A Mosquitto outside the hub (CHERGA_MQTT_URL) with the devices' passwords and ACL, so the
    devices keep their broker while the hub is killed. Call from the main thread: Mosquitto gets
    the parent-death signal of the thread that starts it."""
    with hub.sessions() as session:
        auth = broker_auth(devices.active_devices(session), hub_password=HUB_PASSWORD)
    port = free_port()
    open_for_broker(folder)
    write_files(folder, host="127.0.0.1", port=port, hashes=auth.hashes, acl=auth.acl)
    return Broker("127.0.0.1", port, folder, spawn(folder, "127.0.0.1", port))


def hub_env(*, database_url: str, data_dir: Path, http_port: int, mqtt_port: int) -> dict[str, str]:
    """The environment of a ``cherga hub`` process on this database and the external broker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
    env.update(
        CHERGA_DATA_DIR=str(data_dir),
        CHERGA_DATABASE_URL=database_url,
        CHERGA_ADMIN_PASSWORD="admin-secret-1",
        CHERGA_PASSWORD_HASH_MEMORY_KIB="1024",
        CHERGA_PASSWORD_HASH_TIME_COST="1",
        CHERGA_PORT=str(http_port),
        # The faults are the subject, not TLS: the REST clients talk plain HTTP to this port.
        CHERGA_HTTPS="false",
        CHERGA_MQTT_URL=f"mqtt://{HUB_MQTT_USER}:{HUB_PASSWORD}@127.0.0.1:{mqtt_port}",
        CHERGA_LOG_LEVEL="WARNING",
    )
    return env


def kiosk_client(broker: Broker, device_id: str, password: str) -> DeviceClient:
    """A kiosk that reconnects quickly (the broker comes back within a test's patience)."""
    return DeviceClient(
        host=broker.host,
        port=broker.port,
        site="main",
        device=device_id,
        role="kiosk",
        username=device_id,
        password=password,
        backoff_max=1.0,
        version="test",
    )


@dataclass(frozen=True)
class Issued:
    """A ticket acknowledged to its taker."""

    id: int
    number: str
    service_id: int
    via: str  # "mqtt" or "rest"


@dataclass
class Ledger:
    """What the takers were told, filled by the load threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tickets: list[Issued] = field(default_factory=list)
    requests: dict[uuid.UUID, IssueTicket] = field(default_factory=dict)
    replies: dict[uuid.UUID, KioskReply] = field(default_factory=dict)
    senders: dict[uuid.UUID, str] = field(default_factory=dict)  # request id -> kiosk
    attempts: Counter[uuid.UUID] = field(default_factory=Counter)
    unanswered: list[uuid.UUID] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # ok false over MQTT, 4xx over REST
    rest_unanswered: int = 0  # sent, no reply: the ticket may or may not exist
    errors: list[str] = field(default_factory=list)  # a load thread failed unexpectedly

    def count(self) -> int:
        with self.lock:
            return len(self.tickets)

    def retried(self) -> list[uuid.UUID]:
        """Request ids that needed more than one attempt."""
        with self.lock:
            return [request_id for request_id, n in self.attempts.items() if n > 1]


class TicketLoad:
    """Kiosks and REST clients issuing tickets back to back, each in its own thread."""

    def __init__(
        self,
        ledger: Ledger,
        service: int,
        kiosks: Sequence[DeviceClient],
        *,
        rest_url: str | None = None,
        rest_clients: int = 0,
        username: str = "",
        password: str = "",
        pause: float = 0.0,
    ) -> None:
        self.ledger, self.service, self._pause = ledger, service, pause
        self._stop, self._abandon = threading.Event(), threading.Event()
        self._rest = (rest_url, username, password)
        self._threads = [
            threading.Thread(target=self._guard, args=(self._kiosk, k), daemon=True) for k in kiosks
        ]
        self._threads += [
            threading.Thread(target=self._guard, args=(self._rest_client, n), daemon=True)
            for n in range(rest_clients)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = GIVE_UP + 30) -> None:
        """Let every request in hand finish (answered or given up), then return."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        alive = sum(thread.is_alive() for thread in self._threads)
        if alive:
            with self.ledger.lock:
                self.ledger.errors.append(f"{alive} load threads did not end in {timeout:g} s")

    def abandon(self, timeout: float = 30) -> None:
        """Stop at once, giving up the requests in hand (on the way out of a failed test)."""
        self._abandon.set()
        self.stop(timeout)

    def _guard(self, work: Callable[[Any], None], arg: Any) -> None:
        try:
            work(arg)
        except BaseException as exc:  # reported by the checks
            with self.ledger.lock:
                self.ledger.errors.append(f"{type(exc).__name__}: {exc}")

    def _kiosk(self, client: DeviceClient) -> None:
        ledger = self.ledger
        while not self._stop.is_set():
            request = IssueTicket(request_id=uuid.uuid4(), service_id=self.service)
            with ledger.lock:
                ledger.requests[request.request_id] = request
                ledger.senders[request.request_id] = client.device
            reply = persist(client, request, ledger, self._abandon)
            if reply is None:
                continue
            with ledger.lock:
                ledger.replies[request.request_id] = reply
                if reply.ok and reply.ticket is not None:
                    ticket = reply.ticket
                    ledger.tickets.append(
                        Issued(ticket.id, ticket.number, ticket.service_id, "mqtt")
                    )
                else:
                    ledger.refused.append(f"{request.request_id}: {reply.error}")
            self._stop.wait(self._pause)

    def _rest_client(self, _index: int) -> None:
        url, username, password = self._rest
        assert url is not None
        ledger = self.ledger
        token: str | None = None
        with httpx.Client(base_url=url, timeout=10.0) as http:
            while not self._stop.is_set():
                try:
                    if token is None:
                        got = http.post(
                            "/api/v1/auth/token", data={"username": username, "password": password}
                        )
                        if got.status_code != 200:
                            self._stop.wait(0.2)
                            continue
                        token = got.json()["access_token"]
                except httpx.TransportError:
                    self._stop.wait(0.2)  # the hub is down: try again
                    continue
                try:
                    issued = http.post(
                        "/api/v1/queue/tickets",
                        json={"service_id": self.service},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.ConnectError:
                    self._stop.wait(0.2)  # never sent: the hub is down
                    continue
                except httpx.TransportError:
                    # Sent, not acknowledged: the hub may have committed it before dying.
                    with ledger.lock:
                        ledger.rest_unanswered += 1
                    self._stop.wait(0.2)
                    continue
                if issued.status_code == 401:
                    token = None  # the login itself may have died with the hub
                elif issued.status_code == 201:
                    ticket = issued.json()["ticket"]
                    with ledger.lock:
                        ledger.tickets.append(
                            Issued(ticket["id"], ticket["number"], ticket["service_id"], "rest")
                        )
                elif issued.status_code >= 500:
                    with ledger.lock:
                        ledger.rest_unanswered += 1
                else:
                    with ledger.lock:
                        ledger.refused.append(f"REST {issued.status_code}: {issued.text[:200]}")
                self._stop.wait(self._pause)


def retrying(
    client: DeviceClient,
    request: Request,
    expect: type[R],
    *,
    attempt: Callable[[], None] = lambda: None,
    abandon: threading.Event | None = None,
) -> R | None:
    """Send ``request`` until its reply comes, the same request_id each time, as a device does;
    None after GIVE_UP seconds (or once ``abandon`` is set). ``attempt`` is called per send."""
    kiosk = expect is KioskReply
    build = topics.kiosk_req if kiosk else topics.panel_req
    answer = topics.kiosk_reply if kiosk else topics.panel_reply
    deadline = time.monotonic() + GIVE_UP
    while abandon is None or not abandon.is_set():
        attempt()
        try:
            return client.request(
                build("main", client.device),
                answer("main", client.device),
                request,
                timeout=ATTEMPT,
                expect=expect,
            )
        except RequestTimeout:
            if time.monotonic() > deadline:
                break
    return None


def persist(
    client: DeviceClient,
    request: IssueTicket,
    ledger: Ledger,
    abandon: threading.Event | None = None,
) -> KioskReply | None:
    """A kiosk's request until answered; attempts and an unanswered request in ``ledger``."""

    def attempt() -> None:
        with ledger.lock:
            ledger.attempts[request.request_id] += 1

    reply = retrying(client, request, KioskReply, attempt=attempt, abandon=abandon)
    if reply is None:
        with ledger.lock:
            ledger.unanswered.append(request.request_id)
    return reply


def wait_for_progress(ledger: Ledger, tickets: int, hub: HubProcess, timeout: float = 60) -> None:
    """Wait until ``tickets`` more tickets were acknowledged (the restarted hub serves)."""
    target = ledger.count() + tickets
    deadline = time.monotonic() + timeout
    while ledger.count() < target:
        assert hub.process.poll() is None, hub.output()
        assert time.monotonic() < deadline, f"no tickets acknowledged in {timeout:g} s"
        time.sleep(0.02)


def kill_rounds(
    start_hub: Callable[[], HubProcess],
    ledger: Ledger,
    rounds: int,
    rng: random.Random,
    *,
    max_pause: float = 1.0,
    report: Callable[[int, float], None] | None = None,
) -> None:
    """``rounds`` times: start a hub, let it serve a few tickets, SIGKILL it at a random moment."""
    for index in range(rounds):
        process = start_hub()
        process.wait_healthy()
        wait_for_progress(ledger, 3, process)
        pause = rng.uniform(0, max_pause)
        time.sleep(pause)
        process.kill()
        if report is not None:
            report(index, pause)


@dataclass
class Findings:
    """The ledger compared with the database."""

    acknowledged: int
    found: int
    lost: list[Issued]
    wrong: list[tuple[Issued, str]]  # in the database with another number or service
    doubles: list[str]  # a number (or a ticket) given twice
    extra: int  # tickets in the database nobody was told of
    stored_replies_differ: list[str]

    def summary(self) -> str:
        return (
            f"acknowledged {self.acknowledged}, found {self.found}, lost {len(self.lost)}, "
            f"wrong {len(self.wrong)}, doubles {len(self.doubles)}, unacknowledged in the "
            f"database {self.extra}, stored replies differing {len(self.stored_replies_differ)}"
        )


def check_tickets(hub: Hub, ledger: Ledger) -> Findings:
    """Every acknowledged ticket in the database with its number; no number twice a day."""
    with hub.sessions() as session:
        rows = {
            row.id: row
            for row in session.execute(
                select(
                    QueueTicket.id,
                    QueueTicket.number,
                    QueueTicket.project_id,
                    QueueTicket.origin_project_id,
                    QueueTicket.service_day,
                )
            )
        }
        stored = {
            uuid.UUID(row.request_id): row.reply
            for row in session.scalars(
                select(DeviceRequest).where(DeviceRequest.kind == "issue_ticket")
            )
        }
    with ledger.lock:
        tickets = list(ledger.tickets)
        replies = dict(ledger.replies)
    lost, wrong = [], []
    for ticket in tickets:
        row = rows.get(ticket.id)
        if row is None:
            lost.append(ticket)
        elif (row.number, row.origin_project_id) != (ticket.number, ticket.service_id):
            wrong.append((ticket, f"database: {row.number} of service {row.origin_project_id}"))
    doubles = [
        f"ticket id {ticket_id} acknowledged {n} times"
        for ticket_id, n in Counter(t.id for t in tickets).items()
        if n > 1
    ]
    doubles += [
        f"number {number} of service {service} on {day} given {n} times"
        for (service, day, number), n in Counter(
            (r.origin_project_id, r.service_day, r.number) for r in rows.values()
        ).items()
        if n > 1
    ]
    differ = []
    for request_id, reply in replies.items():
        remembered = stored.get(request_id)
        if remembered is None:
            differ.append(f"{request_id}: answered but not remembered")
        elif KioskReply.model_validate_json(json.dumps(remembered)) != reply:
            differ.append(f"{request_id}: told {reply!r}, remembered {remembered!r}")
    return Findings(
        acknowledged=len(tickets),
        found=len(tickets) - len(lost),
        lost=lost,
        wrong=wrong,
        doubles=doubles,
        extra=len(set(rows) - {t.id for t in tickets}),
        stored_replies_differ=differ,
    )


def replay(
    kiosks: Sequence[DeviceClient], ledger: Ledger, request_ids: Sequence[uuid.UUID]
) -> list[str]:
    """Send answered requests again (same request_id); the replies that differ from the first."""
    differ: list[str] = []
    lock = threading.Lock()
    by_kiosk: dict[str, list[uuid.UUID]] = {k.device: [] for k in kiosks}
    for request_id in request_ids:  # each from the kiosk that sent it first
        by_kiosk[ledger.senders[request_id]].append(request_id)

    def send(kiosk: DeviceClient) -> None:
        for request_id in by_kiosk[kiosk.device]:
            first = ledger.replies[request_id]
            again = persist(kiosk, ledger.requests[request_id], Ledger())
            if again != first:
                with lock:
                    differ.append(f"{request_id}: first {first!r}, again {again!r}")

    threads = [threading.Thread(target=send, args=(k,), daemon=True) for k in kiosks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GIVE_UP + 30)
    return differ


def board_agrees(hub: Hub, latest: Callable[[], Any]) -> bool:
    """Whether the newest board a display holds counts the waiting tickets as the database."""
    board = latest()
    if board is None:
        return False
    with hub.sessions() as session:
        return dict(board.waiting) == waiting_counts(session)
