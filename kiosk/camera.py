"""QR codes from a camera: frames from a source, decoded in a background thread, debounced.

The frame source is a port: ``V4l2Camera`` (OpenCV's V4L2 capture) on a kiosk, ``ImageFiles``
where there is no camera (tests, trying a printed code on a desk). The decoder is zxing-cpp.
Nothing here touches Kivy: the payloads are handed over through ``post``, which the app makes
with ``Clock.schedule_once`` so they arrive on the Kivy main thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Sequence
from contextlib import closing
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from kiosk.scanner import OnCode, ScanGate

logger = logging.getLogger(__name__)

Frame = Any
"""A numpy array: grey (H×W) or BGR (H×W×3) 8-bit, as OpenCV gives it."""
Frames = Generator[Frame, None, None]
Post = Callable[[Callable[[], None]], None]
"""Runs a function on the UI thread later (Clock.schedule_once in the app)."""


class CameraError(Exception):
    """The camera cannot be opened or read; the message says which and why."""


class FrameSource(Protocol):
    """Frames for the QR decoder."""

    name: str
    live: bool
    """A live camera is reopened when it stops giving frames; a finite source just ends."""

    def frames(self) -> Frames:
        """Open the source and yield frames until it ends or fails; closing releases it."""
        ...


class Decoder(Protocol):
    """Finds QR codes in a frame."""

    def decode(self, frame: Frame) -> list[str]:
        """The text of every QR code found (empty when none)."""
        ...


class ZxingDecoder:
    """QR codes only, with zxing-cpp (a wheel for x86_64 and aarch64; fast on a Pi)."""

    def __init__(self) -> None:
        import zxingcpp

        self._zx = zxingcpp
        self._formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

    def decode(self, frame: Frame) -> list[str]:
        """The text of every valid QR code in ``frame``."""
        found = self._zx.read_barcodes(frame, formats=self._formats)
        return [str(code.text) for code in found if code.valid and code.text]


class V4l2Camera:
    """A V4L2 camera (USB/UVC, or a Pi camera through its V4L2 driver) read with OpenCV."""

    live = True

    def __init__(self, device: str | int, width: int = 640, height: int = 480) -> None:
        self.device, self.width, self.height = device, width, height
        self.name = str(device)

    def frames(self) -> Frames:
        """Grey frames until the camera stops giving them."""
        import cv2

        capture = cv2.VideoCapture(self.device, cv2.CAP_V4L2)
        try:
            if not capture.isOpened():
                raise CameraError(f"camera {self.name}: cannot open")
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of old ones
            while True:
                ok, frame = capture.read()
                if not ok or frame is None:
                    raise CameraError(f"camera {self.name}: no frame")
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        finally:
            capture.release()


class ImageFiles:
    """Image files as camera frames: each shown ``repeat`` times, ``interval_s`` apart."""

    live = False

    def __init__(self, paths: Sequence[Path], *, repeat: int = 1, interval_s: float = 0.0) -> None:
        self.paths, self.repeat, self.interval_s = list(paths), repeat, interval_s
        self.name = f"{len(self.paths)} image files"

    def frames(self) -> Frames:
        """Each file read as a grey frame, as the camera source gives them."""
        import cv2

        for path in self.paths:
            frame = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if frame is None:
                raise CameraError(f"{path}: not an image")
            for _ in range(self.repeat):
                yield frame
                if self.interval_s:
                    time.sleep(self.interval_s)


class CameraScanner:
    """Reads QR codes from ``source`` in a thread; each new payload goes to the UI thread.

    The same code is handed on once while it stays in view (``ScanGate``). A camera that fails
    or disappears is reopened after ``retry_s``, logged once per outage; a frame the decoder
    chokes on is skipped. Nothing a camera shows can stop the thread.
    """

    def __init__(
        self,
        source: FrameSource,
        decoder: Decoder,
        post: Post,
        *,
        gate: ScanGate | None = None,
        fps: float = 8.0,
        retry_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source, self.decoder, self.post = source, decoder, post
        self.gate = gate or ScanGate()
        self.period, self.retry_s, self.clock = 1.0 / fps, retry_s, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_read = 0

    def start(self, on_code: OnCode) -> None:
        """Start the reading thread."""
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(on_code,), name=f"camera {self.source.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and release the camera (waits for the thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self) -> bool:
        """Whether the reading thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self, on_code: OnCode) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                self._read(on_code)
                failing = False
            except Exception as exc:  # a camera must never stop the kiosk
                if not failing:
                    logger.warning(
                        "camera %s: %s; retrying every %ss", self.source.name, exc, self.retry_s
                    )
                failing = True
            if not self.source.live:
                logger.info("camera %s: no more frames", self.source.name)
                return
            self._stop.wait(self.retry_s)

    def _read(self, on_code: OnCode) -> None:
        with closing(self.source.frames()) as frames:
            for frame in frames:
                if self._stop.is_set():
                    return
                started = self.clock()
                self.frames_read += 1
                for payload in self._decode(frame):
                    if self.gate.admit(payload, started):
                        logger.info("camera %s: QR code read", self.source.name)
                        self.post(partial(on_code, payload))
                # Decoding is what costs on a Pi: at most ``fps`` frames a second.
                if self._stop.wait(max(0.0, self.period - (self.clock() - started))):
                    return

    def _decode(self, frame: Frame) -> list[str]:
        try:
            return self.decoder.decode(frame)
        except Exception:  # one bad frame is skipped, not fatal
            logger.debug("camera %s: frame not decoded", self.source.name, exc_info=True)
            return []
