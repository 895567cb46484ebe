"""The lines and their calls: a state machine over plain data, no SIP, no MQTT, no threads.

The agent feeds it what happened (a call offered, answered, ended...) and the operator's
commands; it answers with the ``PhoneCall`` reports to publish and refuses what the state does
not allow. Up to ``lines`` calls at once: one more incoming call is refused busy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from hub.protocol.devices import CallState, PhoneCall

Direction = Literal["in", "out"]
# What a line can be in; "dialing" is an outgoing call not answered yet (reported as ringing).
LineState = Literal["ringing", "dialing", "answered", "held"]


class LineError(Exception):
    """A command the current state does not allow; ``code`` is stable for programs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Line:
    """One call on one line."""

    number: int
    call_id: str
    direction: Direction
    remote: str
    remote_name: str | None
    state: LineState
    offered_at: float
    answered_at: float | None = None
    recording: str | None = None
    recordings: list[str] = field(default_factory=list)
    conference: bool = False
    """In the operator's conference: its reports say ``reason: conference``."""
    live_at: float = 0.0
    """When it was last answered or taken off hold (the newest is the operator's current call)."""


@dataclass(frozen=True)
class Offer:
    """The decision on an incoming call: ring it, or refuse it busy (all lines taken)."""

    ring: bool
    reports: list[PhoneCall]


_ALLOWED: dict[str, tuple[LineState, ...]] = {
    "answer": ("ringing",),
    "reject": ("ringing",),
    "hangup": ("ringing", "dialing", "answered", "held"),
    "hold": ("answered",),
    "unhold": ("held",),
    "dtmf": ("answered", "held"),
    "record_start": ("answered", "held"),
    "record_stop": ("answered", "held"),
    "transfer": ("answered", "held"),
    "conference": ("held",),
}
CONFERENCE = "conference"


class LineManager:
    """Up to ``lines`` calls; every change returns the reports to publish."""

    def __init__(
        self,
        lines: int,
        ring_timeout_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not 1 <= lines <= 5:
            raise ValueError("1 to 5 lines")
        self.lines, self.ring_timeout_s = lines, ring_timeout_s
        self._clock, self._now = clock, now
        self._calls: dict[str, Line] = {}

    # ---- queries -------------------------------------------------------------------------

    @property
    def busy(self) -> int:
        """Lines in use."""
        return len(self._calls)

    def get(self, call_id: str) -> Line | None:
        """The line of a call, if it is still on one."""
        return self._calls.get(call_id)

    def calls(self) -> list[Line]:
        """Every call on a line, by line number."""
        return sorted(self._calls.values(), key=lambda line: line.number)

    def check(self, command: str, call_id: str) -> Line:
        """The call's line when ``command`` is allowed now; LineError otherwise."""
        line = self._calls.get(call_id)
        if line is None:
            raise LineError("unknown_call", f"no call {call_id!r} on any line")
        allowed = _ALLOWED.get(command)
        if allowed is None:
            raise LineError("unknown_command", f"unknown command {command!r}")
        if line.state not in allowed:
            raise LineError("wrong_state", f"cannot {command} a call that is {line.state}")
        if command in ("answer", "reject") and line.direction != "in":
            raise LineError("wrong_state", f"cannot {command} an outgoing call")
        if command == "record_start" and line.recording is not None:
            raise LineError("wrong_state", "already recording")
        if command == "record_stop" and line.recording is None:
            raise LineError("wrong_state", "not recording")
        return line

    def expired(self) -> list[str]:
        """Incoming calls ringing longer than the ring timeout (to refuse as missed)."""
        limit = self._clock() - self.ring_timeout_s
        return [
            line.call_id
            for line in self._calls.values()
            if line.state == "ringing" and line.offered_at <= limit
        ]

    # ---- changes ---------------------------------------------------------------------------

    def offer(self, call_id: str, remote: str, remote_name: str | None = None) -> Offer:
        """An incoming call: ringing on a free line, or refused when every line is taken."""
        if call_id in self._calls:
            return Offer(ring=True, reports=[])
        number = self._free_line()
        if number is None:
            report = PhoneCall(
                call_id=call_id, line="0", direction="in", remote=remote, state="rejected",
                at=self._now(), remote_name=remote_name, reason="busy",
            )  # fmt: skip
            return Offer(ring=False, reports=[report])
        line = Line(number, call_id, "in", remote, remote_name, "ringing", self._clock())
        self._calls[call_id] = line
        return Offer(ring=True, reports=[self._report(line, "ringing")])

    def dialing(self, call_id: str, remote: str) -> list[PhoneCall]:
        """An outgoing call placed (reported ringing until answered)."""
        number = self._free_line()
        if number is None:
            raise LineError("no_free_line", f"all {self.lines} lines are busy")
        line = Line(number, call_id, "out", remote, None, "dialing", self._clock())
        self._calls[call_id] = line
        return [self._report(line, "ringing")]

    def free_line(self) -> bool:
        """True when one more call fits."""
        return self._free_line() is not None

    def answered(self, call_id: str) -> list[PhoneCall]:
        """The call is answered (by the operator, or by the called party)."""
        line = self._calls.get(call_id)
        if line is None or line.state not in ("ringing", "dialing"):
            return []
        line.state, line.answered_at = "answered", self._clock()
        line.live_at = line.answered_at
        return [self._report(line, "answered")]

    def hold(self, call_id: str, held: bool) -> list[PhoneCall]:
        """Put on local hold, or take off it."""
        line = self.check("hold" if held else "unhold", call_id)
        line.state = "held" if held else "answered"
        if not held:
            line.live_at = self._clock()
        return [self._report(line, "held" if held else "answered")]

    def in_conference(self) -> set[str]:
        """The calls in the operator's conference (none, or at least two)."""
        return {line.call_id for line in self._calls.values() if line.conference}

    def conference(self, call_id: str, exclude: Collection[str] = ()) -> list[PhoneCall]:
        """Join the held call with the operator's current call (or its conference); both
        answered. ``exclude``: answered calls that are not the operator's (a transfer's legs)."""
        line = self.check("conference", call_id)
        members = [c for c in self._calls.values() if c.conference and c.call_id != call_id]
        talking = [
            c for c in self._calls.values()
            if c.state == "answered" and c.call_id not in exclude and c.call_id != call_id
        ]  # fmt: skip
        if members:  # it joins the conference; the others are in it already
            joining = [line]
        elif talking:
            joining = [line, max(talking, key=lambda c: c.live_at)]
        else:
            raise LineError("wrong_state", "no answered call to join this one with")
        for member in joining:
            member.conference = True
        line.state, line.live_at = "answered", self._clock()
        return [self._report(c, _state(c)) for c in joining]

    def leave_conference(self, call_id: str) -> list[PhoneCall]:
        """The call leaves the conference; one left alone is a normal call again."""
        line = self._calls.get(call_id)
        if line is None or not line.conference:
            return []
        line.conference = False
        rest = [c for c in self._calls.values() if c.conference]
        if len(rest) != 1:
            return []
        rest[0].conference = False
        return [self._report(rest[0], _state(rest[0]))]

    def recording(self, call_id: str, name: str | None) -> None:
        """Recording started (``name``) or stopped (None)."""
        line = self._calls[call_id]
        if name is not None:
            line.recordings.append(name)
        line.recording = name

    def rejected(self, call_id: str) -> list[PhoneCall]:
        """The operator refused a ringing call."""
        line = self._calls.pop(call_id, None)
        return [] if line is None else [self._report(line, "rejected", reason="rejected")]

    def ended(self, call_id: str, reason: str) -> list[PhoneCall]:
        """The call is over: missed when it was never answered, otherwise ended (and the
        conference it was in reported again when one call is left of it)."""
        left = self.leave_conference(call_id)
        line = self._calls.pop(call_id, None)
        if line is None:
            return []
        if line.answered_at is None:
            return [self._report(line, "missed", reason=reason)]
        talk = max(0, round(self._clock() - line.answered_at))
        recording = line.recordings[-1] if line.recordings else None
        end = self._report(line, "ended", reason=reason, duration=talk, recording=recording)
        return [end, *left]

    def transferred(self, call_id: str, target: str) -> list[PhoneCall]:
        """The call left this agent for ``target``."""
        self.leave_conference(call_id)  # already left when the transfer began
        line = self._calls.pop(call_id, None)
        if line is None:
            return []
        talk = max(0, round(self._clock() - (line.answered_at or self._clock())))
        return [self._report(line, "transferred", target=target, duration=talk)]

    def report(self, call_id: str, reason: str) -> list[PhoneCall]:
        """The call's current state again, with ``reason`` (e.g. a refused command)."""
        line = self._calls.get(call_id)
        if line is None:
            return []
        return [self._report(line, _state(line), reason=reason)]

    # ---- helpers -----------------------------------------------------------------------------

    def _free_line(self) -> int | None:
        taken = {line.number for line in self._calls.values()}
        return next((n for n in range(1, self.lines + 1) if n not in taken), None)

    def _report(
        self,
        line: Line,
        state: CallState,
        *,
        reason: str | None = None,
        duration: int | None = None,
        recording: str | None = None,
        target: str | None = None,
    ) -> PhoneCall:
        if reason is None and line.conference and state in ("answered", "held"):
            reason = CONFERENCE
        return PhoneCall(
            call_id=line.call_id, line=str(line.number), direction=line.direction,
            remote=line.remote, state=state, at=self._now(), remote_name=line.remote_name,
            duration_s=duration, recording=recording, target=target, reason=reason,
        )  # fmt: skip


def _state(line: Line) -> CallState:
    """The reported state of a line: an outgoing call not answered yet is ringing."""
    return "ringing" if line.state == "dialing" else line.state
