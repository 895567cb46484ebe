"""``cherga panel ...``: run the operator panel, check its config, or take its screenshots.

Kivy reads its environment once, at first import, so this module imports no Kivy: it checks
the configuration first (a wrong setting is one line, not a traceback) and sets the
environment before the app module is imported.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from firmware_config.device_config import DeviceConfigError, read_config
from firmware_config.i18n import CatalogueError

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cherga panel", description="The operator's panel.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    run = sub.add_parser("run", help="run the panel (the default)")
    run.add_argument(
        "--config", metavar="FILE", help="device config file (or CHERGA_DEVICE_CONFIG)"
    )
    run.add_argument("--validate-config", action="store_true", help="check the config and exit")
    shots = sub.add_parser("screenshots", help="render every screen in every language to PNG")
    shots.add_argument("--out", required=True, metavar="DIR", help="where to write the PNGs")
    return parser


def _kivy_env(offscreen: bool) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    if offscreen:
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
        os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")


def _run(args: argparse.Namespace) -> int:
    from operator_panel.settings import DEFAULT_SIZE, load_settings

    source = args.config or os.environ.get("CHERGA_DEVICE_CONFIG")
    if not source:
        print("cherga panel: give --config FILE or set CHERGA_DEVICE_CONFIG", file=sys.stderr)  # noqa: T201
        return 2
    try:
        config = read_config(Path(source))
        settings = load_settings(config)
    except DeviceConfigError as exc:
        print(f"cherga panel: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    if args.validate_config:
        print(f"{source}: OK (panel {config.device_id}, window {config.window})")  # noqa: T201
        return 0
    _kivy_env(offscreen=False)
    from firmware_config.window import Placement, prepare

    # A window without a configured size opens at the default size (the screen's own pixels).
    placement = Placement.of(config, settings.fullscreen, windowed_size=DEFAULT_SIZE)
    prepare(placement)  # before Kivy's window is made
    from operator_panel.app import PanelApp

    PanelApp(config, settings, placement).run()
    return 0


def main(argv: list[str]) -> int:
    """Entry point of ``cherga panel``; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if argv and argv[0] not in ("run", "screenshots", "-h", "--help"):
        argv = ["run", *argv]  # "run" is the default action: ``cherga panel --config FILE``
    args = _parser().parse_args(argv)
    if args.action == "screenshots":
        _kivy_env(offscreen=True)
        from operator_panel.screenshots import take

        try:
            written = take(Path(args.out))
        except CatalogueError as exc:
            print(f"cherga panel: {exc}", file=sys.stderr)  # noqa: T201
            return 2
        for path in written:
            print(path)  # noqa: T201
        return 0
    if args.action is None:
        args = _parser().parse_args(["run", *argv])
    return _run(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
