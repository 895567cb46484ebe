"""The line agent's media thread: every 20 ms, each caller hears their prompt (or silence), and a
caller bridged to an operator hears the operator and the operator the caller."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from operator_panel.phone.media import loud
from operator_panel.phone.mixer import SILENT_FRAME
from operator_panel.phone.sip import FRAME, SAMPLE_RATE, SipCall

logger = logging.getLogger(__name__)

TICK = FRAME / SAMPLE_RATE


@dataclass
class LineLeg:
    """One answered call: what it is to hear, and what was heard (tests and the bench)."""

    call: SipCall
    prompt: deque[bytes] = field(default_factory=deque)
    partner: SipCall | None = None
    frames_in: int = 0
    loud_in: int = 0
    frames_out: int = 0
    loud_out: int = 0
    late: int = 0


class LineMedia:
    """``add`` answered calls, ``play`` prompts to them, ``bridge`` two, ``remove`` ended ones."""

    def __init__(self) -> None:
        self._legs: dict[str, LineLeg] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="line-media", daemon=True)
        self.ticks = 0
        self.late_ticks = 0
        """Ticks that started more than a frame late (audio the callers lost: the bench)."""

    def start(self) -> None:
        """Start the media thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the media thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)

    def add(self, call: SipCall) -> None:
        """Carry this answered call's audio."""
        with self._lock:
            self._legs.setdefault(call.id, LineLeg(call))

    def remove(self, call_id: str) -> LineLeg | None:
        """Stop carrying a call; its partner, if any, is left alone."""
        with self._lock:
            leg = self._legs.pop(call_id, None)
            for other in self._legs.values():
                if other.partner is not None and other.partner.id == call_id:
                    other.partner = None
            return leg

    def leg(self, call_id: str) -> LineLeg | None:
        """The media state of a call."""
        with self._lock:
            return self._legs.get(call_id)

    def play(self, call_id: str, frames: list[bytes]) -> None:
        """Replace what the call is hearing with ``frames``, then silence."""
        with self._lock:
            leg = self._legs.get(call_id)
            if leg is not None:
                leg.prompt = deque(frames)

    def playing(self, call_id: str) -> bool:
        """Whether a prompt is still being heard on the call."""
        with self._lock:
            leg = self._legs.get(call_id)
            return leg is not None and bool(leg.prompt)

    def bridge(self, caller: SipCall, operator: SipCall) -> None:
        """Pass audio both ways between the caller and the operator's answered call."""
        with self._lock:
            a = self._legs.setdefault(caller.id, LineLeg(caller))
            b = self._legs.setdefault(operator.id, LineLeg(operator))
            a.partner, b.partner = operator, caller
            a.prompt.clear()
            b.prompt.clear()

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            due += TICK
            delay = due - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            elif delay < -TICK:
                self.late_ticks += 1
                if delay < -0.5:  # far behind (suspended): do not try to catch up
                    due = time.monotonic()
            with self._lock:
                legs = list(self._legs.values())
            if not legs:
                self._stop.wait(0.05)
                due = time.monotonic()
                continue
            self.ticks += 1
            try:
                self._tick(legs)
            except Exception:
                logger.exception("audio of the line failed")

    def _tick(self, legs: list[LineLeg]) -> None:
        heard: dict[str, bytes] = {}
        for leg in legs:
            try:
                frame = leg.call.read_audio()
            except Exception:
                logger.exception("reading audio of call %s failed", leg.call.id)
                frame = b""
            heard[leg.call.id] = frame
            leg.frames_in += 1
            if loud(frame):
                leg.loud_in += 1
        for leg in legs:
            partner = leg.partner
            if partner is not None:
                out = heard.get(partner.id) or SILENT_FRAME
            else:
                with self._lock:
                    out = leg.prompt.popleft() if leg.prompt else SILENT_FRAME
            if len(out) != FRAME:
                out = out[:FRAME].ljust(FRAME, SILENT_FRAME[:1])
            try:
                leg.call.write_audio(out)
            except Exception:
                logger.exception("sending audio to call %s failed", leg.call.id)
                continue
            leg.frames_out += 1
            if loud(out):
                leg.loud_out += 1
