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
