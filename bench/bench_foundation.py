"""Benchmarks of the hub's foundation; prints figures, asserts nothing.

    .venv/bin/python -m bench.bench_foundation [--seconds N]

- numbering: numbers per second taken by 1 and 8 threads, each number in its own transaction,
  on SQLite (WAL) and PostgreSQL (a throwaway server started here, as in the tests);
- HTTP: a real `cherga hub` process on SQLite; sequential keep-alive requests from one client:
  GET /api/v1/event-types and PATCH /api/v1/parameters (a commit each), requests per second and
  latency percentiles.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from hub.bootstrap import build_hub, prepare_database
from hub.config import Settings
from hub.db.engine import transaction
from hub.services.settings.numbering import next_number
from tests.pg import find_pg_bin, free_port, start_postgres

DAY = date(2026, 11, 28)


def _settings(url: str, folder: Path) -> Settings:
    return Settings(
        database_url=url,
        data_dir=folder,
        admin_password="bench-password-1",  # type: ignore[arg-type]
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
    )


def bench_numbering(url: str, folder: Path, threads: int, seconds: float) -> float:
    """Numbers per second with ``threads`` threads for ``seconds``."""
    hub = build_hub(_settings(url, folder))
    prepare_database(hub, announce=lambda _password: None)
    stop = time.monotonic() + seconds
    counts = [0] * threads

    def work(index: int) -> None:
        while time.monotonic() < stop:
            with transaction(hub.sessions) as session:
                next_number(session, doc_type="event", on=DAY)
            counts[index] += 1

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    hub.close()
    return sum(counts) / elapsed


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"


def bench_http(folder: Path, seconds: float) -> None:
    """Requests per second against a real hub process."""
    port = free_port()
    # Plain HTTP, as behind a proxy that ends TLS: the figures stay comparable with earlier runs.
    env = {**os.environ, "CHERGA_ADMIN_PASSWORD": "bench-password-1", "CHERGA_HTTPS": "false"}
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "hub", "--data-dir", str(folder), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("hub did not start")
                time.sleep(0.2)
            token = client.post(
                "/api/v1/auth/token", data={"username": "admin", "password": "bench-password-1"}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for label, call in (
                (
                    "GET  /api/v1/event-types",
                    lambda: client.get("/api/v1/event-types", headers=headers),
                ),
                (
                    "PATCH /api/v1/parameters",
                    lambda: client.patch(
                        "/api/v1/parameters",
                        headers=headers,
                        json={"telephony_min_number_length": 3},
                    ),
                ),
            ):
                samples: list[float] = []
                stop = time.monotonic() + seconds
                while time.monotonic() < stop:
                    start = time.perf_counter()
                    reply = call()
                    samples.append(time.perf_counter() - start)
                    reply.raise_for_status()
                rate = len(samples) / sum(samples)
                print(f"http sqlite  {label}: {rate:7.0f} req/s  ({_percentiles(samples)})")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cherga-bench-") as scratch:
        folder = Path(scratch)
        for threads in (1, 8):
            url = f"sqlite:///{folder}/numbering-{threads}.db"
            rate = bench_numbering(url, folder, threads, args.seconds)
            print(f"numbering sqlite   {threads} thread(s): {rate:7.0f} numbers/s")
        bin_dir = find_pg_bin()
        if bin_dir is None:
            print("numbering postgres: skipped (no PostgreSQL server binaries)")
        else:
            server = start_postgres(bin_dir)
            try:
                admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
                for threads in (1, 8):
                    with admin.connect() as connection:
                        connection.execute(text(f"CREATE DATABASE bench_{threads}"))
                    rate = bench_numbering(
                        server.url(f"bench_{threads}"), folder, threads, args.seconds
                    )
                    print(f"numbering postgres {threads} thread(s): {rate:7.0f} numbers/s")
                admin.dispose()
            finally:
                server.stop()
        bench_http(folder / "http", args.seconds)


if __name__ == "__main__":
    main()
