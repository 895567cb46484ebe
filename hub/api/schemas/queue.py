"""Request and reply bodies of the electronic queue's REST API (Q-1..Q-6)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from hub.api.schemas.common import MAX_DB_INT, Code, Input, IsoMoment, Name, Output, Text

Id = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
Window = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=16),
    Field(examples=["3"]),
]
DeviceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class ClientIn(Input):
    """What the visitor tells: all optional."""

    name: Name | None = Field(None, description="The visitor's name")
    phone: Annotated[str, StringConstraints(max_length=32)] | None = Field(None)
    companies: int = Field(1, ge=1, le=50, description="How many companies the visitor represents")
    client_id: Id | None = Field(None, description="A client of the registry, when known")


class TicketIssue(Input):
    """Take a walk-in ticket for a service."""

    service_id: Id
    client: ClientIn | None = None


class BookingCreate(Input):
    """Book a time for a service (Q-2a)."""

    service_id: Id
    booked_at: IsoMoment = Field(description="The booked start, with its time zone")
    client: ClientIn | None = None


class CheckIn(Input):
    """A booked visitor arrives."""

    booking_code: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class OperatorStatus(Input):
    """Set the operator's user status (SET-4); "free" is Free (Q-5)."""

    status: Code
    window: Window | None = None
    device_id: DeviceId | None = None


class FreeIn(Input):
    """Free (Q-5), optionally naming the window and panel."""

    window: Window | None = None
    device_id: DeviceId | None = None


class NoteIn(Input):
    """An operator's note on the outcome."""

    note: Text | None = None


class DoneIn(NoteIn):
    """The visit's outcome: a note, the minutes spent (default: since serving started) and the
    percent done (default 100; below it the task stays open)."""

    time_spent_minutes: Annotated[int, Field(ge=0, le=24 * 60)] | None = None
    percent_done: Annotated[int, Field(ge=0, le=100)] | None = None


class TransferIn(Input):
    """Send a ticket to another service and/or operator."""

    target_service_id: Id | None = None
    target_user_id: Id | None = None
    front: bool = Field(False, description="Put the visitor first in the new line")
    reason: Text | None = None


class TicketRead(Output):
    """A ticket with its place in line while waiting."""

    id: int
    event_id: int
    number: str
    service_id: int
    service_name: str
    kind: str
    state: str
    effective_at: datetime
    booked_at: datetime | None
    arrived_at: datetime | None
    called_at: datetime | None
    operator_id: int | None
    window: str | None
    task_id: int | None
    recalls: int
    client_name: str | None
    phone: str | None
    companies: int
    front: bool
    target_operator_id: int | None
    position: int | None
    estimated_wait_s: int | None
    estimated_wait_low_s: int | None = None
    estimated_wait_high_s: int | None = None
    booking_code: str | None
    caller: bool = Field(False, description="A caller on an office line, not a visitor")


class ReasonRead(Output):
    """Why this ticket was given."""

    effective_at: datetime
    service_id: int
    service_name: str
    front: bool
    for_this_operator: bool
    by_hand: bool
    rule: str = "nearest"


class AssignmentRead(Output):
    """A ticket called to an operator's window with its task."""

    ticket: TicketRead
    operator_id: int
    window: str
    task_id: int
    reason: ReasonRead


class IssueRead(Output):
    """A ticket and the operator it went to at once, if any."""

    ticket: TicketRead
    assignment: AssignmentRead | None


class OperatorRead(Output):
    """An operator's session."""

    user_id: int
    status: str
    status_since: datetime
    window: str | None
    device_id: str | None
    ticket_id: int | None


class FreeRead(Output):
    """The operator's state and the assignment Free made, if any."""

    operator: OperatorRead
    assignment: AssignmentRead | None


class ChangeRead(Output):
    """A ticket after an action, and where a transfer sent it."""

    ticket: TicketRead
    assignment: AssignmentRead | None


class ServiceRead(Output):
    """A service with its line."""

    id: int
    name: str
    waiting: int
    operators: int
    estimated_wait_s: int
    estimated_wait_low_s: int | None = None
    estimated_wait_high_s: int | None = None


class PrintIn(Input):
    """Print (or reprint) a ticket on a printer of this site."""

    printer: DeviceId = Field(description="The printer's device id", examples=["printer-1"])
    copies: int = Field(1, ge=1, le=5)
    lang: Literal["uk", "en"] = Field("uk", description="The language of the ticket's texts")


class PrintJobRead(Output):
    """A print job and what the printer said."""

    id: str
    ticket_id: int
    number: str
    service_id: int
    printer_id: str
    kiosk_id: str | None
    state: str = Field(description="pending, printed or failed")
    error_code: str | None
    error_message: str | None
    created_at: datetime
    finished_at: datetime | None
