"""The queue's domain (Q-1..Q-6) on SQLite and PostgreSQL: tickets, bookings, Free, outcomes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Counter, Event, EventType, Project, ProjectMember, Task, TaskStatus, User
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.errors import Conflict, DomainError
from hub.protocol.messages import decode
from hub.protocol.topics import parse as parse_topic
from hub.services.access.rights import AccessProfile, load_profile
from hub.services.common import outbox
from hub.services.queue import assign as queue_assign
from hub.services.queue import operators as queue_operators
from hub.services.queue import publish as queue_publish
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.core import QueueContext
from hub.services.queue.tickets import ClientDetails
from hub.services.settings.parameters import update_global

KYIV = ZoneInfo("Europe/Kyiv")
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=KYIV)


def at(minutes: float, base: datetime = T0) -> QueueContext:
    """The context ``minutes`` after 09:00 Kyiv time."""
    return QueueContext(now=base + timedelta(minutes=minutes), tz=KYIV, site="main")


def make_service(session: Session, name: str, *, uses_queue: bool = True) -> int:
    project = Project(number=name[:8], name=name, uses_queue=uses_queue)
    session.add(project)
    session.flush()
    return project.id


def make_operator(session: Session, name: str, services: list[int]) -> AccessProfile:
    user = User(username=name, full_access=True)
    session.add(user)
    session.flush()
    for service in services:
        session.add(ProjectMember(project_id=service, user_id=user.id))
    session.flush()
    return load_profile(session, user)


def press_free(
    hub: Hub, profile: AccessProfile, minutes: float, window: str = "1", device: str | None = None
) -> queue_assign.FreeResult:
    with transaction(hub.sessions) as session:
        return queue_assign.free(
            session, at(minutes), profile=profile, window=window, device_id=device
        )


def issue(hub: Hub, service: int, minutes: float, **client: object) -> queue_tickets.IssueResult:
    with transaction(hub.sessions) as session:
        details = ClientDetails(**client) if client else None  # type: ignore[arg-type]
        return queue_tickets.issue_ticket(session, at(minutes), service_id=service, client=details)


def drain(hub: Hub) -> list[outbox.Pending]:
    """What the sender would publish now: pending messages, the board drawn as committed."""
    with transaction(hub.sessions) as session:
        messages = outbox.pending(session, 1000)
        outbox.mark_sent(session, [message.id for message in messages])
        return [
            replace(m, payload=queue_publish.materialise(session, at(0), m.payload))
            for m in messages
        ]


def test_ticket_numbers_count_per_service_and_restart_daily(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        first, second = make_service(session, "Паспорти"), make_service(session, "Довідки")
    a1 = issue(hub, first, 0, name="Олена", phone="+380 67 123 45 67", companies=2)
    a2 = issue(hub, first, 1)
    b1 = issue(hub, second, 2)
    tomorrow = issue(hub, first, 24 * 60)
    assert [a1.ticket.number, a2.ticket.number, b1.ticket.number] == ["001", "002", "001"]
    assert tomorrow.ticket.number == "001"
    assert (a1.ticket.position, a2.ticket.position) == (1, 2)
    # No history and no operator: the default 10 minutes a visitor, half a visit for the first.
    assert (a1.ticket.estimated_wait_s, a2.ticket.estimated_wait_s) == (300, 900)
    with transaction(hub.sessions) as session:
        event = session.get(Event, a1.ticket.event_id)
        assert event is not None
        kind = session.get(EventType, event.type_id)
        assert kind is not None and kind.code == "queue"
        assert (event.number, event.project_id, event.content) == ("001", first, "Олена")
        assert event.ends_at == event.starts_at + timedelta(minutes=20)  # two companies
        days = session.scalars(select(QueueTicket.service_day).order_by(QueueTicket.id)).all()
        assert days == [date(2026, 11, 30)] * 3 + [date(2026, 12, 1)]


def test_a_number_already_taken_today_is_skipped_without_a_trace(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
    assert [issue(hub, service, n).ticket.number for n in range(2)] == ["001", "002"]
    with transaction(hub.sessions) as session:  # as after a numbering rule changed at noon
        session.execute(update(Counter).values(value=1).where(Counter.value == 2))
    third = issue(hub, service, 3)
    assert third.ticket.number == "003"
    with hub.read_sessions() as session:
        numbers = session.scalars(
            select(Event.number).where(Event.project_id == service).order_by(Event.id)
        ).all()
        assert numbers == ["001", "002", "003"]  # the refused "002" left no event behind
        assert session.get(Event, third.ticket.event_id) is not None


def test_issue_refuses_bad_input_and_changes_nothing(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        off = make_service(session, "Без черги", uses_queue=False)
        on = make_service(session, "Черга")
    for service, client, code in (
        (off, None, "queue_service_off"),
        (999_999, None, "queue_service_unknown"),
        (on, {"companies": 0}, "queue_companies_invalid"),
        (on, {"phone": "no digits"}, "queue_client_phone_invalid"),
        (on, {"client_id": 424242}, "queue_client_unknown"),
    ):
        with pytest.raises(DomainError) as caught:
            issue(hub, service, 0, **(client or {}))
        assert caught.value.code == code
    with transaction(hub.sessions) as session:
        assert session.scalars(select(QueueTicket)).all() == []
    assert issue(hub, on, 0).ticket.number == "001"


def test_free_takes_the_nearest_effective_time_and_makes_the_task(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service, other = make_service(session, "Паспорти"), make_service(session, "Інше")
        olena = make_operator(session, "olena", [service])
        petro = make_operator(session, "petro", [service])
        outsider = make_operator(session, "ivan", [other])
        booking = queue_tickets.create_booking(
            session, at(-60), service_id=service, booked_at=T0 + timedelta(minutes=60)
        )
    assert booking.booking_code and len(booking.booking_code) == 10
    walk_in = issue(hub, service, 55, name="Марія")  # arrives at 09:55
    with transaction(hub.sessions) as session:
        checked = queue_tickets.check_in(session, at(50), code=booking.booking_code.lower())
    assert checked.ticket.effective_at == T0 + timedelta(minutes=60)  # the booked start
    assert press_free(hub, outsider, 58).assignment is None
    first = press_free(hub, olena, 58, window="3")
    assert first.assignment is not None
    assert first.assignment.ticket.id == walk_in.ticket.id  # 09:55 is nearer than 10:00
    assert first.assignment.reason.effective_at == T0 + timedelta(minutes=55)
    assert first.assignment.reason.service_id == service
    assert (first.assignment.window, first.operator.status) == ("3", "busy")
    second = press_free(hub, petro, 59, window="4")
    assert second.assignment is not None and second.assignment.ticket.id == checked.ticket.id
    with transaction(hub.sessions) as session:
        task = session.get(Task, first.assignment.task_id)
        assert task is not None
        assert task.event_id == walk_in.ticket.event_id
        assert task.starts_at == T0 + timedelta(minutes=55)
        assert [row.user_id for row in task.executors] == [olena.user_id]
        kind = session.get(EventType, task.event_type_id)
        assert kind is not None and kind.code == "queue"
        ticket = session.get(QueueTicket, walk_in.ticket.id)
        assert ticket is not None and (ticket.state, ticket.window) == ("called", "3")
        with pytest.raises(Conflict) as caught:
            queue_assign.free(session, at(60), profile=olena)
        assert caught.value.code == "queue_operator_has_ticket"


def test_a_free_operator_is_offered_the_next_ticket_at_once(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
    idle = press_free(hub, olena, 0, window="2", device="panel-2")
    assert idle.assignment is None and idle.operator.status == "free"
    result = issue(hub, service, 5)
    assert result.assignment is not None
    assert (result.assignment.operator_id, result.assignment.window) == (olena.user_id, "2")
    sent = drain(hub)
    topics = [message.topic for message in sent]
    assert "cherga/v1/main/panel/panel-2/assignment" in topics
    assert "cherga/v1/main/display/announce" in topics
    announce = next(m for m in sent if m.topic.endswith("display/announce"))
    assert (announce.payload["number"], announce.payload["window"]) == ("001", "2")
    assert announce.payload["recall"] is False and announce.retain is False
    board = [m for m in sent if m.topic == "cherga/v1/main/display/board"][-1]
    assert board.retain is True
    assert board.payload["calls"][0]["number"] == "001"
    assert board.payload["waiting"] == {str(service): 0}
    panel = [m for m in sent if m.topic.endswith("panel-2/assignment")][-1]
    assert panel.retain and panel.payload["ticket"]["number"] == "001"
    assert panel.payload["reason"] == "Найближчий у черзі «Паспорти»: час 09:05."
    # Everything the hub sends is a valid message of the contract devices decode with.
    for message in sent:
        kind = parse_topic(message.topic).kind
        decode(kind, json.dumps(message.payload).encode())


@pytest.mark.parametrize("rule", ["walk_in", "expire"])
def test_booking_check_in_early_on_time_and_late(hub: Hub, rule: str) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        update_global(session, {"queue": {"late_booking_rule": rule}})
        codes = [
            queue_tickets.create_booking(
                session, at(-600), service_id=service, booked_at=T0 + timedelta(hours=hour)
            ).booking_code
            for hour in (1, 2)
        ]
    early, late = codes
    assert early and late
    with transaction(hub.sessions) as session, pytest.raises(Conflict) as caught:
        queue_tickets.check_in(session, at(60 - 31), code=early)
    assert caught.value.code == "queue_booking_too_early"
    assert "09:30" in str(caught.value)
    with transaction(hub.sessions) as session:
        on_time = queue_tickets.check_in(session, at(60 + 10), code=early)
    assert on_time.ticket.state == "waiting"
    assert on_time.ticket.effective_at == T0 + timedelta(hours=1)
    with transaction(hub.sessions) as session:
        expired = queue_operators.expire_overdue(session, at(120 + 11).now, tz=KYIV)
    assert len(expired.expired) == 1
    if rule == "walk_in":
        with transaction(hub.sessions) as session:
            joined = queue_tickets.check_in(session, at(120 + 30), code=late)
        assert (joined.ticket.kind, joined.ticket.state) == ("walk_in", "waiting")
        assert joined.ticket.effective_at == at(150).now
    else:
        with transaction(hub.sessions) as session, pytest.raises(Conflict) as caught:
            queue_tickets.check_in(session, at(120 + 30), code=late)
        assert caught.value.code == "queue_booking_too_late"
    with transaction(hub.sessions) as session, pytest.raises(Conflict) as caught:
        queue_tickets.check_in(session, at(200), code=early)
    assert caught.value.code == "queue_booking_checked_in"


def _task_status(hub: Hub, task_id: int) -> tuple[str, str | None]:
    with transaction(hub.sessions) as session:
        task = session.get(Task, task_id)
        assert task is not None
        status = session.get(TaskStatus, task.status_id)
        assert status is not None
        return status.code, task.content


def test_recall_no_show_done_and_automatic_no_show(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
        update_global(session, {"queue": {"no_show_after_recalls": 1}})
    for minute in range(3):
        issue(hub, service, minute)
    first = press_free(hub, olena, 5).assignment
    assert first is not None
    drain(hub)
    with transaction(hub.sessions) as session:
        again = queue_operators.recall(session, at(6), profile=olena, ticket_id=first.ticket.id)
    assert (again.ticket.recalls, again.ticket.state) == (1, "called")
    assert [m.payload["recall"] for m in drain(hub) if m.topic.endswith("announce")] == [True]
    with transaction(hub.sessions) as session:
        over = queue_operators.recall(session, at(7), profile=olena, ticket_id=first.ticket.id)
    assert over.ticket.state == "no_show"
    assert _task_status(hub, first.task_id)[0] == "done"

    second = press_free(hub, olena, 8).assignment
    assert second is not None
    with transaction(hub.sessions) as session:
        queue_operators.start_serving(session, at(9), profile=olena, ticket_id=second.ticket.id)
        finished = queue_operators.done(
            session, at(21), profile=olena, ticket_id=second.ticket.id, note="Видано довідку"
        )
    assert finished.ticket.state == "done"
    code, content = _task_status(hub, second.task_id)
    assert code == "done" and content is not None and "Видано довідку" in content

    with transaction(hub.sessions) as session:
        update_global(session, {"queue": {"no_show_after_seconds": 120}})
    third = press_free(hub, olena, 22, device="panel-1").assignment
    assert third is not None
    with transaction(hub.sessions) as session:
        assert queue_operators.expire_overdue(session, at(23).now).no_shows == []
    with transaction(hub.sessions) as session:
        result = queue_operators.expire_overdue(session, at(24.5).now, tz=KYIV)
    assert result.no_shows == [third.ticket.id]
    with transaction(hub.sessions) as session:
        operator = session.get(QueueOperator, olena.user_id)
        assert operator is not None and operator.ticket_id is None
    panel = [m for m in drain(hub) if m.topic.endswith("panel-1/assignment")]
    assert panel[-1].payload["ticket"] is None
    # The next estimate uses what the three called tickets cost the desk, from the call to the
    # end: the no-show at 7 (2 min), the visit done at 21 (13), the no-show at 24.5 (2.5); a
    # mean of 350 s, and Olena, with nobody in hand, is half of that away.
    with transaction(hub.sessions) as session:
        fresh = queue_tickets.issue_ticket(session, at(30), service_id=service)
    assert fresh.ticket.estimated_wait_s == 175


def test_transfer_to_another_service_front_and_to_one_operator(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        first, second = make_service(session, "Паспорти"), make_service(session, "Каса")
        olena = make_operator(session, "olena", [first])
        petro = make_operator(session, "petro", [second])
        ivan = make_operator(session, "ivan", [second])
    mine = issue(hub, first, 0)
    earlier = issue(hub, second, -30)  # already waiting at the cash desk
    called = press_free(hub, olena, 1).assignment
    assert called is not None and called.ticket.id == mine.ticket.id
    with transaction(hub.sessions) as session:
        moved = queue_operators.transfer(
            session,
            at(2),
            profile=olena,
            ticket_id=mine.ticket.id,
            target_service_id=second,
            front=True,
            reason="Потрібна оплата",
        )
    assert (moved.ticket.state, moved.ticket.service_id, moved.ticket.front) == (
        "waiting",
        second,
        True,
    )
    assert moved.ticket.number == "001" and moved.assignment is None
    code, content = _task_status(hub, called.task_id)
    assert code == "done" and content is not None and "Потрібна оплата" in content
    got = press_free(hub, petro, 3).assignment
    assert got is not None and got.ticket.id == mine.ticket.id and got.reason.front
    assert got.ticket.service_id == second
    # Now to one operator: Ivan is free but the ticket goes only to Petro.
    idle = press_free(hub, ivan, 4)
    assert idle.assignment is not None and idle.assignment.ticket.id == earlier.ticket.id
    with transaction(hub.sessions) as session:
        sent = queue_operators.transfer(
            session, at(5), profile=petro, ticket_id=mine.ticket.id, target_user_id=petro.user_id
        )
    assert sent.ticket.target_operator_id == petro.user_id
    with transaction(hub.sessions) as session:
        queue_operators.done(session, at(6), profile=ivan, ticket_id=earlier.ticket.id)
    assert press_free(hub, ivan, 7).assignment is None
    back = press_free(hub, petro, 8).assignment
    assert back is not None and back.ticket.id == mine.ticket.id and back.reason.for_this_operator


def test_only_the_holder_acts_on_a_ticket_and_call_by_hand(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
        petro = make_operator(session, "petro", [service])
        user = session.get(User, petro.user_id)
        assert user is not None
        user.full_access = False
        petro = load_profile(session, user)
    tickets = [issue(hub, service, minute).ticket for minute in range(3)]
    with transaction(hub.sessions) as session:
        chosen = queue_assign.call_ticket(
            session, at(5), profile=olena, ticket_id=tickets[2].id, window="7"
        )
    assert chosen.ticket.number == "003" and chosen.reason.by_hand
    with transaction(hub.sessions) as session, pytest.raises(DomainError) as caught:
        queue_operators.done(session, at(6), profile=petro, ticket_id=tickets[2].id)
    assert caught.value.code == "queue_not_your_ticket"
    with transaction(hub.sessions) as session, pytest.raises(Conflict) as caught:
        queue_operators.no_show(session, at(6), profile=olena, ticket_id=tickets[0].id)
    assert caught.value.code == "queue_ticket_not_in_hand"
    with transaction(hub.sessions) as session, pytest.raises(Conflict) as caught:
        queue_assign.call_ticket(session, at(7), profile=petro, ticket_id=tickets[2].id, window="8")
    assert caught.value.code == "queue_ticket_not_waiting"


def test_outbox_holds_nothing_of_a_rolled_back_change(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
    drain(hub)
    with pytest.raises(RuntimeError), transaction(hub.sessions) as session:
        queue_tickets.issue_ticket(session, at(0), service_id=service)
        assert outbox.pending(session)  # written in the same transaction...
        raise RuntimeError("the change fails after the ticket was written")
    with transaction(hub.sessions) as session:
        assert outbox.pending(session) == []  # ...and gone with it
        assert session.scalars(select(QueueTicket)).all() == []
    issue(hub, service, 1)
    sent = drain(hub)
    assert [m.topic for m in sent] == ["cherga/v1/main/display/board"]
    assert sent[0].payload["waiting"] == {str(service): 1}
    with transaction(hub.sessions) as session:
        assert outbox.pending(session) == []
        assert outbox.mark_sent(session, [sent[0].id]) == 0


def test_context_needs_an_aware_time() -> None:
    with pytest.raises(ValueError):
        QueueContext(now=datetime(2026, 1, 1))
    assert QueueContext(now=datetime(2026, 1, 1, tzinfo=UTC)).today == date(2026, 1, 1)
