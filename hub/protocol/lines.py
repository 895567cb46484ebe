"""Payloads of the office lines (call-centre lines): a line agent and the hub.

A line agent answers the office's numbers, and each caller joins a service's queue as a phone
ticket (``join``); it asks now and then for the caller's place (``place``), says when a caller
hung up while waiting (``left``) and whether the operator's phone took the call it was told to
bring (``connected``), and on every (re)connection which calls it really holds (``held``): the
hub abandons that line's other callers, whose calls a crash or a lost ``left`` took away. The
hub answers on ``line/{d}/reply`` and sends ``line/{d}/job`` when an
operator who pressed Free is given a caller: which call to bring to which SIP target.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, NonNegativeInt, PositiveInt

from hub.protocol.base import (
    CallRef,
    Code,
    Lang,
    Message,
    Name,
    Part,
    Remote,
    Reply,
    Request,
    TicketNumber,
    Window,
)
from hub.protocol.devices import MAX_LINE_CALLERS

SipTarget = Annotated[str, Field(pattern=r"^[A-Za-z0-9+*#._-]{1,64}$")]


class LineJoin(Request):
    """Line: a caller chose a service; make their phone ticket (once per ``call_id``)."""

    type: Literal["join"] = "join"
    call_id: CallRef
    service_id: PositiveInt
    remote: Remote
    lang: Lang = "uk"


class LinePlace(Request):
    """Line: where is this caller in line now, and how long until an operator takes them."""

    type: Literal["place"] = "place"
    call_id: CallRef


class LineLeft(Request):
    """Line: the caller hung up; while still waiting the ticket is recorded as abandoned."""

    type: Literal["left"] = "left"
    call_id: CallRef


class LineCallback(Request):
    """Line: the waiting caller pressed the callback key; they keep their place, hang up, and
    the operator who reaches their ticket has their phone agent dial them back."""

    type: Literal["callback"] = "callback"
    call_id: CallRef


class LineConnected(Request):
    """Line: the operator's phone answered the call it was told to bring (``ok``), or did not
    (``reason``: ``no_answer``, ``busy``, ``failed``, ``caller_gone``)."""

    type: Literal["connected"] = "connected"
    call_id: CallRef
    ok: bool
    reason: Code | None = None


class LineHeld(Request):
    """Line: on (re)connecting, the calls it holds now; the hub abandons the line's waiting
    and called callers not among them (their calls are gone), except those to be called back."""

    type: Literal["held"] = "held"
    call_ids: Annotated[list[CallRef], Field(max_length=MAX_LINE_CALLERS)]


LineRequest = Annotated[
    LineJoin | LinePlace | LineLeft | LineCallback | LineConnected | LineHeld,
    Field(discriminator="type"),
]


class LineTicket(Part):
    """A caller's ticket: its place while waiting (None once called) and the estimate."""

    id: PositiveInt
    number: TicketNumber
    service_id: PositiveInt
    state: Code
    position: NonNegativeInt | None = None
    estimated_wait_s: NonNegativeInt | None = None


class LineReply(Reply):
    """Reply to a line agent: the caller's ticket as it is now (to ``held``: how many callers
    the hub abandoned)."""

    ticket: LineTicket | None = None
    abandoned: NonNegativeInt | None = None


class LineJob(Message):
    """Hub to line: bring caller ``call_id`` (ticket ``ticket_id``) to ``target``, the SIP
    account of the phone agent of the operator who was given them."""

    job_id: PositiveInt
    call_id: CallRef
    ticket_id: PositiveInt
    number: TicketNumber
    target: SipTarget
    operator: Name | None = None
    window: Window | None = None
    at: AwareDatetime
    remote: Remote | None = None
