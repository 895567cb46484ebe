"""What displays and panels are told after a queue change, written to the outbox (DESIGN.md).

The board and each panel's assignment are retained: a device that (re)connects gets the latest
state at once. Announcements are events: one per call or recall.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Project, ProjectMember, Task
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.i18n import translate
from hub.protocol import topics
from hub.protocol.base import ClientInfo, Lang, Message
from hub.protocol.cards import CardEvent, CardTask, ClientCard
from hub.protocol.devices import BoardCall, BoardWait, DisplayAnnounce, DisplayBoard
from hub.protocol.messages import AssignedTicket, PanelAssignment, ServiceAlert
from hub.protocol.zones import zone_name
from hub.services.access import rights as access
from hub.services.common import outbox
from hub.services.phone.numbers import digits
from hub.services.queue import card as queue_card
from hub.services.queue import core as queue
from hub.services.queue import links, waits
from hub.services.queue import presence as queue_presence
from hub.services.queue.core import QueueContext, Reason, waiting_counts
from hub.services.stats import watch
from hub.services.stats.operators import operators_of

BOARD_CALLS = 10
ANNOUNCE_LANGUAGES: tuple[Lang, ...] = ("uk", "en")


def _plain(message: Message) -> dict[str, Any]:
    """The JSON object a device receives: validated by the contract's model on the way out."""
    return message.model_dump(mode="json", exclude_none=True)


def board_payload(session: Session, ctx: QueueContext) -> dict[str, Any]:
    """The whole board: today's last calls, newest first, and the waiting count per service."""
    rows = session.scalars(
        select(QueueTicket)
        .where(QueueTicket.last_called_at >= ctx.day_start(), QueueTicket.window.is_not(None))
        .order_by(QueueTicket.last_called_at.desc(), QueueTicket.id.desc())
        .limit(BOARD_CALLS)
    )
    calls = [
        BoardCall(
            number=row.number,
            window=row.window or "",
            service_id=row.project_id,
            called_at=_aware(row.last_called_at or ctx.now),
            ticket_id=row.id,
        )
        for row in rows
    ]
    waiting = dict(sorted(waiting_counts(session).items()))
    names = dict(
        session.execute(
            select(Project.id, Project.name)
            .where(Project.id.in_(list(waiting)))
            .order_by(Project.id)
        ).all()
    )
    callers = {k: v for k, v in waiting_counts(session, callers=True).items() if v}
    board = DisplayBoard(
        calls=calls,
        waiting=waiting,
        at=ctx.now,
        names=names,
        callers=callers,
        waits=board_waits(session, ctx),
        tz=zone_name(ctx.tz),
    )
    return _plain(board)


def board_waits(session: Session, ctx: QueueContext) -> dict[int, BoardWait]:
    """Each service's wait for a visitor who would join it now (the board shows it)."""
    services = session.scalars(
        select(Project.id).where(Project.uses_queue.is_(True)).order_by(Project.id)
    )
    return {
        service: BoardWait(s=wait.seconds, low_s=wait.low_s, high_s=wait.high_s)
        for service, wait in waits.for_new_visitors(session, ctx, list(services)).items()
    }


def _aware(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite hands them back without a zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _service_name(session: Session, project_id: int) -> str | None:
    project = queue.service_info(session, project_id)
    return project.name[:200] if project is not None and project.name.strip() else None


BOARD_MARK = "$board"
"""Outbox payload standing for "the board as committed when it is sent"."""


def publish_board(session: Session, ctx: QueueContext) -> None:
    """Queue the retained board after a change of any line or call.

    The board is the whole committed state of the lines, so the outbox holds a mark and the
    sender draws the board when it publishes it: a burst of changes costs one drawing, made from
    what was committed, instead of one inside every transaction.
    """
    outbox.enqueue(session, topics.display_board(ctx.site), {BOARD_MARK: True}, True)


def materialise(session: Session, ctx: QueueContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload to publish for an outbox message: the board drawn now for a board mark."""
    if payload.get(BOARD_MARK):
        return board_payload(session, ctx)
    return payload


def announce(session: Session, ctx: QueueContext, ticket: QueueTicket, *, recall: bool) -> None:
    """Queue one call (or recall) for the displays to show and speak."""
    message = DisplayAnnounce(
        number=ticket.number,
        window=ticket.window or "",
        recall=recall,
        lang=list(ANNOUNCE_LANGUAGES),
        service_id=ticket.project_id,
        ticket_id=ticket.id,
        at=ctx.now,
    )
    outbox.enqueue(session, topics.display_announce(ctx.site), _plain(message), False)


_PHONE = re.compile(r"^\+?[0-9 ()-]{3,32}$")


_CARDS = "cherga_client_cards"
"""Key in ``Session.info``: cards built in this transaction, by (ticket, operator)."""


def card_of(
    session: Session, ticket: QueueTicket, operator: QueueOperator, now: datetime
) -> ClientCard | None:
    """The client's card for the operator's panel, as far as the operator may see it.

    Built once per transaction and operator (the reply and the retained assignment share it).
    """
    cards: dict[tuple[int, int], ClientCard | None] = session.info.setdefault(_CARDS, {})
    key = (ticket.id, operator.user_id)
    if key not in cards:
        cards[key] = _build_card(session, ticket, operator, now)
    return cards[key]


def _build_card(
    session: Session, ticket: QueueTicket, operator: QueueOperator, now: datetime
) -> ClientCard | None:
    user = access.person(session, operator.user_id)
    if user is None or not user.active:
        return None
    # Reading clients, events and tasks needs only the account's flags (ACC-6), not its rights.
    rights = user.profile
    profile = access.AccessProfile(
        user_id=user.id,
        username=user.username,
        is_admin=rights.is_admin,
        full_access=rights.full_access,
        crm_access=rights.crm_access,
    )
    card = queue_card.client_card(session, ticket, profile=profile, lang=user.lang, now=now)
    return protocol_card(card)


def protocol_card(card: queue_card.ClientCard | None) -> ClientCard | None:
    """The contract's shape of a client's card (texts already cut by queue_card); a phone the
    contract cannot carry is sent as its digits, or left out."""
    if card is None:
        return None
    phone = card.contact_phone
    if phone is not None and not _PHONE.fullmatch(phone):
        phone = digits(phone)
    return ClientCard(
        client_id=card.client_id,
        name=card.name,
        contact=card.contact,
        contact_phone=phone if phone and _PHONE.fullmatch(phone) else None,
        matched_by=card.matched_by or None,
        events=[CardEvent(at=e.at, type=e.type, subject=e.subject) for e in card.events],
        tasks=[
            CardTask(id=t.id, due=t.due, title=t.title, state=t.state, overdue=t.overdue)
            for t in card.tasks
        ],
    )


def assignment_payload(
    session: Session,
    operator: QueueOperator,
    *,
    reason: str | None = None,
    now: datetime | None = None,
    office_url: str | None = None,
) -> dict[str, Any]:
    """What the operator's panel shows: the ticket in hand (or null) with the client's card,
    its task (number, and its card's address under ``office_url``) and the window."""
    ticket = session.get(QueueTicket, operator.ticket_id) if operator.ticket_id else None
    body: AssignedTicket | None = None
    if ticket is not None:
        since = ticket.arrived_at or ticket.effective_at
        waited = (ticket.called_at - since).total_seconds() if ticket.called_at else 0.0
        client = None
        if ticket.client_name or ticket.phone:
            client = ClientInfo(
                name=ticket.client_name, phone=ticket.phone, companies=ticket.companies
            )
        body = AssignedTicket(
            id=ticket.id,
            number=ticket.number,
            service_id=ticket.project_id,
            client=client,
            booked_at=_aware(ticket.booked_at) if ticket.booked_at else None,
            waited_s=max(0, int(waited)),
            called_at=_aware(ticket.called_at) if ticket.called_at else None,
            state=ticket.state,
            recalls=ticket.recalls,
            service_name=_service_name(session, ticket.project_id),
            card=card_of(session, ticket, operator, now or datetime.now(UTC)),
            remote=links.following(ticket.remote_seen_at, now or datetime.now(UTC)) or None,
            late_until=ticket.late_until,
            caller=True if ticket.line_device else None,
        )
    task_id = ticket.task_id if ticket is not None else None
    task = session.get(Task, task_id) if task_id is not None else None
    message = PanelAssignment(
        ticket=body,
        task_id=task_id,
        task_number=task.number if task is not None and task.number else None,
        task_url=task_url(office_url, task_id),
        window=operator.window,
        reason=reason,
        status=operator.status,
        alerts=_alerts(session, operator.user_id) or None,
    )
    payload = _plain(message)
    payload.setdefault("ticket", None)  # "nothing in hand" is said, not left out
    return payload


def _alerts(session: Session, user_id: int) -> list[ServiceAlert]:
    """The service-level alerts raised in the services of the operator's work groups."""
    services = session.scalars(
        select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)
    )
    return [
        ServiceAlert(
            service_id=shown.alert.service_id,
            service_name=shown.service_name[:200].strip() or None,
            kind=shown.alert.kind.value,
            value=shown.alert.value,
            threshold=shown.alert.threshold,
            since=_aware(shown.alert.since),
        )
        for shown in watch.raised(session, list(services))
    ]


def publish_alerts(session: Session, ctx: QueueContext, services: set[int]) -> None:
    """Queue the assignment again for the panels of the operators of ``services``, whose
    service-level alerts were raised or cleared (the assignment carries them)."""
    if not services:
        return
    users = operators_of(session, sorted(services))
    rows = session.scalars(
        select(QueueOperator).where(
            QueueOperator.user_id.in_(users), QueueOperator.device_id.is_not(None)
        )
    )
    for operator in rows:
        topic = topics.panel_assignment(ctx.site, str(operator.device_id))
        payload = assignment_payload(session, operator, now=ctx.now, office_url=ctx.office_url)
        outbox.enqueue(session, topic, payload, True)


def task_url(office_url: str | None, task_id: int | None) -> str | None:
    """The address of a task's card in the back-office (None without a base or a task)."""
    if not office_url or task_id is None:
        return None
    return f"{office_url.rstrip('/')}/office/tasks/{task_id}"


def publish_assignment(
    session: Session, ctx: QueueContext, operator: QueueOperator, *, reason: str | None = None
) -> None:
    """Queue the retained assignment of the operator's panel, when the operator uses one, and
    the operators' statuses of every panel (the operator's session may have changed)."""
    queue_presence.publish_operators(session, ctx, operator)
    if not operator.device_id:
        return
    topic = topics.panel_assignment(ctx.site, operator.device_id)
    payload = assignment_payload(
        session, operator, reason=reason, now=ctx.now, office_url=ctx.office_url
    )
    outbox.enqueue(session, topic, payload, True)


def reason_text(reason: Reason, ctx: QueueContext, lang: str) -> str:
    """Why Free gave this ticket, for the operator (Q-5): how it was chosen, service, time."""
    code = (
        "queue_reason_by_hand"
        if reason.by_hand
        else "queue_reason_for_you"
        if reason.for_this_operator
        else "queue_reason_front"
        if reason.front
        else _RULE_REASONS.get(reason.rule, "queue_reason_nearest")
    )
    moment = _aware(reason.effective_at).astimezone(ctx.tz)
    waited = max(0, int((ctx.now - moment).total_seconds() // 60))
    return translate(
        code, lang, service=reason.service_name, time=moment.strftime("%H:%M"), minutes=waited
    )


# The fair mode's rules (``queue_calling``) explained on the panel.
_RULE_REASONS = {
    "booking_due": "queue_reason_booking_due",
    "early": "queue_reason_booking_early",
    "waited": "queue_reason_waited",
}
