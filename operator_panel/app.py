"""The operator panel's Kivy app and its composition root.

``PanelRuntime`` wires one view-model to the hub (HubLink: the panel's reply and retained
assignment topics, and the retained board for waiting counts); ``PanelRoot`` is the screen,
bound to the view-model only. Tests build both without an ``App``; ``PanelApp`` runs them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.widget import Widget

from firmware_config.device_config import DeviceConfig
from firmware_config.hublink import Dispatch, HubLink, kivy_dispatch
from firmware_config.i18n import Catalogue
from firmware_config.window import Placement, place
from hub.protocol import topics
from hub.protocol.base import Request
from hub.protocol.cards import PanelNotices, PanelOperators
from hub.protocol.devices import DeviceState, DisplayBoard, PhoneCall, PhoneCmd
from hub.protocol.messages import PanelAssignment, PanelReply
from operator_panel.notices_box import NoticesDialog
from operator_panel.notices_view import NoticesView
from operator_panel.phone_area import IncomingWindow, PhoneScreen
from operator_panel.phone_model import PhoneModel
from operator_panel.phone_view import PhoneView
from operator_panel.screens import LoginScreen, WorkScreen
from operator_panel.settings import PanelSettings, phone_device
from operator_panel.transfer import TransferDialog
from operator_panel.view import PanelView
from operator_panel.viewmodel import OnFailure, OnReply, PanelModel
from operator_panel.widgets import (
    ALERT,
    BACKGROUND,
    BUTTON,
    CALLING,
    ERROR_TEXT,
    OK_TEXT,
    PRIMARY,
    Scale,
    box,
    button,
    label,
    paint,
    text_on,
)

logger = logging.getLogger(__name__)

LOCALE = Path(__file__).parent / "locale"
VERSION = "0.1.0"


def catalogue() -> Catalogue:
    """The panel's texts."""
    return Catalogue(LOCALE)


class PanelRoot(FloatLayout):  # type: ignore[misc]  # Kivy has no type information
    """The whole screen: a top bar, the connection banner, a notice line and one screen."""

    def __init__(self, model: PanelModel, size: tuple[int, int], font_scale: float = 1.0) -> None:
        super().__init__()
        self.model = model
        self.laid_out_for = size
        s = self.scale = Scale(*size, font_scale)
        paint(self, BACKGROUND)
        self.column = BoxLayout(orientation="vertical", padding=s(10), spacing=s(8))
        top = BoxLayout(size_hint_y=None, height=s(76), spacing=s(16), padding=(s(8), 0))
        self.title = label(s(24), bold=True, size_hint_x=0.45)
        self.notice = label(s(22), size_hint_x=0.55)
        self.lang = button(s(24), s(64), size_hint_x=None, width=s(200))
        self.lang.bind(on_release=lambda _b: model.toggle_lang())
        # The phone's button: the call's time, "Ringing!", or back to the queue.
        self.phone_toggle = button(s(24), s(64), size_hint_x=None, width=s(250), bold=True)
        if model.phone is not None:
            self.phone_toggle.bind(on_release=lambda _b: self._toggle_phone())
        # The operator's unread notifications: their count, and the list when pressed.
        self.notices_toggle = button(s(22), s(64), size_hint_x=None, width=0, bold=True)
        self.notices_toggle.bind(on_release=lambda _b: model.toggle_notices())
        top.add_widget(self.title)
        top.add_widget(self.notice)
        top.add_widget(self.notices_toggle)
        top.add_widget(self.phone_toggle)
        top.add_widget(self.lang)
        self.banner = box(ALERT, size_hint_y=None, height=0, padding=(s(16), s(6)))
        self.banner_label = label(s(24), bold=True)
        self.banner.add_widget(self.banner_label)
        # Service-level alerts (STAT-3): amber, under the connection's red banner.
        self.alerts = box(CALLING, size_hint_y=None, height=0, padding=(s(16), s(4)))
        self.alerts_label = label(s(22), text_on(CALLING), bold=True)
        self.alerts.add_widget(self.alerts_label)
        self.login = LoginScreen(model, s)
        self.work = WorkScreen(model, s)
        self.body = BoxLayout()
        self.column.add_widget(top)
        self.column.add_widget(self.banner)
        self.column.add_widget(self.alerts)
        self.column.add_widget(self.body)
        self.add_widget(self.column)
        self.shade = paint(Widget(), (0, 0, 0, 0.6))
        self.incoming_shade = paint(Widget(), (0, 0, 0, 0.6))
        self.transfer = TransferDialog(model, s)
        self.notices_shade = paint(Widget(), (0, 0, 0, 0.6))
        self.notices = NoticesDialog(model, s)
        self._notices_open = False
        self.phone = PhoneScreen(model.phone, s) if model.phone is not None else None
        self.incoming = IncomingWindow(model.phone, s) if model.phone is not None else None
        self._incoming_open = False
        self._screen: Widget | None = None
        self._dialog_open = False
        model.on_change(self.refresh)
        self.bind(size=lambda _w, size: self._fit(size))
        self.refresh()
        # Call timers tick while there are calls (the view computes them from the clock).
        self._ticker = Clock.schedule_interval(self._tick, 1) if self.phone is not None else None

    def _toggle_phone(self) -> None:
        if self.model.phone is not None:
            self.model.phone.toggle_open()

    def _tick(self, _dt: float) -> None:
        # Only the phone's parts: the rest of the screen has not changed.
        if self.model.phone is not None and self.model.phone.calls:
            self._show_phone(self.model.phone_view(), self._screen is not self.login)

    def _fit(self, size: list[float]) -> None:
        if self.incoming is not None:
            self.incoming.fit(size[0] >= size[1])

    def stop(self) -> None:
        """Stop the timers and listening to the model (the root is leaving the window)."""
        self.model.off_change(self.refresh)
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def refresh(self) -> None:
        """Redraw from the view-model."""
        view = self.model.view()
        self.title.text = view.title + (f"\n{view.operator}" if view.screen == "work" else "")
        self.lang.text = self.model.text("lang_switch")
        self.banner_label.text = view.banner or ""
        self.banner.height = self.scale(84) if view.banner else 0
        self.banner.opacity = 1 if view.banner else 0
        self.alerts_label.text = "\n".join(view.alerts)
        self.alerts.height = self.scale(44) * len(view.alerts) + self.scale(8) if view.alerts else 0
        self.alerts.opacity = 1 if view.alerts else 0
        self.notice.text = view.notice or ""
        # Without a notice the title has the bar's room (a portrait bar also holds the phone).
        self.title.size_hint_x = 0.45 if view.notice else 1
        self.notice.size_hint_x = 0.55 if view.notice else None
        if not view.notice:
            self.notice.width = 0
        self.notice.color = ERROR_TEXT if view.notice_is_error else OK_TEXT
        phone = self.model.phone_view()
        screen: Widget = self.login if view.screen == "login" else self.work
        if view.screen == "work" and phone is not None and phone.open and self.phone is not None:
            screen = self.phone
        if screen is not self._screen:
            self.body.clear_widgets()
            self.body.add_widget(screen)
            self._screen = screen
        self.login.show(view)
        self.work.show(view)
        self._show_phone(phone, view.screen == "work")
        self._show_dialog(view)
        self._show_notices(self.model.notices_view())

    def _show_phone(self, phone: PhoneView | None, working: bool) -> None:
        """The phone's button (once logged in), its area, and the incoming-call window."""
        shown = phone is not None and working
        self.phone_toggle.opacity = 1 if shown else 0
        self.phone_toggle.disabled = not shown
        self.phone_toggle.width = self.scale(250) if shown else 0
        if phone is None or self.phone is None or self.incoming is None:
            return
        self.phone_toggle.text = phone.toggle.text
        colour = CALLING if phone.toggle_alert else PRIMARY if phone.toggle.current else BUTTON
        self.phone_toggle.background_color = colour
        self.phone_toggle.color = text_on(colour)
        self.phone.show(phone)
        incoming = phone.incoming
        if incoming is not None:
            self.incoming.show(incoming)
        # Above everything else, the transfer dialog included: a call does not wait.
        if incoming is not None and not self._incoming_open:
            self.add_widget(self.incoming_shade)
            self.add_widget(self.incoming)
        elif incoming is None and self._incoming_open:
            self.remove_widget(self.incoming)
            self.remove_widget(self.incoming_shade)
        self._incoming_open = incoming is not None

    def _show_dialog(self, view: PanelView) -> None:
        if view.transfer_open:
            self.transfer.show(view)
        if view.transfer_open and not self._dialog_open:
            self.transfer.reset()
            self.add_widget(self.shade)
            self.add_widget(self.transfer)
            if self._incoming_open and self.incoming is not None:
                # The incoming-call window stays on top.
                for widget in (self.incoming_shade, self.incoming):
                    self.remove_widget(widget)
                    self.add_widget(widget)
        elif not view.transfer_open and self._dialog_open:
            self.remove_widget(self.transfer)
            self.remove_widget(self.shade)
        self._dialog_open = view.transfer_open

    def _show_notices(self, notices: NoticesView | None) -> None:
        """The count in the top bar (amber while some are unread) and the list when open."""
        toggle = self.notices_toggle
        toggle.opacity = 1 if notices is not None else 0
        toggle.disabled = notices is None
        toggle.width = self.scale(250) if notices is not None else 0
        opened = notices is not None and notices.open
        if notices is not None:
            toggle.text = notices.toggle.text
            colour = CALLING if notices.alert else PRIMARY if notices.open else BUTTON
            toggle.background_color = colour
            toggle.color = text_on(colour)
        if opened and notices is not None:
            self.notices.show(notices)
        if opened and not self._notices_open:
            self.add_widget(self.notices_shade)
            self.add_widget(self.notices)
            if self._incoming_open and self.incoming is not None:
                for widget in (self.incoming_shade, self.incoming):  # a call stays on top
                    self.remove_widget(widget)
                    self.add_widget(widget)
        elif not opened and self._notices_open:
            self.remove_widget(self.notices)
            self.remove_widget(self.notices_shade)
        self._notices_open = opened


class PanelRuntime:
    """One panel's model and hub link, wired; ``start()`` then ``close()``."""

    def __init__(
        self,
        config: DeviceConfig,
        settings: PanelSettings,
        *,
        dispatch: Dispatch = kivy_dispatch,
        phone: str | None = None,
    ) -> None:
        """``phone``: the phone agent beside the panel (default: the config's ``phone_device``)."""
        assert config.window is not None  # DeviceConfig requires it for a panel
        self.config = config
        self.link = HubLink(
            config, version=VERSION, dispatch=dispatch, timeout=settings.request_timeout_s
        )
        self.sent: list[Request] = []
        self.model = PanelModel(
            texts=catalogue(),
            send=self._send,
            window=config.window,
            name=config.name,
            lang=settings.lang,
            auto_next=settings.auto_next,
            timezone=config.timezone,
        )
        self.phone_device = phone or phone_device(config)
        self.commands: list[PhoneCmd] = []
        if self.phone_device is not None:
            self.model.phone = PhoneModel(
                self.phone_device, send=self._command, ask=self._ask, notify=self.model.notify
            )
        self._unsubscribe: list[Any] = []

    def _command(self, command: PhoneCmd) -> None:
        assert self.phone_device is not None
        self.commands.append(command)
        self.link.publish(topics.phone_cmd(self.config.site, self.phone_device), command)

    def _ask(self, request: Request, on_reply: OnReply, on_failure: OnFailure) -> None:
        # Phone look-ups go beside the queue's one-at-a-time requests, never blocking them.
        self.sent.append(request)
        self.link.request(request, PanelReply, on_reply, on_failure)

    def _send(self, request: Request, on_reply: OnReply, on_failure: OnFailure) -> None:
        self.sent.append(request)
        self.link.request(request, PanelReply, on_reply, on_failure)

    def start(self) -> None:
        """Subscribe to the retained assignment and board, then connect in the background."""
        site, device = self.config.site, self.config.device_id

        def assignment(message: Any) -> None:
            if isinstance(message, PanelAssignment):
                self.model.assignment_received(message)

        def board(message: Any) -> None:
            if isinstance(message, DisplayBoard):
                self.model.board_received(message)

        def operators(message: Any) -> None:
            if isinstance(message, PanelOperators):
                self.model.operators_received(message)

        def notices(message: Any) -> None:
            if isinstance(message, PanelNotices):
                self.model.notices_received(message)

        self._unsubscribe = [
            self.link.subscribe(topics.panel_assignment(site, device), assignment),
            self.link.subscribe(topics.panel_operators(site, device), operators),
            self.link.subscribe(topics.panel_notices(site, device), notices),
            self.link.subscribe(topics.display_board(site), board),
        ]
        phone = self.model.phone
        if phone is not None and self.phone_device is not None:

            def call(message: Any) -> None:
                if isinstance(message, PhoneCall):
                    phone.call_received(message)

            def agent(message: Any) -> None:
                if isinstance(message, DeviceState):
                    phone.state_received(message)

            # The agent's retained state says whether its SIP account is registered; the
            # broker delivers it only where the ACL lets the panel read it (docs/panel_phone.md).
            self._unsubscribe += [
                self.link.subscribe(topics.phone_call(site, self.phone_device), call),
                self.link.subscribe(topics.device_state(site, self.phone_device), agent),
            ]
        self.link.start(on_connection=self.model.connection_changed)

    def close(self) -> None:
        """Disconnect (saying offline) and stop the link's threads."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self.link.close()


class PanelApp(App):  # type: ignore[misc]  # Kivy has no type information
    """The panel as a Kivy application, laid out for its window's real size."""

    def __init__(self, config: DeviceConfig, settings: PanelSettings, placement: Placement):
        """``placement``: the window's, already given to ``firmware_config.window.prepare``."""
        super().__init__()
        self.device = config
        self.panel_settings = settings
        self.placement = placement
        self.runtime: PanelRuntime | None = None
        self.frame = FloatLayout()
        self.panel: PanelRoot | None = None
        self._relayout = Clock.create_trigger(lambda _dt: self._fit(), 0.2)

    def build(self) -> FloatLayout:
        """The root widget; the hub link starts with it."""
        from kivy.core.window import Window

        self.title = self.device.name
        place(Window, self.placement)
        self.runtime = PanelRuntime(self.device, self.panel_settings)
        self._fit()
        Window.bind(size=lambda *_args: self._relayout())
        self.runtime.start()
        return self.frame

    def _fit(self) -> None:
        """(Re)build the screen for the window's size: every size on it is scaled from it."""
        from kivy.core.window import Window

        assert self.runtime is not None
        size = (int(Window.width), int(Window.height))
        if self.panel is not None and self.panel.laid_out_for == size:
            return
        if self.panel is not None:
            self.panel.stop()
            self.frame.remove_widget(self.panel)
        self.panel = PanelRoot(self.runtime.model, size, self.panel_settings.font_scale)
        self.frame.add_widget(self.panel)

    def on_stop(self) -> None:
        """Say offline and close the link when the window closes."""
        if self.panel is not None:
            self.panel.stop()
        if self.runtime is not None:
            self.runtime.close()
