"""``cherga printer``: run a ticket printer agent, check its config, or preview a ticket.

``cherga printer --config FILE`` runs the agent; ``cherga printer preview`` draws a ticket to a
PNG by interpreting the very ESC/POS bytes a printer would get (from sample ticket data and a
config's layout, or from a captured ``--bytes`` file), so a layout can be checked on a laptop.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from firmware_config.device_config import DeviceConfig, DeviceConfigError, read_config
from firmware_config.i18n import CatalogueError
from firmware_config.service import run_until_stopped
from printers.settings import PrinterSettings, PrinterSettingsError, TicketLayout, parse_settings

logger = logging.getLogger("printers")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cherga printer", description="The ticket printer agent of the electronic queue."
    )
    parser.add_argument(
        "action",
        nargs="?",
        default="run",
        choices=("run", "preview"),
        help="run the agent (default), or render a ticket to a PNG",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=os.environ.get("CHERGA_DEVICE_CONFIG"),
        help="the device config file (or CHERGA_DEVICE_CONFIG); optional for preview",
    )
    parser.add_argument(
        "--validate-config", action="store_true", help="check the config file and exit"
    )
    parser.add_argument("--state-dir", metavar="DIR", help="where printed job ids are kept")
    preview = parser.add_argument_group("preview")
    preview.add_argument("--out", metavar="PNG", default="ticket.png", help="the picture")
    preview.add_argument("--lang", choices=("uk", "en"), help="ticket language")
    preview.add_argument("--width", type=int, choices=(58, 80), help="paper width in mm")
    preview.add_argument("--profile", help="python-escpos printer profile")
    preview.add_argument("--codepage", choices=("CP1251", "CP1125"), help="code page")
    preview.add_argument("--number", default="A-042", help="ticket number")
    preview.add_argument("--service", help="service name (default: a sample per language)")
    preview.add_argument("--ahead", type=int, default=4, help="people ahead")
    preview.add_argument("--wait", type=int, default=1500, help="estimated wait in seconds")
    preview.add_argument("--wait-low", type=int, default=940, help="the range's low end (s)")
    preview.add_argument("--wait-high", type=int, default=2050, help="the range's high end (s)")
    preview.add_argument("--booking", help="booking code (printed, and in the QR code)")
    preview.add_argument("--bytes", metavar="FILE", help="preview these ESC/POS bytes instead")
    preview.add_argument("--save-bytes", metavar="FILE", help="also write the ESC/POS bytes")
    return parser


def _settings(config: DeviceConfig, source: str) -> PrinterSettings:
    if config.role != "printer":
        raise DeviceConfigError(f"{source}: role: this file is for a {config.role}")
    return parse_settings(config.settings, source)


def _state_dir(args: argparse.Namespace, settings: PrinterSettings, config: Path) -> Path:
    if args.state_dir:
        return Path(args.state_dir)
    if settings.state_dir is not None:
        return settings.state_dir
    # systemd's StateDirectory= sets this; otherwise keep the state beside the config.
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    return config.parent / f"{config.stem}-state"


def _preview(args: argparse.Namespace) -> int:
    from printers.layout import TicketData, check_layout, render_ticket
    from printers.preview import render_png

    layout = TicketLayout()
    if args.config:
        layout = _settings(read_config(Path(args.config)), args.config).ticket
    changes: dict[str, Any] = {}
    for key, value in (
        ("width_mm", args.width),
        ("profile", args.profile),
        ("codepage", args.codepage),
        ("language", args.lang),
    ):
        if value is not None:
            changes[key] = value
    layout = TicketLayout.model_validate({**layout.model_dump(), **changes})
    if args.bytes:
        data = Path(args.bytes).read_bytes()
    else:
        check_layout(layout)
        sample = {"uk": "Паспортний стіл", "en": "Passport office"}[layout.language]
        ticket = TicketData(
            number=args.number,
            service_name=args.service or sample,
            issued_at=datetime.now(UTC),
            lang=layout.language,
            ticket_id=42,
            people_ahead=args.ahead,
            estimated_wait_s=args.wait,
            estimated_wait_low_s=args.wait_low,
            estimated_wait_high_s=args.wait_high,
            booking_code=args.booking,
        )
        data = render_ticket(ticket, layout)
    if args.save_bytes:
        Path(args.save_bytes).write_bytes(data)
    paper = render_png(data, Path(args.out), profile=layout.profile, width_mm=layout.width_mm)
    for problem in paper.unknown:
        logger.warning("not understood: %s", problem)
    print(f"{args.out}: {len(paper.lines)} lines, {len(paper.cuts)} cut(s)")  # noqa: T201
    return 0


def _run(args: argparse.Namespace, path: Path) -> int:
    from printers.agent import PrinterAgent
    from printers.drivers import make_driver
    from printers.layout import check_layout

    config = read_config(path)
    settings = _settings(config, str(path))
    check_layout(settings.ticket)
    if args.validate_config:
        print(f"{path}: valid printer configuration for {config.device_id}")  # noqa: T201
        return 0
    driver = make_driver(settings.connection, settings.ticket.profile, settings.ticket.width_mm)
    agent = PrinterAgent(config, settings, driver, state_dir=_state_dir(args, settings, path))
    return run_until_stopped(agent, f"printer agent {config.device_id}")


def main(argv: list[str]) -> int:
    """Entry point of ``cherga printer``; returns the exit status."""
    from printers.layout import LayoutError

    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.action == "preview":
            return _preview(args)
        if not args.config:
            print("cherga printer: give --config FILE (or CHERGA_DEVICE_CONFIG)", file=sys.stderr)  # noqa: T201
            return 2
        return _run(args, Path(args.config))
    except (DeviceConfigError, PrinterSettingsError, CatalogueError, LayoutError) as exc:
        print(f"cherga printer: {exc}", file=sys.stderr)  # noqa: T201
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
