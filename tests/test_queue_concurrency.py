"""Free under contention: 50 operators at once, 20 visitors, never one visitor at two windows."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.engine import make_engine, make_session_factory, transaction
from hub.db.models import Project, ProjectMember, Task, User
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.services.access.rights import load_profile
from hub.services.queue import assign as queue_assign
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.core import QueueContext

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=KYIV)
OPERATORS, TICKETS = 50, 20


def _prepare(hub: Hub, operators: int, tickets: int) -> list[int]:
    with transaction(hub.sessions) as session:
        services = [Project(number=f"S{i}", name=f"Послуга {i}", uses_queue=True) for i in (1, 2)]
        session.add_all(services)
        session.flush()
        users = []
        for index in range(operators):
            user = User(username=f"op{index:02d}", full_access=True)
            session.add(user)
            session.flush()
            # Half serve both services, half only the first: overlapping work groups.
            for service in services[: 1 + index % 2]:
                session.add(ProjectMember(project_id=service.id, user_id=user.id))
            users.append(user.id)
        for index in range(tickets):
            ctx = QueueContext(now=NOW - timedelta(minutes=tickets - index), tz=KYIV)
            queue_tickets.issue_ticket(session, ctx, service_id=services[index % 2].id)
    return users


def press_free_at_once(url: str, user_ids: list[int], window_base: int) -> list[int | None]:
    """Every operator presses Free at the same moment, each in its own session and thread."""
    engine = make_engine(url, pool_size=len(user_ids), max_overflow=0)
    sessions = make_session_factory(engine)
    start = threading.Barrier(len(user_ids))
    results: dict[int, int | None] = {}
    errors: list[BaseException] = []

    def operator(user_id: int, window: int) -> None:
        try:
            start.wait(timeout=60)
            with transaction(sessions) as session:
                user = session.get(User, user_id)
                assert user is not None
                ctx = QueueContext(now=NOW, tz=KYIV)
                result = queue_assign.free(
                    session, ctx, profile=load_profile(session, user), window=str(window)
                )
                got = result.assignment.ticket.id if result.assignment else None
            results[user_id] = got
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=operator, args=(user_id, window_base + index))
        for index, user_id in enumerate(user_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    engine.dispose()
    if errors:
        raise errors[0]
    return [results[user_id] for user_id in user_ids]


def _check(hub: Hub, got: list[int | None]) -> None:
    assigned = [ticket for ticket in got if ticket is not None]
    assert len(assigned) == TICKETS
    assert len(set(assigned)) == TICKETS, Counter(assigned).most_common(3)
    with transaction(hub.sessions) as session:
        states = Counter(session.scalars(select(QueueTicket.state)))
        assert states == {"called": TICKETS}
        statuses = Counter(session.scalars(select(QueueOperator.status)))
        assert statuses == {"busy": TICKETS, "free": OPERATORS - TICKETS}
        holders = session.scalars(
            select(QueueOperator.ticket_id).where(QueueOperator.ticket_id.is_not(None))
        ).all()
        assert sorted(holders) == sorted(assigned)
        assert session.scalar(select(func.count(Task.id))) == TICKETS
        # Each ticket's task belongs to the operator whose window it was called to.
        for ticket in session.scalars(select(QueueTicket)):
            task = session.get(Task, ticket.task_id)
            assert task is not None and [e.user_id for e in task.executors] == [ticket.operator_id]


@pytest.mark.timeout(300)
def test_fifty_operators_press_free_at_once(hub: Hub, db_url: str) -> None:
    users = _prepare(hub, OPERATORS, TICKETS)
    got = press_free_at_once(db_url, users, 1)
    _check(hub, got)


def _worker(url: str, user_ids: list[int], window_base: int, out: multiprocessing.Queue) -> None:
    # multiprocessing.Queue is not generic at runtime; the annotation is for readers.
    out.put(press_free_at_once(url, user_ids, window_base))


@pytest.mark.timeout(300)
def test_two_hub_processes_press_free_at_once_on_postgres(
    hub: Hub, db_url: str, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("several hub processes share one database only on PostgreSQL")
    users = _prepare(hub, OPERATORS, TICKETS)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    halves = (users[::2], users[1::2])
    processes = [
        context.Process(target=_worker, args=(db_url, half, 100 * (n + 1), out))
        for n, half in enumerate(halves)
    ]
    for process in processes:
        process.start()
    try:
        got = [ticket for _ in processes for ticket in out.get(timeout=240)]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
    assert all(process.exitcode == 0 for process in processes)
    _check(hub, got)
