"""The queue's REST API: the same operations as the devices, under the access rights (ACC-1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.services.common import outbox
from tests.conftest import UserFactory

Q = "/api/v1/queue"


def _service(client: TestClient, headers: dict[str, str], members: list[int]) -> int:
    reply = client.post(
        "/api/v1/projects", headers=headers, json={"name": "Паспорти", "uses_queue": True}
    )
    assert reply.status_code == 201, reply.text
    project_id = int(reply.json()["id"])
    for user_id in members:
        reply = client.put(f"/api/v1/projects/{project_id}/members/{user_id}", headers=headers)
        assert reply.status_code in (200, 201, 204), reply.text
    return project_id


def test_issue_free_recall_done_over_rest(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory, hub: Hub
) -> None:
    operator_id, operator = make_user(rights={"task": "cu", "event": "c"})
    _, hall = make_user(rights={"event": "cu"})
    _, reader = make_user()
    service = _service(client, admin_headers, [operator_id])

    reply = client.post(f"{Q}/tickets", headers=reader, json={"service_id": service})
    assert reply.status_code == 403
    reply = client.post(
        f"{Q}/tickets", headers=hall, json={"service_id": service, "client": {"companies": 0}}
    )
    assert reply.status_code == 422
    reply = client.post(
        f"{Q}/tickets",
        headers=hall,
        json={"service_id": service, "client": {"name": "Олена", "phone": "0671234567"}},
    )
    assert reply.status_code == 201, reply.text
    ticket = reply.json()["ticket"]
    assert (ticket["number"], ticket["position"], reply.json()["assignment"]) == ("001", 1, None)

    services = client.get(f"{Q}/services", headers=reader).json()
    assert [(row["id"], row["waiting"]) for row in services] == [(service, 1)]
    waiting = client.get(f"{Q}/services/{service}/tickets", headers=reader).json()
    assert [row["number"] for row in waiting] == ["001"]

    reply = client.post(f"{Q}/operators/me/free", headers=hall, json={"window": "5"})
    assert reply.status_code == 403  # Free makes a task: the task create right is needed
    reply = client.post(f"{Q}/operators/me/free", headers=operator, json={"window": "5"})
    assert reply.status_code == 200, reply.text
    assignment = reply.json()["assignment"]
    assert assignment["ticket"]["number"] == "001" and assignment["window"] == "5"
    assert assignment["reason"]["service_id"] == service
    assert reply.json()["operator"]["status"] == "busy"
    ticket_id = assignment["ticket"]["id"]

    reply = client.post(f"{Q}/tickets/{ticket_id}/recall", headers=operator)
    assert reply.status_code == 200 and reply.json()["ticket"]["recalls"] == 1
    reply = client.post(f"{Q}/tickets/{ticket_id}/done", headers=hall, json={"note": "x"})
    assert reply.status_code == 403
    reply = client.post(
        f"{Q}/tickets/{ticket_id}/done", headers=operator, json={"percent_done": 150}
    )
    assert reply.status_code == 422  # and nothing changed: the ticket is still in hand
    work = {"note": "Готово", "time_spent_minutes": 30, "percent_done": 40}
    reply = client.post(f"{Q}/tickets/{ticket_id}/done", headers=operator, json=work)
    assert reply.status_code == 200, reply.text
    assert reply.json()["ticket"]["state"] == "done"
    task = client.get(f"/api/v1/tasks/{assignment['task_id']}", headers=admin_headers).json()
    assert "Готово" in task["content"]
    # 40 %: the visitor is served, the task and the operator's part stay open (TSK-3).
    assert (task["percent_done"], task["time_spent_minutes"], task["status"]) == (
        40,
        30,
        "assigned",
    )
    assert [(e["user_id"], e["time_spent_minutes"], e["status"]) for e in task["executors"]] == [
        (operator_id, 30, "assigned")
    ]

    reply = client.put(
        f"{Q}/operators/me/status", headers=operator, json={"status": "no-such-status"}
    )
    assert reply.status_code == 422
    reply = client.put(f"{Q}/operators/me/status", headers=operator, json={"status": "break"})
    assert reply.status_code == 200 and reply.json()["operator"]["status"] == "break"
    board = client.get(f"{Q}/board", headers=reader).json()
    assert board["calls"][0]["number"] == "001" and board["waiting"] == {str(service): 0}
    with transaction(hub.sessions) as session:
        topics = {message.topic for message in outbox.pending(session, 1000)}
    assert {"cherga/v1/main/display/board", "cherga/v1/main/display/announce"} <= topics


def test_booking_and_check_in_over_rest(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    service = _service(client, admin_headers, [])
    soon = datetime.now(UTC) + timedelta(minutes=5)
    reply = client.post(
        f"{Q}/bookings",
        headers=admin_headers,
        json={"service_id": service, "booked_at": soon.isoformat()},
    )
    assert reply.status_code == 201, reply.text
    code = reply.json()["booking_code"]
    reply = client.post(f"{Q}/check-in", headers=admin_headers, json={"booking_code": "NOPE"})
    assert reply.status_code == 404
    reply = client.post(f"{Q}/check-in", headers=admin_headers, json={"booking_code": code})
    assert reply.status_code == 200, reply.text
    assert reply.json()["ticket"]["state"] == "waiting"
    reply = client.post(f"{Q}/check-in", headers=admin_headers, json={"booking_code": code})
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "queue_booking_checked_in"
