"""Callers whose calls are gone without a ``left``, and the callback's one event, on SQLite and
PostgreSQL (worked by hand).

A line agent that crashed or lost a ``left`` on the way says on (re)connecting which calls it
holds (``held``): its other waiting and called callers are abandoned as if they hung up (the
wait, a missed call), while callers to be called back keep their place. A line offline past the
grace has its callers abandoned by the housekeeper. The call the operator's phone agent makes
for a callback completes the callback event instead of logging an outgoing call of its own.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.coordinator.lines import handle_line
from hub.db.engine import transaction
from hub.db.models import Device, Event, EventType
from hub.db.models.calls import PhoneCallRecord
from hub.db.models.queue import QueueTicket
from hub.protocol import topics
from hub.protocol.devices import PhoneCall, PhoneCmd
from hub.protocol.lines import LineHeld
from hub.services.phone.calls import record_call
from hub.services.queue import calls
from hub.services.queue.core import CALLED, CANCELLED, WAITING
from tests.test_queue import at, drain, issue
from tests.test_queue_calls import LINE, join, setup, taken
from tests.test_stats_caller_summary import summary_agrees

GRACE = calls.LINE_OFFLINE_GRACE


def events_of(session: Session, code: str) -> list[Event]:
    kind = session.scalar(select(EventType.id).where(EventType.code == code))
    return list(session.scalars(select(Event).where(Event.type_id == kind).order_by(Event.id)))


def state_of(hub: Hub, ticket_id: int) -> tuple[str, str | None]:
    with hub.read_sessions() as session:
        ticket = session.get(QueueTicket, ticket_id)
        assert ticket is not None
        return ticket.state, ticket.call_outcome


def test_a_line_that_reconnects_abandons_the_callers_it_no_longer_holds(hub: Hub) -> None:
    service, anna, _bohdan = setup(hub)
    ghost = join(hub, service, 0, "call-1", "0501112233")  # its call died with the old agent
    live = join(hub, service, 1, "call-2", "0501112244")
    called = join(hub, service, 2, "call-3", "0501112255")
    kept = join(hub, service, 3, "call-4", "0501112266")
    visitor = issue(hub, service, 3.5).ticket.id
    with transaction(hub.sessions) as session:
        calls.callback(session, at(3.6), line=LINE, call_id="call-4")
        calls.left(session, at(3.7), line=LINE, call_id="call-4")  # the line hung up on them
    # Anna is given the ghost; her phone did not answer, so the caller "waits on".
    assert taken(hub, anna, 4, "1", "panel-1") == ghost
    with transaction(hub.sessions) as session:
        calls.connected(session, at(4.5), line=LINE, call_id="call-1", ok=False, reason="no_answer")
    drain(hub)
    with transaction(hub.sessions) as session:
        reply = handle_line(
            session,
            at(5),
            LINE,
            LineHeld(request_id=uuid.uuid4(), call_ids=["call-2", "call-3", "call-unknown"]),
        )
    assert reply.ok and reply.abandoned == 1
    assert state_of(hub, ghost) == (CALLED, "abandoned")  # called: Anna closes it
    assert state_of(hub, live)[0] == WAITING
    assert state_of(hub, called)[0] == WAITING
    assert state_of(hub, kept) == (WAITING, "callback")  # hung up on purpose: keeps the place
    assert state_of(hub, visitor)[0] == WAITING  # a visitor is no call of the line
    with hub.read_sessions() as session:
        [missed] = events_of(session, "missed_incoming_call")
        assert missed.phone == "0501112233"
    # An empty list (a restart with no callers) abandons the waiting ones, once.
    with transaction(hub.sessions) as session:
        assert calls.held(session, at(6), line=LINE, call_ids=[]) == 2
        assert calls.held(session, at(7), line=LINE, call_ids=[]) == 0
    assert state_of(hub, live) == (CANCELLED, "abandoned")
    with hub.read_sessions() as session:
        ticket = session.get(QueueTicket, live)
        assert ticket is not None and ticket.finished_at is not None
        assert ticket.arrived_at is not None
        assert ticket.finished_at - ticket.arrived_at == timedelta(minutes=5)
        missed_events = events_of(session, "missed_incoming_call")
        assert [event.phone for event in missed_events] == [
            "0501112233",
            "0501112244",
            "0501112255",
        ]
        assert "300" in (missed_events[1].content or "")  # waited 5 minutes
    assert state_of(hub, kept) == (WAITING, "callback")
    # The statistics' callers summary moved with every abandon (the same transactions).
    kept_summary = summary_agrees(hub)
    assert sum(row["abandoned"] for row in kept_summary.values()) == 3


def test_a_line_offline_past_the_grace_loses_its_callers_a_blip_does_not(hub: Hub) -> None:
    service, _anna, _bohdan = setup(hub)
    waiting = join(hub, service, 0, "call-1", "0501112233")
    kept = join(hub, service, 1, "call-2", "0501112244")
    with transaction(hub.sessions) as session:
        calls.callback(session, at(1.5), line=LINE, call_id="call-2")
        line = session.get(Device, LINE)
        assert line is not None
        line.online, line.last_seen_at = False, at(2).now
    with transaction(hub.sessions) as session:
        # Offline for less than the grace: nothing happens (an MQTT blip).
        gone = calls.abandon_offline_lines(session, at(3), seen_before=at(2).now - timedelta(1))
        assert gone == 0
    assert state_of(hub, waiting)[0] == WAITING
    with transaction(hub.sessions) as session:
        line = session.get(Device, LINE)
        assert line is not None
        line.online = True  # online again: never abandoned, however long ago it was seen
    with transaction(hub.sessions) as session:
        assert calls.abandon_offline_lines(session, at(4), seen_before=at(4).now) == 0
        line = session.get(Device, LINE)
        assert line is not None
        line.online = False
    with transaction(hub.sessions) as session:
        assert calls.abandon_offline_lines(session, at(5), seen_before=at(2).now + GRACE) == 1
    assert state_of(hub, waiting) == (CANCELLED, "abandoned")
    assert state_of(hub, kept) == (WAITING, "callback")
    with hub.read_sessions() as session:
        [missed] = events_of(session, "missed_incoming_call")
        assert missed.phone == "0501112233" and "300" in (missed.content or "")
    kept_summary = summary_agrees(hub)
    assert sum(row["abandoned"] for row in kept_summary.values()) == 1


def test_the_callbacks_call_completes_its_event_and_logs_no_other(hub: Hub) -> None:
    service, anna, _bohdan = setup(hub)
    caller = join(hub, service, 0, "call-1", "0501112233")
    with transaction(hub.sessions) as session:
        calls.callback(session, at(1), line=LINE, call_id="call-1")
    drain(hub)
    assert taken(hub, anna, 5, "1", "panel-1") == caller
    [dial] = [m.payload for m in drain(hub) if m.topic == topics.phone_cmd("main", "phone-a")]
    command = PhoneCmd.model_validate_json(json.dumps(dial))
    assert command.type == "dial" and command.event_id is not None
    start = at(5).now

    def report(call_id: str, state: str, second: int, **extra: object) -> None:
        message = PhoneCall.model_validate(
            {
                "call_id": call_id,
                "line": "1",
                "direction": "out",
                "remote": "0501112233",
                "state": state,
                "at": start + timedelta(seconds=second),
                **extra,
            }
        )
        with transaction(hub.sessions) as session:
            agent = session.get(Device, "phone-a")
            assert agent is not None
            record_call(session, agent=agent, report=message, today=at(5).today, now=at(5).now)

    for state, second in (("ringing", 1), ("answered", 4), ("ended", 94)):
        extra = {"duration_s": 90} if state == "ended" else {}
        report("sip-1", state, second, event_id=command.event_id, **extra)
    with hub.read_sessions() as session:
        assert events_of(session, "outgoing_call") == []
        [event] = events_of(session, "callback")
        assert event.id == command.event_id
        assert event.responsible_id == anna.user_id and event.call_duration_s == 90
        assert event.ends_at == start + timedelta(seconds=94)
        row = session.scalars(select(PhoneCallRecord)).one()
        assert (row.event_id, row.outcome) == (event.id, "answered")
    # Another call claiming the same event, or a call to another number, gets its own.
    report("sip-2", "ended", 100, event_id=command.event_id, duration_s=5)
    report("sip-2", "answered", 95, event_id=command.event_id)
    with hub.read_sessions() as session:
        [other] = events_of(session, "outgoing_call")
        assert other.id != command.event_id and len(events_of(session, "callback")) == 1
