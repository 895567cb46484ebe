"""Payload models of the MQTT contract (v1): the stable core fields of DESIGN.md "Core messages".

Every model forbids unknown fields and carries ``v``, so a device built against another version
of the contract is refused with ``wrong_version`` instead of being half-understood. Models are
strict (no "5" for 5) because third-party devices rely on exactly these shapes.
"""

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, Self, TypeVar
from uuid import UUID

from pydantic import (
    AwareDatetime,
    Field,
    NonNegativeInt,
    PositiveInt,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import from_json

from hub.protocol.base import (
    MAX_PAYLOAD,
    BookingCode,
    CallRef,
    ClientInfo,
    Code,
    DeviceRole,
    Digits,
    ErrorInfo,
    Lang,
    Message,
    Minutes,
    Name,
    Note,
    Part,
    Percent,
    Phone,
    Pin,
    Remote,
    Reply,
    Request,
    Secret,
    TaskNumber,
    Text,
    TicketNumber,
    Url,
    Username,
    Version,
    Window,
)
from hub.protocol.cards import (
    CardEvent,
    CardTask,
    ClientCard,
    OperatorPresence,
    PanelNotice,
    PanelNotices,
    PanelOperators,
)
from hub.protocol.devices import (
    MAX_RECORDING_PAYLOAD,
    BoardCall,
    CallState,
    DeviceState,
    DisplayAnnounce,
    DisplayBoard,
    Fault,
    PhoneCall,
    PhoneCmd,
    PhoneCommandType,
    PhoneRecording,
    PrinterJob,
    PrinterResult,
    PrintTicket,
)
from hub.protocol.errors import ProtocolError
from hub.protocol.lines import (
    LineCallback,
    LineConnected,
    LineJob,
    LineJoin,
    LineLeft,
    LinePlace,
    LineReply,
    LineRequest,
)

__all__ = [
    "MAX_PAYLOAD",
    "MAX_RECORDING_PAYLOAD",
    "AnyMessage",
    "AssignedTicket",
    "BoardCall",
    "BookingCode",
    "CallRef",
    "CallState",
    "CallTicket",
    "CardEvent",
    "CardTask",
    "CheckIn",
    "ClientCard",
    "ClientInfo",
    "Code",
    "DeviceRole",
    "DeviceState",
    "Digits",
    "DisplayAnnounce",
    "DisplayBoard",
    "ErrorInfo",
    "Fault",
    "Finish",
    "IssueTicket",
    "KioskReply",
    "KioskRequest",
    "Lang",
    "LineCallback",
    "LineConnected",
    "LineJob",
    "LineJoin",
    "LineLeft",
    "LinePlace",
    "LineReply",
    "ListServices",
    "Login",
    "Logout",
    "Message",
    "Name",
    "NoShow",
    "Note",
    "OperatorInfo",
    "OperatorPresence",
    "PanelAssignment",
    "PanelNotice",
    "PanelNotices",
    "PanelOperators",
    "PanelReply",
    "PanelRequest",
    "Part",
    "Phone",
    "PhoneCall",
    "PhoneCmd",
    "PhoneCommandType",
    "PhoneRecording",
    "Pin",
    "PrintTicket",
    "PrinterJob",
    "PrinterResult",
    "ProtocolError",
    "ReadNotices",
    "Recall",
    "Remote",
    "Reply",
    "Request",
    "Secret",
    "ServiceInfo",
    "ServiceRef",
    "SetStatus",
    "Start",
    "StatusInfo",
    "Text",
    "TicketInfo",
    "TicketNumber",
    "Transfer",
    "Username",
    "Version",
    "Window",
    "decode",
    "decode_as",
    "encode",
    "max_payload",
    "peek",
    "request_id_of",
]


class ListServices(Request):
    """Kiosk: the services a visitor can queue for, named in ``lang``."""

    type: Literal["list_services"] = "list_services"
    lang: Lang = "uk"


class IssueTicket(Request):
    """Kiosk: a walk-in ticket for a service."""

    type: Literal["issue_ticket"] = "issue_ticket"
    service_id: PositiveInt
    lang: Lang = "uk"
    client: ClientInfo | None = None


class CheckIn(Request):
    """Kiosk: a visitor with a booking has arrived."""

    type: Literal["check_in"] = "check_in"
    booking_code: BookingCode
    lang: Lang = "uk"


KioskRequest = Annotated[ListServices | IssueTicket | CheckIn, Field(discriminator="type")]


class ServiceInfo(Part):
    """One service on the kiosk's menu."""

    id: PositiveInt
    name: Name
    waiting: NonNegativeInt
    estimated_wait_s: NonNegativeInt | None = None
    # The estimate's range (about an 80 % interval); older hubs leave it out.
    estimated_wait_low_s: NonNegativeInt | None = None
    estimated_wait_high_s: NonNegativeInt | None = None


class TicketInfo(Part):
    """A ticket as the visitor sees it; ``printed`` is None while the printer has not answered."""

    id: PositiveInt
    number: TicketNumber
    service_id: PositiveInt
    position: NonNegativeInt
    estimated_wait_s: NonNegativeInt | None = None
    printed: bool | None = None
    estimated_wait_low_s: NonNegativeInt | None = None
    estimated_wait_high_s: NonNegativeInt | None = None
    # The ticket's live page for the visitor's phone (kiosks may show it as a QR code).
    page_url: Url | None = None


class KioskReply(Reply):
    """Reply to a kiosk: ``services`` for list_services, ``ticket`` for issue_ticket/check_in."""

    services: Annotated[list[ServiceInfo], Field(max_length=500)] | None = None
    ticket: TicketInfo | None = None


class Login(Request):
    """Panel: an operator logs in with a password or a PIN (exactly one)."""

    type: Literal["login"] = "login"
    username: Username
    # repr=False keeps secrets out of logs and tracebacks.
    password: Annotated[Secret | None, Field(repr=False)] = None
    pin: Annotated[Pin | None, Field(repr=False)] = None

    @model_validator(mode="after")
    def _one_secret(self) -> Self:
        if (self.password is None) == (self.pin is None):
            raise ValueError("give exactly one of password or pin")
        return self


class Logout(Request):
    """Panel: the operator leaves."""

    type: Literal["logout"] = "logout"


class SetStatus(Request):
    """Panel: change the operator's status; ``free`` asks for the next visitor (Q-5)."""

    type: Literal["set_status"] = "set_status"
    status: Code


class Finish(Request):
    """Panel: the visitor has been served; records the work in the ticket's task (Q-6).

    ``time_spent_minutes`` (default: the minutes since the call) is added to the operator's
    executor record and the task; ``percent_done`` (default 100) is the task's percent, and
    only 100 marks the operator's part done (the task is Done when all its executors are).
    """

    type: Literal["finish"] = "finish"
    ticket_id: PositiveInt
    note: Note | None = None
    time_spent_minutes: Minutes | None = None
    percent_done: Percent | None = None


class NoShow(Request):
    """Panel: the called visitor did not come."""

    type: Literal["no_show"] = "no_show"
    ticket_id: PositiveInt
    note: Note | None = None


class Recall(Request):
    """Panel: call the same visitor again."""

    type: Literal["recall"] = "recall"
    ticket_id: PositiveInt


class Transfer(Request):
    """Panel: hand the visitor to another service and/or operator."""

    type: Literal["transfer"] = "transfer"
    ticket_id: PositiveInt
    target_service_id: PositiveInt | None = None
    target_user: Username | None = None
    to_front: bool = False
    note: Note | None = None

    @model_validator(mode="after")
    def _has_target(self) -> Self:
        if self.target_service_id is None and self.target_user is None:
            raise ValueError("a transfer needs target_service_id or target_user")
        return self


class Start(Request):
    """Panel: the called visitor has come to the window; serving starts (no automatic no-show)."""

    type: Literal["start"] = "start"
    ticket_id: PositiveInt


class CallTicket(Request):
    """Panel: call this particular ticket by hand."""

    type: Literal["call_ticket"] = "call_ticket"
    ticket_id: PositiveInt


class CallerCard(Request):
    """Panel: who is calling? The CRM client and contact behind a phone number (PH-3).

    The hub matches the number the way call events are matched (its significant digits) and
    answers with ``card`` (None when no client has that number)."""

    type: Literal["caller_card"] = "caller_card"
    number: Annotated[Remote, Field(min_length=1)]


class PhoneBook(Request):
    """Panel: the users who have a SIP number, with their statuses (PH-5)."""

    type: Literal["phone_book"] = "phone_book"


class ReadNotices(Request):
    """Panel: the operator has read these notifications (``all``: every unread one); the
    retained ``panel/{d}/notices`` is published again."""

    type: Literal["read_notices"] = "read_notices"
    ids: Annotated[list[PositiveInt], Field(max_length=100)] = Field(default_factory=list)
    all: bool = False

    @model_validator(mode="after")
    def _some(self) -> Self:
        if not self.ids and not self.all:
            raise ValueError("name the notifications read (ids) or set all")
        return self


PanelRequest = Annotated[
    Login
    | Logout
    | SetStatus
    | Start
    | Finish
    | NoShow
    | Recall
    | Transfer
    | CallTicket
    | CallerCard
    | PhoneBook
    | ReadNotices,
    Field(discriminator="type"),
]


class AssignedTicket(Part):
    """The ticket an operator is serving, with what the panel shows about it."""

    id: PositiveInt
    number: TicketNumber
    service_id: PositiveInt
    client: ClientInfo | None = None
    booked_at: AwareDatetime | None = None
    waited_s: NonNegativeInt = 0
    called_at: AwareDatetime | None = None
    state: Code | None = None
    recalls: NonNegativeInt = 0
    service_name: Name | None = None
    card: ClientCard | None = None
    # The visitor follows the ticket on their phone's live page; they said they run late until.
    remote: bool | None = None
    late_until: AwareDatetime | None = None
    # A caller on an office line (not at the hall): the line agent brings them to the
    # operator's phone, which rings; ``phone`` is their number (the card is found by it).
    caller: bool | None = None


class ServiceAlert(Part):
    """A service-level alert raised now (STAT-3) in a service of the operator's work group.

    ``kind`` ``wait``: the line waits longer than the service's target (``value`` and
    ``threshold`` in seconds); ``level``: today's share of visitors called within the target is
    below the threshold (whole percent).
    """

    service_id: PositiveInt
    service_name: Name | None = None
    kind: Literal["wait", "level"]
    value: NonNegativeInt
    threshold: NonNegativeInt
    since: AwareDatetime


class PanelAssignment(Message):
    """Retained on ``panel/{d}/assignment``: what the operator serves now (ticket None: nothing).

    ``reason`` says why this ticket was chosen (its effective time and service, Q-5);
    ``task_number`` and ``task_url`` name the ticket's task and its card in the back-office;
    ``alerts`` (optional, absent when there are none) the service-level alerts raised now in
    the operator's services: the assignment is published again when one is raised or cleared.
    """

    ticket: AssignedTicket | None = None
    task_id: PositiveInt | None = None
    task_number: TaskNumber | None = None
    task_url: Url | None = None
    window: Window | None = None
    reason: Text | None = None
    status: Code | None = None
    alerts: Annotated[list[ServiceAlert], Field(max_length=100)] | None = None


class StatusInfo(Part):
    """A user status (SET-4) a panel offers as a button, named in the operator's language."""

    code: Code
    name: Name
    color: Annotated[str, Field(max_length=16)] | None = None


class ServiceRef(Part):
    """A service (a project using the queue) by id and name."""

    id: PositiveInt
    name: Name


class OperatorInfo(Part):
    """The operator logged in at a panel; after login also their language, the statuses to
    offer and the services whose work group they are in."""

    username: Username
    name: Name | None = None
    status: Code
    lang: Lang | None = None
    statuses: Annotated[list[StatusInfo], Field(max_length=100)] | None = None
    services: Annotated[list[ServiceRef], Field(max_length=500)] | None = None


class PhoneBookEntry(Part):
    """A colleague in the panel's phone book: whom to dial, and whether they are free (PH-5)."""

    username: Username
    name: Name
    sip_number: Annotated[str, Field(min_length=1, max_length=64)]
    status: Code | None = None
    status_name: Name | None = None


class PanelReply(Reply):
    """Reply to a panel: the operator after login/set_status, the assignment when one was made,
    the caller's card after ``caller_card`` and the users after ``phone_book``."""

    operator: OperatorInfo | None = None
    assignment: PanelAssignment | None = None
    card: ClientCard | None = None
    phone_book: Annotated[list[PhoneBookEntry], Field(max_length=500)] | None = None


# ---- encoding ---------------------------------------------------------------------------

_MODELS: dict[str, Any] = {
    "device_state": DeviceState,
    "kiosk_req": KioskRequest,
    "kiosk_reply": KioskReply,
    "printer_job": PrinterJob,
    "printer_result": PrinterResult,
    "panel_req": PanelRequest,
    "panel_reply": PanelReply,
    "panel_assignment": PanelAssignment,
    "panel_operators": PanelOperators,
    "panel_notices": PanelNotices,
    "display_board": DisplayBoard,
    "display_announce": DisplayAnnounce,
    "phone_call": PhoneCall,
    "phone_cmd": PhoneCmd,
    "phone_recording": PhoneRecording,
    "line_req": LineRequest,
    "line_reply": LineReply,
    "line_job": LineJob,
}
_ADAPTERS: dict[str, TypeAdapter[Any]] = {kind: TypeAdapter(t) for kind, t in _MODELS.items()}

AnyMessage = (
    DeviceState
    | ListServices
    | IssueTicket
    | CheckIn
    | KioskReply
    | PrinterJob
    | PrinterResult
    | Login
    | Logout
    | SetStatus
    | Start
    | Finish
    | NoShow
    | Recall
    | Transfer
    | CallTicket
    | CallerCard
    | PhoneBook
    | ReadNotices
    | PanelReply
    | PanelAssignment
    | PanelOperators
    | PanelNotices
    | DisplayBoard
    | DisplayAnnounce
    | PhoneCall
    | PhoneCmd
    | PhoneRecording
    | LineCallback
    | LineJoin
    | LinePlace
    | LineLeft
    | LineConnected
    | LineReply
    | LineJob
)

M = TypeVar("M", bound=Message)


def encode(model: Message) -> bytes:
    """Compact UTF-8 JSON of a message, without fields left at None."""
    return model.__pydantic_serializer__.to_json(model, exclude_none=True)


def max_payload(topic_kind: str) -> int:
    """The largest payload a topic of ``topic_kind`` may carry; anything larger is refused."""
    return MAX_RECORDING_PAYLOAD if topic_kind == "phone_recording" else MAX_PAYLOAD


_NOT_JSON = object()


def peek(payload: bytes | bytearray, limit: int = MAX_PAYLOAD) -> Any:
    """The JSON value of ``payload`` for a best-effort look (a request_id, a type), or None when
    it is not JSON of at most ``limit`` bytes. Never raises: the nesting depth is bounded by
    pydantic-core's parser, where ``json.loads`` raises RecursionError on a deeply nested array
    (a device's 2 KB message once stopped the hub's MQTT thread that way)."""
    value = _peek(payload, limit)
    return None if value is _NOT_JSON else value


def _peek(payload: bytes | bytearray, limit: int) -> Any:
    if not isinstance(payload, bytes | bytearray) or len(payload) > limit:
        return _NOT_JSON
    try:
        return from_json(payload)
    except ValueError:  # invalid JSON or UTF-8, too deeply nested
        return _NOT_JSON


_REQUEST_ID = re.compile(rb'"request_id"\s*:\s*"([0-9A-Fa-f-]{32,36})"')


def request_id_of(payload: bytes | bytearray) -> UUID | None:
    """Best effort: the ``request_id`` of a payload that failed validation, so its sender can
    still be answered (from the text when it is not JSON at all: too deep, cut short)."""
    data = peek(payload)
    if isinstance(data, dict):
        value = data.get("request_id")
    elif data is None and isinstance(payload, bytes | bytearray) and len(payload) <= MAX_PAYLOAD:
        found = _REQUEST_ID.search(payload)
        value = found.group(1).decode() if found else None
    else:
        return None
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None


def _fail(payload: bytes, exc: ValidationError) -> ProtocolError:
    """Classify a validation failure into one ProtocolError, most telling code first."""
    errors = exc.errors(include_url=False, include_input=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return ProtocolError("bad_json", "the payload is not valid JSON")
    data = _peek(payload, len(payload))
    if data is _NOT_JSON:
        return ProtocolError("bad_json", "the payload is not valid UTF-8 JSON")
    if isinstance(data, dict) and "v" in data and data["v"] != 1:
        return ProtocolError(
            "wrong_version", f"payload version {data['v']!r} is not supported (expected 1)"
        )
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        names = ", ".join(".".join(str(p) for p in e["loc"]) for e in unknown[:5])
        return ProtocolError("unknown_field", f"unknown field(s): {names}")
    details = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in errors[:5]
    )
    return ProtocolError("invalid", f"invalid payload: {details}")


def _validate(
    validate_json: Callable[[bytes], Any], payload: bytes | bytearray, limit: int = MAX_PAYLOAD
) -> Any:
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise ProtocolError("invalid", "a payload must be bytes")
    if len(payload) > limit:
        raise ProtocolError("invalid", f"payload of {len(payload)} bytes exceeds {limit}")
    data = bytes(payload)
    try:
        result = validate_json(data)
    except ValidationError as exc:
        raise _fail(data, exc) from None
    # ``v`` has a default for building messages in code, but a payload must state it.
    if "v" not in result.model_fields_set:
        raise ProtocolError("invalid", "invalid payload: the version field v is missing")
    return result


def decode(topic_kind: str, payload: bytes | bytearray) -> AnyMessage:
    """Parse the payload of a topic of ``topic_kind`` (a TopicKind); raises ProtocolError."""
    adapter = _ADAPTERS.get(str(topic_kind))
    if adapter is None:
        raise ProtocolError("bad_topic", f"no payload is defined for {topic_kind!r}")
    result: AnyMessage = _validate(adapter.validate_json, payload, max_payload(topic_kind))
    return result


def decode_as(model: type[M], payload: bytes | bytearray) -> M:
    """Parse a payload known to be a ``model`` (a reply whose type the caller knows)."""
    result: M = _validate(model.model_validate_json, payload)
    return result
