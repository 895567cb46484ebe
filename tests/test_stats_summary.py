"""The per-day summary (``stats_visit_days``, ``stats_call_days``, migration 0019) agrees with
the facts it sums, on SQLite and PostgreSQL: after the hand-worked day of tests/test_stats.py
(a transfer across services, a recall, a no-show, a booking checked in late and one missed,
calls missed, abandoned, answered and called back), after late and repeated call reports,
after a service's target changed, and after the migration is taken down and up again."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select, text, update

from hub.bootstrap import Hub
from hub.db import refcache
from hub.db.engine import transaction
from hub.db.migrate import alembic_config, upgrade
from hub.db.models import Project
from hub.db.models.stats import CallDay, QueueVisit, VisitDay
from hub.services.stats import summary
from hub.services.stats.common import PERCENTILES, By, rank
from hub.services.stats.queue import queue_figures
from tests.test_queue import KYIV, make_service
from tests.test_stats import DAY, Day, _call, _worked_day

pytestmark = pytest.mark.timeout(180)


def _agree(hub: Hub) -> tuple[summary.Summed, summary.Summed]:
    """The kept summary, after checking it equals the one recomputed from the facts."""
    with hub.engine.connect() as connection:
        kept = summary.stored(connection)
        again = summary.recomputed(connection)
    assert kept[0] == again[0]
    assert kept[1] == again[1]
    return kept


def test_the_summary_agrees_with_the_facts_after_a_worked_day(hub: Hub) -> None:
    day: Day = _worked_day(hub)
    visits, calls = _agree(hub)
    a_nine = {key: counts for key, counts in visits.items() if key[2] == day.a and key[1] == 9}
    assert sum(c["visits"] for c in a_nine.values()) == 3  # A1, A2 (then moved to B), A3
    assert sum(c["transfers"] for c in a_nine.values()) == 1
    assert sum(c["recalls"] for c in a_nine.values()) == 1
    assert sum(c["no_shows"] for c in a_nine.values()) == 1
    assert sum(c["answered"] + c["missed"] + c["abandoned"] for c in calls.values()) == 4

    # A late, repeated and out-of-order report: a missed call answered after all, then its
    # duration; the share it had as missed goes out, the answered one comes in.
    ten = datetime(2026, 11, 30, 11, 0, tzinfo=KYIV)
    _call(hub, "c6", "in", "+380501110006", ("ringing", ten, {}),
          ("missed", ten + timedelta(seconds=30), {"reason": "no_answer"}),
          ("answered", ten + timedelta(seconds=12), {}),
          ("ended", ten + timedelta(seconds=30), {"duration_s": 18}),
          ("ended", ten + timedelta(seconds=30), {"duration_s": 18}))  # fmt: skip
    _, calls = _agree(hub)
    assert sum(c["answered"] for c in calls.values()) == 3

    # A target changed later: the visits keep the target they were called against.
    with transaction(hub.sessions) as session:
        session.execute(update(Project).where(Project.id == day.a).values(target_wait_s=60))
    _agree(hub)
    with hub.read_sessions() as session:
        rows = {row.key: row for row in queue_figures(session, DAY, By.SERVICE)}
    assert (rows[str(day.a)].within_target, rows[str(day.a)].service_level) == (2, 0.6667)


def test_the_migration_fills_the_summary_from_the_facts(hub: Hub) -> None:
    _worked_day(hub)
    kept = _agree(hub)
    config = alembic_config()
    with hub.engine.begin() as connection:
        refcache.quiet(connection)
        config.attributes["connection"] = connection
        command.downgrade(config, "0018")
    upgrade(hub.engine)
    assert _agree(hub) == kept
    with hub.read_sessions() as session:
        flags = session.scalars(
            select(QueueVisit.within_target).where(QueueVisit.wait_s.is_not(None))
        ).all()
        assert sorted(bool(flag) for flag in flags) == [False, True, True, True, True]
        assert session.scalar(select(VisitDay.day).limit(1)) is not None
        assert session.scalar(select(CallDay.day).limit(1)) is not None


@pytest.mark.parametrize("backend", ["postgres"])
def test_postgresql_ranks_percentiles_by_nearest_rank_exactly(hub: Hub) -> None:
    """The fraction hub.services.stats.queue gives percentile_disc picks rank ceil(p * n / 100)
    for every count up to 1,000, as SQLite's ranking in Python does."""
    fraction = {p: p / 100 - 1e-9 for p in PERCENTILES}
    query = text(
        "SELECT n, percentile_disc(:median) WITHIN GROUP (ORDER BY g),"
        " percentile_disc(:p90) WITHIN GROUP (ORDER BY g)"
        " FROM generate_series(1, 1000) AS n, generate_series(1, n) AS g GROUP BY n"
    )
    with hub.engine.connect() as connection:
        found = connection.execute(query, {"median": fraction[50], "p90": fraction[90]}).all()
    assert len(found) == 1000
    assert all((median, p90) == (rank(50, n), rank(90, n)) for n, median, p90 in found)


def test_concurrent_transactions_lose_no_count(hub: Hub) -> None:
    """Four threads, each moving 25 visits' shares into the same summary row in transactions of
    their own: the row adds up to all 100 (the addition is the database's, not read-then-write)."""
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
    visit = {
        "day": date(2026, 11, 30), "hour": 9, "service_id": service, "operator_id": None,
        "window": None, "outcome": "open", "called_at": None, "recalls": 0, "wait_s": None,
        "service_s": None, "within_target": None,
    }  # fmt: skip

    in_threads(hub, visit)
    with hub.read_sessions() as session:
        row = session.get(VisitDay, (date(2026, 11, 30), 9, service, 0, ""))
        assert row is not None
        assert (row.visits, row.waiting) == (100, 100)


def in_threads(hub: Hub, visit: dict[str, object]) -> None:
    """Four threads, each moving the share of ``visit`` (new) into the summaries 25 times, in
    transactions of their own."""

    def worker() -> None:
        for _ in range(25):
            with transaction(hub.sessions) as session:
                summary.visit_moved(session, None, visit)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
