"""The line agent's media thread: every 20 ms, each caller hears their prompt (or silence), and a
caller bridged to an operator hears the operator and the operator the caller."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

from operator_panel.phone.legs import CallMedia
from operator_panel.phone.media import loud
from operator_panel.phone.mixer import SILENT_FRAME
from operator_panel.phone.sip import FRAME, SipCall

logger = logging.getLogger(__name__)


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


class LineMedia(CallMedia[LineLeg]):
    """``add`` answered calls, ``play`` prompts to them, ``bridge`` two, ``remove`` ended ones."""

    def __init__(self) -> None:
        super().__init__(LineLeg, "line-media")

    def start(self) -> None:
        """Start the media thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the media thread."""
        self._stop_thread()

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
            a, b = self._pair(caller, operator)
            a.prompt.clear()
            b.prompt.clear()

    def _tick(self, legs: list[LineLeg]) -> None:
        heard = self._hear(legs)
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
