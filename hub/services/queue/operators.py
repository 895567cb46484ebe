"""An operator's work on a called ticket: recall, start, no-show, transfer, done; statuses (SET-4).

Each change closes or moves the ticket's task through the task services (Q-6), so the task
registry, its history and the ticket never disagree, and writes what panels and displays need
to the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import NamedTuple

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, table_of
from hub.db.models import Event, Task, User, UserStatus
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.db.refcache import cached
from hub.errors import AccessDenied, Conflict, Invalid, NotFound
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action
from hub.services.common import audit
from hub.services.queue import lines
from hub.services.queue import publish as queue_publish
from hub.services.queue.assign import check_device, check_window, free, lock_operator, offer
from hub.services.queue.core import (
    BOOKED,
    CALLED,
    DONE,
    FREE,
    FRONT,
    IN_HAND,
    NO_SHOW,
    NORMAL,
    SERVING,
    WAITING,
    Assignment,
    ExpiryResult,
    FreeResult,
    QueueContext,
    TicketInfo,
    describe,
    operator_info,
    params,
    queue_service,
)
from hub.services.queue.presence import OFFLINE
from hub.services.queue.tickets import end_cancelled
from hub.services.queue.work import Work, finish_task
from hub.services.settings.parameters import get_user_parameters
from hub.services.stats import facts
from hub.services.tasks import tasks

MAX_NOTE = 4000
# What a user who does not use user statuses (SET-4, off by default) may set: Free takes
# visitors and Offline ends the work (a panel's Log out sets it too). Busy is the hub's own
# while a visitor is in hand, and a logged-in panel waits on Break until Free.
QUEUE_STATUSES = (FREE, OFFLINE)


@dataclass(frozen=True)
class TicketChange:
    """A ticket after an operator's action, and who was given it next (after a transfer)."""

    ticket: TicketInfo
    assignment: Assignment | None = None


_US = table_of(UserStatus).c
_STATUSES = select(_US.code, _US.name_uk, _US.name_en, _US.color).order_by(_US.sort_order, _US.id)


class StatusName(NamedTuple):
    """A user status as panels show it (SET-4)."""

    code: str
    name_uk: str
    name_en: str
    color: str | None


def user_statuses(session: Session) -> tuple[StatusName, ...]:
    """The user statuses in their order (kept in ``hub.db.refcache``)."""
    return cached(session, "user_statuses", _load_statuses)


def _load_statuses(session: Session) -> tuple[StatusName, ...]:
    return tuple(StatusName(*row) for row in core_connection(session).execute(_STATUSES))


def uses_statuses(session: Session, user_id: int) -> bool:
    """Whether the user works with user statuses (the per-user parameter of SET-4; kept in
    ``hub.db.refcache``: every reply to a panel asks)."""
    return cached(session, ("uses_statuses", user_id), partial(_uses_statuses, user_id=user_id))


def _uses_statuses(session: Session, user_id: int) -> bool:
    return get_user_parameters(session, user_id).use_user_statuses


def offered_statuses(
    session: Session, user_id: int, *, panel: bool = False
) -> tuple[StatusName, ...]:
    """The statuses this user may set, in their order: every one when they use user statuses,
    else only the queue's own. A panel ends the work with its Log out, so there Free alone."""
    known = user_statuses(session)
    if uses_statuses(session, user_id):
        return known
    allowed = (FREE,) if panel else QUEUE_STATUSES
    return tuple(status for status in known if status.code in allowed)


def check_status(session: Session, user_id: int, status: str) -> None:
    """Invalid unless the status exists and this user may set it (SET-4)."""
    if all(known.code != status for known in user_statuses(session)):
        raise Invalid("queue_status_unknown", field="status", code=status)
    if status not in QUEUE_STATUSES and not uses_statuses(session, user_id):
        raise Invalid("user_statuses_off", field="status", code=status)


def set_status(
    session: Session,
    ctx: QueueContext,
    *,
    profile: AccessProfile,
    status: str,
    window: str | None = None,
    device_id: str | None = None,
) -> FreeResult:
    """Set the operator's user status (SET-4); "free" is Free (Q-5) and may bring a ticket.

    A user who does not use user statuses may set only the queue's own (``QUEUE_STATUSES``).
    """
    check_status(session, profile.user_id, status)
    if status == FREE:
        return free(session, ctx, profile=profile, window=window, device_id=device_id)
    window, device_id = check_window(window), check_device(device_id)
    operator = lock_operator(
        session, ctx, profile.user_id, status=status, window=window, device_id=device_id
    )
    facts.status_changed(session, ctx, operator, status)
    session.flush()
    queue_publish.publish_assignment(session, ctx, operator)
    # A break (or the end of one) changes the waits the board shows.
    queue_publish.publish_board(session, ctx)
    return FreeResult(operator=operator_info(operator))


def lock_ticket(session: Session, ticket_id: int) -> QueueTicket:
    """The ticket, locked until the transaction ends (404 when there is none)."""
    ticket = session.scalars(_LOCK_TICKET, {"ticket": ticket_id}).first()
    if ticket is None:
        raise NotFound("not_found", what=f"queue ticket {ticket_id}")
    return ticket


_LOCK_TICKET = (
    select(QueueTicket)
    .where(QueueTicket.id == bindparam("ticket"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _held(
    session: Session, ctx: QueueContext, profile: AccessProfile, ticket_id: int
) -> QueueTicket:
    ticket = lock_ticket(session, ticket_id)
    if ticket.state not in IN_HAND:
        raise Conflict("queue_ticket_not_in_hand", number=ticket.number, state=ticket.state)
    if ticket.operator_id != profile.user_id and not profile.unrestricted:
        raise AccessDenied("queue_not_your_ticket", right="queue:operator", number=ticket.number)
    return ticket


def _release(session: Session, ctx: QueueContext, ticket: QueueTicket) -> None:
    """The operator holding the ticket holds nothing now; their panel is told."""
    if ticket.operator_id is None:
        return
    operator = session.get(QueueOperator, ticket.operator_id)
    if operator is not None and operator.ticket_id == ticket.id:
        operator.ticket_id = None
        session.flush()
        queue_publish.publish_assignment(session, ctx, operator)


def _close_task(
    session: Session,
    ctx: QueueContext,
    ticket: QueueTicket,
    profile: AccessProfile | None,
    note: str,
) -> None:
    """Record the outcome in the ticket's task and set it Done with its executors (Q-6)."""
    if ticket.task_id is None or profile is None:
        return
    task = session.get(Task, ticket.task_id)
    if task is None:
        return
    started = ticket.started_at or ticket.called_at or ctx.now
    minutes = max(0, int((ctx.now - started).total_seconds() // 60))
    changes: dict[str, object] = {}
    if note:
        changes["content"] = "\n".join(part for part in (task.content, note) if part)
    if minutes:
        changes["time_spent_minutes"] = task.time_spent_minutes + minutes
    if changes:
        tasks.update_task(session, profile=profile, task_id=task.id, changes=changes, tz=ctx.tz)
    else:  # nothing to write, and no "changed" in the task's history: the right still counts
        tasks.require_task(profile, Action.CHANGE, session, task)
    done = tasks.status_by_code(session, tasks.DONE)
    if task.status_id != done.id:
        tasks.set_status(
            session, profile=profile, task=task, status=done, tz=ctx.tz, with_executors=True
        )


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    clean = note.strip()
    if len(clean) > MAX_NOTE or "\x00" in clean:
        raise Invalid("queue_note_invalid", field="note", max=MAX_NOTE)
    return clean or None


def recall(
    session: Session, ctx: QueueContext, *, profile: AccessProfile, ticket_id: int
) -> TicketChange:
    """Call the visitor again; past the configured number of recalls it becomes a no-show."""
    ticket = _held(session, ctx, profile, ticket_id)
    if ticket.state != CALLED:
        raise Conflict("queue_ticket_not_in_hand", number=ticket.number, state=ticket.state)
    limit = params(session).no_show_after_recalls
    if limit is not None and ticket.recalls >= limit:
        return _no_show(session, ctx, ticket, profile, "no_show_after_recalls")
    operator = session.get(QueueOperator, ticket.operator_id)
    phone = lines.operator_phone(session, operator) if ticket.line_device and operator else None
    if ticket.line_device and phone is None:
        raise Conflict("queue_caller_needs_phone", number=ticket.number)
    ticket.recalls += 1
    ticket.last_called_at = ctx.now
    if phone is not None:
        # A caller whose operator's phone did not answer: the line agent dials it again.
        ticket.call_outcome = None
    session.flush()
    facts.visit_changed(session, ctx, ticket)
    if phone is not None:
        who = access.person(session, ticket.operator_id) if ticket.operator_id else None
        lines.send_job(
            session, ctx, ticket=ticket, target=phone, operator=who.name if who else None
        )
    else:
        queue_publish.announce(session, ctx, ticket, recall=True)
    queue_publish.publish_board(session, ctx)
    if operator is not None:
        queue_publish.publish_assignment(session, ctx, operator)
    return TicketChange(ticket=describe(session, ticket, ctx=ctx))


def start_serving(
    session: Session, ctx: QueueContext, *, profile: AccessProfile, ticket_id: int
) -> TicketChange:
    """The called visitor has come to the window: serving starts (no automatic no-show now)."""
    ticket = _held(session, ctx, profile, ticket_id)
    if ticket.state == CALLED:
        ticket.state, ticket.started_at = SERVING, ctx.now
        session.flush()
        facts.visit_changed(session, ctx, ticket)
        queue_publish.publish_board(session, ctx)
        operator = session.get(QueueOperator, ticket.operator_id)
        if operator is not None:
            queue_publish.publish_assignment(session, ctx, operator)
    return TicketChange(ticket=describe(session, ticket, ctx=ctx))


def _no_show(
    session: Session,
    ctx: QueueContext,
    ticket: QueueTicket,
    profile: AccessProfile | None,
    why: str,
    note: str | None = None,
) -> TicketChange:
    text = {"manual": "Не з'явився / No-show"}.get(why, f"Не з'явився / No-show ({why})")
    _close_task(session, ctx, ticket, profile, "\n".join(p for p in (text, note) if p))
    ticket.state, ticket.finished_at = NO_SHOW, ctx.now
    ticket.note = note or why
    session.flush()
    facts.visit_changed(session, ctx, ticket, outcome=NO_SHOW)
    _release(session, ctx, ticket)
    queue_publish.publish_board(session, ctx)
    return TicketChange(ticket=describe(session, ticket, ctx=ctx))


def no_show(
    session: Session,
    ctx: QueueContext,
    *,
    profile: AccessProfile,
    ticket_id: int,
    note: str | None = None,
) -> TicketChange:
    """The called visitor did not come: the ticket ends as a no-show, its task is closed."""
    clean = _note(note)
    ticket = _held(session, ctx, profile, ticket_id)
    if ticket.state != CALLED:
        raise Conflict("queue_ticket_not_in_hand", number=ticket.number, state=ticket.state)
    return _no_show(session, ctx, ticket, profile, "manual", clean)


def done(
    session: Session,
    ctx: QueueContext,
    *,
    profile: AccessProfile,
    ticket_id: int,
    note: str | None = None,
    work: Work | None = None,
) -> TicketChange:
    """The visit is over: the ticket is done and its task gets the operator's note, time and
    percent (Q-6); at 100 % (the default) the task is Done when all its executors are."""
    clean = _note(note)
    work = work or Work()
    work.check()
    ticket = _held(session, ctx, profile, ticket_id)
    finish_task(session, ctx, ticket, profile, clean or "", work)
    ticket.state, ticket.finished_at = DONE, ctx.now
    ticket.started_at = ticket.started_at or ticket.called_at
    ticket.note = clean
    session.flush()
    facts.visit_changed(session, ctx, ticket, outcome=DONE)
    _release(session, ctx, ticket)
    queue_publish.publish_board(session, ctx)
    return TicketChange(ticket=describe(session, ticket, ctx=ctx))


def transfer(
    session: Session,
    ctx: QueueContext,
    *,
    profile: AccessProfile,
    ticket_id: int,
    target_service_id: int | None = None,
    target_user_id: int | None = None,
    front: bool = False,
    reason: str | None = None,
) -> TicketChange:
    """Send a called (or waiting) ticket to another service and/or operator, optionally first.

    The visitor keeps their number and effective time; the task made for the first operator is
    closed with the reason, and a new one is made by whoever is given the ticket next.
    """
    clean = _note(reason)
    if target_service_id is None and target_user_id is None:
        raise Invalid("queue_transfer_target_required", field="target_service_id")
    ticket = lock_ticket(session, ticket_id)
    if ticket.state != WAITING:
        ticket = _held(session, ctx, profile, ticket_id)  # in hand, by this operator
    source = ticket.project_id
    target = queue_service(session, target_service_id or source, field="target_service_id")
    if target_user_id is not None:
        user = session.get(User, target_user_id) if target_user_id > 0 else None
        if user is None or not user.is_active:
            raise Invalid("queue_operator_unknown", field="target_user_id", id=target_user_id)
    facts.visit_changed(session, ctx, ticket, outcome=facts.TRANSFERRED)
    if ticket.state in IN_HAND:
        moved = f"Передано / Transferred → {target.name}" + (f": {clean}" if clean else "")
        _close_task(session, ctx, ticket, profile, moved)
        _release(session, ctx, ticket)
    if target.id != source:
        event = session.get(Event, ticket.event_id)
        if event is not None:
            event.project_id, event.journal_id = target.id, target.journal_id
        ticket.transferred_from_id = source
    ticket.project_id = target.id
    ticket.state = WAITING
    ticket.lane = FRONT if front else NORMAL
    ticket.target_operator_id = target_user_id
    ticket.operator_id = ticket.window = ticket.task_id = None
    ticket.called_at = ticket.last_called_at = ticket.started_at = None
    ticket.recalls = 0
    ticket.transfers += 1
    ticket.transfer_reason = clean
    session.flush()
    facts.visit_joined(session, ctx, ticket)
    audit.record(
        session,
        entity="event",
        entity_id=ticket.event_id,
        action="queue_transfer",
        user_id=profile.user_id,
        changes={"project_id": [source, target.id], "operator": target_user_id, "front": front},
    )
    assignment = offer(session, ctx, ticket)
    if assignment is None:
        queue_publish.publish_board(session, ctx)
    return TicketChange(ticket=describe(session, ticket, ctx=ctx), assignment=assignment)


def cancel_in_hand(session: Session, ctx: QueueContext, ticket: QueueTicket, note: str) -> None:
    """The visitor gave up a called ticket: its task is closed with ``note``, the operator freed."""
    _close_task(session, ctx, ticket, _system_profile(session, ticket), note)
    _release(session, ctx, ticket)


def _system_profile(session: Session, ticket: QueueTicket) -> AccessProfile | None:
    # An automatic no-show acts for the operator who held the ticket, with no rights needed:
    # the rule itself is the authority, and the task's history names that operator.
    user = session.get(User, ticket.operator_id) if ticket.operator_id else None
    if user is None:
        return None
    return AccessProfile(user_id=user.id, username=user.username, full_access=True)


def expire_overdue(
    session: Session, now: datetime, *, site: str = "main", tz: tzinfo = UTC
) -> ExpiryResult:
    """Automatic endings the coordinator runs periodically.

    Bookings not checked in by the end of their late window expire; called visitors who have
    not come ``no_show_after_seconds`` after the last call become no-shows; visitors still in
    line when their day is over are let go (``_day_over``).
    """
    ctx = QueueContext(now=now, tz=tz, site=site)
    settings = params(session)
    result = ExpiryResult()
    late = timedelta(minutes=settings.late_checkin_minutes)
    bookings = session.scalars(
        select(QueueTicket)
        .where(QueueTicket.state == BOOKED, QueueTicket.effective_at < now - late)
        .order_by(QueueTicket.id)
        .limit(500)
        .with_for_update(skip_locked=True)
    ).all()
    for ticket in bookings:
        ticket.state = "expired"
        result.expired.append(ticket.id)
    if settings.no_show_after_seconds is not None:
        overdue = now - timedelta(seconds=settings.no_show_after_seconds)
        called = session.scalars(
            select(QueueTicket)
            .where(
                QueueTicket.state == CALLED,
                QueueTicket.last_called_at <= overdue,
                # A visitor who said they are running late is waited for until then.
                or_(QueueTicket.late_until.is_(None), QueueTicket.late_until <= now),
            )
            .order_by(QueueTicket.id)
            .limit(500)
            .with_for_update(skip_locked=True)
        ).all()
        for ticket in called:
            _no_show(session, ctx, ticket, _system_profile(session, ticket), "timeout")
            result.no_shows.append(ticket.id)
    _late_over(session, ctx, result)
    _day_over(session, ctx, result)
    session.flush()
    return result


DAY_CLOSED = "day_closed"


def _day_over(session: Session, ctx: QueueContext, result: ExpiryResult) -> None:
    """Tickets still waiting from an earlier day (local midnight has passed) are cancelled.

    A ticket is for its day (Q-4: numbers restart each day, and its live page expires at the
    day's end): left in line, yesterday's "001" would stand beside today's and be the first
    handed out in the morning. A caller still on a line's call is left to the line agent (the
    call ends with ``left`` or ``held``); one to be called back is closed with the others.
    """
    stale = session.scalars(
        select(QueueTicket)
        .where(QueueTicket.state == WAITING, QueueTicket.service_day < ctx.today)
        .order_by(QueueTicket.id)
        .limit(500)
        .with_for_update(skip_locked=True)
    ).all()
    for ticket in stale:
        if ticket.line_call is not None and ticket.call_outcome != lines.CALLBACK:
            continue
        ticket.note = ticket.note or DAY_CLOSED
        end_cancelled(session, ctx, ticket, user_id=None, action="queue_day_closed")
        result.day_closed.append(ticket.id)
    if result.day_closed:
        queue_publish.publish_board(session, ctx)


def _late_over(session: Session, ctx: QueueContext, result: ExpiryResult) -> None:
    """Waiting visitors whose "running late" time is up are offered to a free operator again."""
    late = session.scalars(
        select(QueueTicket)
        .where(QueueTicket.state == WAITING, QueueTicket.late_until <= ctx.now)
        .order_by(QueueTicket.id)
        .limit(500)
        .with_for_update(skip_locked=True)
    ).all()
    for ticket in late:
        ticket.late_until = None
        session.flush()
        offer(session, ctx, ticket)
        result.back_in_line.append(ticket.id)
