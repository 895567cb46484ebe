"""The mail outbox: letters written in the transaction of the change they report, then sent.

Delivery runs claim -> send -> mark: a row is claimed (``sending``, committed), handed to the
SMTP server, then marked ``sent`` (committed). A server that cannot be reached, or answers 4xx,
leaves the row ``pending`` with a later ``next_attempt_at`` (backoff) and its ``last_error``;
a 5xx answer, or too many attempts, makes it ``failed``. The one window where a letter can go
twice: the server accepted it and the hub died before the mark; a claim older than
``CLAIM_LEASE`` is then sent again (at-least-once), with the same Message-ID, so mail clients
show it once. Nothing else sends a letter twice: the key is unique and the claim is a
conditional update (one winner on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.db.base import insert_row_unless_taken
from hub.db.models.mail import MailOutboxRow

# ASCII on the wire whatever the text (quoted-printable/base64, RFC 2047 headers): any server.
POLICY = SMTP.clone(cte_type="7bit")
CLAIM_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 30
LONGEST_WAIT = timedelta(hours=1)
ERROR_MAX = 500


@dataclass(frozen=True)
class Part:
    """A file carried by a letter; ``cid`` makes it inline (an image the HTML shows)."""

    filename: str
    data: bytes
    content_type: str | None = None
    cid: str | None = None


@dataclass(frozen=True)
class Letter:
    """What to send: one recipient, a subject, plain text and optionally HTML and files."""

    to: str
    subject: str
    text: str
    html: str | None = None
    parts: Sequence[Part] = ()
    to_name: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True)
class Claimed:
    """A letter claimed for sending."""

    id: int
    recipient: str
    message: str
    attempts: int


def valid_address(raw: str | None) -> str | None:
    """The address normalised, or None when it is not one."""
    if not raw:
        return None
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def compose(letter: Letter, *, sender: str, now: datetime) -> EmailMessage:
    """The letter as a MIME message (text, HTML alternative, inline images, attachments)."""
    message = EmailMessage(policy=POLICY)
    domain = sender.rpartition("@")[2] or "cherga.local"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Date"] = format_datetime(now)
    message["From"] = sender
    local, _, host = letter.to.rpartition("@")
    message["To"] = Address(letter.to_name or "", local, host)
    if letter.reply_to:
        message["Reply-To"] = letter.reply_to
    message["Subject"] = letter.subject
    message.set_content(letter.text)
    inline = [part for part in letter.parts if part.cid]
    if letter.html is not None:
        message.add_alternative(letter.html, subtype="html")
        html_part = message.get_payload()[-1]  # type: ignore[index]
        assert isinstance(html_part, EmailMessage)
        for part in inline:
            maintype, subtype = _type(part).split("/", 1)
            html_part.add_related(
                part.data, maintype, subtype, cid=f"<{part.cid}>", filename=part.filename
            )
    for part in letter.parts:
        if part.cid and letter.html is not None:
            continue
        maintype, subtype = _type(part).split("/", 1)
        message.add_attachment(part.data, maintype, subtype, filename=part.filename)
    return message


def _type(part: Part) -> str:
    guessed = mimetypes.guess_type(part.filename)[0]
    return part.content_type or guessed or "application/octet-stream"


def enqueue(
    session: Session, letter: Letter, *, key: str, kind: str, sender: str, now: datetime
) -> int | None:
    """Queue a letter in the current transaction; None if ``key`` was queued before."""
    message = compose(letter, sender=sender, now=now)
    row_id = insert_row_unless_taken(
        session,
        MailOutboxRow,
        key=key[:200],
        kind=kind,
        recipient=letter.to,
        subject=letter.subject[:300],
        message_id=str(message["Message-ID"])[:200],
        message=message.as_string(policy=POLICY),
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    return int(row_id) if row_id is not None else None


def recover(session: Session, now: datetime) -> int:
    """Give claims older than the lease back to the queue (their hub stopped mid-send)."""
    result = session.execute(
        update(MailOutboxRow)
        .where(MailOutboxRow.state == "sending", MailOutboxRow.claimed_at < now - CLAIM_LEASE)
        .values(state="pending", next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def claim(session: Session, now: datetime, limit: int = 20) -> list[Claimed]:
    """Claim due letters for this sender; commit before sending them."""
    candidates = session.scalars(
        select(MailOutboxRow.id)
        .where(MailOutboxRow.state == "pending", MailOutboxRow.next_attempt_at <= now)
        .order_by(MailOutboxRow.next_attempt_at, MailOutboxRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    won = []
    for row_id in candidates:
        result = session.execute(
            update(MailOutboxRow)
            .where(MailOutboxRow.id == row_id, MailOutboxRow.state == "pending")
            .values(state="sending", claimed_at=now, attempts=MailOutboxRow.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            won.append(row_id)
    if not won:
        return []
    rows = session.execute(
        select(
            MailOutboxRow.id, MailOutboxRow.recipient, MailOutboxRow.message, MailOutboxRow.attempts
        ).where(MailOutboxRow.id.in_(won))
    )
    return [Claimed(*row) for row in rows]


def mark_sent(session: Session, row_id: int, now: datetime) -> None:
    """The server took the letter."""
    session.execute(
        update(MailOutboxRow)
        .where(MailOutboxRow.id == row_id)
        .values(state="sent", sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )


def backoff(attempts: int, base: timedelta) -> timedelta:
    """How long to wait after ``attempts`` failed tries: doubling from ``base``, at most 1 h."""
    wait: timedelta = base * (2 ** max(0, attempts - 1))
    return min(wait, LONGEST_WAIT)


def mark_failed(
    session: Session,
    row: Claimed,
    *,
    error: str,
    permanent: bool,
    now: datetime,
    base: timedelta,
) -> None:
    """Record a failed try: retried later, or given up when permanent or tried too often."""
    give_up = permanent or row.attempts >= MAX_ATTEMPTS
    session.execute(
        update(MailOutboxRow)
        .where(MailOutboxRow.id == row.id)
        .values(
            state="failed" if give_up else "pending",
            next_attempt_at=now + backoff(row.attempts, base),
            last_error=error[:ERROR_MAX],
        )
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class OutboxHealth:
    """What the back-office and /healthz show of the outbox."""

    pending: int
    failed: int
    oldest_pending: datetime | None
    last_error: str | None


def health(session: Session) -> OutboxHealth:
    """Counts of waiting and failed letters and the latest error."""
    counts = dict(
        session.execute(
            select(MailOutboxRow.state, func.count())
            .where(MailOutboxRow.state.in_(("pending", "sending", "failed")))
            .group_by(MailOutboxRow.state)
        ).all()
    )
    oldest = session.scalar(
        select(func.min(MailOutboxRow.created_at)).where(MailOutboxRow.state == "pending")
    )
    error = session.scalar(
        select(MailOutboxRow.last_error)
        .where(MailOutboxRow.last_error.is_not(None), MailOutboxRow.state != "sent")
        .order_by(MailOutboxRow.next_attempt_at.desc())
        .limit(1)
    )
    return OutboxHealth(
        pending=int(counts.get("pending", 0)) + int(counts.get("sending", 0)),
        failed=int(counts.get("failed", 0)),
        oldest_pending=oldest,
        last_error=error,
    )


def sent_since(session: Session, since: datetime) -> int:
    """How many letters were sent from ``since`` on (the back-office's "sent today")."""
    count = session.scalar(
        select(func.count())
        .select_from(MailOutboxRow)
        .where(MailOutboxRow.state == "sent", MailOutboxRow.sent_at >= since)
    )
    return int(count or 0)
