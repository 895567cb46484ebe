"""The task card (TSK-2, TSK-5, TSK-6, TSK-14), rights (ACC-1..ACC-3) and executors (TSK-3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import UserFactory
from tests.test_tasks_support import (
    TASKS,
    Headers,
    at,
    error_of,
    make_journal,
    make_task,
    read_task,
    set_executor,
)


def test_create_read_and_number(client: TestClient, admin_headers: Headers) -> None:
    first = make_task(
        client,
        admin_headers,
        priority="high",
        percent_done=10,
        time_spent_minutes=30,
        phone="+380 44 123 45 67",
        email="client@example.com",
        content="Уточнити замовлення",
    )
    second = make_task(client, admin_headers)
    assert first["number"] == "000001" and second["number"] == "000002"
    card = read_task(client, admin_headers, first["id"])
    assert card["priority"] == "high" and card["percent_done"] == 10
    assert card["status"] == "assigned" and card["status_name"] == "Поставлена задача"
    assert card["overdue"] is False and card["color"] == "#1f5fbf"
    assert card["author_id"] is not None


def test_invalid_input_is_422_naming_the_field(client: TestClient, admin_headers: Headers) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"ends_at": at(-1)}, "ends_at"),
        ({"percent_done": 101}, "percent_done"),
        ({"priority": "urgent"}, "priority"),
        ({"starts_at": "2030-03-10T09:00:00"}, "starts_at"),
        ({"client_id": 999999}, "client_id"),
        ({"status": "nonexistent"}, "status"),
        ({"time_spent_minutes": -1}, "time_spent_minutes"),
        ({"custom_fields": {"nope": 1}}, "custom_fields.nope"),
    ]
    for extra, field in cases:
        body = {"name": "x", "starts_at": at(0), "ends_at": at(1), **extra}
        error = error_of(client.post(TASKS, headers=admin_headers, json=body), 422)
        assert any(item["field"].endswith(field) for item in error["fields"]), (field, error)
    assert client.get(TASKS, headers=admin_headers).json()["items"] == []


def test_custom_fields_follow_the_reference_book(
    client: TestClient, admin_headers: Headers
) -> None:
    for code, kind in (("budget", "number"), ("deadline", "date"), ("vip", "bool")):
        reply = client.post(
            "/api/v1/task-fields",
            headers=admin_headers,
            json={"code": code, "name_uk": code, "name_en": code, "value_type": kind},
        )
        assert reply.status_code == 201, reply.text
    task = make_task(
        client,
        admin_headers,
        custom_fields={"budget": 12.5, "deadline": "2030-04-01", "vip": True},
    )
    assert task["custom_fields"] == {"budget": 12.5, "deadline": "2030-04-01", "vip": True}
    for bad in ({"budget": "many"}, {"deadline": "tomorrow"}, {"vip": 1}):
        reply = client.patch(
            f"{TASKS}/{task['id']}", headers=admin_headers, json={"custom_fields": bad}
        )
        error_of(reply, 422)
    assert read_task(client, admin_headers, task["id"])["custom_fields"]["budget"] == 12.5


def test_overdue_is_derived_and_cannot_be_set_by_hand(
    client: TestClient, admin_headers: Headers
) -> None:
    past = datetime.now(UTC) - timedelta(days=2)
    task = make_task(
        client,
        admin_headers,
        starts_at=past.isoformat(),
        ends_at=(past + timedelta(hours=1)).isoformat(),
    )
    assert task["overdue"] is True and task["color"] == "#c62828"
    assert task["status"] == "assigned"
    error = error_of(
        client.patch(f"{TASKS}/{task['id']}", headers=admin_headers, json={"status": "overdue"}),
        409,
    )
    assert error["code"] == "task_overdue_by_hand"
    assert read_task(client, admin_headers, task["id"])["status"] == "assigned"
    done = client.patch(f"{TASKS}/{task['id']}", headers=admin_headers, json={"status": "done"})
    assert done.status_code == 200, done.text
    assert done.json()["overdue"] is False and done.json()["color"] == "#000000"
    assert done.json()["completed_at"] is not None


def test_done_needs_every_executor_done(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    ids = [make_user()[0] for _ in range(3)]
    task = make_task(client, admin_headers, executor_ids=ids)
    assert [row["status"] for row in task["executors"]] == ["assigned"] * 3
    assert set_executor(client, admin_headers, task["id"], ids[0], "done").status_code == 200
    reply = client.patch(
        f"{TASKS}/{task['id']}", headers=admin_headers, json={"status": "done", "name": "Нове"}
    )
    error = error_of(reply, 409)
    assert error["code"] == "task_executors_not_done" and "2" in error["message"]
    card = read_task(client, admin_headers, task["id"])
    assert card["status"] == "assigned" and card["name"] == "Зателефонувати клієнту"
    # The last executor done without complete_task leaves the task's status alone.
    set_executor(client, admin_headers, task["id"], ids[1], "done")
    reply = set_executor(client, admin_headers, task["id"], ids[2], "done")
    assert reply.status_code == 200 and reply.json()["status"] == "assigned"
    assert (
        client.patch(
            f"{TASKS}/{task['id']}", headers=admin_headers, json={"status": "done"}
        ).json()["status"]
        == "done"
    )


def test_last_executor_done_completes_the_task_when_asked(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    ids = [make_user()[0] for _ in range(2)]
    task = make_task(client, admin_headers, executor_ids=ids)
    first = set_executor(client, admin_headers, task["id"], ids[0], "done", complete=True)
    assert first.json()["status"] == "assigned"
    last = set_executor(client, admin_headers, task["id"], ids[1], "done", complete=True)
    assert last.status_code == 200, last.text
    assert last.json()["status"] == "done"
    assert all(row["done_at"] for row in last.json()["executors"])
    error_of(set_executor(client, admin_headers, task["id"], ids[0], "overdue"), 409)


def test_rights_and_journal_rights(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    journal = make_journal(client, admin_headers, "sales")
    _, reader = make_user(rights={})
    error = error_of(
        client.post(
            TASKS, headers=reader, json={"name": "x", "starts_at": at(0), "ends_at": at(1)}
        ),
        403,
    )
    assert error["right"] == "task:create"
    writer_id, writer = make_user(rights={"task": "cu"})
    error = error_of(
        client.post(
            TASKS,
            headers=writer,
            json={"name": "x", "starts_at": at(0), "ends_at": at(1), "journal_id": journal},
        ),
        403,
    )
    assert error["right"] == f"journal:{journal}:create"
    assert client.get(TASKS, headers=admin_headers).json()["items"] == []
    task = make_task(client, admin_headers, journal_id=journal)
    error_of(client.patch(f"{TASKS}/{task['id']}", headers=writer, json={"name": "Y"}), 403)
    error_of(client.patch(f"{TASKS}/{task['id']}", headers=reader, json={"name": "Y"}), 403)
    error_of(client.delete(f"{TASKS}/{task['id']}", headers=writer), 403)
    assert read_task(client, reader, task["id"])["name"] == "Зателефонувати клієнту"
    reply = client.put(
        f"/api/v1/users/{writer_id}/access/journals/{journal}",
        headers=admin_headers,
        json={"create": True, "change": True, "delete": False},
    )
    assert reply.status_code == 200, reply.text
    assert (
        client.patch(f"{TASKS}/{task['id']}", headers=writer, json={"name": "Y"}).status_code == 200
    )


def test_status_change_prohibition(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    user_id, headers = make_user(rights={"task": "cud"})
    reply = client.put(
        f"/api/v1/users/{user_id}/access/task-status-prohibition",
        headers=admin_headers,
        json={"prohibited": True},
    )
    assert reply.status_code == 200, reply.text
    task = make_task(client, headers)
    reply = client.patch(
        f"{TASKS}/{task['id']}", headers=headers, json={"status": "done", "name": "Інше"}
    )
    assert error_of(reply, 403)["right"] == "task:status"
    card = read_task(client, headers, task["id"])
    assert card["status"] == "assigned" and card["name"] == "Зателефонувати клієнту"
    # Other changes are still allowed.
    assert (
        client.patch(f"{TASKS}/{task['id']}", headers=headers, json={"name": "Інше"}).status_code
        == 200
    )


def test_history_records_every_change(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    user_id, _ = make_user()
    task = make_task(client, admin_headers)
    client.patch(
        f"{TASKS}/{task['id']}", headers=admin_headers, json={"name": "Друге", "percent_done": 50}
    )
    client.post(
        f"{TASKS}/{task['id']}/executors", headers=admin_headers, json={"user_ids": [user_id]}
    )
    client.patch(f"{TASKS}/{task['id']}", headers=admin_headers, json={"status": "suspended"})
    history = client.get(f"{TASKS}/{task['id']}/history", headers=admin_headers).json()
    actions = [row["action"] for row in history]
    assert actions == ["create", "change", "executors_add", "status"]
    assert history[1]["changes"]["name"] == ["Зателефонувати клієнту", "Друге"]
    assert history[1]["changes"]["percent_done"] == [0, 50]


def test_delete_and_not_found(client: TestClient, admin_headers: Headers) -> None:
    task = make_task(client, admin_headers)
    assert client.delete(f"{TASKS}/{task['id']}", headers=admin_headers).status_code == 204
    error_of(client.get(f"{TASKS}/{task['id']}", headers=admin_headers), 404)
    error_of(client.patch(f"{TASKS}/{task['id']}", headers=admin_headers, json={"name": "x"}), 404)
    error_of(client.get(f"{TASKS}/0", headers=admin_headers), 422)
    error_of(client.get(f"{TASKS}/99999999999", headers=admin_headers), 422)


def test_edge_input_never_gives_500(client: TestClient, admin_headers: Headers) -> None:
    task = make_task(
        client,
        admin_headers,
        starts_at="1900-01-02T00:00:00+00:00",
        ends_at="9000-01-01T00:00:00+00:00",
    )
    url = f"{TASKS}/{task['id']}"
    error = error_of(
        client.patch(url, headers=admin_headers, json={"starts_at": "9000-01-01T00:00:00+00:00"}),
        422,
    )
    assert error["code"] == "task_period_too_far"
    error_of(
        client.post(
            f"{url}/copy", headers=admin_headers, json={"starts_at": "9000-06-01T00:00:00+00:00"}
        ),
        422,
    )
    for body in (
        {"name": None},
        {"status": None},
        {"unknown": 1},
        {"name": "a\x00b"},
        {"content": "a\x00b"},
        {"custom_fields": {"x": {"nested": 1}}},
        {"starts_at": "99999-01-01T00:00:00+00:00"},
        {"percent_done": 10**20},
    ):
        assert client.patch(url, headers=admin_headers, json=body).status_code == 422, body
    assert read_task(client, admin_headers, task["id"])["starts_at"].startswith("1900-01-02")
    assert client.get(f"{TASKS}?executor=0", headers=admin_headers).status_code == 422
    assert client.get(f"{TASKS}?project=99999999999", headers=admin_headers).status_code == 422
