"""Dependencies (TSK-4) and moving a task's period (TSK-13)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from fastapi.testclient import TestClient

from tests.test_tasks_support import TASKS, Headers, at, error_of, make_task, read_task


def _depend(client: TestClient, headers: Headers, task_id: int, other_id: int) -> Any:
    return client.put(f"{TASKS}/{task_id}/dependencies/{other_id}", headers=headers)


def test_start_after_end_rule(client: TestClient, admin_headers: Headers) -> None:
    first = make_task(client, admin_headers, name="Перша", starts_at=at(0), ends_at=at(4))
    second = make_task(client, admin_headers, name="Друга", starts_at=at(2), ends_at=at(6))
    error = error_of(_depend(client, admin_headers, second["id"], first["id"]), 409)
    assert error["code"] == "task_starts_before_dependency" and "Перша" in error["message"]
    assert (
        client.get(f"{TASKS}/{second['id']}/dependencies", headers=admin_headers).json()[
            "depends_on"
        ]
        == []
    )
    # Moving it after the end makes the dependency possible; the length is kept (TSK-13).
    moved = client.patch(
        f"{TASKS}/{second['id']}/period", headers=admin_headers, json={"starts_at": at(4)}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["ends_at"] == read_task(client, admin_headers, second["id"])["ends_at"]
    assert moved.json()["ends_at"].startswith("2030-03-10T17:00")
    reply = _depend(client, admin_headers, second["id"], first["id"])
    assert reply.status_code == 200, reply.text
    deps = client.get(f"{TASKS}/{second['id']}/dependencies", headers=admin_headers).json()
    assert [row["id"] for row in deps["depends_on"]] == [first["id"]]
    # Moving either task so that the rule breaks is refused, naming the blocking task.
    error = error_of(
        client.patch(
            f"{TASKS}/{second['id']}/period", headers=admin_headers, json={"starts_at": at(3)}
        ),
        409,
    )
    assert "Перша" in error["message"]
    error = error_of(
        client.patch(f"{TASKS}/{first['id']}", headers=admin_headers, json={"ends_at": at(5)}), 409
    )
    assert error["code"] == "task_ends_after_dependent" and "Друга" in error["message"]
    assert read_task(client, admin_headers, first["id"])["ends_at"].startswith("2030-03-10T13:00")
    # An explicit end with the new start; then removal frees the rule.
    reply = client.patch(
        f"{TASKS}/{second['id']}/period",
        headers=admin_headers,
        json={"starts_at": at(5), "ends_at": at(30)},
    )
    assert reply.json()["ends_at"].startswith("2030-03-11T15:00")
    assert (
        client.delete(
            f"{TASKS}/{second['id']}/dependencies/{first['id']}", headers=admin_headers
        ).status_code
        == 204
    )
    assert (
        client.patch(
            f"{TASKS}/{second['id']}/period", headers=admin_headers, json={"starts_at": at(0)}
        ).status_code
        == 200
    )


def test_cycles_are_refused_including_long_ones(client: TestClient, admin_headers: Headers) -> None:
    chain = [make_task(client, admin_headers, starts_at=at(i), ends_at=at(i)) for i in range(6)]
    for earlier, later in pairwise(chain):
        assert _depend(client, admin_headers, later["id"], earlier["id"]).status_code == 200
    error = error_of(_depend(client, admin_headers, chain[0]["id"], chain[-1]["id"]), 409)
    assert error["code"] == "task_dependency_cycle"
    error = error_of(_depend(client, admin_headers, chain[0]["id"], chain[0]["id"]), 409)
    assert error["code"] == "task_dependency_self"
    deps = client.get(f"{TASKS}/{chain[0]['id']}/dependencies", headers=admin_headers).json()
    assert deps["depends_on"] == [] and [row["id"] for row in deps["dependents"]] == [
        chain[1]["id"]
    ]
    history = client.get(f"{TASKS}/{chain[1]['id']}/history", headers=admin_headers).json()
    assert history[-1]["action"] == "dependency_add"


def test_dependency_on_missing_task_is_404(client: TestClient, admin_headers: Headers) -> None:
    task = make_task(client, admin_headers)
    error_of(_depend(client, admin_headers, task["id"], 999999), 404)
