"""Recurrence (TSK-8), templates (TSK-9), copy and multiply (TSK-10), group status (TSK-11),
assigning executors (TSK-12) and reminders (TSK-7)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.db.models import Client
from tests.conftest import UserFactory
from tests.test_tasks_support import (
    TASKS,
    Headers,
    add_rows,
    at,
    error_of,
    make_task,
    read_task,
    set_executor,
)


def _all(client: TestClient, headers: Headers) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(f"{TASKS}?limit=500", headers=headers).json()["items"]
    return items


def test_recurring_task_done_creates_exactly_one_next(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    worker, _ = make_user()
    task = make_task(
        client,
        admin_headers,
        recurrence="monthly",
        recurrence_interval=1,
        starts_at="2030-01-31T10:00:00+02:00",
        ends_at="2030-01-31T12:00:00+02:00",
        executor_ids=[worker],
    )
    set_executor(client, admin_headers, task["id"], worker, "done")
    reply = client.patch(f"{TASKS}/{task['id']}", headers=admin_headers, json={"status": "done"})
    assert reply.status_code == 200, reply.text
    tasks = _all(client, admin_headers)
    assert len(tasks) == 2
    following = next(row for row in tasks if row["id"] != task["id"])
    assert following["previous_id"] == task["id"] and following["status"] == "assigned"
    assert following["starts_at"].startswith("2030-02-28T08:00")  # the month's last day
    assert following["ends_at"].startswith("2030-02-28T10:00")
    assert [(e["user_id"], e["status"]) for e in following["executors"]] == [(worker, "assigned")]
    # Reopening and closing again makes no second successor.
    client.patch(f"{TASKS}/{task['id']}", headers=admin_headers, json={"status": "assigned"})
    client.patch(f"{TASKS}/{task['id']}", headers=admin_headers, json={"status": "done"})
    assert len(_all(client, admin_headers)) == 2


def test_refused_done_of_recurring_task_creates_nothing(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    worker, _ = make_user()
    task = make_task(client, admin_headers, recurrence="daily", executor_ids=[worker])
    error_of(
        client.patch(f"{TASKS}/{task['id']}", headers=admin_headers, json={"status": "done"}), 409
    )
    assert len(_all(client, admin_headers)) == 1


def test_multiply_creates_one_task_per_client_all_or_nothing(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    clients = add_rows(hub, Client(name="А"), Client(name="Б"), Client(name="В"))
    task = make_task(client, admin_headers)
    reply = client.post(
        f"{TASKS}/{task['id']}/multiply",
        headers=admin_headers,
        json={"client_ids": [*clients, 999999]},
    )
    error_of(reply, 422)
    assert len(_all(client, admin_headers)) == 1
    reply = client.post(
        f"{TASKS}/{task['id']}/multiply", headers=admin_headers, json={"client_ids": clients}
    )
    assert reply.status_code == 201, reply.text
    made = reply.json()
    assert sorted(row["client_id"] for row in made) == sorted(clients)
    assert len({row["number"] for row in made}) == 3
    assert len(_all(client, admin_headers)) == 4


def test_copy_keeps_card_and_executors_with_fresh_statuses(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    worker, _ = make_user()
    task = make_task(client, admin_headers, executor_ids=[worker], priority="high")
    set_executor(client, admin_headers, task["id"], worker, "done")
    reply = client.post(
        f"{TASKS}/{task['id']}/copy", headers=admin_headers, json={"starts_at": at(24)}
    )
    assert reply.status_code == 201, reply.text
    copy = reply.json()
    assert copy["id"] != task["id"] and copy["priority"] == "high" and copy["name"] == task["name"]
    assert copy["starts_at"].startswith("2030-03-11T09:00") and copy["ends_at"].startswith(
        "2030-03-11T11:00"
    )
    assert [(e["user_id"], e["status"]) for e in copy["executors"]] == [(worker, "assigned")]


def test_group_status_is_all_or_nothing(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    worker, _ = make_user()
    free = [make_task(client, admin_headers)["id"] for _ in range(2)]
    busy = make_task(client, admin_headers, executor_ids=[worker])["id"]
    body = {"task_ids": [*free, busy], "status": "done"}
    error = error_of(client.post(f"{TASKS}/group/status", headers=admin_headers, json=body), 409)
    assert error["code"] == "task_group_refused" and str(busy) in error["message"]
    assert all(read_task(client, admin_headers, i)["status"] == "assigned" for i in [*free, busy])
    error_of(
        client.post(
            f"{TASKS}/group/status", headers=admin_headers, json={**body, "status": "overdue"}
        ),
        409,
    )
    # With the executors, every task and executor changes.
    reply = client.post(
        f"{TASKS}/group/status", headers=admin_headers, json={**body, "with_executors": True}
    )
    assert reply.status_code == 200, reply.text
    assert {row["status"] for row in reply.json()} == {"done"}
    assert read_task(client, admin_headers, busy)["executors"][0]["status"] == "done"


def test_group_status_needs_rights_and_respects_the_prohibition(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    task = make_task(client, admin_headers)["id"]
    _, reader = make_user()
    body = {"task_ids": [task], "status": "suspended"}
    error_of(client.post(f"{TASKS}/group/status", headers=reader, json=body), 403)
    user_id, writer = make_user(rights={"task": "u"})
    client.put(
        f"/api/v1/users/{user_id}/access/task-status-prohibition",
        headers=admin_headers,
        json={"prohibited": True},
    )
    error_of(client.post(f"{TASKS}/group/status", headers=writer, json=body), 403)
    assert read_task(client, admin_headers, task)["status"] == "assigned"
    error_of(
        client.post(
            f"{TASKS}/group/status",
            headers=admin_headers,
            json={**body, "task_ids": [task, 999999]},
        ),
        404,
    )
    assert read_task(client, admin_headers, task)["status"] == "assigned"


def test_assign_executors_replace_add_and_distribute(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    users = [make_user()[0] for _ in range(3)]
    tasks = [make_task(client, admin_headers, executor_ids=[users[0]])["id"] for _ in range(5)]
    reply = client.post(
        f"{TASKS}/group/executors",
        headers=admin_headers,
        json={"task_ids": tasks, "user_ids": users[1:], "mode": "replace", "distribute": True},
    )
    assert reply.status_code == 200, reply.text
    got = [[e["user_id"] for e in read_task(client, admin_headers, i)["executors"]] for i in tasks]
    assert got == [[users[1]], [users[2]], [users[1]], [users[2]], [users[1]]]
    reply = client.post(
        f"{TASKS}/group/executors",
        headers=admin_headers,
        json={"task_ids": tasks[:2], "user_ids": [users[0], users[1]], "mode": "add"},
    )
    assert reply.status_code == 200, reply.text
    got = [
        sorted(e["user_id"] for e in read_task(client, admin_headers, i)["executors"])
        for i in tasks[:2]
    ]
    assert got == [sorted([users[0], users[1]]), sorted([users[0], users[1], users[2]])]
    reply = client.post(
        f"{TASKS}/group/executors",
        headers=admin_headers,
        json={"task_ids": [tasks[0], 999999], "user_ids": [users[2]], "mode": "replace"},
    )
    error_of(reply, 404)
    assert sorted(
        e["user_id"] for e in read_task(client, admin_headers, tasks[0])["executors"]
    ) == sorted([users[0], users[1]])


def test_templates(client: TestClient, admin_headers: Headers, make_user: UserFactory) -> None:
    worker, _ = make_user()
    task = make_task(client, admin_headers, executor_ids=[worker], priority="low", content="Текст")
    reply = client.post(
        f"{TASKS}/{task['id']}/template", headers=admin_headers, json={"name": "Дзвінок"}
    )
    assert reply.status_code == 201, reply.text
    template = reply.json()
    assert template["executor_ids"] == [worker] and template["details"]["duration_minutes"] == 120
    error_of(
        client.post(
            f"{TASKS}/{task['id']}/template", headers=admin_headers, json={"name": "Дзвінок"}
        ),
        409,
    )
    listed = client.get("/api/v1/task-templates", headers=admin_headers).json()
    assert [row["name"] for row in listed["items"]] == ["Дзвінок"]
    reply = client.post(
        f"/api/v1/task-templates/{template['id']}/tasks",
        headers=admin_headers,
        json={"starts_at": at(48)},
    )
    assert reply.status_code == 201, reply.text
    made = reply.json()
    assert made["priority"] == "low" and made["content"] == "Текст"
    assert (
        made["ends_at"].startswith("2030-03-12T11:00") and made["executors"][0]["user_id"] == worker
    )
    assert (
        client.delete(f"/api/v1/task-templates/{template['id']}", headers=admin_headers).status_code
        == 204
    )


def test_reminders(client: TestClient, admin_headers: Headers, make_user: UserFactory) -> None:
    worker, _ = make_user()
    task = make_task(client, admin_headers)
    url = f"{TASKS}/{task['id']}/reminders"
    reply = client.post(
        url,
        headers=admin_headers,
        json={"user_id": worker, "remind_at": at(-1), "channel": "email", "text": "Не забудь"},
    )
    assert reply.status_code == 201, reply.text
    first = reply.json()
    again = client.post(
        f"{url}/{first['id']}/repeat", headers=admin_headers, json={"remind_at": at(1)}
    )
    assert again.status_code == 201, again.text
    assert (again.json()["channel"], again.json()["text"]) == ("email", "Не забудь")
    listed = client.get(url, headers=admin_headers).json()
    assert [row["id"] for row in listed] == [first["id"], again.json()["id"]]
    assert client.delete(f"{url}/{first['id']}", headers=admin_headers).status_code == 204
    assert [row["id"] for row in client.get(url, headers=admin_headers).json()] == [
        again.json()["id"]
    ]
    error_of(
        client.post(
            url,
            headers=admin_headers,
            json={"user_id": worker, "remind_at": at(0), "channel": "sms"},
        ),
        422,
    )
    error_of(client.delete(f"{url}/{first['id']}", headers=admin_headers), 404)
