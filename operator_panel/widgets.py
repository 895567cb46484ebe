"""Small Kivy building blocks of the panel: coloured boxes, wrapping labels, big buttons.

Sizes are in pixels scaled from the screen's short side, so the same layout reads well on a
7-inch Pi touch screen and on a 24-inch monitor.
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.textinput import TextInput

Rgba = tuple[float, float, float, float]

BACKGROUND: Rgba = (0.11, 0.13, 0.16, 1)
CARD: Rgba = (0.17, 0.2, 0.24, 1)
ALERT: Rgba = (0.75, 0.12, 0.12, 1)
TEXT: Rgba = (0.95, 0.96, 0.97, 1)
MUTED: Rgba = (0.72, 0.76, 0.8, 1)
ERROR_TEXT: Rgba = (1, 0.55, 0.5, 1)
OK_TEXT: Rgba = (0.6, 0.9, 0.65, 1)
BUTTON: Rgba = (0.3, 0.36, 0.44, 1)
CURRENT: Rgba = (0.13, 0.6, 0.3, 1)
PRIMARY: Rgba = (0.15, 0.45, 0.8, 1)
DANGER: Rgba = (0.7, 0.25, 0.2, 1)
CALLING: Rgba = (0.98, 0.76, 0.32, 1)
DARK_TEXT: Rgba = (0.08, 0.09, 0.1, 1)


def hex_rgba(value: str | None, fallback: Rgba) -> Rgba:
    """A colour the hub sends ("#2e7d32" or "#2e7d32ff"); ``fallback`` when absent or unreadable."""
    digits = (value or "").strip().removeprefix("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    try:
        parts = [int(digits[i : i + 2], 16) / 255 for i in range(0, len(digits), 2)]
    except ValueError:
        return fallback
    if len(parts) == 3:
        return (parts[0], parts[1], parts[2], 1)
    if len(parts) == 4:
        return (parts[0], parts[1], parts[2], parts[3])
    return fallback


def mix(rgba: Rgba, other: Rgba, share: float) -> Rgba:
    """``share`` of ``rgba`` blended into ``other`` (a dimmed button is its colour on the card)."""
    r, g, b = (rgba[i] * share + other[i] * (1 - share) for i in range(3))
    return (r, g, b, 1)


def text_on(rgba: Rgba) -> Rgba:
    """Light text on a dark background, dark text on a light one."""
    luminance = 0.2126 * rgba[0] + 0.7152 * rgba[1] + 0.0722 * rgba[2]
    return DARK_TEXT if luminance > 0.6 else TEXT


class Scale:
    """Font and spacing sizes for one screen."""

    def __init__(self, width: int, height: int, font_scale: float = 1.0) -> None:
        self.unit = min(width, height) / 800 * font_scale

    def __call__(self, size: float) -> float:
        return size * self.unit


def paint(widget: Any, rgba: Rgba) -> Any:
    """Give ``widget`` a solid background that follows its position and size."""
    with widget.canvas.before:
        color = Color(*rgba)
        rect = Rectangle(pos=widget.pos, size=widget.size)
    widget.bind(
        pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v)
    )
    widget.bg_color = color
    return widget


def box(rgba: Rgba | None = None, **kwargs: Any) -> BoxLayout:
    """A BoxLayout, optionally painted."""
    layout = BoxLayout(**kwargs)
    return paint(layout, rgba) if rgba is not None else layout


def label(size: float, color: Rgba = TEXT, *, bold: bool = False, **kwargs: Any) -> Label:
    """A label that wraps inside its width and grows to fit its text when height is free."""
    kwargs.setdefault("halign", "left")
    kwargs.setdefault("valign", "middle")
    if kwargs.get("size_hint_y", 1) is None:
        # Empty until given text (Kivy's default 100 px would push the rest off the card).
        kwargs.setdefault("height", 0)
    widget = Label(font_size=size, color=color, bold=bold, **kwargs)
    widget.bind(width=lambda w, width: setattr(w, "text_size", (width, None)))
    if kwargs.get("size_hint_y", 1) is None:
        widget.bind(texture_size=lambda w, ts: setattr(w, "height", ts[1]))
    return widget


def button(size: float, height: float, rgba: Rgba = BUTTON, **kwargs: Any) -> Button:
    """A large touch target with wrapping, centred text."""
    widget = Button(
        font_size=size,
        size_hint_y=None,
        height=height,
        background_normal="",
        background_color=rgba,
        halign="center",
        valign="middle",
        **kwargs,
    )
    widget.bind(size=lambda w, s: setattr(w, "text_size", (s[0] - 16, s[1])))
    return widget


def entry(size: float, **kwargs: Any) -> TextInput:
    """A one-line text field sized for fingers."""
    return TextInput(
        font_size=size,
        multiline=False,
        size_hint_y=None,
        height=size * 2.2,
        padding=(size * 0.5, size * 0.55),
        write_tab=False,
        **kwargs,
    )
