"""The panel's screens: login and work (idle or serving); the transfer dialog is beside them.

Each screen builds its widgets once and ``show(view)`` copies a PanelView onto them; the
widgets hold no state of their own beyond what the operator is typing, and every press calls
the view-model, which decides whether anything is sent.
"""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from firmware_config.qr import QrCode
from operator_panel.cards import ClientCardBox, Lines, OthersBox
from operator_panel.view import ACTION_ROWS, PanelView, TicketView
from operator_panel.view import Button as ButtonView
from operator_panel.viewmodel import PanelModel
from operator_panel.widgets import (
    BUTTON,
    CALLING,
    CARD,
    CURRENT,
    DANGER,
    MUTED,
    OK_TEXT,
    PRIMARY,
    Rgba,
    Scale,
    box,
    button,
    entry,
    hex_rgba,
    label,
    mix,
    text_on,
)
from operator_panel.work_row import WorkRow

ACTION_COLOURS = {
    "start": PRIMARY,
    "recall": BUTTON,
    "no_show": DANGER,
    "transfer": BUTTON,
    "done": CURRENT,
}


def mark(widget: Button, enabled: bool, current: bool, normal: Rgba) -> None:
    widget.disabled = not enabled
    widget.background_color = CURRENT if current else normal


def _mark_status(widget: Button, state: ButtonView) -> None:
    """A status in its own colour: full for the current one, dimmed on the card for the rest."""
    widget.text = state.text
    widget.disabled = not state.enabled
    if state.color is None:
        mark(widget, state.enabled, state.current, BUTTON)
        widget.color = text_on(widget.background_color)
        return
    colour = hex_rgba(state.color, BUTTON)
    widget.background_color = colour if state.current else mix(colour, CARD, 0.35)
    widget.color = text_on(widget.background_color)
    # The current status is also told apart without colour (SET-4 colours may be close).
    widget.underline = state.current


class LoginScreen(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """User name and password (or PIN); the window comes from the device config."""

    def __init__(self, model: PanelModel, s: Scale) -> None:
        super().__init__(orientation="vertical", padding=s(40), spacing=s(18))
        self.model = model
        self.add_widget(Widget())
        column = box(CARD, orientation="vertical", padding=s(30), spacing=s(18))
        column.size_hint = (None, None)
        self.heading = label(s(40), bold=True, halign="center", size_hint_y=None)
        self.window_label = label(s(28), MUTED, halign="center", size_hint_y=None)
        self.username = entry(s(30))
        self.secret = entry(s(30), password=True)
        self.pin_toggle = button(s(24), s(64))
        self.pin_toggle.bind(on_release=lambda _b: model.toggle_pin())
        self.submit = button(s(32), s(96), PRIMARY, bold=True)
        self.submit.bind(on_release=lambda _b: self.press_login())
        self.secret.bind(on_text_validate=lambda _w: self.press_login())
        for widget in (
            self.heading,
            self.window_label,
            self.username,
            self.secret,
            self.pin_toggle,
            self.submit,
        ):
            column.add_widget(widget)
        column.bind(minimum_height=column.setter("height"))
        self.bind(width=lambda _w, width: setattr(column, "width", min(width * 0.8, s(760))))
        row = BoxLayout(size_hint_y=None)
        column.bind(height=row.setter("height"))
        row.add_widget(Widget())
        row.add_widget(column)
        row.add_widget(Widget())
        self.add_widget(row)
        self.add_widget(Widget())

    def press_login(self) -> None:
        """Send the typed credentials; the secret is cleared once it has been handed over."""
        secret = self.secret.text
        self.model.login(self.username.text, secret)
        if self.model.busy:
            self.secret.text = ""

    def show(self, view: PanelView) -> None:
        """Copy the view onto the widgets."""
        m = self.model
        self.heading.text = m.text("login.heading")
        self.window_label.text = m.text("window", window=m.window)
        self.username.hint_text = m.text("login.username")
        self.secret.hint_text = m.text("login.pin" if view.pin_mode else "login.password")
        self.secret.input_filter = "int" if view.pin_mode else None
        self.pin_toggle.text = view.pin_toggle.text
        self.submit.text = view.login.text
        self.submit.disabled = not view.login.enabled


class WorkScreen(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """The visitor in hand and the actions beside the statuses, auto-next and waiting counts."""

    def __init__(self, model: PanelModel, s: Scale) -> None:
        super().__init__(spacing=s(14), padding=(s(14), s(4), s(14), s(14)))
        self.model, self.s = model, s
        # The side column: the statuses, auto-next, waiting counts, log out.
        self.side = box(CARD, orientation="vertical", padding=s(14), spacing=s(10))
        self.status = label(s(24), MUTED, size_hint_y=None)
        self.status_grid = GridLayout(cols=2, spacing=s(10), size_hint_y=None)
        self.status_grid.bind(minimum_height=self.status_grid.setter("height"))
        self.status_buttons: dict[str, Button] = {}
        self.auto_next = button(s(22), s(68))
        self.auto_next.bind(on_release=lambda _b: model.toggle_auto_next())
        self.waiting_heading = label(s(24), bold=True, size_hint_y=None)
        self.waiting = label(s(24), MUTED, size_hint_y=None, valign="top")
        self.others = OthersBox(s)
        self.side_spacer = Widget(size_hint_y=1, height=0)
        self.logout = button(s(22), s(60))
        self.logout.bind(on_release=lambda _b: model.logout())
        # Portrait groups: auto-next beside log out, the waiting counts beside the others.
        self.controls_row = BoxLayout(spacing=s(10), size_hint_y=None)
        self.waiting_column = BoxLayout(
            orientation="vertical", size_hint_y=None, pos_hint={"top": 1}
        )
        self.lists_row = BoxLayout(spacing=s(16), size_hint_y=None)
        for widget in (
            self.status,
            self.status_grid,
            self.auto_next,
            self.waiting_heading,
            self.waiting,
            self.others,
            self.logout,
        ):
            widget.bind(height=self._fit_side)
        self._portrait_side: bool | None = None
        self._build_side(portrait=False)
        # The main card: number and service beside the details, the note, the actions.
        self.card = box(CARD, orientation="vertical", padding=s(22), spacing=s(12))
        head = BoxLayout(size_hint_y=None, height=s(200), spacing=s(20))
        self.left = left = BoxLayout(orientation="vertical", size_hint_x=0.45)
        self.number = label(s(120), bold=True, valign="top")
        self.service = label(s(32), size_hint_y=None)
        left.add_widget(self.number)
        left.add_widget(self.service)
        self.details = Lines(s, font=26, rows=7, size_hint_x=0.55)
        # A ticket number must never wrap: it shrinks to fit its box instead.
        self.number.bind(width=lambda *_a: self._fit_number(), text=lambda *_a: self._fit_number())
        self.task_qr = QrCode(size_hint_x=None, width=0)
        head.add_widget(left)
        head.add_widget(self.details)
        head.add_widget(self.task_qr)
        self.state = label(s(26), CALLING, bold=True, size_hint_y=None)
        self.reason = label(s(22), MUTED, size_hint_y=None, valign="top")
        # The note, minutes and percent that Done records in the task.
        self.work_row = WorkRow(model, s)
        self.note = self.work_row.note
        self.minutes, self.percent = self.work_row.minutes, self.work_row.percent
        self.minutes_label = self.work_row.minutes_label
        self.percent_label = self.work_row.percent_label
        # The address of the ticket's task card, as text under the reason and as a QR code
        # beside the details, to open it on the desk computer or a phone.
        self.task_link = label(s(20), MUTED, size_hint_y=None, valign="top")
        self._link_text = ""
        self._landscape = True
        # Portrait: calling (came, again, no-show) above serving (transfer, done); landscape: one
        # row, which leaves the client's card room for its lists.
        self.actions_grid = BoxLayout(orientation="vertical", spacing=s(12), size_hint_y=None)
        self.actions: dict[str, Button] = {}
        for keys in ACTION_ROWS:
            for key in keys:
                action = button(s(30), s(96), ACTION_COLOURS[key], bold=True)
                action.bind(on_release=lambda _b, key=key: self.press_action(key))
                self.actions[key] = action
        self._action_rows: int = 0
        self._layout_actions(len(ACTION_ROWS))
        # The client's card takes the room between the reason and the note.
        self.client_card = ClientCardBox(model, s)
        for widget in (
            head,
            self.state,
            self.reason,
            self.client_card,
            self.work_row,
            self.actions_grid,
        ):
            self.card.add_widget(widget)
        self.add_widget(self.card)
        self.add_widget(self.side)
        self.bind(size=lambda _w, size: self._arrange(size))

    def _layout_actions(self, rows: int) -> None:
        """The action buttons in ``rows`` rows (1: all five side by side; 2: as ACTION_ROWS)."""
        if rows == self._action_rows:
            return
        self._action_rows = rows
        s = self.s
        for row in list(self.actions_grid.children):
            row.clear_widgets()
        self.actions_grid.clear_widgets()
        groups = ACTION_ROWS if rows > 1 else (tuple(k for keys in ACTION_ROWS for k in keys),)
        height = s(96) if rows > 1 else s(88)
        for keys in groups:
            row = BoxLayout(spacing=s(12))
            for key in keys:
                widget = self.actions[key]
                widget.font_size = s(30) if rows > 1 else s(24)
                widget.height = height
                row.add_widget(widget)
            self.actions_grid.add_widget(row)
        self.actions_grid.height = height * len(groups) + s(12) * (len(groups) - 1)

    def _arrange(self, size: list[float]) -> None:
        """Landscape: card left, statuses right. Portrait: card on top, statuses below."""
        landscape = size[0] >= size[1]
        self._landscape = landscape
        self._fit_link()
        if landscape:
            self.orientation = "horizontal"
            self.side.size_hint = (0.36, 1)
        else:
            self.orientation = "vertical"
            self.side.size_hint = (1, None)
        self._layout_actions(1 if landscape else 2)
        self._build_side(portrait=not landscape)
        self.others.set_flexible(landscape)
        self._fit_spacer()
        self._fit_statuses()
        self._fit_side()

    def _build_side(self, *, portrait: bool) -> None:
        """Beside the card: one column. Below it: pairs side by side, so the card keeps room."""
        if portrait == self._portrait_side:
            return
        self._portrait_side = portrait
        for holder in (self.side, self.controls_row, self.waiting_column, self.lists_row):
            holder.clear_widgets()
        self.side.add_widget(self.status)
        self.side.add_widget(self.status_grid)
        if portrait:
            self.controls_row.add_widget(self.auto_next)
            self.controls_row.add_widget(self.logout)
            self.waiting_column.add_widget(self.waiting_heading)
            self.waiting_column.add_widget(self.waiting)
            self.waiting_column.add_widget(Widget())
            self.lists_row.add_widget(self.waiting_column)
            self.lists_row.add_widget(self.others)
            self.others.pos_hint = {"top": 1}
            self.side.add_widget(self.controls_row)
            self.side.add_widget(self.lists_row)
            return
        for widget in (
            self.auto_next,
            self.waiting_heading,
            self.waiting,
            self.others,
            self.side_spacer,
            self.logout,
        ):
            self.side.add_widget(widget)

    def _fit_spacer(self) -> None:
        """Beside the card the spare height goes to the others' list when it is shown."""
        flexible = self.orientation == "horizontal" and self.others.opacity == 0
        self.side_spacer.size_hint_y = 1 if flexible else None
        self.side_spacer.height = 0

    def _fit_statuses(self) -> None:
        """Two columns beside the card; below it, rows of up to four so the card keeps its room."""
        count = len(self.status_buttons)
        portrait = self.orientation == "vertical"
        # Below the card, five statuses fit one row; more take rows of four.
        self.status_grid.cols = (min(5, max(2, count)) if count <= 5 else 4) if portrait else 2
        # Beside the card the column also holds the others' list: lower buttons leave it room.
        height = self.s(80) if portrait else self.s(66)
        for widget in self.status_buttons.values():
            widget.height = height
        self.auto_next.height = self.s(68) if portrait else self.s(58)
        # Below the card log out stands beside auto-next, as tall as it.
        self.logout.height = self.auto_next.height if portrait else self.s(60)

    def _fit_number(self) -> None:
        if self.model.assignment is None or self.model.assignment.ticket is None:
            return
        chars = max(len(self.number.text), 1)
        self.number.font_size = min(self.s(120), self.number.width * 1.6 / chars)

    def _fit_side(self, *_args: object) -> None:
        """In portrait the side column is exactly as tall as its contents (labels grow)."""
        if self.side.size_hint_y is not None:
            return
        s = self.s
        self.controls_row.height = max(self.auto_next.height, self.logout.height)
        self.waiting_column.height = self.waiting_heading.height + self.waiting.height
        shown_others = self.others.height if self.others.opacity else 0
        self.lists_row.height = max(self.waiting_column.height, shown_others)
        children = [child for child in self.side.children if child is not self.side_spacer]
        self.side.height = (
            sum(child.height for child in children) + s(14) * 2 + s(10) * len(children)
        )

    def _show_link(self, ticket: TicketView | None) -> None:
        """The address of the task's card: as text (see ``_fit_link``) and as a QR code."""
        url = ticket.task_url if ticket is not None else None
        self._link_text = (ticket.task_link if ticket is not None else None) or ""
        self._fit_link()
        self.task_qr.show(url)
        self.task_qr.width = self.s(150) if url else 0

    def _fit_link(self) -> None:
        """The card's address as text beside the card's lists in landscape; in portrait the
        lists need that line, and the QR code and the task's number stay."""
        text = self._link_text if self._landscape else ""
        self.task_link.text = text
        # An empty line would still cost the card's spacing: it leaves the card instead.
        shown = self.task_link.parent is not None
        if text and not shown:
            self.card.add_widget(self.task_link, index=self.card.children.index(self.reason))
        elif not text and shown:
            self.card.remove_widget(self.task_link)

    def press_action(self, key: str) -> None:
        """One of Visitor came, Recall, No-show, Transfer, Done."""
        if key == "start":
            self.model.start()
        elif key == "recall":
            self.model.recall()
        elif key == "no_show":
            self.model.no_show(self.note.text)
        elif key == "done":
            self.model.done(self.note.text, self.minutes.text, self.percent.text)
        else:
            self.model.open_transfer()

    def show(self, view: PanelView) -> None:
        """Copy the view onto the widgets."""
        s = self.s
        self.status.text = view.status
        codes = [code for code, _ in view.statuses]
        if list(self.status_buttons) != codes:
            self.status_grid.clear_widgets()
            self.status_buttons = {}
            for code in codes:
                widget = button(s(26), s(80), bold=True)
                widget.bind(on_release=lambda _b, code=code: self.model.set_status(code))
                self.status_buttons[code] = widget
                self.status_grid.add_widget(widget)
            self._fit_statuses()
        for code, state in view.statuses:
            _mark_status(self.status_buttons[code], state)
        self.auto_next.text = view.auto_next.text
        mark(self.auto_next, True, view.auto_next.current, BUTTON)
        self.waiting_heading.text = self.model.text("work.waiting_heading")
        self.waiting.text = "\n".join(view.waiting)
        self.others.show(view.others, self.model.more)
        self._fit_spacer()
        self.logout.text = view.logout.text
        self.logout.disabled = not view.logout.enabled
        ticket = view.ticket
        # Idle, the message takes the whole width; serving, the details take the right half.
        self.left.size_hint_x = 1 if ticket is None else 0.45
        self.details.size_hint_x = 0 if ticket is None else 0.55
        if ticket is None:
            self.number.text = view.idle
            self.number.font_size = s(56)
            self.service.text = view.idle_hint
            self.details.show([])
            self.state.text = ""
            self.reason.text = ""
        else:
            self.number.text = ticket.number
            self._fit_number()
            self.service.text = ticket.service
            self.details.show(ticket.details)
            self.state.text = ticket.state
            self.state.color = OK_TEXT if ticket.serving else CALLING
            self.reason.text = ticket.reason or ""
        self.client_card.show(ticket.card if ticket is not None else None)
        self.work_row.show(ticket)
        self._show_link(ticket)
        for key, state in view.actions.items():
            self.actions[key].text = state.text
            self.actions[key].disabled = not state.enabled
