"""Helpers shared by the task tests (no tests here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

Headers = dict[str, str]
TASKS = "/api/v1/tasks"
BASE = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)


def at(hours: float = 0, base: datetime = BASE) -> str:
    """An ISO moment ``hours`` after the base moment."""
    return (base + timedelta(hours=hours)).isoformat()


def make_task(client: TestClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    """Create a task (a day in 2030 by default) and return its reply."""
    body: dict[str, Any] = {"name": "Зателефонувати клієнту", "starts_at": at(0), "ends_at": at(2)}
    body.update(fields)
    reply = client.post(TASKS, headers=headers, json=body)
    assert reply.status_code == 201, reply.text
    result: dict[str, Any] = reply.json()
    return result


def read_task(client: TestClient, headers: Headers, task_id: int) -> dict[str, Any]:
    """A task's card as the API shows it."""
    reply = client.get(f"{TASKS}/{task_id}", headers=headers)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def error_of(reply: Any, status: int) -> dict[str, Any]:
    """The error body of a refused request, after checking its status."""
    assert reply.status_code == status, reply.text
    error: dict[str, Any] = reply.json()["error"]
    assert error["message"]
    return error


def make_journal(client: TestClient, headers: Headers, code: str) -> int:
    """A new journal's id."""
    reply = client.post(
        "/api/v1/journals",
        headers=headers,
        json={"code": code, "name_uk": f"Журнал {code}", "name_en": code},
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def set_executor(
    client: TestClient,
    headers: Headers,
    task_id: int,
    user_id: int,
    status: str,
    complete: bool = False,
) -> Any:
    """PATCH an executor's status."""
    suffix = "?complete_task=true" if complete else ""
    return client.patch(
        f"{TASKS}/{task_id}/executors/{user_id}{suffix}", headers=headers, json={"status": status}
    )


def add_rows(hub: Any, *rows: Any) -> list[int]:
    """Insert rows owned by other modules (clients, projects, events) straight into the database."""
    with hub.sessions() as session, session.begin():
        session.add_all(rows)
        session.flush()
        return [int(row.id) for row in rows]
