"""The wait estimate's history kept per process (``hub.db.slowcache``) changes no estimate, and
goes stale only for writes it cannot see (another hub), for at most a minute of the hub's
clock. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import event, insert, select

from hub.bootstrap import Hub
from hub.clock import ControlledClock
from hub.db.base import table_of
from hub.db.engine import make_engine, transaction
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.db.models.stats import OperatorSpan, QueueVisit
from hub.db.slowcache import MAX_AGE, clear
from hub.services.queue import operators as queue_operators
from hub.services.queue import waits
from hub.services.queue.core import QueueContext
from hub.services.queue.estimate import Estimate
from hub.services.settings.parameters import update_user_parameters
from tests.test_queue import KYIV, T0, at, issue, make_operator, make_service, press_free

Figures = tuple[dict[int, Estimate], dict[int, Estimate], dict[int, Estimate | None]]


@contextmanager
def counted(hub: Hub) -> Iterator[list[int]]:
    """Counts the SQL statements sent while inside."""
    seen = [0]

    def one(*_args: object) -> None:
        seen[0] += 1

    event.listen(hub.engine, "before_cursor_execute", one)
    try:
        yield seen
    finally:
        event.remove(hub.engine, "before_cursor_execute", one)


def figures(hub: Hub, ctx: QueueContext, services: list[int]) -> Figures:
    """Every estimate the hub gives: a board's, each service's line, each waiting ticket's."""
    with transaction(hub.sessions) as session:
        board = waits.for_new_visitors(session, ctx, services)
        lines = {}
        for service in services:
            lines.update(waits.for_line(session, ctx, service))
        waiting = session.scalars(select(QueueTicket).where(QueueTicket.state == "waiting"))
        tickets = {ticket.id: waits.for_ticket(session, ctx, ticket) for ticket in waiting}
    return board, lines, tickets


def one_by_one(hub: Hub, ctx: QueueContext, services: list[int]) -> dict[int, Estimate]:
    """The board's waits as before it shared its reads: one read per service."""
    with transaction(hub.sessions) as session:
        return {service: waits.for_new_visitor(session, ctx, service) for service in services}


def _history(hub: Hub, services: list[int], users: list[int], ticket_id: int) -> None:
    """Five past days of visits (09:00-11:00, 8-12 minutes) and a lunch break at 11:00."""
    visits, spans = [], []
    for back in range(1, 6):
        opened = T0 - timedelta(days=back)
        for n in range(24):
            service = services[n % len(services)]
            called = opened + timedelta(minutes=5 * n)
            visits.append(_visit(ticket_id, service, called, 8 + n % 5))
        for user in users:
            for status, start, minutes in (("free", 0, 120), ("break", 120, 25 + back)):
                began = opened + timedelta(minutes=start)
                spans.append(_span(user, status, began, minutes * 60))
    with transaction(hub.sessions) as session:
        session.execute(insert(table_of(QueueVisit)), visits)
        session.execute(insert(table_of(OperatorSpan)), spans)


def _visit(ticket_id: int, service: int, called: datetime, minutes: int) -> dict[str, object]:
    return {
        "ticket_id": ticket_id,
        "service_id": service,
        "kind": "walk_in",
        "day": called.astimezone(KYIV).date(),
        "hour": called.astimezone(KYIV).hour,
        "joined_at": called,
        "called_at": called,
        "ended_at": called + timedelta(minutes=minutes),
        "recalls": 0,
        "outcome": "done",
    }


def _span(user: int, status: str, began: datetime, seconds: int) -> dict[str, object]:
    local = began.astimezone(KYIV)
    return {
        "user_id": user,
        "status": status,
        "window": "1",
        "day": local.date(),
        "hour": local.hour,
        "started_at": began,
        "seconds": seconds,
    }


def test_kept_history_gives_the_same_estimates_as_reading_it(hub: Hub) -> None:
    """Through tickets issued, visits finished, the clock past an hour and a break begun, the
    estimates with history kept equal those read afresh (and the board's shared read equals
    one read per service); the history kept saves statements, and the steps do move the
    estimates (else the comparison would prove nothing)."""
    with transaction(hub.sessions) as session:
        a, b, c = (make_service(session, name) for name in ("Паспорти", "Каса", "Довідки"))
        olena = make_operator(session, "olena", [a, b])
        petro = make_operator(session, "petro", [b])
        ira = make_operator(session, "ira", [c])
    services = [a, b, c]
    first = issue(hub, a, -60).ticket.id
    _history(hub, services, [olena.user_id, petro.user_id, ira.user_id], first)
    with transaction(hub.sessions) as session:
        update_user_parameters(session, petro.user_id, {"use_user_statuses": True})
    for profile, window in ((olena, "1"), (petro, "2"), (ira, "3")):
        press_free(hub, profile, 100, window=window)
    for n in range(3):
        issue(hub, services[n], 99 + n / 10)

    def step(minutes: float) -> Figures:
        ctx = at(minutes)
        with counted(hub) as kept_statements:
            kept = figures(hub, ctx, services)
        clear(hub.engine)
        with counted(hub) as read_statements:
            read = figures(hub, ctx, services)
        assert kept == read
        assert one_by_one(hub, ctx, services) == read[0]
        assert kept_statements[0] <= read_statements[0]
        saved.append(read_statements[0] - kept_statements[0])
        return read

    # Each change comes within a minute of the hub's clock after the last estimates, while
    # what they read is still kept: only the listener can tell the history changed.
    saved: list[int] = []
    step(100.5)
    for n in range(6):  # tickets issued
        issue(hub, services[n % 3], 100.6 + n / 100)
    issued = step(100.7)
    step(101.2)  # nothing changed: the history is kept
    assert saved[-1] > 0
    for profile, window in ((olena, "1"), (petro, "2"), (ira, "3")):  # visits finished
        with transaction(hub.sessions) as session:
            held = session.scalar(
                select(QueueOperator.ticket_id).where(QueueOperator.user_id == profile.user_id)
            )
            if held is not None:
                queue_operators.done(session, at(101.4), profile=profile, ticket_id=held)
        press_free(hub, profile, 101.5, window=window)
    finished = step(101.6)
    assert finished != issued
    with transaction(hub.sessions) as session:  # a break begun before its usual time
        queue_operators.set_status(session, at(101.8), profile=petro, status="break", window="2")
    on_break = step(102)
    assert on_break[0] != finished[0]
    with transaction(hub.sessions) as session:  # a whole visit written at once (an import)
        row = {**_visit(first, a, T0 - timedelta(days=1), 45), "hour": 8}
        session.execute(insert(table_of(QueueVisit)), row)
    assert step(102.2)[0] != on_break[0]
    step(119.7)
    step(120.2)  # 11:00:12, another local hour
    issue(hub, b, 120.8)
    step(121)


def test_kept_history_expires_on_the_hub_s_clock(hub: Hub) -> None:
    """A visit written by another hub sharing the database is not seen by this one's listener:
    its estimates keep the old visit lengths while the hub's (controlled) clock moves less than
    a minute, and read the new ones once it has moved more; wall time plays no part."""
    start = T0 + timedelta(minutes=1)
    clock = ControlledClock(start)
    hub = replace(hub, clock=clock)
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
    ticket = issue(hub, service, 0).ticket.id
    issue(hub, service, 0.5)

    def now_wait() -> int:
        ctx = QueueContext(now=clock.now(), tz=KYIV)
        with transaction(hub.sessions) as session:
            return waits.for_new_visitor(session, ctx, service).seconds

    clear(hub.engine)
    before = now_wait()  # read now, at ``start``
    other = make_engine(hub.settings.effective_database_url)  # another hub's own engine
    try:
        with other.begin() as connection:
            connection.execute(
                insert(table_of(QueueVisit)), _visit(ticket, service, T0 - timedelta(days=1), 40)
            )
    finally:
        other.dispose()
    clock.set(start + MAX_AGE - timedelta(seconds=1))
    assert now_wait() == before  # kept: the other hub's write is not seen yet
    clock.set(start + MAX_AGE + timedelta(seconds=1))
    after = now_wait()
    assert after != before
    clear(hub.engine)
    assert now_wait() == after  # what a fresh read gives
