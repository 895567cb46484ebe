"""Callers on the office lines in the services' queues, on SQLite and PostgreSQL (worked by hand).

Three callers and two visitors in one line: Free gives them by the nearest-in-time rule, a caller
only to an operator whose phone agent is online (the other gets the next visitor), and the line
agent is told which caller to bring to which SIP number; a caller who hangs up while waiting is
abandoned with their wait and never assigned; an answered caller is being served and the phone
event (PH-8) says after how long, when and by whom; callers first and a cap on their share.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.broker.registry import render_acl
from hub.coordinator.lines import handle_line
from hub.db.engine import transaction
from hub.db.models import Device, Event, EventType, Project
from hub.db.models.queue import QueueTicket
from hub.errors import Conflict, DomainError
from hub.protocol import topics
from hub.protocol.errors import ProtocolError
from hub.protocol.lines import LineJob, LineJoin, LineLeft, LinePlace
from hub.protocol.messages import decode, encode
from hub.services.access.rights import AccessProfile
from hub.services.devices.devices import add_device, device_role
from hub.services.queue import calls
from hub.services.queue import operators as queue_operators
from hub.services.queue import publish as queue_publish
from hub.services.queue.assign import call_ticket
from hub.services.queue.core import CANCELLED, SERVING, WAITING, waiting_tickets
from tests.test_queue import at, drain, issue, make_operator, make_service, press_free

LINE = "line-1"


def devices(session: Session, *, phone_online: bool = True) -> None:
    """A line agent; panel-a with phone-a (number 1001, registered) and panel-b with none."""
    add_device(session, role="line", name="Office number", site="main", device_id=LINE)
    add_device(session, role="phone", name="Phone A", site="main", device_id="phone-a")
    add_device(session, role="panel", name="A", site="main", window=1, phone_id="phone-a")
    add_device(session, role="panel", name="B", site="main", window=2, device_id="panel-b")
    agent = session.get(Device, "phone-a")
    assert agent is not None
    agent.online = phone_online
    agent.phone_status = {"registered": True, "number": "1001", "lines": 5, "busy": 0}
    session.flush()


def join(hub: Hub, service: int, minutes: float, call: str, remote: str = "0501234567") -> int:
    with transaction(hub.sessions) as session:
        result = calls.join(
            session, at(minutes), line=LINE, call_id=call, service_id=service, remote=remote
        )
        return result.ticket.id


def taken(hub: Hub, profile: AccessProfile, minutes: float, window: str, panel: str) -> int | None:
    result = press_free(hub, profile, minutes, window=window, device=panel)
    return None if result.assignment is None else result.assignment.ticket.id


def finish(hub: Hub, profile: AccessProfile, minutes: float, ticket: int) -> None:
    with transaction(hub.sessions) as session:
        queue_operators.done(session, at(minutes), profile=profile, ticket_id=ticket)


def jobs(hub: Hub) -> list[LineJob]:
    found = []
    for message in drain(hub):
        if message.topic == topics.line_job("main", LINE):
            job = decode("line_job", json.dumps(message.payload).encode())
            assert isinstance(job, LineJob)
            found.append(job)
    return found


def setup(hub: Hub) -> tuple[int, AccessProfile, AccessProfile]:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Податки")
        anna = make_operator(session, "anna", [service])  # with a phone agent
        bohdan = make_operator(session, "bohdan", [service])  # without one
        devices(session)
    return service, anna, bohdan


def test_three_callers_and_two_visitors_go_in_order_callers_only_to_a_phone(hub: Hub) -> None:
    service, anna, bohdan = setup(hub)
    c1 = join(hub, service, 0, "call-1", "sip:0501112233@pbx")
    v1 = issue(hub, service, 1).ticket.id
    c2 = join(hub, service, 2, "call-2")
    v2 = issue(hub, service, 3).ticket.id
    c3 = join(hub, service, 4, "call-3")
    drain(hub)
    # Bohdan has no phone: the nearest (caller 1) is passed over, he gets visitor 1.
    assert taken(hub, bohdan, 5, "2", "panel-b") == v1
    assert jobs(hub) == []
    # Anna's phone is online: she gets caller 1, and the line agent is told to bring them.
    assert taken(hub, anna, 6, "1", "panel-1") == c1
    [job] = jobs(hub)
    assert (job.call_id, job.ticket_id, job.target, job.window) == ("call-1", c1, "1001", "1")
    assert job.remote == "0501112233"
    finish(hub, bohdan, 7, v1)
    assert taken(hub, bohdan, 7, "2", "panel-b") == v2  # caller 2 is nearer, but not for him
    with transaction(hub.sessions) as session:
        calls.connected(session, at(8), line=LINE, call_id="call-1", ok=True, reason=None)
    finish(hub, anna, 9, c1)
    assert taken(hub, anna, 9, "1", "panel-1") == c2
    finish(hub, bohdan, 10, v2)
    assert taken(hub, bohdan, 10, "2", "panel-b") is None  # only caller 3 waits
    finish(hub, anna, 11, c2)
    assert taken(hub, anna, 11, "1", "panel-1") == c3
    assert [job.call_id for job in jobs(hub)] == ["call-2", "call-3"]


def test_the_panel_shows_a_caller_and_the_display_does_not_announce_them(hub: Hub) -> None:
    service, anna, _bohdan = setup(hub)
    caller = join(hub, service, 0, "call-1", "0501112233")
    drain(hub)
    assert taken(hub, anna, 1, "1", "panel-1") == caller
    sent = drain(hub)
    shown = [m.payload for m in sent if m.topic == topics.panel_assignment("main", "panel-1")]
    ticket = shown[-1]["ticket"]
    assert ticket["id"] == caller and ticket["caller"] is True
    assert ticket["client"]["phone"] == "0501112233"
    assert not [m for m in sent if m.topic == topics.display_announce("main")]


def test_a_caller_arriving_while_an_operator_is_free_goes_to_them_at_once(hub: Hub) -> None:
    service, anna, bohdan = setup(hub)
    assert taken(hub, bohdan, 0, "2", "panel-b") is None
    assert taken(hub, anna, 0, "1", "panel-1") is None
    drain(hub)
    caller = join(hub, service, 1, "call-1")
    with hub.read_sessions() as session:
        ticket = session.get(QueueTicket, caller)
        assert ticket is not None and ticket.operator_id == anna.user_id  # Bohdan was free first
    assert [job.call_id for job in jobs(hub)] == ["call-1"]


def test_an_operator_whose_phone_is_offline_is_never_given_a_caller(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Податки")
        anna = make_operator(session, "anna", [service])
        devices(session, phone_online=False)
    caller = join(hub, service, 0, "call-1")
    assert taken(hub, anna, 1, "1", "panel-1") is None
    with transaction(hub.sessions) as session:
        with pytest.raises(Conflict) as refused:
            queue_assign_by_hand(session, anna, caller)
        assert refused.value.code == "queue_caller_needs_phone"
    with hub.read_sessions() as session:
        ticket = session.get(QueueTicket, caller)
        assert ticket is not None and ticket.state == WAITING


def queue_assign_by_hand(session: Session, profile: AccessProfile, ticket: int) -> None:
    call_ticket(session, at(2), profile=profile, ticket_id=ticket, window="1", device_id="panel-1")


def test_a_caller_who_hangs_up_is_abandoned_with_their_wait_and_never_assigned(hub: Hub) -> None:
    service, anna, _bohdan = setup(hub)
    caller = join(hub, service, 0, "call-1", "0501112233")
    visitor = issue(hub, service, 1).ticket.id
    with transaction(hub.sessions) as session:
        info = calls.left(session, at(2.5), line=LINE, call_id="call-1")
    assert info.state == CANCELLED
    assert taken(hub, anna, 3, "1", "panel-1") == visitor
    assert jobs(hub) == []
    with hub.read_sessions() as session:
        ticket = session.get(QueueTicket, caller)
        assert ticket is not None
        assert (ticket.state, ticket.call_outcome, ticket.operator_id) == (
            CANCELLED,
            "abandoned",
            None,
        )
        assert ticket.finished_at is not None and ticket.arrived_at is not None
        assert ticket.finished_at - ticket.arrived_at == timedelta(seconds=150)
        event = missed(session)
        assert event.phone == "0501112233" and "150" in (event.content or "")
    # The same report again changes nothing.
    with transaction(hub.sessions) as session:
        calls.left(session, at(4), line=LINE, call_id="call-1")
    with hub.read_sessions() as session:
        assert (
            len(list(session.scalars(select(Event).where(Event.type_id == missed_type(session)))))
            == 1
        )


def missed_type(session: Session) -> int:
    kind = session.scalar(select(EventType.id).where(EventType.code == "missed_incoming_call"))
    assert kind is not None
    return kind


def missed(session: Session) -> Event:
    return session.scalars(select(Event).where(Event.type_id == missed_type(session))).one()


def test_an_answered_caller_is_served_and_the_phone_event_says_who_and_when(hub: Hub) -> None:
    service, anna, _bohdan = setup(hub)
    caller = join(hub, service, 0, "call-1", "0501112233")
    assert taken(hub, anna, 1.5, "1", "panel-1") == caller
    with transaction(hub.sessions) as session:
        first = calls.connected(session, at(2), line=LINE, call_id="call-1", ok=True, reason=None)
        again = calls.connected(session, at(3), line=LINE, call_id="call-1", ok=True, reason=None)
    assert first.state == again.state == SERVING
    with hub.read_sessions() as session:
        ticket = session.get(QueueTicket, caller)
        assert ticket is not None and ticket.call_outcome == "answered"
        assert ticket.answered_at == at(2).now
        code = session.scalar(select(EventType.id).where(EventType.code == "incoming_call"))
        [event] = session.scalars(select(Event).where(Event.type_id == code)).all()
        assert event.responsible_id == anna.user_id
        assert event.starts_at == at(0).now and event.phone == "0501112233"
        assert "120" in (event.content or "") and "09:02:00" in (event.content or "")
    finish(hub, anna, 6, caller)
    with hub.read_sessions() as session:
        ticket = session.get(QueueTicket, caller)
        assert ticket is not None and ticket.state == "done" and ticket.task_id is not None


def test_callers_first_puts_them_before_earlier_visitors(hub: Hub) -> None:
    service, anna, _bohdan = setup(hub)
    with transaction(hub.sessions) as session:
        project = session.get(Project, service)
        assert project is not None
        project.callers_first = True
    visitor = issue(hub, service, 0).ticket.id
    caller = join(hub, service, 1, "call-1")
    assert taken(hub, anna, 2, "1", "panel-1") == caller
    finish(hub, anna, 3, caller)
    assert taken(hub, anna, 3, "1", "panel-1") == visitor


def test_a_cap_on_callers_share_lets_visitors_in_between(hub: Hub) -> None:
    service, anna, _bohdan = setup(hub)
    with transaction(hub.sessions) as session:
        project = session.get(Project, service)
        assert project is not None
        project.caller_share_percent = 50
    c1 = join(hub, service, 0, "call-1")
    c2 = join(hub, service, 1, "call-2")
    v1 = issue(hub, service, 2).ticket.id
    v2 = issue(hub, service, 3).ticket.id
    order = []
    for minute in (4, 5, 6, 7):
        got = taken(hub, anna, minute, "1", "panel-1")
        assert got is not None
        order.append(got)
        finish(hub, anna, minute + 0.5, got)
    # 1 caller of 1 called would be over half: a visitor, then a caller (1 of 2), and so on.
    assert order == [v1, c1, v2, c2]


def test_a_call_joins_once_and_bad_requests_change_nothing(hub: Hub) -> None:
    service, _anna, _bohdan = setup(hub)
    first = join(hub, service, 0, "call-1")
    assert join(hub, service, 1, "call-1") == first
    with transaction(hub.sessions) as session:
        for call_id, service_id, code in (
            ("call-2", 999_999, "queue_service_unknown"),
            ("", service, "line_call_invalid"),
        ):
            with pytest.raises(DomainError) as caught:
                calls.join(
                    session, at(2), line=LINE, call_id=call_id, service_id=service_id, remote="x"
                )
            assert caught.value.code == code
        with pytest.raises(DomainError) as unknown:
            calls.left(session, at(2), line=LINE, call_id="nobody")
        assert unknown.value.code == "line_call_unknown"
        with pytest.raises(DomainError) as not_line:
            handle_line(session, at(2), "panel-b", LinePlace(request_id=uuid.uuid4(), call_id="x"))
        assert not_line.value.code == "line_not_a_line"
    with hub.read_sessions() as session:
        assert len(session.scalars(select(QueueTicket)).all()) == 1


def test_the_line_speaks_the_contract_through_the_coordinator_adapter(hub: Hub) -> None:
    service, _anna, _bohdan = setup(hub)
    with transaction(hub.sessions) as session:
        joined = handle_line(
            session,
            at(0),
            LINE,
            LineJoin(request_id=uuid.uuid4(), call_id="c-9", service_id=service, remote="2001"),
        )
    assert joined.ok and joined.ticket is not None and joined.ticket.position == 1
    issue_visitor = issue(hub, service, 0.5)
    assert issue_visitor.ticket.position == 2
    with transaction(hub.sessions) as session:
        placed = handle_line(
            session, at(1), LINE, LinePlace(request_id=uuid.uuid4(), call_id="c-9")
        )
        gone = handle_line(session, at(2), LINE, LineLeft(request_id=uuid.uuid4(), call_id="c-9"))
    assert placed.ticket is not None and placed.ticket.estimated_wait_s is not None
    assert gone.ticket is not None and gone.ticket.state == CANCELLED
    # Payloads round-trip and unknown fields are refused.
    message = LineJoin(request_id=uuid.uuid4(), call_id="c", service_id=1, remote="1")
    assert decode("line_req", encode(message)) == message
    with pytest.raises(ProtocolError):
        decode("line_req", encode(message)[:-1] + b',"x":1}')


def test_a_line_agent_has_its_own_topics_in_the_acl(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        devices(session)
        line = session.get(Device, LINE)
        assert line is not None and device_role(line) == "line" and line.role == "phone"
        acl = render_acl(session.scalars(select(Device)).all())
    block = acl.split(f"user {LINE}\n", 1)[1].split("\n\n", 1)[0]
    assert f"topic write {topics.line_req('main', LINE)}" in block
    assert f"topic read {topics.line_job('main', LINE)}" in block
    assert f"topic read {topics.line_reply('main', LINE)}" in block
    assert "panel" not in block and "phone/" not in block
    with transaction(hub.sessions) as session:
        with pytest.raises(DomainError) as refused:
            add_device(session, role="panel", name="C", site="main", window=3, phone_id=LINE)
        assert refused.value.code == "device_phone_invalid"


def test_a_phone_that_did_not_answer_is_dialled_again_on_recall(hub: Hub) -> None:
    service, anna, _bohdan = setup(hub)
    caller = join(hub, service, 0, "call-1")
    assert taken(hub, anna, 1, "1", "panel-1") == caller
    assert [job.call_id for job in jobs(hub)] == ["call-1"]
    with transaction(hub.sessions) as session:
        info = calls.connected(
            session, at(2), line=LINE, call_id="call-1", ok=False, reason="no_answer"
        )
    assert info.state == "called"
    with hub.read_sessions() as session:
        ticket = session.get(QueueTicket, caller)
        assert ticket is not None and ticket.call_outcome == "no_answer"
    with transaction(hub.sessions) as session:
        queue_operators.recall(session, at(3), profile=anna, ticket_id=caller)
    sent = drain(hub)
    assert not [m for m in sent if m.topic == topics.display_announce("main")]
    again = [m.payload for m in sent if m.topic == topics.line_job("main", LINE)]
    assert [job["call_id"] for job in again] == ["call-1"]
    with transaction(hub.sessions) as session:
        calls.connected(session, at(4), line=LINE, call_id="call-1", ok=True, reason=None)
    with hub.read_sessions() as session:
        ticket = session.get(QueueTicket, caller)
        assert ticket is not None and ticket.state == SERVING and ticket.recalls == 1


def test_the_board_counts_the_callers_among_those_waiting(hub: Hub) -> None:
    service, _anna, _bohdan = setup(hub)
    join(hub, service, 0, "call-1")
    issue(hub, service, 1)
    join(hub, service, 2, "call-2")
    with hub.read_sessions() as session:
        board = queue_publish.board_payload(session, at(3))
        waiting = calls_waiting(session, service)
    assert (board["waiting"], board["callers"]) == ({str(service): 3}, {str(service): 2})
    assert waiting == [True, False, True]


def calls_waiting(session: Session, service: int) -> list[bool]:
    return [ticket.caller for ticket in waiting_tickets(session, service)]


def test_a_caller_called_back_keeps_their_place_and_the_operators_phone_dials(hub: Hub) -> None:
    service, anna, bohdan = setup(hub)
    caller = join(hub, service, 0, "call-1", "0501112233")
    visitor = issue(hub, service, 1).ticket.id
    anonymous = join(hub, service, 2, "call-2", "anonymous")
    with transaction(hub.sessions) as session:
        kept = calls.callback(session, at(3), line=LINE, call_id="call-1")
        calls.left(session, at(3.1), line=LINE, call_id="call-1")  # the line hangs up
        with pytest.raises(Conflict) as refused:
            calls.callback(session, at(3), line=LINE, call_id="call-2")
        assert refused.value.code == "line_callback_no_number"
    assert kept.state == WAITING and kept.position == 1
    drain(hub)
    assert taken(hub, bohdan, 4, "2", "panel-b") == visitor  # no phone: not for him
    assert taken(hub, anna, 5, "1", "panel-1") == caller
    sent = drain(hub)
    [dial] = [m.payload for m in sent if m.topic == topics.phone_cmd("main", "phone-a")]
    assert (dial["type"], dial["target"]) == ("dial", "0501112233")
    assert not [m for m in sent if m.topic == topics.line_job("main", LINE)]
    with hub.read_sessions() as session:
        code = session.scalar(select(EventType.id).where(EventType.code == "callback"))
        [event] = session.scalars(select(Event).where(Event.type_id == code)).all()
        assert event.responsible_id == anna.user_id and event.phone == "0501112233"
        assert "300" in (event.content or "")  # waited 5 minutes
        left_alone = session.get(QueueTicket, anonymous)
        assert left_alone is not None and left_alone.state == WAITING
