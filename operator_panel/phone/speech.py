"""Spoken prompts for callers on the office lines: espeak-ng (offline, as the board speaks) to
the line's audio (8 kHz mono 8-bit unsigned PCM, ``sip.FRAME`` bytes per 20 ms).

espeak-ng writes a 16-bit WAV at its own rate to stdout; it is resampled here by linear
interpolation (speech for a telephone needs no better) and cut into frames.
"""

from __future__ import annotations

import array
import io
import logging
import shutil
import subprocess
import wave
from functools import lru_cache

from operator_panel.phone.sip import FRAME, SAMPLE_RATE, SILENCE

logger = logging.getLogger(__name__)

TIMEOUT = 20.0
VOICES = {"uk": "uk", "en": "en"}


def to_line(samples: array.array[int], rate: int) -> bytes:
    """16-bit signed samples at ``rate`` as the line's 8-bit unsigned samples at 8 kHz."""
    if not samples or rate <= 0:
        return b""
    count = len(samples) * SAMPLE_RATE // rate
    step = rate / SAMPLE_RATE
    out = bytearray(count)
    last = len(samples) - 1
    for i in range(count):
        at = i * step
        j = int(at)
        frac = at - j
        a = samples[j]
        b = samples[min(j + 1, last)]
        value = int(a + (b - a) * frac)
        out[i] = max(0, min(255, (value >> 8) + 128))
    return bytes(out)


def frames(audio: bytes) -> list[bytes]:
    """``audio`` in whole frames, the last one padded with silence."""
    return [audio[i : i + FRAME].ljust(FRAME, SILENCE) for i in range(0, len(audio), FRAME)]


class Speech:
    """Renders sentences with espeak-ng; without it, prompts are silent (logged once)."""

    def __init__(self, program: str | None = None, *, rate: int = 150) -> None:
        self.program = program or shutil.which("espeak-ng")
        self.rate = rate
        if self.program is None:
            logger.error("espeak-ng is not installed: callers will hear no prompts")

    def say(self, lang: str, text: str) -> list[bytes]:
        """``text`` spoken in ``lang`` as line frames (none when speech failed)."""
        return list(self._say(lang, text))

    @lru_cache(maxsize=256)  # noqa: B019 (one Speech per agent, kept for its life)
    def _say(self, lang: str, text: str) -> tuple[bytes, ...]:
        if self.program is None or not text.strip():
            return ()
        command = [self.program, "-v", VOICES.get(lang, lang), "-s", str(self.rate), "--stdout"]
        try:
            done = subprocess.run(
                [*command, text], capture_output=True, timeout=TIMEOUT, check=True
            )
            with wave.open(io.BytesIO(done.stdout)) as wav:
                if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                    raise ValueError("espeak-ng gave audio that is not 16-bit mono")
                rate = wav.getframerate()
                samples = array.array("h", wav.readframes(wav.getnframes()))
        except (OSError, subprocess.SubprocessError, wave.Error, ValueError) as exc:
            logger.warning("speech failed (%s): %s", lang, exc)
            return ()
        return tuple(frames(to_line(samples, rate)))
