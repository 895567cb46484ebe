"""``cherga kiosk``: run the registration kiosk, check its config, or take screenshots.

Kivy is imported only after the arguments are read, so ``--help`` and ``--validate-config``
work on a machine without a screen and never open a window.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from firmware_config.device_config import DeviceConfigError, read_config
from firmware_config.i18n import Catalogue, CatalogueError
from kiosk.settings import KioskSettings, KioskSettingsError, parse_settings

logger = logging.getLogger("kiosk")

LOCALE = Path(__file__).with_name("locale")
VERSION = "1"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cherga kiosk", description="The registration kiosk of the electronic queue."
    )
    parser.add_argument(
        "action",
        nargs="?",
        default="run",
        choices=("run", "screenshots"),
        help="run the kiosk (default), or render every screen to PNG files",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=os.environ.get("CHERGA_DEVICE_CONFIG"),
        help="the device config file (or CHERGA_DEVICE_CONFIG)",
    )
    parser.add_argument(
        "--validate-config", action="store_true", help="check the config file and exit"
    )
    parser.add_argument(
        "--out", metavar="DIR", default="docs/screenshots", help="where screenshots go"
    )
    return parser


def _kivy_environment() -> None:
    """Kivy reads these once, at its first import: no argv parsing, no ~/.kivy by surprise."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_HOME", str(Path(tempfile.gettempdir()) / "cherga-kivy"))


def _screenshots(out: Path, texts: Catalogue) -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")
    _kivy_environment()
    from kiosk.shots import take

    written = take(out, texts)
    print(f"{len(written)} screenshots in {out}")  # noqa: T201 (a command's output)
    return 0


def _run(config_path: str, settings: KioskSettings, texts: Catalogue) -> int:
    config = read_config(Path(config_path))
    _kivy_environment()
    from firmware_config.window import Placement, prepare

    placement = Placement.of(config, settings.fullscreen)
    prepare(placement)  # before anything imports Kivy's window, which is made at import
    from kivy.clock import Clock

    from firmware_config.hublink import HubLink
    from kiosk.app import KioskApp
    from kiosk.flow import KioskFlow

    link = HubLink(config, version=VERSION, timeout=settings.request_timeout_s)
    flow = KioskFlow(link, texts, settings)
    app = KioskApp(flow, link, placement)

    def stop(_signum: int, _frame: Any) -> None:
        # systemd stops the kiosk with SIGTERM: close on Kivy's thread so "offline" is sent.
        Clock.schedule_once(lambda _dt: app.stop(), 0)

    signal.signal(signal.SIGTERM, stop)
    app.run()
    return 0


def main(argv: list[str]) -> int:
    """Entry point of ``cherga kiosk``; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        texts = Catalogue(LOCALE)
        if args.action == "screenshots":
            return _screenshots(Path(args.out), texts)
        if not args.config:
            print("cherga kiosk: give --config FILE (or CHERGA_DEVICE_CONFIG)", file=sys.stderr)  # noqa: T201
            return 2
        config = read_config(Path(args.config))
        if config.role != "kiosk":
            raise DeviceConfigError(f"{args.config}: role: this file is for a {config.role}")
        settings = parse_settings(config.settings, args.config)
        if args.validate_config:
            print(f"{args.config}: valid kiosk configuration for {config.device_id}")  # noqa: T201
            return 0
        return _run(args.config, settings, texts)
    except (DeviceConfigError, KioskSettingsError, CatalogueError) as exc:
        print(f"cherga kiosk: {exc}", file=sys.stderr)  # noqa: T201
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
