"""Small Kivy building blocks sized for fingers and arm's length.

Every size is a multiple of ``Style.u``, one hundredth of the screen's short side, so one layout
serves a 10-inch portrait panel and a 22-inch landscape screen alike. At 800 px on the short side
a touch target of ``Style.target`` is 80-96 px: 13-16 mm on a typical 10-inch kiosk screen, above
the 10 mm the issue asks for.

A QR code for a phone at arm's length needs about 40 mm a side. A 10-inch 16:10 screen is
about 135 mm on its short side (254 mm diagonal × 10/√(16² + 10²)), so 40 mm is 30 ``u`` at any
resolution; ``QR_SIDE`` keeps a margin (about 46 mm there, 52 mm on a 4:3 screen).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kivy.graphics import Color, Line, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget

RGBA = tuple[float, float, float, float]
INK: RGBA = (0.08, 0.11, 0.18, 1)
MUTED: RGBA = (0.30, 0.34, 0.42, 1)
PAPER: RGBA = (0.96, 0.97, 0.98, 1)
WHITE: RGBA = (1, 1, 1, 1)
BLUE: RGBA = (0.05, 0.36, 0.70, 1)
GREEN: RGBA = (0.05, 0.50, 0.27, 1)
GREY: RGBA = (0.84, 0.86, 0.90, 1.0)
RED: RGBA = (0.72, 0.09, 0.09, 1)
AMBER: RGBA = (0.98, 0.92, 0.75, 1)

Act = Callable[[str], None]
QR_SIDE = 34.0
"""The side of a QR code for phones, in ``u`` (see above)."""


@dataclass(frozen=True)
class Style:
    """Sizes derived from the screen: ``u`` is 1 % of its short side."""

    width: float
    height: float

    @property
    def u(self) -> float:
        """One hundredth of the short side, in pixels."""
        return min(self.width, self.height) / 100

    @property
    def portrait(self) -> bool:
        """Taller than wide."""
        return self.height > self.width

    @property
    def target(self) -> float:
        """The height of an ordinary touch target."""
        return 11 * self.u

    def font(self, size: float) -> float:
        """A font size in units of ``u``."""
        return size * self.u


def paint(widget: Widget, color: RGBA, border: RGBA | None = None) -> None:
    """Give ``widget`` a solid background (and a frame) that follows its size."""
    with widget.canvas.before:
        Color(*color)
        rect = Rectangle(pos=widget.pos, size=widget.size)
        if border is not None:
            Color(*border)
            line = Line(rectangle=(*widget.pos, *widget.size), width=1.5)

    def follow(*_args: Any) -> None:
        rect.pos, rect.size = widget.pos, widget.size
        if border is not None:
            line.rectangle = (*widget.pos, *widget.size)

    widget.bind(pos=follow, size=follow)


def text(
    value: str,
    size: float,
    *,
    bold: bool = False,
    color: RGBA = INK,
    halign: str = "center",
    height: float | None = None,
) -> Label:
    """A wrapping label; without ``height`` it grows to fit its text."""
    label = Label(
        text=value, font_size=size, bold=bold, color=color, halign=halign, valign="middle"
    )
    label.size_hint_y = None
    label.bind(width=lambda widget, width: setattr(widget, "text_size", (width, None)))
    if height is None:
        label.bind(texture_size=lambda widget, size: setattr(widget, "height", size[1]))
    else:
        label.height = height
    return label


class TapButton(Button):  # type: ignore[misc]
    """A large button that names its ``action``; tests find buttons by it, as a finger would."""

    def __init__(
        self,
        action: str,
        label: str,
        act: Act,
        style: Style,
        *,
        kind: str = "primary",
        font: float = 4.2,
        enabled: bool = True,
        **kwargs: Any,
    ) -> None:
        back, ink = {"primary": (BLUE, WHITE), "go": (GREEN, WHITE), "plain": (GREY, INK)}[kind]
        kwargs.setdefault("size_hint_y", None)
        kwargs.setdefault("height", style.target)
        super().__init__(
            text=label,
            font_size=style.font(font),
            markup=True,
            halign="center",
            valign="middle",
            background_normal="",
            background_down="",
            background_disabled_normal="",
            background_disabled_down="",
            background_color=back if enabled else GREY,
            color=ink if enabled else MUTED,
            disabled_color=MUTED,
            disabled=not enabled,
            **kwargs,
        )
        self.action = action
        self._shade: RGBA = back if enabled else GREY
        pad = style.u * 2
        self.bind(size=lambda widget, size: setattr(widget, "text_size", (size[0] - pad, None)))
        self.bind(on_release=lambda _button: act(action))

    def on_press(self) -> None:
        """Darken while pressed, so a finger sees the tap land."""
        red, green, blue, _alpha = self._shade
        self.background_color = (red * 0.8, green * 0.8, blue * 0.8, 1.0)

    def on_release(self) -> None:
        """Undo the press shade."""
        self.background_color = self._shade


def row(*children: Widget, spacing: float, height: float) -> BoxLayout:
    """A horizontal row of fixed height; no child sticks out of it."""
    box = BoxLayout(orientation="horizontal", spacing=spacing, size_hint_y=None, height=height)
    for child in children:
        child.height = min(child.height, height)
        box.add_widget(child)
    return box


def column(spacing: float, padding: float = 0) -> BoxLayout:
    """A vertical stack that fills its parent."""
    return BoxLayout(orientation="vertical", spacing=spacing, padding=padding)


def spacer() -> Widget:
    """Takes the room left over."""
    return Widget()


def all_widgets(root: Widget) -> list[Widget]:
    """``root`` and everything under it, top down."""
    found = [root]
    for child in reversed(root.children):
        found.extend(all_widgets(child))
    return found
