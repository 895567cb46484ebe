"""What displays and panels are told after a queue change, written to the outbox (DESIGN.md).

The board and each panel's assignment are retained: a device that (re)connects gets the latest
state at once. Announcements are events: one per call or recall.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models.queue import QueueOperator, QueueTicket
from hub.protocol import topics
from hub.services import outbox
from hub.services.queue import QueueContext, waiting_counts

VERSION = 1
BOARD_CALLS = 10
ANNOUNCE_LANGUAGES = ("uk", "en")


def board_payload(session: Session, ctx: QueueContext) -> dict[str, Any]:
    """The whole board: today's last calls, newest first, and the waiting count per service."""
    rows = session.scalars(
        select(QueueTicket)
        .where(QueueTicket.last_called_at >= ctx.day_start())
        .order_by(QueueTicket.last_called_at.desc(), QueueTicket.id.desc())
        .limit(BOARD_CALLS)
    )
    calls = [
        {
            "ticket_id": row.id,
            "number": row.number,
            "window": row.window,
            "service_id": row.project_id,
            "called_at": row.last_called_at.isoformat() if row.last_called_at else None,
            "state": row.state,
        }
        for row in rows
    ]
    waiting = {str(key): value for key, value in sorted(waiting_counts(session).items())}
    return {"v": VERSION, "calls": calls, "waiting": waiting, "at": ctx.now.isoformat()}


def publish_board(session: Session, ctx: QueueContext) -> None:
    """Queue the retained board after a change of any line or call."""
    outbox.enqueue(session, topics.display_board(ctx.site), board_payload(session, ctx), True)


def announce(session: Session, ctx: QueueContext, ticket: QueueTicket, *, recall: bool) -> None:
    """Queue one call (or recall) for the displays to show and speak."""
    payload = {
        "v": VERSION,
        "ticket_id": ticket.id,
        "number": ticket.number,
        "window": ticket.window,
        "service_id": ticket.project_id,
        "recall": recall,
        "lang": list(ANNOUNCE_LANGUAGES),
        "at": ctx.now.isoformat(),
    }
    outbox.enqueue(session, topics.display_announce(ctx.site), payload, False)


def assignment_payload(session: Session, operator: QueueOperator) -> dict[str, Any]:
    """What the operator's panel shows: the ticket in hand (or null), its task and the window."""
    ticket = session.get(QueueTicket, operator.ticket_id) if operator.ticket_id else None
    body: dict[str, Any] | None = None
    if ticket is not None:
        since = ticket.arrived_at or ticket.effective_at
        waited = (ticket.called_at - since).total_seconds() if ticket.called_at else 0.0
        body = {
            "id": ticket.id,
            "number": ticket.number,
            "service_id": ticket.project_id,
            "state": ticket.state,
            "client": {
                "name": ticket.client_name,
                "phone": ticket.phone,
                "companies": ticket.companies,
            },
            "booked_at": ticket.booked_at.isoformat() if ticket.booked_at else None,
            "waited_s": max(0, int(waited)),
            "recalls": ticket.recalls,
        }
    return {
        "v": VERSION,
        "ticket": body,
        "task_id": ticket.task_id if ticket is not None else None,
        "window": operator.window,
        "status": operator.status,
    }


def publish_assignment(session: Session, ctx: QueueContext, operator: QueueOperator) -> None:
    """Queue the retained assignment of the operator's panel, when the operator uses one."""
    if not operator.device_id:
        return
    topic = topics.panel_assignment(ctx.site, operator.device_id)
    outbox.enqueue(session, topic, assignment_payload(session, operator), True)
