"""The board's widgets: they copy a ``BoardView`` onto the screen and do nothing else.

Sizes follow the screen: every font and gap is a multiple of one unit (a hundredth of the short
side), and the body is side by side on a landscape screen and stacked on a portrait one, so the
same code is readable on a 1080p television across a hall and on a rotated monitor.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Rectangle, RoundedRectangle, Triangle
from kivy.properties import ListProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget

from display_board.board import BoardView

BACKGROUND = (0.06, 0.10, 0.18, 1)
PANEL = (0.11, 0.17, 0.28, 1)
HIGHLIGHT = (0.98, 0.74, 0.10, 1)
FLASH = (1.0, 0.93, 0.62, 1)
INK = (0.96, 0.97, 1.0, 1)
DARK_INK = (0.06, 0.10, 0.18, 1)
MUTED = (0.66, 0.73, 0.85, 1)
WARNING = (1.0, 0.45, 0.35, 1)


class Panel(BoxLayout):  # type: ignore[misc]
    """A box with a rounded background colour."""

    bg = ListProperty(PANEL)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.canvas.before:
            self._color = Color(*self.bg)
            self._rect = RoundedRectangle(pos=self.pos, size=self.size, radius=[0])
        self.bind(pos=self._redraw, size=self._redraw, bg=self._redraw)

    def _redraw(self, *_args: Any) -> None:
        self._color.rgba = self.bg
        self._rect.pos, self._rect.size = self.pos, self.size
        self._rect.radius = [min(self.width, self.height) * 0.05]


def text(**kwargs: Any) -> Label:
    """A label whose text is laid out inside its own box (aligned, cut short with "…")."""
    kwargs.setdefault("color", INK)
    label = Label(shorten=True, shorten_from="right", **kwargs)
    label.bind(size=lambda lbl, size: setattr(lbl, "text_size", size))
    return label


class FitLabel(Label):  # type: ignore[misc]
    """Centred text as large as ``max_font`` allows while it still fits its box."""

    max_font = ListProperty([100.0])

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(text=self._fit, size=self._fit, max_font=self._fit)

    def _fit(self, *_args: Any) -> None:
        self.font_size = self.max_font[0]
        if not self.text or self.width <= 1:
            return
        self.texture_update()
        wide = self.texture_size[0] / max(1.0, self.width * 0.94)
        tall = self.texture_size[1] / max(1.0, self.height)
        if max(wide, tall) > 1:
            self.font_size = self.max_font[0] / max(wide, tall)


class Arrow(Widget):  # type: ignore[misc]
    """A right-pointing arrow drawn, not typed: Roboto has no "→" glyph."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.canvas:
            Color(*DARK_INK)
            self._shaft = Rectangle()
            self._head = Triangle()
        self.bind(pos=self._redraw, size=self._redraw)

    def _redraw(self, *_args: Any) -> None:
        side = min(self.width, self.height) * 0.55
        # From pos and size, not center: center is not yet updated when pos/size events fire.
        x, cy = self.x + (self.width - side) / 2, self.y + self.height / 2
        self._shaft.pos, self._shaft.size = (x, cy - side * 0.12), (side * 0.55, side * 0.24)
        head = x + side * 0.5
        self._head.points = [head, cy + side * 0.42, head + side * 0.5, cy, head, cy - side * 0.42]


class Ticker(StencilView):  # type: ignore[misc]
    """The running line: one line of text moving right to left, round and round."""

    def __init__(self, speed: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.speed = speed
        self.label = Label(color=INK, size_hint=(None, None))
        self.label.bind(texture_size=lambda lbl, size: setattr(lbl, "size", size))
        self.add_widget(self.label)
        self._offset = 0.0
        self._event = Clock.schedule_interval(self._step, 1 / 30)

    def set_text(self, value: str, font_size: float) -> None:
        if self.label.text != value:
            self._offset = 0.0
        self.label.text, self.label.font_size = value, font_size

    def _step(self, dt: float) -> None:
        span = self.width + self.label.width
        self._offset = (self._offset + self.speed * dt * self.height / 80) % max(1.0, span)
        self.label.x = self.right - self._offset
        self.label.center_y = self.center_y

    def stop(self) -> None:
        self._event.cancel()


class BoardScreen(BoxLayout):  # type: ignore[misc]
    """The whole board; ``show(view)`` redraws it, ``set_clock`` ticks the clock."""

    def __init__(self, ticker_speed: float = 120, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", **kwargs)
        with self.canvas.before:
            Color(*BACKGROUND)
            self._bg = Rectangle(pos=self.pos, size=self.size)
        self._view: BoardView | None = None
        self._flash_on = False
        self._flash = Clock.schedule_interval(self._blink, 0.5)

        self.top_bar = BoxLayout(orientation="horizontal")
        self.title = text(bold=True, halign="left", valign="middle")
        self.date = Label(color=MUTED, size_hint_x=None)
        self.date.bind(texture_size=lambda lbl, size: setattr(lbl, "width", size[0]))
        self.clock = Label(bold=True, color=INK, size_hint_x=None, halign="right")
        self.clock.bind(texture_size=lambda lbl, size: setattr(lbl, "width", size[0]))
        for widget in (self.title, self.date, Widget(size_hint_x=None, width=20), self.clock):
            self.top_bar.add_widget(widget)
        # A strip that appears only while something is wrong (no link to the hub).
        self.status_bar = Panel(bg=WARNING, size_hint_y=None, height=0, opacity=0)
        self.status = text(color=DARK_INK, bold=True, halign="center", valign="middle")
        self.status_bar.add_widget(self.status)

        self.body = BoxLayout()
        self.hero = Panel(orientation="vertical", bg=HIGHLIGHT)
        self.now_label = text(color=DARK_INK, halign="center", valign="bottom", size_hint_y=0.2)
        self.number = FitLabel(color=DARK_INK, bold=True, size_hint_y=0.5)
        self.call_to = BoxLayout(size_hint_y=0.3)
        self.arrow = Arrow(size_hint_x=None)
        self.window = Label(color=DARK_INK, bold=True, size_hint_x=None)
        for widget in (Widget(), self.arrow, self.window, Widget()):
            self.call_to.add_widget(widget)
        self.call_to.bind(size=self._fit_call_to)
        self.window.bind(text=self._fit_call_to)
        for widget in (self.now_label, self.number, self.call_to):
            self.hero.add_widget(widget)
        self.side = Panel(orientation="vertical")
        self.recent_label = text(color=MUTED, halign="left", valign="middle", size_hint_y=None)
        self.recent = GridLayout(cols=1, size_hint_y=None)
        self.side.add_widget(self.recent_label)
        self.side.add_widget(self.recent)
        self.side.add_widget(Widget())
        self.body.add_widget(self.hero)
        self.body.add_widget(self.side)

        self.waiting_box = Panel(orientation="vertical", size_hint_y=None)
        self.waiting_label = text(color=MUTED, halign="left", valign="middle", size_hint_y=None)
        self.waiting = GridLayout(cols=3)
        self.waiting_box.add_widget(self.waiting_label)
        self.waiting_box.add_widget(self.waiting)

        self.ticker = Ticker(ticker_speed, size_hint_y=None)
        for widget in (self.top_bar, self.status_bar, self.body, self.waiting_box, self.ticker):
            self.add_widget(widget)
        self.bind(pos=self._relayout, size=self._relayout)
        self.side.bind(size=lambda *_args: self._fill())
        self._relayout()

    @property
    def unit(self) -> float:
        """A hundredth of the screen's short side: the measure of every font and gap."""
        return max(1.0, float(min(self.width, self.height)) / 100)

    @property
    def landscape(self) -> bool:
        return bool(self.width >= self.height)

    def stop(self) -> None:
        """Stop the clocks this screen runs (the ticker, the blinking)."""
        self._flash.cancel()
        self.ticker.stop()

    def set_clock(self, time_text: str, date_text: str) -> None:
        self.clock.text, self.date.text = time_text, date_text

    def show(self, view: BoardView) -> None:
        """Put ``view`` on the screen."""
        self._view = view
        self.title.text, self.status.text = view.title, view.status
        self.status_bar.height = self.unit * 7 if view.status else 0
        self.status_bar.opacity = 1 if view.status else 0
        self.now_label.text = view.now_label if view.headline else ""
        if view.headline is not None:
            self.number.text = view.headline.number
            self.window.text = view.headline.window
        else:
            self.number.text, self.window.text = view.headline_empty, ""
        self.arrow.opacity = 1 if view.headline else 0
        self.recent_label.text = view.recent_label
        self.waiting_label.text = view.waiting_label
        self._fill()

    def _fill(self) -> None:
        view, u = self._view, self.unit
        if view is None:
            return
        self.recent.clear_widgets()
        rows = [(c.number, c.window) for c in view.recent] or [(view.recent_empty, "")]
        # As tall as the panel allows, at most ten units: more calls never push text out of it.
        room = self.side.height - self.recent_label.height - 2 * self.side.padding[1]
        row_h = max(u * 4, min(u * 10, room / len(rows)))
        scale = row_h / (u * 10)
        for number, window in rows:
            row = BoxLayout(size_hint_y=None, height=row_h, padding=(u * 2, 0))
            if window:
                row.add_widget(text(text=number, bold=True, font_size=u * 7 * scale, halign="left"))
                row.add_widget(
                    text(text=window, font_size=u * 6 * scale, halign="right", color=MUTED)
                )
            else:  # "no calls yet" across the whole row
                row.add_widget(text(text=number, font_size=u * 4.2, halign="left", color=MUTED))
            self.recent.add_widget(row)
        self.recent.height = row_h * len(rows)
        self.waiting.clear_widgets()
        # At most six services: the board is read from afar, not scrolled.
        cells = [(w.service, w.count, w.wait) for w in view.waiting[:6]]
        # A count with its callers in brackets ("7 (2)") needs a wider cell.
        wide = any("(" in count for _service, count, _wait in cells)
        name_font, count_w = u * 4.2, u * (15 if wide else 10)
        for service, count, wait in cells or [(view.waiting_empty, "", "")]:
            # The name and the count on one line, the wait under both (it may be long).
            cell = BoxLayout(orientation="vertical", padding=(u * 1.5, 0))
            top = BoxLayout(spacing=u)
            top.add_widget(text(text=service, font_size=name_font, halign="left", valign="middle"))
            top.add_widget(
                Label(
                    text=count,
                    font_size=u * 5,
                    bold=True,
                    size_hint_x=None,
                    width=count_w,
                    halign="right",
                    valign="middle",
                    color=INK,
                    text_size=(count_w, None),
                )
            )
            cell.add_widget(top)
            if wait:
                cell.add_widget(
                    text(
                        text=wait,
                        font_size=u * 3.4,
                        halign="left",
                        valign="top",
                        color=MUTED,
                        size_hint_y=0.7,
                    )
                )
            self.waiting.add_widget(cell)
        lines = max(1, -(-len(cells) // self.waiting.cols))
        with_waits = any(wait for _service, _count, wait in cells)
        self.waiting_box.height = u * (6 + (11 if with_waits else 7) * lines)
        self.ticker.set_text(view.ticker, u * 5)
        self.ticker.height = u * 8 if view.ticker else 0
        self.ticker.opacity = 1 if view.ticker else 0
        self._paint_hero()

    def _relayout(self, *_args: Any) -> None:
        u = self.unit
        self._bg.pos, self._bg.size = self.pos, self.size
        self.padding = [u * 2.5, u * 1.5, u * 2.5, u * 1.5]
        self.spacing = u * 1.5
        self.top_bar.size_hint_y, self.top_bar.height = None, u * 10
        self.title.font_size, self.status.font_size = u * 5, u * 4
        self.clock.font_size, self.date.font_size = u * 7, u * 3.2
        self.top_bar.children[1].width = u * 2  # the gap between date and clock
        self.body.spacing = u * 2
        if self.landscape:
            self.body.orientation = "horizontal"
            self.hero.size_hint, self.side.size_hint = (0.56, 1), (0.44, 1)
            self.waiting.cols = 3
        else:
            self.body.orientation = "vertical"
            self.hero.size_hint, self.side.size_hint = (1, 0.45), (1, 0.55)
            self.waiting.cols = 1  # full-width lines: long service names are not cut
        self.hero.padding = self.side.padding = [u * 2, u * 2, u * 2, u * 2]
        self.waiting_box.padding = [u * 2, u, u * 2, u]
        self.now_label.font_size = u * 5.5
        self.number.max_font = [u * 30]
        self._fit_call_to()
        self.recent_label.font_size = self.waiting_label.font_size = u * 4
        self.recent_label.height = self.waiting_label.height = u * 6
        self._fill()

    def _fit_call_to(self, *_args: Any) -> None:
        """The arrow and "Вікно 3" centred together, as large as the hero box allows."""
        u, box = self.unit, self.call_to
        self.arrow.width = box.height
        self.window.font_size = u * 11
        self.window.texture_update()
        room = max(1.0, box.width - self.arrow.width - u)
        if self.window.texture_size[0] > room:
            self.window.font_size = u * 11 * room / self.window.texture_size[0]
            self.window.texture_update()
        self.window.width = self.window.texture_size[0]

    def _blink(self, _dt: float) -> None:
        self._flash_on = not self._flash_on
        self._paint_hero()

    def _paint_hero(self) -> None:
        flashing = bool(self._view and self._view.announcing and self._flash_on)
        self.hero.bg = FLASH if flashing else HIGHLIGHT
