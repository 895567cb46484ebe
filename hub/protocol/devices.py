"""Payloads that are not request/reply: the board, announcements, print jobs, phone events
and device state."""

from __future__ import annotations

from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    Field,
    NonNegativeInt,
    PositiveInt,
    StringConstraints,
    model_validator,
)

from hub.protocol.base import (
    BookingCode,
    CallRef,
    Code,
    DeviceRole,
    Digits,
    ErrorInfo,
    Lang,
    Message,
    Name,
    Part,
    Remote,
    Text,
    TicketNumber,
    Url,
    Version,
    Window,
)
from hub.protocol.zones import ZoneName


class BoardCall(Part):
    """One call on the board."""

    number: TicketNumber
    window: Window
    service_id: PositiveInt
    called_at: AwareDatetime
    ticket_id: PositiveInt | None = None


class BoardWait(Part):
    """The wait of a visitor who would join a service's line now, with its range (seconds)."""

    s: NonNegativeInt
    low_s: NonNegativeInt | None = None
    high_s: NonNegativeInt | None = None


class DisplayBoard(Message):
    """Retained on ``display/board``: the last calls (newest first) and waiting counts."""

    calls: Annotated[list[BoardCall], Field(max_length=100)] = Field(default_factory=list)
    waiting: dict[PositiveInt, NonNegativeInt] = Field(default_factory=dict)
    at: AwareDatetime | None = None
    # The services' names (one per service: the CRM keeps a single name).
    names: dict[PositiveInt, Name] = Field(default_factory=dict)
    # Of ``waiting``, the callers on the office lines (services with none are left out).
    callers: dict[PositiveInt, NonNegativeInt] = Field(default_factory=dict)
    # Each service's wait for a visitor joining now (issue 20); older hubs leave it out.
    waits: dict[PositiveInt, BoardWait] = Field(default_factory=dict)
    # The office's time zone (IANA): the displays' clock shows its time whatever their system
    # zone. Older hubs leave it out; a display then uses its config's zone, else its system's.
    tz: ZoneName | None = None


def _both() -> list[Lang]:
    return ["uk", "en"]


class DisplayAnnounce(Message):
    """One call to show and announce now, in each of ``lang`` in order."""

    number: TicketNumber
    window: Window
    recall: bool = False
    lang: Annotated[list[Lang], Field(min_length=1, max_length=2)] = Field(default_factory=_both)
    service_id: PositiveInt | None = None
    ticket_id: PositiveInt | None = None
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _distinct_langs(self) -> Self:
        if len(set(self.lang)) != len(self.lang):
            raise ValueError("each language at most once")
        return self


class PrintTicket(Part):
    """What a printer needs to lay out a ticket."""

    id: PositiveInt
    number: TicketNumber
    service_id: PositiveInt
    service_name: Name
    issued_at: AwareDatetime
    lang: Lang = "uk"
    position: NonNegativeInt | None = None
    estimated_wait_s: NonNegativeInt | None = None
    estimated_wait_low_s: NonNegativeInt | None = None
    estimated_wait_high_s: NonNegativeInt | None = None
    booking_code: BookingCode | None = None
    # The ticket's live page: the QR code holds it (printers' qr = "page").
    page_url: Url | None = None
    # The office's time zone (IANA): the issue time is printed in it. Older hubs leave it out;
    # the printer then uses its ticket layout's ``timezone``.
    tz: ZoneName | None = None


class PrinterJob(Message):
    """Print a ticket, ``copies`` times."""

    job_id: UUID
    ticket: PrintTicket
    copies: Annotated[int, Field(ge=1, le=5)] = 1


class PrinterResult(Message):
    """Outcome of a print job; ``error`` (e.g. code ``paper_out``) exactly when not ok."""

    job_id: UUID
    ok: bool
    error: ErrorInfo | None = None

    @model_validator(mode="after")
    def _error_iff_failed(self) -> Self:
        if self.ok == (self.error is not None):
            raise ValueError("error must be present exactly when ok is false")
        return self


CallState = Literal["ringing", "answered", "held", "ended", "missed", "rejected", "transferred"]
FINAL_CALL_STATES = frozenset({"ended", "missed", "rejected", "transferred"})
"""The states after which a call has no more (its first one makes the call's event)."""
# A recording's file name in the agent's recordings folder (no folders, nothing to smuggle).
RecordingName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,126}\.wav$")
]


class PhoneCall(Message):
    """A call state change reported by a phone agent (PH-8).

    ``remote`` is the other party's number as the SIP peer gave it (the hub normalises it);
    ``duration_s`` (talk time) and ``recording`` come with the final state (ended,
    transferred); ``target`` is where a transferred or forwarded call went; ``reason`` says why
    a call ended when that is known (``remote_hangup``, ``cancelled``, ``busy``, ``failed``...).
    """

    call_id: CallRef
    line: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    direction: Literal["in", "out"]
    remote: Remote
    state: CallState
    at: AwareDatetime
    remote_name: Name | None = None
    duration_s: NonNegativeInt | None = None
    recording: RecordingName | None = None
    target: Remote | None = None
    reason: Code | None = None
    event_id: PositiveInt | None = None
    """The CRM event the hub already made for this call (a queue callback, from the ``dial``
    command that placed it): the hub completes that event instead of making another."""


MAX_RECORDING_BYTES = 16 * 2**20
"""The largest recording an agent sends to the hub (about 35 minutes of 8 kHz, 8-bit mono)."""
MAX_RECORDING_PAYLOAD = 4 * -(-MAX_RECORDING_BYTES // 3) + 4096
"""The largest payload of a ``phone_recording``: the WAV in base64 and the other fields. Every
other topic's payload stays within ``MAX_PAYLOAD``."""


class PhoneRecording(Message):
    """A call's recording, sent once the call has ended (PH-2, PH-8): the WAV file, in base64,
    with its SHA-256 so the hub can tell a damaged one. The hub attaches it to the call's event.
    """

    call_id: CallRef
    name: RecordingName
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    data: Annotated[
        str,
        StringConstraints(
            min_length=4,
            max_length=4 * -(-MAX_RECORDING_BYTES // 3),
            pattern=r"^[A-Za-z0-9+/]*={0,2}$",
        ),
    ]


PhoneCommandType = Literal[
    "answer",
    "reject",
    "hangup",
    "hold",
    "unhold",
    "transfer",
    "dial",
    "dtmf",
    "record_start",
    "record_stop",
    "conference",
    # PH-4: whether a line that rings while the operator talks is heard (a soft call-waiting
    # tone) or kept quiet; for the whole phone, no call_id.
    "second_ring_on",
    "second_ring_off",
]
_NEEDS_CALL = frozenset(
    {"answer", "reject", "hangup", "hold", "unhold", "transfer", "dtmf", "record_start",
     "record_stop", "conference"}
)  # fmt: skip


class PhoneCmd(Message):
    """A command to a phone agent; which of call_id/target/digits it needs depends on type.

    ``request_id`` (optional) lets the sender match the agent's report of the outcome.
    ``conference``: ``call_id`` is a held call, joined with the operator's answered call (or
    the conference it is in) into a three-way (or larger) conversation mixed in the agent.
    """

    type: PhoneCommandType
    call_id: CallRef | None = None
    target: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    digits: Digits | None = None
    request_id: UUID | None = None
    event_id: PositiveInt | None = None
    """With ``dial``: the event the hub recorded for this call (a queue callback); the agent
    reports the call with it, so the CRM keeps one event for it."""

    @model_validator(mode="after")
    def _fields_for_type(self) -> Self:
        if self.type in _NEEDS_CALL and self.call_id is None:
            raise ValueError(f"{self.type} needs call_id")
        if self.type in ("transfer", "dial") and self.target is None:
            raise ValueError(f"{self.type} needs target")
        if (self.type == "dtmf") != (self.digits is not None):
            raise ValueError("digits go with dtmf and only with dtmf")
        if self.event_id is not None and self.type != "dial":
            raise ValueError("event_id goes with dial only")
        return self


MAX_LINE_CALLERS = 200
"""The most callers one line agent holds (its ``max_callers``): its phone part's ``lines``."""


class PhoneStatus(Part):
    """A phone agent's own state, inside its device state: registration and busy lines.

    An operator's phone has at most 5 lines; a line agent (the office number) reports the
    callers it may hold as ``lines`` and those it holds as ``busy``."""

    registered: bool
    number: Annotated[str, StringConstraints(max_length=64)] | None = None
    lines: Annotated[int, Field(ge=1, le=MAX_LINE_CALLERS)] = 5
    busy: Annotated[int, Field(ge=0, le=MAX_LINE_CALLERS)] = 0
    second_ring: bool = True
    """False when a line ringing during a conversation is kept quiet (PH-4)."""


class Fault(Part):
    """Something wrong with a device that an administrator should see (paper out...)."""

    code: Code
    message: Text


class DeviceState(Message):
    """Retained on ``devices/{d}/state``: online/offline (the last will), role, version, faults."""

    state: Literal["online", "offline"]
    role: DeviceRole | None = None
    version: Version | None = None
    faults: Annotated[list[Fault], Field(max_length=20)] = Field(default_factory=list)
    at: AwareDatetime | None = None
    # Only from phone agents: registered to the SIP server or not, lines in use.
    phone: PhoneStatus | None = None
