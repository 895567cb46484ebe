"""What Free needs to know about callers on the office lines: who may take one, and the job.

A caller's ticket (``line_device`` set) waits in its service's line like a visitor's, but only an
operator whose phone agent is online and registered may be given it: the operator's panel is
linked to the agent (``devices.phone_id``), and the agent's registered number is where the line
agent brings the caller. A service may cap the share of callers among the visitors it calls.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, table_of
from hub.db.models import Device, Project
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.i18n import translate
from hub.protocol import topics
from hub.protocol.devices import PhoneCmd
from hub.protocol.lines import LineJob
from hub.services.access.rights import Person
from hub.services.common import outbox
from hub.services.phone.calls import new_phone_event
from hub.services.phone.numbers import digits
from hub.services.queue.core import QueueContext

CALLBACK = "callback"
"""A waiting caller's ticket whose caller asked to be called back (``call_outcome``)."""
_TARGET = re.compile(r"[A-Za-z0-9+*#._-]{1,64}")


def operator_phone(session: Session, operator: QueueOperator) -> str | None:
    """The SIP number of the operator's phone agent (the one linked to their panel) when it is
    online and registered; None when the operator may not be given a caller."""
    agent = operator_agent(session, operator)
    return None if agent is None else agent[1]


def operator_agent(session: Session, operator: QueueOperator) -> tuple[str, str] | None:
    """(device id, SIP number) of the operator's phone agent when it is online and registered."""
    if not operator.device_id:
        return None
    panel = session.get(Device, operator.device_id)
    if panel is None or panel.revoked_at is not None or not panel.phone_id:
        return None
    agent = session.get(Device, panel.phone_id)
    if agent is None or agent.revoked_at is not None or agent.role != "phone" or agent.line:
        return None
    status = agent.phone_status or {}
    number = str(status.get("number") or "")
    if not agent.online or not status.get("registered") or not _TARGET.fullmatch(number):
        return None
    return agent.id, number


_T = table_of(QueueTicket).c
_CALLED_TODAY = select(
    func.count(_T.id), func.sum(case((_T.line_device.is_not(None), 1), else_=0))
).where(_T.project_id == bindparam("project"), _T.called_at >= bindparam("since"))


def share_reached(session: Session, ctx: QueueContext, project_id: int) -> bool:
    """Whether calling one more caller would put the service's callers over its cap (the
    share of today's called tickets, whole percent); False when the service has no cap."""
    project = session.get(Project, project_id)
    cap = project.caller_share_percent if project is not None else None
    if cap is None:
        return False
    since: datetime = ctx.day_start()
    total, callers = (
        core_connection(session)
        .execute(_CALLED_TODAY, {"project": project_id, "since": since})
        .one()
    )
    return (int(callers or 0) + 1) * 100 > cap * (int(total or 0) + 1)


def dial_back(
    session: Session, ctx: QueueContext, *, ticket: QueueTicket, agent: str, operator: Person | None
) -> None:
    """A callback ticket reached: the callback is recorded as the operator's event (PH-8), and
    the operator's phone agent dials the caller (sent after the commit) with that event's id,
    so the call it reports completes this event (its talk time) rather than making another."""
    assert ticket.phone is not None
    arrived = ticket.arrived_at or ticket.effective_at
    waited = max(0, int((ctx.now - arrived).total_seconds()))
    lang = operator.lang if operator is not None else "uk"
    who = (operator.name or operator.username) if operator is not None else ""
    text = translate("line_event_callback", lang, number=ticket.number, waited=waited, who=who)
    event = new_phone_event(
        session,
        code="callback",
        user_id=operator.id if operator is not None else None,
        starts_at=ctx.now,
        ends_at=None,
        today=ctx.today,
        values={"phone": ticket.phone, "phone_digits": digits(ticket.phone), "content": text},
    )
    session.flush()
    command = PhoneCmd(
        type="dial", target=ticket.phone[:128], request_id=uuid.uuid4(), event_id=event.id
    )
    topic = topics.phone_cmd(ctx.site, agent)
    outbox.enqueue(session, topic, command.model_dump(mode="json", exclude_none=True), False)


def send_job(
    session: Session,
    ctx: QueueContext,
    *,
    ticket: QueueTicket,
    target: str,
    operator: str | None,
) -> None:
    """Tell the caller's line agent to bring them to ``target`` (sent after the commit)."""
    assert ticket.line_device is not None and ticket.line_call is not None
    job = LineJob(
        job_id=ticket.id,
        call_id=ticket.line_call,
        ticket_id=ticket.id,
        number=ticket.number,
        target=target,
        operator=(operator or "")[:200] or None,
        window=ticket.window,
        at=ctx.now,
        remote=ticket.phone,
    )
    topic = topics.line_job(ctx.site, ticket.line_device)
    outbox.enqueue(session, topic, job.model_dump(mode="json", exclude_none=True), False)
