"""``cherga line``: run a line agent (the office's number, its callers in the queues), or check
its config.

``cherga line --config FILE`` registers the SIP account in ``[settings.sip]`` and serves the
callers until SIGTERM; ``--validate-config`` only checks the file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from firmware_config.device_config import DeviceConfigError, read_config
from firmware_config.service import run_until_stopped
from operator_panel.phone.cli import device_parser, run_agent
from operator_panel.phone.line_settings import parse_line_settings

logger = logging.getLogger("operator_panel.phone.line")


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
    parser = device_parser("cherga line", "The line agent: the office's number and its callers.")
    return run_agent(parser, argv, _run)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
