"""SET-10 "create a task when a queue event is saved" (issue 16), through the REST API.

Off (the default): saving changes nothing else. On: a queue event ("queue", "electronic
queue") created or changed through the events service becomes one task, made by the function of
"task from event" (EVT-6), in the same transaction; never a second one, and never for a queue
ticket's own event, whose task the queue's Free makes. The back-office's event card is in
tests/test_office_parameters.py. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.models import Task, TaskExecutor
from tests.conftest import UserFactory

Q = "/api/v1/queue"


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **body: Any) -> Any:
    reply = client.request(method, f"/api/v1{url}", headers=headers, json=body or None)
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def _set(client: TestClient, headers: dict[str, str], on: bool) -> None:
    _api(client, headers, "PATCH", "/parameters", queue_create_task_on_save=on)


def _event(client: TestClient, headers: dict[str, str], kind: str, **values: Any) -> int:
    body = {"type": kind, "starts_at": datetime.now(UTC).isoformat(), **values}
    return int(_api(client, headers, "POST", "/events", **body)["id"])


def _tasks(hub: Hub, event_id: int) -> list[tuple[str, int | None, list[int]]]:
    """(name, author, executors) of each task made from the event."""
    with hub.sessions() as session:
        found = session.scalars(select(Task).where(Task.event_id == event_id).order_by(Task.id))
        return [
            (
                task.name,
                task.author_id,
                list(
                    session.scalars(
                        select(TaskExecutor.user_id).where(TaskExecutor.task_id == task.id)
                    )
                ),
            )
            for task in found
        ]


def test_off_by_default_saving_makes_no_task(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert _api(client, admin_headers, "GET", "/parameters")["queue_create_task_on_save"] is False
    event_id = _event(client, admin_headers, "queue")
    _api(client, admin_headers, "PATCH", f"/events/{event_id}", content="Змінено")
    assert _tasks(hub, event_id) == []


def test_on_a_queue_event_becomes_one_task_when_created_or_changed(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    _set(client, admin_headers, True)
    admin_id = _api(client, admin_headers, "GET", "/me")["id"]

    created = _event(client, admin_headers, "queue", content="Консультація")
    number = _number(client, admin_headers, created)
    assert _tasks(hub, created) == [(f"Черга №{number}", admin_id, [admin_id])]
    _api(client, admin_headers, "PATCH", f"/events/{created}", content="Змінено")
    assert len(_tasks(hub, created)) == 1  # not twice

    # Another type makes none; changed to a queue type it makes one, and only one.
    call = _event(client, admin_headers, "incoming_call")
    assert _tasks(hub, call) == []
    _api(client, admin_headers, "PATCH", f"/events/{call}", type="electronic_queue")
    number = _number(client, admin_headers, call)
    assert [name for name, _, _ in _tasks(hub, call)] == [f"Електронна черга №{number}"]
    _api(client, admin_headers, "PATCH", f"/events/{call}", content="Ще раз")
    assert len(_tasks(hub, call)) == 1

    # The executor is the event's responsible employee; the author is who saved it, even
    # without the right to create tasks (the parameter is the administrator's rule).
    clerk_id, clerk = make_user("clerk", rights={"event": "cu"}, lang="en")
    other = _event(client, clerk, "queue", responsible_id=admin_id)
    assert _tasks(hub, other) == [
        (f"Queue №{_number(client, admin_headers, other)}", clerk_id, [admin_id])
    ]
    # Turned off: nothing more.
    _set(client, admin_headers, False)
    assert _tasks(hub, _event(client, admin_headers, "queue")) == []


def _number(client: TestClient, headers: dict[str, str], event_id: int) -> str:
    return str(_api(client, headers, "GET", f"/events/{event_id}")["number"])


def test_a_tickets_event_gets_its_task_from_free_alone(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    _set(client, admin_headers, True)
    operator_id, operator = make_user(rights={"task": "cu", "event": "cu"})
    service = _api(client, admin_headers, "POST", "/projects", name="Паспорти", uses_queue=True)
    _api(client, admin_headers, "PUT", f"/projects/{service['id']}/members/{operator_id}")
    issued = _api(client, admin_headers, "POST", "/queue/tickets", service_id=service["id"])
    ticket = _api(client, admin_headers, "GET", f"/queue/tickets/{issued['ticket']['id']}")
    event_id = int(ticket["event_id"])
    assert _tasks(hub, event_id) == []
    # Saving the ticket's event before Free: the queue's Free will make its task, not this.
    _api(client, admin_headers, "PATCH", f"/events/{event_id}", content="Зі стійки")
    assert _tasks(hub, event_id) == []

    freed = _api(client, operator, "POST", "/queue/operators/me/free", window="2")
    assert freed["assignment"]["ticket"]["id"] == ticket["id"]
    assert [executors for _, _, executors in _tasks(hub, event_id)] == [[operator_id]]
    _api(client, admin_headers, "PATCH", f"/events/{event_id}", content="Після виклику")
    assert len(_tasks(hub, event_id)) == 1
