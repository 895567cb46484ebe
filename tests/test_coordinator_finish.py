"""A panel finishes a visitor with time spent and percent done, over the hub's own Mosquitto
(issue 17, item 6): the task's executor record and status follow the task rules, a malformed
value is refused with a clear error and changes nothing, an old-style finish still works, and
the panel is sent the address of the task's card."""

from __future__ import annotations

import json
import queue
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hub.db.models import Task, TaskExecutor, TaskStatus
from hub.db.models.queue import QueueTicket
from hub.protocol import topics
from hub.protocol.client import DeviceClient
from hub.protocol.messages import Finish, IssueTicket, KioskReply, PanelReply, SetStatus, Start
from tests.office_time import office_now
from tests.test_coordinator import (  # noqa: F401
    WAIT,
    Site,
    ask,
    login,
    make_service,
    rid,
    site,
)


def _called(site: Site, name: str) -> tuple[DeviceClient, int, int, PanelReply]:  # noqa: F811
    """A ticket issued and taken by ``name`` at panel-1: (panel, ticket id, task id, reply)."""
    service = make_service(site, f"Довідки {name}", [name])
    kiosk = site.device("kiosk-2", "kiosk")
    issued = ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply)
    assert issued.ok, issued.error
    panel = site.device("panel-1", "panel")
    login(panel, name)
    free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert free.ok and free.assignment.ticket is not None, free.error
    came = ask(panel, Start(request_id=rid(), ticket_id=issued.ticket.id), PanelReply)
    assert came.ok, came.error
    return panel, issued.ticket.id, free.assignment.task_id, free


def _task(site: Site, task_id: int) -> tuple[str, int, int, str, int]:  # noqa: F811
    """(task status, percent, minutes, the executor's status, the executor's minutes)."""
    with site.hub.sessions() as session:
        task = session.get(Task, task_id)
        assert task is not None
        row = session.scalars(select(TaskExecutor).where(TaskExecutor.task_id == task_id)).one()
        codes = dict(session.execute(select(TaskStatus.id, TaskStatus.code)).all())
        return (
            codes[task.status_id],
            task.percent_done,
            task.time_spent_minutes,
            codes[row.status_id],
            row.time_spent_minutes,
        )


def _ticket_state(site: Site, ticket_id: int) -> str:  # noqa: F811
    with site.hub.sessions() as session:
        ticket = session.get(QueueTicket, ticket_id)
        assert ticket is not None
        return ticket.state


def test_thirty_minutes_at_100_percent_and_the_card_address(site: Site) -> None:  # noqa: F811
    panel, ticket, task, free = _called(site, "olena")
    with site.hub.sessions() as session:
        number = session.get(Task, task).number  # type: ignore[union-attr]
    assert free.assignment.task_number == number
    assert free.assignment.task_url == f"{site.hub.settings.office_url}/office/tasks/{task}"
    assert free.assignment.task_url.startswith("https://")
    assert free.assignment.ticket.called_at is not None
    done = ask(
        panel,
        Finish(request_id=rid(), ticket_id=ticket, time_spent_minutes=30, percent_done=100),
        PanelReply,
    )
    assert done.ok and done.assignment.ticket is None, done.error
    assert _task(site, task) == ("done", 100, 30, "done", 30)
    assert _ticket_state(site, ticket) == "done"


def test_forty_percent_leaves_the_task_open(site: Site) -> None:  # noqa: F811
    panel, ticket, task, _ = _called(site, "olena")
    done = ask(
        panel,
        Finish(request_id=rid(), ticket_id=ticket, time_spent_minutes=15, percent_done=40),
        PanelReply,
    )
    assert done.ok, done.error
    assert _task(site, task) == ("assigned", 40, 15, "assigned", 15)
    assert _ticket_state(site, ticket) == "done"


def test_malformed_values_are_refused_and_change_nothing(site: Site) -> None:  # noqa: F811
    panel, ticket, task, _ = _called(site, "olena")
    before = _task(site, task)
    replies: queue.Queue[dict[str, Any]] = queue.Queue()
    panel.subscribe_raw(
        topics.panel_reply("main", "panel-1"),
        lambda _topic, payload: replies.put(json.loads(payload)),
        wait=WAIT,
    )
    raw = panel._client  # the device client only sends valid messages: go underneath it
    for field, value in (
        ("percent_done", 150),
        ("time_spent_minutes", -5),
        ("time_spent_minutes", "30"),
        ("percent_done", 99.5),
    ):
        request_id = str(rid())
        body = {"v": 1, "type": "finish", "request_id": request_id, "ticket_id": ticket}
        raw.publish(topics.panel_req("main", "panel-1"), json.dumps({**body, field: value}), qos=1)
        reply = replies.get(timeout=WAIT)
        while reply["request_id"] != request_id:
            reply = replies.get(timeout=WAIT)
        assert reply["ok"] is False and reply["error"]["code"] == "invalid"
        assert field in reply["error"]["message"]
    assert _task(site, task) == before
    assert _ticket_state(site, ticket) == "serving"
    # The hub still serves the panel: the visitor is finished the old way after all.
    done = ask(panel, Finish(request_id=rid(), ticket_id=ticket), PanelReply)
    assert done.ok, done.error


def test_an_old_style_finish_records_the_minutes_since_the_call(site: Site) -> None:  # noqa: F811
    site.now[0] = office_now(site.hub.settings.tz)  # seven minutes on: never across midnight
    panel, ticket, task, _ = _called(site, "olena")
    site.now[0] += timedelta(minutes=7)
    done = ask(panel, Finish(request_id=rid(), ticket_id=ticket, note="Видано"), PanelReply)
    assert done.ok, done.error
    status, percent, minutes, mine, my_minutes = _task(site, task)
    assert (status, percent, mine) == ("done", 100, "done")
    assert minutes == my_minutes == 7
    with site.hub.sessions() as session:
        content = session.get(Task, task).content  # type: ignore[union-attr]
    assert content is not None and "Видано" in content
