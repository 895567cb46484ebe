"""SET-2 history groups (issue 16): a group names the fields of tasks and events whose changes
the history shows together under its name.

The reference book takes only the field names the change log records; each record's changes
come split by group (in the groups' order, a field in the first group listing it, the rest under
"Other"); with no group defined the history reads as it always did. Unit tests of the split,
then the REST API on SQLite and PostgreSQL. The back-office's pages are in
tests/test_office_parameters.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from hub.services.common.audit import ChangeGroup, GroupOfFields, split_changes
from hub.services.settings import history

GROUPS = "/api/v1/history-groups"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

TERMS = GroupOfFields("terms", "Терміни", "Terms", ("ends_at", "starts_at", "percent_done"))
STATUS = GroupOfFields("status", "Статус", "Status", ("status_id", "executors", "starts_at"))
EMPTY = GroupOfFields("empty", "Порожня", "Empty", ())


def test_split_by_group_in_order_first_group_wins_the_rest_is_other() -> None:
    changes = {
        "name": ["a", "b"],
        "starts_at": [1, 2],
        "status_id": [3, 4],
        "ends_at": [5, 6],
        "content": ["x", "y"],
    }
    assert split_changes(changes, [EMPTY, TERMS, STATUS]) == [
        # The group's own order of fields; starts_at is Terms' (listed there first).
        ChangeGroup("terms", "Терміни", "Terms", {"ends_at": [5, 6], "starts_at": [1, 2]}),
        ChangeGroup("status", "Статус", "Status", {"status_id": [3, 4]}),
        ChangeGroup(None, "Інше", "Other", {"name": ["a", "b"], "content": ["x", "y"]}),
    ]
    # No groups: nothing to split (the history is as it always was); no changes: no parts.
    assert split_changes(changes, []) == []
    assert split_changes(None, [TERMS]) == []
    assert split_changes({"name": 1}, [TERMS]) == [ChangeGroup(None, "Інше", "Other", {"name": 1})]


def test_known_fields_are_the_change_logs() -> None:
    known = {field.name: field for field in history.known_fields()}
    assert known["starts_at"].task and known["starts_at"].event
    assert known["status_id"].task and not known["status_id"].event
    assert known["type_id"].event and not known["type_id"].task
    assert known["executors"].task and known["document_id"].event
    assert history.check_fields(["ends_at", "starts_at", "ends_at"]) == ["ends_at", "starts_at"]
    assert history.check_fields(None) is None


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **body: Any) -> Any:
    reply = client.request(method, url, headers=headers, json=body or None)
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def _groups_of(record: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    return [(group["code"], group["changes"]) for group in record["groups"]]


def test_the_book_refuses_unknown_fields_and_keeps_known_ones(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {"code": "terms", "name_uk": "Терміни", "name_en": "Terms"}
    reply = client.post(GROUPS, headers=admin_headers, json=body | {"fields": ["starts_at", "x"]})
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == "history_field_unknown" and "«x»" in error["message"]
    assert [wrong["field"] for wrong in error["fields"]] == ["fields"]
    assert client.get(GROUPS, headers=admin_headers).json() == []

    made = _api(client, admin_headers, "POST", GROUPS, **body, fields=["starts_at", "ends_at"])
    assert made["fields"] == ["starts_at", "ends_at"]
    reply = client.patch(f"{GROUPS}/{made['id']}", headers=admin_headers, json={"fields": ["no"]})
    assert reply.status_code == 422
    assert _api(client, admin_headers, "GET", f"{GROUPS}/{made['id']}")["fields"] == [
        "starts_at",
        "ends_at",
    ]
    changed = _api(client, admin_headers, "PATCH", f"{GROUPS}/{made['id']}", fields=None)
    assert changed["fields"] is None
    # A group without fields is allowed (and gathers nothing), as before the fields existed.
    plain = _api(client, admin_headers, "POST", GROUPS, code="p", name_uk="П", name_en="P")
    assert plain["fields"] is None


def test_task_and_event_history_come_split_by_group(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    admin_id = _api(client, admin_headers, "GET", "/api/v1/me")["id"]
    task = _api(
        client,
        admin_headers,
        "POST",
        "/api/v1/tasks",
        name="Звіт",
        starts_at=T0.isoformat(),
        ends_at=(T0 + timedelta(hours=2)).isoformat(),
        executor_ids=[admin_id],
    )
    later = (T0 + timedelta(hours=1)).isoformat()
    _api(client, admin_headers, "PATCH", f"/api/v1/tasks/{task['id']}", starts_at=later, name="Ще")
    _api(client, admin_headers, "PATCH", f"/api/v1/tasks/{task['id']}", status="suspended")
    event = _api(
        client, admin_headers, "POST", "/api/v1/events", type="visit", starts_at=T0.isoformat()
    )
    _api(
        client,
        admin_headers,
        "PATCH",
        f"/api/v1/events/{event['id']}",
        content="Так",
        ends_at=later,
    )

    # No groups: every record has its changes as before, and no parts.
    before = _api(client, admin_headers, "GET", f"/api/v1/tasks/{task['id']}/history")
    assert [record["action"] for record in before] == ["create", "change", "status"]
    assert all(record["groups"] == [] for record in before)
    assert before[1]["changes"]["name"] == ["Звіт", "Ще"]

    _api(
        client,
        admin_headers,
        "POST",
        GROUPS,
        code="status",
        name_uk="Статус",
        name_en="Status",
        sort_order=2,
        fields=["status_id", "executors", "starts_at"],
    )
    _api(
        client,
        admin_headers,
        "POST",
        GROUPS,
        code="terms",
        name_uk="Терміни",
        name_en="Terms",
        sort_order=1,
        fields=["starts_at", "ends_at", "percent_done"],
    )
    records = _api(client, admin_headers, "GET", f"/api/v1/tasks/{task['id']}/history")
    # The current fields are kept for compatibility.
    assert [(r["action"], r["changes"]) for r in records] == [
        (r["action"], r["changes"]) for r in before
    ]
    created = dict(_groups_of(records[0]))
    assert list(created) == ["terms", "status", None]  # the groups' order, "Other" last
    assert set(created["terms"]) == {"starts_at", "ends_at", "percent_done"}
    assert set(created["status"]) == {"status_id", "executors"}
    assert "name" in created[None] and "starts_at" not in created[None]
    # Moved, the task keeps its length: its end moves too.
    moved = records[1]["changes"]
    assert _groups_of(records[1]) == [
        ("terms", {"starts_at": moved["starts_at"], "ends_at": moved["ends_at"]}),
        (None, {"name": ["Звіт", "Ще"]}),
    ]
    assert [group["code"] for group in records[2]["groups"]] == ["status"]
    assert records[1]["groups"][0]["name_uk"] == "Терміни"
    assert records[1]["groups"][1]["name_en"] == "Other"

    events = _api(client, admin_headers, "GET", f"/api/v1/events/{event['id']}/history")
    assert [code for code, _ in _groups_of(events[1])] == ["terms", None]
    assert events[1]["groups"][0]["changes"] == {"ends_at": events[1]["changes"]["ends_at"]}
    assert events[1]["groups"][1]["changes"] == {"content": [None, "Так"]}
