"""The task registry (TSK-1): filters, keyset paging, calendars in the site's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.db.models import Client, Project
from tests.conftest import UserFactory
from tests.test_tasks_support import TASKS, Headers, add_rows, at, error_of, make_task

KYIV = ZoneInfo("Europe/Kyiv")  # the test hub's site time zone (UTC+2 in March 2030)


def kyiv(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2030, 3, day, hour, minute, tzinfo=KYIV).isoformat()


def ids(client: TestClient, headers: Headers, query: str) -> list[int]:
    reply = client.get(f"{TASKS}?{query}", headers=headers)
    assert reply.status_code == 200, reply.text
    return [row["id"] for row in reply.json()["items"]]


def test_paging_returns_each_task_once_in_order(client: TestClient, admin_headers: Headers) -> None:
    made = [
        make_task(client, admin_headers, starts_at=at(i % 3), ends_at=at(5))["id"] for i in range(8)
    ]
    seen: list[int] = []
    cursor = None
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"{TASKS}?{query}", headers=admin_headers).json()
        seen += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    expected = sorted(made, key=lambda task_id: ((made.index(task_id)) % 3, task_id))
    assert seen == expected
    error_of(client.get(f"{TASKS}?cursor=broken", headers=admin_headers), 422)
    error_of(client.get(f"{TASKS}?limit=0", headers=admin_headers), 422)


def test_filters(
    client: TestClient, admin_headers: Headers, hub: Hub, make_user: UserFactory
) -> None:
    project_id, client_id = add_rows(
        hub, Project(number="1", name="Проєкт"), Client(name="ТОВ Ромашка")
    )
    worker, _ = make_user()
    in_project = make_task(client, admin_headers, project_id=project_id)["id"]
    with_client = make_task(client, admin_headers, client_id=client_id, executor_ids=[worker])["id"]
    later = make_task(client, admin_headers, starts_at=at(48), ends_at=at(50), status="suspended")[
        "id"
    ]
    assert ids(client, admin_headers, f"project={project_id}") == [in_project]
    assert ids(client, admin_headers, "project=none") == [with_client, later]
    assert ids(client, admin_headers, "project=all") == [in_project, with_client, later]
    assert ids(client, admin_headers, f"executor={worker}") == [with_client]
    assert ids(client, admin_headers, f"client={client_id}") == [with_client]
    assert ids(client, admin_headers, "status=suspended") == [later]
    assert ids(client, admin_headers, f"from={at(24).replace('+', '%2B')}") == [later]
    assert ids(client, admin_headers, f"to={at(24).replace('+', '%2B')}") == [
        in_project,
        with_client,
    ]
    assert error_of(client.get(f"{TASKS}?project=abc", headers=admin_headers), 422)["fields"]
    error_of(client.get(f"{TASKS}?status=nope", headers=admin_headers), 422)


def test_calendar_ranges_long_tasks_and_time_zone(
    client: TestClient, admin_headers: Headers
) -> None:
    # 00:30 on the 10th in Kyiv is 22:30 UTC on the 9th: it belongs to the 10th.
    midnight = make_task(
        client, admin_headers, name="Північ", starts_at=kyiv(10, 0, 30), ends_at=kyiv(10, 1)
    )
    evening = make_task(
        client, admin_headers, name="Вечір", starts_at=kyiv(9, 23), ends_at=kyiv(9, 23, 30)
    )
    long = make_task(
        client, admin_headers, name="Довга", starts_at=kyiv(12, 10), ends_at=kyiv(14, 10)
    )
    april = make_task(
        client,
        admin_headers,
        starts_at=datetime(2030, 4, 1, 9, tzinfo=KYIV).isoformat(),
        ends_at=datetime(2030, 4, 1, 10, tzinfo=KYIV).isoformat(),
    )

    day = client.get(f"{TASKS}/calendar?view=day&date=2030-03-10", headers=admin_headers).json()
    assert [t["id"] for t in day["tasks"]] == [midnight["id"]]
    assert day["first"] == day["last"] == "2030-03-10"
    assert day["starts_at"] == "2030-03-10T00:00:00+02:00"  # the site's midnight
    day9 = client.get(f"{TASKS}/calendar?view=day&date=2030-03-09", headers=admin_headers).json()
    assert [t["id"] for t in day9["tasks"]] == [evening["id"]]

    week = client.get(f"{TASKS}/calendar?view=week&date=2030-03-13", headers=admin_headers).json()
    assert (week["first"], week["last"]) == ("2030-03-11", "2030-03-17")  # Monday to Sunday
    by_day = {row["date"]: row["task_ids"] for row in week["days"]}
    assert by_day["2030-03-12"] == by_day["2030-03-13"] == by_day["2030-03-14"] == [long["id"]]
    assert by_day["2030-03-11"] == by_day["2030-03-15"] == []

    month = client.get(f"{TASKS}/calendar?view=month&date=2030-03-20", headers=admin_headers).json()
    assert (month["first"], month["last"]) == ("2030-03-01", "2030-03-31")
    assert len(month["days"]) == 31
    assert {t["id"] for t in month["tasks"]} == {midnight["id"], evening["id"], long["id"]}
    assert april["id"] not in {t["id"] for t in month["tasks"]}
    assert not any(row["today"] for row in month["days"])
    assert month["truncated"] is False


def test_calendar_flags_today(client: TestClient, admin_headers: Headers, hub: Hub) -> None:
    today = hub.today()
    start = datetime.combine(today, datetime.min.time(), tzinfo=KYIV) + timedelta(hours=12)
    task = make_task(
        client,
        admin_headers,
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=1)).isoformat(),
    )
    month = client.get(f"{TASKS}/calendar", headers=admin_headers).json()
    flagged = [row for row in month["days"] if row["today"]]
    assert len(flagged) == 1 and flagged[0]["date"] == today.isoformat()
    assert flagged[0]["task_ids"] == [task["id"]] and month["today"] == today.isoformat()
    error_of(client.get(f"{TASKS}/calendar?view=year", headers=admin_headers), 422)
    error_of(client.get(f"{TASKS}/calendar?date=0001-01-01", headers=admin_headers), 422)
