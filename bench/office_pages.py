"""The back-office's registries at the sizes of ``bench.registries``: prints figures only.

    .venv/bin/python -m bench.office_pages [--scale 1.0] [--runs 40] [--only sqlite|postgres]

On SQLite and PostgreSQL (a private server started for the run, as ``bench.registries`` does).
The database is filled by ``bench.fill`` (at scale 1: 1,000,000 events, 200,000 tasks, 50,000
clients, 100,000 contact persons, 200,000 settlement documents); then each page is asked through
the real application in process (routing, the session cookie, rights, the queries, the template)
as the administrator, and p50 / p95 / max of ``--runs`` requests are printed.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from bench.fill import Sizes
from bench.registries import PASSWORD, add_options, on_each_database, scaled_sizes


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


def _log_in(client: TestClient) -> None:
    page = client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    client.post(
        "/console/login",
        data={"csrf": token.group(1), "username": "admin", "password": PASSWORD},
    )


def _next_page(client: TestClient, path: str) -> str:
    """The registry's second page, as its "next" link gives it ("" when there is one page)."""
    found = re.search(r'<a href="([^"]+)" id="next-page"', client.get(path).text)
    return found.group(1).replace("&amp;", "&") if found else ""


def _pages(client: TestClient, sizes: Sizes, runs: int) -> None:
    rng = random.Random(7)
    n = sizes.clients
    print(f"== clients, one page of 50, {runs} requests each", flush=True)
    _time(client, "registry, first page", runs, lambda: "/office/clients")
    deep = _next_page(client, "/office/clients")
    if deep:
        _time(client, "registry, next page", runs, lambda: deep)
    _time(
        client,
        "registry searched by name",
        runs,
        lambda: f"/office/clients?q={rng.randrange(100, 999)}",
    )
    _time(client, "tree, top level", runs, lambda: "/office/clients?view=tree")
    _time(client, "contact persons", runs, lambda: "/office/clients?view=contacts")
    _time(
        client,
        "client card (a quarter)",
        runs,
        lambda: f"/office/clients/{rng.randrange(1, n + 1)}?from=2025-01-01&to=2025-03-31",
    )
    _time(client, "birthdays", runs, lambda: "/office/clients/birthdays")
    print(f"== events, one page, {runs} requests each", flush=True)
    _time(client, "registry, all projects", runs, lambda: "/office/events")
    deep = _next_page(client, "/office/events")
    if deep:
        _time(client, "registry, next page", runs, lambda: deep)
    _time(
        client,
        "registry, one project",
        runs,
        lambda: f"/office/events?project={rng.randrange(1, sizes.projects + 1)}",
    )
    _time(client, "registry, no project", runs, lambda: "/office/events?project=none")
    _time(client, "by phone number", runs, lambda: "/office/events?view=phone")
    _time(client, "missed calls", runs, lambda: "/office/events?view=missed")
    _time(client, "answered calls", runs, lambda: "/office/events?view=answered")
    _time(
        client,
        "a period of a month",
        runs,
        lambda: "/office/events?from=2025-03-01&to=2025-03-31",
    )
    _time(client, "archive", runs, lambda: "/office/events/archive")
    _time(
        client,
        "event card",
        runs,
        lambda: f"/office/events/{rng.randrange(1, sizes.events + 1)}",
    )


def _office(client: TestClient, _hub: Any, sizes: Sizes, runs: int) -> None:
    _log_in(client)
    _pages(client, sizes, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_options(parser)
    args = parser.parse_args()
    sizes = scaled_sizes(args.scale)
    print(
        f"sizes: {sizes.events:,} events, {sizes.tasks:,} tasks, {sizes.clients:,} clients, "
        f"{sizes.documents:,} documents",
        flush=True,
    )
    on_each_database(args, sizes, _office)


if __name__ == "__main__":
    main()
