"""The row above the actions: the note, the minutes spent and the percent done that Done
records in the visitor's task (Q-6), filled for each new visitor and then the operator's."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout

from operator_panel.view import TicketView, minutes_since
from operator_panel.viewmodel import PanelModel
from operator_panel.widgets import MUTED, Scale, entry, label

REFRESH_S = 20
"""How often an untouched time-spent field catches up with the clock."""


class WorkRow(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """Note, minutes (since the call, kept current until edited) and percent (100)."""

    def __init__(self, model: PanelModel, s: Scale) -> None:
        note = entry(s(26))
        super().__init__(size_hint_y=None, height=note.height, spacing=s(10))
        self.model, self.note = model, note
        self.minutes = entry(s(26), input_filter="int", size_hint_x=None, width=s(86))
        self.percent = entry(s(26), input_filter="int", size_hint_x=None, width=s(76))
        self.minutes_label = label(s(18), MUTED, size_hint_x=None, width=s(104), halign="right")
        self.percent_label = label(s(18), MUTED, size_hint_x=None, width=s(104), halign="right")
        for widget in (self.minutes_label, self.percent_label):
            widget.text_size = (widget.width, None)  # wraps in its fixed width
        for widget in (
            self.note,
            self.minutes_label,
            self.minutes,
            self.percent_label,
            self.percent,
        ):
            self.add_widget(widget)
        self._ticket = 0
        self._prefilled = ""
        Clock.schedule_interval(lambda _dt: self.refresh(), REFRESH_S)

    def show(self, ticket: TicketView | None) -> None:
        """Labels in the panel's language; the fields filled for a new visitor, cleared and
        off without one."""
        text = self.model.text
        self.note.hint_text = text("work.note")
        self.minutes_label.text = text("work.time_spent")
        self.percent_label.text = text("work.percent_done")
        for widget in (self.note, self.minutes, self.percent):
            widget.disabled = ticket is None
        if ticket is None:
            self.note.text = self.minutes.text = self.percent.text = self._prefilled = ""
            self._ticket = 0
        elif ticket.ticket_id != self._ticket:
            self._ticket = ticket.ticket_id
            self.note.text = ""
            self.minutes.text = self._prefilled = str(ticket.minutes)
            self.percent.text = "100"
        elif self.minutes.text == self._prefilled:
            self.minutes.text = self._prefilled = str(ticket.minutes)

    def refresh(self) -> None:
        """Time passes while serving: an untouched time-spent field follows it."""
        held = self.model.assignment.ticket if self.model.assignment is not None else None
        if held is None or held.id != self._ticket or self.minutes.text != self._prefilled:
            return
        self.minutes.text = self._prefilled = str(minutes_since(held.called_at, self.model.clock()))
