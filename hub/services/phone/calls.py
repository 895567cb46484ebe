"""Calls become CRM events (PH-8).

A phone agent reports every state change of a call; each report updates the call's row, found
by (agent, call id), so a report delivered twice (MQTT QoS 1) or late changes nothing twice. The
first final state (ended, missed, rejected, transferred) makes the call's one event:

- transferred: ``call_forwarding``;
- never answered: ``missed_incoming_call`` / ``missed_outgoing_call``;
- answered, with a number that has an unanswered missed call: ``callback`` when it is an
  outgoing call and that missed call has an open callback task, else ``missed_call_answer``;
  either way linked to the missed call (``answers_event_id``) and the missed calls of that
  number count as answered from then on;
- otherwise ``incoming_call`` / ``outgoing_call``.

A call the hub asked for with an event already made (a queue callback: the ``dial`` carried its
``event_id``, and the agent reports the call with it) makes no event of its own: it is linked to
that event, which gets the call's end, talk time and recording.

A report that shows a call was answered after its event was made as missed (reports out of
order) turns the event into the answered type. A phone agent's registration coming or going
makes ``phone_on`` / ``phone_off``. Plain functions over a Session: no MQTT here. What people
do with calls (call back, dial from the CRM) is in ``hub.services.phone.call_work``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.models import (
    Device,
    Employee,
    Event,
    EventType,
    Task,
    User,
)
from hub.db.models.calls import PhoneCallRecord
from hub.db.models.queue import QueueOperator
from hub.errors import Invalid
from hub.protocol.devices import FINAL_CALL_STATES, DeviceState, PhoneCall
from hub.services.events.system import new_system_event
from hub.services.phone.numbers import digits
from hub.services.queue import card as queue_card
from hub.services.settings.parameters import get_global, get_user_parameters
from hub.services.stats import summary
from hub.services.tasks import tasks

FINAL_STATES = FINAL_CALL_STATES
TALKING_STATES = frozenset({"answered", "held"})
MISSED_TYPES = ("missed_incoming_call", "missed_outgoing_call")
CALLBACK_TASK_LENGTH = timedelta(hours=1)
# A call with no report for this long lost its agent mid-call (no call lasts this long).
LOST_AFTER = timedelta(hours=12)

_URI = re.compile(r"^(?:sips?|tel):", re.IGNORECASE)
NOT_DIGIT = re.compile(r"\D+")


@dataclass(frozen=True)
class CallResult:
    """What one report did: the call's row id, its outcome so far and the event made now."""

    call: int
    outcome: str | None
    event_id: int | None
    created: bool


# ---- numbers and people -------------------------------------------------------------------


def number_of(remote: str) -> str:
    """The number in what a SIP peer gave: ``sip:0501234567@pbx;x=y`` -> ``0501234567``."""
    text = _URI.sub("", remote.strip())
    return text.split("@", 1)[0].split(";", 1)[0].strip()


def too_short(session: Session, number: str) -> bool:
    """Whether a call with this number is not logged (SET-12: internal extensions)."""
    shortest = get_global(session).telephony_min_number_length
    return shortest > 0 and len(NOT_DIGIT.sub("", number)) < shortest


def panel_of(session: Session, agent_id: str) -> Device | None:
    """The active panel linked to this phone agent."""
    return session.scalars(
        select(Device)
        .where(Device.phone_id == agent_id, Device.role == "panel", Device.revoked_at.is_(None))
        .order_by(Device.id)
        .limit(1)
    ).first()


def _user_by_sip(session: Session, number: str | None) -> User | None:
    wanted = digits(number)
    if not wanted:
        return None
    candidates = session.scalars(
        select(User)
        .join(Employee, Employee.id == User.employee_id)
        .where(User.is_active, Employee.sip_number.is_not(None))
    )
    found = [
        user
        for user in candidates
        if user.employee is not None and digits(user.employee.sip_number) == wanted
    ]
    return found[0] if len(found) == 1 else None


def responsible_user(session: Session, agent: Device) -> User | None:
    """The operator logged in at the agent's panel, else the user with the agent's SIP number."""
    panel = panel_of(session, agent.id)
    if panel is not None:
        row = session.scalars(
            select(QueueOperator).where(QueueOperator.device_id == panel.id).limit(1)
        ).first()
        user = session.get(User, row.user_id) if row is not None else None
        if user is not None and user.is_active:
            return user
    return _user_by_sip(session, (agent.phone_status or {}).get("number"))


def new_phone_event(
    session: Session,
    *,
    code: str,
    user_id: int | None,
    starts_at: datetime,
    ends_at: datetime | None,
    today: date,
    values: dict[str, Any],
) -> Event:
    """An event made by the hub (no author), with the user's telephony project and unit."""
    params = get_user_parameters(session, user_id) if user_id is not None else None
    return new_system_event(
        session,
        code=code,
        user_id=user_id,
        project_id=params.telephony_project_id if params else None,
        unit=params.telephony_unit if params else None,
        starts_at=starts_at,
        ends_at=ends_at,
        today=today,
        values=values,
    )


# ---- call reports -------------------------------------------------------------------------


def _locked_call(session: Session, agent_id: str, call_id: str) -> PhoneCallRecord | None:
    return session.scalars(
        select(PhoneCallRecord)
        .where(PhoneCallRecord.device_id == agent_id, PhoneCallRecord.call_id == call_id)
        .with_for_update()
    ).first()


def _call_row(session: Session, agent: Device, report: PhoneCall) -> tuple[PhoneCallRecord, bool]:
    row = _locked_call(session, agent.id, report.call_id)
    if row is not None:
        return row, False
    number = number_of(report.remote)
    row = PhoneCallRecord(
        device_id=agent.id,
        call_id=report.call_id,
        line=report.line,
        direction=report.direction,
        remote=report.remote,
        remote_digits=digits(number),
        state=report.state,
        state_at=report.at,
        started_at=report.at,
    )
    user = responsible_user(session, agent)
    row.user_id = user.id if user is not None else None
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another hub took the first report of this call at the same moment.
        again = _locked_call(session, agent.id, report.call_id)
        if again is None:
            raise
        return again, False
    return row, True


def _supersedes(row: PhoneCallRecord, report: PhoneCall) -> bool:
    """Whether ``report`` is the call's state now: a final state is never undone by a late
    ringing or answered report, and among equals the later one wins."""
    if (row.state in FINAL_STATES) != (report.state in FINAL_STATES):
        return report.state in FINAL_STATES
    return report.at >= row.state_at


def _merge(row: PhoneCallRecord, report: PhoneCall) -> None:
    """Fold one report into the row, whatever order reports arrive in."""
    at = report.at
    row.started_at = min(row.started_at, at)
    if report.state in TALKING_STATES:
        row.answered_at = min(row.answered_at or at, at)
    elif report.duration_s:
        # A final report with talk time: the talk began that long before it.
        began = at - timedelta(seconds=report.duration_s)
        row.answered_at = min(row.answered_at or began, began)
    if _supersedes(row, report):
        row.state, row.state_at = report.state, at
    if report.state in FINAL_STATES:
        row.ended_at = max(row.ended_at or at, at)
    for name in ("remote_name", "duration_s", "recording", "target", "reason"):
        value = getattr(report, name)
        if value is not None:
            setattr(row, name, value)


def _unanswered_missed(session: Session, row: PhoneCallRecord) -> list[PhoneCallRecord]:
    if not row.remote_digits:
        return []
    return list(
        session.scalars(
            select(PhoneCallRecord)
            .where(
                PhoneCallRecord.remote_digits == row.remote_digits,
                PhoneCallRecord.outcome == "missed",
                PhoneCallRecord.resolved_at.is_(None),
                PhoneCallRecord.event_id.is_not(None),
                PhoneCallRecord.id != row.id,
            )
            .order_by(PhoneCallRecord.ended_at.desc(), PhoneCallRecord.id.desc())
        )
    )


def _has_callback_task(session: Session, event_id: int) -> bool:
    books = tasks.statuses(session)
    closed = [entry.id for entry in books.values() if entry.code in tasks.COMPLETED]
    found = session.scalar(
        select(Task.id).where(Task.event_id == event_id, Task.status_id.not_in(closed)).limit(1)
    )
    return found is not None


def _answered_type(session: Session, row: PhoneCallRecord, now: datetime) -> str:
    """The type of an answered call; links it to the missed call it answers, if any."""
    missed = _unanswered_missed(session, row)
    if not missed:
        return "incoming_call" if row.direction == "in" else "outgoing_call"
    latest = missed[0]
    for each in missed:
        each.resolved_at = now
    row.answers_event_id = latest.event_id
    if (
        row.direction == "out"
        and latest.direction == "in"
        and latest.event_id is not None
        and _has_callback_task(session, latest.event_id)
    ):
        return "callback"
    return "missed_call_answer"


def _event_values(session: Session, row: PhoneCallRecord) -> dict[str, Any]:
    number = number_of(row.remote)
    client, contact = queue_card.match_phone(session, number)
    note = row.remote_name
    if row.target:
        note = f"{note or number} → {row.target}"
    return {
        "phone": number[:32] or None,
        "phone_digits": digits(number),
        "client_id": client.id if client is not None else None,
        "contact_id": contact.id if contact is not None else None,
        "content": note,
        "call_duration_s": row.duration_s,
        "call_recording": row.recording,
    }


def _link_event(session: Session, row: PhoneCallRecord, event_id: int) -> None:
    """Link the call to the event the hub made for it (a queue callback) when that event is a
    callback to this very number and no other call holds it; else the call gets its own."""
    event = session.get(Event, event_id)
    kind = session.get(EventType, event.type_id) if event is not None else None
    if event is None or kind is None or kind.code != "callback":
        return
    if not row.remote_digits or event.phone_digits != row.remote_digits:
        return
    taken = session.scalar(
        select(PhoneCallRecord.id).where(PhoneCallRecord.event_id == event_id).limit(1)
    )
    if taken is None:
        row.event_id = event_id


def _outcome(row: PhoneCallRecord) -> str:
    if row.state == "transferred":
        return "forwarded"
    return "missed" if row.answered_at is None else "answered"


def _finish(
    session: Session, agent: Device, row: PhoneCallRecord, *, today: date, now: datetime
) -> Event | None:
    """The call's outcome and its one event, at its first final report."""
    if row.event_id is not None:
        # The hub made this call's event when it asked for the call: complete it.
        row.outcome = _outcome(row)
        _amend(session, row, now=now)
        return None
    if too_short(session, number_of(row.remote)):
        row.outcome = "skipped"
        return None
    if row.user_id is None:
        user = responsible_user(session, agent)
        row.user_id = user.id if user is not None else None
    if row.state == "transferred":
        row.outcome, code = "forwarded", "call_forwarding"
    elif row.answered_at is None:
        row.outcome = "missed"
        code = "missed_incoming_call" if row.direction == "in" else "missed_outgoing_call"
    else:
        row.outcome, code = "answered", _answered_type(session, row, now)
    event = new_phone_event(
        session,
        code=code,
        user_id=row.user_id,
        starts_at=row.started_at,
        ends_at=row.ended_at,
        today=today,
        values=_event_values(session, row),
    )
    row.event_id = event.id
    return event


def _amend(session: Session, row: PhoneCallRecord, *, now: datetime) -> None:
    """A late report about a call whose event exists: duration, recording, answered after all."""
    event = session.get(Event, row.event_id) if row.event_id is not None else None
    if event is None:
        return
    event.call_duration_s = row.duration_s
    event.call_recording = row.recording
    event.starts_at = min(event.starts_at, row.started_at)
    if row.ended_at is not None and row.ended_at >= event.starts_at:
        event.ends_at = row.ended_at
    if row.outcome == "missed" and row.answered_at is not None:
        row.outcome = "answered"
        current = session.get(EventType, event.type_id)
        if current is None or current.code != "callback":  # a callback stays one
            code = _answered_type(session, row, now)
            kind = session.scalar(select(EventType).where(EventType.code == code))
            if kind is not None:
                event.type_id = kind.id
        row.resolved_at = now  # it was never really missed
    session.flush()


def record_call(
    session: Session,
    *,
    agent: Device,
    report: PhoneCall,
    today: date,
    now: datetime,
    tz: tzinfo = UTC,
) -> CallResult:
    """Fold one call report of ``agent`` into its call; at the first final state, the event.

    ``tz`` is the office's: the call's local day and hour are kept for the statistics.
    """
    if agent.role != "phone":
        raise Invalid("call_not_a_phone", device=agent.id)
    row, created = _call_row(session, agent, report)
    before = None if created else summary.call_facts(row)
    _merge(row, report)
    if report.event_id is not None and row.event_id is None and row.outcome is None:
        _link_event(session, row, report.event_id)
    began = row.started_at.astimezone(tz)
    row.local_day, row.local_hour = began.date(), began.hour
    event = None
    if row.outcome is None and row.state in FINAL_STATES:
        event = _finish(session, agent, row, today=today, now=now)
    elif row.outcome in ("answered", "missed", "forwarded"):
        _amend(session, row, now=now)
    session.flush()
    summary.call_moved(session, before, row)
    return CallResult(
        call=row.id,
        outcome=row.outcome,
        event_id=event.id if event is not None else None,
        created=event is not None,
    )


def expire_lost(session: Session, *, now: datetime, today: date) -> int:
    """End calls with no report for ``LOST_AFTER`` (their agent died mid-call): each gets its
    event as if it had ended at its last report; returns how many."""
    rows = session.scalars(
        select(PhoneCallRecord)
        .where(PhoneCallRecord.outcome.is_(None), PhoneCallRecord.state_at < now - LOST_AFTER)
        .order_by(PhoneCallRecord.id)
        .limit(100)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        agent = session.get(Device, row.device_id)
        before = summary.call_facts(row)
        row.state, row.reason = "ended", row.reason or "lost"
        row.ended_at = row.ended_at or row.state_at
        if agent is not None:
            _finish(session, agent, row, today=today, now=now)
        else:  # pragma: no cover - the foreign key cascades
            row.outcome = "skipped"
        session.flush()
        summary.call_moved(session, before, row)
    session.flush()
    return len(rows)


def phone_registered(agent: Device) -> bool:
    """Whether the agent was last seen online and registered to the SIP server."""
    return bool(agent.online and (agent.phone_status or {}).get("registered"))


def record_phone_state(
    session: Session,
    *,
    agent: Device,
    was_on: bool,
    state: DeviceState,
    today: date,
    now: datetime,
) -> Event | None:
    """``phone_on`` / ``phone_off`` when an operator's phone agent's registration came or went
    (PH-8); a line agent's is shown on the devices page only."""
    if state.state == "online" and state.phone is None:
        return None  # a state without the phone's part changes nothing about it
    is_on = state.state == "online" and state.phone is not None and state.phone.registered
    if agent.role != "phone" or agent.line or is_on == was_on:
        return None  # an office line's registration is not an operator's phone (its faults are)
    user = responsible_user(session, agent)
    return new_phone_event(
        session,
        code="phone_on" if is_on else "phone_off",
        user_id=user.id if user is not None else None,
        starts_at=state.at or now,
        ends_at=None,
        today=today,
        values={"content": agent.name[:200]},
    )


def call_of_event(session: Session, event_id: int) -> PhoneCallRecord | None:
    """The call an event was made from, if it was."""
    return session.scalars(
        select(PhoneCallRecord).where(PhoneCallRecord.event_id == event_id).limit(1)
    ).first()
