"""``cherga phone``: run an operator's phone agent, or check its config.

``cherga phone --config FILE`` registers the SIP account in ``[settings.sip]`` and serves the
operator's lines until SIGTERM; ``--validate-config`` only checks the file.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from firmware_config.device_config import DeviceConfig, DeviceConfigError, read_config
from firmware_config.service import run_until_stopped
from operator_panel.phone.settings import PhoneSettings, PhoneSettingsError, parse_settings

logger = logging.getLogger("operator_panel.phone")


def device_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The arguments every SIP agent takes: its device config and ``--validate-config``."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
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


def _parser() -> argparse.ArgumentParser:
    parser = device_parser("cherga phone", "The phone agent: an operator's SIP lines.")
    parser.add_argument(
        "--sip-library",
        choices=("rfcvoip", "pyVoIP"),
        default=os.environ.get("CHERGA_SIP_LIBRARY", "rfcvoip"),
        help=argparse.SUPPRESS,  # for comparing the libraries only
    )
    return parser


def _settings(config: DeviceConfig, source: str) -> PhoneSettings:
    if config.role != "phone":
        raise DeviceConfigError(f"{source}: role: this file is for a {config.role}")
    return parse_settings(config.settings, source)


def recordings_folder(settings: PhoneSettings, config: Path) -> Path:
    """The recordings folder: as set when absolute, else under the state folder."""
    folder = Path("recordings") if settings.sip is None else settings.sip.recordings
    if folder.is_absolute():
        return folder
    # systemd's StateDirectory= sets this; otherwise keep recordings beside the config.
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0]) / folder
    return config.parent / folder


def _run(args: argparse.Namespace, path: Path) -> int:
    config = read_config(path)
    settings = _settings(config, str(path))
    if args.validate_config:
        missing = "" if settings.sip else " (no SIP account yet: [settings.sip])"
        print(f"{path}: valid phone configuration for {config.device_id}{missing}")  # noqa: T201
        return 0
    from operator_panel.phone.agent import PhoneAgent
    from operator_panel.phone.sound import sound_device
    from operator_panel.phone.voip import VoipPhone

    sip = None if settings.sip is None else VoipPhone(settings.sip, library=args.sip_library)
    agent = PhoneAgent(
        config, settings, sip, recordings=recordings_folder(settings, path),
        sound=sound_device(settings.sound_device),
    )  # fmt: skip
    return run_until_stopped(agent, f"phone agent {config.device_id}")


def run_agent(
    parser: argparse.ArgumentParser,
    argv: list[str],
    run: Callable[[argparse.Namespace, Path], int],
) -> int:
    """Parse ``argv``, log to stdout, and ``run`` with the config's path; a wrong config is one
    line on stderr and status 2."""
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not args.config:
        print(f"{parser.prog}: give --config FILE (or CHERGA_DEVICE_CONFIG)", file=sys.stderr)  # noqa: T201
        return 2
    try:
        return run(args, Path(args.config))
    except (DeviceConfigError, PhoneSettingsError) as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)  # noqa: T201
        return 2


def main(argv: list[str]) -> int:
    """Entry point of ``cherga phone``; returns the exit status."""
    return run_agent(_parser(), argv, _run)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
