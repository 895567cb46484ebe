"""Free (Q-5, APP-3): give the nearest waiting ticket to an operator, in one transaction.

Correctness comes from the database, never from in-process locks:

- SQLite: every transaction starts with ``BEGIN IMMEDIATE`` (``hub.db.engine``), so writers run
  one after another and each sees everything committed before it.
- PostgreSQL: the waiting ticket is taken with ``FOR UPDATE SKIP LOCKED``, so operators pressing
  Free at once take different tickets without waiting for each other. One race remains: a ticket
  issued while an operator turns free, each transaction blind to the other's uncommitted row. It
  is closed by a lock on the service's project row: Free holds ``FOR SHARE`` on its projects
  (Frees do not block each other), while issuing and check-in take ``FOR NO KEY UPDATE`` on the
  ticket's project before looking for a free operator, so one of the two always sees the other.
  Locks are taken in one order (projects, then the operator, then the ticket), so none deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, insert_row_unless_taken, table_of
from hub.db.models import Project, ProjectMember
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.errors import Conflict, Invalid, NotFound
from hub.protocol.topics import is_safe_id
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.queue import calling, fair, lines
from hub.services.queue import publish as queue_publish
from hub.services.queue.core import (
    BUSY,
    CALLED,
    FREE,
    FRONT,
    IN_HAND,
    WAITING,
    Assignment,
    FreeResult,
    QueueContext,
    Reason,
    describe,
    line_order,
    operator_info,
    operator_projects,
    service_info,
)
from hub.services.stats import facts
from hub.services.tasks import tasks
from hub.services.tasks.extras import task_from_event

MAX_WINDOW = 16


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lock_services(session: Session, project_ids: Sequence[int], *, exclusive: bool) -> None:
    """PostgreSQL: share-lock (Free) or exclusively lock (issue) the services' project rows."""
    if not project_ids or not _postgres(session):
        return
    query = select(Project.id).where(Project.id.in_(sorted(set(project_ids))))
    query = query.order_by(Project.id)
    # FOR NO KEY UPDATE for an issue, FOR SHARE for Free.
    query = query.with_for_update(key_share=True) if exclusive else query.with_for_update(read=True)
    list(session.scalars(query))


def check_window(window: str | None) -> str | None:
    """A window label fit for a display: 1..16 printable characters."""
    if window is None:
        return None
    clean = window.strip()
    if not clean or len(clean) > MAX_WINDOW or not clean.isprintable():
        raise Invalid("queue_window_invalid", field="window", max=MAX_WINDOW)
    return clean


def check_device(device_id: str | None) -> str | None:
    """A device id usable in a topic (the protocol's safe alphabet)."""
    if device_id is not None and not is_safe_id(device_id):
        raise Invalid("queue_device_invalid", field="device_id")
    return device_id


def lock_operator(
    session: Session,
    ctx: QueueContext,
    user_id: int,
    *,
    status: str,
    window: str | None = None,
    device_id: str | None = None,
) -> QueueOperator:
    """The operator's session row, created when missing, locked until the transaction ends."""
    insert_row_unless_taken(
        session,
        QueueOperator,
        user_id=user_id,
        status=status,
        status_since=ctx.now,
        window=window,
        device_id=device_id,
        updated_at=ctx.now,
    )
    row = session.scalars(_LOCK_OPERATOR, {"user": user_id}).one()
    if window is not None:
        row.window = window
    if device_id is not None and device_id != row.device_id:
        if row.device_id and row.ticket_id is not None:
            queue_publish.publish_assignment(session, ctx, _empty_copy(row))
        row.device_id = device_id
    return row


def _empty_copy(row: QueueOperator) -> QueueOperator:
    # The old panel is told it holds nothing any more.
    return QueueOperator(
        user_id=row.user_id, status=row.status, window=row.window, device_id=row.device_id
    )


# Built once (every Free runs them): the operator's row, locked; the nearest ticket for them.
_LOCK_OPERATOR = (
    select(QueueOperator)
    .where(QueueOperator.user_id == bindparam("user"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_NEAREST = (
    select(QueueTicket)
    .where(fair.ELIGIBLE)
    .order_by(*line_order())  # type: ignore[arg-type]
    .limit(1)
    .with_for_update(skip_locked=True)
)


# An operator without a phone agent online is never given a caller: the nearest visitor instead.
_NEAREST_VISITOR = _NEAREST.where(QueueTicket.line_device.is_(None))


def _pick(
    session: Session, ctx: QueueContext, operator: QueueOperator, project_ids: Sequence[int]
) -> tuple[QueueTicket, str] | None:
    """The ticket Free gives (locked) and the rule that chose it (``queue_calling``).

    An operator without a phone agent online is never given a caller. Under either rule, a
    service whose callers reached their share today gives a visitor first, if one waits.
    """
    phone = lines.operator_phone(session, operator) is not None
    modes = {p: found.calling_mode for p in project_ids if (found := service_info(session, p))}
    if any(calling.is_fair(modes, p) for p in project_ids):
        picked = fair.pick(session, ctx, operator.user_id, project_ids, modes, callers=phone)
        if (
            picked is not None
            and picked[0].line_device
            and lines.share_reached(session, ctx, picked[0].project_id)
        ):
            visitor = fair.pick(session, ctx, operator.user_id, project_ids, modes, callers=False)
            picked = visitor or picked
        return (picked[0], picked[1].rule) if picked is not None else None
    where = {"user": operator.user_id, "projects": list(project_ids), "now": ctx.now}
    ticket = session.scalars(_NEAREST if phone else _NEAREST_VISITOR, where).first()
    if (
        ticket is not None
        and ticket.line_device
        and lines.share_reached(session, ctx, ticket.project_id)
    ):
        # The service's callers are at their cap today: a visitor first, if one waits.
        ticket = session.scalars(_NEAREST_VISITOR, where).first() or ticket
    return (ticket, calling.RULE_NEAREST) if ticket is not None else None


def assign(
    session: Session,
    ctx: QueueContext,
    *,
    ticket: QueueTicket,
    operator: QueueOperator,
    profile: AccessProfile,
    by_hand: bool = False,
    rule: str = calling.RULE_NEAREST,
) -> Assignment:
    """Call ``ticket`` to the operator's window: the task (Q-5), the busy status, the outbox."""
    if operator.window is None:
        raise Invalid("queue_window_required", field="window")
    agent = lines.operator_agent(session, operator) if ticket.line_device else None
    if ticket.line_device and agent is None:
        raise Conflict("queue_caller_needs_phone", number=ticket.number)
    targeted = ticket.target_operator_id == operator.user_id
    reason_front = ticket.lane == FRONT
    user = access.person(session, operator.user_id)
    task = task_from_event(
        session,
        profile=profile,
        event_id=ticket.event_id,
        name=None,
        executor_ids=[operator.user_id],
        today=ctx.today,
        lang=user.lang if user is not None else "uk",
    )
    ticket.state = CALLED
    ticket.operator_id = operator.user_id
    ticket.window = operator.window
    ticket.called_at = ticket.last_called_at = ctx.now
    ticket.target_operator_id = None
    ticket.task_id = task.id
    operator.ticket_id = ticket.id
    facts.status_changed(session, ctx, operator, BUSY, restart=True)
    session.flush()
    facts.visit_changed(session, ctx, ticket)
    info = describe(session, ticket, with_estimate=False)
    reason = Reason(
        effective_at=ticket.effective_at,
        service_id=ticket.project_id,
        service_name=info.service_name,
        front=reason_front,
        for_this_operator=targeted,
        by_hand=by_hand,
        rule=rule,
    )
    lang = user.lang if user is not None else "uk"
    if agent is not None and ticket.call_outcome == lines.CALLBACK:
        # A caller who asked to be called back: the operator's phone agent dials them.
        lines.dial_back(session, ctx, ticket=ticket, agent=agent[0], operator=user)
    elif agent is not None:
        # A caller is not in the hall: their line agent brings them to the operator's phone.
        name = user.name if user is not None else None
        lines.send_job(session, ctx, ticket=ticket, target=agent[1], operator=name)
    else:
        queue_publish.announce(session, ctx, ticket, recall=False)
    queue_publish.publish_assignment(
        session, ctx, operator, reason=queue_publish.reason_text(reason, ctx, lang)
    )
    queue_publish.publish_board(session, ctx)
    return Assignment(
        ticket=info,
        operator_id=operator.user_id,
        window=operator.window,
        task_id=task.id,
        reason=reason,
    )


def _ready(session: Session, operator: QueueOperator) -> None:
    if operator.ticket_id is not None:
        held = session.get(QueueTicket, operator.ticket_id)
        if held is not None and held.state in IN_HAND:
            raise Conflict("queue_operator_has_ticket", number=held.number)
        operator.ticket_id = None
    if operator.window is None:
        raise Invalid("queue_window_required", field="window")


def free(
    session: Session,
    ctx: QueueContext,
    *,
    profile: AccessProfile,
    window: str | None = None,
    device_id: str | None = None,
) -> FreeResult:
    """Free (Q-5): the operator turns free and is given the nearest eligible waiting ticket."""
    window, device_id = check_window(window), check_device(device_id)
    project_ids = operator_projects(session, profile.user_id)
    lock_services(session, project_ids, exclusive=False)
    operator = lock_operator(
        session, ctx, profile.user_id, status=FREE, window=window, device_id=device_id
    )
    _ready(session, operator)
    facts.status_changed(session, ctx, operator, FREE)
    picked = _pick(session, ctx, operator, project_ids)
    if picked is None:
        session.flush()
        queue_publish.publish_assignment(session, ctx, operator)
        return FreeResult(operator=operator_info(operator))
    ticket, rule = picked
    assignment = assign(session, ctx, ticket=ticket, operator=operator, profile=profile, rule=rule)
    return FreeResult(operator=operator_info(operator), assignment=assignment)


def call_ticket(
    session: Session,
    ctx: QueueContext,
    *,
    profile: AccessProfile,
    ticket_id: int,
    window: str | None = None,
    device_id: str | None = None,
) -> Assignment:
    """Call one chosen waiting ticket by hand to the operator's window."""
    window, device_id = check_window(window), check_device(device_id)
    project_ids = operator_projects(session, profile.user_id)
    lock_services(session, project_ids, exclusive=False)
    operator = lock_operator(
        session, ctx, profile.user_id, status=FREE, window=window, device_id=device_id
    )
    _ready(session, operator)
    ticket = session.scalars(
        select(QueueTicket)
        .where(QueueTicket.id == ticket_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()
    if ticket is None:
        existing = session.get(QueueTicket, ticket_id)
        if existing is None:
            raise NotFound("not_found", what=f"queue ticket {ticket_id}")
        raise Conflict("queue_ticket_not_waiting", number=existing.number, state=CALLED)
    if ticket.state != WAITING:
        raise Conflict("queue_ticket_not_waiting", number=ticket.number, state=ticket.state)
    allowed = ticket.target_operator_id in (None, profile.user_id) and (
        ticket.project_id in project_ids or ticket.target_operator_id == profile.user_id
    )
    if not (allowed or profile.unrestricted):
        raise Conflict("queue_ticket_not_yours_to_call", number=ticket.number)
    return assign(session, ctx, ticket=ticket, operator=operator, profile=profile, by_hand=True)


class _Free(NamedTuple):
    """What ``offer`` needs of an operator's row to consider them."""

    user_id: int
    status: str
    ticket_id: int | None
    window: str | None


_O = table_of(QueueOperator).c
_M = table_of(ProjectMember).c
_FREE_MEMBERS = (
    select(_O.user_id, _O.status, _O.ticket_id, _O.window)
    .join_from(table_of(QueueOperator), table_of(ProjectMember), _M.user_id == _O.user_id)
    .where(_M.project_id == bindparam("project"), _O.status == FREE, _O.ticket_id.is_(None))
    .order_by(_O.status_since, _O.user_id)
)


def offer(session: Session, ctx: QueueContext, ticket: QueueTicket) -> Assignment | None:
    """Give a newly waiting ticket to a free operator who may serve it, if one is free now.

    The operator gets the nearest ticket they are eligible for, which is this one unless an
    earlier one waits for them too.
    """
    if ticket.state != WAITING:
        return None
    journal_id = tasks.project_journal(session, ticket.project_id)
    target: QueueOperator | None = None
    if ticket.target_operator_id is not None:
        # Wait for the operator's row whatever its state (see the module's note): a Free in
        # flight then either sees this ticket or is seen by it.
        target = session.scalars(_LOCK_OPERATOR, {"user": ticket.target_operator_id}).first()
        rows = (
            [_Free(target.user_id, target.status, target.ticket_id, target.window)]
            if target
            else []
        )
    else:
        lock_services(session, [ticket.project_id], exclusive=True)
        # Mostly nobody is free while visitors keep coming: one prebuilt statement says so.
        free_now = core_connection(session).execute(_FREE_MEMBERS, {"project": ticket.project_id})
        rows = [_Free(*row) for row in free_now]
    for candidate in rows:
        if candidate.status != FREE or candidate.ticket_id is not None or not candidate.window:
            continue
        who = access.person(session, candidate.user_id)
        if who is None or not who.active:
            continue
        profile = who.profile
        if not profile.can(Action.CREATE, DocType.TASK, journal_id):
            continue
        operator = target
        if target is None:
            # Another transaction may hold this operator: skip rather than wait for it.
            operator = session.scalars(
                select(QueueOperator)
                .where(
                    QueueOperator.user_id == candidate.user_id,
                    QueueOperator.status == FREE,
                    QueueOperator.ticket_id.is_(None),
                )
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            ).first()
        if operator is None:
            continue
        picked = _pick(session, ctx, operator, operator_projects(session, operator.user_id))
        if picked is None:
            continue
        chosen, rule = picked
        return assign(session, ctx, ticket=chosen, operator=operator, profile=profile, rule=rule)
    return None
