"""Audio of the answered calls and the sound device: one thread, one 20 ms frame per call per tick.

Each tick reads what every answered call received and the microphone's frame, asks the mixer
(``mixer.route``, pure) where it all goes, and sends it: to the other calls of a conference or
of a transfer bridge, to the speaker, to the recordings; a held caller hears the hold tone
(local hold: nothing of the conversation passes either way).
"""

from __future__ import annotations

import logging
import re
import wave
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from operator_panel.phone.legs import CallMedia
from operator_panel.phone.mixer import (
    HOLD_TONE,
    SILENT_FRAME,
    LegRoute,
    loud,
    mix,
    ring_frame,
    route,
    with_operator,
)
from operator_panel.phone.sip import SAMPLE_RATE, SipCall
from operator_panel.phone.sound import NoSound, SoundDevice

logger = logging.getLogger(__name__)

__all__ = ["HOLD_TONE", "Leg", "Media", "loud", "recording_name"]


def recording_name(line: str, remote: str, at: datetime | None = None) -> str:
    """A file name that matches the protocol's RecordingName: time, line, caller digits."""
    stamp = (at or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")
    who = re.sub(r"[^A-Za-z0-9]", "", remote)[:32] or "unknown"
    return f"{stamp}-l{line}-{who}.wav"


@dataclass
class Leg:
    """One answered call as the media thread sees it."""

    call: SipCall
    held: bool = False
    partner: SipCall | None = None
    conference: bool = False
    recorder: wave.Wave_write | None = None
    frames_in: int = 0
    loud_in: int = 0
    loud_out: int = 0
    hold_at: int = 0
    dtmf: list[str] = field(default_factory=list)

    def routing(self) -> LegRoute:
        """How the mixer sees it."""
        partner = None if self.partner is None else self.partner.id
        return LegRoute(self.held, partner, self.conference, self.recorder is not None)


class Media(CallMedia[Leg]):
    """The media thread; ``add`` answered calls, ``remove`` them when they end."""

    def __init__(self, recordings: Path, sound: SoundDevice | None = None) -> None:
        super().__init__(Leg, "phone-media")
        self.recordings = recordings
        self.sound: SoundDevice = sound or NoSound()
        self.speaker_loud = 0
        """Frames the speaker was given that held more than silence (tests, bench)."""
        self._ringing = False
        self._second_ring = True
        self._ring_at = 0

    def start(self) -> None:
        """Open the sound device and start the media thread."""
        self.sound.open()
        self._thread.start()

    def stop(self) -> None:
        """Close every recording and stop the thread."""
        self._stop_thread()
        self.sound.close()
        with self._lock:
            legs, self._legs = list(self._legs.values()), {}
        for leg in legs:
            self._close(leg)

    def remove(self, call_id: str) -> Leg | None:
        """Stop carrying a call (ended); closes its recording."""
        leg = super().remove(call_id)
        if leg is not None:
            self._close(leg)
        return leg

    def hold(self, call_id: str, held: bool) -> None:
        """Local hold on or off."""
        with self._lock:
            leg = self._legs.get(call_id)
            if leg is not None:
                leg.held, leg.hold_at = held, 0

    def bridge(self, a: SipCall, b: SipCall) -> None:
        """Pass audio between two answered calls (a transfer done in the agent)."""
        with self._lock:
            leg_a, leg_b = self._pair(a, b)
            leg_a.held = leg_b.held = False
            leg_a.conference = leg_b.conference = False

    def set_ringing(self, ringing: bool, *, second_ring: bool) -> None:
        """Whether an incoming call rings now; ``second_ring`` False keeps it quiet while the
        operator talks (PH-4). Heard on the speaker only, where there is a sound device."""
        with self._lock:
            if ringing and not self._ringing:
                self._ring_at = 0
            self._ringing, self._second_ring = ringing, second_ring

    def set_conference(self, call_ids: set[str]) -> None:
        """The calls in the operator's conference now (each hears the others)."""
        with self._lock:
            for call_id, leg in self._legs.items():
                leg.conference = call_id in call_ids

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

    def _snapshot(self) -> tuple[list[Leg], bool]:
        with self._lock:
            legs = list(self._legs.values())
            ringing = self._ringing and self.sound.present
        return legs, bool(legs) or ringing

    def _idle(self) -> None:
        try:
            self.sound.read()  # the microphone's audio of the idle time is stale: drop it
        except Exception:
            logger.exception("sound device failed")
        self._stop.wait(0.1)

    def _tick(self, legs: list[Leg]) -> None:
        heard = self._hear(legs)
        mic = self.sound.read()
        routing = route(
            {leg.call.id: leg.routing() for leg in legs}, heard, mic, speaker=self.sound.present
        )
        for leg in legs:
            out = routing.send.get(leg.call.id)
            if leg.held:
                out = HOLD_TONE[leg.hold_at % len(HOLD_TONE)]
                leg.hold_at += 1
            if out is not None:
                self._send(leg, out)
            recorded = routing.record.get(leg.call.id)
            if recorded is not None and leg.recorder is not None:
                with self._lock:  # record_stop may close it meanwhile
                    if leg.recorder is not None:
                        leg.recorder.writeframes(recorded)
        speaker = self._with_ring(routing.speaker, legs)
        if speaker is not None:
            if loud(speaker):
                self.speaker_loud += 1
            self.sound.write(speaker)

    def _with_ring(self, speaker: bytes | None, legs: list[Leg]) -> bytes | None:
        """The speaker's frame with the ring or the call-waiting beeps mixed in."""
        with self._lock:
            if not self._ringing or not self.sound.present:
                return speaker
            at, self._ring_at = self._ring_at, self._ring_at + 1
            second_ring = self._second_ring
        talking = bool(with_operator({leg.call.id: leg.routing() for leg in legs}))
        ring = ring_frame(at, talking=talking, second_ring=second_ring)
        if ring is None:
            return speaker
        return mix([speaker or SILENT_FRAME, ring])

    def _send(self, leg: Leg, frame: bytes) -> None:
        if loud(frame):
            leg.loud_out += 1
        try:
            leg.call.write_audio(frame)
        except Exception:
            logger.exception("sending audio to call %s failed", leg.call.id)
