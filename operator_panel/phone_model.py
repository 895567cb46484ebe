"""The phone beside the panel, as plain state: lines, the last incoming calls, what to send.

Fed by the agent's ``PhoneCall`` reports (and its retained device state) and by the operator's
presses; no Kivy, no MQTT (STYLE 12). MQTT delivers at least once and a reconnect may replay, so
every report is checked against what is known: a duplicate changes nothing, an older report than
the one already applied is ignored, and a call that has ended stays ended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from firmware_config.hublink import new_request_id
from hub.protocol.base import Request
from hub.protocol.cards import ClientCard
from hub.protocol.devices import DeviceState, PhoneCall, PhoneCmd, PhoneCommandType, PhoneStatus
from hub.protocol.messages import CallerCard, PanelReply, PhoneBook, PhoneBookEntry
from operator_panel.phone_recent import FINAL, Incoming, remember

logger = logging.getLogger(__name__)

MAX_LINES = 5
# A call only moves forward through these; held and answered alternate (ordered by time).
_RANK = {"ringing": 0, "answered": 1, "held": 1}
# Commands whose outcome the agent reports: the button waits this long for it.
PENDING_S = 6.0
# Ended calls remembered, so a late or replayed report cannot bring one back.
_FORGET_AFTER = 200
DIGITS = frozenset("0123456789*#")
DIAL_CHARS = DIGITS | {"+"}
MAX_DIAL = 32

Clock = Callable[[], datetime]
CmdSender = Callable[[PhoneCmd], None]
Asker = Callable[[Request, Callable[[PanelReply], None], Callable[[str], None]], None]
"""Sends a panel request to the hub; exactly one callback runs later, on the UI thread."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Call:
    """One call on a line, as the agent last reported it."""

    call_id: str
    line: str
    direction: str
    remote: str
    state: str
    at: datetime
    """When the state last applied was reached (the agent's clock)."""
    started: datetime
    """When the call was first seen (ringing or dialled)."""
    answered: datetime | None = None
    remote_name: str | None = None
    recording: bool = False
    conference: bool = False
    """Joined with other lines in the agent's conference (its reports say so)."""
    seen: datetime = field(default_factory=_now)
    """When the panel learnt it (its own clock): the order of calls on screen."""


class PhoneModel:
    """The phone area's state; ``notify`` runs after every change (the panel redraws)."""

    def __init__(
        self,
        device: str,
        *,
        send: CmdSender,
        ask: Asker,
        notify: Callable[[], None] = lambda: None,
        clock: Clock = _now,
    ) -> None:
        self.device = device
        self._send = send
        self._ask = ask
        self._notify = notify
        self.clock = clock
        self.connected = False
        self.calls: dict[str, Call] = {}
        self.recent: list[Incoming] = []
        self._ended: dict[str, datetime] = {}
        self.agent: DeviceState | None = None
        self.mute_second_ring = False
        self.dialled = ""
        self.tones: dict[str, str] = {}
        """DTMF digits sent during each call (shown on the pad's display)."""
        self.pending: dict[str, tuple[PhoneCommandType, datetime]] = {}
        """Per call (or "" for dial): the last command sent and when, until the agent reports."""
        self.cards: dict[str, ClientCard | None] = {}
        """Caller cards by number: None while unknown or when the hub has no client for it."""
        self.asked: set[str] = set()
        self.lookup_failed: set[str] = set()
        self.book: list[PhoneBookEntry] | None = None
        self.book_failed = False
        self.open = False
        """Whether the operator has the phone area open (else the queue screen)."""
        self.list_tab = "book"
        self.chosen: str | None = None
        """The line the operator touched: its call's buttons are shown under the lines."""
        self.forwarding: str | None = None
        """The ringing call being forwarded: the dial pad's number is its target."""

    # ---- from the agent ---------------------------------------------------------------

    def call_received(self, report: PhoneCall) -> bool:
        """Apply one call report; False when it was a duplicate or stale (nothing changed)."""
        changed = self._apply(report)
        if changed:
            self.pending.pop(report.call_id, None)
            if report.direction == "in" and report.state == "ringing":
                self._look_up(report.remote)
            if report.direction == "out":
                self.pending.pop("", None)  # the dialled call is there
            self._notify()
        return changed

    def _apply(self, report: PhoneCall) -> bool:
        cid = report.call_id
        if cid in self._ended:
            return False
        remember(self.recent, report)
        known = self.calls.get(cid)
        if report.state in FINAL:
            if known is not None and report.at < known.at:
                logger.info("call %s: final report older than %s; applied anyway", cid, known.at)
            self.calls.pop(cid, None)
            self.tones.pop(cid, None)
            self._ended[cid] = report.at
            if len(self._ended) > _FORGET_AFTER:
                del self._ended[next(iter(self._ended))]
            if self.forwarding == cid:
                self.forwarding = None
            return True
        if known is None:
            self._take_line(report)
            return True
        if report.at < known.at or (
            report.at == known.at and _RANK[report.state] <= _RANK[known.state]
        ):
            return False  # a duplicate, or overtaken by a newer report
        if _RANK[report.state] < _RANK[known.state]:
            return False  # an answered call does not ring again
        known.state, known.at = report.state, report.at
        if report.state in ("answered", "held") and known.answered is None:
            known.answered = report.at
        if report.remote_name:
            known.remote_name = report.remote_name
        if report.recording is not None:
            known.recording = True
        if report.reason in (None, "conference"):  # not a refused command's report
            known.conference = report.reason == "conference"
        return True

    def _take_line(self, report: PhoneCall) -> None:
        # A line holds one call: another report on it means the old call's end was lost.
        for other in [c for c in self.calls.values() if c.line == report.line]:
            self.calls.pop(other.call_id)
            self._ended[other.call_id] = report.at
        self.calls[report.call_id] = Call(
            call_id=report.call_id,
            line=report.line,
            direction=report.direction,
            remote=report.remote,
            state=report.state,
            at=report.at,
            started=report.at,
            answered=report.at if report.state != "ringing" else None,
            remote_name=report.remote_name,
            conference=report.reason == "conference",
            seen=self.clock(),
        )

    def state_received(self, state: DeviceState) -> None:
        """The agent's retained device state: online or not, registered or not."""
        self.agent = state
        if state.state == "offline":
            self.pending.clear()
        elif state.phone is not None:
            self.mute_second_ring = not state.phone.second_ring
        self._notify()

    def connection_changed(self, up: bool) -> None:
        """The panel's own link to the broker."""
        self.connected = up
        self._notify()

    # ---- what the screen asks ---------------------------------------------------------

    @property
    def status(self) -> PhoneStatus | None:
        """The agent's registration, when it has told it."""
        return self.agent.phone if self.agent is not None else None

    @property
    def agent_online(self) -> bool | None:
        """True/False from the agent's state; None when the panel has not seen it."""
        return None if self.agent is None else self.agent.state == "online"

    @property
    def usable(self) -> bool:
        """Whether commands can reach the agent now (the agent may still be unregistered)."""
        return self.connected and self.agent_online is not False

    def lines(self) -> list[Call]:
        """The calls on lines, by line (at most MAX_LINES)."""
        return sorted(self.calls.values(), key=lambda c: (_line_key(c.line), c.seen))[:MAX_LINES]

    def ringing(self) -> Call | None:
        """The incoming call the incoming-call window shows: the one ringing longest."""
        rings = [c for c in self.calls.values() if c.direction == "in" and c.state == "ringing"]
        return min(rings, key=lambda c: (c.started, c.seen)) if rings else None

    def talking(self) -> Call | None:
        """The call DTMF goes to: the newest answered (not held) call."""
        live = [c for c in self.calls.values() if c.state == "answered"]
        return max(live, key=lambda c: (c.at, c.seen)) if live else None

    def selected(self) -> Call | None:
        """The call whose buttons are shown: the one touched, else the one talking, else the
        first on the lines."""
        if self.chosen in self.calls:
            return self.calls[self.chosen or ""]
        lines = self.lines()
        return self.talking() or (lines[0] if lines else None)

    def choose(self, call_id: str) -> None:
        """Show the buttons of the call on the touched line."""
        self.chosen = call_id
        self._notify()

    def can_join(self, call: Call) -> bool:
        """A held call can join the answered one (a three-way conference, in the agent)."""
        others = self.calls.values()
        return call.state == "held" and any(c.state == "answered" for c in others)

    def ring_muted(self) -> bool:
        """A call rings while the operator talks on another line and the ring is to be quiet."""
        return self.mute_second_ring and self.ringing() is not None and self.talking() is not None

    def waiting_for(self, key: str) -> PhoneCommandType | None:
        """The command sent for call ``key`` ("" for dial) still awaiting the agent's report."""
        sent = self.pending.get(key)
        if sent is None:
            return None
        if (self.clock() - sent[1]).total_seconds() > PENDING_S:
            return None
        return sent[0]

    def card_for(self, number: str) -> ClientCard | None:
        """The caller's client card, once the hub has answered."""
        return self.cards.get(number)

    # ---- operator actions -------------------------------------------------------------

    def answer(self, call_id: str) -> None:
        """Take a ringing call."""
        self._command("answer", call_id)

    def reject(self, call_id: str) -> None:
        """Refuse a ringing call."""
        self._command("reject", call_id)

    def hangup(self, call_id: str) -> None:
        """End a call."""
        self._command("hangup", call_id)

    def toggle_hold(self, call_id: str) -> None:
        """Hold a call in progress, or take it back."""
        call = self.calls.get(call_id)
        if call is not None:
            self._command("unhold" if call.state == "held" else "hold", call_id)

    def conference(self, call_id: str) -> None:
        """Join the held call with the answered one: all three talk together (PH-2)."""
        call = self.calls.get(call_id)
        if call is not None and self.can_join(call):
            self._command("conference", call_id)

    def toggle_record(self, call_id: str) -> None:
        """Start or stop recording the conversation (PH-2)."""
        call = self.calls.get(call_id)
        if call is not None and call.state != "ringing":
            self._command("record_stop" if call.recording else "record_start", call_id)
            # The agent says it records only with the final report: the panel keeps the switch.
            call.recording = not call.recording
            self._notify()

    def start_forward(self, call_id: str) -> None:
        """Forward a ringing call: the dial pad now types the target number."""
        if call_id in self.calls:
            self.forwarding, self.dialled, self.open = call_id, "", True
            self._notify()

    def cancel_forward(self) -> None:
        """Back to dialling: the ringing call is not forwarded."""
        self.forwarding = None
        self._notify()

    def press_key(self, key: str) -> None:
        """A dial-pad key: DTMF to the call in progress, else a digit of the number to dial."""
        if key not in DIAL_CHARS:
            return
        talking = self.talking()
        if talking is not None and self.forwarding is None and key in DIGITS:
            self._command("dtmf", talking.call_id, digits=key)
            sent = self.tones.get(talking.call_id, "")
            self.tones[talking.call_id] = (sent + key)[-MAX_DIAL:]
        elif len(self.dialled) < MAX_DIAL:
            self.dialled += key
        self._notify()

    def backspace(self) -> None:
        """Remove the last typed character."""
        self.dialled = self.dialled[:-1]
        self._notify()

    def clear(self) -> None:
        """Forget the typed number."""
        self.dialled = ""
        self._notify()

    def call_typed(self) -> None:
        """Dial the typed number, or forward the ringing call to it."""
        number = self.dialled.strip()
        if not number:
            return
        if self.forwarding is not None:
            target = self.forwarding
            self.forwarding = None
            self._command("transfer", target, target=number)
        else:
            self.dial(number)
        self.dialled = ""
        self._notify()

    def dial(self, number: str) -> None:
        """Ring a number (typed, from the book, or a caller back)."""
        if number and self.waiting_for("") is None:
            self._command("dial", None, target=number)

    def toggle_mute_second_ring(self) -> None:
        """PH-4: keep a second line quiet while the operator talks (the agent plays the ring,
        so it is told; its state then says what it does)."""
        if not self.usable:
            logger.info("phone ring setting ignored: no connection to the agent")
            return
        self.mute_second_ring = not self.mute_second_ring
        kind: PhoneCommandType = "second_ring_off" if self.mute_second_ring else "second_ring_on"
        self._send(PhoneCmd(type=kind, request_id=new_request_id()))
        self._notify()

    def toggle_open(self) -> None:
        """Show the phone area or the queue screen (the book is fetched afresh on opening)."""
        self.open = not self.open
        if self.open:
            self.refresh_book()
        self._notify()

    def show_list(self, tab: str) -> None:
        """The book of colleagues ("book") or the last incoming calls ("recent")."""
        self.list_tab = tab if tab in ("book", "recent") else "book"
        self._notify()

    # ---- hub answers ------------------------------------------------------------------

    def card_received(self, number: str, card: ClientCard | None) -> None:
        """The hub's caller card for ``number`` (None: no client has it)."""
        self.cards[number] = card
        self._notify()

    def book_received(self, entries: list[PhoneBookEntry] | None) -> None:
        """The hub's book of users with SIP numbers (None: the hub could not say)."""
        self.book_failed = entries is None
        if entries is not None:
            self.book = sorted(entries, key=lambda e: e.name.casefold())
        self._notify()

    def refresh_book(self) -> None:
        """Ask the hub for the users with SIP numbers and their statuses (PH-5)."""
        if not self.connected:
            return
        self._ask(
            PhoneBook(request_id=new_request_id()),
            lambda reply: self.book_received(reply.phone_book if reply.ok else None),
            lambda _why: self.book_received(None),
        )

    def _look_up(self, number: str) -> None:
        """Ask the hub once per number who is calling (the caller's client card)."""
        if number in self.asked or not self.connected:
            return
        self.asked.add(number)

        def failed(_why: str) -> None:
            # Not "unknown caller": the hub could not say (asked again at the next ring).
            self.asked.discard(number)
            self.lookup_failed.add(number)
            self._notify()

        def answered(reply: PanelReply) -> None:
            if reply.ok:
                self.lookup_failed.discard(number)
                self.card_received(number, reply.card)
            else:
                failed(reply.error.code if reply.error else "")

        self._ask(CallerCard(request_id=new_request_id(), number=number), answered, failed)

    # ---- sending ----------------------------------------------------------------------

    def _command(
        self,
        kind: PhoneCommandType,
        call_id: str | None,
        *,
        target: str | None = None,
        digits: str | None = None,
    ) -> None:
        key = call_id or ""
        if not self.usable:
            logger.info("phone %s ignored: no connection to the agent", kind)
            return
        if kind != "dtmf" and self.waiting_for(key) == kind:
            return  # a second press of the same button before the agent answered
        command = PhoneCmd(
            type=kind, call_id=call_id, target=target, digits=digits, request_id=new_request_id()
        )
        if kind not in ("dtmf", "record_start", "record_stop"):
            self.pending[key] = (kind, self.clock())
        self._send(command)
        self._notify()


def _line_key(line: str) -> tuple[int, str]:
    return (int(line), "") if line.isdigit() else (10**6, line)
