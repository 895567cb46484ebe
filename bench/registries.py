"""Registry benchmarks on a large CRM; prints figures, asserts nothing.

    .venv/bin/python -m bench.registries [--scale 1.0] [--runs 40] [--only sqlite|postgres]

The database is filled by ``bench.fill`` (at scale 1: a million events, 200,000 tasks, 50,000
clients with 100,000 contact persons and 200,000 settlement documents), then each registry page
is asked through the real HTTP application (FastAPI's in-process client: routing, validation,
access checks, the queries and the JSON, without a network hop) as an administrator:

- events: first page by project and one month; page 20 of the same (by cursor); first page of
  the whole registry; by phone number; missed calls;
- tasks: an executor's month calendar; the registry by executor and month;
- clients: balances for a quarter (first page, page 20), the standard registry searched by name.

Each figure is the p50 / p95 / max time of one page of 50 over ``--runs`` requests with varied
parameters (projects, months, executors). The target is p95 < 50 ms. PostgreSQL runs on a
throwaway server started here (as in the tests), analysed after the fill.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from bench.fill import Sizes, fill, reset_sequences
from hub.api.app import create_app
from hub.bootstrap import build_hub, prepare_database
from hub.config import Settings
from tests.pg import find_pg_bin, start_postgres

PASSWORD = "bench-password-1"
TARGET_MS = 50.0
PAGE = 50


def _settings(url: str, folder: Path) -> Settings:
    return Settings(
        database_url=url,
        data_dir=folder,
        admin_password=PASSWORD,
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
        log_level="WARNING",
    )


def _month(rng: random.Random) -> tuple[date, date]:
    first = date(2024 + rng.randrange(3), 1 + rng.randrange(12), 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _line(label: str, samples: list[float], rows: list[int]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)] * 1000
    mark = "ok" if p95 < TARGET_MS else "OVER TARGET"
    return (
        f"  {label:<44} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {ordered[-1] * 1000:6.1f} ms"
        f"  {mark}  ({statistics.mean(rows):.0f} rows per page on average)"
    )


class Runner:
    """Times GET requests of one registry with parameters drawn for each run."""

    def __init__(self, client: TestClient, headers: dict[str, str], runs: int) -> None:
        self.client = client
        self.headers = headers
        self.runs = runs

    @staticmethod
    def rows(body: dict[str, Any]) -> int:
        """How many rows a page holds (a calendar's are its tasks)."""
        for key in ("items", "tasks"):
            if isinstance(body.get(key), list):
                return len(body[key])
        return 0

    def get(self, path: str, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        reply = self.client.get(path, params=params, headers=self.headers)
        elapsed = time.perf_counter() - started
        if reply.status_code != 200:
            raise RuntimeError(f"{path} {params}: {reply.status_code} {reply.text[:300]}")
        body: dict[str, Any] = reply.json()
        return elapsed, body

    def first_page(self, label: str, path: str, draw: Callable[[], dict[str, Any]]) -> None:
        self.get(path, draw())  # warm the caches once
        replies = [self.get(path, draw()) for _ in range(self.runs)]
        samples = [elapsed for elapsed, _ in replies]
        print(_line(label, samples, [self.rows(body) for _, body in replies]), flush=True)

    def deep_page(
        self, label: str, path: str, draw: Callable[[], dict[str, Any]], depth: int = 20
    ) -> None:
        """Time the page ``depth`` reached by following the cursors (the earlier pages untimed)."""
        samples: list[float] = []
        rows: list[int] = []
        attempts = 0
        while len(samples) < max(self.runs // 4, 5) and attempts < self.runs * 4:
            attempts += 1
            params = draw()
            _, body = self.get(path, params)
            for _ in range(depth - 1):
                if not body.get("next_cursor"):
                    break
                elapsed, body = self.get(path, {**params, "cursor": body["next_cursor"]})
            else:
                samples.append(elapsed)
                rows.append(self.rows(body))
        if samples:
            print(_line(f"{label} (page {depth})", samples, rows), flush=True)
        else:
            print(f"  {label}: no filter gave {depth} pages", flush=True)


def run_registries(runner: Runner, sizes: Sizes, phones: list[str], seed: int = 7) -> None:
    rng = random.Random(seed)

    def project_month() -> dict[str, Any]:
        first, last = _month(rng)
        return {
            "project": str(rng.randrange(1, sizes.projects + 1)),
            "from": f"{first}T00:00:00+00:00",
            "to": f"{last}T23:59:59+00:00",
            "limit": PAGE,
        }

    def project_quarter() -> dict[str, Any]:
        first, _ = _month(rng)
        last = first + timedelta(days=91)
        return {
            "project": str(rng.randrange(1, sizes.projects + 1)),
            "from": f"{first}T00:00:00+00:00",
            "to": f"{last}T00:00:00+00:00",
            "limit": PAGE,
        }

    print("events", flush=True)
    runner.first_page("by project and month, first page", "/api/v1/events", project_month)
    runner.deep_page("by project and quarter", "/api/v1/events", project_quarter, depth=10)
    runner.first_page("whole registry, first page", "/api/v1/events", lambda: {"limit": PAGE})
    runner.deep_page("whole registry", "/api/v1/events", lambda: {"limit": PAGE})
    runner.first_page(
        "by phone number (one that called)",
        "/api/v1/events",
        lambda: {"phone": rng.choice(phones), "limit": PAGE},
    )
    runner.first_page("missed calls, first page", "/api/v1/events/missed", lambda: {"limit": PAGE})
    runner.first_page(
        "missed calls by month",
        "/api/v1/events/missed",
        lambda: project_month() | {"project": "all"},
    )

    def executor_month() -> dict[str, Any]:
        first, _ = _month(rng)
        return {"view": "month", "date": str(first), "executor": rng.randrange(2, sizes.users + 2)}

    def executor_registry() -> dict[str, Any]:
        first, last = _month(rng)
        return {
            "executor": rng.randrange(2, sizes.users + 2),
            "from": f"{first}T00:00:00+00:00",
            "to": f"{last}T23:59:59+00:00",
            "limit": PAGE,
        }

    print("tasks", flush=True)
    runner.first_page("executor's month calendar", "/api/v1/tasks/calendar", executor_month)
    runner.first_page("registry by executor and month", "/api/v1/tasks", executor_registry)

    def quarter() -> dict[str, Any]:
        start = date(2024 + rng.randrange(3), 1 + 3 * rng.randrange(4), 1)
        end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
        return {"date_from": str(start), "date_to": str(end), "limit": PAGE}

    print("clients", flush=True)
    runner.first_page("balances for a quarter, first page", "/api/v1/clients/balances", quarter)
    runner.deep_page("balances for a quarter", "/api/v1/clients/balances", quarter)
    runner.first_page(
        "standard registry searched by name",
        "/api/v1/clients",
        lambda: {"q": f"{rng.randrange(100, 999)}", "limit": PAGE},
    )


def scaled_sizes(scale: float) -> Sizes:
    """``bench.fill``'s full sizes times ``scale`` (at least 100 clients)."""
    full = Sizes()
    return replace(
        full,
        events=int(full.events * scale),
        tasks=int(full.tasks * scale),
        clients=max(int(full.clients * scale), 100),
        documents=int(full.documents * scale),
    )


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options every database bench takes."""
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--only", choices=("sqlite", "postgres"))


Work = Callable[[TestClient, Any, Sizes, int], None]


def _filled(label: str, url: str, folder: Path, sizes: Sizes, runs: int, work: Work) -> None:
    """Fill one database at ``sizes``, analyse it and run ``work(client, hub, sizes, runs)``."""
    hub = build_hub(_settings(url, folder))
    try:
        prepare_database(hub, announce=lambda _password: None)
        started = time.monotonic()
        print(f"== {label}: filling", flush=True)
        fill(hub.engine, sizes, say=lambda line: print(line, flush=True))
        reset_sequences(hub.engine)
        with hub.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        print(f"   filled and analysed in {time.monotonic() - started:.0f} s", flush=True)
        with TestClient(create_app(hub)) as client:
            work(client, hub, sizes, runs)
    finally:
        hub.close()


def for_each_database(only: str | None, run: Callable[[str, str, Path], None]) -> None:
    """``run(label, url, folder)`` on a SQLite file and on the empty database of a throwaway
    PostgreSQL server (or on ``only`` one of them), each with a scratch folder of its own."""
    with tempfile.TemporaryDirectory(prefix="cherga-bench-") as scratch:
        folder = Path(scratch)
        if only in (None, "sqlite"):
            run("sqlite", f"sqlite:///{folder}/bench.db", folder / "s")
        if only in (None, "postgres"):
            bin_dir = find_pg_bin()
            if bin_dir is None:
                print("postgres: skipped (no PostgreSQL server binaries)")
                return
            server = start_postgres(bin_dir)
            try:
                admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    connection.execute(text("CREATE DATABASE bench"))
                admin.dispose()
                run("postgres", server.url("bench"), folder / "p")
            finally:
                server.stop()


def on_each_database(args: argparse.Namespace, sizes: Sizes, work: Work) -> None:
    """Run ``work`` on a filled SQLite file and on a throwaway PostgreSQL server (or ``--only``)."""
    for_each_database(
        args.only,
        lambda label, url, folder: _filled(label, url, folder, sizes, args.runs, work),
    )


def _registries(client: TestClient, hub: Any, sizes: Sizes, runs: int) -> None:
    reply = client.post("/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
    if reply.status_code != 200:
        raise RuntimeError(f"login failed: {reply.text}")
    headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    print(f"== one page of {PAGE}, {runs} requests each", flush=True)
    with hub.engine.connect() as connection:
        phones = list(
            connection.execute(
                text("SELECT phone FROM events WHERE phone IS NOT NULL ORDER BY id LIMIT 500")
            ).scalars()
        )
    run_registries(Runner(client, headers, runs), sizes, phones)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_options(parser)
    args = parser.parse_args()
    sizes = scaled_sizes(args.scale)
    print(
        f"sizes: {sizes.events:,} events, {sizes.tasks:,} tasks, {sizes.clients:,} clients, "
        f"{sizes.documents:,} documents, {sizes.users} users, {sizes.projects} projects",
        flush=True,
    )
    on_each_database(args, sizes, _registries)


if __name__ == "__main__":
    main()
