"""Audio of the answered calls: one thread, one 20 ms frame per call per tick.

Each tick reads what every answered call received, writes it to the call's recording when the
operator asked for one, hands it to the bridged leg of a transfer, and sends the hold tone to
a held caller (local hold: nothing of the conversation passes either way).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import wave
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from operator_panel.phone.sip import FRAME, SAMPLE_RATE, SILENCE, SipCall

logger = logging.getLogger(__name__)

TICK = FRAME / SAMPLE_RATE


def _hold_tone() -> list[bytes]:
    """A quiet 425 Hz beep of 0.2 s every 3 s, as 20 ms frames of 8-bit unsigned PCM."""
    beep = bytes(
        128 + int(20 * math.sin(2 * math.pi * 425 * i / SAMPLE_RATE))
        for i in range(int(0.2 * SAMPLE_RATE))
    )
    pause = SILENCE * int(2.8 * SAMPLE_RATE)
    audio = beep + pause
    return [audio[i : i + FRAME] for i in range(0, len(audio), FRAME)]


HOLD_TONE = _hold_tone()


def recording_name(line: str, remote: str, at: datetime | None = None) -> str:
    """A file name that matches the protocol's RecordingName: time, line, caller digits."""
    stamp = (at or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")
    who = re.sub(r"[^A-Za-z0-9]", "", remote)[:32] or "unknown"
    return f"{stamp}-l{line}-{who}.wav"


def loud(frame: bytes, threshold: int = 8) -> bool:
    """True when the frame holds more than silence (8-bit unsigned PCM)."""
    return any(abs(b - 128) > threshold for b in frame)


@dataclass
class Leg:
    """One answered call as the media thread sees it."""

    call: SipCall
    held: bool = False
    partner: SipCall | None = None
    recorder: wave.Wave_write | None = None
    frames_in: int = 0
    loud_in: int = 0
    hold_at: int = 0
    dtmf: list[str] = field(default_factory=list)


class Media:
    """The media thread; ``add`` answered calls, ``remove`` them when they end."""

    def __init__(self, recordings: Path) -> None:
        self.recordings = recordings
        self._legs: dict[str, Leg] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="phone-media", daemon=True)

    def start(self) -> None:
        """Start the media thread."""
        self._thread.start()

    def stop(self) -> None:
        """Close every recording and stop the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        with self._lock:
            legs, self._legs = list(self._legs.values()), {}
        for leg in legs:
            self._close(leg)

    def add(self, call: SipCall) -> None:
        """Carry this answered call's audio."""
        with self._lock:
            self._legs.setdefault(call.id, Leg(call))

    def remove(self, call_id: str) -> Leg | None:
        """Stop carrying a call (ended); closes its recording."""
        with self._lock:
            leg = self._legs.pop(call_id, None)
            for other in self._legs.values():
                if other.partner is not None and other.partner.id == call_id:
                    other.partner = None
        if leg is not None:
            self._close(leg)
        return leg

    def leg(self, call_id: str) -> Leg | None:
        """The media state of a call (statistics for tests and the bench)."""
        with self._lock:
            return self._legs.get(call_id)

    def hold(self, call_id: str, held: bool) -> None:
        """Local hold on or off."""
        with self._lock:
            leg = self._legs.get(call_id)
            if leg is not None:
                leg.held, leg.hold_at = held, 0

    def bridge(self, a: SipCall, b: SipCall) -> None:
        """Pass audio between two answered calls (a transfer done in the agent)."""
        with self._lock:
            leg_a = self._legs.setdefault(a.id, Leg(a))
            leg_b = self._legs.setdefault(b.id, Leg(b))
            leg_a.partner, leg_b.partner = b, a
            leg_a.held = leg_b.held = False

    def record_start(self, call_id: str, name: str) -> Path:
        """Start writing what the other party says to ``name`` in the recordings folder."""
        self.recordings.mkdir(parents=True, exist_ok=True)
        path = self.recordings / name
        out = wave.open(str(path), "wb")  # noqa: SIM115 (closed by record_stop or remove)
        out.setnchannels(1)
        out.setsampwidth(1)  # 8-bit WAV is unsigned, exactly what the line gives
        out.setframerate(SAMPLE_RATE)
        with self._lock:
            leg = self._legs.get(call_id)
            if leg is None:
                out.close()
                path.unlink(missing_ok=True)
                raise KeyError(call_id)
            old, leg.recorder = leg.recorder, out
        if old is not None:
            old.close()
        return path

    def record_stop(self, call_id: str) -> None:
        """Close the call's recording."""
        with self._lock:
            leg = self._legs.get(call_id)
            recorder = None if leg is None else leg.recorder
            if leg is not None:
                leg.recorder = None
        if recorder is not None:
            recorder.close()

    # ---- the thread -----------------------------------------------------------------------

    def _close(self, leg: Leg) -> None:
        if leg.recorder is not None:
            try:
                leg.recorder.close()
            except OSError:
                logger.exception("closing a recording failed")
            leg.recorder = None

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            due += TICK
            delay = due - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            elif delay < -0.5:  # far behind (suspended): do not try to catch up
                due = time.monotonic()
            with self._lock:
                legs = list(self._legs.values())
            if not legs:  # idle: look again a little later, without keeping the beat
                self._stop.wait(0.1)
                due = time.monotonic()
                continue
            for leg in legs:
                try:
                    self._tick(leg)
                except Exception:
                    logger.exception("audio of call %s failed", leg.call.id)

    def _tick(self, leg: Leg) -> None:
        frame = leg.call.read_audio()
        leg.frames_in += 1
        if loud(frame):
            leg.loud_in += 1
        if leg.held:
            leg.call.write_audio(HOLD_TONE[leg.hold_at % len(HOLD_TONE)])
            leg.hold_at += 1
            return
        if leg.partner is not None:
            leg.partner.write_audio(frame)
        if leg.recorder is not None:
            with self._lock:  # record_stop may close it meanwhile
                if leg.recorder is not None:
                    leg.recorder.writeframes(frame)
