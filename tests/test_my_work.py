""" "My work" on the home page (WEB-3, TSK-3, TSK-7, TSK-14): a user's open tasks as an executor
and their due reminders, dismissed or put off by that user alone.

Through the API (to make tasks and reminders) and the services on the real databases (SQLite
and PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.db.models import TaskReminder
from hub.errors import Invalid, NotFound
from hub.services.tasks import my_work
from tests.conftest import UserFactory
from tests.test_tasks_support import TASKS, Headers, make_task, set_executor

NOW = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)


def task_for(
    client: TestClient, headers: Headers, executors: list[int], name: str, ends_in_hours: float
) -> int:
    ends = NOW + timedelta(hours=ends_in_hours)
    made = make_task(
        client,
        headers,
        name=name,
        starts_at=(ends - timedelta(hours=1)).isoformat(),
        ends_at=ends.isoformat(),
        executor_ids=executors,
    )
    return int(made["id"])


def remind(
    client: TestClient,
    headers: Headers,
    task_id: int,
    user_id: int,
    at: datetime,
    channel: str = "system",
) -> int:
    reply = client.post(
        f"{TASKS}/{task_id}/reminders",
        headers=headers,
        json={"user_id": user_id, "remind_at": at.isoformat(), "channel": channel},
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def test_open_tasks_are_ones_own_by_executor_status_overdue_first(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    me, _ = make_user("me")
    other, _ = make_user("other")
    later = task_for(client, admin_headers, [me], "Пізніше", 30)
    late = task_for(client, admin_headers, [me, other], "Прострочена", -5)
    soon = task_for(client, admin_headers, [me], "Скоро", 2)
    task_for(client, admin_headers, [other], "Чужа", 1)
    # My own part done: the task is no longer open for me, though another executor works on.
    mine_done = task_for(client, admin_headers, [me, other], "Моя частина виконана", 3)
    assert set_executor(client, admin_headers, mine_done, me, "done").status_code == 200
    # The other's part done does not close mine.
    assert set_executor(client, admin_headers, late, other, "done").status_code == 200

    with hub.sessions() as session:
        found = my_work.open_tasks(session, user_id=me, now=NOW)
        assert [task.id for task in found.tasks] == [late, soon, later]
        assert not found.more
        first = found.tasks[0]
        assert first.overdue and first.color == "#c62828" and first.status.code == "assigned"
        assert not found.tasks[1].overdue and found.tasks[1].color == "#1f5fbf"
        capped = my_work.open_tasks(session, user_id=me, now=NOW, limit=2)
        assert [task.id for task in capped.tasks] == [late, soon] and capped.more
        assert [t.name for t in my_work.open_tasks(session, user_id=other, now=NOW).tasks] == [
            "Чужа",
            "Моя частина виконана",
        ]


def test_due_reminders_are_the_users_own_come_and_not_dismissed(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    me, _ = make_user("me")
    other, _ = make_user("other")
    task = task_for(client, admin_headers, [me, other], "Дзвінок", 5)
    due = remind(client, admin_headers, task, me, NOW - timedelta(minutes=5))
    older = remind(client, admin_headers, task, me, NOW - timedelta(hours=1))
    remind(client, admin_headers, task, me, NOW + timedelta(minutes=5))  # not yet
    remind(client, admin_headers, task, other, NOW - timedelta(minutes=5))  # another's
    remind(client, admin_headers, task, me, NOW - timedelta(minutes=5), "email")  # e-mail only
    both = remind(client, admin_headers, task, me, NOW, "email_and_system")

    with hub.sessions() as session, session.begin():
        found = my_work.due_reminders(session, user_id=me, now=NOW)
        assert [r.id for r in found] == [older, due, both]
        assert found[0].task_id == task and found[0].task_name == "Дзвінок"
        my_work.dismiss_reminder(session, user_id=me, reminder_id=older, now=NOW)
        # Dismissing twice changes nothing.
        my_work.dismiss_reminder(session, user_id=me, reminder_id=older, now=NOW)
    with hub.sessions() as session:
        assert [r.id for r in my_work.due_reminders(session, user_id=me, now=NOW)] == [due, both]
        # The dismissed reminder stays on the task's card.
        kept = session.get(TaskReminder, older)
        assert kept is not None and kept.dismissed_at is not None


def test_a_reminder_put_off_comes_again_after_the_wait(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    me, _ = make_user("me")
    task = task_for(client, admin_headers, [me], "Лист", 5)
    reminder = remind(client, admin_headers, task, me, NOW - timedelta(minutes=1))
    with hub.sessions() as session, session.begin():
        my_work.dismiss_reminder(session, user_id=me, reminder_id=reminder, now=NOW)
        row = my_work.snooze_reminder(
            session, user_id=me, reminder_id=reminder, now=NOW, minutes=10
        )
        assert row.remind_at == NOW + timedelta(minutes=10) and row.dismissed_at is None
    with hub.sessions() as session:
        assert my_work.due_reminders(session, user_id=me, now=NOW + timedelta(minutes=9)) == []
        again = my_work.due_reminders(session, user_id=me, now=NOW + timedelta(minutes=10))
        assert [r.id for r in again] == [reminder]


def test_only_the_reminders_user_dismisses_or_puts_it_off(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    me, _ = make_user("me")
    other, _ = make_user("other")
    task = task_for(client, admin_headers, [me], "Зустріч", 5)
    reminder = remind(client, admin_headers, task, me, NOW)
    with hub.sessions() as session, session.begin():
        with pytest.raises(NotFound):
            my_work.dismiss_reminder(session, user_id=other, reminder_id=reminder, now=NOW)
        with pytest.raises(NotFound):
            my_work.snooze_reminder(
                session, user_id=other, reminder_id=reminder, now=NOW, minutes=10
            )
        with pytest.raises(NotFound):
            my_work.dismiss_reminder(session, user_id=me, reminder_id=reminder + 99, now=NOW)
        for wrong in (0, my_work.LONGEST_SNOOZE + 1):
            with pytest.raises(Invalid):
                my_work.snooze_reminder(
                    session, user_id=me, reminder_id=reminder, now=NOW, minutes=wrong
                )
    with hub.sessions() as session:
        assert [r.id for r in my_work.due_reminders(session, user_id=me, now=NOW)] == [reminder]


def test_the_api_gives_a_user_their_own_work_and_reminders(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    me, mine = make_user("me")
    _, others = make_user("other")
    now = datetime.now(UTC)
    late = make_task(
        client,
        admin_headers,
        name="Прострочена",
        starts_at=(now - timedelta(days=2)).isoformat(),
        ends_at=(now - timedelta(days=1)).isoformat(),
        executor_ids=[me],
    )
    reminder = remind(client, admin_headers, late["id"], me, now - timedelta(minutes=1))
    tasks = client.get(f"{TASKS}/mine/open", headers=mine)
    assert tasks.status_code == 200, tasks.text
    assert [(t["id"], t["status"], t["overdue"]) for t in tasks.json()] == [
        (late["id"], "assigned", True)
    ]
    assert client.get(f"{TASKS}/mine/open", headers=others).json() == []
    due = client.get(f"{TASKS}/mine/reminders", headers=mine).json()
    assert [(r["id"], r["task_name"]) for r in due] == [(reminder, "Прострочена")]
    # Another user may not put my reminder away; a wrong wait is refused naming the field.
    url = f"{TASKS}/mine/reminders/{reminder}"
    assert client.post(f"{url}/dismiss", headers=others).status_code == 404
    wrong = client.post(f"{url}/snooze", headers=mine, json={"minutes": 0})
    assert wrong.status_code == 422
    put_off = client.post(f"{url}/snooze", headers=mine, json={"minutes": 60})
    assert put_off.status_code == 200, put_off.text
    assert client.get(f"{TASKS}/mine/reminders", headers=mine).json() == []
    dismissed = client.post(f"{url}/dismiss", headers=mine)
    assert dismissed.status_code == 200 and dismissed.json()["dismissed_at"] is not None
    listed = client.get(f"{TASKS}/{late['id']}/reminders", headers=admin_headers).json()
    assert [r["dismissed_at"] is not None for r in listed] == [True]
