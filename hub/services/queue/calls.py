"""Callers on the office lines wait in the services' queues (call-centre lines).

A line agent answers the office's numbers; a caller who chose a service becomes a phone ticket of
that service, numbered and placed by the same rules as a walk-in (``join``), so the nearest
ticket Free gives may be a caller or a visitor. A service with ``callers_first`` puts callers at
the front of its line. Only an operator whose phone agent is online is given a caller
(``hub.services.queue.lines``); the line agent is then told to bring the caller to the operator's
phone, and reports whether it answered (``connected``): the ticket is then being served and the
phone event (PH-8) records the queue time, the answer time and who answered. A caller who hangs up
while waiting (``left``) is recorded as abandoned with their wait, and is never assigned; so are
the callers a line agent no longer holds when it (re)connects (``held``) or that stay with a
line offline past a grace (``abandon_offline_lines``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Device, Project
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.errors import Conflict, Invalid, NotFound
from hub.i18n import translate
from hub.services.access import rights as access
from hub.services.phone.calls import new_phone_event, number_of
from hub.services.phone.numbers import digits
from hub.services.queue import publish as queue_publish
from hub.services.queue.assign import offer
from hub.services.queue.core import (
    CALLED,
    CANCELLED,
    FRONT,
    SERVING,
    WAITING,
    WALK_IN,
    IssueResult,
    QueueContext,
    TicketInfo,
    describe,
    queue_service,
)
from hub.services.queue.lines import CALLBACK
from hub.services.queue.tickets import ClientDetails, _new_ticket
from hub.services.stats import facts

ANSWERED, ABANDONED = "answered", "abandoned"
LINE_OFFLINE_GRACE = timedelta(minutes=2)
"""A line agent offline this long lost its callers' calls: the housekeeper abandons them."""
# What a caller's number may be on the ticket (as a kiosk's visitor's phone): else none is kept.
_PHONE = re.compile(r"\+?[0-9 ()-]{3,32}")


def line_agent(session: Session, device_id: str) -> Device:
    """An active line agent; refuses any other device."""
    device = session.get(Device, device_id)
    if device is None or device.revoked_at is not None or not device.line:
        raise Conflict("line_not_a_line", device=device_id)
    return device


def _ticket_of(session: Session, line: str, call_id: str) -> QueueTicket | None:
    return session.scalars(
        select(QueueTicket)
        .where(QueueTicket.line_device == line, QueueTicket.line_call == call_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _known(session: Session, line: str, call_id: str) -> QueueTicket:
    ticket = _ticket_of(session, line, call_id)
    if ticket is None:
        raise NotFound("line_call_unknown", call_id=call_id)
    return ticket


def join(
    session: Session,
    ctx: QueueContext,
    *,
    line: str,
    call_id: str,
    service_id: int,
    remote: str,
) -> IssueResult:
    """A caller chose a service: their phone ticket, offered to a free operator at once.

    The same call joining again (a repeated request) gets its ticket back unchanged.
    """
    if not call_id or len(call_id) > 128:
        raise Invalid("line_call_invalid", field="call_id")
    known = _ticket_of(session, line, call_id)
    if known is not None:
        return IssueResult(ticket=describe(session, known, ctx=ctx))
    project = queue_service(session, service_id)
    number = number_of(remote or "")
    phone = number if _PHONE.fullmatch(number) and digits(number) else None
    ticket = _new_ticket(
        session,
        profile=None,
        project=project,
        kind=WALK_IN,
        state=WAITING,
        effective_at=ctx.now,
        day=ctx.today,
        client=ClientDetails(phone=phone),
    )
    ticket.line_device, ticket.line_call = line, call_id
    if _callers_first(session, project.id):
        ticket.lane = FRONT
    session.flush()
    facts.visit_joined(session, ctx, ticket)
    assignment = offer(session, ctx, ticket)
    if assignment is None:
        queue_publish.publish_board(session, ctx)
    return IssueResult(ticket=describe(session, ticket, ctx=ctx), assignment=assignment)


def _callers_first(session: Session, project_id: int) -> bool:
    project = session.get(Project, project_id)
    return bool(project is not None and project.callers_first)


def place(session: Session, ctx: QueueContext, *, line: str, call_id: str) -> TicketInfo:
    """The caller's ticket with their place in line and estimated wait (while waiting)."""
    ticket = session.scalars(
        select(QueueTicket).where(QueueTicket.line_device == line, QueueTicket.line_call == call_id)
    ).first()
    if ticket is None:
        raise NotFound("line_call_unknown", call_id=call_id)
    return describe(session, ticket, ctx=ctx)


def left(session: Session, ctx: QueueContext, *, line: str, call_id: str) -> TicketInfo:
    """The caller hung up. Still waiting: the ticket is abandoned (cancelled, with the wait) and
    a missed call is recorded (PH-8). Called but not yet answered: the call is marked abandoned
    for the operator, who closes the ticket. Otherwise nothing changes (the talk is over)."""
    ticket = _known(session, line, call_id)
    _abandon(session, ctx, ticket)
    return describe(session, ticket, ctx=ctx)


def _abandon(session: Session, ctx: QueueContext, ticket: QueueTicket) -> bool:
    """The caller's call is gone (see ``left``); whether the ticket changed. A caller who hung
    up to be called back keeps their place, and an answered or abandoned one is left alone."""
    if ticket.call_outcome == CALLBACK:
        return False
    if ticket.state == WAITING:
        ticket.state, ticket.finished_at, ticket.call_outcome = CANCELLED, ctx.now, ABANDONED
        session.flush()
        facts.visit_changed(session, ctx, ticket, outcome=CANCELLED)
        _phone_event(session, ctx, ticket, answered_by=None)
        queue_publish.publish_board(session, ctx)
        return True
    if ticket.state == CALLED and ticket.call_outcome not in (ANSWERED, ABANDONED):
        # Also after an operator's phone that did not answer (the caller waited on).
        ticket.call_outcome = ABANDONED
        session.flush()
        facts.visit_changed(session, ctx, ticket)
        _phone_event(session, ctx, ticket, answered_by=None)
        operator = session.get(QueueOperator, ticket.operator_id) if ticket.operator_id else None
        if operator is not None:
            queue_publish.publish_assignment(session, ctx, operator)
        return True
    return False


def _gone(session: Session, line: str, keep: Collection[str]) -> list[QueueTicket]:
    """The line's waiting and called callers whose calls are not in ``keep``, locked."""
    query = (
        select(QueueTicket)
        .where(QueueTicket.line_device == line, QueueTicket.state.in_((WAITING, CALLED)))
        .order_by(QueueTicket.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return [ticket for ticket in session.scalars(query) if ticket.line_call not in keep]


def held(session: Session, ctx: QueueContext, *, line: str, call_ids: Collection[str]) -> int:
    """The line agent (re)connected holding ``call_ids``: its other waiting and called callers
    are gone (a crash, a ``left`` lost on the way) and are abandoned as if they hung up, except
    those to be called back. Returns how many were abandoned."""
    return sum(_abandon(session, ctx, ticket) for ticket in _gone(session, line, set(call_ids)))


def abandon_offline_lines(session: Session, ctx: QueueContext, *, seen_before: datetime) -> int:
    """Abandon the callers of line agents offline since before ``seen_before`` (the grace,
    ``LINE_OFFLINE_GRACE``, lets a line that blinked keep its callers); returns how many."""
    lines = session.scalars(
        select(Device.id).where(
            Device.site == ctx.site,
            Device.line.is_(True),
            Device.online.is_(False),
            Device.last_seen_at < seen_before,
        )
    ).all()
    return sum(held(session, ctx, line=line, call_ids=()) for line in lines)


def callback(session: Session, ctx: QueueContext, *, line: str, call_id: str) -> TicketInfo:
    """The waiting caller asked to be called back: the ticket keeps its place, and the operator
    who reaches it has their phone agent dial the caller's number (``lines.dial_back``)."""
    ticket = _known(session, line, call_id)
    if ticket.state != WAITING:
        raise Conflict("queue_ticket_not_waiting", number=ticket.number, state=ticket.state)
    if not ticket.phone:
        raise Conflict("line_callback_no_number", number=ticket.number)
    if ticket.call_outcome != CALLBACK:
        ticket.call_outcome = CALLBACK
        session.flush()
        facts.visit_changed(session, ctx, ticket)
        queue_publish.publish_board(session, ctx)
    return describe(session, ticket, ctx=ctx)


def connected(
    session: Session, ctx: QueueContext, *, line: str, call_id: str, ok: bool, reason: str | None
) -> TicketInfo:
    """The line agent brought the caller to the operator's phone: answered (serving starts, and
    the phone event is made) or not (kept on the ticket as its call outcome)."""
    ticket = _known(session, line, call_id)
    if ticket.state not in (CALLED, SERVING) or ticket.operator_id is None:
        raise Conflict("queue_ticket_not_waiting", number=ticket.number, state=ticket.state)
    if ticket.call_outcome == ANSWERED:
        return describe(session, ticket, ctx=ctx)
    if not ok:
        ticket.call_outcome = (reason or "failed")[:16]
        session.flush()
        facts.visit_changed(session, ctx, ticket)
        return describe(session, ticket, ctx=ctx)
    ticket.call_outcome, ticket.answered_at = ANSWERED, ctx.now
    if ticket.state == CALLED:
        ticket.state, ticket.started_at = SERVING, ctx.now
    session.flush()
    facts.visit_changed(session, ctx, ticket)
    _phone_event(session, ctx, ticket, answered_by=ticket.operator_id)
    operator = session.get(QueueOperator, ticket.operator_id)
    if operator is not None:
        queue_publish.publish_assignment(session, ctx, operator)
    queue_publish.publish_board(session, ctx)
    return describe(session, ticket, ctx=ctx)


def _phone_event(
    session: Session, ctx: QueueContext, ticket: QueueTicket, *, answered_by: int | None
) -> None:
    """The call's event (PH-8): answered (incoming call, by whom, after how long in the queue)
    or abandoned (a missed call, with how long the caller waited)."""
    arrived = ticket.arrived_at or ticket.effective_at
    end = ticket.answered_at if answered_by is not None else ctx.now
    waited = max(0, int(((end or ctx.now) - arrived).total_seconds()))
    who = access.person(session, answered_by) if answered_by is not None else None
    lang = who.lang if who is not None else "uk"
    if who is not None and ticket.answered_at is not None:
        answered = ticket.answered_at.astimezone(ctx.tz).strftime("%H:%M:%S")
        text = translate(
            "line_event_answered",
            lang,
            number=ticket.number,
            waited=waited,
            at=answered,
            who=who.name or who.username,
        )
    else:
        text = translate("line_event_abandoned", lang, number=ticket.number, waited=waited)
    new_phone_event(
        session,
        code="incoming_call" if who is not None else "missed_incoming_call",
        user_id=answered_by,
        starts_at=arrived,
        ends_at=None if who is not None else ctx.now,
        today=ctx.today,
        values={
            "phone": ticket.phone,
            "phone_digits": digits(ticket.phone),
            "content": text[:2000],
        },
    )
