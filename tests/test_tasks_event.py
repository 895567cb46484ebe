"""EVT-6: a task made from an event inherits its details and links back to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.models import Client, Event, EventType
from tests.conftest import UserFactory
from tests.test_tasks_support import Headers, add_rows, error_of, make_journal

START = datetime(2030, 5, 6, 8, 15, tzinfo=UTC)


def _event(hub: Hub, **fields: object) -> int:
    with hub.sessions() as session:
        type_id = session.scalar(select(EventType.id).where(EventType.code == "incoming_call"))
    (client_id,) = add_rows(hub, Client(name="ТОВ Клієнт"))
    values: dict[str, object] = {
        "number": "000042",
        "type_id": type_id,
        "starts_at": START,
        "client_id": client_id,
        "phone": "+380441234567",
        "fax": "0441112233",
        "email": "a@example.com",
        "content": "Просить передзвонити",
    }
    values.update(fields)
    (event_id,) = add_rows(hub, Event(**values))
    return event_id


def test_task_inherits_the_event(
    client: TestClient, admin_headers: Headers, hub: Hub, make_user: UserFactory
) -> None:
    worker, _ = make_user()
    event_id = _event(hub)
    reply = client.post(
        f"/api/v1/events/{event_id}/tasks", headers=admin_headers, json={"executor_ids": [worker]}
    )
    assert reply.status_code == 201, reply.text
    task = reply.json()
    assert task["event_id"] == event_id
    assert task["starts_at"].startswith("2030-05-06T08:15")
    assert task["ends_at"].startswith("2030-05-06T09:15")  # no end: one hour
    assert task["name"] == "Вхідний дзвінок №000042"
    assert (task["phone"], task["fax"], task["email"]) == (
        "+380441234567",
        "0441112233",
        "a@example.com",
    )
    assert task["content"] == "Просить передзвонити" and task["client_id"] is not None
    assert task["event_type_id"] is not None and [e["user_id"] for e in task["executors"]] == [
        worker
    ]
    ended = _event(hub, ends_at=START + timedelta(hours=3))
    reply = client.post(
        f"/api/v1/events/{ended}/tasks", headers=admin_headers, json={"name": "Свій"}
    )
    assert reply.json()["ends_at"].startswith("2030-05-06T11:15") and reply.json()["name"] == "Свій"
    assert client.post(f"/api/v1/events/{ended}/tasks", headers=admin_headers).status_code == 201


def test_rights_and_missing_event(
    client: TestClient, admin_headers: Headers, hub: Hub, make_user: UserFactory
) -> None:
    journal = make_journal(client, admin_headers, "calls")
    event_id = _event(hub, journal_id=journal)
    _, writer = make_user(rights={"task": "c"})
    error = error_of(client.post(f"/api/v1/events/{event_id}/tasks", headers=writer), 403)
    assert error["right"] == f"journal:{journal}:create"
    _, nobody = make_user()
    error_of(client.post(f"/api/v1/events/{event_id}/tasks", headers=nobody), 403)
    error_of(client.post("/api/v1/events/999999/tasks", headers=admin_headers), 404)
    assert client.get("/api/v1/tasks", headers=admin_headers).json()["items"] == []
