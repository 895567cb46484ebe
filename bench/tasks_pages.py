"""The tasks section's heaviest pages for a project of 2,000 tasks: prints figures, asserts nothing.

    .venv/bin/python -m bench.tasks_pages [--tasks 2000] [--scale 0.05] [--runs 20]
                                          [--only sqlite|postgres]

On SQLite and PostgreSQL (a private server started for the run, as ``bench.registries`` does).
The database is first filled by ``bench.fill`` at ``--scale`` (0.05: 50,000 events and 10,000
tasks around the project), then two projects of ``--tasks`` tasks each are added: "spread" over a
year (one to three days each, an executor each, chains of ten linked by dependencies, the first
months done, some overdue) and "dense", the same packed into one month (its month calendar hits
the calendar's limit of 1,000 tasks). Each page is asked through the real application in process
(routing, the session cookie, rights, the queries, the template) as the administrator; p50 / p95 /
max of ``--runs`` requests are printed with the page's size, and the Gantt chart's time is split
into its query, its layout and its drawing.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select, text

from bench.fill import Sizes, reset_sequences
from bench.registries import PASSWORD, add_options, on_each_database, scaled_sizes
from hub.db.base import utcnow
from hub.db.models import Project, Task, TaskDependency, TaskExecutor, TaskStatus, User
from hub.services.tasks.plan import task_plan
from hub.services.tasks.registry import TaskFilter
from hub.web.office import gantt

CHAIN = 10


def _log_in(client: TestClient) -> None:
    page = client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    client.post(
        "/console/login",
        data={"csrf": token.group(1), "username": "admin", "password": PASSWORD},
    )


def _line(label: str, samples: list[float], size: str = "") -> None:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)] * 1000
    print(
        f"  {label:<44} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {ordered[-1] * 1000:7.1f} ms"
        f"  {size}",
        flush=True,
    )


def _time_page(client: TestClient, label: str, path: str, runs: int) -> None:
    first = client.get(path)  # warm the caches once
    if first.status_code != 200:
        raise RuntimeError(f"{path}: {first.status_code}")
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        reply = client.get(path)
        samples.append(time.perf_counter() - started)
        if reply.status_code != 200:
            raise RuntimeError(f"{path}: {reply.status_code}")
    bars = first.text.count('class="gantt-bar"')
    chips = first.text.count('class="tsk-chip')
    counted = f"{bars} bars, " if bars else f"{chips} chips, " if chips else ""
    _line(label, samples, f"({counted}{len(first.content) / 1024:.0f} KiB)")


def _project(engine: Engine, name: str, tasks: int, start: datetime, span_days: int) -> int:
    """A project of ``tasks`` tasks from ``start`` over ``span_days``, in dependent chains."""
    rng = random.Random(name)
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    with engine.connect() as connection:
        project_id = (connection.scalar(select(Project.id).order_by(Project.id.desc())) or 0) + 1
        first_task = (connection.scalar(select(Task.id).order_by(Task.id.desc())) or 0) + 1
        users = list(connection.scalars(select(User.id).order_by(User.id).limit(60)))
        codes = dict(connection.execute(select(TaskStatus.code, TaskStatus.id)).all())
    rows: list[dict[str, Any]] = []
    executors: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    chains = max(tasks // CHAIN, 1)
    hours = (8, 24, 48, 72) if span_days > 60 else (2, 4, 8)
    for n in range(tasks):
        ident = first_task + n
        if n % CHAIN == 0:  # a chain of ten begins; each next one starts after the one before
            starts = start + timedelta(seconds=int((n // CHAIN) * span_days * 86400 / chains))
        else:
            starts = rows[n - 1]["ends_at"] + timedelta(hours=rng.randrange(0, 3))
            links.append({"task_id": ident, "depends_on_id": ident - 1})
        ends = starts + timedelta(hours=rng.choice(hours))
        done = ends < now - timedelta(days=30)
        rows.append(
            {
                "id": ident,
                "number": f"G{project_id}-{n + 1:05d}",
                "name": f"Етап {n + 1} проекту «{name}»",
                "starts_at": starts,
                "ends_at": ends,
                "status_id": codes["done" if done else "assigned"],
                "priority": "normal",
                "percent_done": 100 if done else rng.choice((0, 0, 20, 50, 80)),
                "time_spent_minutes": 0,
                "author_id": users[0],
                "project_id": project_id,
                "recurrence_interval": 1,
                "custom_fields": {},
                **stamps,
            }
        )
        executors.append(
            {
                "task_id": ident,
                "user_id": rng.choice(users),
                "status_id": codes["done" if done else "assigned"],
                "time_spent_minutes": 0,
            }
        )
    with engine.begin() as connection:
        connection.execute(
            insert(Project),
            [
                {
                    "id": project_id,
                    "number": f"G{project_id}",
                    "name": name,
                    "name_folded": name.casefold(),
                    "uses_queue": False,
                    **stamps,
                }
            ],
        )
        connection.execute(insert(Task), rows)
        connection.execute(insert(TaskExecutor), executors)
        if links:
            connection.execute(insert(TaskDependency), links)
    print(f"  project {project_id} «{name}»: {tasks} tasks, {len(links)} dependencies", flush=True)
    return project_id


def _gantt_parts(hub: Any, project_id: int, runs: int) -> None:
    """The Gantt chart's time split into the query, the layout and the drawing."""
    tz, today = hub.settings.tz, hub.today()
    parts: dict[str, list[float]] = {"query": [], "layout": [], "drawing": []}
    size = 0
    for _ in range(runs):
        now = datetime.now(UTC)
        with hub.sessions() as session:
            started = time.perf_counter()
            plan = task_plan(session, flt=TaskFilter(project=str(project_id), now=now), now=now)
        laid_at = time.perf_counter()
        laid = gantt.chart(plan, tz=tz, today=today, lang="uk")
        drawn_at = time.perf_counter()
        size = len(gantt.markup(laid, lang="uk"))
        finished = time.perf_counter()
        parts["query"].append(laid_at - started)
        parts["layout"].append(drawn_at - laid_at)
        parts["drawing"].append(finished - drawn_at)
    for name, samples in parts.items():
        extra = f"({size / 1024:.0f} KiB of SVG and HTML)" if name == "drawing" else ""
        _line(f"  Gantt chart: {name}", samples, extra)


def _pages(client: TestClient, hub: Any, _sizes: Sizes, runs: int, tasks: int) -> None:
    today = hub.today()
    year_start = datetime(today.year, 1, 1, 8, tzinfo=UTC)
    spread = _project(hub.engine, "Розподілений", tasks, year_start - timedelta(days=90), 365)
    month_start = datetime(today.year, today.month, 1, 8, tzinfo=UTC)
    dense = _project(hub.engine, "Щільний", tasks, month_start, 24)
    reset_sequences(hub.engine)
    with hub.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    _log_in(client)
    month = today.replace(day=15).isoformat()
    for label, project_id in (("spread over a year", spread), ("packed into a month", dense)):
        print(f"== a project of {tasks} tasks {label}, {runs} requests each", flush=True)
        _time_page(
            client,
            "month calendar of the project",
            f"/office/tasks/calendar?view=month&project={project_id}&date={month}",
            runs,
        )
        _time_page(
            client,
            "week calendar of the project",
            f"/office/tasks/calendar?view=week&project={project_id}&date={month}",
            runs,
        )
        _time_page(
            client, "Gantt chart of the project", f"/office/tasks/gantt?project={project_id}", runs
        )
        _gantt_parts(hub, project_id, runs)
        _time_page(
            client,
            "registry of the project, first page",
            f"/office/tasks?project={project_id}",
            runs,
        )
    print(f"== the whole database, {runs} requests each", flush=True)
    _time_page(client, "month calendar, all projects", f"/office/tasks/calendar?date={month}", runs)
    _time_page(client, "registry, all projects, first page", "/office/tasks", runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_options(parser)
    parser.add_argument("--tasks", type=int, default=2000, help="tasks of each project")
    parser.set_defaults(scale=0.05, runs=20)
    args = parser.parse_args()
    sizes: Sizes = replace(scaled_sizes(args.scale), users=60)
    tasks = args.tasks

    def work(client: TestClient, hub: Any, filled: Sizes, runs: int) -> None:
        _pages(client, hub, filled, runs, tasks)

    on_each_database(args, sizes, work)


if __name__ == "__main__":
    main()
