"""Events (EVT-4, SET-11, TSK-5 style): change log, linked documents, deletion."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Task, TaskStatus
from tests.conftest import UserFactory
from tests.test_events import (
    EVENTS,
    T0,
    Headers,
    add_client,
    add_document,
    create_event,
    history,
    iso,
    set_parameters,
    type_id,
)


def test_update_writes_a_diff_and_history_lists_it(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    event = create_event(client, admin_headers, content="перший", phone="0671112233")
    reply = client.patch(
        f"{EVENTS}/{event['id']}",
        headers=admin_headers,
        json={"content": "другий", "ends_at": iso(T0 + timedelta(hours=1)), "type": "visit"},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["type_code"] == "visit"
    reversed_period = client.patch(
        f"{EVENTS}/{event['id']}",
        headers=admin_headers,
        json={"starts_at": iso(T0 + timedelta(hours=2))},
    )
    assert reversed_period.status_code == 422
    assert (
        client.patch(
            f"{EVENTS}/{event['id']}", headers=admin_headers, json={"starts_at": None}
        ).status_code
        == 422
    )
    records = history(client, admin_headers, event["id"])
    assert [record["action"] for record in records] == ["create", "change"]
    assert records[0]["changes"]["content"] == "перший"
    changes = records[1]["changes"]
    assert changes["content"] == ["перший", "другий"]
    assert changes["type_id"] == [type_id(hub, "incoming_call"), type_id(hub, "visit")]
    assert "phone" not in changes
    assert client.get(f"{EVENTS}/999999/history", headers=admin_headers).status_code == 404
    # Deleting keeps the log, which ends with the deletion.
    assert client.delete(f"{EVENTS}/{event['id']}", headers=admin_headers).status_code == 204
    actions = [record["action"] for record in history(client, admin_headers, event["id"])]
    assert actions == ["create", "change", "delete"]
    assert client.get(f"{EVENTS}/{event['id']}", headers=admin_headers).status_code == 404


def test_no_audit_records_while_the_switch_is_off(
    client: TestClient, admin_headers: Headers
) -> None:
    set_parameters(client, admin_headers, audit_tasks_events=False)
    event = create_event(client, admin_headers)
    client.patch(f"{EVENTS}/{event['id']}", headers=admin_headers, json={"content": "x"})
    assert history(client, admin_headers, event["id"]) == []
    set_parameters(client, admin_headers, audit_tasks_events=True)
    client.patch(f"{EVENTS}/{event['id']}", headers=admin_headers, json={"content": "y"})
    assert [r["action"] for r in history(client, admin_headers, event["id"])] == ["change"]


def test_linked_documents(
    client: TestClient, admin_headers: Headers, hub: Hub, make_user: UserFactory
) -> None:
    client_id, _ = add_client(hub)
    doc = add_document(hub, client_id)
    event = create_event(client, admin_headers, client_id=client_id)
    url = f"{EVENTS}/{event['id']}/documents/{doc}"
    _, creator = make_user(rights={"event": "c"})
    assert client.put(url, headers=creator).status_code == 403
    assert client.get(f"{EVENTS}/{event['id']}", headers=admin_headers).json()["documents"] == []
    reply = client.put(url, headers=admin_headers)
    assert reply.status_code == 200, reply.text
    (linked,) = reply.json()["documents"]
    assert linked["id"] == doc and linked["kind"] == "invoice"
    assert client.put(url, headers=admin_headers).status_code == 200  # linking twice is harmless
    missing = f"{EVENTS}/{event['id']}/documents/999999"
    assert client.put(missing, headers=admin_headers).status_code == 404
    assert client.delete(missing, headers=admin_headers).status_code == 404
    assert client.delete(url, headers=creator).status_code == 403
    reply = client.delete(url, headers=admin_headers)
    assert reply.status_code == 200
    assert reply.json()["documents"] == []
    actions = [r["action"] for r in history(client, admin_headers, event["id"])]
    assert actions == ["create", "link_document", "unlink_document"]


def test_deleting_an_event_keeps_its_task(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    event = create_event(client, admin_headers)
    with transaction(hub.sessions) as session:
        status = session.scalar(select(TaskStatus.id).where(TaskStatus.code == "assigned"))
        assert status is not None
        task = Task(
            number="T-1",
            name="Передзвонити",
            starts_at=T0,
            ends_at=T0 + timedelta(hours=1),
            status_id=status,
            event_id=event["id"],
        )
        session.add(task)
        session.flush()
        task_id = task.id
    assert client.delete(f"{EVENTS}/{event['id']}", headers=admin_headers).status_code == 204
    with transaction(hub.sessions) as session:
        kept = session.get(Task, task_id)
        assert kept is not None and kept.event_id is None
