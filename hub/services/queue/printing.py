"""Printing queue tickets (Q-2): jobs to printers, their outcome, failed prints and reprints.

A job is written to ``print_jobs`` and to the outbox in the transaction of the ticket (or the
reprint), so a printer never gets a ticket that was rolled back. The printer's answer is stored
on the job; the kiosk that asked for the ticket is told on its reply topic (a second reply to
its request, ``printed`` now true or false), so it can show "remember your number".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.models import Device, PrintJob
from hub.db.models.queue import QueueTicket
from hub.errors import Invalid, NotFound
from hub.protocol import topics
from hub.protocol.base import Lang
from hub.protocol.devices import PrinterJob, PrinterResult, PrintTicket
from hub.protocol.messages import KioskReply, TicketInfo
from hub.protocol.zones import zone_name
from hub.services.common import outbox
from hub.services.queue import links
from hub.services.queue.core import QueueContext, describe, get_ticket

MAX_COPIES = 5
FAILED_LIST = 200


@dataclass(frozen=True)
class PrintJobInfo:
    """A print job as the hall console lists it."""

    id: str
    ticket_id: int
    number: str
    service_id: int
    printer_id: str
    kiosk_id: str | None
    state: str
    error_code: str | None
    error_message: str | None
    created_at: datetime
    finished_at: datetime | None


def _printer(session: Session, printer_id: str, site: str) -> Device:
    printer = session.get(Device, printer_id) if isinstance(printer_id, str) else None
    if (
        printer is None
        or printer.role != "printer"
        or printer.revoked_at is not None
        or printer.site != site
    ):
        raise Invalid("print_printer_unknown", field="printer", printer_id=printer_id)
    return printer


def send(
    session: Session,
    ctx: QueueContext,
    *,
    ticket_id: int,
    printer_id: str,
    lang: Lang = "uk",
    copies: int = 1,
    kiosk_id: str | None = None,
    request_id: uuid.UUID | None = None,
    page_token: str | None = None,
) -> PrintJobInfo:
    """Queue a print of the ticket on ``printer_id`` (sent after the transaction commits).

    Its QR code opens the ticket's live page with ``page_token`` (the link made with the
    ticket); a reprint gets a link of its own, as only a hash of the first one is kept.
    """
    if not 1 <= copies <= MAX_COPIES:
        raise Invalid("print_copies_invalid", field="copies", max=MAX_COPIES)
    printer = _printer(session, printer_id, ctx.site)
    ticket = get_ticket(session, ticket_id)
    info = describe(session, ticket, ctx=ctx)
    if page_token is None and ctx.visitor_url:
        page_token = links.mint(session, ctx, ticket)
    job_id = uuid.uuid4()
    last = session.scalar(select(func.max(PrintJob.attempt)).where(PrintJob.ticket_id == ticket.id))
    row = PrintJob(
        id=str(job_id),
        ticket_id=ticket.id,
        attempt=(last or 0) + 1,
        printer_id=printer.id,
        kiosk_id=kiosk_id,
        request_id=str(request_id) if request_id else None,
        created_at=ctx.now,
    )
    session.add(row)
    session.flush()
    job = PrinterJob(
        job_id=job_id,
        copies=copies,
        ticket=PrintTicket(
            id=info.id,
            number=info.number,
            service_id=info.service_id,
            service_name=info.service_name[:200] or "-",
            # When the visitor arrived (took the ticket or checked in for a booking); a reprint
            # shows that time, not the time of the reprint.
            issued_at=ticket.arrived_at or ticket.created_at,
            lang=lang,
            position=info.position,
            estimated_wait_s=info.estimated_wait_s,
            estimated_wait_low_s=info.estimated_wait_low_s,
            estimated_wait_high_s=info.estimated_wait_high_s,
            # A booked visitor's ticket carries their code (printed and in the QR code).
            booking_code=ticket.booking_code,
            page_url=links.page_url(ctx, page_token),
            tz=zone_name(ctx.tz),
        ),
    )
    payload = job.model_dump(mode="json", exclude_none=True)
    outbox.enqueue(session, topics.printer_job(ctx.site, printer.id), payload, False)
    return _info(session, row)


def record_result(
    session: Session, ctx: QueueContext, printer_id: str, result: PrinterResult
) -> bool:
    """Store a printer's answer to one of its own jobs and tell the kiosk that asked.

    Returns False for a job this printer was never sent. A repeated answer changes nothing.
    """
    job = session.get(PrintJob, str(result.job_id))
    if job is None or job.printer_id != printer_id:
        return False
    if job.state != "pending":
        return True
    job.state = "printed" if result.ok else "failed"
    job.error_code = result.error.code if result.error else None
    job.error_message = result.error.message if result.error else None
    job.finished_at = ctx.now
    session.flush()
    if job.kiosk_id and job.request_id:
        _tell_kiosk(session, ctx, job, printed=result.ok)
    return True


def _tell_kiosk(session: Session, ctx: QueueContext, job: PrintJob, *, printed: bool) -> None:
    ticket = session.get(QueueTicket, job.ticket_id)
    if ticket is None or job.kiosk_id is None or job.request_id is None:
        return
    info = describe(session, ticket, ctx=ctx)
    reply = KioskReply(
        request_id=uuid.UUID(job.request_id),
        ok=True,
        ticket=TicketInfo(
            id=info.id,
            number=info.number,
            service_id=info.service_id,
            position=info.position or 0,
            estimated_wait_s=info.estimated_wait_s,
            estimated_wait_low_s=info.estimated_wait_low_s,
            estimated_wait_high_s=info.estimated_wait_high_s,
            printed=printed,
        ),
    )
    topic = topics.kiosk_reply(ctx.site, job.kiosk_id)
    outbox.enqueue(session, topic, reply.model_dump(mode="json", exclude_none=True), False)


def failed(session: Session, ctx: QueueContext) -> list[PrintJobInfo]:
    """Today's tickets whose last print failed, newest first (the hall console reprints them)."""
    rows = session.scalars(
        select(PrintJob)
        .where(PrintJob.created_at >= ctx.day_start())
        # The attempt decides between prints of one ticket made at one clock reading.
        .order_by(PrintJob.created_at.desc(), PrintJob.attempt.desc())
        .limit(FAILED_LIST * 5)
    )
    latest: dict[int, PrintJob] = {}
    for row in rows:
        latest.setdefault(row.ticket_id, row)
    return [_info(session, row) for row in latest.values() if row.state == "failed"][:FAILED_LIST]


def jobs_of(session: Session, ticket_id: int) -> list[PrintJobInfo]:
    """Every print of one ticket, oldest first."""
    get_ticket(session, ticket_id)
    rows = session.scalars(
        select(PrintJob)
        .where(PrintJob.ticket_id == ticket_id)
        .order_by(PrintJob.created_at, PrintJob.attempt)
    )
    return [_info(session, row) for row in rows]


def _info(session: Session, row: PrintJob) -> PrintJobInfo:
    ticket = session.get(QueueTicket, row.ticket_id)
    if ticket is None:  # pragma: no cover - the job's foreign key cascades
        raise NotFound("not_found", what=f"queue ticket {row.ticket_id}")
    return PrintJobInfo(
        id=row.id,
        ticket_id=row.ticket_id,
        number=ticket.number,
        service_id=ticket.project_id,
        printer_id=row.printer_id,
        kiosk_id=row.kiosk_id,
        state=row.state,
        error_code=row.error_code,
        error_message=row.error_message,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )
