"""Statistics over a year of a busy office; prints figures, asserts nothing (STAT-1, STAT-2).

    .venv/bin/python -m bench.stats [--scale 1.0] [--runs 3] [--only sqlite|postgres]

At scale 1 the year holds 300,000 tickets (5 % transferred once, so about 315,000 visits), 6 %
of them bookings, and 200,000 calls, over 250 working days, 8 services, 24 operators at windows,
6 phone lines; operators' time is three spans an hour. A fifth of the walk-ins are callers on the
office's lines (issue 22: 80 % answered, 10 % abandoned while waiting, 10 % callbacks). Rows are
written with bulk Core inserts in the shapes the queue's functions write (``bench.fill``'s way),
and the per-day summaries are built from them as migrations 0019 and 0024 build them (a line's
calls are its operator's, as a desk phone's are its responsible user's). Each report is then
asked through the domain functions the API calls, first with the statistics' indexes dropped and
then with them, and each figure is the median of ``--runs`` runs. The target is under a second.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Index, select, text

from bench.fill import _write, reset_sequences
from bench.registries import for_each_database
from hub.bootstrap import build_hub, prepare_database
from hub.config import Settings
from hub.db.base import utcnow
from hub.db.models import Device, Event, EventType, PhoneCallRecord, Project, ProjectMember, User
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import OperatorSpan, QueueVisit
from hub.services.stats import summary
from hub.services.stats.callers import caller_figures
from hub.services.stats.common import By, Period
from hub.services.stats.desk import desk_figures
from hub.services.stats.operators import operator_time
from hub.services.stats.phone import phone_figures
from hub.services.stats.queue import booking_figures, queue_figures

TZ = ZoneInfo("Europe/Kyiv")
YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))
MONTH = Period(date(2025, 6, 1), date(2025, 6, 30))
ONE_DAY = Period(date(2025, 6, 17), date(2025, 6, 17))
TARGET_S = 1.0
SERVICES, OPERATORS, LINES = 8, 24, 6
# A fifth of the walk-ins are callers on the office's lines; how their calls went.
CALLERS = 0.2
CALL_OUTCOMES = ("answered",) * 16 + ("abandoned",) * 2 + ("callback",) * 2
INDEXES: tuple[Index, ...] = tuple(
    index
    for model in (QueueVisit, OperatorSpan, PhoneCallRecord, QueueTicket)
    for index in model.__table__.indexes  # type: ignore[attr-defined]
    if index.name
    in (
        "ix_queue_visits_day",
        "ix_queue_visits_moved",
        "ix_queue_visits_callers",
        "ix_operator_spans_day",
        "ix_phone_calls_day",
        "ix_queue_tickets_day",
    )
)


@dataclass(frozen=True)
class Sizes:
    """How much history a year holds."""

    tickets: int = 300_000
    calls: int = 200_000
    days: int = 250


def working_days(count: int) -> list[date]:
    """The first ``count`` weekdays of 2025."""
    days, day = [], date(2025, 1, 1)
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _local(day: date, seconds: float) -> datetime:
    return datetime.combine(day, clock(9), tzinfo=TZ).astimezone(UTC) + timedelta(seconds=seconds)


def _fill(engine: Engine, sizes: Sizes, say: Callable[[str], None], seed: int = 11) -> None:
    rng = random.Random(seed)
    # The call centre's callers (issue 22) from their own stream, so the rest stays as it was.
    dialled = random.Random(seed + 1)
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    with engine.connect() as connection:
        queue_type = connection.scalar(select(EventType.id).where(EventType.code == "queue"))
        first_user = connection.scalar(select(User.id).order_by(User.id.desc())) or 0
        first_project = connection.scalar(select(Project.id).order_by(Project.id.desc())) or 0
    users = list(range(first_user + 1, first_user + 1 + OPERATORS))
    services = list(range(first_project + 1, first_project + 1 + SERVICES))
    _write(
        engine,
        User.__table__,
        (
            {
                "id": u,
                "username": f"op{u}",
                "is_active": True,
                "is_admin": False,
                "crm_access": True,
                "full_access": True,
                "deny_task_status_change": False,
                "lang": "uk",
                **stamps,
            }
            for u in users
        ),
        "operators",
        say,
    )
    _write(
        engine,
        Project.__table__,
        (
            {
                "id": s,
                "number": f"S{s}",
                "name": f"Послуга {s}",
                "name_folded": f"послуга {s}",
                "uses_queue": True,
                "target_wait_s": 900,
                **stamps,
            }
            for s in services
        ),
        "services",
        say,
    )
    _write(
        engine,
        ProjectMember.__table__,
        ({"project_id": services[u % SERVICES], "user_id": u, "added_at": now} for u in users),
        "work groups",
        say,
    )
    lines = [f"line-{n}" for n in range(1, LINES + 1)]
    _write(
        engine,
        Device.__table__,
        (
            {
                "id": d,
                "role": "phone",
                "site": "main",
                "name": d,
                "mqtt_password_hash": "x",
                "created_at": now,
                "online": False,
            }
            for d in lines
        ),
        "phone lines",
        say,
    )
    days = working_days(sizes.days)
    per_day = sizes.tickets // len(days)
    tickets: list[dict[str, Any]] = []
    visits: list[dict[str, Any]] = []
    ticket_id = 0
    for day in days:
        for n in range(per_day):
            ticket_id += 1
            service = rng.choice(services)
            arrived = _local(day, rng.uniform(0, 9 * 3600))
            wait = int(rng.expovariate(1 / 600))
            called = arrived + timedelta(seconds=wait)
            length = int(rng.expovariate(1 / 480)) + 30
            operator = users[
                (service - services[0]) + SERVICES * rng.randrange(OPERATORS // SERVICES)
            ]
            booked = rng.random() < 0.06
            state = "no_show" if rng.random() < 0.03 else "done"
            transferred = rng.random() < 0.05
            caller = not booked and dialled.random() < CALLERS
            outcome = dialled.choice(CALL_OUTCOMES) if caller else None
            tickets.append(
                {
                    "id": ticket_id,
                    "event_id": ticket_id,
                    "project_id": service,
                    "origin_project_id": service,
                    "service_day": day,
                    "number": f"{n + 1:04d}",
                    "kind": "booking" if booked else "walk_in",
                    "state": state,
                    "lane": 1,
                    "effective_at": arrived,
                    "booked_at": arrived if booked else None,
                    "booking_code": f"B{ticket_id:09d}" if booked else None,
                    "arrived_at": arrived,
                    "called_at": called,
                    "finished_at": called + timedelta(seconds=length),
                    "operator_id": operator,
                    "window": str(operator % 40),
                    "line_device": lines[0] if caller else None,
                    "line_call": f"c{ticket_id}" if caller else None,
                    "call_outcome": outcome,
                    "answered_at": called if outcome == "answered" else None,
                    "recalls": int(rng.random() < 0.08),
                    "transfers": int(transferred),
                    "companies": 1,
                    "created_at": arrived,
                }
            )
            local = arrived.astimezone(TZ)
            visit = {
                "ticket_id": ticket_id,
                "service_id": service,
                "kind": "walk_in",
                "day": day,
                "hour": local.hour,
                "joined_at": arrived,
                "called_at": called,
                "started_at": called,
                "ended_at": called + timedelta(seconds=length),
                "operator_id": operator,
                "window": str(operator % 40),
                "recalls": tickets[-1]["recalls"],
                "wait_s": wait,
                "within_target": wait <= 900,
                "service_s": length if state == "done" else None,
                "outcome": state,
                # A caller's visit keeps its ticket's call outcome and end (the summary's copy).
                "caller": caller,
                "call_outcome": outcome,
                "ticket_finished_at": tickets[-1]["finished_at"] if caller else None,
            }
            if outcome == "abandoned":  # hung up while waiting: never called
                visit |= {"called_at": None, "started_at": None, "operator_id": None}
                visit |= {"window": None, "wait_s": None, "within_target": None}
                visit |= {"service_s": None, "outcome": "cancelled"}
                tickets[-1] |= {"state": "cancelled", "called_at": None, "operator_id": None}
            if transferred:
                visits.append(
                    visit
                    | {
                        "outcome": "transferred",
                        "service_s": None,
                        "ended_at": called + timedelta(seconds=60),
                    }
                )
                visit = visit | {
                    "joined_at": called + timedelta(seconds=60),
                    "wait_s": wait // 2,
                    "within_target": wait // 2 <= 900,
                }
            visits.append(visit)
    events = (
        {
            "id": t["id"],
            "number": t["number"],
            "type_id": queue_type,
            "starts_at": t["effective_at"],
            "responsible_type": "employee",
            "project_id": t["project_id"],
            **stamps,
        }
        for t in tickets
    )
    _write(engine, Event.__table__, events, "events", say)
    _write(engine, QueueTicket.__table__, iter(tickets), "tickets", say)
    _write(engine, QueueVisit.__table__, iter(visits), "visits", say)
    _write(engine, OperatorSpan.__table__, _spans(days, users, rng), "operator spans", say)
    _write(engine, PhoneCallRecord.__table__, _calls(days, lines, users, sizes, rng), "calls", say)
    started = time.monotonic()
    with engine.begin() as connection:
        # As migrations 0019 and 0024 do; the queue's functions keep it.
        summary.rebuild(connection)
    say(f"  summary: rebuilt in {time.monotonic() - started:.1f} s")


def _spans(days: list[date], users: list[int], rng: random.Random) -> Iterator[dict[str, Any]]:
    for day in days:
        for user in users:
            for hour in range(9, 18):
                start = _local(day, (hour - 9) * 3600)
                busy = rng.randrange(1800, 3300)
                rest = rng.randrange(0, 3600 - busy)
                for status, seconds in (
                    ("busy", busy),
                    ("free", 3600 - busy - rest),
                    ("break", rest),
                ):
                    yield {
                        "user_id": user,
                        "status": status,
                        "window": str(user % 40),
                        "day": day,
                        "hour": hour,
                        "started_at": start,
                        "seconds": seconds,
                    }


def _calls(
    days: list[date], lines: list[str], users: list[int], sizes: Sizes, rng: random.Random
) -> Iterator[dict[str, Any]]:
    per_day = sizes.calls // len(days)
    # A line is an operator's desk phone: its calls are its responsible user's.
    line_user = {line: users[n * (len(users) // len(lines))] for n, line in enumerate(lines)}
    for day in days:
        for n in range(per_day):
            started = _local(day, rng.uniform(0, 9 * 3600))
            device = rng.choice(lines)
            incoming = rng.random() < 0.8
            fate = rng.random()
            answered = started + timedelta(seconds=rng.randrange(3, 40)) if fate < 0.8 else None
            talk = rng.randrange(20, 600) if answered else None
            ended = (answered or started) + timedelta(seconds=talk or rng.randrange(5, 30))
            local = started.astimezone(TZ)
            yield {
                "device_id": device,
                "call_id": f"{day}-{n}",
                "line": "1",
                "direction": "in" if incoming else "out",
                "remote": "+380501234567",
                "remote_digits": "380501234567",
                "state": "ended" if answered else "missed",
                "state_at": ended,
                "started_at": started,
                "answered_at": answered,
                "ended_at": ended,
                "duration_s": talk,
                "reason": None if answered else ("cancelled" if fate < 0.9 else "no_answer"),
                "outcome": "answered" if answered else "missed",
                "user_id": line_user[device],
                "answers_event_id": None,
                "local_day": day,
                "local_hour": local.hour,
                "created_at": ended,
            }


REPORTS: list[tuple[str, Callable[[Any], object]]] = [
    ("hall, year by service", lambda s: queue_figures(s, YEAR, By.SERVICE)),
    ("hall, year by operator", lambda s: queue_figures(s, YEAR, By.OPERATOR)),
    ("hall, year by hour", lambda s: queue_figures(s, YEAR, By.HOUR)),
    ("hall, year by day", lambda s: queue_figures(s, YEAR, By.DAY)),
    ("hall, year as a whole", lambda s: queue_figures(s, YEAR, By.PERIOD)),
    ("hall, month by window", lambda s: queue_figures(s, MONTH, By.WINDOW)),
    ("hall, one day by service", lambda s: queue_figures(s, ONE_DAY, By.SERVICE)),
    ("bookings, year by service", lambda s: booking_figures(s, YEAR, By.SERVICE)),
    ("bookings, year by hour", lambda s: booking_figures(s, YEAR, By.HOUR, tz=TZ)),
    ("bookings, year by operator", lambda s: booking_figures(s, YEAR, By.OPERATOR)),
    (
        "operators' time, year by operator",
        lambda s: operator_time(s, YEAR, By.OPERATOR, now=utcnow(), tz=TZ),
    ),
    (
        "operators' time, month by hour",
        lambda s: operator_time(s, MONTH, By.HOUR, now=utcnow(), tz=TZ),
    ),
    ("phone, year by line", lambda s: phone_figures(s, YEAR, By.LINE)),
    ("phone, month by day", lambda s: phone_figures(s, MONTH, By.DAY)),
    ("callers, year by service", lambda s: caller_figures(s, YEAR, By.SERVICE)),
    ("callers, month by day", lambda s: caller_figures(s, MONTH, By.DAY)),
    ("desk, year by day", lambda s: desk_figures(s, YEAR, By.DAY)),
    ("desk, one day by hour", lambda s: desk_figures(s, ONE_DAY, By.HOUR)),
]


def time_reports(sessions: Any, runs: int, say: Callable[[str], None]) -> dict[str, float]:
    """The median seconds of each report over ``runs`` runs (after one warm-up)."""
    result = {}
    for label, report in REPORTS:
        samples = []
        for attempt in range(runs + 1):
            with sessions() as session:
                started = time.perf_counter()
                rows = report(session)
                if attempt:
                    samples.append(time.perf_counter() - started)
        result[label] = statistics.median(samples)
        mark = "ok" if result[label] < TARGET_S else "OVER TARGET"
        say(f"  {label:<36} {result[label] * 1000:8.1f} ms  {mark}  ({len(rows)} rows)")  # type: ignore[arg-type]
    return result


def bench(
    url: str, folder: Path, sizes: Sizes, runs: int, say: Callable[[str], None]
) -> dict[str, dict[str, float]]:
    """Fill one database, time the reports without and with the statistics' indexes."""
    hub = build_hub(
        Settings(
            database_url=url,
            data_dir=folder,
            admin_password="bench-password-1",
            password_hash_memory_kib=1024,
            password_hash_time_cost=1,
            log_level="WARNING",
        )
    )  # type: ignore[arg-type]
    try:
        prepare_database(hub, announce=lambda _password: None)
        started = time.monotonic()
        _fill(hub.engine, sizes, say)
        reset_sequences(hub.engine)
        figures = {}
        with hub.engine.begin() as connection:
            for index in INDEXES:
                index.drop(connection)
            connection.execute(text("ANALYZE"))
        say(f"   filled and analysed in {time.monotonic() - started:.0f} s")
        say("  -- without the statistics' indexes")
        figures["without"] = time_reports(hub.read_sessions, runs, say)
        with hub.engine.begin() as connection:
            for index in INDEXES:
                index.create(connection)
            connection.execute(text("ANALYZE"))
        say("  -- with them")
        figures["with"] = time_reports(hub.read_sessions, runs, say)
        return figures
    finally:
        hub.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of a busy year")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    full = Sizes()
    sizes = Sizes(
        tickets=max(int(full.tickets * args.scale), 250),
        calls=max(int(full.calls * args.scale), 250),
        days=max(int(full.days * min(args.scale * 10, 1)), 5),
    )
    say = print
    say(f"sizes: {sizes.tickets:,} tickets, {sizes.calls:,} calls over {sizes.days} working days")

    def run(label: str, url: str, folder: Path) -> None:
        say(f"== {label}")
        bench(url, folder, sizes, args.runs, say)

    for_each_database(args.only, run)


if __name__ == "__main__":
    main()
