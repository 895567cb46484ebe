"""The visitor's letters about a public booking (Q-2a): confirmation with the code, its QR code
and a calendar entry (.ics), a reminder before the slot, a notice when it is cancelled; each in
the language the visitor booked in."""

from __future__ import annotations

import html
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.models.booking import BookingContact, BookingSeat
from hub.db.models.queue import QueueTicket
from hub.services.mail import outbox
from hub.services.mail.outbox import Letter, Part
from hub.services.mail.texts import say
from hub.services.queue.core import BOOKED, QueueContext, TicketInfo, describe, params
from hub.services.settings.parameters import get_global

QR_CID = "booking-qr@cherga"
FALLBACK_SENDER = "cherga@localhost"


def sender(session: Session) -> str:
    """The From address of the system's letters."""
    return get_global(session).mail.sender or FALLBACK_SENDER


def qr_png(data: str) -> bytes:
    """A PNG QR code of ``data`` (medium error correction)."""
    # Imported on first use (with Pillow under it): a hub starts without them (bench/pi_hub.py).
    import qrcode  # type: ignore[import-untyped]

    maker = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=8)
    maker.add_data(data)
    maker.make(fit=True)
    buffer = io.BytesIO()
    maker.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    # RFC 5545: lines of at most 75 octets, continued with a leading space.
    out, current = [], b""
    for ch in line:
        encoded = ch.encode()
        if len(current) + len(encoded) > 75:
            out.append(current.decode())
            current = b" "
        current += encoded
    out.append(current.decode())
    return "\r\n".join(out)


def calendar_entry(
    *, uid: str, starts_at: datetime, ends_at: datetime, summary: str, text: str, now: datetime
) -> bytes:
    """An iCalendar (RFC 5545) event, times in UTC, published (not an invitation)."""

    def utc(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Cherga//Booking//UK",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{utc(now)}",
        f"DTSTART:{utc(starts_at)}",
        f"DTEND:{utc(ends_at)}",
        f"SUMMARY:{_ics_text(summary)}",
        f"DESCRIPTION:{_ics_text(text)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


def _when(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M") if moment else ""


def _values(ticket: TicketInfo, ctx: QueueContext) -> dict[str, str]:
    base = (ctx.office_url or "").rstrip("/")
    return {
        "service": ticket.service_name,
        "when": _when(ticket.booked_at, ctx.tz),
        "number": ticket.number,
        "code": ticket.booking_code or "",
        "name": ticket.client_name or "",
        "cancel": f"{base}/book/cancel?code={ticket.booking_code or ''}",
    }


def _slot_end(session: Session, ticket: TicketInfo) -> datetime:
    start = ticket.booked_at or ticket.effective_at
    last = session.scalar(
        select(func.max(BookingSeat.unit_start)).where(BookingSeat.ticket_id == ticket.id)
    )
    return (last or start) + timedelta(minutes=params(session).default_service_minutes)


def confirm(
    session: Session, ctx: QueueContext, ticket: TicketInfo, *, email: str | None, lang: str
) -> int | None:
    """Queue the booking's confirmation (code, QR code, .ics) if the visitor gave an e-mail."""
    if not email or not ticket.booking_code or ticket.booked_at is None:
        return None
    values = _values(ticket, ctx)
    text = say("booking_body", lang, **values)
    safe = {key: html.escape(value) for key, value in values.items()}
    alt = html.escape(say("booking_qr_alt", lang))
    body = "<br>".join(html.escape(line) for line in text.splitlines())
    page = (
        f'<html lang="{lang}"><body><p>{body}</p>'
        f'<p><img src="cid:{QR_CID}" alt="{alt}" width="200" height="200"></p>'
        f"<p><strong>{safe['code']}</strong></p></body></html>"
    )
    ics = calendar_entry(
        uid=f"booking-{ticket.id}@cherga",
        starts_at=ticket.booked_at,
        ends_at=_slot_end(session, ticket),
        summary=f"{ticket.service_name} {ticket.number}",
        text=text,
        now=ctx.now,
    )
    letter = Letter(
        to=email,
        to_name=ticket.client_name,
        subject=say("booking_subject", lang, **values),
        text=text,
        html=page,
        parts=(
            Part("qr.png", qr_png(ticket.booking_code), "image/png", cid=QR_CID),
            Part("booking.ics", ics, "text/calendar"),
        ),
    )
    return outbox.enqueue(
        session,
        letter,
        key=f"booking:{ticket.id}:confirm",
        kind="booking_confirm",
        sender=sender(session),
        now=ctx.now,
    )


def _contact(session: Session, ticket_id: int) -> BookingContact | None:
    return session.get(BookingContact, ticket_id)


def _notice(
    session: Session, ctx: QueueContext, ticket: TicketInfo, contact: BookingContact, what: str
) -> int | None:
    """Queue a plain letter about the booking: ``booking_{what}_subject`` and ``_body``."""
    if not contact.email:
        return None
    values = _values(ticket, ctx)
    letter = Letter(
        to=contact.email,
        to_name=ticket.client_name,
        subject=say(f"booking_{what}_subject", contact.lang, **values),
        text=say(f"booking_{what}_body", contact.lang, **values),
    )
    return outbox.enqueue(
        session,
        letter,
        key=f"booking:{ticket.id}:{what}",
        kind=f"booking_{what}",
        sender=sender(session),
        now=ctx.now,
    )


def cancelled(session: Session, ctx: QueueContext, ticket: TicketInfo) -> int | None:
    """Queue the notice that a booking was cancelled, to the visitor who left an e-mail."""
    contact = _contact(session, ticket.id)
    if contact is None:
        return None
    if not ticket.booking_code:  # described without it for the hall administrator
        code = session.scalar(select(QueueTicket.booking_code).where(QueueTicket.id == ticket.id))
        ticket = replace(ticket, booking_code=code)
    return _notice(session, ctx, ticket, contact, "cancel")


def remind_due(session: Session, ctx: QueueContext, limit: int = 200) -> int:
    """Queue the reminders of bookings whose slot is within the set hours; returns how many."""
    hours = get_global(session).mail.booking_reminder_hours
    if hours <= 0:
        return 0
    rows = session.scalars(
        select(QueueTicket)
        .join(BookingContact, BookingContact.ticket_id == QueueTicket.id)
        .where(
            QueueTicket.state == BOOKED,
            QueueTicket.booked_at > ctx.now,
            QueueTicket.booked_at <= ctx.now + timedelta(hours=hours),
            BookingContact.email.is_not(None),
            BookingContact.reminded_at.is_(None),
        )
        .order_by(QueueTicket.booked_at)
        .limit(limit)
    ).all()
    for row in rows:
        contact = _contact(session, row.id)
        assert contact is not None  # by the query
        info = describe(session, row, with_estimate=False, with_code=True)
        _notice(session, ctx, info, contact, "remind")
        contact.reminded_at = ctx.now
    session.flush()
    return len(rows)
