"""The display appliance put together: hub link, view-model, announcer and the board screen.

``Display`` is the composition root shared by the app, the tests and the screenshot command: it
wires the retained board and the announcements from the hub to the view-model, the view-model to
the screen, and the calls to the announcer's queue. It holds no state the hub did not send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock

from display_board.announcer import Announcement, Announcer, AudioSink
from display_board.board import BoardModel, announcement_text
from display_board.settings import DisplaySettings
from display_board.widgets import BoardScreen
from firmware_config.device_config import DeviceConfig
from firmware_config.hublink import Dispatch, HubLink, kivy_dispatch
from firmware_config.i18n import Catalogue
from firmware_config.window import Placement, place
from hub import __version__
from hub.protocol import topics
from hub.protocol.devices import DisplayAnnounce, DisplayBoard

logger = logging.getLogger(__name__)

VERSION = __version__


class Display:
    """One display board: subscribe, redraw on every board, announce every call in turn."""

    def __init__(
        self,
        config: DeviceConfig,
        settings: DisplaySettings,
        texts: Catalogue,
        *,
        sink: AudioSink | None = None,
        dispatch: Dispatch = kivy_dispatch,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``now``: the instant (aware); the clock shows it in the office's zone."""
        self.config = config
        self.model = BoardModel(settings, texts, timezone=config.timezone)
        self.screen = BoardScreen(ticker_speed=settings.ticker_speed)
        self.link = HubLink(config, version=VERSION, dispatch=dispatch)
        self._dispatch = dispatch
        self._now = now
        self._started = time.monotonic()
        self.lang = self.model.language_at(0)
        # Announcements finished so far, (announcement, WAV file), in the order they were spoken.
        self.announced: list[tuple[Announcement, Path | None]] = []
        self.announcer: Announcer | None = None
        if settings.announce.enabled:
            self.announcer = Announcer(
                settings.announce,
                sink=sink,
                on_start=lambda item, _path: dispatch(lambda: self._speaking(item)),
                on_done=lambda item, path: dispatch(lambda: self._spoken(item, path)),
            )
        self._ticks: list[object] = []
        self._unsubscribe: list[Callable[[], None]] = []

    def start(self) -> None:
        """Subscribe to the display topics and connect; the retained board arrives at once."""
        site = self.config.site
        self._unsubscribe = [
            self.link.subscribe(topics.display_board(site), self._on_message),
            self.link.subscribe(topics.display_announce(site), self._on_message),
        ]
        self.link.start(on_connection=self._on_connection)
        self._ticks = [Clock.schedule_interval(self._tick, 1.0)]
        self._tick(0)
        self.refresh()

    def stop(self) -> None:
        """Disconnect, stop speaking and stop every clock this display started."""
        for tick in self._ticks:
            tick.cancel()  # type: ignore[attr-defined]
        self._ticks = []
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self.link.close()
        if self.announcer is not None:
            self.announcer.close()
        self.screen.stop()
        if self.screen.parent is not None:
            self.screen.parent.remove_widget(self.screen)

    def refresh(self) -> None:
        """Redraw the screen from the view-model."""
        self.screen.show(self.model.view(self.lang))

    def _tick(self, _dt: float) -> None:
        self.screen.set_clock(*self.model.clock(self._now()))
        lang = self.model.language_at(time.monotonic() - self._started)
        if lang != self.lang:
            self.lang = lang
            self.refresh()

    def _on_connection(self, up: bool) -> None:
        logger.info("hub link %s", "up" if up else "down")
        self.model.connected = up
        self.refresh()

    def _on_message(self, message: object) -> None:
        if isinstance(message, DisplayBoard):
            self.model.apply_board(message)
            self.refresh()
        elif isinstance(message, DisplayAnnounce):
            self.announce(message)

    def announce(self, message: DisplayAnnounce) -> None:
        """Queue the chime and speech of one call (the board itself comes with the board)."""
        if self.announcer is None:
            return
        sentences = tuple(
            (
                lang,
                announcement_text(
                    self.model.texts, lang, message.number, message.window, message.recall
                ),
            )
            for lang in self.model.spoken_languages(message)
        )
        self.announcer.submit(
            Announcement(message.number, message.window, message.recall, sentences)
        )

    def _speaking(self, item: Announcement) -> None:
        self.model.announcing = (item.number, item.window)
        self.refresh()

    def _spoken(self, item: Announcement, path: Path | None) -> None:
        self.announced.append((item, path))
        if self.model.announcing == (item.number, item.window):
            self.model.announcing = None
            self.refresh()


class DisplayApp(App):  # type: ignore[misc]
    """The Kivy application around one ``Display``."""

    def __init__(
        self,
        display_factory: Callable[[], Display],
        placement: Placement | None = None,
        **kwargs: object,
    ) -> None:
        """``placement``: the window's (given to ``firmware_config.window.prepare`` first)."""
        super().__init__(**kwargs)
        self._factory = display_factory
        self._placement = placement
        self.display: Display | None = None

    def build(self) -> BoardScreen:
        self.title = "Cherga display"
        if self._placement is not None:
            from kivy.core.window import Window

            place(Window, self._placement)
        self.display = self._factory()
        return self.display.screen

    def on_start(self) -> None:
        if self.display is not None:
            self.display.start()

    def on_stop(self) -> None:
        if self.display is not None:
            self.display.stop()
