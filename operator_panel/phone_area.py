"""The phone area: the lines with the chosen line's buttons, the dial pad, colleagues and the
last incoming calls; and the incoming-call window over any screen.

Widgets copy a PhoneView on and pass touches to the PhoneModel; they decide nothing.
"""

from __future__ import annotations

from kivy.core.text import Label as CoreLabel
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from operator_panel.cards import RowList, line
from operator_panel.phone_model import PhoneModel
from operator_panel.phone_view import IncomingView, LineView, ListRow, PhoneView
from operator_panel.view import Button as ButtonView
from operator_panel.widgets import (
    BACKGROUND,
    BUTTON,
    CALLING,
    CARD,
    CURRENT,
    DANGER,
    ERROR_TEXT,
    MUTED,
    OK_TEXT,
    PRIMARY,
    TEXT,
    Rgba,
    Scale,
    box,
    button,
    hex_rgba,
    label,
    mix,
    paint,
)

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")
CONTROL_COLOURS: dict[str, Rgba] = {
    "answer": CURRENT,
    "reject": DANGER,
    "forward": BUTTON,
    "hold": BUTTON,
    "record": BUTTON,
    "conference": BUTTON,
    "hangup": DANGER,
}
STATE_COLOURS: dict[str, Rgba] = {
    "ringing": CALLING,
    "dialling": CALLING,
    "answered": OK_TEXT,
    "held": (0.75, 0.65, 0.95, 1),
}
ROW = mix(BACKGROUND, CARD, 0.55)
CHOSEN = mix(PRIMARY, CARD, 0.45)


def fitting(widget: Button, largest: float) -> Button:
    """Keep ``widget``'s longest word on one line: its font shrinks (to ``largest`` at most) so
    "Переадресувати" never breaks into "Переадресува / ти" on a narrow button."""

    def fit(*_args: object) -> None:
        longest = max(str(widget.text).split() or [""], key=len)
        size = largest
        while size > 12 and longest:
            width, _height = CoreLabel(font_size=size, bold=widget.bold).get_extents(longest)
            if width <= widget.width - 24:
                break
            size -= 1
        widget.font_size = size

    widget.bind(width=fit, text=fit)
    return widget


def copy(widget: Button, state: ButtonView, normal: Rgba) -> None:
    """A button's text, whether it can be pressed, and its colour (lit when ``current``)."""
    widget.text = state.text
    widget.disabled = not state.enabled
    widget.background_color = PRIMARY if state.current else normal


class LineRow(Button):  # type: ignore[misc]  # Kivy has no type information
    """One line: its number, who, the state and the time; touching it shows its buttons."""

    def __init__(self, s: Scale, on_touch: object) -> None:
        super().__init__(background_normal="", background_color=ROW, size_hint_y=None)
        self.height = s(80)
        self.call_id = ""
        inner = BoxLayout(padding=(s(10), s(6)), spacing=s(12))
        self.number = Label(font_size=s(34), bold=True, size_hint_x=None, width=s(44))
        inner.add_widget(self.number)
        texts = BoxLayout(orientation="vertical")
        self.who = line(s(26), bold=True)
        self.state_label = line(s(20), MUTED)
        texts.add_widget(self.who)
        texts.add_widget(self.state_label)
        self.timer = Label(font_size=s(30), bold=True, size_hint_x=None, width=s(110))
        self.timer.halign = "right"
        self.timer.bind(size=lambda w, size: setattr(w, "text_size", size))
        self.timer.valign = "middle"
        inner.add_widget(texts)
        inner.add_widget(self.timer)
        self.add_widget(inner)
        self.bind(pos=lambda *_a: _cover(inner, self), size=lambda *_a: _cover(inner, self))
        self.bind(on_release=on_touch)

    def show(self, view: LineView) -> None:
        """Copy one line on."""
        self.call_id = view.call_id
        self.number.text = view.line
        self.number.color = STATE_COLOURS.get(view.state_code, MUTED)
        self.who.text = view.who
        self.state_label.text = view.detail
        self.state_label.color = STATE_COLOURS.get(view.state_code, MUTED)
        self.timer.text = view.timer
        self.background_color = CHOSEN if view.selected else ROW


class ListButton(Button):  # type: ignore[misc]  # Kivy has no type information
    """A colleague or a recent caller: the name above the number and presence; a touch dials."""

    def __init__(self, s: Scale, row: ListRow, on_touch: object) -> None:
        super().__init__(background_normal="", background_color=ROW, size_hint_y=None)
        self.height = s(76)
        self.number = row.number
        colour = hex_rgba(row.color, MUTED) if row.color else MUTED
        inner = BoxLayout(padding=(s(10), s(6)), spacing=s(12))
        stripe = paint(Widget(size_hint_x=None, width=s(8)), colour)
        texts = BoxLayout(orientation="vertical")
        self.main = line(s(23), bold=True)
        self.main.text = row.text
        self.detail = line(s(20), ERROR_TEXT if row.warn else mix(colour, TEXT, 0.7))
        self.detail.text = row.detail
        texts.add_widget(self.main)
        texts.add_widget(self.detail)
        inner.add_widget(stripe)
        inner.add_widget(texts)
        self.add_widget(inner)
        self.bind(pos=lambda *_a: _cover(inner, self), size=lambda *_a: _cover(inner, self))
        self.bind(on_release=on_touch)


def _cover(inner: Widget, outer: Widget) -> None:
    inner.pos, inner.size = outer.pos, outer.size


class PhoneScreen(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """The phone area that takes the queue screen's place while it is open."""

    def __init__(self, phone: PhoneModel, s: Scale) -> None:
        super().__init__(orientation="vertical", spacing=s(12), padding=(s(14), s(4), s(14), s(14)))
        self.phone, self.s = phone, s
        head = BoxLayout(size_hint_y=None, height=s(68), spacing=s(14))
        self.registration = label(s(24), bold=True)
        self.mute = button(s(22), s(68), size_hint_x=None, width=s(360))
        self.mute.bind(on_release=lambda _b: phone.toggle_mute_second_ring())
        head.add_widget(self.registration)
        head.add_widget(self.mute)
        self.add_widget(head)
        self.main = BoxLayout(spacing=s(14))
        self.add_widget(self.main)
        # The lines and the chosen line's buttons.
        self.lines_box = box(CARD, orientation="vertical", padding=s(14), spacing=s(8))
        self.lines_heading = line(s(24), bold=True)
        self.no_lines = label(s(22), MUTED, size_hint_y=None)
        self.no_lines.bind(height=self._fit_lines)
        self.rows = [LineRow(s, self._touch_line) for _ in range(5)]
        self.controls_row = BoxLayout(
            orientation="vertical", spacing=s(10), size_hint_y=None, height=s(88)
        )
        self.controls: dict[str, Button] = {}
        for key, colour in CONTROL_COLOURS.items():
            widget = fitting(button(s(24), s(88), colour, bold=True), s(24))
            # "Переадресувати" is the longest word on a line's buttons: it gets more room.
            widget.size_hint_x = 1.5 if key == "forward" else 1
            widget.bind(on_release=lambda _b, key=key: self._control(key))
            self.controls[key] = widget
        self.lines_spacer = Widget()
        # The dial pad: keys at least 10 mm on a 7-inch screen (see docs/panel_phone.md).
        self.pad = box(CARD, orientation="vertical", padding=s(14), spacing=s(8))
        self.display = label(s(34), bold=True, size_hint_y=None, halign="center", shorten=True)
        self.display.height = s(60)
        paint(self.display, BACKGROUND)
        self.display_hint = line(s(20), MUTED)
        self.display_hint.halign = "center"
        self.keys = GridLayout(cols=3, spacing=s(8))
        self.key_buttons: dict[str, Button] = {}
        for key in KEYS:
            widget = button(s(36), s(84), BUTTON, bold=True, text=key)
            widget.size_hint_y = 1
            widget.bind(on_release=lambda _b, key=key: phone.press_key(key))
            self.key_buttons[key] = widget
            self.keys.add_widget(widget)
        pad_row = BoxLayout(spacing=s(8), size_hint_y=None, height=s(84))
        self.erase = button(s(24), s(84), size_hint_x=0.4)
        self.erase.bind(on_release=lambda _b: phone.backspace())
        self.cancel = button(s(24), s(84), size_hint_x=0.4)
        self.cancel.bind(on_release=lambda _b: phone.cancel_forward())
        self.call = fitting(button(s(26), s(84), CURRENT, bold=True, size_hint_x=0.6), s(26))
        self.call.bind(on_release=lambda _b: phone.call_typed())
        pad_row.add_widget(self.erase)
        pad_row.add_widget(self.call)
        self.pad_row = pad_row
        self.pad_spacer = Widget(size_hint_y=None, height=0)
        for widget in (self.display, self.display_hint, self.keys, pad_row, self.pad_spacer):
            self.pad.add_widget(widget)
        # Colleagues (PH-5) or the last incoming calls (PH-4): a touch dials.
        self.lists = box(CARD, orientation="vertical", padding=s(14), spacing=s(8))
        tabs = BoxLayout(spacing=s(8), size_hint_y=None, height=s(68))
        self.tabs: dict[str, Button] = {}
        for tab in ("book", "recent"):
            widget = button(s(22), s(68))
            widget.bind(on_release=lambda _b, tab=tab: phone.show_list(tab))
            self.tabs[tab] = widget
            tabs.add_widget(widget)
        self.list_note = label(s(22), MUTED, size_hint_y=None)
        self.list_rows = GridLayout(cols=1, spacing=s(6), size_hint_y=None)
        self.list_rows.bind(minimum_height=self.list_rows.setter("height"))
        self.scroll = ScrollView(do_scroll_x=False, bar_width=s(8))
        self.scroll.add_widget(self.list_rows)
        for widget in (tabs, self.list_note, self.scroll):
            self.lists.add_widget(widget)
        self._shown: list[ListRow] | None = None
        self._landscape: bool | None = None
        self.bind(size=lambda _w, size: self._arrange(size))

    # ---- layout ---------------------------------------------------------------------

    def _arrange(self, size: list[float]) -> None:
        """Landscape: lines, pad, lists side by side. Portrait: lines above the pad and lists."""
        landscape = size[0] >= size[1]
        if landscape == self._landscape:
            return
        self._landscape = landscape
        self.main.clear_widgets()
        for holder in (self.lines_box.parent, self.pad.parent, self.lists.parent):
            if holder is not None:
                holder.remove_widget(self.lines_box)
                holder.remove_widget(self.pad)
                holder.remove_widget(self.lists)
        # Beside the lines the keys share the column's height; below them they keep a
        # finger's size and the list takes what is left.
        self.keys.size_hint_y = 1 if landscape else None
        self.keys.height = self.s(4 * 100 + 3 * 8)
        self.pad_spacer.size_hint_y = None if landscape else 1
        if landscape:
            self.main.orientation = "horizontal"
            self.lines_box.size_hint = (0.42, 1)
            self.pad.size_hint = (0.27, 1)
            self.lists.size_hint = (0.31, 1)
            for widget in (self.lines_box, self.pad, self.lists):
                self.main.add_widget(widget)
            return
        self.main.orientation = "vertical"
        self.lines_box.size_hint = (1, None)
        below = BoxLayout(spacing=self.s(14))
        self.pad.size_hint = (0.46, 1)
        self.lists.size_hint = (0.54, 1)
        below.add_widget(self.pad)
        below.add_widget(self.lists)
        self.main.add_widget(self.lines_box)
        self.main.add_widget(below)
        self._fit_lines()

    # ---- touches ----------------------------------------------------------------------

    def _touch_line(self, row: LineRow) -> None:
        self.phone.choose(row.call_id)

    def _control(self, key: str) -> None:
        call_id = self.controls_call
        if call_id is None:
            return
        phone = self.phone
        actions = {
            "answer": phone.answer,
            "reject": phone.reject,
            "forward": phone.start_forward,
            "hold": phone.toggle_hold,
            "record": phone.toggle_record,
            "conference": phone.conference,
            "hangup": phone.hangup,
        }
        actions[key](call_id)

    def _dial(self, number: str) -> None:
        self.phone.dial(number)

    # ---- drawing ----------------------------------------------------------------------

    controls_call: str | None = None

    def show(self, view: PhoneView) -> None:
        """Copy the view onto the widgets."""
        self.registration.text = view.registration
        self.registration.color = OK_TEXT if view.registration_ok else ERROR_TEXT
        copy(self.mute, view.mute, BUTTON)
        self._show_lines(view)
        self.display.text = view.display
        self.display_hint.text = view.display_hint
        for widget in self.key_buttons.values():
            widget.disabled = not view.keys_enabled
        self.pad_row.clear_widgets()
        self.pad_row.add_widget(self.cancel if view.forwarding else self.erase)
        self.pad_row.add_widget(self.call)
        copy(self.erase, view.erase, BUTTON)
        copy(self.cancel, view.cancel, BUTTON)
        copy(self.call, view.call, CURRENT)
        for tab, state in view.tabs.items():
            copy(self.tabs[tab], state, BUTTON)
        self.list_note.text = view.rows_note or ""
        self._show_rows(view.rows)

    def _show_lines(self, view: PhoneView) -> None:
        box_ = self.lines_box
        box_.clear_widgets()
        self.lines_heading.text = view.lines_heading
        box_.add_widget(self.lines_heading)
        for row, line_view in zip(self.rows, view.lines, strict=False):
            row.show(line_view)
            box_.add_widget(row)
        if not view.lines:
            self.no_lines.text = view.no_lines
            box_.add_widget(self.no_lines)
        box_.add_widget(self.lines_spacer)
        self.controls_call = view.controls_call
        self.controls_row.clear_widgets()
        for widget in self.controls.values():  # out of last time's rows
            if widget.parent is not None:
                widget.parent.remove_widget(widget)
        # Up to three buttons side by side; four or more in rows of two, so every label keeps
        # its full size on a narrow column.
        keys = list(view.controls)
        per_row = max(1, len(keys)) if len(keys) <= 3 else 2
        rows = [keys[i : i + per_row] for i in range(0, len(keys), per_row)]
        for row_keys in rows:
            row = BoxLayout(spacing=self.s(10))
            for key in row_keys:
                state = view.controls[key]
                widget = self.controls[key]
                widget.text = state.text
                widget.disabled = not state.enabled
                colour = CONTROL_COLOURS[key]
                widget.background_color = PRIMARY if state.current else colour
                row.add_widget(widget)
            self.controls_row.add_widget(row)
        self.controls_row.height = self.s(88) * len(rows) + self.s(10) * (len(rows) - 1)
        if view.controls:
            box_.add_widget(self.controls_row)
        self._fit_lines()

    def _fit_lines(self, *_args: object) -> None:
        """Below the top bar (portrait) the lines take only their rows' room."""
        if self._landscape:
            return
        s, box_ = self.s, self.lines_box
        shown = [w for w in box_.children if w is not self.lines_spacer]
        box_.height = sum(w.height for w in shown) + s(14) * 2 + s(8) * len(shown)

    def _show_rows(self, rows: list[ListRow]) -> None:
        if rows == self._shown:
            return
        self._shown = rows
        s = self.s
        self.list_rows.clear_widgets()
        for row in rows:
            self.list_rows.add_widget(ListButton(s, row, lambda b: self._dial(b.number)))


class IncomingWindow(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """Who is calling (and the client, when the hub knows the number): accept, reject, forward."""

    def __init__(self, phone: PhoneModel, s: Scale) -> None:
        super().__init__(orientation="vertical", padding=s(28), spacing=s(10))
        self.phone, self.s = phone, s
        paint(self, CARD)
        self.size_hint = (0.72, None)
        self.pos_hint = {"center_x": 0.5, "center_y": 0.5}
        self.call_id = ""
        self.heading = label(s(28), CALLING, bold=True, size_hint_y=None)
        self.number = label(s(64), bold=True, size_hint_y=None)
        self.caller = label(s(28), size_hint_y=None)
        self.client = label(s(26), size_hint_y=None)
        self.note = label(s(24), MUTED, size_hint_y=None)
        self.events = RowList(s, font=22, rows=3)
        self.events.size_hint_y = None
        self.events.height = s(22) * 1.4 * 4 + s(2) * 4
        self.buttons = BoxLayout(spacing=s(14), size_hint_y=None, height=s(110))
        self.accept = fitting(button(s(32), s(110), CURRENT, bold=True), s(32))
        self.accept.bind(on_release=lambda _b: phone.answer(self.call_id))
        self.reject = fitting(button(s(32), s(110), DANGER, bold=True), s(32))
        self.reject.bind(on_release=lambda _b: phone.reject(self.call_id))
        self.forward = fitting(button(s(32), s(110), BUTTON, bold=True), s(32))
        self.forward.bind(on_release=lambda _b: phone.start_forward(self.call_id))
        for widget in (self.accept, self.reject, self.forward):
            self.buttons.add_widget(widget)
        self.top_line = Widget(size_hint_y=None, height=s(6))
        paint(self.top_line, CALLING)
        self.bind(minimum_height=self.setter("height"))
        self._parts: list[Widget] = []

    def fit(self, landscape: bool) -> None:
        """Wider on a portrait screen, so the names keep their room."""
        self.size_hint_x = 0.72 if landscape else 0.92

    def show(self, view: IncomingView) -> None:
        """Copy the caller on."""
        self.call_id = view.call_id
        self.heading.text = view.heading
        self.number.text = view.number
        self.caller.text = view.caller or ""
        self.client.text = "\n".join(view.client)
        self.note.text = view.note or ""
        if view.events:
            self.events.height = self.s(22) * 1.4 * (min(3, len(view.events)) + 1) + self.s(8)
            self.events.show(view.events_heading, view.events)
        # Only the parts with something to say take room.
        parts = [self.top_line, self.heading, self.number]
        parts += [self.caller] if view.caller else []
        parts += [self.client] if view.client else []
        parts += [self.events] if view.events else []
        parts += [self.note] if view.note else []
        parts.append(self.buttons)
        if parts != self._parts:
            self.clear_widgets()
            for widget in parts:
                self.add_widget(widget)
            self._parts = parts
        copy(self.accept, view.accept, CURRENT)
        copy(self.reject, view.reject, DANGER)
        copy(self.forward, view.forward, BUTTON)
