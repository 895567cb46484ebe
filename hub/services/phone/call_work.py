"""Work with calls: a missed call becomes a callback task (EVT-2, EVT-6), the CRM dials a
number or a contact from a user's phone agent (PH-6, CLI-7), a call's recording is attached to
its event (PH-2, PH-8)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Attachment, Client, Contact, Device, Event, EventType, Task, User
from hub.db.models.calls import PhoneCallRecord
from hub.db.models.queue import QueueOperator
from hub.errors import AccessDenied, Conflict, Invalid, NotFound
from hub.protocol import topics
from hub.protocol.devices import PhoneCmd
from hub.services.access.rights import AccessProfile
from hub.services.common import outbox
from hub.services.common.files import FileStore
from hub.services.phone.calls import CALLBACK_TASK_LENGTH, MISSED_TYPES, NOT_DIGIT
from hub.services.phone.numbers import digits
from hub.services.projects.attachments import store_attachment
from hub.services.tasks import tasks

# ---- missed calls become callback work (EVT-2, EVT-6) ----------------------------------------


def callback_task(
    session: Session,
    *,
    profile: AccessProfile,
    event_id: int,
    executor_id: int,
    today: date,
    now: datetime,
    lang: str,
    name: str | None = None,
) -> Task:
    """A task for ``executor_id`` to call back a missed call, linked to it, due in an hour."""
    event = session.get(Event, event_id)
    kind = session.get(EventType, event.type_id) if event is not None else None
    if event is None or kind is None:
        raise NotFound("not_found", what=f"event {event_id}")
    if kind.code not in MISSED_TYPES:
        raise Conflict("call_not_missed", number=event.number)
    executor = session.get(User, executor_id)
    if executor is None or not executor.is_active:
        raise Invalid("call_unknown_user", field="user_id", user_id=executor_id)
    if name is None:
        name = ("Call back" if lang == "en" else "Передзвонити") + f" {event.phone or ''}".rstrip()
    task = tasks.insert_task(
        session,
        profile=profile,
        values={
            "name": name[:200],
            "starts_at": now,
            "ends_at": now + CALLBACK_TASK_LENGTH,
            "event_type_id": session.scalar(
                select(EventType.id).where(EventType.code == "callback")
            ),
            "client_id": event.client_id,
            "contact_id": event.contact_id,
            "phone": event.phone,
            "project_id": event.project_id,
            "journal_id": event.journal_id,
            "content": event.content,
        },
        executor_ids=[executor.id],
        today=today,
        action="from_event",
    )
    task.event_id = event.id
    session.flush()
    return task


# ---- dialling from the CRM (PH-6, CLI-7) ------------------------------------------------------


@dataclass(frozen=True)
class Dialled:
    """A dial command written to the outbox for an agent."""

    request_id: uuid.UUID
    device_id: str
    number: str
    user_id: int


def agent_of(session: Session, user: User, site: str) -> Device | None:
    """The user's phone agent: the one linked to their panel, else the one with their number."""
    row = session.scalars(
        select(QueueOperator).where(QueueOperator.user_id == user.id).limit(1)
    ).first()
    panel = session.get(Device, row.device_id) if row and row.device_id else None
    if panel is not None and panel.phone_id and panel.revoked_at is None:
        agent = session.get(Device, panel.phone_id)
        if agent is not None and agent.revoked_at is None and agent.role == "phone":
            return agent
    wanted = digits(user.employee.sip_number) if user.employee is not None else None
    if not wanted:
        return None
    agents = session.scalars(
        select(Device).where(
            Device.role == "phone",
            Device.site == site,
            Device.revoked_at.is_(None),
            Device.line.is_(False),  # an office line's number is nobody's phone
        )
    )
    for agent in agents:
        if digits((agent.phone_status or {}).get("number")) == wanted:
            return agent
    return None


def _number_to_dial(session: Session, number: str | None, contact_id: int | None) -> str:
    if contact_id is None:
        if number is None or not NOT_DIGIT.sub("", number):
            raise Invalid("call_no_number", field="number")
        return number.strip()
    contact = session.get(Contact, contact_id)
    client = session.get(Client, contact.client_id) if contact is not None else None
    if contact is None or contact.deleted_at is not None or client is None or client.deleted_at:
        raise NotFound("not_found", what=f"contact {contact_id}")
    phones = [phone.phone for phone in contact.phones if phone.phone]
    if number is None:
        if not phones:
            raise Invalid("call_contact_no_phone", field="contact_id")
        return phones[0]
    if digits(number) not in {digits(phone) for phone in phones}:
        raise Invalid("call_not_contacts_number", field="number")
    return number.strip()


def dial(
    session: Session,
    *,
    profile: AccessProfile,
    site: str,
    user_id: int | None,
    number: str | None,
    contact_id: int | None,
) -> Dialled:
    """Ask a user's phone agent to dial (their own; anyone's for an administrator)."""
    target_id = user_id if user_id is not None else profile.user_id
    if target_id != profile.user_id and not profile.unrestricted:
        raise AccessDenied("call_dial_for_other", right="admin")
    user = session.get(User, target_id)
    if user is None or not user.is_active:
        raise Invalid("call_unknown_user", field="user_id", user_id=target_id)
    to_dial = _number_to_dial(session, number, contact_id)
    agent = agent_of(session, user, site)
    if agent is None:
        raise Conflict("call_no_phone", username=user.username)
    status = agent.phone_status or {}
    if not agent.online or not status.get("registered", False):
        raise Conflict("call_phone_offline", device=agent.id)
    command = PhoneCmd(type="dial", target=to_dial[:128], request_id=uuid.uuid4())
    outbox.enqueue(
        session,
        topics.phone_cmd(agent.site, agent.id),
        command.model_dump(mode="json", exclude_none=True),
        retain=False,
    )
    assert command.request_id is not None
    return Dialled(
        request_id=command.request_id, device_id=agent.id, number=to_dial, user_id=user.id
    )


# ---- recordings (PH-2, PH-8) --------------------------------------------------------------------


def attach_recording(
    session: Session,
    *,
    store: FileStore,
    agent: Device,
    call_id: str,
    name: str,
    data: str,
    sha256: str,
) -> Attachment:
    """Attach a phone agent's recording of an ended call to the call's event (once: the same
    file sent again returns the first attachment)."""
    row = session.scalars(
        select(PhoneCallRecord).where(
            PhoneCallRecord.device_id == agent.id, PhoneCallRecord.call_id == call_id
        )
    ).first()
    if row is None:
        raise NotFound("call_recording_unknown_call", call_id=call_id, name=name)
    if row.event_id is None:
        raise Conflict("call_recording_early", call_id=call_id, name=name)
    try:
        wav = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("call_recording_damaged", name=name) from None
    if hashlib.sha256(wav).hexdigest() != sha256 or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise Invalid("call_recording_damaged", name=name)
    same = session.scalars(
        select(Attachment).where(
            Attachment.event_id == row.event_id,
            Attachment.original_filename == name,
            Attachment.sha256 == sha256,
        )
    ).first()
    if same is not None:
        return same
    return store_attachment(
        session,
        store=store,
        kind="event",
        owner_id=row.event_id,
        stream=io.BytesIO(wav),
        filename=name,
        content_type="audio/wav",
    )
