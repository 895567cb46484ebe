"""A QR code drawn on a Kivy canvas, for the appliances with a screen.

The hub sends the address; the device only draws it: the operator's panel shows the task's card
address, the kiosk the visitor's live ticket page. Each module is a plain rectangle, so the code
stays sharp at any size and decodes from a screenshot.
"""

from __future__ import annotations

from typing import Any

import qrcode  # type: ignore[import-untyped]
import qrcode.constants  # type: ignore[import-untyped]
from kivy.graphics import Color, Rectangle
from kivy.uix.widget import Widget


def matrix(data: str) -> list[list[bool]]:
    """The modules of the smallest QR code holding ``data`` (with a quiet zone of two)."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


class QrCode(Widget):  # type: ignore[misc]  # Kivy has no type information
    """A square QR code filling the widget's shorter side; nothing for no data."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data: str | None = None
        self._modules: list[list[bool]] = []
        self.bind(pos=self._draw, size=self._draw)

    def show(self, data: str | None) -> None:
        """Draw ``data`` (redrawn only when it changes)."""
        if data == self.data:
            return
        self.data = data
        self._modules = matrix(data) if data else []
        self._draw()

    def _draw(self, *_args: object) -> None:
        self.canvas.clear()
        count = len(self._modules)
        if not count:
            return
        side = min(self.width, self.height)
        step = side / count
        left = self.x + (self.width - side) / 2
        top = self.y + (self.height + side) / 2
        with self.canvas:
            Color(1, 1, 1, 1)
            Rectangle(pos=(left, top - side), size=(side, side))
            Color(0, 0, 0, 1)
            for r, row in enumerate(self._modules):
                for c, dark in enumerate(row):
                    if dark:
                        Rectangle(pos=(left + c * step, top - (r + 1) * step), size=(step, step))
