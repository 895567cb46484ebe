"""The operator's headset: a small port (``SoundDevice``) with an ALSA driver and a no-sound one.

``AlsaSound`` runs ALSA's own ``arecord`` and ``aplay`` (Debian ``alsa-utils``; no Python
packages) on the configured device, raw 8-bit unsigned 8 kHz mono like the calls' audio, and
reads and writes their pipes without blocking: the media thread must never wait for a stuck
device. A program that dies is started again with backoff, and ``fault`` says so meanwhile
(the agent puts it in the device state).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import threading
import time
from abc import ABC, abstractmethod

from operator_panel.phone.sip import FRAME, SAMPLE_RATE, SILENCE

logger = logging.getLogger(__name__)

SILENT_FRAME = SILENCE * FRAME
KEEP = 3 * FRAME
"""Microphone audio kept when the reader falls behind: older audio is dropped (latency)."""
PIPE_BYTES = 4096
"""Pipe size towards aplay: at most half a second of audio waits in it."""
BACKOFF_MIN, BACKOFF_MAX = 1.0, 30.0


class SoundDevice(ABC):
    """A microphone and a speaker that take 20 ms frames of the calls' audio format."""

    present: bool = True

    @abstractmethod
    def open(self) -> None:
        """Start capturing and playing (failures become ``fault``, never exceptions)."""

    @abstractmethod
    def close(self) -> None:
        """Stop capturing and playing."""

    @abstractmethod
    def read(self) -> bytes | None:
        """One frame from the microphone (silence when nothing came); None: no microphone."""

    @abstractmethod
    def write(self, frame: bytes) -> None:
        """One frame for the speaker (dropped when the device does not keep up)."""

    @property
    def fault(self) -> str | None:
        """What is wrong with the device now, one line for the administrator; None: fine."""
        return None


class NoSound(SoundDevice):
    """No sound device: the agent handles signalling and recording only."""

    present = False

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def read(self) -> bytes | None:
        return None

    def write(self, frame: bytes) -> None:
        pass


def alsa_args(program: str, device: str) -> list[str]:
    """The command line of arecord or aplay for raw audio in the calls' format."""
    return [
        program, "-D", device, "-t", "raw", "-f", "U8", "-r", str(SAMPLE_RATE), "-c", "1",
        "-q", "--buffer-time=100000", "-",
    ]  # fmt: skip


class _Pipe:
    """One arecord or aplay process and its non-blocking pipe."""

    def __init__(self, program: str, device: str) -> None:
        self.program = program
        path = shutil.which(program)
        if path is None:
            raise OSError(f"{program} is not installed (Debian: alsa-utils)")
        capture = program == "arecord"
        self.process = subprocess.Popen(
            [path, *alsa_args(program, device)[1:]],
            stdin=subprocess.DEVNULL if capture else subprocess.PIPE,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        stream = self.process.stdout if capture else self.process.stdin
        assert stream is not None and self.process.stderr is not None
        self.fd = stream.fileno()
        self.err = self.process.stderr.fileno()
        for fd in (self.fd, self.err):
            os.set_blocking(fd, False)
        if not capture:
            fcntl.fcntl(self.fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self.errors = b""

    def drain_errors(self) -> None:
        try:
            while chunk := os.read(self.err, 4096):
                self.errors = (self.errors + chunk)[-400:]
        except (BlockingIOError, OSError):
            pass

    def why(self) -> str:
        self.drain_errors()
        text = self.errors.decode(errors="replace").strip().splitlines()
        return f"{self.program} exited ({self.process.returncode})" + (
            f": {text[-1][:200]}" if text else ""
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(2)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class AlsaSound(SoundDevice):
    """A headset on ALSA device ``device`` ("default", "plughw:1,0"...) via arecord/aplay."""

    def __init__(self, device: str, *, backoff: float = BACKOFF_MIN) -> None:
        self.device = device
        self._first_backoff = backoff
        self._mic: _Pipe | None = None
        self._speaker: _Pipe | None = None
        self._buffer = b""
        self._lock = threading.Lock()
        self._fault: str | None = None
        self._retry_at = 0.0
        self._backoff = backoff
        self._open = False
        self.restarts = 0

    @property
    def fault(self) -> str | None:
        return self._fault

    @property
    def pids(self) -> list[int]:
        """The running arecord and aplay (tests stop them by PID to play a dying device)."""
        return [p.process.pid for p in (self._mic, self._speaker) if p is not None]

    def open(self) -> None:
        with self._lock:
            self._open = True
            self._start()

    def close(self) -> None:
        with self._lock:
            self._open = False
            self._stop()

    def read(self) -> bytes | None:
        with self._lock:
            self._check()
            mic = self._mic
            if mic is None:
                return SILENT_FRAME
            try:
                while chunk := os.read(mic.fd, 4096):
                    self._buffer = (self._buffer + chunk)[-KEEP:]
            except BlockingIOError:
                pass
            except OSError as exc:
                self._failed(f"reading the microphone failed: {exc}")
            if len(self._buffer) < FRAME:
                return SILENT_FRAME
            frame, self._buffer = self._buffer[:FRAME], self._buffer[FRAME:]
            return frame

    def write(self, frame: bytes) -> None:
        with self._lock:
            speaker = self._speaker
            if speaker is None:
                return
            try:
                os.write(speaker.fd, frame)
            except BlockingIOError:
                pass  # the device is behind or stuck: this frame is lost, the next may pass
            except OSError as exc:  # BrokenPipeError: aplay died
                self._failed(f"playing failed: {exc}")

    # ---- under the lock ---------------------------------------------------------------------

    def _start(self) -> None:
        try:
            self._mic = _Pipe("arecord", self.device)
            self._speaker = _Pipe("aplay", self.device)
        except OSError as exc:
            self._failed(str(exc))
            return
        self._buffer = b""

    def _stop(self) -> None:
        for pipe in (self._mic, self._speaker):
            if pipe is not None:
                pipe.stop()
        self._mic = self._speaker = None

    def _check(self) -> None:
        if not self._open:
            return
        if self._mic is None or self._speaker is None:
            if time.monotonic() >= self._retry_at:
                self.restarts += 1
                logger.info("starting the sound device %s again", self.device)
                self._start()
            return
        for pipe in (self._mic, self._speaker):
            pipe.drain_errors()
            if pipe.process.poll() is not None:
                self._failed(pipe.why())
                return
        if self._fault is not None and time.monotonic() >= self._retry_at + self._backoff:
            logger.info("sound device %s works again", self.device)
            self._fault, self._backoff = None, self._first_backoff

    def _failed(self, why: str) -> None:
        if self._fault is None:
            logger.warning("sound device %s: %s", self.device, why)
        self._fault = f"sound device {self.device}: {why}"[:500]
        self._stop()
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)


def sound_device(device: str | None) -> SoundDevice:
    """The sound device the settings name (None: no sound)."""
    return NoSound() if device is None else AlsaSound(device)
