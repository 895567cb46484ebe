"""API schemas of calls: dialling from the CRM, missed calls by number, callback tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from hub.api.schemas.common import MAX_DB_INT, Input, Name, Output, single_line

DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
DialNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(single_line),
]


class DialBody(Input):
    """Whom to call (a number, or a contact person's phone) and from whose phone."""

    user_id: DbId | None = Field(None, description="whose phone dials; default: the caller's")
    number: DialNumber | None = Field(None, description="the number to dial")
    contact_id: DbId | None = Field(
        None, description="a contact person: their first phone, or check that number is theirs"
    )

    @model_validator(mode="after")
    def _something_to_dial(self) -> Self:
        if self.number is None and self.contact_id is None:
            raise ValueError("give number or contact_id")
        return self


class DialRead(Output):
    """The dial command sent to the phone agent (the agent reports the call as usual)."""

    request_id: UUID
    device_id: str
    number: str
    user_id: int


class MissedGroupRead(Output):
    """Missed calls of one number (EVT-2)."""

    phone_digits: str
    phone: str | None
    count: int
    last_at: datetime
    last_event_id: int
    client_id: int | None
    client_name: str | None


class MissedGroupPage(Output):
    """One page of numbers with missed calls."""

    items: list[MissedGroupRead]
    next_cursor: str | None


class CallbackBody(Input):
    """Who calls back."""

    user_id: DbId
    name: Name | None = Field(None, description="the task's name; default: 'Call back NUMBER'")


class CallbackRead(Output):
    """The callback task made from a missed call."""

    task_id: int
    number: str
    event_id: int
    executor_id: int


class CallRead(Output):
    """A call as the phone agent reported it, behind a call event (PH-8)."""

    id: int
    device_id: str
    call_id: str
    line: str
    direction: str
    remote: str
    state: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration_s: int | None
    recording: str | None
    target: str | None
    outcome: str | None
    user_id: int | None
    event_id: int | None
    answers_event_id: int | None
