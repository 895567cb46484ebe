"""Finishing a visitor records the operator's work in the ticket's task (Q-6, TSK-3, issue 17).

On SQLite and PostgreSQL: the minutes and the percent reach the operator's executor record and
the task through the task services; the task is Done only when all executors are; a partial
percent leaves it open; wrong values change nothing; the panel is sent the task's card address.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.config import Settings
from hub.db.engine import transaction
from hub.db.models import Task, TaskExecutor, TaskStatus, User
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.errors import Invalid
from hub.services.queue import operators as queue_operators
from hub.services.queue import publish as queue_publish
from hub.services.queue.core import QueueContext
from hub.services.queue.work import Work
from hub.services.tasks import executors
from tests.test_queue import KYIV, T0, at, issue, make_operator, make_service, press_free


def _serve(hub: Hub, name: str = "olena") -> tuple[int, int, int]:
    """A ticket called for a new operator at 09:05: (user id, ticket id, task id)."""
    with transaction(hub.sessions) as session:
        service = make_service(session, f"Послуга {name}")
        profile = make_operator(session, name, [service])
    issue(hub, service, 0)
    assignment = press_free(hub, profile, 5).assignment
    assert assignment is not None and assignment.task_id is not None
    return profile.user_id, assignment.ticket.id, assignment.task_id


def _finish(hub: Hub, user_id: int, ticket_id: int, when: float, **work: int | None) -> None:
    with transaction(hub.sessions) as session:
        user = session.get(User, user_id)
        assert user is not None
        profile = queue_operators.AccessProfile(
            user_id=user.id, username=user.username, full_access=True
        )
        queue_operators.done(
            session, at(when), profile=profile, ticket_id=ticket_id, work=Work(**work)
        )


def _state(hub: Hub, task_id: int, user_id: int) -> tuple[str, int, int, str, int]:
    """(task status, task percent, task minutes, executor status, executor minutes)."""
    with hub.sessions() as session:
        task = session.get(Task, task_id)
        assert task is not None
        row = session.scalars(
            select(TaskExecutor).where(
                TaskExecutor.task_id == task_id, TaskExecutor.user_id == user_id
            )
        ).one()
        codes = dict(session.execute(select(TaskStatus.id, TaskStatus.code)).all())
        return (
            codes[task.status_id],
            task.percent_done,
            task.time_spent_minutes,
            codes[row.status_id],
            row.time_spent_minutes,
        )


def test_thirty_minutes_at_100_percent_complete_the_executor_and_the_task(hub: Hub) -> None:
    user, ticket, task = _serve(hub)
    _finish(hub, user, ticket, 12, minutes=30, percent=100)
    assert _state(hub, task, user) == ("done", 100, 30, "done", 30)
    with hub.sessions() as session:
        held = session.get(QueueTicket, ticket)
        assert held is not None and held.state == "done"


def test_a_partial_percent_serves_the_visitor_and_leaves_the_task_open(hub: Hub) -> None:
    user, ticket, task = _serve(hub)
    _finish(hub, user, ticket, 12, minutes=25, percent=40)
    assert _state(hub, task, user) == ("assigned", 40, 25, "assigned", 25)
    with hub.sessions() as session:
        held = session.get(QueueTicket, ticket)
        operator = session.get(QueueOperator, user)
        assert held is not None and held.state == "done"
        assert operator is not None and operator.ticket_id is None


def test_without_the_fields_the_minutes_since_the_call_and_100_percent(hub: Hub) -> None:
    user, ticket, task = _serve(hub)  # called at 09:05
    _finish(hub, user, ticket, 17.5)
    assert _state(hub, task, user) == ("done", 100, 12, "done", 12)


@pytest.mark.parametrize(
    ("work", "field"),
    [
        ({"percent": 150}, "percent_done"),
        ({"percent": -1}, "percent_done"),
        ({"minutes": -5}, "time_spent_minutes"),
        ({"minutes": 24 * 60 + 1}, "time_spent_minutes"),
        ({"minutes": "30"}, "time_spent_minutes"),
    ],
)
def test_a_wrong_value_is_refused_and_changes_nothing(
    hub: Hub, work: dict[str, object], field: str
) -> None:
    user, ticket, task = _serve(hub)
    before = _state(hub, task, user)
    with pytest.raises(Invalid) as caught:
        _finish(hub, user, ticket, 12, **work)  # type: ignore[arg-type]
    assert caught.value.params["field"] == field and str(caught.value)
    assert _state(hub, task, user) == before
    with hub.sessions() as session:
        held = session.get(QueueTicket, ticket)
        assert held is not None and held.state == "called"


def test_the_task_is_done_only_when_every_executor_is(hub: Hub) -> None:
    user, ticket, task = _serve(hub)
    with transaction(hub.sessions) as session:
        other = User(username="petro", full_access=True)
        session.add(other)
        session.flush()
        other_id = other.id
        admin = queue_operators.AccessProfile(user_id=other.id, username="petro", full_access=True)
        executors.add_executors(session, profile=admin, task_id=task, user_ids=[other.id])
    _finish(hub, user, ticket, 12, minutes=30, percent=100)
    assert _state(hub, task, user) == ("assigned", 100, 30, "done", 30)
    with transaction(hub.sessions) as session:
        admin = queue_operators.AccessProfile(user_id=other_id, username="petro", full_access=True)
        executors.update_executor(
            session,
            profile=admin,
            task_id=task,
            user_id=other_id,
            status="done",
            complete_task=True,
            tz=KYIV,
        )
    assert _state(hub, task, user)[0] == "done"


def test_the_assignment_names_the_task_and_the_address_of_its_card(hub: Hub) -> None:
    user, _ticket, task = _serve(hub)
    ctx = QueueContext(now=T0 + timedelta(minutes=6), tz=KYIV, office_url="https://hub.lan:8443")
    with transaction(hub.sessions) as session:
        operator = session.get(QueueOperator, user)
        number = session.get(Task, task).number  # type: ignore[union-attr]
        payload = queue_publish.assignment_payload(
            session, operator, now=ctx.now, office_url=ctx.office_url
        )  # type: ignore[arg-type]
        bare = queue_publish.assignment_payload(session, operator, now=ctx.now)  # type: ignore[arg-type]
    assert payload["task_id"] == task and payload["task_number"] == number
    assert payload["task_url"] == f"https://hub.lan:8443/office/tasks/{task}"
    assert payload["ticket"]["called_at"]
    assert "task_url" not in bare and bare["task_number"] == number


def test_the_office_address_comes_from_the_settings() -> None:
    base = Settings(tls_names=["cherga.office.lan"])
    assert base.office_url == "https://cherga.office.lan:8443"
    assert Settings(https=False, mqtt_public_host="10.0.0.5", port=80).office_url == (
        "http://10.0.0.5"
    )
    assert Settings(public_url="https://office.example.com/").office_url == (
        "https://office.example.com"
    )
    with pytest.raises(ValueError, match="public_url"):
        Settings(public_url="javascript:alert(1)")
