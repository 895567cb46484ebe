"""``cherga line``: run a line agent (the office's number, its callers in the queues), or check
its config.

``cherga line --config FILE`` registers the SIP account in ``[settings.sip]`` and serves the
callers until SIGTERM; ``--validate-config`` only checks the file.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from firmware_config.device_config import DeviceConfigError, read_config
from firmware_config.service import run_until_stopped
from operator_panel.phone.line_settings import parse_line_settings
from operator_panel.phone.settings import PhoneSettingsError

logger = logging.getLogger("operator_panel.phone.line")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cherga line", description="The line agent: the office's number and its callers."
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
    return parser


def _run(args: argparse.Namespace, path: Path) -> int:
    config = read_config(path)
    if config.role != "line":
        raise DeviceConfigError(f"{path}: role: this file is for a {config.role}")
    settings = parse_line_settings(config.settings, str(path))
    if args.validate_config:
        services = ", ".join(str(entry.service_id) for entry in settings.menu)
        print(f"{path}: valid line configuration for {config.device_id} (services {services})")  # noqa: T201
        return 0
    from operator_panel.phone.line import LineAgent
    from operator_panel.phone.voip import VoipPhone

    agent = LineAgent(config, settings, VoipPhone(settings.sip))
    return run_until_stopped(agent, f"line agent {config.device_id}")


def main(argv: list[str]) -> int:
    """Entry point of ``cherga line``; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not args.config:
        print("cherga line: give --config FILE (or CHERGA_DEVICE_CONFIG)", file=sys.stderr)  # noqa: T201
        return 2
    try:
        return _run(args, Path(args.config))
    except (DeviceConfigError, PhoneSettingsError) as exc:
        print(f"cherga line: {exc}", file=sys.stderr)  # noqa: T201
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
