"""What the task registry's pages rest on (TSK-1, TSK-13, TSK-14, PRJ-5): the responsibility
centre as an executor, the derived "overdue" filter, the calendar read as columns, moving a
period to another day, the kept columns, the plan and its Gantt layout.

Through the API and the services on the real databases (SQLite and PostgreSQL), and the Gantt
layout as a pure function.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.db.models import Event, EventType, Project
from hub.errors import AccessDenied, Conflict, Invalid
from hub.services.access.rights import AccessProfile
from hub.services.tasks import desk
from hub.services.tasks.plan import task_plan
from hub.services.tasks.registry import TaskFilter, calendar
from hub.services.tasks.tasks import statuses
from hub.web.office import gantt
from tests.test_tasks_support import TASKS, Headers, add_rows, make_task, read_task

KYIV = ZoneInfo("Europe/Kyiv")
ADMIN = AccessProfile(user_id=1, username="admin", is_admin=True)


def kyiv(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=KYIV)


def iso(day: date, hour: int) -> str:
    return kyiv(day, hour).isoformat()


def ids(client: TestClient, headers: Headers, query: str) -> list[int]:
    reply = client.get(f"{TASKS}?{query}", headers=headers)
    assert reply.status_code == 200, reply.text
    return [row["id"] for row in reply.json()["items"]]


def test_a_responsibility_centre_is_an_executor_the_registry_filters_by(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    given = make_task(client, admin_headers, responsibility_centre="  Бухгалтерія ")
    assert given["responsibility_centre"] == "Бухгалтерія"
    other = make_task(client, admin_headers, responsibility_centre="Склад")
    make_task(client, admin_headers)
    assert ids(client, admin_headers, "centre=Бухгалтерія") == [given["id"]]
    reply = client.patch(
        f"{TASKS}/{other['id']}", headers=admin_headers, json={"responsibility_centre": None}
    )
    assert reply.status_code == 200 and reply.json()["responsibility_centre"] is None
    with hub.sessions() as session:
        assert desk.responsibility_centres(session) == ["Бухгалтерія"]
    # A task made from an event keeps the event's responsibility centre (EVT-6).
    with hub.sessions() as session:
        kind = session.query(EventType).filter_by(code="incoming_call").one().id
    (event_id,) = add_rows(
        hub,
        Event(
            number="1",
            type_id=kind,
            starts_at=datetime(2030, 3, 1, 9, tzinfo=UTC),
            responsible_type="responsibility_centre",
            responsibility_centre="Каса",
        ),
    )
    made = client.post(f"/api/v1/events/{event_id}/tasks", headers=admin_headers, json={})
    assert made.status_code == 201, made.text
    assert read_task(client, admin_headers, made.json()["id"])["responsibility_centre"] == "Каса"


def test_overdue_is_derived_from_the_end_in_the_filter_too(
    client: TestClient, admin_headers: Headers
) -> None:
    past = datetime.now(UTC) - timedelta(days=2)
    late = make_task(
        client,
        admin_headers,
        starts_at=past.isoformat(),
        ends_at=(past + timedelta(hours=1)).isoformat(),
    )
    finished = make_task(
        client,
        admin_headers,
        starts_at=past.isoformat(),
        ends_at=(past + timedelta(hours=1)).isoformat(),
        status="done",
    )
    make_task(client, admin_headers)  # 2030: not yet due
    assert ids(client, admin_headers, "status=overdue") == [late["id"]]
    assert read_task(client, admin_headers, finished["id"])["overdue"] is False


def test_the_desk_calendar_has_the_same_days_as_the_api_calendar(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    first = date(2030, 3, 1)
    for n in range(12):
        day = first + timedelta(days=2 * n)
        make_task(
            client,
            admin_headers,
            starts_at=iso(day, 22),
            ends_at=iso(day + timedelta(days=n % 3), 23),
            executor_ids=[1] if n % 2 else [],
        )
    flt = TaskFilter()
    now = datetime.now(UTC)
    on = date(2030, 3, 5)
    with hub.sessions() as session:
        api = calendar(session, view="month", on=on, today=on, tz=KYIV, flt=flt)
        mine = desk.desk_calendar(session, view="month", on=on, today=on, tz=KYIV, flt=flt, now=now)
    assert [(d.day, d.task_ids) for d in api.days] == [
        (day, [task.id for task in tasks]) for day, _today, tasks in mine.days
    ]
    chosen = next(d for d in api.days if d.day == on)
    assert [task.id for task in mine.chosen] == chosen.task_ids
    assert all(task.executors == ("Адміністратор",) for task in mine.chosen if task.id % 2 == 0)


def test_moving_to_a_day_keeps_the_wall_clock_time_and_the_length(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    # Kyiv moves its clocks on 31 March 2030: a task at 09:00 stays at 09:00 after the move.
    task = make_task(
        client,
        admin_headers,
        starts_at=iso(date(2030, 3, 25), 9),
        ends_at=iso(date(2030, 3, 26), 17),
    )
    with hub.sessions() as session, session.begin():
        moved = desk.move_to_day(
            session, profile=ADMIN, task_id=task["id"], day=date(2030, 4, 2), tz=KYIV
        )
        assert moved.starts_at == kyiv(date(2030, 4, 2), 9)
        assert moved.ends_at - moved.starts_at == timedelta(hours=32)
    later = make_task(
        client, admin_headers, starts_at=iso(date(2030, 4, 5), 9), ends_at=iso(date(2030, 4, 5), 10)
    )
    reply = client.put(f"{TASKS}/{later['id']}/dependencies/{task['id']}", headers=admin_headers)
    assert reply.status_code == 200, reply.text
    with hub.sessions() as session, session.begin():
        with pytest.raises(Conflict) as refused:
            desk.move_to_day(
                session, profile=ADMIN, task_id=later["id"], day=date(2030, 4, 1), tz=KYIV
            )
        assert refused.value.code == "task_starts_before_dependency"
        clerk = AccessProfile(user_id=2, username="clerk")
        with pytest.raises(AccessDenied):
            desk.move_to_day(
                session, profile=clerk, task_id=later["id"], day=date(2030, 4, 9), tz=KYIV
            )
    assert read_task(client, admin_headers, later["id"])["starts_at"].startswith("2030-04-05")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_columns_a_user_keeps(hub: Hub) -> None:
    with hub.sessions() as session, session.begin():
        assert desk.registry_columns(session, 1)[:2] == ["number", "name"]
        kept = desk.keep_columns(session, user_id=1, columns=["client", "name", "nonsense"])
        assert kept == ["name", "client"]  # known ones, in the registry's order
        with pytest.raises(Invalid):
            desk.keep_columns(session, user_id=1, columns=["nonsense"])
    with hub.sessions() as session:
        assert desk.registry_columns(session, 1) == ["name", "client"]


def test_the_plan_has_the_dependencies_among_the_tasks_shown(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    project, other = add_rows(hub, Project(number="1", name="А"), Project(number="2", name="Б"))
    day = date(2030, 3, 10)
    made = [
        make_task(
            client,
            admin_headers,
            project_id=project if n < 3 else other,
            starts_at=iso(day + timedelta(days=n), 9),
            ends_at=iso(day + timedelta(days=n), 17),
        )["id"]
        for n in range(4)
    ]
    for later, earlier in ((made[1], made[0]), (made[2], made[1]), (made[3], made[2])):
        reply = client.put(f"{TASKS}/{later}/dependencies/{earlier}", headers=admin_headers)
        assert reply.status_code == 200, reply.text
    now = datetime(2030, 3, 11, 12, tzinfo=UTC)
    with hub.sessions() as session:
        plan = task_plan(session, flt=TaskFilter(project=str(project)), now=now)
        short = task_plan(session, flt=TaskFilter(project=str(project)), now=now, limit=2)
    assert [task.id for task in plan.tasks] == made[:3]
    assert plan.dependencies == [(made[1], made[0]), (made[2], made[1])]  # not the other project's
    assert [task.overdue for task in plan.tasks] == [True, False, False]
    assert plan.tasks[0].color == "#c62828" and plan.tasks[1].color == "#1f5fbf"
    assert short.truncated and short.dependencies == [(made[1], made[0])]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_gantt_layout_chooses_its_scale_and_draws_every_bar_and_arrow(hub: Hub) -> None:
    from hub.services.tasks.plan import PlanTask, TaskPlan

    with hub.sessions() as session:
        assigned = next(e for e in statuses(session).values() if e.code == "assigned")

    def plan(days: int, count: int) -> TaskPlan:
        start = datetime(2030, 1, 1, 7, tzinfo=UTC)
        step = timedelta(days=days / count)
        tasks = [
            PlanTask(
                id=n + 1,
                number=f"{n + 1}",
                name=f"Задача <{n}>",
                starts_at=start + n * step,
                ends_at=start + (n + 1) * step,
                percent_done=50,
                status=assigned,
                overdue=False,
                color="#1f5fbf",
                journal_id=None,
            )
            for n in range(count)
        ]
        return TaskPlan(tasks, [(n + 1, n) for n in range(1, count)], truncated=False)

    for days, scale in ((20, "day"), (150, "week"), (900, "month")):
        laid = gantt.chart(plan(days, 30), tz=KYIV, today=date(2030, 1, 5), lang="uk")
        assert laid.scale == scale
        assert len(laid.bars) == 30 and len(laid.arrows) == 29
        assert laid.width <= gantt.MAX_WIDTH + gantt.DATES_ROOM
        assert laid.today is not None
    many = gantt.chart(plan(365, 2000), tz=KYIV, today=date(2030, 6, 1), lang="en")
    html = str(gantt.markup(many, lang="en"))
    assert html.count('class="gantt-bar"') == 2000 and html.count('class="gantt-arrow"') == 1999
    assert "Задача &lt;7&gt;" in html and "<7>" not in html
    bar = many.bars[0]
    assert abs(bar.done - bar.width / 2) < 0.01
    asked = gantt.chart(plan(20, 5), tz=KYIV, today=date(2030, 1, 5), lang="en", scale="month")
    assert asked.scale == "month"
    assert (
        gantt.chart(TaskPlan([], [], False), tz=KYIV, today=date(2030, 1, 5), lang="uk").bars == []
    )
