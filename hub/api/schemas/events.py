"""Schemas of events (EVT-1..EVT-5)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    StrictInt,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from hub.api.schemas.common import (
    MAX_DB_INT,
    Input,
    IsoMoment,
    Name,
    NotNull,
    Output,
    Text,
    single_line,
)
from hub.api.schemas.reference import ChangeGroupRead


def in_utc_range(value: datetime) -> datetime:
    """Refuse a moment that has no UTC equivalent (year 1 or 9999 across the date line)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_parsing", "date and time out of range") from None


Moment = Annotated[IsoMoment, AfterValidator(in_utc_range)]
DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
TypeRef = Annotated[
    StrictInt
    | Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)],
    Field(description="An event type's id or its code (SET-1)", examples=["incoming_call", 3]),
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(single_line)
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"),
]
ResponsibleType = Literal["employee", "responsibility_centre"]


class EventCreate(Input):
    """A new event (the card of EVT-3)."""

    starts_at: Moment = Field(description="Start, with the time zone")
    ends_at: Moment | None = Field(None, description="End; not before the start")
    type: TypeRef
    responsible_type: ResponsibleType | None = Field(
        None, description="Fixed by the parameter responsible_person_type unless per_document"
    )
    responsible_id: DbId | None = Field(None, description="The responsible user (default: you)")
    responsibility_centre: Name | None = None
    client_id: DbId | None = None
    contact_id: DbId | None = Field(
        None, description="Filled automatically when the client has exactly one contact"
    )
    phone: Phone | None = None
    fax: Phone | None = None
    email: Email | None = None
    project_id: DbId | None = None
    journal_id: DbId | None = None
    content: Text | None = None


class EventUpdate(Input):
    """Changes to an event's card; fields left out keep their values."""

    starts_at: Annotated[Moment | None, NotNull] = None
    ends_at: Moment | None = None
    type: Annotated[TypeRef | None, NotNull] = None
    responsible_type: Annotated[ResponsibleType | None, NotNull] = None
    responsible_id: DbId | None = None
    responsibility_centre: Name | None = None
    client_id: DbId | None = None
    contact_id: DbId | None = None
    phone: Phone | None = None
    fax: Phone | None = None
    email: Email | None = None
    project_id: DbId | None = None
    journal_id: DbId | None = None
    content: Text | None = None


class EventRead(Output):
    """An event as the registries show it."""

    id: int
    number: str
    type_id: int
    type_code: str | None = None
    starts_at: datetime
    ends_at: datetime | None
    responsible_type: str
    responsible_id: int | None
    responsibility_centre: str | None
    client_id: int | None
    contact_id: int | None
    phone: str | None
    phone_digits: str | None
    fax: str | None
    email: str | None
    project_id: int | None
    journal_id: int | None
    content: str | None
    call_duration_s: int | None = None
    """A call's event (PH-8): how long the conversation lasted, in seconds."""
    call_recording: str | None = None
    """A call's event: the WAV file's name in the phone agent's recordings folder."""
    mail_state: Literal["queued", "sent", "failed"] | None = None
    """An outgoing e-mail's event: its letter in the mail outbox (queued, sent or failed)."""
    archived_at: datetime | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime


class LinkedDocument(Output):
    """A settlement document linked to an event (EVT-4)."""

    id: int
    client_id: int
    kind: str
    number: str
    doc_date: date
    direction: str
    amount: Decimal
    currency: str


class EventCard(EventRead):
    """An event with its linked documents."""

    documents: list[LinkedDocument] = Field(default_factory=list)


class EventPage(Output):
    """One page of a registry."""

    items: list[EventRead]
    next_cursor: str | None


class PhoneGroupRead(Output):
    """Events of one phone number (EVT-2)."""

    phone_digits: str
    count: int
    last_at: datetime


class PhoneGroupPage(Output):
    """One page of phone groups."""

    items: list[PhoneGroupRead]
    next_cursor: str | None


class AuditRead(Output):
    """One record of the change log (SET-11)."""

    id: int
    action: str
    user_id: int | None
    at: datetime
    changes: dict[str, Any] | None
    groups: list[ChangeGroupRead] = Field(
        description="The changes split by history group (SET-2), in the groups' order, the "
        "rest last with code null (Other); empty when no group is defined"
    )


EventIds = Annotated[list[DbId], Field(min_length=1, max_length=500)]


class EventIdsBody(Input):
    """Chosen events."""

    ids: EventIds


class ArchiveBeforeBody(Input):
    """Archive every event that ended before this moment."""

    before: Moment


class ArchiveReply(Output):
    """How many events were changed and how many were left alone."""

    done: int
    skipped: int
