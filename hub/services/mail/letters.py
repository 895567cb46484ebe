"""Writing to a client from the back-office: an "outgoing e-mail" event (the manual's type
"Вихідний електронний лист") with the letter's text and files, and the letter itself queued in
the mail outbox, in one transaction. The event's mail state is the outbox row's: queued, sent
or failed. The same function serves the client card and the API; rights are the events'."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Contact, Event, User
from hub.db.models.mail import MailOutboxRow
from hub.errors import Conflict, Invalid
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.clients.clients import get_client
from hub.services.common.files import FileStore
from hub.services.events.events import create_event
from hub.services.mail import outbox
from hub.services.mail.booking_mail import sender
from hub.services.mail.outbox import Letter, Part
from hub.services.projects.attachments import clean_filename, store_attachment

EVENT_TYPE = "outgoing_email"
KIND = "outgoing_email"
SUBJECT_MAX = 300
TEXT_MAX = 20_000
FILES_MAX = 10
# What the back-office shows of an outbox row's state.
SHOWN_STATE = {"pending": "queued", "sending": "queued", "sent": "sent", "failed": "failed"}


@dataclass(frozen=True)
class Upload:
    """A file to send with the letter, read into memory (bounded by the upload limit)."""

    filename: str
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Addressee:
    """An address the letter may go to: the client's own or one of its contact persons'."""

    email: str
    contact_id: int | None
    name: str


def outbox_key(event_id: int) -> str:
    """The outbox key of an outgoing e-mail event's letter."""
    return f"event:{event_id}"


def addressees(session: Session, client_id: int) -> list[Addressee]:
    """The client's address and its live contact persons' addresses, each once."""
    client = get_client(session, client_id)
    found: dict[str, Addressee] = {}
    people = session.execute(
        select(Contact.id, Contact.full_name, Contact.email)
        .where(
            Contact.client_id == client_id,
            Contact.deleted_at.is_(None),
            Contact.email.is_not(None),
        )
        .order_by(Contact.full_name, Contact.id)
        .limit(500)
    ).all()
    for contact_id, name, raw in people:
        address = outbox.valid_address(raw)
        if address is not None:
            found.setdefault(address.lower(), Addressee(address, contact_id, name))
    own = outbox.valid_address(client.email)
    if own is not None:
        found.setdefault(own.lower(), Addressee(own, None, client.name))
    return list(found.values())


def _check(subject: str, text: str, uploads: Sequence[Upload]) -> None:
    if not subject.strip():
        raise Invalid("letter_subject_required", field="subject")
    if len(subject) > SUBJECT_MAX or "\n" in subject or "\r" in subject:
        raise Invalid("letter_subject_invalid", field="subject", max=SUBJECT_MAX)
    if not text.strip():
        raise Invalid("letter_text_required", field="text")
    if len(text) > TEXT_MAX:
        raise Invalid("letter_text_too_long", field="text", max=TEXT_MAX)
    if len(uploads) > FILES_MAX:
        raise Invalid("letter_too_many_files", field="files", max=FILES_MAX)


def recipient(session: Session, client_id: int, to: str, contact_id: int | None) -> Addressee:
    """The addressee ``to`` names: Invalid (field ``to``) unless it is one of the client's."""
    address = outbox.valid_address(to)
    if address is None:
        raise Invalid("letter_to_invalid", field="to")
    known = {item.email.lower(): item for item in addressees(session, client_id)}
    chosen = known.get(address.lower())
    if chosen is None:
        raise Invalid("letter_to_not_client", field="to", address=address)
    if contact_id is not None and chosen.contact_id not in (None, contact_id):
        raise Invalid("letter_to_other_contact", field="to", address=address)
    return chosen


def write_to_client(
    session: Session,
    *,
    profile: AccessProfile,
    files: FileStore,
    client_id: int,
    to: str,
    subject: str,
    text: str,
    uploads: Sequence[Upload] = (),
    contact_id: int | None = None,
    now: datetime,
    today: date,
) -> Event:
    """Create the outgoing e-mail event (with the files attached) and queue its letter, in
    the caller's transaction; the events' rights decide whether the user may."""
    client = get_client(session, client_id)
    if client.deleted_at is not None:
        raise Conflict("client_deleted", name=client.name)
    _check(subject, text, uploads)
    if uploads:  # the files become the event's attachments: that right too
        access.require(profile, Action.CREATE, DocType.ATTACHMENT)
    chosen = recipient(session, client_id, to, contact_id)
    subject = " ".join(subject.split())
    event = create_event(
        session,
        profile=profile,
        values={
            "type": EVENT_TYPE,
            "starts_at": now,
            "ends_at": now,
            "client_id": client_id,
            "contact_id": contact_id if contact_id is not None else chosen.contact_id,
            "email": chosen.email,
            "content": f"{subject}\n\n{text.strip()}",
        },
        today=today,
    )
    parts = []
    for upload in uploads:
        name = clean_filename(upload.filename)
        try:
            store_attachment(
                session,
                store=files,
                kind="event",
                owner_id=event.id,
                stream=io.BytesIO(upload.data),
                filename=name,
                content_type=upload.content_type,
                uploaded_by=profile.user_id,
            )
        except Invalid as error:  # the store names its own field; the form's is "files"
            raise Invalid(error.code, **{**error.params, "field": "files"}) from None
        parts.append(Part(filename=name, data=upload.data, content_type=upload.content_type))
    letter = Letter(
        to=chosen.email,
        to_name=chosen.name,
        subject=subject,
        text=text.strip() + "\n",
        parts=parts,
        reply_to=_own_address(session, profile.user_id),
    )
    outbox.enqueue(
        session, letter, key=outbox_key(event.id), kind=KIND, sender=sender(session), now=now
    )
    return event


def _own_address(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return outbox.valid_address(user.employee.email if user and user.employee else None)


def letter_states(session: Session, event_ids: Iterable[int]) -> dict[int, str]:
    """The mail state (queued, sent, failed) of the letters of these events, by event id."""
    keys = {outbox_key(event_id): event_id for event_id in event_ids}
    if not keys:
        return {}
    rows = session.execute(
        select(MailOutboxRow.key, MailOutboxRow.state).where(MailOutboxRow.key.in_(keys))
    )
    return {keys[key]: SHOWN_STATE.get(state, "queued") for key, state in rows}
