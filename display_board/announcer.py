"""Spoken announcements: a chime and offline speech, rendered to WAV and played one after another.

Speech comes from espeak-ng (Debian's package, no network), written to a file with ``-w``; the
chime is a sine "ding-dong" made here with the ``wave`` module. Each call becomes one WAV file
(chime, then each language), so what was said can be checked and replayed. A worker thread takes
calls first in, first out: a call that arrives while another is spoken waits its turn, and the
Kivy thread never waits for audio.
"""

from __future__ import annotations

import array
import logging
import math
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from display_board.settings import AnnounceSettings

logger = logging.getLogger(__name__)

RATE = 22050  # espeak-ng's own sample rate: no resampling when joining chime and speech
_ESPEAK_TIMEOUT = 30.0
_PLAY_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class Announcement:
    """One call to announce: its number and window, and the sentence per language in order."""

    number: str
    window: str
    recall: bool
    sentences: tuple[tuple[str, str], ...]  # (language, text)


class AudioSink(Protocol):
    """Where a rendered announcement is played; ``play`` returns when it has been heard."""

    def play(self, path: Path) -> None: ...


class NoAudio:
    """No sound device: announcements are still rendered, and the lack is said once in the log."""

    def __init__(self) -> None:
        self._told = False

    def play(self, path: Path) -> None:
        if not self._told:
            logger.warning("no audio device: announcements are rendered to %s only", path.parent)
            self._told = True


class Aplay:
    """ALSA's ``aplay``: present on every Raspberry Pi OS image."""

    def __init__(self, program: str, device: str | None = None) -> None:
        self.command = [program, "-q", *(["-D", device] if device else [])]

    def play(self, path: Path) -> None:
        try:
            done = subprocess.run(
                [*self.command, str(path)], capture_output=True, timeout=_PLAY_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            logger.error("aplay failed on %s: %s", path.name, exc)
            return
        if done.returncode != 0:
            logger.error("aplay failed on %s: %s", path.name, done.stderr.decode(errors="replace"))


def choose_sink(settings: AnnounceSettings) -> AudioSink:
    """The sink the settings ask for; ``auto`` is aplay when installed, else no audio."""
    program = shutil.which("aplay")
    if settings.audio == "none" or program is None:
        if settings.audio == "aplay":
            logger.error("audio = aplay but aplay is not installed (Debian: alsa-utils)")
        return NoAudio()
    return Aplay(program, settings.audio_device)


def chime(volume: int, rate: int = RATE) -> array.array[int]:
    """A two-tone chime (E5 then C5, each fading out), 16-bit mono samples."""
    peak = 0.6 * 32767 * volume / 100
    samples: array.array[int] = array.array("h")
    for freq, seconds in ((659.25, 0.45), (523.25, 0.75)):
        count = int(rate * seconds)
        for i in range(count):
            t = i / rate
            envelope = min(1.0, i / (0.01 * rate)) * math.exp(-3.5 * t / seconds)
            samples.append(int(peak * envelope * math.sin(2 * math.pi * freq * t)))
    return samples


def silence(seconds: float, rate: int = RATE) -> array.array[int]:
    """Quiet between the parts, so the voice does not run into the chime."""
    return array.array("h", bytes(2 * int(rate * seconds)))


class Speaker:
    """Renders announcements to WAV files with espeak-ng."""

    def __init__(self, settings: AnnounceSettings, program: str | None = None) -> None:
        self.settings = settings
        self.program = program or shutil.which("espeak-ng")
        if self.program is None:
            logger.error("espeak-ng is not installed: announcements will be the chime only")

    def speech(self, lang: str, text: str, folder: Path) -> array.array[int]:
        """``text`` spoken by the language's voice, as samples at RATE (empty if it failed)."""
        if self.program is None:
            return array.array("h")
        voices = {str(k): v for k, v in self.settings.voices.items()}
        voice = voices.get(lang, lang)
        out = folder / f"speech-{lang}.wav"
        command = [
            self.program,
            "-v",
            str(voice),
            "-a",
            str(round(self.settings.volume * 1.5)),
            "-s",
            str(self.settings.rate),
            "-w",
            str(out),
            text,
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=_ESPEAK_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            logger.error("espeak-ng failed for %s: %s", lang, exc)
            return array.array("h")
        if done.returncode != 0 or not out.exists():
            logger.error("espeak-ng failed for %s: %s", lang, done.stderr.decode(errors="replace"))
            return array.array("h")
        with wave.open(str(out), "rb") as wav:
            if (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) != (RATE, 2, 1):
                logger.error("espeak-ng wrote an unexpected format for voice %s", voice)
                return array.array("h")
            samples = array.array("h", wav.readframes(wav.getnframes()))
        out.unlink()
        return samples

    def render(self, announcement: Announcement, path: Path) -> Path:
        """Write the chime and every sentence of ``announcement`` into one WAV file."""
        samples: array.array[int] = array.array("h")
        if self.settings.chime:
            samples += chime(self.settings.volume) + silence(0.25)
        for index, (lang, text) in enumerate(announcement.sentences):
            if index:
                samples += silence(0.6)
            samples += self.speech(lang, text, path.parent)
        samples += silence(0.2)
        tmp = path.with_suffix(".tmp")
        with wave.open(str(tmp), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(samples.tobytes())
        tmp.replace(path)
        return path


Listener = Callable[[Announcement, Path | None], None]


class Announcer:
    """A FIFO of announcements spoken by one worker thread."""

    def __init__(
        self,
        settings: AnnounceSettings,
        *,
        sink: AudioSink | None = None,
        on_start: Listener | None = None,
        on_done: Listener | None = None,
    ) -> None:
        self.settings = settings
        self.speaker = Speaker(settings)
        self.sink = sink if sink is not None else choose_sink(settings)
        self._own_dir = None if settings.out_dir else tempfile.mkdtemp(prefix="cherga-display-")
        self.folder = Path(settings.out_dir or self._own_dir or ".")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._on_start = on_start
        self._on_done = on_done
        self._queue: queue.Queue[Announcement | None] = queue.Queue()
        # Continue the numbering of files left by an earlier run, so pruning keeps the newest.
        self._count = max(
            (
                int(m.group(1))
                for f in self.folder.glob("announce-*.wav")
                if (m := re.match(r"announce-(\d+)-", f.name))
            ),
            default=0,
        )
        self._thread = threading.Thread(target=self._run, name="display-announcer", daemon=True)
        self._thread.start()

    def submit(self, announcement: Announcement) -> None:
        """Queue one announcement; returns at once."""
        self._queue.put(announcement)

    def pending(self) -> int:
        """How many announcements wait (not counting the one being spoken)."""
        return self._queue.qsize()

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the announcement being spoken; forget the ones still waiting."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(None)
        self._thread.join(timeout)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            path: Path | None = None
            try:
                if self._on_start is not None:
                    self._on_start(item, None)
                path = self._speak(item)
            except Exception:  # one bad call must not silence the ones after it
                logger.exception("announcement of %s failed", item.number)
            finally:
                if self._on_done is not None:
                    self._on_done(item, path)

    def _speak(self, item: Announcement) -> Path:
        self._count += 1
        safe = "".join(c for c in item.number if c.isalnum())[:16] or "call"
        path = self.speaker.render(item, self.folder / f"announce-{self._count:06d}-{safe}.wav")
        self._prune()
        self.sink.play(path)
        return path

    def _prune(self) -> None:
        files = sorted(self.folder.glob("announce-*.wav"))
        for old in files[: max(0, len(files) - self.settings.keep)]:
            old.unlink(missing_ok=True)
