"""The transfer dialog: another service and/or an operator by user name, with a reason."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout

from operator_panel.screens import mark
from operator_panel.view import PanelView
from operator_panel.viewmodel import PanelModel
from operator_panel.widgets import BUTTON, CARD, MUTED, PRIMARY, Scale, button, entry, label, paint


class TransferDialog(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """Another service (from the board's list) and/or an operator by user name, with a reason."""

    def __init__(self, model: PanelModel, s: Scale) -> None:
        super().__init__(orientation="vertical", padding=s(28), spacing=s(14))
        self.model, self.s = model, s
        paint(self, CARD)
        self.size_hint = (0.86, None)
        self.pos_hint = {"center_x": 0.5, "center_y": 0.5}
        self.heading = label(s(36), bold=True, size_hint_y=None)
        self.service_label = label(s(26), MUTED, size_hint_y=None)
        self.services = GridLayout(cols=3, spacing=s(10), size_hint_y=None)
        self.services.bind(minimum_height=self.services.setter("height"))
        self.service_buttons: dict[int | None, Button] = {}
        self.user_label = label(s(26), MUTED, size_hint_y=None)
        self.user = entry(s(28))
        self.reason_label = label(s(26), MUTED, size_hint_y=None)
        self.reason = entry(s(28))
        row = BoxLayout(spacing=s(14), size_hint_y=None, height=s(96))
        self.cancel = button(s(30), s(96))
        self.cancel.bind(on_release=lambda _b: model.close_transfer())
        self.confirm = button(s(30), s(96), PRIMARY, bold=True)
        self.confirm.bind(on_release=lambda _b: model.transfer(self.user.text, self.reason.text))
        row.add_widget(self.cancel)
        row.add_widget(self.confirm)
        for widget in (
            self.heading,
            self.service_label,
            self.services,
            self.user_label,
            self.user,
            self.reason_label,
            self.reason,
            row,
        ):
            self.add_widget(widget)
        self.bind(minimum_height=self.setter("height"))

    def reset(self) -> None:
        """Empty the fields for a new transfer."""
        self.user.text = ""
        self.reason.text = ""

    def show(self, view: PanelView) -> None:
        """Copy the view onto the widgets."""
        m, s = self.model, self.s
        number = view.ticket.number if view.ticket else ""
        self.heading.text = m.text("transfer.heading", number=number)
        self.service_label.text = m.text("transfer.service")
        self.user_label.text = m.text("transfer.operator")
        self.reason_label.text = m.text("transfer.reason")
        keys = [sid for sid, _ in view.transfer_services]
        if list(self.service_buttons) != keys:
            self.services.clear_widgets()
            self.service_buttons = {}
            for sid in keys:
                widget = button(s(26), s(80))
                widget.bind(on_release=lambda _b, sid=sid: m.choose_transfer_service(sid))
                self.service_buttons[sid] = widget
                self.services.add_widget(widget)
        for sid, state in view.transfer_services:
            self.service_buttons[sid].text = state.text
            mark(self.service_buttons[sid], state.enabled, state.current, BUTTON)
        self.cancel.text = m.text("transfer.cancel")
        self.confirm.text = m.text("transfer.confirm")
        self.confirm.disabled = not m.can_act
