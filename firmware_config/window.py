"""The window of a Kivy appliance (kiosk, panel, display): full screen on any real screen.

SDL's own full screen ("auto": ``SDL_WINDOW_FULLSCREEN_DESKTOP``) only *asks* a window manager
to resize the window. Under X with no window manager (``xinit``, a Pi's auto-login session) nobody
answers: the X window keeps its 800x600 while SDL, and so Kivy, lay out for the whole screen, and
the top and right of the picture are cut off. So a full-screen appliance first makes its window
borderless, at 0,0 and exactly the display's size (the X server applies that itself), and only
then asks for full screen, which a window manager or a Wayland compositor (through XWayland) uses
to put it above its panels. Under KMS/DRM, SDL's windows are the display's size anyway.

The device config's screen size and rotation win where given. The layout follows the window's
real size: each app lays out from ``Window.size``, which follows SDL's resize events, and
``settle`` checks the X window itself and corrects Kivy if the two ever disagree. Kivy is imported
only inside the functions, so this module is importable where Kivy is not installed.
"""

from __future__ import annotations

import ctypes
import logging
from dataclasses import dataclass
from typing import Any

from firmware_config.device_config import DeviceConfig

logger = logging.getLogger(__name__)

# Seconds after the last resize before the window's size is reported (resizes come in bursts).
SETTLE_S = 0.5


@dataclass(frozen=True)
class Placement:
    """Where the window goes: full screen or not, a configured size, and the rotation."""

    fullscreen: bool
    size: tuple[int, int] | None  # the screen's own pixels (before rotation), from the config
    rotation: int = 0
    windowed_size: tuple[int, int] = (1280, 800)  # a window's size when neither applies

    @classmethod
    def of(
        cls, config: DeviceConfig, fullscreen: bool, windowed_size: tuple[int, int] = (1280, 800)
    ) -> Placement:
        """The placement a device config asks for."""
        screen = config.screen
        size = None
        if screen is not None and screen.width and screen.height:
            size = (screen.width, screen.height)
        rotation = screen.rotation if screen is not None else 0
        return cls(fullscreen, size, rotation, windowed_size)


def prepare(placement: Placement) -> None:
    """Before Kivy makes its window: its first size and border (Kivy reads these once)."""
    from kivy.config import Config

    width, height = placement.size or placement.windowed_size
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    # Never SDL's full screen at creation: without a window manager it is the clipped picture.
    Config.set("graphics", "fullscreen", "0")
    Config.set("graphics", "rotation", "0")  # set in place(), once the window has its size
    if placement.fullscreen:
        Config.set("graphics", "borderless", "1")
        Config.set("graphics", "position", "custom")
        Config.set("graphics", "left", "0")
        Config.set("graphics", "top", "0")
        Config.set("graphics", "show_cursor", "0")


def place(window: Any, placement: Placement) -> None:
    """Once the window exists: size, full screen and rotation as placed; report when settled."""
    if placement.fullscreen:
        target = placement.size or display_size()
        if target is not None:
            _cover(window, target)
        else:
            window.borderless = True
            window.left, window.top = 0, 0
        if placement.size is None:
            # After the explicit size: a window manager or compositor puts it above its panels;
            # without one the window already covers the screen and SDL's idea of it is right.
            window.fullscreen = "auto"
        window.show_cursor = False
    elif placement.size is not None:
        window.system_size = placement.size
    window.rotation = placement.rotation
    _report_when_settled(window, placement)


def _report_when_settled(window: Any, placement: Placement) -> None:
    from kivy.clock import Clock

    trigger = Clock.create_trigger(lambda _dt: settle(window, placement), SETTLE_S)
    window.bind(on_resize=lambda *_args: trigger())
    trigger()


def settle(window: Any, placement: Placement, *, again: bool = False) -> str:
    """Make Kivy's size the X window's real one if they differ; log and return the window line.

    They differ when SDL's full screen was not carried out (no window manager): SDL then reports
    the screen's size for a window that kept its own. Leaving SDL's full screen makes SDL report
    the real size again; a full-screen window is then placed explicitly at the display's size.
    A difference is acted on only when it is still there a moment later (``again``): a window
    manager's resize reaches Kivy a little after the X server.
    """
    real = x11_window_size(window)
    if real is not None and tuple(window.system_size) != real and not again:
        from kivy.clock import Clock

        Clock.schedule_once(lambda _dt: settle(window, placement, again=True), SETTLE_S)
    elif real is not None and tuple(window.system_size) != real:
        logger.warning(
            "window: SDL says %dx%d but the X window is %dx%d: placing it again",
            *window.system_size,
            *real,
        )
        window.fullscreen = False  # SDL then restores its windowed size: place it after that
        if placement.fullscreen:
            from kivy.clock import Clock

            target = placement.size or display_size() or real
            Clock.schedule_once(lambda _dt: _cover(window, target), SETTLE_S)
        else:
            window.system_size = real
    line = describe(window, placement, real)
    logger.info("%s", line)
    return line


def _cover(window: Any, size: tuple[int, int]) -> None:
    window.borderless = True
    window.left, window.top = 0, 0
    window.system_size = size


def describe(window: Any, placement: Placement, real: tuple[int, int] | None = None) -> str:
    """One line for the journal: the window's real size, rotation, layout size and mode."""
    width, height = real or tuple(window.system_size)
    layout = "x".join(str(int(v)) for v in window.size)
    if not placement.fullscreen:
        mode = "windowed"
    elif placement.size is not None:
        mode = "full screen (configured size, borderless at 0,0)"
    else:
        mode = f"full screen ({window.fullscreen or 'borderless'} at 0,0)"
    display = display_size()
    shown = f"{display[0]}x{display[1]}" if display else "unknown"
    return (
        f"window: {width}x{height} rotation {window.rotation} layout {layout} mode {mode} "
        f"display {shown} video driver {video_driver() or 'unknown'}"
    )


# ---- SDL and X, asked directly (Kivy has no API for the display's size) ----------------------


def _sdl() -> ctypes.CDLL | None:
    """The SDL2 library Kivy loaded in this process (its wheel bundles its own copy)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.split()[-1]
                if "/libSDL2-2" in path or path.endswith("/libSDL2.so") or "/libSDL2-2.0" in path:
                    return ctypes.CDLL(path)
    except OSError:
        pass
    return None


class _Rect(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name in ("x", "y", "w", "h")]


def video_driver() -> str | None:
    """SDL's video driver in use: x11, kmsdrm, offscreen..."""
    sdl = _sdl()
    if sdl is None:
        return None
    sdl.SDL_GetCurrentVideoDriver.restype = ctypes.c_char_p
    name = sdl.SDL_GetCurrentVideoDriver()
    return name.decode() if name else None


def display_size() -> tuple[int, int] | None:
    """The size of the display the window is on, in pixels, as SDL sees it."""
    sdl = _sdl()
    if sdl is None:
        return None
    sdl.SDL_GL_GetCurrentWindow.restype = ctypes.c_void_p
    sdl.SDL_GetWindowDisplayIndex.argtypes = [ctypes.c_void_p]
    current = sdl.SDL_GL_GetCurrentWindow()
    index = sdl.SDL_GetWindowDisplayIndex(current) if current else 0
    bounds = _Rect()
    if sdl.SDL_GetDisplayBounds(max(index, 0), ctypes.byref(bounds)) != 0 or bounds.w <= 0:
        return None
    return bounds.w, bounds.h


def x11_window_size(window: Any) -> tuple[int, int] | None:
    """The X window's real size (None when not under X): what the screen actually shows."""
    try:
        info = window.get_window_info()
        display, xid = info.display, info.window
    except AttributeError:  # not X11 (offscreen, KMS/DRM): SDL's size is the real one
        return None
    if not display or not xid:
        return None
    try:
        xlib = ctypes.CDLL("libX11.so.6")
    except OSError:
        return None
    pointer: type[ctypes.c_void_p] = ctypes.c_void_p
    xlib.XGetGeometry.argtypes = [pointer, ctypes.c_ulong, *([pointer] * 7)]
    root, x, y = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_int()
    width, height, border, depth = (ctypes.c_uint() for _ in range(4))
    refs = (root, x, y, width, height, border, depth)
    if not xlib.XGetGeometry(display, xid, *(ctypes.byref(ref) for ref in refs)):
        return None
    return width.value, height.value
