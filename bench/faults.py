"""The queue under faults, the long versions of tests/test_fault_kills.py; asserts nothing.

    .venv/bin/python bench/faults.py [--quick] [--kills 100] [--free-rounds 1000]
                                     [--backends sqlite,postgres,postgres-2] [--seed 7]

1. kills: a real ``cherga hub`` on a fresh database and a Mosquitto of its own (CHERGA_MQTT_URL,
   so the devices keep their broker), 3 kiosks over MQTT and 2 REST clients taking tickets back
   to back; the hub SIGKILLed --kills times at a random moment once it serves, and started again
   on the same database. A kiosk sends an unanswered request again with the same request_id.
   Then: tickets acknowledged (an ok reply, a 201), found in the database with their number,
   lost, numbers given twice, retried requests, and their replies sent once more compared.
2. free rounds: 50 operators logged in at 50 panels (real DeviceClients on the hub's broker);
   each round a kiosk takes 20 tickets, the 50 press Free at the same moment, those given a
   visitor press Finish, and all go on a break. Counted: a ticket given to two operators (in the
   replies, or refused at Finish), tickets lost (not given to anyone, or not called by the
   operator who was told so in the database). On SQLite (one hub, 4 request workers racing), on
   PostgreSQL (one hub) and with two hub processes on one PostgreSQL (``postgres-2``: a second
   ``cherga hub`` sharing the requests through the broker's shared subscription).

PostgreSQL is started here as tests/pg.py does (the server binaries must be installed).
"""

# ruff: noqa: E402

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == _ROOT / "bench":
    sys.path[0] = str(_ROOT)

import argparse
import os
import random
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from types import SimpleNamespace
from typing import cast

from sqlalchemy import func, select

from hub.bootstrap import Hub, build_hub, prepare_database
from hub.db.models import Task
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.protocol.client import DeviceClient
from hub.protocol.messages import Finish, IssueTicket, KioskReply, PanelReply, SetStatus
from tests.conftest import make_settings, new_postgres_database
from tests.coordinator_site import DeviceSpec, HubProcess, running_site
from tests.fault_site import (
    Ledger,
    TicketLoad,
    check_tickets,
    hub_env,
    kill_rounds,
    kiosk_client,
    replay,
    retrying,
    start_site_broker,
    wait_for_progress,
)
from tests.pg import PostgresServer, find_pg_bin, free_port, start_postgres
from tests.test_coordinator import PASSWORD, Site, login, make_service, register, use_statuses
from tests.test_coordinator_concurrency import _press_free_at_once

OPERATORS, TICKETS = 50, 20


def database(kind: str, folder: Path, pg: Callable[[], PostgresServer]) -> str:
    """A new empty database of ``kind`` (migrated later, as on a first start)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'cherga.db'}"
    return new_postgres_database(pg())


# ---- 1. the hub SIGKILLed during a burst of tickets --------------------------------------------


def kills(url: str, folder: Path, rounds: int, seed: int) -> None:
    hub = build_hub(make_settings(url, folder))
    rng = random.Random(seed)
    processes: list[HubProcess] = []
    clients: list[DeviceClient] = []
    load: TicketLoad | None = None
    broker = None
    started = time.monotonic()
    try:
        prepare_database(hub, announce=lambda _message: None)
        specs: list[DeviceSpec] = [("kiosk", f"kiosk-{n}", {}) for n in (1, 2, 3)]
        passwords = register(hub, specs)
        service = make_service(cast(Site, SimpleNamespace(hub=hub)), "Паспорти", ["olena"])
        broker = start_site_broker(hub, folder / "broker")
        kiosks = [kiosk_client(broker, d, passwords[d].password) for _, d, _ in specs]
        clients += kiosks
        for client in kiosks:
            client.start(wait=30)
        http_port = free_port()
        env = hub_env(
            database_url=url, data_dir=folder / "hub", http_port=http_port, mqtt_port=broker.port
        )

        def start_hub() -> HubProcess:
            process = HubProcess(env, http_port, folder / f"hub-{len(processes) + 1}.log")
            processes.append(process)
            return process

        def report(index: int, pause: float) -> None:
            if (index + 1) % 10 == 0 or index + 1 == rounds:
                print(f"    {index + 1} kills, {ledger.count()} tickets acknowledged so far")

        ledger = Ledger()
        load = TicketLoad(
            ledger,
            service,
            kiosks,
            rest_url=f"http://127.0.0.1:{http_port}",
            rest_clients=2,
            username="olena",
            password=PASSWORD,
        )
        load.start()
        kill_rounds(start_hub, ledger, rounds, rng, report=report)
        last = start_hub()
        last.wait_healthy()
        wait_for_progress(ledger, 10, last)
        load.stop()
        found = check_tickets(hub, ledger)
        retried = ledger.retried()
        differ = replay(kiosks, ledger, retried)
        via = Counter(t.via for t in ledger.tickets)
        print(f"  SIGKILLs                      {rounds} in {time.monotonic() - started:.0f} s")
        print(
            f"  acknowledged                  {found.acknowledged} "
            f"(MQTT {via['mqtt']}, REST {via['rest']})"
        )
        print(f"  found with their number       {found.found}")
        print(f"  lost                          {len(found.lost)}  {found.lost[:3]}")
        print(f"  wrong number or service       {len(found.wrong)}  {found.wrong[:3]}")
        print(f"  numbers given twice           {len(found.doubles)}  {found.doubles[:3]}")
        print(f"  kiosk requests sent again     {len(retried)} (same request_id)")
        print(f"    their replies sent once more and different: {len(differ)}  {differ[:2]}")
        print(f"  stored replies differing      {len(found.stored_replies_differ)}")
        print(f"  never answered (kiosk)        {len(ledger.unanswered)}")
        print(
            f"  REST requests cut off         {ledger.rest_unanswered}; tickets in the database"
            f" nobody was told of: {found.extra}"
        )
        if ledger.refused or ledger.errors:
            print(f"  refused {ledger.refused[:3]}; load errors {ledger.errors[:3]}")
    finally:
        if load is not None:
            load.abandon()
        for client in clients:
            client.close()
        for process in processes:
            process.stop()
        if broker is not None:
            broker.stop()
        hub.close()


# ---- 2. rounds of 50 simultaneous Frees ----------------------------------------------------------


SPECS: list[DeviceSpec] = [
    ("kiosk", "kiosk-1", {}),
    *(("panel", f"panel-{n}", {"window": n}) for n in range(1, OPERATORS + 1)),
]


@contextmanager
def second_hub(site: Site, url: str, folder: Path) -> Iterator[HubProcess]:
    """Another ``cherga hub`` process on the same database and broker."""
    http_port = free_port()
    env = hub_env(database_url=url, data_dir=folder / "hub-2", http_port=http_port, mqtt_port=0)
    env["CHERGA_MQTT_URL"] = site.broker.endpoint.url
    process = HubProcess(env, http_port, folder / "hub-2.log")
    try:
        process.wait_healthy()
        yield process
    finally:
        process.stop()


def free_rounds(url: str, folder: Path, rounds: int, hubs: int) -> None:
    hub = build_hub(make_settings(url, folder))
    try:
        shards = 4 if hub.engine.dialect.name == "sqlite" else None
        with running_site(hub, SPECS, shards=shards) as (site, _), ExitStack() as stack:
            if hubs == 2:
                stack.enter_context(second_hub(site, url, folder))
            run_free_rounds(site, rounds)
    finally:
        hub.close()


def run_free_rounds(site: Site, rounds: int) -> None:
    names = [f"op{n:02d}" for n in range(1, OPERATORS + 1)]
    service = make_service(site, "Паспорти", names)
    use_statuses(site, *names)  # each round ends with everyone on a break
    kiosk = site.device("kiosk-1", "kiosk")
    panels = [site.device(f"panel-{n}", "panel") for n in range(1, OPERATORS + 1)]
    for panel, name in zip(panels, names, strict=True):
        login(panel, name)
    totals: Counter[str] = Counter()
    spent: list[float] = []
    started = time.monotonic()
    for index in range(rounds):
        issued = []
        for _ in range(TICKETS):
            reply = retrying(
                kiosk, IssueTicket(request_id=uuid.uuid4(), service_id=service), KioskReply
            )
            if reply is None or not reply.ok or reply.ticket is None:
                totals["issue refused"] += 1
            else:
                issued.append(reply.ticket.id)
        begin = time.monotonic()
        replies = _press_free_at_once(panels)
        spent.append(time.monotonic() - begin)
        totals.update(check_round(site.hub, replies, issued))
        reset(panels, replies, totals)
        totals["tickets"] += len(issued)
        if (index + 1) % 50 == 0 or index + 1 == rounds:
            print(f"    {index + 1} rounds, {dict(totals)}")
    spent.sort()
    with site.hub.sessions() as session:
        states = Counter(session.scalars(select(QueueTicket.state)))
        tasks = session.scalar(select(func.count(Task.id)))
    print(f"  rounds                        {rounds} in {time.monotonic() - started:.0f} s")
    print(f"  Free presses                  {rounds * OPERATORS}, tickets {totals['tickets']}")
    print(f"  a ticket given to two         {totals['doubles']}")
    print(f"  refused at Finish             {totals['finish refused']}")
    print(f"  tickets lost                  {totals['lost']}")
    print(f"  Free refused                  {totals['free refused']}")
    print(
        f"  the 50 Frees of a round all answered within: p50 {spent[len(spent) // 2] * 1000:.0f}"
        f" ms, max {spent[-1] * 1000:.0f} ms"
    )
    print(f"  database at the end           {dict(states)}; tasks {tasks}")


def check_round(hub: Hub, replies: list[PanelReply], issued: list[int]) -> Counter[str]:
    """Doubles and lost tickets of one round, from the replies and the database."""
    found: Counter[str] = Counter()
    found["free refused"] = sum(not r.ok for r in replies)
    given = Counter(
        r.assignment.ticket.id
        for r in replies
        if r.assignment is not None and r.assignment.ticket is not None
    )
    found["doubles"] = sum(n > 1 for n in given.values())
    with hub.sessions() as session:
        rows = session.execute(
            select(QueueTicket.id, QueueTicket.state, QueueTicket.operator_id).where(
                QueueTicket.id.in_(issued)
            )
        ).all()
        holders = Counter(
            session.scalars(
                select(QueueOperator.ticket_id).where(QueueOperator.ticket_id.in_(issued))
            )
        )
    found["doubles"] += sum(n > 1 for n in holders.values())
    # Lost: not given to anyone although 30 operators got nobody, or called and held by nobody.
    found["lost"] = len(set(issued) - set(given))
    found["lost"] += sum(1 for r in rows if r.state == "called" and holders[r.id] != 1)
    return found


def reset(panels: list[DeviceClient], replies: list[PanelReply], totals: Counter[str]) -> None:
    """Those given a visitor finish; everyone goes on a break (so new tickets wait)."""
    lock = threading.Lock()

    def one(panel: DeviceClient, reply: PanelReply) -> None:
        ticket = reply.assignment.ticket if reply.assignment else None
        if ticket is not None:
            done = retrying(panel, Finish(request_id=uuid.uuid4(), ticket_id=ticket.id), PanelReply)
            if done is None or not done.ok:
                with lock:
                    totals["finish refused"] += 1
        retrying(panel, SetStatus(request_id=uuid.uuid4(), status="break"), PanelReply)

    threads = [
        threading.Thread(target=one, args=(p, r), daemon=True)
        for p, r in zip(panels, replies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)


# ---- the run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=100, help="SIGKILL rounds (0: skip)")
    parser.add_argument(
        "--kill-backends", default="sqlite", help="databases of the kill rounds: sqlite,postgres"
    )
    parser.add_argument("--free-rounds", type=int, default=1000, help="rounds of 50 Frees")
    parser.add_argument(
        "--backends",
        default="sqlite,postgres,postgres-2",
        help="databases of the Free rounds: sqlite, postgres, postgres-2 (two hub processes)",
    )
    parser.add_argument("--quick", action="store_true", help="5 kills, 10 Free rounds")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.quick:
        args.kills, args.free_rounds = min(args.kills, 5), min(args.free_rounds, 10)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"== Cherga queue under faults == ({os.cpu_count()} CPUs, load average {load})")
    started = time.monotonic()
    with ExitStack() as stack:
        server: list[PostgresServer] = []

        def pg() -> PostgresServer:
            if not server:
                bin_dir = find_pg_bin()
                if bin_dir is None:
                    raise SystemExit("PostgreSQL server binaries not found")
                server.append(start_postgres(bin_dir))
                stack.callback(server[0].stop)
            return server[0]

        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cherga-faults-")))
        if args.kills:
            for kind in args.kill_backends.split(","):
                folder = scratch / f"kills-{kind}"
                folder.mkdir()
                print(f"\n1. {args.kills} SIGKILLs of the hub during a burst of tickets ({kind})")
                kills(database(kind, folder, pg), folder, args.kills, args.seed)
        for kind in args.backends.split(",") if args.free_rounds else []:
            folder = scratch / f"free-{kind}"
            folder.mkdir()
            hubs = 2 if kind == "postgres-2" else 1
            base = "sqlite" if kind == "sqlite" else "postgres"
            what = "two hub processes on one PostgreSQL" if hubs == 2 else base
            print(f"\n2. {args.free_rounds} rounds of {OPERATORS} simultaneous Frees ({what})")
            free_rounds(database(base, folder, pg), folder, args.free_rounds, hubs)
    print(f"\n(whole run {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
