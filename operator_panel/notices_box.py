"""The notifications' list over the panel: one line each with "Mark read", then "Mark all
read" and "Close". It draws a NoticesView and calls the view-model, nothing else."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button

from operator_panel.notices_view import NoticesView
from operator_panel.viewmodel import PanelModel
from operator_panel.widgets import CARD, MUTED, PRIMARY, Scale, button, label, paint

ROWS = 6
"""Lines shown at once; the hub sends at most 20 and the count says how many are unread."""


class NoticesDialog(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """The operator's unread notifications with a button to mark each one read."""

    def __init__(self, model: PanelModel, s: Scale) -> None:
        super().__init__(orientation="vertical", padding=s(28), spacing=s(12))
        self.model, self.s = model, s
        paint(self, CARD)
        self.size_hint = (0.86, None)
        self.pos_hint = {"center_x": 0.5, "center_y": 0.5}
        self.heading = label(s(34), bold=True, size_hint_y=None)
        self.lines = BoxLayout(orientation="vertical", spacing=s(10), size_hint_y=None)
        self.lines.bind(minimum_height=self.lines.setter("height"))
        self.note = label(s(24), MUTED, size_hint_y=None)
        actions = BoxLayout(spacing=s(14), size_hint_y=None, height=s(90))
        self.read_all = button(s(28), s(90), PRIMARY, bold=True)
        self.read_all.bind(on_release=lambda _b: model.read_all_notices())
        self.close = button(s(28), s(90))
        self.close.bind(on_release=lambda _b: model.toggle_notices())
        actions.add_widget(self.read_all)
        actions.add_widget(self.close)
        for widget in (self.heading, self.lines, self.note, actions):
            self.add_widget(widget)
        self.bind(minimum_height=self.setter("height"))
        self.read_buttons: dict[int, Button] = {}

    def show(self, view: NoticesView) -> None:
        """Copy the view onto the widgets (the rows are rebuilt when the list changed)."""
        s = self.s
        self.heading.text = view.heading
        shown = view.rows[:ROWS]
        if [row.id for row in shown] != list(self.read_buttons):
            self.lines.clear_widgets()
            self.read_buttons = {}
            for row in shown:
                line = BoxLayout(spacing=s(12), size_hint_y=None, height=s(84))
                text = label(s(24), size_hint_x=0.74)
                text.max_lines = 2  # a long notice wraps once, then is cut
                read = button(s(24), s(80), size_hint_x=0.26)
                read.bind(on_release=lambda _b, ident=row.id: self.model.read_notice(ident))
                line.add_widget(text)
                line.add_widget(read)
                self.lines.add_widget(line)
                self.read_buttons[row.id] = read
        for line, row in zip(reversed(self.lines.children), shown, strict=True):
            text, read = reversed(line.children)
            text.text = row.text
            read.text = view.read.text
            read.disabled = not view.read.enabled
        hidden = view.unread - len(shown)
        more = self.model.text("notices.more", count=hidden) if hidden > 0 else ""
        self.note.text = view.empty or more
        self.read_all.text = view.read_all.text
        self.read_all.disabled = not view.read_all.enabled
        self.close.text = view.close.text
