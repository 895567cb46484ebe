"""Booking codes read by a scanner: what counts as a code, HID bursts, and repeat suppression.

Plain rules over data (no Kivy, no camera): the Kivy glue is in ``kiosk.scan_input`` and the
camera thread in ``kiosk.camera``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger(__name__)

# What the hub prints in a booking's QR code: the bare code, nothing around it (hub.web.qr and
# hub.services.queue.tickets.booking_code: CODE_LENGTH letters of CODE_ALPHABET). A test keeps
# these two in step with the hub's.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
# A scanner may end what it types with a line end or a tab; that is transport, not content.
_SUFFIX = "\r\n\t "
MAX_BURST = 64
"""More characters than this without an Enter is not a scanner: the burst is dropped."""

OnCode = Callable[[str], None]


def as_booking_code(text: str) -> str | None:
    """The booking code ``text`` is (as the hub prints it in the QR), or None when it is not one."""
    code = text.strip(_SUFFIX)
    return code if _CODE.fullmatch(code) else None


class CodeSource(Protocol):
    """Something that reads QR or barcode payloads (a HID scanner, a camera) and hands them on."""

    def start(self, on_code: OnCode) -> None:
        """Begin reading; call ``on_code`` on the Kivy main thread with each payload read."""

    def stop(self) -> None:
        """Stop reading and release the device."""


@dataclass
class HidBurst:
    """Tells a scanner's burst of keystrokes from stray keys by timing, one payload per Enter.

    A USB scanner types a whole code in a few milliseconds per key and ends it with Enter; a
    person takes 100 ms or more per key. The mean interval over the burst is what counts, not
    each gap, because Kivy stamps keys when a frame handles them: a slow frame in the middle of
    a scan bunches the keys up and leaves one long gap, but barely moves the mean.
    """

    max_mean_s: float = 0.04
    """Keys closer than this on average, Enter included, are a scanner."""
    max_gap_s: float = 0.3
    """A pause this long starts over: no scanner pauses in the middle of a code."""
    min_len: int = 4
    """Fewer characters than this before Enter are stray keys, not a scan."""
    max_len: int = MAX_BURST
    _keyed: list[str] = field(default_factory=list)
    _typed: list[str] = field(default_factory=list)
    _first: float | None = None
    _last: float = 0.0
    _presses: int = 0
    _overlong: bool = False

    def _reset(self) -> None:
        self._keyed.clear()
        self._typed.clear()
        self._first, self._presses, self._overlong = None, 0, False

    def press(self, now: float, char: str = "") -> None:
        """A key went down at ``now``; ``char`` is the character it stands for ("" for Shift)."""
        if self._first is not None and now - self._last > self.max_gap_s:
            self._reset()
        if self._first is None:
            self._first = now
        self._last = now
        if char:
            self._presses += 1  # Shift and the like are not keys of the code
        if self._overlong:
            return
        self._keyed.append(char)
        if len(self._keyed) > self.max_len:
            # Not a code: drop it all, up to the Enter that ends it.
            logger.info("keyboard input longer than %s keys without Enter ignored", self.max_len)
            self._keyed.clear()
            self._typed.clear()
            self._overlong = True

    def text(self, text: str) -> None:
        """Text the window's text input gave for the last key (the layout's own character)."""
        if self._first is not None and not self._overlong:
            self._typed.append(text)

    def enter(self, now: float) -> str | None:
        """Enter ends a burst: the text a scanner typed, or None for stray keys."""
        # Text input knows the keyboard layout and Shift; key codes are the fallback where the
        # window gives no text events.
        payload = "".join(self._typed) or "".join(self._keyed)
        first, presses, overlong = self._first, self._presses, self._overlong
        fresh = first is not None and now - self._last <= self.max_gap_s
        self._reset()
        if first is None or not fresh or overlong or len(payload) < self.min_len:
            return None
        mean = (now - first) / max(presses, 1)  # n keys and Enter: n intervals
        if mean > self.max_mean_s:
            logger.debug("typed at %.0f ms a key: a person, not a scanner", mean * 1000)
            return None
        return payload


@dataclass
class ScanGate:
    """Lets a payload through once while it stays in view; again only after it was gone a while.

    A camera sees the same QR code in every frame while the visitor holds it up, and a decoder
    misses a frame now and then: a code counts as gone only after ``hold_s`` without a sighting.
    """

    hold_s: float = 3.0
    _seen: dict[str, float] = field(default_factory=dict)

    def admit(self, payload: str, now: float) -> bool:
        """Whether a sighting of ``payload`` at ``now`` is new (and so should be acted on)."""
        last = self._seen.get(payload)
        self._seen[payload] = now
        for other, when in list(self._seen.items()):
            if now - when >= self.hold_s:
                del self._seen[other]
        return last is None or now - last >= self.hold_s
