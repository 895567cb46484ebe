"""The coordinator's adapter for line agents: a request becomes a call of queue.calls."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.protocol.lines import (
    LineCallback,
    LineConnected,
    LineHeld,
    LineJoin,
    LineLeft,
    LineReply,
    LineRequest,
    LineTicket,
)
from hub.services.queue import calls
from hub.services.queue.core import QueueContext, TicketInfo


def _ticket(info: TicketInfo) -> LineTicket:
    return LineTicket(
        id=info.id,
        number=info.number,
        service_id=info.service_id,
        state=info.state,
        position=info.position,
        estimated_wait_s=info.estimated_wait_s,
    )


def handle_line(
    session: Session, ctx: QueueContext, device_id: str, request: LineRequest
) -> LineReply:
    """A caller joins a service's line, asks their place, hangs up, or reached the operator;
    or the line (re)connected and says which calls it holds."""
    line = calls.line_agent(session, device_id).id
    if isinstance(request, LineHeld):
        gone = calls.held(session, ctx, line=line, call_ids=request.call_ids)
        return LineReply(request_id=request.request_id, ok=True, abandoned=gone)
    if isinstance(request, LineJoin):
        info = calls.join(
            session,
            ctx,
            line=line,
            call_id=request.call_id,
            service_id=request.service_id,
            remote=request.remote,
        ).ticket
    elif isinstance(request, LineLeft):
        info = calls.left(session, ctx, line=line, call_id=request.call_id)
    elif isinstance(request, LineCallback):
        info = calls.callback(session, ctx, line=line, call_id=request.call_id)
    elif isinstance(request, LineConnected):
        info = calls.connected(
            session, ctx, line=line, call_id=request.call_id, ok=request.ok, reason=request.reason
        )
    else:
        info = calls.place(session, ctx, line=line, call_id=request.call_id)
    return LineReply(request_id=request.request_id, ok=True, ticket=_ticket(info))
