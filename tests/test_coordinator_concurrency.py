"""Free under contention through MQTT: 50 panels press Free at once with 20 visitors waiting.

The service-level race is tests/test_queue_concurrency.py; this one goes through the broker, the
coordinator's shards and, on PostgreSQL, two coordinators sharing the requests (a shared
subscription) and the database. Duplicated requests race too.
"""

from __future__ import annotations

import json
import queue
import threading
from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

import pytest
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.models import DeviceRequest, Task
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.protocol import topics
from hub.protocol.base import Message, Reply
from hub.protocol.client import DeviceClient
from hub.protocol.messages import (
    Finish,
    IssueTicket,
    KioskReply,
    PanelReply,
    SetStatus,
    encode,
)
from tests.coordinator_site import DeviceSpec, running_site
from tests.test_coordinator import WAIT, Site, ask, login, make_service, rid

OPERATORS, TICKETS = 50, 20
R = TypeVar("R", bound=Reply)
SPECS: list[DeviceSpec] = [
    ("kiosk", "kiosk-1", {}),
    *(("panel", f"panel-{n}", {"window": n}) for n in range(1, OPERATORS + 1)),
]


def _prepare(site: Site, operators: int, tickets: int) -> list[DeviceClient]:
    """One service, its operators logged in at panels 1..operators, ``tickets`` visitors."""
    service = make_service(site, "Паспорти", [f"op{n:02d}" for n in range(1, operators + 1)])
    kiosk = site.device("kiosk-1", "kiosk")
    panels = [site.device(f"panel-{n}", "panel") for n in range(1, operators + 1)]
    for n, panel in enumerate(panels, 1):
        login(panel, f"op{n:02d}")
    for _ in range(tickets):
        assert ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply).ok
    return panels


def _press_free_at_once(panels: Sequence[DeviceClient]) -> list[PanelReply]:
    """Every panel sends Free at the same moment, each from its own thread."""
    start = threading.Barrier(len(panels))
    replies: dict[int, PanelReply] = {}
    errors: list[BaseException] = []

    def press(index: int, panel: DeviceClient) -> None:
        try:
            start.wait(timeout=WAIT)
            replies[index] = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=press, args=(index, panel)) for index, panel in enumerate(panels)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=4 * WAIT)
    if errors:
        raise errors[0]
    return [replies[index] for index in range(len(panels))]


def _check(hub: Hub, replies: list[PanelReply]) -> None:
    """Exactly one ticket per served window, each ticket once, and the database agrees."""
    failed = [r.error for r in replies if not r.ok]
    assert not failed, failed
    got = {
        r.assignment.window: r.assignment.ticket.id
        for r in replies
        if r.assignment is not None and r.assignment.ticket is not None
    }
    assert len(got) == TICKETS
    assert len(set(got.values())) == TICKETS, Counter(got.values()).most_common(3)
    with hub.sessions() as session:
        assert Counter(session.scalars(select(QueueTicket.state))) == {"called": TICKETS}
        assert session.scalar(select(func.count(Task.id))) == TICKETS
        statuses = Counter(session.scalars(select(QueueOperator.status)))
        assert statuses == {"busy": TICKETS, "free": OPERATORS - TICKETS}
        called = {
            t.window: t.id
            for t in session.scalars(select(QueueTicket).where(QueueTicket.state == "called"))
        }
        assert called == got
        for ticket in session.scalars(select(QueueTicket)):
            task = session.get(Task, ticket.task_id)
            assert task is not None and [e.user_id for e in task.executors] == [ticket.operator_id]


@pytest.mark.timeout(300)
def test_fifty_panels_press_free_at_once(hub: Hub) -> None:
    # Four workers even on SQLite (which serves with one): the requests race inside one hub too.
    with running_site(hub, SPECS, shards=4) as (site, _):
        panels = _prepare(site, OPERATORS, TICKETS)
        _check(hub, _press_free_at_once(panels))


@pytest.mark.timeout(300)
def test_two_coordinators_share_the_panels_on_postgres(hub: Hub, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("several hubs share one database only on PostgreSQL")
    with running_site(hub, SPECS, coordinators=2) as (site, coordinators):
        panels = _prepare(site, OPERATORS, TICKETS)
        served = [c.handled for c in coordinators]
        replies = _press_free_at_once(panels)
        _check(hub, replies)
        # The shared subscription gave each hub a part of the Free requests.
        assert all(c.handled > before for c, before in zip(coordinators, served, strict=True))
        assert sum(c.handled for c in coordinators) - sum(served) == OPERATORS


def _twice(client: DeviceClient, request: Message, expect: type[R]) -> list[R]:
    """Publish the same request twice back to back; the two replies, as sent."""
    kiosk = expect is KioskReply
    build = topics.kiosk_req if kiosk else topics.panel_req
    answer = topics.kiosk_reply if kiosk else topics.panel_reply
    replies: queue.Queue[R] = queue.Queue()
    wanted = str(request.request_id)  # type: ignore[attr-defined]

    def collect(topic: str, payload: bytes) -> None:
        if json.loads(payload).get("request_id") == wanted:
            replies.put(expect.model_validate_json(payload))

    stop = client.subscribe_raw(answer("main", client.device), collect, wait=WAIT)
    try:
        body = encode(request)
        raw = client._client  # the same request_id twice: DeviceClient.request refuses that
        for _ in range(2):
            raw.publish(build("main", client.device), body, qos=1)
        return [replies.get(timeout=WAIT) for _ in range(2)]
    finally:
        stop()


@pytest.mark.timeout(300)
def test_the_same_request_twice_at_once_is_answered_alike_and_done_once(
    hub: Hub, backend: str
) -> None:
    # On PostgreSQL the two copies go to two coordinators and really race.
    count = 2 if backend == "postgres" else 1
    rounds = 5
    with running_site(hub, SPECS[:2], coordinators=count) as (site, coordinators):
        service = make_service(site, "Паспорти", ["op01"])
        kiosk, panel = site.device("kiosk-1", "kiosk"), site.device("panel-1", "panel")
        login(panel, "op01")
        tickets = []
        for _ in range(rounds):
            issued, again = _twice(
                kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply
            )
            assert issued.ok and issued.ticket is not None and issued == again
            tickets.append(issued.ticket.id)
        with hub.sessions() as session:
            assert session.scalar(select(func.count(QueueTicket.id))) == rounds
        split = 0
        for index, ticket in enumerate(tickets):
            handled = [c.handled for c in coordinators]
            freed, repeated = _twice(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
            split += all(c.handled > h for c, h in zip(coordinators, handled, strict=True))
            assert freed.ok and freed == repeated, (freed, repeated)
            assert freed.assignment is not None and freed.assignment.ticket is not None
            assert freed.assignment.ticket.id == ticket
            with hub.sessions() as session:
                assert session.scalar(select(func.count(Task.id))) == index + 1
            assert ask(panel, Finish(request_id=rid(), ticket_id=ticket), PanelReply).ok
        with hub.sessions() as session:
            assert Counter(session.scalars(select(QueueTicket.state))) == {"done": rounds}
            kinds = Counter(session.scalars(select(DeviceRequest.kind)))
        assert kinds["issue_ticket"] == rounds and kinds["set_status"] == rounds
        if count == 2:
            # At least one duplicated Free reached both hubs (the broker alternates them).
            assert split > 0
