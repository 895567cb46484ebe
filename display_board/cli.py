"""``cherga display``: run the board, check its config, take screenshots, test the speaker.

    cherga display [run] --config FILE [--validate-config]
    cherga display screenshots --out DIR [--config FILE]
    cherga display say NUMBER WINDOW --out FILE [--recall] [--config FILE]

Kivy reads its window settings once, when the window is made, so the screen size and rotation
from the config are given to ``firmware_config.window`` here before anything imports the window.
"""

from __future__ import annotations

import argparse
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from display_board.settings import DisplaySettings, DisplaySettingsError, settings_of
from firmware_config.device_config import DeviceConfig, DeviceConfigError, read_config
from hub.logs import setup_logging

logger = logging.getLogger("cherga.display")

SHOT_SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920)}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cherga display", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    run = sub.add_parser("run", help="show the board (the default action)")
    screenshots = sub.add_parser("screenshots", help="draw every screen in every language")
    screenshots.add_argument("--out", required=True, type=Path, metavar="DIR")
    say = sub.add_parser("say", help="render (and play) one announcement")
    say.add_argument("number")
    say.add_argument("window")
    say.add_argument("--out", required=True, type=Path, metavar="FILE")
    say.add_argument("--recall", action="store_true")
    for command in (parser, run, screenshots, say):
        command.add_argument("--config", type=Path, metavar="FILE", help="device config (TOML)")
    for command in (parser, run):
        command.add_argument(
            "--validate-config", action="store_true", help="check the config file and exit"
        )
    return parser


def _load(path: Path | None) -> tuple[DeviceConfig, DisplaySettings]:
    env = os.environ.get("CHERGA_DEVICE_CONFIG")
    path = path or (Path(env) if env else None)
    if path is None:
        raise DeviceConfigError("no device config: pass --config FILE or set CHERGA_DEVICE_CONFIG")
    config = read_config(path)
    if config.role != "display":
        raise DeviceConfigError(f"{path}: role is {config.role}, not display")
    try:
        return config, settings_of(config)
    except DisplaySettingsError as exc:
        raise DeviceConfigError(f"{path}: {exc}") from None


def main(argv: list[str]) -> int:
    """Entry point of ``cherga display``; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.action == "screenshots":
        # Kivy puts its own console handler on the root logger when imported; importing it
        # first lets ours replace it, so each line is written once.
        import kivy
    setup_logging()
    try:
        if args.action == "screenshots":
            settings = _load(args.config)[1] if args.config else None
            for path in screenshots(args.out, settings):
                logger.info("wrote %s", path)
            return 0
        if args.action == "say":
            settings = _load(args.config)[1] if args.config else DisplaySettings()
            logger.info("wrote %s", say(settings, args.number, args.window, args.recall, args.out))
            return 0
        config, settings = _load(args.config)
    except DeviceConfigError as exc:
        logger.error("%s", exc)
        return 2
    if args.validate_config:
        logger.info("%s: the display config is valid", config.device_id)
        return 0
    # Kivy only once the config is known good (a wrong setting is one line, no Kivy banner);
    # then ours replaces the console handler Kivy put on the root logger.
    import kivy  # noqa: F401

    setup_logging()
    return run(config, settings)


def run(config: DeviceConfig, settings: DisplaySettings) -> int:
    """Show the board full screen (at the configured size, if any) until the app is closed."""
    from firmware_config.window import Placement, prepare

    # Always the whole screen: the config's size, else the display's (firmware_config.window).
    placement = Placement.of(config, fullscreen=True)
    prepare(placement)

    from display_board.app import Display, DisplayApp
    from display_board.board import catalogue

    texts = catalogue()
    DisplayApp(lambda: Display(config, settings, texts), placement=placement).run()
    return 0


def say(settings: DisplaySettings, number: str, window: str, recall: bool, out: Path) -> Path:
    """Render one announcement to ``out`` and play it on the configured sink (a sound check)."""
    from display_board.announcer import Announcement, Speaker, choose_sink
    from display_board.board import announcement_text, catalogue

    texts = catalogue()
    sentences = tuple(
        (lang, announcement_text(texts, lang, number, window, recall))
        for lang in settings.announce.languages
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    path = Speaker(settings.announce).render(Announcement(number, window, recall, sentences), out)
    choose_sink(settings.announce).play(path)
    return path


def sample_settings() -> DisplaySettings:
    """Settings of a plausible office, for screenshots without a config."""
    from display_board.board import catalogue

    texts = catalogue()
    return DisplaySettings(
        ticker={"uk": texts.text("uk", "sample.ticker"), "en": texts.text("en", "sample.ticker")},
        services={
            "1": {"uk": "Паспортний стіл", "en": "Passport desk"},
            "2": {"uk": "Податки та збори", "en": "Taxes and fees"},
            "3": {"uk": "Консультації", "en": "Consultations"},
            "4": {"uk": "Реєстрація бізнесу", "en": "Business registration"},
        },
    )


def sample_board() -> object:
    """A busy morning's board: six calls, four services."""
    from hub.protocol.devices import BoardCall, BoardWait, DisplayBoard

    start = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    calls = [
        ("А-042", "3", 1),
        ("Б-017", "1", 2),
        ("А-041", "2", 1),
        ("В-005", "12", 3),
        ("А-040", "3", 1),
        ("Б-016", "1", 2),
    ]
    return DisplayBoard(
        calls=[
            BoardCall(number=n, window=w, service_id=s, called_at=start - timedelta(minutes=3 * i))
            for i, (n, w, s) in enumerate(calls)
        ],
        waiting={1: 7, 2: 3, 3: 0, 4: 12},
        callers={1: 2, 4: 5},
        waits={
            1: BoardWait(s=2400, low_s=1560, high_s=3240),
            2: BoardWait(s=900, low_s=540, high_s=1260),
            3: BoardWait(s=0, low_s=0, high_s=0),
            4: BoardWait(s=5400, low_s=3900, high_s=6900),
        },
        tz="Europe/Kyiv",
    )


def screenshots(out: Path, settings: DisplaySettings | None = None) -> list[Path]:
    """Draw each screen in each language and orientation to ``out/display-<screen>-<lang>.png``."""
    from kivy.base import EventLoop

    from display_board.board import BoardModel, catalogue
    from display_board.widgets import BoardScreen
    from hub.protocol.devices import DisplayBoard

    EventLoop.ensure_window()
    window = EventLoop.window
    texts = catalogue()
    settings = settings or sample_settings()
    board = sample_board()
    assert isinstance(board, DisplayBoard)
    # 09:41 in Kyiv: the clock shows the board's zone, whatever this machine's is.
    shown_at = datetime(2026, 11, 27, 7, 41, tzinfo=UTC)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, size, has_board, connected in (
        ("board-landscape", SHOT_SIZES["landscape"], True, True),
        ("board-portrait", SHOT_SIZES["portrait"], True, True),
        ("offline-landscape", SHOT_SIZES["landscape"], True, False),
        ("start-portrait", SHOT_SIZES["portrait"], False, False),
    ):
        for lang in texts.languages:
            model = BoardModel(settings, texts, timezone="Europe/Kyiv")  # as provisioned
            model.connected = connected
            if has_board:
                model.apply_board(board)
            screen = BoardScreen(
                ticker_speed=settings.ticker_speed, size_hint=(None, None), size=size, pos=(0, 0)
            )
            window.add_widget(screen)
            try:
                screen.show(model.view(lang))
                screen.set_clock(*model.clock(shown_at))
                screen.ticker.stop()
                for _ in range(3):
                    EventLoop.idle()
                # The running line frozen where its start is readable.
                screen.ticker.label.x = screen.ticker.x + screen.unit * 2
                screen.ticker.label.center_y = screen.ticker.center_y
                EventLoop.idle()
                path = out / f"display-{name}-{lang}.png"
                screen.export_to_png(str(path))
                written.append(path)
            finally:
                screen.stop()
                window.remove_widget(screen)
    return written


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
