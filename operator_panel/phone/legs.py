"""What the phone agent's and the line agent's media threads share: the answered calls they
carry (legs, by call id, behind one lock), pairs of legs bridged to each other, and each tick's
reading of one 20 ms frame from every leg."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from operator_panel.phone.mixer import loud
from operator_panel.phone.sip import FRAME, SAMPLE_RATE, SipCall

logger = logging.getLogger(__name__)

STOP_WAIT = 2.0
TICK = FRAME / SAMPLE_RATE
FAR_BEHIND = 0.5


class MediaLeg(Protocol):
    """One answered call as a media thread sees it."""

    call: SipCall
    partner: SipCall | None
    frames_in: int
    loud_in: int


L = TypeVar("L", bound=MediaLeg)


class CallMedia(ABC, Generic[L]):
    """A media thread's legs (``add`` answered calls, ``remove`` ended ones, ``leg`` to look)
    and its beat: ``_tick`` every 20 ms while ``_snapshot`` says there is work, else ``_idle``."""

    def __init__(self, new_leg: Callable[[SipCall], L], thread_name: str) -> None:
        self._new_leg = new_leg
        self._legs: dict[str, L] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)
        self.ticks = 0
        self.late_ticks = 0
        """Ticks that started more than a frame late (audio the calls lost: the bench)."""

    def add(self, call: SipCall) -> None:
        """Carry this answered call's audio."""
        with self._lock:
            self._legs.setdefault(call.id, self._new_leg(call))

    def remove(self, call_id: str) -> L | None:
        """Stop carrying a call; its partner, if any, is left alone (and hears nothing of it)."""
        with self._lock:
            leg = self._legs.pop(call_id, None)
            for other in self._legs.values():
                if other.partner is not None and other.partner.id == call_id:
                    other.partner = None
            return leg

    def leg(self, call_id: str) -> L | None:
        """The media state of a call (statistics for tests and the bench)."""
        with self._lock:
            return self._legs.get(call_id)

    def _pair(self, a: SipCall, b: SipCall) -> tuple[L, L]:
        """Make ``a`` and ``b`` each other's partner (the caller holds the lock)."""
        leg_a = self._legs.setdefault(a.id, self._new_leg(a))
        leg_b = self._legs.setdefault(b.id, self._new_leg(b))
        leg_a.partner, leg_b.partner = b, a
        return leg_a, leg_b

    def _stop_thread(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(STOP_WAIT)

    def _hear(self, legs: list[L]) -> dict[str, bytes]:
        """This tick's frame from every leg (empty where reading failed), counted."""
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
        return heard

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            due += TICK
            delay = due - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            elif delay < -TICK:
                self.late_ticks += 1
                if delay < -FAR_BEHIND:  # far behind (suspended): do not try to catch up
                    due = time.monotonic()
            legs, busy = self._snapshot()
            if not busy:  # idle: look again a little later, off the beat
                self._idle()
                due = time.monotonic()
                continue
            self.ticks += 1
            try:
                self._tick(legs)
            except Exception:
                logger.exception("audio of %s failed", self._thread.name)

    def _snapshot(self) -> tuple[list[L], bool]:
        """The legs of this tick, and whether there is anything to do."""
        with self._lock:
            legs = list(self._legs.values())
        return legs, bool(legs)

    def _idle(self) -> None:
        self._stop.wait(0.05)

    @abstractmethod
    def _tick(self, legs: list[L]) -> None:
        """One 20 ms frame for every leg."""
