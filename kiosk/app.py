"""The kiosk's Kivy side: a root widget that draws the flow, and the App that runs it.

``KioskRoot`` is all a test needs: it binds the flow to the window, redraws on every change and
turns taps into flow calls. ``KioskApp`` adds what only a real kiosk wants: full screen, the
configured size and rotation (``firmware_config.window``), and no way out with Escape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout

from firmware_config.hublink import HubLink
from firmware_config.window import Placement, place
from hub.protocol import topics
from hub.protocol.messages import KioskReply
from kiosk.flow import KioskFlow
from kiosk.scan_input import open_scanners, scan_desk
from kiosk.scanner import CodeSource
from kiosk.screens import BUILDERS
from kiosk.widgets import BLUE, PAPER, RED, WHITE, Style, TapButton, paint, row, text

logger = logging.getLogger(__name__)

ESCAPE = 27


def perform(flow: KioskFlow, action: str) -> None:
    """Turn a button's action name into the flow call it stands for."""
    simple: dict[str, Callable[[], None]] = {
        "booking": flow.start_check_in,
        "back": flow.back,
        "next": flow.next,
        "skip": flow.skip,
        "confirm": flow.confirm,
        "check_in": flow.check_in,
        "backspace": flow.backspace,
        "keyboard": flow.switch_keyboard,
        "done": flow.reset,
        "start": flow.reset,
    }
    verb, _, arg = action.partition(":")
    if action in simple:
        simple[action]()
    elif verb == "lang":
        flow.set_lang(arg)
    elif verb == "service":
        flow.choose_service(int(arg))
    elif verb == "key":
        flow.key(arg)
    elif verb == "companies":
        flow.companies(int(arg))
    else:
        logger.warning("unknown action %s", action)


class KioskRoot(BoxLayout):  # type: ignore[misc]
    """The whole kiosk screen: a top bar with languages, the current screen, a link banner."""

    def __init__(self, flow: KioskFlow, *, tick: float = 0.5, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", **kwargs)
        paint(self, PAPER)
        self.flow = flow
        flow.on_change = self._changed
        self._dirty = Clock.create_trigger(lambda _dt: self.render(), 0)
        self._ticker = Clock.schedule_interval(lambda _dt: flow.tick(), tick)
        Window.bind(on_keyboard=self._key, size=self._resized)
        self.render()

    def _changed(self) -> None:
        self._dirty()

    def _resized(self, *_args: Any) -> None:
        self._dirty()

    def _key(self, _window: Any, key: int, *_args: Any) -> bool:
        # Escape (and Android's back) must not close a kiosk: a visitor could leave the app.
        self.flow.touched()
        return key == ESCAPE

    def on_touch_down(self, touch: Any) -> bool:
        """Every touch keeps the visitor's session alive."""
        self.flow.touched()
        return bool(super().on_touch_down(touch))

    def act(self, action: str) -> None:
        """A button was tapped."""
        perform(self.flow, action)

    @property
    def style(self) -> Style:
        """Sizes for the window as it is now."""
        return Style(float(Window.width), float(Window.height))

    def render(self) -> None:
        """Rebuild the screen from the flow."""
        flow, s = self.flow, self.style
        self.clear_widgets()
        self.padding = (3 * s.u, 0, 3 * s.u, 2 * s.u)
        self.spacing = 2 * s.u
        bar = row(spacing=2 * s.u, height=11 * s.u)
        bar.add_widget(
            text(
                flow.t("app.title"),
                s.font(4.4),
                bold=True,
                color=BLUE,
                halign="left",
                height=12 * s.u,
            )
        )
        for lang in flow.languages:
            current = lang == flow.lang
            bar.add_widget(
                TapButton(
                    f"lang:{lang}",
                    flow.texts.text(lang, "lang.name"),
                    self.act,
                    s,
                    kind="primary" if current else "plain",
                    font=3.6,
                    size_hint=(None, None),
                    width=(24 if s.portrait else 30) * s.u,
                    height=9.5 * s.u,
                    pos_hint={"center_y": 0.5},
                )
            )
        self.add_widget(bar)
        self.add_widget(BUILDERS[flow.screen](flow, s, self.act))
        if not flow.connected:
            banner = text(
                flow.t("offline.banner"), s.font(3.4), bold=True, color=WHITE, height=9 * s.u
            )
            paint(banner, RED)
            self.add_widget(banner)

    def shutdown(self) -> None:
        """Stop the clocks and let go of the window (the Window outlives this widget)."""
        self._ticker.cancel()
        self._dirty.cancel()
        Window.unbind(on_keyboard=self._key, size=self._resized)
        if self.parent is not None:
            self.parent.remove_widget(self)


def connect(flow: KioskFlow, link: HubLink) -> Callable[[], None]:
    """Wire the link to the flow: connection changes and every reply on our reply topic.

    Subscribing to the reply topic catches the hub's second answer to a ticket request, sent
    when the printer reports (printed or failed). Returns the unsubscribe function.
    """
    config = link.config
    reply_topic = topics.kiosk_reply(config.site, config.device_id)

    def on_reply(message: Any) -> None:
        if isinstance(message, KioskReply):
            flow.answer(message)

    unsubscribe = link.subscribe(reply_topic, on_reply)
    link.start(on_connection=flow.on_connection)
    return unsubscribe


class KioskApp(App):  # type: ignore[misc]
    """The kiosk program: one root, full screen, Escape does nothing."""

    def __init__(self, flow: KioskFlow, link: HubLink, placement: Placement, **kwargs: Any) -> None:
        """``placement``: the window's, already given to ``firmware_config.window.prepare``."""
        super().__init__(**kwargs)
        self.flow = flow
        self.link = link
        self.placement = placement
        self.root_widget: KioskRoot | None = None
        self.scanners: list[CodeSource] = []
        self.title = flow.t("app.title")

    def build(self) -> KioskRoot:
        """Place the window, connect to the hub and show the start screen."""
        from kivy.config import Config

        Config.set("kivy", "exit_on_escape", "0")
        place(Window, self.placement)
        connect(self.flow, self.link)
        self.root_widget = KioskRoot(self.flow)
        self.scanners = open_scanners(self.flow.settings.scanner, scan_desk(self.flow))
        return self.root_widget

    def on_stop(self) -> None:
        """Close the scanners and the link (the hub sees the kiosk go offline)."""
        for scanner in self.scanners:
            scanner.stop()
        if self.root_widget is not None:
            self.root_widget.shutdown()
        self.link.close()
