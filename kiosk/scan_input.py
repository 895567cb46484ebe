"""Scanners wired to the kiosk: HID keystrokes from Kivy's Window, the camera's thread, the flow.

``open_scanners`` is what the app (and a test) calls: it builds the sources the device config
names, starts them and returns them for stopping. Every payload ends in ``scan_desk``, which
turns it into a booking code (or None) for ``KioskFlow.scanned`` on the Kivy main thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.flow import KioskFlow
from kiosk.scanner import CodeSource, HidBurst, OnCode, ScanGate, as_booking_code
from kiosk.settings import ScannerSettings

logger = logging.getLogger(__name__)

ENTER_KEYS = frozenset({13, 271})  # Enter and the keypad's Enter, as Kivy numbers them
_SHIFTED = {"shift", "capslock"}


def scan_desk(flow: KioskFlow) -> OnCode:
    """Where every scanned payload goes: a check-in, the unknown-code message, or nothing."""

    def on_code(payload: str) -> None:
        code = as_booking_code(payload)
        if code is None:
            logger.info("scanned a code that is not a booking (%s characters)", len(payload))
        if not flow.scanned(code):
            logger.info("scan ignored on the %s screen", flow.screen)

    return on_code


def on_main_thread(function: Callable[[], None]) -> None:
    """Run ``function`` on Kivy's main thread at the next frame (safe from any thread)."""
    Clock.schedule_once(lambda _dt: function(), 0)


def _char(codepoint: Any, modifiers: Any) -> str:
    """The character a key stands for, from its code point and Shift or Caps Lock."""
    if not isinstance(codepoint, str) or len(codepoint) != 1 or not codepoint.isprintable():
        return ""
    shifted = len(_SHIFTED.intersection(modifiers or ())) == 1
    return codepoint.upper() if shifted else codepoint


class HidScanner:
    """A USB scanner that types: listens to the Window's keys, no text field on screen."""

    def __init__(self, burst: HidBurst | None = None, clock: Callable[[], float] = time.monotonic):
        self.burst = burst or HidBurst()
        self.clock = clock
        self._on_code: OnCode | None = None

    def start(self, on_code: OnCode) -> None:
        """Listen to the Window's key and text events."""
        self._on_code = on_code
        Window.bind(on_key_down=self._key_down, on_textinput=self._text)

    def stop(self) -> None:
        """Stop listening."""
        Window.unbind(on_key_down=self._key_down, on_textinput=self._text)
        self._on_code = None

    def _key_down(
        self, _window: Any, key: int, _scancode: Any, codepoint: Any, modifiers: Any
    ) -> bool:
        # Never consume a key (the root's Escape guard comes after) and never raise into Kivy.
        try:
            now = self.clock()
            if key not in ENTER_KEYS:
                self.burst.press(now, _char(codepoint, modifiers))
                return False
            payload = self.burst.enter(now)
            if payload is not None and self._on_code is not None:
                self._on_code(payload)
        except Exception:  # a scan must never crash the kiosk
            logger.exception("scanner input failed")
        return False

    def _text(self, _window: Any, text: str) -> bool:
        try:
            self.burst.text(text)
        except Exception:
            logger.exception("scanner input failed")
        return False


def open_scanners(settings: ScannerSettings, on_code: OnCode) -> list[CodeSource]:
    """Start the scanners the device config names; a camera that cannot be used is logged."""
    sources: list[CodeSource] = []
    if settings.hid:
        sources.append(HidScanner(HidBurst(max_mean_s=settings.hid_max_mean_ms / 1000)))
    if settings.camera is not None:
        try:
            from kiosk.camera import CameraScanner, V4l2Camera, ZxingDecoder

            sources.append(
                CameraScanner(
                    V4l2Camera(settings.camera),
                    ZxingDecoder(),
                    on_main_thread,
                    gate=ScanGate(settings.hold_s),
                    fps=settings.camera_fps,
                )
            )
        except ImportError as exc:
            logger.error("camera %s not used: %s (install the kiosk extra)", settings.camera, exc)
    for source in sources:
        source.start(on_code)
    return sources
