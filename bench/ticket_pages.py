"""How many open live ticket pages one hub serves with updates within a second: prints figures.

    .venv/bin/python -m bench.ticket_pages [--pages 100 250 500 1000] [--seconds 20]

A hub's web app (one uvicorn worker, SQLite in WAL mode, as on a Pi) runs in a child process;
this process issues tickets through the queue services (each gets its page's token, as at a
kiosk) and opens that many pages, each polling ``/t/{token}/state`` every two seconds as the
page's script does. Meanwhile an operator serves a visitor every two seconds, so places move.
For each count it prints the polls' latency (p50 / p95 / max), the share answered within a
second, how long after a change the slowest page showed it (a poll period at most, plus the
answer's latency), and the hub's resident memory (VmRSS) before and with the pages open.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from hub.bootstrap import build_hub, prepare_database
from hub.config import Settings
from hub.db.base import utcnow
from hub.db.engine import transaction
from hub.db.models import Project, ProjectMember, User
from hub.db.models.queue import QueueOperator
from hub.services.access import rights
from hub.services.queue import assign, operators
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.core import QueueContext
from tests.pg import free_port

POLL = 2.0
SERVER = (
    "import sys, uvicorn\n"
    "from hub.api.app import create_app\n"
    "from hub.bootstrap import build_hub\n"
    "from hub.config import Settings\n"
    "settings = Settings(data_dir=sys.argv[1], https=False)\n"
    "uvicorn.run(create_app(build_hub(settings)), host='127.0.0.1', port=int(sys.argv[2]),\n"
    "            log_level='warning', access_log=False)\n"
)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Office:
    """The hub's database seen from the bench: one service, one operator, tickets."""

    def __init__(self, folder: Path) -> None:
        self.settings = Settings(data_dir=folder, https=False, admin_password="bench-admin-1")
        self.hub = build_hub(self.settings)
        prepare_database(self.hub)
        with transaction(self.hub.sessions) as session:
            project = Project(number="B1", name="Bench", uses_queue=True)
            session.add(project)
            session.flush()
            admin = session.scalar(select(User).where(User.username == "admin"))
            assert admin is not None
            session.add(ProjectMember(project_id=project.id, user_id=admin.id))
            self.service, self.user = project.id, admin.id

    def ctx(self) -> QueueContext:
        return QueueContext(now=utcnow(), tz=self.settings.tz, visitor_url="http://127.0.0.1")

    def issue(self, count: int) -> list[str]:
        tokens = []
        for _ in range(count):
            with transaction(self.hub.sessions) as session:
                result = queue_tickets.issue_ticket(session, self.ctx(), service_id=self.service)
                assert result.page_token is not None
                tokens.append(result.page_token)
        return tokens

    def serve_next(self) -> None:
        """The operator finishes the visitor in hand (if any) and takes the next one."""
        with transaction(self.hub.sessions) as session:
            person = rights.person(session, self.user)
            assert person is not None
            profile = person.profile
            held = session.get(QueueOperator, self.user)
            if held is not None and held.ticket_id is not None:
                operators.done(session, self.ctx(), profile=profile, ticket_id=held.ticket_id)
            assign.free(session, self.ctx(), profile=profile, window="1")


async def _page(
    client: httpx.AsyncClient,
    token: str,
    until: float,
    latencies: list[float],
    seen: dict[str, tuple[float, object]],
) -> None:
    await asyncio.sleep(POLL * (hash(token) % 1000) / 1000)  # pages opened at different times
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            reply = await client.get(f"/t/{token}/state")
            ok = reply.status_code == 200
        except httpx.HTTPError:
            ok = False
        done = time.monotonic()
        latencies.append(done - started if ok else float("inf"))
        if ok:
            place = reply.json()["place"]
            if seen.get(token, (0.0, None))[1] != place:
                seen[token] = (done, place)
        await asyncio.sleep(max(0.0, POLL - (time.monotonic() - started)))


async def _run(base: str, tokens: list[str], seconds: float, office: Office) -> dict[str, float]:
    latencies: list[float] = []
    seen: dict[str, tuple[float, object]] = {}
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        until = time.monotonic() + seconds
        pages = [
            asyncio.create_task(_page(client, token, until, latencies, seen)) for token in tokens
        ]
        lags: list[float] = []
        missed = 0
        await asyncio.sleep(POLL * 2)
        while time.monotonic() < until - POLL * 2:
            changed = time.monotonic()
            await asyncio.to_thread(office.serve_next)
            await asyncio.sleep(POLL * 1.5)
            # Every page still waiting sees its place move: how long after the change.
            moved = [at - changed for at, _place in seen.values()]
            lags.append(max(moved))
            missed += sum(1 for lag in moved if lag < 0)
        await asyncio.gather(*pages)
    ordered = sorted(latencies)
    within = sum(1 for value in ordered if value <= 1.0) / max(1, len(ordered))
    return {
        "polls": len(ordered),
        "p50": statistics.median(ordered) * 1000,
        "p95": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "max": ordered[-1] * 1000,
        "within": within * 100,
        "lag": max(lags) if lags else float("nan"),
        "missed": missed,
    }


def main() -> None:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, nargs="+", default=[100, 250, 500, 1000])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    for count in args.pages:
        with tempfile.TemporaryDirectory(prefix="cherga-bench-") as folder:
            office = Office(Path(folder))
            tokens = office.issue(count + 60)
            port = free_port()
            env = {**os.environ, "CHERGA_PASSWORD_HASH_MEMORY_KIB": "1024"}
            server = subprocess.Popen([sys.executable, "-c", SERVER, folder, str(port)], env=env)
            try:
                base = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    assert time.monotonic() < deadline, "the hub did not start"
                    time.sleep(0.2)
                idle = _rss_mib(server.pid)
                # The first 60 are served during the run; the pages follow the others.
                figures = asyncio.run(_run(base, tokens[60:], args.seconds, office))
                busy = _rss_mib(server.pid)
            finally:
                server.terminate()
                server.wait(timeout=30)
                office.hub.close()
        print(
            f"{count:5d} pages: {figures['polls']:6.0f} polls, "
            f"p50 {figures['p50']:6.1f} ms, p95 {figures['p95']:7.1f} ms, "
            f"max {figures['max']:7.1f} ms, within 1 s {figures['within']:5.1f} %, "
            f"a change shown on every page within {figures['lag']:.2f} s "
            f"({figures['missed']:.0f} pages missed one); "
            f"hub RSS {idle:.0f} MiB idle, {busy:.0f} MiB with the pages"
        )


if __name__ == "__main__":
    main()
