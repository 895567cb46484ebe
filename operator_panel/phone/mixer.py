"""Who hears whom, as pure functions over 20 ms frames of 8-bit unsigned PCM (no I/O, no threads).

The media thread gives ``route`` what every answered call sent this tick, the microphone's frame
(None without a sound device) and how the calls are connected; it answers what each call is
sent, what the speaker plays and what each recording writes. The rules:

* a held call hears the hold tone (written by the media thread) and is heard by nobody;
* a call bridged by a transfer hears its partner only, and only its partner hears it;
* every other call is "with the operator": it hears the microphone, and, when it is in the
  conference, the sum of the other (not held) conference calls;
* the speaker plays the sum of the calls with the operator;
* a recording holds the whole conversation: the call, the microphone, and the rest of the
  conference when the call is in it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from operator_panel.phone.sip import FRAME, SAMPLE_RATE, SILENCE

SILENT_FRAME = SILENCE * FRAME


def loud(frame: bytes, threshold: int = 8) -> bool:
    """True when the frame holds more than silence (8-bit unsigned PCM)."""
    return any(abs(b - 128) > threshold for b in frame)


def to_signed(frame: bytes) -> list[int]:
    """Unsigned 8-bit samples (silence 128) as signed values (silence 0), padded to a frame."""
    samples = [b - 128 for b in frame[:FRAME]]
    return samples + [0] * (FRAME - len(samples))


def clip(value: int) -> int:
    """A signed sample clipped to what 8 bits hold."""
    return -128 if value < -128 else 127 if value > 127 else value


def to_unsigned(samples: Iterable[int]) -> bytes:
    """Signed samples back to unsigned 8-bit, each clipped first."""
    return bytes(clip(s) + 128 for s in samples)


def mix(frames: Iterable[bytes]) -> bytes:
    """The sum of the frames, clipped: one frame (silence when there is none)."""
    signed = [to_signed(f) for f in frames]
    if not signed:
        return SILENT_FRAME
    if len(signed) == 1:
        return to_unsigned(signed[0])
    return to_unsigned(sum(column) for column in zip(*signed, strict=True))


def tone(cadence: list[tuple[float, float]], amplitude: int, hz: float = 425.0) -> list[bytes]:
    """A repeating tone as 20 ms frames of 8-bit unsigned PCM: ``cadence`` is (on, off) seconds
    pairs, one cycle of the pattern."""
    audio = bytearray()
    for on, off in cadence:
        audio += bytes(
            128 + int(amplitude * math.sin(2 * math.pi * hz * i / SAMPLE_RATE))
            for i in range(int(on * SAMPLE_RATE))
        )
        audio += SILENCE * int(off * SAMPLE_RATE)
    return [bytes(audio[i : i + FRAME]) for i in range(0, len(audio), FRAME)]


HOLD_TONE = tone([(0.2, 2.8)], 20)
"""What a held caller hears: a quiet beep every 3 s."""
RING_TONE = tone([(1.0, 4.0)], 60)
"""The speaker while a call rings and the operator talks with nobody (425 Hz, 1 s in 5 s)."""
WAITING_TONE = tone([(0.2, 0.2), (0.2, 4.4)], 25)
"""Mixed into the conversation when another line rings (two short beeps every 5 s)."""


def ring_frame(at: int, *, talking: bool, second_ring: bool) -> bytes | None:
    """The ringing sound of tick ``at`` for the speaker: the ring when the operator is not
    talking, the call-waiting beeps when they are (None when those are muted, PH-4)."""
    if not talking:
        return RING_TONE[at % len(RING_TONE)]
    if not second_ring:
        return None
    return WAITING_TONE[at % len(WAITING_TONE)]


@dataclass(frozen=True)
class LegRoute:
    """How one answered call is connected right now."""

    held: bool = False
    partner: str | None = None
    """The other leg of a transfer bridge."""
    conference: bool = False
    recording: bool = False


@dataclass
class Routing:
    """One tick's outcome: frames to send per call, the speaker's frame, recording frames."""

    send: dict[str, bytes] = field(default_factory=dict)
    speaker: bytes | None = None
    record: dict[str, bytes] = field(default_factory=dict)


def with_operator(legs: Mapping[str, LegRoute]) -> list[str]:
    """The calls the operator talks with: answered, not held, not bridged away."""
    return [cid for cid, leg in legs.items() if not leg.held and leg.partner is None]


def route(
    legs: Mapping[str, LegRoute],
    heard: Mapping[str, bytes],
    mic: bytes | None,
    *,
    speaker: bool = False,
) -> Routing:
    """Where this tick's audio goes (see the module's rules); ``heard`` is per call id."""
    out = Routing()
    for cid, leg in legs.items():
        if not leg.held and leg.partner is not None and leg.partner in heard:
            out.send[leg.partner] = heard[cid]
            if leg.recording:
                out.record[cid] = heard[cid]
    talking = with_operator(legs)
    conference = [cid for cid in talking if legs[cid].conference]
    own = [mic] if mic is not None else []
    for cid in talking:
        others = [heard[o] for o in conference if o != cid] if cid in conference else []
        if others or own:
            out.send[cid] = mix(others + own)
        if legs[cid].recording:
            out.record[cid] = mix([heard[cid], *others, *own])
    if speaker:
        out.speaker = mix(heard[cid] for cid in talking)
    return out
