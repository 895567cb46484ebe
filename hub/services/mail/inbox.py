"""Mail into events (EVT-7): each employee's mailbox and the corporate one, over IMAP or POP3
with TLS, fetched on demand, on opening the events registry (if set) and on a schedule.

A letter becomes an "incoming e-mail" event: its sender's address finds the contact and the
client, its text is kept as plain text (HTML reduced to text by nh3: no script, no markup,
nothing executed), its files become the event's attachments. A Message-ID already stored for
the same recipient is skipped, so a letter seen twice is stored once. A mailbox that fails
(wrong password, server away) is recorded with its error and tried again later, and the
others go on. The letter's bytes are read without the \\Seen flag and flagged after the
commit: a crash in between fetches it again, and the Message-ID check drops it.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import imaplib
import io
import logging
import poplib
import re
import ssl
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import TYPE_CHECKING

import nh3
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.base import insert_row_unless_taken
from hub.db.engine import transaction
from hub.db.models import Client, Contact, Employee, User, UserParameter
from hub.db.models.mail import MailboxState, MailLetter
from hub.errors import Invalid
from hub.services.events.system import new_system_event
from hub.services.mail.secrets import CORPORATE, get_secret, mailbox_secret
from hub.services.projects.attachments import store_attachment
from hub.services.settings.parameters import MailParameters, get_global, get_user_parameters

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

EVENT_TYPE = "incoming_email"
BATCH = 100
TIMEOUT_S = 30.0
CONTENT_MAX = 100_000
LONGEST_RETRY = timedelta(hours=1)
_BLANKS = re.compile(r"\n\s*\n\s*\n+")


@dataclass(frozen=True)
class Mailbox:
    """One mailbox to read: its name in ``mailbox_states``, login, and whose letters these are
    (a user id; None for the corporate box, spread over the users who receive it)."""

    name: str
    login: str
    secret: str
    user_id: int | None


@dataclass(frozen=True)
class Parsed:
    """What the event keeps of a letter."""

    key: str
    sender: str | None
    addressees: list[str]
    subject: str
    text: str
    sent_at: datetime | None
    files: list[tuple[str, str, bytes]]


class MailboxError(Exception):
    """A mailbox could not be read; the message names the step, never the password."""


# ---- parsing (no I/O) -------------------------------------------------------------------


def html_to_text(markup: str) -> str:
    """The text of an HTML letter: every tag dropped, scripts and styles with their content."""
    cleaned = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head"})
    text = html.unescape(cleaned)
    return _BLANKS.sub("\n\n", text).strip()


def parse(raw: bytes) -> Parsed:
    """A raw RFC 5322 letter read into what an event keeps (RFC 2047 names decoded)."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    message_id = str(message.get("Message-ID") or "").strip()
    key = hashlib.sha256((message_id or raw.decode("latin-1")).encode()).hexdigest()
    senders = getaddresses([str(message.get("From") or "")])
    sender = senders[0][1].strip().lower() if senders and "@" in senders[0][1] else None
    addressees = [
        address.strip().lower()
        for _name, address in getaddresses(
            [str(value) for value in message.get_all("To", []) + message.get_all("Cc", [])]
        )
        if "@" in address
    ]
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        content = body.get_content()
        text = html_to_text(content) if body.get_content_subtype() == "html" else content
        text = text.replace("\r\n", "\n")
    files = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            files.append((part.get_filename() or "attachment", part.get_content_type(), data))
    try:
        sent_at = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = None
    return Parsed(
        key=key,
        sender=sender,
        addressees=addressees,
        subject=" ".join(str(message.get("Subject") or "").split()),
        text=text.strip()[:CONTENT_MAX],
        sent_at=sent_at,
        files=files,
    )


# ---- storing --------------------------------------------------------------------------


def _sender_match(session: Session, address: str | None) -> dict[str, int | str | None]:
    if address is None:
        return {}
    contact = session.execute(
        select(Contact.id, Contact.client_id)
        .where(func.lower(Contact.email) == address, Contact.deleted_at.is_(None))
        .limit(1)
    ).first()
    if contact is not None:
        return {"contact_id": contact.id, "client_id": contact.client_id, "email": address}
    client_id = session.scalar(
        select(Client.id)
        .where(func.lower(Client.email) == address, Client.deleted_at.is_(None))
        .limit(1)
    )
    return {"client_id": client_id, "email": address}


def store_letter(
    hub: Hub,
    session: Session,
    letter: Parsed,
    *,
    mailbox: str,
    user_id: int,
    now: datetime,
) -> int | None:
    """The letter as an event for ``user_id``; None when it was stored before."""
    taken = insert_row_unless_taken(
        session,
        MailLetter,
        message_key=letter.key,
        recipient=f"user:{user_id}",
        mailbox=mailbox,
        received_at=now,
    )
    if taken is None:
        return None
    params = get_user_parameters(session, user_id)
    content = f"{letter.subject}\n\n{letter.text}".strip() if letter.subject else letter.text
    event = new_system_event(
        session,
        code=EVENT_TYPE,
        user_id=user_id,
        project_id=params.mail_project_id,
        unit=params.mail_unit,
        starts_at=letter.sent_at or now,
        ends_at=None,
        today=now.astimezone(hub.settings.tz).date(),
        values={**_sender_match(session, letter.sender), "content": content or None},
    )
    for filename, content_type, data in letter.files:
        try:
            store_attachment(
                session,
                store=hub.files,
                kind="event",
                owner_id=event.id,
                stream=io.BytesIO(data),
                filename=filename,
                content_type=content_type,
            )
        except Invalid:  # larger than attachments may be: the letter is kept without it
            logger.warning(
                "mailbox %s: an attachment of %d bytes was too large", mailbox, len(data)
            )
    row = session.get(MailLetter, taken)
    if row is not None:
        row.event_id = event.id
    return event.id


def corporate_targets(session: Session, letter: Parsed) -> list[int]:
    """Whom a corporate letter goes to (SET-9): the receiving users it is addressed to (all of
    them when it names none); one of them, the one with the fewest corporate letters, when
    they deliver to one."""
    receivers = list(
        session.scalars(
            select(UserParameter.user_id).where(UserParameter.key == "receive_corporate_mail")
        )
    )
    chosen: list[tuple[int, str]] = []
    for user_id in receivers:
        params = get_user_parameters(session, user_id)
        user = session.get(User, user_id)
        if params.receive_corporate_mail and user is not None and user.is_active:
            email = (user.employee.email or "").lower() if user.employee else ""
            chosen.append((user_id, email))
    named = [user_id for user_id, email in chosen if email and email in letter.addressees]
    targets = named or [user_id for user_id, _email in chosen]
    spread = [
        user_id
        for user_id in targets
        if get_user_parameters(session, user_id).corporate_mail_delivery == "one"
    ]
    if not spread:
        return sorted(targets)
    counts = dict(
        session.execute(
            select(MailLetter.recipient, func.count())
            .where(MailLetter.mailbox == "corporate")
            .group_by(MailLetter.recipient)
        ).all()
    )
    return [min(sorted(spread), key=lambda user_id: counts.get(f"user:{user_id}", 0))]


# ---- the servers ------------------------------------------------------------------------


class _Reader(ABC):
    """The letters of one mailbox, read without marking, then marked (IMAP) or deleted (POP3)
    once stored."""

    def __init__(self, mail: MailParameters, login: str, password: str, context: ssl.SSLContext):
        self.mail = mail
        self.login = login
        self.password = password
        self.context = context

    @abstractmethod
    def open(self) -> None:
        """Connect and log in; MailboxError saying why not."""

    @abstractmethod
    def letters(self) -> Iterator[list[tuple[str, bytes]]]:
        """Batches of (id, raw letter) of the unread letters; ``done(ids)`` once stored."""

    @abstractmethod
    def done(self, idents: list[str]) -> None:
        """Mark letters handled."""

    @abstractmethod
    def close(self) -> None:
        """End the session."""


class _Imap(_Reader):
    def open(self) -> None:
        host, port = self.mail.incoming_host or "", self.mail.incoming_port
        try:
            if self.mail.incoming_tls:
                self.client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    host, port, ssl_context=self.context, timeout=TIMEOUT_S
                )
            else:
                self.client = imaplib.IMAP4(host, port, timeout=TIMEOUT_S)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"connect: {type(exc).__name__}: {exc}"[:300]) from None
        try:
            self.client.login(self.login, self.password)
        except imaplib.IMAP4.error:
            self.close()
            raise MailboxError("login refused") from None
        self.client.select("INBOX")

    def letters(self) -> Iterator[list[tuple[str, bytes]]]:
        status, found = self.client.uid("SEARCH", "UNSEEN")
        if status != "OK":
            raise MailboxError("search failed")
        uids = found[0].split() if found and found[0] else []
        for start in range(0, len(uids), BATCH):
            chunk = b",".join(uids[start : start + BATCH]).decode()
            status, data = self.client.uid("FETCH", chunk, "(UID BODY.PEEK[])")
            if status != "OK":
                raise MailboxError("fetch failed")
            batch = []
            for item in data:
                if isinstance(item, tuple):
                    head = item[0].decode(errors="replace")
                    match = re.search(r"UID (\d+)", head)
                    if match:
                        batch.append((match.group(1), item[1]))
            yield batch

    def done(self, idents: list[str]) -> None:
        if idents:
            self.client.uid("STORE", ",".join(idents), "+FLAGS", "(\\Seen)")

    def close(self) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.client.logout()


class _Pop(_Reader):
    def open(self) -> None:
        host, port = self.mail.incoming_host or "", self.mail.incoming_port
        try:
            if self.mail.incoming_tls:
                self.client: poplib.POP3 = poplib.POP3_SSL(
                    host, port, context=self.context, timeout=TIMEOUT_S
                )
            else:
                self.client = poplib.POP3(host, port, timeout=TIMEOUT_S)
        except (OSError, poplib.error_proto) as exc:
            raise MailboxError(f"connect: {type(exc).__name__}: {exc}"[:300]) from None
        try:
            self.client.user(self.login)
            self.client.pass_(self.password)
        except poplib.error_proto:
            self.close()
            raise MailboxError("login refused") from None

    def letters(self) -> Iterator[list[tuple[str, bytes]]]:
        count, _size = self.client.stat()
        for start in range(1, count + 1, BATCH):
            batch = []
            for number in range(start, min(start + BATCH, count + 1)):
                _resp, lines, _octets = self.client.retr(number)
                batch.append((str(number), b"\r\n".join(lines) + b"\r\n"))
            yield batch

    def done(self, idents: list[str]) -> None:
        # POP3 has no "seen": a stored letter is deleted from the server when the session ends.
        for ident in idents:
            self.client.dele(int(ident))

    def close(self) -> None:
        with contextlib.suppress(OSError, poplib.error_proto):
            self.client.quit()


def mailboxes(session: Session) -> list[Mailbox]:
    """Every mailbox to read: the corporate one if set, each active user's with a password."""
    mail = get_global(session).mail
    found = []
    if mail.corporate_login:
        found.append(Mailbox("corporate", mail.corporate_login, CORPORATE, None))
    users = session.execute(
        select(User.id, Employee.email)
        .join(Employee, Employee.id == User.employee_id)
        .where(User.is_active, Employee.email.is_not(None))
        .order_by(User.id)
    ).all()
    from hub.db.models.mail import MailSecret

    sealed = set(session.scalars(select(MailSecret.name)))
    for user_id, email in users:
        if mailbox_secret(user_id) in sealed and email:
            login = get_user_parameters(session, user_id).mail_login or email
            found.append(Mailbox(f"user:{user_id}", login, mailbox_secret(user_id), user_id))
    return found


def _record(hub: Hub, box: Mailbox, *, now: datetime, error: str | None, fetched: int) -> None:
    with transaction(hub.sessions) as session:
        state = session.get(MailboxState, box.name)
        if state is None:
            state = MailboxState(mailbox=box.name, failures=0, fetched=0)
            session.add(state)
        state.fetched = (state.fetched or 0) + fetched
        if error is None:
            state.last_ok_at, state.failures, state.next_try_at = now, 0, None
            state.last_error = None
        else:
            state.failures = (state.failures or 0) + 1
            state.last_error, state.last_error_at = error[:500], now
            wait = min(timedelta(minutes=1) * 2 ** min(state.failures - 1, 10), LONGEST_RETRY)
            state.next_try_at = now + wait


def fetch_mailbox(hub: Hub, box: Mailbox, *, now: datetime, context: ssl.SSLContext) -> int:
    """Read one mailbox into events; returns how many letters became events. A failure is
    recorded on the mailbox and raised as MailboxError."""
    with hub.read_sessions() as session:
        mail = get_global(session).mail
        password = get_secret(session, hub.sealer, box.secret)
    if not mail.incoming_host:
        return 0
    reader: _Reader = (_Pop if mail.incoming_protocol == "pop3" else _Imap)(
        mail, box.login, password or "", context
    )
    stored = 0
    try:
        if password is None:
            raise MailboxError("no password stored (or sealed with another key)")
        reader.open()
        try:
            for batch in reader.letters():
                # One transaction per batch: a commit per letter made it 10 letters/s.
                stored += _take(hub, box, [parse(raw) for _ident, raw in batch], now)
                reader.done([ident for ident, _raw in batch])
        finally:
            reader.close()
    except (MailboxError, OSError, imaplib.IMAP4.error, poplib.error_proto) as exc:
        message = str(exc) if isinstance(exc, MailboxError) else f"{type(exc).__name__}: {exc}"
        logger.warning("mailbox %s: %s", box.name, message)
        _record(hub, box, now=now, error=message, fetched=stored)
        raise MailboxError(message) from None
    _record(hub, box, now=now, error=None, fetched=stored)
    return stored


def _take(hub: Hub, box: Mailbox, letters: list[Parsed], now: datetime) -> int:
    stored = 0
    with transaction(hub.sessions) as session:
        for letter in letters:
            if box.user_id is not None:
                targets = [box.user_id]
            else:
                targets = corporate_targets(session, letter)
            for user_id in targets:
                if store_letter(hub, session, letter, mailbox=box.name, user_id=user_id, now=now):
                    stored += 1
    return stored


def fetch(
    hub: Hub,
    *,
    now: datetime,
    context: ssl.SSLContext,
    user_id: int | None = None,
    corporate: bool = True,
) -> dict[str, int | str]:
    """Fetch now (on demand): every mailbox, or the user's own and (unless ``corporate`` is
    false) the corporate one; returns letters stored or the error per mailbox."""
    with hub.read_sessions() as session:
        boxes = mailboxes(session)
    if user_id is not None:
        boxes = [box for box in boxes if box.user_id == user_id or (corporate and not box.user_id)]
    result: dict[str, int | str] = {}
    for box in boxes:
        try:
            result[box.name] = fetch_mailbox(hub, box, now=now, context=context)
        except MailboxError as exc:
            result[box.name] = str(exc)
    return result


def fetch_due(hub: Hub, *, now: datetime, context: ssl.SSLContext) -> int:
    """The scheduled fetch: each mailbox whose interval passed and whose retry time came."""
    with hub.read_sessions() as session:
        every = get_global(session).mail.fetch_every_minutes
        if every <= 0 or not get_global(session).mail.incoming_host:
            return 0
        boxes = mailboxes(session)
        states = {row.mailbox: row for row in session.scalars(select(MailboxState))}
    total = 0
    for box in boxes:
        state = states.get(box.name)
        if state is not None:
            if state.next_try_at is not None and state.next_try_at > now:
                continue
            if state.last_ok_at is not None and state.last_ok_at + timedelta(minutes=every) > now:
                continue
        try:
            total += fetch_mailbox(hub, box, now=now, context=context)
        except MailboxError:
            continue  # recorded on the mailbox; the others go on
    return total


def states(session: Session) -> list[MailboxState]:
    """How each mailbox's last fetch went, for the back-office."""
    return list(session.scalars(select(MailboxState).order_by(MailboxState.mailbox)))


def user_state(session: Session, user_id: int) -> MailboxState | None:
    """How a user's mailbox's last fetch went, if it was ever fetched."""
    return session.get(MailboxState, f"user:{user_id}")
