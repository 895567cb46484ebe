"""The callers' per-day summary (``stats_caller_days``, migration 0024) agrees with the callers'
visits joined with their tickets, on SQLite and PostgreSQL: after the hand-worked day of
tests/test_stats_callers.py, after a caller transferred while waiting hangs up in the second
service, after repeated and late line reports (a hang-up reported twice, a callback whose dial
failed, a caller's phone that did not answer and was dialled again), after the migration is
taken down and up again; and concurrent writers lose no count."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db import refcache
from hub.db.engine import transaction
from hub.db.migrate import alembic_config, upgrade
from hub.db.models import User
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import CallerDay, QueueVisit
from hub.services.access.rights import AccessProfile, load_profile
from hub.services.queue import calls
from hub.services.queue import operators as queue_operators
from hub.services.stats import summary
from hub.services.stats.callers import caller_figures
from hub.services.stats.common import By, Durations
from hub.services.stats.queue import Scope
from tests.test_queue import at, make_service
from tests.test_queue_calls import LINE, finish, join, taken
from tests.test_stats_callers import DAY, PERIOD, worked_day
from tests.test_stats_summary import in_threads

pytestmark = pytest.mark.timeout(180)


def summary_agrees(hub: Hub) -> summary.Summed:
    """The kept callers' summary, after checking it equals the one recomputed from the facts."""
    with hub.engine.connect() as connection:
        kept = summary.stored_callers(connection)
        again = summary.recomputed_callers(connection)
    assert kept == again
    return kept


def test_the_callers_summary_holds_the_worked_day(hub: Hub) -> None:
    service, _other = worked_day(hub)
    kept = summary_agrees(hub)
    assert kept == {
        (DAY, 9, service): {
            "offered": 5,
            "answered": 1,
            "answer_sum_s": 420,
            "abandoned": 2,
            "abandon_waits": 2,
            "abandon_wait_sum_s": 630,
            "callbacks": 1,
            "called_back": 1,
            "waiting": 1,
            "talks": 1,
            "talk_sum_s": 180,
        }
    }


def test_the_callers_summary_follows_transfers_and_late_line_reports(hub: Hub) -> None:
    service, other = worked_day(hub)
    anna = _anna(hub)
    # Caller 6 is transferred while waiting to the other service and hangs up there: both of
    # its visits are abandoned, the first waited until the ticket ended (23 - 20 min).
    join(hub, service, 20, "call-6", "0506667788")
    with transaction(hub.sessions) as session:
        c6 = session.scalar(select(QueueVisit.ticket_id).order_by(QueueVisit.id.desc()))
        assert c6 is not None
        queue_operators.transfer(
            session, at(21), profile=anna, ticket_id=c6, target_service_id=other
        )
    summary_agrees(hub)
    with transaction(hub.sessions) as session:
        calls.left(session, at(23), line=LINE, call_id="call-6")
    summary_agrees(hub)
    with transaction(hub.sessions) as session:  # the same hang-up, reported again later
        calls.left(session, at(24), line=LINE, call_id="call-6")
    kept = summary_agrees(hub)
    assert kept[(DAY, 9, service)]["abandon_wait_sum_s"] == 630 + 180
    assert kept[(DAY, 9, other)]["abandoned"] == 1

    # Caller 7 asks to be called back; Anna closes caller 4's and takes caller 5, whose
    # operator's phone does not answer, then is recalled (dialled again) and answers.
    join(hub, service, 24, "call-7", "0507778899")
    with transaction(hub.sessions) as session:
        calls.callback(session, at(25), line=LINE, call_id="call-7")
    assert summary_agrees(hub)[(DAY, 9, service)]["callbacks"] == 2
    c4 = _ticket(hub, "call-4")
    finish(hub, anna, 26, c4)
    c5 = taken(hub, anna, 27, "1", "panel-1")
    assert c5 == _ticket(hub, "call-5")
    with transaction(hub.sessions) as session:
        calls.connected(session, at(27.5), line=LINE, call_id="call-5", ok=False, reason="busy")
    summary_agrees(hub)
    with transaction(hub.sessions) as session:
        queue_operators.recall(session, at(28), profile=anna, ticket_id=c5)
    summary_agrees(hub)
    with transaction(hub.sessions) as session:
        calls.connected(session, at(29), line=LINE, call_id="call-5", ok=True, reason=None)
    finish(hub, anna, 31, c5)
    kept = summary_agrees(hub)
    assert kept[(DAY, 9, service)]["answered"] == 2
    # Caller 7's callback is dialled and not answered: no longer a callback but a failed call.
    assert taken(hub, anna, 31, "1", "panel-1") == _ticket(hub, "call-7")
    with transaction(hub.sessions) as session:
        calls.connected(
            session, at(31.5), line=LINE, call_id="call-7", ok=False, reason="no_answer"
        )
    kept = summary_agrees(hub)
    assert kept[(DAY, 9, service)]["callbacks"] == 1
    with hub.read_sessions() as session:
        [row] = caller_figures(session, PERIOD, By.SERVICE, Scope(services=[service]))
    assert (row.offered, row.answered, row.abandoned, row.waiting) == (7, 2, 3, 0)
    assert row.abandon_wait == Durations(3, 270.0, 180, 480)


def test_the_migration_fills_the_callers_summary_from_the_facts(hub: Hub) -> None:
    service, _other = worked_day(hub)
    kept = summary_agrees(hub)
    with hub.read_sessions() as session:
        figures = caller_figures(session, PERIOD, By.SERVICE)
    config = alembic_config()
    with hub.engine.begin() as connection:
        refcache.quiet(connection)
        config.attributes["connection"] = connection
        command.downgrade(config, "0023")
    upgrade(hub.engine)
    assert summary_agrees(hub) == kept
    with hub.read_sessions() as session:
        assert caller_figures(session, PERIOD, By.SERVICE) == figures
        flags = session.execute(select(QueueVisit.caller, QueueVisit.call_outcome)).all()
    assert sorted((bool(caller), outcome or "") for caller, outcome in flags) == [
        (False, ""),
        (False, ""),
        (True, ""),
        (True, "abandoned"),
        (True, "abandoned"),
        (True, "answered"),
        (True, "callback"),
    ]
    assert service in {key[2] for key in kept}


def test_concurrent_transactions_lose_no_caller(hub: Hub) -> None:
    """Four threads, each moving 25 callers' shares into the same row in transactions of their
    own: the row adds up to all 100."""
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
    visit = {
        "day": date(2026, 11, 30), "hour": 9, "service_id": service, "operator_id": None,
        "window": None, "outcome": "open", "called_at": None, "recalls": 0, "wait_s": None,
        "service_s": None, "within_target": None, "caller": True, "call_outcome": None,
        "started_at": None, "ended_at": None, "ticket_finished_at": None,
        "joined_at": at(0).now,
    }  # fmt: skip

    in_threads(hub, visit)
    with hub.read_sessions() as session:
        row = session.get(CallerDay, (date(2026, 11, 30), 9, service))
        assert row is not None
        assert (row.offered, row.waiting, row.answered) == (100, 100, 0)


def _anna(hub: Hub) -> AccessProfile:
    """Anna of the worked day (``setup`` made her), as her profile."""
    with hub.read_sessions() as session:
        user = session.scalars(select(User).where(User.username == "anna")).one()
        return load_profile(session, user)


def _ticket(hub: Hub, call: str) -> int:
    with hub.read_sessions() as session:
        found = session.scalar(select(QueueTicket.id).where(QueueTicket.line_call == call))
    assert found is not None
    return found
