"""A simulated office day through the real hub: how long visitors wait, how honest the wait the
hub promised them was, how fair calling is (issue 20).

    .venv/bin/python -m bench.office_day [SCENARIO ...] [--seed 1] [--days 1] [--json]
                                         [--database-url URL]

SCENARIO is a file or a name in bench/scenarios/ (all of them when none is given). For each, a
fresh `cherga hub` process (its own Mosquitto, plain TCP with device passwords, loopback) starts
with a controlled clock (``bench_mode``, ``clock = "controlled"``): the simulator moves the
hub's time to each next event over the administrator's ``PUT /api/v1/bench/clock`` and acts as
the office's devices do, a kiosk (issue a ticket, check in a booking) and a panel per operator
(log in, Free, recall, start, finish, no-show, transfer, break, log out) over MQTT. Bookings are
made over the REST API before the day. The estimate judged is the one in the kiosk's reply at
issue; nothing else of the hub's estimator is read, so any estimator is measured alike.

The same visitors then go through pure first-come order in a model of the office
(``FirstComeLine``), the counterfactual for walk-ins' waits. Same seed, same figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx

from bench.devices import DeviceFleet
from bench.office_engine import DayResult, Engine, FirstComeLine, Operator, Visit, pooled
from bench.office_oracle import Oracle
from bench.office_report import figures, table
from bench.office_scenario import (
    CALLING_MODES,
    Scenario,
    Visitor,
    load,
    visitors,
    with_calling_mode,
)
from bench.queue import let_broker_in
from hub.bootstrap import bootstrap
from hub.broker.mosquitto import free_port
from hub.broker.provision import Credentials, issue_credentials
from hub.config import Settings
from hub.db.engine import transaction
from hub.db.models import DocRight, Project, ProjectMember, User
from hub.protocol import topics
from hub.protocol.base import Request
from hub.protocol.messages import (
    CheckIn,
    Finish,
    KioskReply,
    Login,
    Logout,
    NoShow,
    PanelReply,
    Recall,
    SetStatus,
    Start,
    Transfer,
)
from hub.services.devices import devices
from hub.services.settings.parameters import update_global, update_user_parameters

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
ADMIN_PASSWORD = "bench-admin-1"
OPERATOR_PASSWORD = "operator-pass-1"
WAIT = 30.0
START_S = 90.0


def _range(reply: KioskReply) -> tuple[int, int] | None:
    ticket = reply.ticket
    if ticket is None:
        return None
    low, high = ticket.estimated_wait_low_s, ticket.estimated_wait_high_s
    return None if low is None or high is None else (low, high)


class OfficeFleet(DeviceFleet):
    """The office's devices: one kiosk, a panel per operator (at window 1, 2, ...)."""

    def __init__(self, site: str, credentials: dict[str, Credentials], panels: int) -> None:
        super().__init__(site, credentials, version="bench", wait=WAIT)
        self.kiosk_client = self._client("kiosk-1", "kiosk")
        self.panels = [self._client(f"panel-{i}", "panel") for i in range(1, panels + 1)]
        self._connected()

    def check_in(self, code: str) -> KioskReply:
        """A booked visitor checks in at the kiosk."""
        device = self.kiosk_client.device
        return self.kiosk_client.request(
            topics.kiosk_req(self.site_name, device),
            topics.kiosk_reply(self.site_name, device),
            CheckIn(request_id=uuid.uuid4(), booking_code=code),
            timeout=self.wait,
            expect=KioskReply,
        )


class HubSite:
    """A hub process on a controlled clock with the scenario's services, operators and devices."""

    def __init__(self, scenario: Scenario, folder: Path, database_url: str | None) -> None:
        self.scenario = scenario
        self.folder = folder
        self.values: dict[str, Any] = {
            "data_dir": folder / "data",
            "database_url": database_url or f"sqlite:///{folder}/office.db",
            "admin_password": ADMIN_PASSWORD,
            "password_hash_memory_kib": 1024,
            "password_hash_time_cost": 1,
            "mqtt_port": free_port(),
            "mqtt_tls": False,
            "https": False,
            "port": free_port(),
            "bench_mode": True,
            "clock": "controlled",
            "timezone": scenario.tz.key,
            "log_level": "WARNING",
        }
        self.settings = Settings(**self.values)
        self.services: dict[str, int] = {}
        self.users: dict[str, int] = {}  # operator's name -> user id
        self.credentials: dict[str, Credentials] = {}

    def provision(self) -> None:
        """Services, operators (with task and event rights) and devices, before the hub starts."""
        hub = bootstrap(self.settings, announce=lambda _password: None)
        try:
            with transaction(hub.sessions) as session:
                for i, service in enumerate(self.scenario.services, start=1):
                    project = Project(
                        number=f"S{i}",
                        name=service.name,
                        uses_queue=True,
                        target_wait_s=service.target_wait_s,
                        calling_mode=service.calling_mode,
                    )
                    session.add(project)
                    session.flush()
                    self.services[service.key] = project.id
                if self.scenario.estimate_percent != 50:
                    percent = self.scenario.estimate_percent
                    update_global(session, {"queue": {"wait_estimate_percent": percent}})
                secret = hub.hasher.hash(OPERATOR_PASSWORD)
                for i, plan in enumerate(self.scenario.operators, start=1):
                    user = User(username=f"op-{i:02d}", password_hash=secret)
                    session.add(user)
                    session.flush()
                    self.users[plan.name] = user.id
                    # Breaks are a user status (SET-4): the operators work with statuses.
                    update_user_parameters(session, user.id, {"use_user_statuses": True})
                    for doc_type in ("task", "event"):
                        session.add(
                            DocRight(
                                user_id=user.id, doc_type=doc_type, can_create=True, can_change=True
                            )
                        )
                    for key in plan.services:
                        session.add(ProjectMember(project_id=self.services[key], user_id=user.id))
                wanted = [("kiosk", "kiosk-1", None)] + [
                    ("panel", f"panel-{i}", i) for i in range(1, len(self.scenario.operators) + 1)
                ]
                for role, device_id, window in wanted:
                    made = devices.add_device(
                        session,
                        role=role,
                        name=device_id,
                        site=self.settings.site,
                        device_id=device_id,
                        window=window,
                    )
                    self.credentials[device_id] = issue_credentials(
                        self.settings, session, made.device, made.mqtt_password
                    )
        finally:
            hub.close()

    @contextmanager
    def running(self) -> Iterator[httpx.Client]:
        """The hub process, up and connected to its broker; an administrator's HTTP client."""
        let_broker_in(self.settings.data_dir / "mqtt")
        env = {**os.environ}
        for key, value in self.values.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            env[f"CHERGA_{key.upper()}"] = text
        log_path = self.folder / "hub.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "hub"], env=env, stdout=log, stderr=log
            )
        try:
            base = f"http://127.0.0.1:{self.settings.port}"
            with httpx.Client(base_url=base, timeout=WAIT) as client:
                _wait_healthy(client, process, log_path)
                reply = client.post(
                    "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
                )
                reply.raise_for_status()
                client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
                yield client
        except BaseException:
            sys.stderr.write(log_path.read_text(encoding="utf-8", errors="replace")[-4000:])
            raise
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_healthy(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub stopped at start (exit {process.returncode}); log {log}")
        try:
            reply = client.get("/healthz")
            if reply.status_code == 200 and reply.json().get("broker") == "connected":
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the hub did not come up in {START_S:.0f} s; log {log}")


class HubLine:
    """The real hub as the engine's line: every step is a device's request or the clock."""

    def __init__(self, engine: Engine, site: HubSite, http: httpx.Client, fleet: OfficeFleet):
        self.engine, self.site, self.http, self.fleet = engine, site, http, fleet
        self.now: datetime | None = None
        self.visits: dict[int, Visit] = {}
        self.idle: set[str] = set()  # operators free with empty hands, as the hub knows them
        self.panel = {op.name: fleet.panels[i] for i, op in enumerate(engine.operators)}
        self.by_user = {site.users[op.name]: op for op in engine.operators}
        self._book(engine.visitors)

    def _book(self, drawn: list[Visitor]) -> None:
        """The day's bookings, made over the REST API just after midnight."""
        self.at(self.engine.scenario.at(clock_time(0, 1)))
        for visitor in drawn:
            if visitor.kind != "booking" or visitor.slot is None:
                continue
            reply = self.http.post(
                "/api/v1/queue/bookings",
                json={
                    "service_id": self.site.services[visitor.service],
                    "booked_at": visitor.slot.isoformat(),
                },
            )
            if reply.status_code != 201:
                raise RuntimeError(f"booking refused: {reply.text}")
            visitor.booking_code = reply.json()["booking_code"]

    def at(self, moment: datetime) -> None:
        if moment == self.now:
            return
        reply = self.http.put("/api/v1/bench/clock", json={"now": moment.isoformat()})
        if reply.status_code != 200:
            raise RuntimeError(f"the clock refused {moment.isoformat()}: {reply.text}")
        self.now = moment

    def _panel(self, op: Operator, request: Request) -> PanelReply:
        reply = self.fleet.panel(self.panel[op.name], request)
        if not reply.ok:
            raise RuntimeError(f"{op.name}: {type(request).__name__} refused: {reply.error}")
        return reply

    def login(self, op: Operator) -> None:
        username = f"op-{list(self.panel).index(op.name) + 1:02d}"
        login = Login(request_id=uuid.uuid4(), username=username, password=OPERATOR_PASSWORD)
        self._panel(op, login)

    def free(self, op: Operator) -> Visit | None:
        while True:
            reply = self._panel(op, SetStatus(request_id=uuid.uuid4(), status="free"))
            ticket = reply.assignment.ticket if reply.assignment is not None else None
            if ticket is None:
                self.idle.add(op.name)
                return None
            if ticket.id in self.visits:
                self.idle.discard(op.name)
                return self.visits[ticket.id]
            # A ticket of an earlier day on this hub (--history-days): a visitor sent on to a
            # service whose operators had all gone home. Nobody answers the call.
            self._panel(op, NoShow(request_id=uuid.uuid4(), ticket_id=ticket.id))

    def pause(self, op: Operator) -> None:
        self.idle.discard(op.name)
        self._panel(op, SetStatus(request_id=uuid.uuid4(), status="break"))

    def leave(self, op: Operator) -> None:
        self.idle.discard(op.name)
        self._panel(op, Logout(request_id=uuid.uuid4()))

    def _offered(self, ticket_id: int) -> Operator | None:
        """Who the hub gave a newly waiting ticket to at once (only a free operator can be)."""
        if not self.idle:
            return None
        reply = self.http.get(f"/api/v1/queue/tickets/{ticket_id}")
        reply.raise_for_status()
        row = reply.json()
        if row["state"] != "called" or row["operator_id"] is None:
            return None
        op = self.by_user[row["operator_id"]]
        self.idle.discard(op.name)
        return op

    def _arrived(self, visitor: Visitor, reply: KioskReply) -> tuple[Visit, Operator | None]:
        assert reply.ticket is not None and self.now is not None
        visit = Visit(
            visitor=visitor,
            ticket=reply.ticket.id,
            issued_at=self.now,
            estimate_s=reply.ticket.estimated_wait_s,
            service=visitor.service,
            estimate_range_s=_range(reply),
        )
        self.visits[visit.ticket] = visit
        return visit, self._offered(visit.ticket)

    def issue(self, visitor: Visitor) -> tuple[Visit, Operator | None]:
        reply = self.fleet.kiosk(self.fleet.kiosk_client, self.site.services[visitor.service])
        if not reply.ok:
            raise RuntimeError(f"ticket refused: {reply.error}")
        return self._arrived(visitor, reply)

    def check_in(self, visitor: Visitor) -> tuple[Visit, Operator | None] | None:
        assert visitor.booking_code is not None
        reply = self.fleet.check_in(visitor.booking_code)
        if not reply.ok:
            return None  # too late under the "expire" rule: the visitor goes home
        return self._arrived(visitor, reply)

    def recall(self, op: Operator, visit: Visit) -> None:
        self._panel(op, Recall(request_id=uuid.uuid4(), ticket_id=visit.ticket))

    def start(self, op: Operator, visit: Visit) -> None:
        self._panel(op, Start(request_id=uuid.uuid4(), ticket_id=visit.ticket))

    def finish(self, op: Operator, visit: Visit) -> None:
        self._panel(op, Finish(request_id=uuid.uuid4(), ticket_id=visit.ticket))

    def no_show(self, op: Operator, visit: Visit) -> None:
        self._panel(op, NoShow(request_id=uuid.uuid4(), ticket_id=visit.ticket))

    def transfer(self, op: Operator, visit: Visit, service: str) -> Operator | None:
        target = self.site.services[service]
        self._panel(
            op, Transfer(request_id=uuid.uuid4(), ticket_id=visit.ticket, target_service_id=target)
        )
        return self._offered(visit.ticket)


def history(scenario: Scenario, seed: int, days: int) -> list[tuple[Scenario, int]]:
    """The ``days`` working days (Monday to Friday) before the scenario's, oldest first, each
    with its own seed (``seed * 1000 + n``, apart from the scored days' seeds)."""
    earlier: list[tuple[Scenario, int]] = []
    day = scenario.day
    while len(earlier) < days:
        day -= timedelta(days=1)
        if day.isoweekday() <= 5:
            earlier.append((replace(scenario, day=day), seed * 1000 + len(earlier) + 1))
    return earlier[::-1]


def play(
    scenario: Scenario,
    seed: int,
    *,
    database_url: str | None = None,
    oracle_runs: int = 0,
    history_days: int = 0,
) -> tuple[DayResult, DayResult]:
    """One day of ``scenario`` through a fresh hub, and the same visitors in first-come order;
    with ``oracle_runs``, the oracle's estimate beside the hub's at each issue. With
    ``history_days``, the hub first plays that many earlier working days of the scenario (other
    seeds) on its controlled clock, so its estimator knows the office's hours, visits and
    breaks; only the last day is returned (scored)."""
    drawn = visitors(scenario, seed)
    oracle = Oracle(seed, oracle_runs) if oracle_runs else None
    with tempfile.TemporaryDirectory(prefix="cherga-office-day-") as scratch:
        site = HubSite(scenario, Path(scratch), database_url)
        site.provision()
        with site.running() as http:
            fleet = OfficeFleet(site.settings.site, site.credentials, len(scenario.operators))
            try:
                for earlier, other_seed in history(scenario, seed, history_days):
                    # A late booking checking in after closing, everyone gone, would wait
                    # until the next morning's first Free: on an earlier day, nobody comes
                    # after closing (the scored day keeps them, never called). A visitor sent
                    # on late to a line nobody serves any more is marked a no-show the next
                    # morning (HubLine.free).
                    closing = earlier.at(earlier.close)
                    come = [
                        v
                        for v in visitors(earlier, other_seed)
                        if v.arrival is None or v.arrival < closing
                    ]
                    Engine(earlier, come, lambda engine: HubLine(engine, site, http, fleet)).run()
                hub_day = Engine(
                    scenario,
                    drawn,
                    lambda engine: HubLine(engine, site, http, fleet),
                    on_issue=oracle,
                ).run()
            finally:
                fleet.close()
    return hub_day, Engine(scenario, visitors(scenario, seed), FirstComeLine).run()


def run_day(
    scenario: Scenario,
    seed: int,
    *,
    days: int = 1,
    database_url: str | None = None,
    oracle_runs: int = 0,
    history_days: int = 0,
) -> dict[str, Any]:
    """The figures of ``days`` days of ``scenario`` (seeds ``seed``, ``seed + 1``...), pooled;
    each on a fresh hub, after ``history_days`` earlier days on that hub."""
    if days > 1 and database_url is not None:
        raise ValueError("several days need a fresh database each: SQLite only")
    started = time.perf_counter()
    played = [
        play(
            scenario,
            seed + n,
            database_url=database_url,
            oracle_runs=oracle_runs,
            history_days=history_days,
        )
        for n in range(days)
    ]
    result = figures(
        scenario, pooled([hub for hub, _ in played]), pooled([fcfs for _, fcfs in played])
    )
    result["seed"], result["days"], result["history_days"] = seed, days, history_days
    result["run_s"] = round(time.perf_counter() - started, 1)
    return result


def _scenario_paths(names: list[str]) -> list[Path]:
    if not names:
        return sorted(SCENARIOS.glob("*.toml"))
    paths = []
    for name in names:
        path = Path(name)
        if not path.is_file():
            path = SCENARIOS / f"{name.removesuffix('.toml')}.toml"
        if not path.is_file():
            raise SystemExit(f"no scenario {name!r} (files in {SCENARIOS})")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", help="files or names in bench/scenarios/")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--days", type=int, default=1, help="days pooled (seeds SEED, SEED+1...; fresh hub each)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--oracle",
        type=int,
        default=0,
        metavar="RUNS",
        help="score the best estimate possible beside the hub's: RUNS forks per issue (200)",
    )
    parser.add_argument(
        "--history-days",
        type=int,
        default=0,
        metavar="N",
        help="play N earlier working days on the same hub first; score only the last",
    )
    parser.add_argument(
        "--estimate-percent",
        type=int,
        default=50,
        metavar="P",
        help="the hub's wait_estimate_percent: the wait said is the one P %% are called within",
    )
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of SQLite")
    parser.add_argument(
        "--calling-mode",
        choices=CALLING_MODES,
        help="every service calls in this order (else each scenario's calling_mode keys)",
    )
    args = parser.parse_args()
    paths = _scenario_paths(args.scenarios)
    if args.database_url and (len(paths) != 1 or args.days != 1):
        raise SystemExit("--database-url: one scenario and one day per (empty) database")
    if not 1 <= args.days <= 100:
        raise SystemExit("--days: 1 to 100")
    if not 0 <= args.oracle <= 10_000:
        raise SystemExit("--oracle: 0 (none) to 10000 forks per issue")
    if not 0 <= args.history_days <= 30:
        raise SystemExit("--history-days: 0 to 30")
    if not 50 <= args.estimate_percent <= 90:
        raise SystemExit("--estimate-percent: 50 to 90")
    results = []
    for path in paths:
        scenario = load(path)
        if args.calling_mode:
            scenario = with_calling_mode(scenario, args.calling_mode)
        scenario = replace(scenario, estimate_percent=args.estimate_percent)
        result = run_day(
            scenario,
            args.seed,
            days=args.days,
            database_url=args.database_url,
            oracle_runs=args.oracle,
            history_days=args.history_days,
        )
        results.append(result)
        if not args.json:
            seeds = f"seed {args.seed}" + (f", {args.days} days" if args.days > 1 else "")
            if args.history_days:
                seeds += f", each after {args.history_days} earlier day(s) on its hub"
            sys.stdout.write(table(result) + f"\n({seeds}, {result['run_s']} s)\n\n")
            sys.stdout.flush()
    if args.json:
        sys.stdout.write(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
