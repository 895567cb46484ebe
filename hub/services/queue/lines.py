"""What Free needs to know about callers on the office lines: who may take one, and the job.

A caller's ticket (``line_device`` set) waits in its service's line like a visitor's, but only an
operator whose phone agent is online and registered may be given it: the operator's panel is
linked to the agent (``devices.phone_id``), and the agent's registered number is where the line
agent brings the caller. A service may cap the share of callers among the visitors it calls.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, table_of
from hub.db.models import Device, Project
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.protocol import topics
from hub.protocol.lines import LineJob
from hub.services.common import outbox
from hub.services.queue.core import QueueContext

_TARGET = re.compile(r"[A-Za-z0-9+*#._-]{1,64}")


def operator_phone(session: Session, operator: QueueOperator) -> str | None:
    """The SIP number of the operator's phone agent (the one linked to their panel) when it is
    online and registered; None when the operator may not be given a caller."""
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
    return number


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
