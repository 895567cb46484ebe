"""What a wait estimate costs (issue 20): time and SQL statements per estimate and per board.

Builds a realistic office in a fresh database (SQLite in a scratch folder, or the empty
PostgreSQL database given): four services, three of them sharing operators, six operators at
work (one on a break), 30 days of visits, status spans and bookings, a line of about a hundred
waiting tickets and bookings due. Then it times, in fresh transactions as the hub makes them:
one ticket's estimate (``waits.for_ticket``), a new visitor's (``waits.for_new_visitor``) and
the board's waits for every service (``publish.board_waits``), and counts the SQL statements
each sends (a ``before_cursor_execute`` listener). ``--profile`` prints where a board's time
goes (cProfile).

    .venv/bin/python -m bench.estimate_cost
    .venv/bin/python -m bench.estimate_cost --database-url postgresql://.../empty_db
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from hub.bootstrap import Hub, build_hub, prepare_database
from hub.db.base import table_of
from hub.db.engine import transaction
from hub.db.models import Project, ProjectMember, User
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import OperatorSpan, QueueVisit
from hub.services.access.rights import AccessProfile, load_profile
from hub.services.queue import assign, operators, publish, tickets, waits
from hub.services.queue.core import QueueContext
from hub.services.settings.parameters import update_user_parameters
from tests.conftest import make_settings

try:  # the bench also runs on a hub from before the history was kept
    from hub.db.slowcache import clear as clear_kept
except ImportError:
    clear_kept = None  # type: ignore[assignment]

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 11, 30, 11, 20, tzinfo=KYIV)
HISTORY_DAYS = 30
GROUPS = {"olena": "AB", "petro": "B", "ira": "BC", "taras": "C", "halyna": "D", "max": "AC"}
"""Who serves what: A, B and C share operators; D stands alone."""


def at(moment: datetime) -> QueueContext:
    """The context of ``moment`` in the office's zone."""
    return QueueContext(now=moment, tz=KYIV, site="main")


def _history(session: Session, services: dict[str, int], users: dict[str, int]) -> None:
    """30 days of visits, status spans and bookings, in bulk."""
    rng = random.Random(1)
    old = tickets.issue_ticket(
        session, at(NOW - timedelta(days=HISTORY_DAYS + 1)), service_id=services["A"]
    ).ticket.id
    visits: list[dict[str, Any]] = []
    spans: list[dict[str, Any]] = []
    for back in range(HISTORY_DAYS, 0, -1):
        day = NOW.date() - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        opened = datetime.combine(day, NOW.timetz().replace(hour=9, minute=0))
        for name, letters in GROUPS.items():
            moment = opened
            lunch = opened + timedelta(hours=3, minutes=rng.randint(-20, 20))
            while moment < opened + timedelta(hours=8):
                if lunch <= moment < lunch + timedelta(hours=1):
                    length = rng.randint(1800, 3000)
                    spans.append(_span(users[name], "break", moment, length))
                    moment += timedelta(seconds=length)
                    continue
                length = max(60, int(rng.gauss(540, 240)))
                service = services[rng.choice(letters)]
                called = moment + timedelta(seconds=rng.randint(5, 60))
                visits.append(
                    {
                        "ticket_id": old,
                        "service_id": service,
                        "kind": "walk_in",
                        "day": day,
                        "hour": called.hour,
                        "joined_at": called - timedelta(minutes=rng.randint(0, 30)),
                        "called_at": called,
                        "started_at": called + timedelta(seconds=30),
                        "ended_at": called + timedelta(seconds=length),
                        "operator_id": users[name],
                        "window": "1",
                        "recalls": 0,
                        "outcome": rng.choice(("done",) * 8 + ("no_show", "transferred")),
                    }
                )
                spans.append(_span(users[name], "busy", moment, length))
                moment = called + timedelta(seconds=length)
    session.execute(insert(table_of(QueueVisit)), visits)
    session.execute(insert(table_of(OperatorSpan)), spans)
    for back in range(14, 0, -1):
        day = NOW.date() - timedelta(days=back)
        for letter in "ABC":
            slot = datetime.combine(day, NOW.timetz().replace(hour=10))
            booked = tickets.create_booking(
                session, at(slot - timedelta(days=1)), service_id=services[letter], booked_at=slot
            )
            if rng.random() < 0.8:
                session.execute(
                    update(QueueTicket).where(QueueTicket.id == booked.id).values(arrived_at=slot)
                )


def _span(user_id: int, status: str, started: datetime, seconds: int) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "status": status,
        "window": "1",
        "day": started.date(),
        "hour": started.hour,
        "started_at": started,
        "seconds": seconds,
    }


def build_office(hub: Hub) -> dict[str, int]:
    """The office: services by letter, their history, operators at work and today's line."""
    with transaction(hub.sessions) as session:
        services = {}
        for letter in "ABCD":
            project = Project(number=f"S{letter}", name=f"Service {letter}", uses_queue=True)
            session.add(project)
            session.flush()
            services[letter] = project.id
        users, profiles = {}, {}
        for name, letters in GROUPS.items():
            user = User(username=name, full_access=True)
            session.add(user)
            session.flush()
            for letter in letters:
                session.add(ProjectMember(project_id=services[letter], user_id=user.id))
            session.flush()
            users[name], profiles[name] = user.id, load_profile(session, user)
        _history(session, services, users)
    _today(hub, services, profiles)
    return services


def _today(hub: Hub, services: dict[str, int], profiles: dict[str, AccessProfile]) -> None:
    """This morning: bookings due, every operator holding a visitor but one on a break, and a
    line of about a hundred."""
    rng = random.Random(2)
    opened = NOW.replace(hour=9, minute=0)
    with transaction(hub.sessions) as session:
        for letter in "ABC":
            for hour in (11, 12, 13):
                tickets.create_booking(
                    session,
                    at(opened),
                    service_id=services[letter],
                    booked_at=NOW.replace(hour=hour, minute=30),
                )
    moment = opened
    for _n in range(110):
        moment += timedelta(seconds=rng.randint(30, 90))
        with transaction(hub.sessions) as session:
            letter = rng.choice("AABBBCCD")
            tickets.issue_ticket(session, at(moment), service_id=services[letter])
    for window, (name, profile) in enumerate(profiles.items(), start=1):
        with transaction(hub.sessions) as session:
            if name == "taras":
                update_user_parameters(session, profile.user_id, {"use_user_statuses": True})
                operators.set_status(session, at(NOW), profile=profile, status="break")
            else:
                assign.free(session, at(NOW), profile=profile, window=str(window))


class Statements:
    """Counts the SQL statements sent through an engine."""

    def __init__(self, hub: Hub) -> None:
        self.count = 0
        event.listen(hub.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


def measure(
    hub: Hub, counter: Statements, runs: int, action: Callable[[Session], object], *, cold: bool
) -> tuple[float, float]:
    """The median ms and the statements of ``action`` in a fresh transaction; ``cold``: with
    nothing kept from an earlier one (as after a visit ended or a status changed)."""
    times, counts = [], []
    for _n in range(runs):
        if cold and clear_kept is not None:
            clear_kept(hub.engine)
        with transaction(hub.sessions) as session:
            session.execute(select(1))  # the transaction's own begin, not the estimate's
            before, started = counter.count, time.perf_counter()
            action(session)
            times.append((time.perf_counter() - started) * 1000)
            counts.append(counter.count - before)
    return statistics.median(times), statistics.median(counts)


def run(url: str | None, runs: int, profile: bool) -> None:
    """Build the office and print the figures."""
    with tempfile.TemporaryDirectory(prefix="cherga-estimate-") as scratch:
        folder = Path(scratch)
        hub = build_hub(make_settings(url or f"sqlite:///{folder / 'hub.db'}", folder))
        prepare_database(hub, announce=lambda _password: None)
        try:
            services = build_office(hub)
            counter = Statements(hub)
            ctx = at(NOW + timedelta(seconds=30))
            with transaction(hub.sessions) as session:
                middle = session.scalars(
                    select(QueueTicket.id)
                    .where(QueueTicket.project_id == services["B"], QueueTicket.state == "waiting")
                    .order_by(QueueTicket.id)
                ).all()[10]
                waiting = session.scalar(
                    select(QueueTicket.id).where(QueueTicket.state == "waiting").limit(1)
                )
            print(f"database: {hub.engine.dialect.name}, {len(services)} services")

            def one_ticket(session: Session) -> object:
                ticket = session.get(QueueTicket, middle)
                assert ticket is not None and waiting is not None
                return waits.for_ticket(session, ctx, ticket)

            def issue(session: Session) -> object:
                return tickets.issue_ticket(session, ctx, service_id=services["B"])

            figures = {
                "a ticket issued, its estimate in the reply": issue,
                "one ticket's estimate": one_ticket,
                "a new visitor's estimate": lambda s: waits.for_new_visitor(s, ctx, services["B"]),
                f"the board's waits ({len(services)} services)": lambda s: publish.board_waits(
                    s, ctx
                ),
            }
            for name, action in figures.items():
                for cold in (True, False) if clear_kept is not None else (True,):
                    action_ms, statements = measure(hub, counter, runs, action, cold=cold)
                    state = ("history read" if cold else "history kept") if clear_kept else ""
                    print(f"{name} {state}: {action_ms:.2f} ms, {statements:.0f} SQL statements")
            if profile:
                profiler = cProfile.Profile()
                with transaction(hub.sessions) as session:
                    profiler.enable()
                    for _n in range(runs):
                        if clear_kept is not None:
                            clear_kept(hub.engine)
                        publish.board_waits(session, ctx)
                        session.info.clear()
                    profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        finally:
            hub.close()


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--runs", type=int, default=30, help="estimates timed (their median)")
    parser.add_argument("--profile", action="store_true", help="cProfile the board's waits")
    args = parser.parse_args()
    run(args.database_url, max(1, args.runs), args.profile)


if __name__ == "__main__":
    main()
