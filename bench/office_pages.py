"""The Clients section's pages at the sizes of ``bench.registries``: prints figures only.

    .venv/bin/python -m bench.office_pages [--scale 1.0] [--runs 40]

SQLite only. The clients, their contact persons and settlement documents are filled by
``bench.fill`` (at scale 1: 50,000 clients, 100,000 contacts, 200,000 documents; no events or
tasks, which the card's lists read by an index); then each page is asked through the real
application in process (routing, the session cookie, rights, the queries, the template) as the
administrator, and p50 / p95 / max of ``--runs`` requests are printed.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from bench.fill import Sizes, fill, reset_sequences
from bench.registries import PASSWORD, _settings
from hub.api.app import create_app
from hub.bootstrap import build_hub, prepare_database


def _time(client: TestClient, label: str, runs: int, path: Callable[[], str]) -> None:
    client.get(path())  # warm the caches once
    samples = []
    for _ in range(runs):
        url = path()
        started = time.perf_counter()
        reply = client.get(url)
        samples.append(time.perf_counter() - started)
        if reply.status_code != 200:
            raise RuntimeError(f"{url}: {reply.status_code}")
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)] * 1000
    print(f"  {label:<40} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {ordered[-1] * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    full = Sizes()
    sizes = replace(
        full,
        events=0,
        tasks=0,
        clients=max(int(full.clients * args.scale), 100),
        documents=int(full.documents * args.scale),
    )
    print(f"sizes: {sizes.clients:,} clients, {sizes.documents:,} documents", flush=True)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="cherga-bench-") as scratch:
        folder = Path(scratch)
        hub = build_hub(_settings(f"sqlite:///{folder}/office.db", folder / "data"))
        try:
            prepare_database(hub, announce=lambda _password: None)
            fill(hub.engine, sizes, say=lambda line: print(line, flush=True))
            reset_sequences(hub.engine)
            with hub.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
            with TestClient(create_app(hub)) as client:
                page = client.get("/console/login")
                token = re.search(r'name="csrf" value="([^"]+)"', page.text)
                assert token is not None
                client.post(
                    "/console/login",
                    data={"csrf": token.group(1), "username": "admin", "password": PASSWORD},
                )
                first = client.get("/office/clients").text
                cursor = re.search(r'id="next-page" href="[^"]*cursor=([^"&]+)', first)
                n = sizes.clients
                print(f"== one page of 50, {args.runs} requests each", flush=True)
                _time(client, "registry, first page", args.runs, lambda: "/office/clients")
                if cursor:
                    deep = f"/office/clients?cursor={cursor.group(1)}"
                    _time(client, "registry, next page", args.runs, lambda: deep)
                _time(
                    client,
                    "registry searched by name",
                    args.runs,
                    lambda: f"/office/clients?q={rng.randrange(100, 999)}",
                )
                _time(client, "tree, top level", args.runs, lambda: "/office/clients?view=tree")
                _time(client, "contact persons", args.runs, lambda: "/office/clients?view=contacts")
                _time(
                    client,
                    "client card (a quarter)",
                    args.runs,
                    lambda: (
                        f"/office/clients/{rng.randrange(1, n + 1)}?from=2025-01-01&to=2025-03-31"
                    ),
                )
                _time(client, "birthdays", args.runs, lambda: "/office/clients/birthdays")
        finally:
            hub.close()


if __name__ == "__main__":
    main()
