"""Numbering (SET-6): unique, consecutive numbers under concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import date

import pytest
from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Project
from hub.errors import NotFound
from hub.services.settings import numbering
from tests.numbering_worker import take_numbers

DAY = date(2026, 11, 28)


def _take(hub: Hub, doc_type: str, *, on: date = DAY, project_id: int | None = None) -> str:
    with transaction(hub.sessions) as session:
        return numbering.next_number(session, doc_type=doc_type, on=on, project_id=project_id).text


def test_numbers_are_padded_and_consecutive(hub: Hub) -> None:
    assert [_take(hub, "event") for _ in range(3)] == ["000001", "000002", "000003"]


def test_rolled_back_number_is_given_again(hub: Hub) -> None:
    assert _take(hub, "task") == "000001"
    with pytest.raises(RuntimeError), transaction(hub.sessions) as session:
        assert numbering.next_number(session, doc_type="task", on=DAY).text == "000002"
        raise RuntimeError("the document failed to save")
    assert _take(hub, "task") == "000002"


def test_queue_tickets_restart_daily_and_count_per_project(hub: Hub) -> None:
    assert _take(hub, "queue_ticket", project_id=1) == "001"
    assert _take(hub, "queue_ticket", project_id=1) == "002"
    assert _take(hub, "queue_ticket", project_id=2) == "001"
    assert _take(hub, "queue_ticket", project_id=1, on=date(2026, 11, 29)) == "001"
    assert _take(hub, "queue_ticket", project_id=1) == "003"


def test_project_rule_gives_its_prefix(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        project = Project(number="P-1", name="Паспорти")
        session.add(project)
        session.flush()
        numbering.create_rule(
            session,
            {
                "doc_type": "queue_ticket",
                "project_id": project.id,
                "prefix": "А-",
                "width": 3,
                "daily_reset": True,
            },
        )
    taken = [_take(hub, "queue_ticket", project_id=project.id) for _ in range(2)]
    assert taken == ["А-001", "А-002"]
    assert _take(hub, "queue_ticket", project_id=project.id + 1) == "001"


def test_unknown_document_type_is_refused(hub: Hub) -> None:
    with pytest.raises(NotFound), transaction(hub.sessions) as session:
        numbering.next_number(session, doc_type="invoice", on=DAY)


def test_width_grows_rather_than_refusing(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        rule = numbering.find_rule(session, "project")
        numbering.update_rule(session, rule.id, {"width": 1, "start": 9})
    assert [_take(hub, "project") for _ in range(2)] == ["9", "10"]


def test_twenty_four_concurrent_workers_get_unique_consecutive_numbers(hub: Hub) -> None:
    workers, per_worker = 24, 5
    barrier = threading.Barrier(workers)
    taken: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(per_worker):
                with transaction(hub.sessions) as session:
                    value = numbering.next_number(session, doc_type="event", on=DAY).value
                with lock:
                    taken.append(value)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(taken) == list(range(1, workers * per_worker + 1))


def test_two_processes_on_one_database_never_share_a_number(hub: Hub, db_url: str) -> None:
    """Two processes (two hubs) with 12 threads each take numbers from one counter."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.starmap(take_numbers, [(db_url, 12, 4, "event", DAY.isoformat())] * 2)
    taken = sorted(results[0] + results[1])
    assert taken == list(range(1, 2 * 12 * 4 + 1))


def test_rules_api_shows_next_number_and_protects_general_rules(
    client: TestClient, admin_headers: dict[str, str], hub: Hub
) -> None:
    rules = client.get("/api/v1/numbering/rules", headers=admin_headers).json()
    event_rule = next(r for r in rules if r["doc_type"] == "event" and r["project_id"] is None)
    assert event_rule["next_number"] == "000001"
    project = client.post("/api/v1/projects", headers=admin_headers, json={"name": "Паспорти"})
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    reply = client.post(
        "/api/v1/numbering/rules",
        headers=admin_headers,
        json={
            "doc_type": "queue_ticket",
            "project_id": project_id,
            "prefix": "Б-",
            "daily_reset": True,
        },
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["next_number"] == "Б-001"
    duplicate = client.post(
        "/api/v1/numbering/rules",
        headers=admin_headers,
        json={"doc_type": "queue_ticket", "project_id": project_id},
    )
    assert duplicate.status_code == 409
    assert (
        client.delete(
            f"/api/v1/numbering/rules/{event_rule['id']}", headers=admin_headers
        ).status_code
        == 409
    )
    assert (
        client.delete(
            f"/api/v1/numbering/rules/{reply.json()['id']}", headers=admin_headers
        ).status_code
        == 204
    )
    bad = client.patch(
        f"/api/v1/numbering/rules/{event_rule['id']}", headers=admin_headers, json={"width": 40}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "width"


def test_a_rule_for_a_missing_project_is_refused_not_stored(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    before = client.get("/api/v1/numbering/rules", headers=admin_headers).json()
    for project_id in (987654, 2**31):
        reply = client.post(
            "/api/v1/numbering/rules",
            headers=admin_headers,
            json={"doc_type": "event", "project_id": project_id, "prefix": "Z-"},
        )
        assert reply.status_code == 422, reply.text
    assert client.get("/api/v1/numbering/rules", headers=admin_headers).json() == before
