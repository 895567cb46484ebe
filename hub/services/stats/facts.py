"""Recording the facts the statistics read, inside the queue's own transactions (STAT-1).

The queue's functions call these as they change a ticket or an operator's status: a ticket's
stay in a service (``queue_visits``) follows its row, and the time an operator spent in a status
is written, split by local hour, when the status changes (``operator_spans``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from hub.db.base import core_connection, insert_row, table_of
from hub.db.models import Project
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.db.models.stats import OperatorSpan, QueueVisit
from hub.services.queue.core import QueueContext
from hub.services.stats import summary

OPEN, TRANSFERRED = "open", "transferred"
# Statuses whose time is not worth a row: the operator is not at work.
UNCOUNTED = frozenset({"offline"})


def local_hour(moment: datetime, tz: tzinfo) -> tuple[date, int]:
    """The office's local day and hour of ``moment``."""
    local = moment.astimezone(tz)
    return local.date(), local.hour


def seconds_between(later: datetime | None, earlier: datetime | None) -> int | None:
    """Whole seconds from ``earlier`` to ``later`` (never negative), None when either is."""
    if later is None or earlier is None:
        return None
    return max(0, round((later - earlier).total_seconds()))


def split_by_hour(start: datetime, end: datetime, tz: tzinfo) -> list[tuple[date, int, float]]:
    """The part of [start, end) in each local hour: (day, hour, seconds), in order.

    Arithmetic is done in UTC, so a day with a clock change is right: the repeated hour of
    autumn gives two pieces with the same (day, hour), the skipped hour of spring none.
    """
    pieces: list[tuple[date, int, float]] = []
    moment, end = start.astimezone(UTC), end.astimezone(UTC)
    while moment < end:
        local = moment.astimezone(tz)
        into = timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
        boundary = min(end, moment - into + timedelta(hours=1))
        pieces.append((local.date(), local.hour, (boundary - moment).total_seconds()))
        moment = boundary
    return pieces


# ---- visits ------------------------------------------------------------------------------------

_V = table_of(QueueVisit).c
_P = table_of(Project).c
_OPEN_VISIT = (
    select(table_of(QueueVisit), _P.target_wait_s)
    .join(table_of(Project), _P.id == _V.service_id)
    .where(_V.ticket_id == bindparam("ticket"), _V.outcome == OPEN)
    .order_by(_V.id.desc())
    .limit(1)
)
_UPDATE_VISIT = (
    update(table_of(QueueVisit))
    .where(_V.id == bindparam("visit"))
    .values(
        called_at=bindparam("called"),
        started_at=bindparam("started"),
        ended_at=bindparam("ended"),
        operator_id=bindparam("operator"),
        window=bindparam("win"),
        recalls=bindparam("recall_count"),
        wait_s=bindparam("waited"),
        service_s=bindparam("served"),
        within_target=bindparam("within"),
        outcome=bindparam("result"),
        call_outcome=bindparam("call"),
        ticket_finished_at=bindparam("finished"),
    )
)
# A caller's other visits (before a transfer), for the copies of their ticket's call outcome.
_CALLER_VISITS = (
    select(table_of(QueueVisit))
    .where(_V.ticket_id == bindparam("ticket"), _V.id != bindparam("open"))
    .order_by(_V.id)
)
_COPY_TICKET = (
    update(table_of(QueueVisit))
    .where(_V.id == bindparam("visit"))
    .values(call_outcome=bindparam("call"), ticket_finished_at=bindparam("finished"))
)


# What a visit not called yet holds besides what ``visit_joined`` writes.
_NEW_VISIT: dict[str, Any] = {
    "called_at": None,
    "started_at": None,
    "ended_at": None,
    "operator_id": None,
    "window": None,
    "wait_s": None,
    "service_s": None,
    "within_target": None,
}


def visit_joined(session: Session, ctx: QueueContext, ticket: QueueTicket) -> None:
    """The ticket joined its service's line now (an arrival, a check-in, a transfer).

    The wait counts from the later of its arrival and its effective time: a booking that came
    early waits from its booked time, a transferred visitor from the transfer.
    """
    arrived = ticket.arrived_at or ctx.now
    joined = max(arrived, ticket.effective_at) if ticket.transfers == 0 else ctx.now
    day, hour = local_hour(joined, ctx.tz)
    visit: dict[str, Any] = {
        "ticket_id": ticket.id,
        "service_id": ticket.project_id,
        "kind": ticket.kind,
        "day": day,
        "hour": hour,
        "joined_at": joined,
        "recalls": 0,
        "outcome": OPEN,
        **_copies(ticket),
    }
    insert_row(session, QueueVisit, **visit)
    summary.visit_moved(session, None, _NEW_VISIT | visit)


def _copies(ticket: QueueTicket) -> dict[str, Any]:
    """What a visit copies of its ticket for the callers' summary (nothing for a visitor)."""
    caller = ticket.line_device is not None
    return {
        "caller": caller,
        "call_outcome": ticket.call_outcome if caller else None,
        "ticket_finished_at": ticket.finished_at if caller else None,
    }


def visit_changed(
    session: Session, ctx: QueueContext, ticket: QueueTicket, *, outcome: str = OPEN
) -> None:
    """Copy the ticket's call, service and outcome to its open visit (closed unless ``open``).

    Every change of a ticket that the statistics read comes through here, after the ticket is
    changed (a caller's ``call_outcome`` too): the visit's share in the summary moves, and a
    caller's earlier visits take the ticket's call outcome and end as well.
    """
    connection = core_connection(session)
    found = connection.execute(_OPEN_VISIT, {"ticket": ticket.id}).first()
    moves = [_open_visit_changed(session, ctx, ticket, found, outcome)] if found else []
    if ticket.line_device is not None:
        moves += _caller_visits_changed(session, ticket, found.id if found is not None else None)
    summary.visits_moved(session, moves)


Move = tuple[Mapping[Any, Any], dict[str, Any]]


def _open_visit_changed(
    session: Session, ctx: QueueContext, ticket: QueueTicket, found: Any, outcome: str
) -> Move:
    """Write the ticket's state to its open visit: the visit before and after."""
    connection = core_connection(session)
    copies = _copies(ticket)
    started = ticket.started_at or (ticket.called_at if outcome == "done" else None)
    ended = ctx.now if outcome != OPEN else None
    waited = seconds_between(ticket.called_at, found.joined_at)
    served = seconds_between(ended, started) if outcome == "done" else None
    within = waited <= found.target_wait_s if waited is not None else None
    connection.execute(
        _UPDATE_VISIT,
        {
            "visit": found.id,
            "called": ticket.called_at,
            "started": ticket.started_at,
            "ended": ended,
            "operator": ticket.operator_id,
            "win": ticket.window,
            "recall_count": ticket.recalls,
            "waited": waited,
            "served": served,
            "within": within,
            "result": outcome,
            "call": copies["call_outcome"],
            "finished": copies["ticket_finished_at"],
        },
    )
    before = found._mapping
    after = {
        **before,
        "called_at": ticket.called_at,
        "started_at": ticket.started_at,
        "ended_at": ended,
        "operator_id": ticket.operator_id,
        "window": ticket.window,
        "recalls": ticket.recalls,
        "wait_s": waited,
        "service_s": served,
        "within_target": within,
        "outcome": outcome,
        "call_outcome": copies["call_outcome"],
        "ticket_finished_at": copies["ticket_finished_at"],
    }
    return before, after


def _caller_visits_changed(
    session: Session, ticket: QueueTicket, open_visit: int | None
) -> list[Move]:
    """A caller's closed visits take the ticket's call outcome and end as they are now: those
    that change, before and after."""
    copies = _copies(ticket)
    connection = core_connection(session)
    found = connection.execute(_CALLER_VISITS, {"ticket": ticket.id, "open": open_visit or 0})
    moves: list[Move] = []
    for row in found.all():
        before = row._mapping
        if (before["call_outcome"], before["ticket_finished_at"]) == (
            copies["call_outcome"],
            copies["ticket_finished_at"],
        ):
            continue
        connection.execute(
            _COPY_TICKET,
            {
                "visit": before["id"],
                "call": copies["call_outcome"],
                "finished": copies["ticket_finished_at"],
            },
        )
        moves.append((before, {**before, **copies}))
    return moves


# ---- operators' time ---------------------------------------------------------------------------

_SPANS = insert(table_of(OperatorSpan))


def status_changed(
    session: Session,
    ctx: QueueContext,
    operator: QueueOperator,
    status: str,
    *,
    restart: bool = False,
) -> None:
    """Set the operator's user status; the time spent in the previous one is written.

    The same status again changes nothing unless ``restart`` (a new visitor: busy again).
    """
    if operator.status == status and not restart:
        return
    record_span(session, ctx, operator)
    operator.status, operator.status_since = status, ctx.now


def record_span(session: Session, ctx: QueueContext, operator: QueueOperator) -> None:
    """Write the time from ``status_since`` to now in the operator's current status."""
    if operator.status in UNCOUNTED or operator.status_since is None:
        return
    pieces = split_by_hour(operator.status_since, ctx.now, ctx.tz)
    rows = [
        {
            "user_id": operator.user_id,
            "status": operator.status,
            "window": operator.window,
            "day": day,
            "hour": hour,
            "started_at": operator.status_since,
            "seconds": round(seconds),
        }
        for day, hour, seconds in pieces
        if seconds > 0
    ]
    if rows:
        core_connection(session).execute(_SPANS, rows)
