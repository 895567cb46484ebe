"""Projects (PRJ-1, PRJ-2, PRJ-4, PRJ-5, PRJ-6, PRJ-8) through the API, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import (
    Client,
    Event,
    EventType,
    Project,
    Task,
    TaskDependency,
    TaskExecutor,
    TaskStatus,
    User,
)
from tests.conftest import UserFactory

Headers = dict[str, str]
PROJECTS = "/api/v1/projects"


def error_of(reply: Any, status: int, code: str) -> dict[str, Any]:
    """The error of a reply after checking its status and code."""
    assert reply.status_code == status, reply.text
    error: dict[str, Any] = reply.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    return error


def new_project(client: TestClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    reply = client.post(PROJECTS, headers=headers, json={"name": "Проект", **fields})
    assert reply.status_code == 201, reply.text
    result: dict[str, Any] = reply.json()
    return result


def new_journal(client: TestClient, headers: Headers, code: str) -> int:
    reply = client.post(
        "/api/v1/journals",
        headers=headers,
        json={"code": code, "name_uk": f"Журнал {code}", "name_en": code},
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def grant_journal(
    client: TestClient, admin: Headers, user_id: int, journal_id: int, letters: str
) -> None:
    reply = client.put(
        f"/api/v1/users/{user_id}/access/journals/{journal_id}",
        headers=admin,
        json={"create": "c" in letters, "change": "u" in letters, "delete": "d" in letters},
    )
    assert reply.status_code == 200, reply.text


def project_count(hub: Hub) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count(Project.id))) or 0)


def add_event(hub: Hub, project_id: int) -> int:
    with transaction(hub.sessions) as session:
        type_id = session.scalar(select(EventType.id).limit(1))
        assert type_id is not None
        event = Event(
            number="E-1", type_id=type_id, starts_at=datetime.now(UTC), project_id=project_id
        )
        session.add(event)
        session.flush()
        return event.id


def status_id(hub: Hub, code: str) -> int:
    with hub.sessions() as session:
        value = session.scalar(select(TaskStatus.id).where(TaskStatus.code == code))
        assert value is not None
        return value


def add_task(
    hub: Hub,
    project_id: int | None,
    *,
    name: str = "Задача",
    status: str = "assigned",
    starts_at: datetime | None = None,
    days: int = 1,
) -> int:
    start = starts_at or datetime.now(UTC)
    sid = status_id(hub, status)
    with transaction(hub.sessions) as session:
        task = Task(
            number=f"T-{name}",
            name=name,
            starts_at=start,
            ends_at=start + timedelta(days=days),
            status_id=sid,
            project_id=project_id,
        )
        session.add(task)
        session.flush()
        return task.id


# --- PRJ-1: the card ---------------------------------------------------------------------------


def test_project_card_round_trip(client: TestClient, admin_headers: Headers, hub: Hub) -> None:
    admin_id = client.get("/api/v1/me", headers=admin_headers).json()["id"]
    journal = new_journal(client, admin_headers, "sales")
    with transaction(hub.sessions) as session:
        customer = Client(name="ТОВ «Ромашка»")
        session.add(customer)
        session.flush()
        customer_id = customer.id
        type_id = session.scalar(select(EventType.id).where(EventType.code == "visit"))
    body = {
        "name": "  Впровадження черги  ",
        "journal_id": journal,
        "start_date": "2025-01-01",
        "end_date": "2025-01-01",
        "manager_id": admin_id,
        "controller_id": admin_id,
        "customer_id": customer_id,
        "default_event_type_id": type_id,
        "description": "Опис\nу два рядки",
        "uses_queue": True,
    }
    first = new_project(client, admin_headers, **body)
    assert first["name"] == "Впровадження черги"
    assert first["uses_queue"] is True and first["customer_id"] == customer_id
    assert first["created_by"] == admin_id and first["number"]
    second = new_project(client, admin_headers)
    assert second["number"] != first["number"]
    assert client.get(f"{PROJECTS}/{first['id']}", headers=admin_headers).json() == first

    reply = client.patch(
        f"{PROJECTS}/{first['id']}",
        headers=admin_headers,
        json={"name": "Нова назва", "uses_queue": False, "journal_id": None},
    )
    assert reply.status_code == 200, reply.text
    changed = reply.json()
    assert (changed["name"], changed["uses_queue"], changed["journal_id"]) == (
        "Нова назва",
        False,
        None,
    )
    assert changed["number"] == first["number"]
    error_of(client.get(f"{PROJECTS}/999999", headers=admin_headers), 404, "not_found")


def test_reversed_period_is_refused_and_changes_nothing(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    reply = client.post(
        PROJECTS,
        headers=admin_headers,
        json={"name": "П", "start_date": "2025-02-01", "end_date": "2025-01-31"},
    )
    error = error_of(reply, 422, "period_reversed")
    assert error["fields"][0]["field"] == "end_date"
    assert project_count(hub) == 0

    project = new_project(client, admin_headers, start_date="2025-02-01")
    reply = client.patch(
        f"{PROJECTS}/{project['id']}", headers=admin_headers, json={"end_date": "2025-01-01"}
    )
    error_of(reply, 422, "period_reversed")
    reply = client.patch(
        f"{PROJECTS}/{project['id']}", headers=admin_headers, json={"start_date": "2026-01-01"}
    )
    assert reply.status_code == 200  # no end date: any start is fine
    reply = client.patch(
        f"{PROJECTS}/{project['id']}",
        headers=admin_headers,
        json={"end_date": "2025-12-31"},
    )
    error_of(reply, 422, "period_reversed")
    after = client.get(f"{PROJECTS}/{project['id']}", headers=admin_headers).json()
    assert (after["start_date"], after["end_date"]) == ("2026-01-01", None)


def test_bad_input_is_422_naming_the_field(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    for body, field in (
        ({"name": "П", "manager_id": 999999}, "manager_id"),
        ({"name": "П", "journal_id": 999999}, "journal_id"),
        ({"name": "П", "customer_id": 999999}, "customer_id"),
        ({"name": "П", "default_event_type_id": 999999}, "default_event_type_id"),
        ({"name": "   "}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "x" * 301}, "name"),
        ({"name": "П", "manager_id": 2**40}, "manager_id"),
        ({"name": "П", "start_date": "не дата"}, "start_date"),
        ({"name": "П", "unknown": 1}, "unknown"),
        ({"name": "П", "description": "a\x00"}, "description"),
    ):
        reply = client.post(PROJECTS, headers=admin_headers, json=body)
        assert reply.status_code == 422, (body, reply.text)
        fields = [f["field"] for f in reply.json()["error"]["fields"]]
        assert field in fields, (body, fields)
    project = new_project(client, admin_headers)
    reply = client.patch(f"{PROJECTS}/{project['id']}", headers=admin_headers, json={"name": None})
    assert reply.status_code == 422
    assert project_count(hub) == 1
    with transaction(hub.sessions) as session:
        gone = Client(name="Видалений", deleted_at=datetime.now(UTC))
        session.add(gone)
        session.flush()
        gone_id = gone.id
    reply = client.patch(
        f"{PROJECTS}/{project['id']}", headers=admin_headers, json={"customer_id": gone_id}
    )
    error_of(reply, 422, "prj_client_deleted")
    for journal in ("abc", "0", "-1", "99999999999"):
        reply = client.get(PROJECTS, headers=admin_headers, params={"journal": journal})
        error_of(reply, 422, "prj_journal_filter")


def test_rights_are_needed_and_refusals_change_nothing(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    journal = new_journal(client, admin_headers, "j1")
    other = new_journal(client, admin_headers, "j2")
    project = new_project(client, admin_headers, name="Чужий", journal_id=journal)
    url = f"{PROJECTS}/{project['id']}"
    _, reader = make_user("reader")
    assert client.get(url, headers=reader).status_code == 200
    assert client.get(PROJECTS, headers=reader).status_code == 200
    error = error_of(
        client.post(PROJECTS, headers=reader, json={"name": "X"}), 403, "right_missing"
    )
    assert error["right"] == "project:create"
    error_of(client.patch(url, headers=reader, json={"name": "X"}), 403, "right_missing")
    error_of(client.delete(url, headers=reader), 403, "right_missing")

    writer_id, writer = make_user("writer", rights={"project": "cud"})
    new_project(client, writer, name="Без журналу")
    error = error_of(
        client.post(PROJECTS, headers=writer, json={"name": "X", "journal_id": journal}),
        403,
        "journal_right_missing",
    )
    assert error["right"] == f"journal:{journal}:create"
    error_of(client.patch(url, headers=writer, json={"name": "X"}), 403, "journal_right_missing")
    error_of(client.delete(url, headers=writer), 403, "journal_right_missing")
    grant_journal(client, admin_headers, writer_id, journal, "u")
    # Moving to another journal needs the change right there too.
    reply = client.patch(url, headers=writer, json={"journal_id": other})
    error_of(reply, 403, "journal_right_missing")
    assert client.get(url, headers=admin_headers).json() == project
    assert project_count(hub) == 2

    _, outsider = make_user("outsider", crm_access=False)
    error_of(client.get(PROJECTS, headers=outsider), 403, "no_crm_access")
    assert client.get(PROJECTS).status_code == 401

    reply = client.patch(url, headers=writer, json={"name": "Перейменований"})
    assert reply.status_code == 200, reply.text


def test_delete_is_refused_while_events_or_tasks_belong_to_it(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    with_event = new_project(client, admin_headers, name="З подією")
    with_task = new_project(client, admin_headers, name="З задачею")
    empty = new_project(client, admin_headers, name="Порожній")
    add_event(hub, with_event["id"])
    add_task(hub, with_task["id"])
    for project in (with_event, with_task):
        reply = client.delete(f"{PROJECTS}/{project['id']}", headers=admin_headers)
        error = error_of(reply, 409, "prj_has_documents")
        assert project["name"] in error["message"]
        assert client.get(f"{PROJECTS}/{project['id']}", headers=admin_headers).status_code == 200
    _, english = make_user("english", rights={"project": "d"}, lang="en")
    reply = client.delete(f"{PROJECTS}/{with_task['id']}", headers=english)
    assert "cannot be deleted" in error_of(reply, 409, "prj_has_documents")["message"]

    client.post(
        f"{PROJECTS}/{empty['id']}/contracts", headers=admin_headers, json={"number": "Д-1"}
    )
    client.post(f"{PROJECTS}/{empty['id']}/messages", headers=admin_headers, json={"text": "ok"})
    assert client.delete(f"{PROJECTS}/{empty['id']}", headers=admin_headers).status_code == 204
    error_of(client.get(f"{PROJECTS}/{empty['id']}", headers=admin_headers), 404, "not_found")
    error_of(client.delete(f"{PROJECTS}/{empty['id']}", headers=admin_headers), 404, "not_found")
    assert project_count(hub) == 2


# --- the registry ------------------------------------------------------------------------------


def test_registry_pages_each_project_exactly_once(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    journal = new_journal(client, admin_headers, "big")
    with transaction(hub.sessions) as session:
        session.add_all(
            Project(
                number=f"P{i}",
                name=f"Проект {i % 7}",  # many equal names: the id breaks the ties
                journal_id=journal if i % 3 == 0 else None,
                uses_queue=i % 4 == 0,
            )
            for i in range(120)
        )
    seen: list[int] = []
    names: list[tuple[str, int]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 50}
        if cursor:
            params["cursor"] = cursor
        reply = client.get(PROJECTS, headers=admin_headers, params=params)
        assert reply.status_code == 200, reply.text
        page = reply.json()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        names += [(item["name"], item["id"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 120 and len(set(seen)) == 120
    assert names == sorted(names)

    def ids(**params: Any) -> list[int]:
        reply = client.get(PROJECTS, headers=admin_headers, params={"limit": 500, **params})
        assert reply.status_code == 200, reply.text
        return [item["id"] for item in reply.json()["items"]]

    assert len(ids(journal=journal)) == 40
    assert len(ids(journal="none")) == 80
    assert len(ids(uses_queue=True)) == 30
    assert len(ids(journal=journal, uses_queue=True)) == 10
    assert len(ids(q="проект 3")) == len(ids(q="ПРОЕКТ 3")) == len(ids(q="3")) > 0
    assert ids(q="100%") == [] and ids(q="_") == []
    # Mixed case of Cyrillic letters, which SQLite's own lower() leaves alone.
    mixed = client.post(PROJECTS, headers=admin_headers, json={"name": "Ремонт ЇЖАКА Київ"})
    assert mixed.status_code == 201, mixed.text
    assert ids(q="їжака київ") == ids(q="рЕМОНТ їЖаКа") == [mixed.json()["id"]]
    error_of(
        client.get(PROJECTS, headers=admin_headers, params={"cursor": "xx"}), 422, "bad_cursor"
    )
    assert client.get(PROJECTS, headers=admin_headers, params={"limit": 0}).status_code == 422


# --- PRJ-2: contracts --------------------------------------------------------------------------


def test_contracts_and_totals(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    project = new_project(client, admin_headers)
    other = new_project(client, admin_headers)
    url = f"{PROJECTS}/{project['id']}/contracts"
    for number, planned, actual, currency in (
        ("Д-1", "100.10", "50.05", "UAH"),
        ("Д-2", "0.20", "0.10", "uah"),
        ("Д-3", "1000", "999.99", "EUR"),
    ):
        body = {
            "number": number,
            "planned_amount": planned,
            "actual_amount": actual,
            "currency": currency,
            "contract_date": "2025-03-01",
        }
        reply = client.post(url, headers=admin_headers, json=body)
        assert reply.status_code == 201, reply.text
    contract = reply.json()
    assert contract["currency"] == "EUR" and Decimal(contract["actual_amount"]) == Decimal("999.99")
    totals = client.get(f"{url}/totals", headers=admin_headers).json()
    assert [(t["currency"], t["contracts"]) for t in totals] == [("EUR", 1), ("UAH", 2)]
    uah = totals[1]
    assert Decimal(uah["planned"]) == Decimal("100.30") and Decimal(uah["actual"]) == Decimal(
        "50.15"
    )
    listed = client.get(url, headers=admin_headers, params={"limit": 2}).json()
    assert [c["number"] for c in listed["items"]] == ["Д-1", "Д-2"] and listed["next_cursor"]

    for bad, field in (
        ({"number": "X", "planned_amount": "-1"}, "planned_amount"),
        ({"number": "X", "actual_amount": "1.005"}, "actual_amount"),
        ({"number": "X", "currency": "UA"}, "currency"),
        ({"number": "X", "currency": "1AB"}, "currency"),
        ({"number": "X", "planned_amount": "1e20"}, "planned_amount"),
        ({"number": ""}, "number"),
        ({"number": "X", "client_id": 999999}, "client_id"),
    ):
        reply = client.post(url, headers=admin_headers, json=bad)
        assert reply.status_code == 422, (bad, reply.text)
        assert field in [f["field"] for f in reply.json()["error"]["fields"]]
    c_url = f"{url}/{contract['id']}"
    reply = client.patch(c_url, headers=admin_headers, json={"actual_amount": "1000.00"})
    assert reply.status_code == 200 and Decimal(reply.json()["actual_amount"]) == 1000
    assert client.patch(c_url, headers=admin_headers, json={"currency": None}).status_code == 422
    other_url = f"{PROJECTS}/{other['id']}/contracts/{contract['id']}"
    error_of(client.get(other_url, headers=admin_headers), 404, "not_found")
    error_of(client.delete(other_url, headers=admin_headers), 404, "not_found")

    _, no_rights = make_user(rights={"project": "cud"})
    error_of(client.post(url, headers=no_rights, json={"number": "X"}), 403, "right_missing")
    error_of(client.patch(c_url, headers=no_rights, json={"number": "Y"}), 403, "right_missing")
    error_of(client.delete(c_url, headers=no_rights), 403, "right_missing")
    assert client.get(c_url, headers=no_rights).json()["number"] == "Д-3"
    assert client.get(f"{url}/totals", headers=no_rights).json()[0]["contracts"] == 1

    assert client.delete(c_url, headers=admin_headers).status_code == 204
    assert [t["currency"] for t in client.get(f"{url}/totals", headers=admin_headers).json()] == [
        "UAH"
    ]
    assert (
        client.get(f"{PROJECTS}/{other['id']}/contracts/totals", headers=admin_headers).json() == []
    )


# --- PRJ-4: work group -------------------------------------------------------------------------


def test_work_group(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    project = new_project(client, admin_headers)
    url = f"{PROJECTS}/{project['id']}/members"
    olena, _ = make_user("olena")
    taras, _ = make_user("taras")
    reply = client.put(f"{url}/{olena}", headers=admin_headers, json={"role": "оператор"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["role"] == "оператор"
    assert client.put(f"{url}/{taras}", headers=admin_headers).status_code == 200
    assert client.put(f"{url}/{taras}", headers=admin_headers).status_code == 200  # idempotent
    members = client.get(url, headers=admin_headers).json()
    assert sorted(m["user_id"] for m in members) == sorted([olena, taras])
    assert {m["username"] for m in members} == {"olena", "taras"}

    with transaction(hub.sessions) as session:
        user = session.get(User, taras)
        assert user is not None
        user.is_active = False
    client.delete(f"{url}/{taras}", headers=admin_headers)
    error_of(client.put(f"{url}/{taras}", headers=admin_headers), 409, "prj_member_inactive")
    error_of(client.put(f"{url}/999999", headers=admin_headers), 404, "not_found")
    error_of(
        client.put(f"{PROJECTS}/999999/members/{olena}", headers=admin_headers), 404, "not_found"
    )

    _, reader = make_user("reader")
    error_of(client.delete(f"{url}/{olena}", headers=reader), 403, "right_missing")
    error_of(client.put(f"{url}/{taras}", headers=reader), 403, "right_missing")
    assert [m["user_id"] for m in client.get(url, headers=reader).json()] == [olena]
    assert client.delete(f"{url}/{olena}", headers=admin_headers).status_code == 204
    error_of(client.delete(f"{url}/{olena}", headers=admin_headers), 404, "not_found")
    assert client.get(url, headers=admin_headers).json() == []


# --- PRJ-5: plan-schedule ----------------------------------------------------------------------


def test_plan_has_tasks_progress_executors_and_dependencies(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    project = new_project(client, admin_headers)
    other = new_project(client, admin_headers)
    executor, _ = make_user("executor")
    past = datetime.now(UTC) - timedelta(days=10)
    late = add_task(hub, project["id"], name="late", starts_at=past)
    done = add_task(hub, project["id"], name="done", status="done", starts_at=past)
    future = add_task(hub, project["id"], name="future", days=5)
    add_task(hub, other["id"], name="elsewhere")
    with transaction(hub.sessions) as session:
        session.add(
            TaskExecutor(task_id=late, user_id=executor, status_id=status_id(hub, "assigned"))
        )
        session.add(TaskDependency(task_id=future, depends_on_id=late))
        session.add(TaskDependency(task_id=future, depends_on_id=done))
        session.get(Task, future).percent_done = 40  # type: ignore[union-attr]
    reply = client.get(f"{PROJECTS}/{project['id']}/plan", headers=admin_headers)
    assert reply.status_code == 200, reply.text
    plan = reply.json()
    tasks = {t["name"]: t for t in plan["tasks"]}
    assert set(tasks) == {"late", "done", "future"}
    assert tasks["late"]["overdue"] is True and tasks["late"]["executor_ids"] == [executor]
    assert tasks["done"]["overdue"] is False and tasks["done"]["status_code"] == "done"
    assert tasks["done"]["status_color"] == "#000000"
    assert tasks["future"]["overdue"] is False and tasks["future"]["percent_done"] == 40
    assert sorted(map(tuple, plan["dependencies"])) == sorted([(future, late), (future, done)])
    empty = client.get(f"{PROJECTS}/{other['id']}/plan", headers=admin_headers).json()
    assert empty["dependencies"] == [] and len(empty["tasks"]) == 1
    error_of(client.get(f"{PROJECTS}/999999/plan", headers=admin_headers), 404, "not_found")


# --- PRJ-6, TSK-6: discussion ------------------------------------------------------------------


def test_discussion_of_projects_and_tasks(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    project = new_project(client, admin_headers)
    task = add_task(hub, project["id"])
    olena_id, olena = make_user("olena")  # CRM access and no rights: enough to talk
    _, taras = make_user("taras")
    for owner in (f"{PROJECTS}/{project['id']}", f"/api/v1/tasks/{task}"):
        url = f"{owner}/messages"
        posted = []
        for i in range(5):
            reply = client.post(url, headers=olena, json={"text": f"  Повідомлення {i}  "})
            assert reply.status_code == 201, reply.text
            posted.append(reply.json())
        assert posted[0]["text"] == "Повідомлення 0" and posted[0]["author_id"] == olena_id
        first = client.get(url, headers=taras, params={"limit": 3}).json()
        rest = client.get(
            url, headers=taras, params={"limit": 3, "cursor": first["next_cursor"]}
        ).json()
        assert [m["id"] for m in first["items"] + rest["items"]] == [m["id"] for m in posted]
        assert rest["next_cursor"] is None
        for text in ("", "   ", "a\x00b", "я" * 4001):
            reply = client.post(url, headers=olena, json={"text": text})
            assert reply.status_code == 422, text
            assert reply.json()["error"]["fields"][0]["field"] == "text"
        assert client.post(url, headers=olena, json={"text": "я" * 4000}).status_code == 201
        mine = f"/api/v1/messages/{posted[0]['id']}"
        error_of(client.delete(mine, headers=taras), 403, "prj_message_not_own")
        assert len(client.get(url, headers=taras).json()["items"]) == 6
        assert client.delete(mine, headers=olena).status_code == 204
        assert (
            client.delete(f"/api/v1/messages/{posted[1]['id']}", headers=admin_headers).status_code
            == 204
        )
        error_of(client.delete(mine, headers=olena), 404, "not_found")
        assert len(client.get(url, headers=taras).json()["items"]) == 4
    for url in (f"{PROJECTS}/999999/messages", "/api/v1/tasks/999999/messages"):
        error_of(client.post(url, headers=olena, json={"text": "x"}), 404, "not_found")
        error_of(client.get(url, headers=olena), 404, "not_found")
    _, outsider = make_user("outsider", crm_access=False)
    url = f"{PROJECTS}/{project['id']}/messages"
    error_of(client.post(url, headers=outsider, json={"text": "x"}), 403, "no_crm_access")


# Posting to a discussion needs only access to the system, and one's own message is one's own.
DISCUSSION_ROUTES = {
    ("POST", "/api/v1/projects/{project_id}/messages"),
    ("POST", "/api/v1/tasks/{task_id}/messages"),
    ("DELETE", "/api/v1/messages/{message_id}"),
}


def test_every_changing_route_of_the_module_is_guarded(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    """A user without rights is refused (403) by every changing route here, before any lookup."""
    from tests.test_access import api_operations

    _, nobody = make_user("nobody")
    checked = 0
    for method, path in api_operations(client.app):  # type: ignore[arg-type]
        mine = path.startswith(("/api/v1/projects", "/api/v1/attachments")) or path.endswith(
            "/attachments"
        )
        if method == "GET" or not mine or (method, path) in DISCUSSION_ROUTES:
            continue
        concrete = path
        for name in ("project_id", "contract_id", "user_id", "attachment_id", "owner_id"):
            concrete = concrete.replace("{" + name + "}", "1")
        reply = client.request(method, concrete, headers=nobody)
        assert reply.status_code == 403, f"{method} {path}: {reply.text}"
        assert reply.json()["error"]["right"]
        checked += 1
    assert checked == 12
    assert project_count(hub) == 0
