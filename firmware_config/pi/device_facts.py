"""What the Pi set-up needs from a device config, checked first: ``KEY=VALUE`` lines for the shell.

    python -m firmware_config.pi.device_facts ROLE FILE

prints ``rotation=90``, ``timezone=ZONE`` when the config names the office's zone, and, for a
calibrated touch screen, ``touch_x=MIN:MAX``, ``touch_y=MIN:MAX`` and ``touch_device=NAME``.
A file that is missing, invalid or made for another role is refused with one line on standard
error (exit status 2), holding no secret.
"""

from __future__ import annotations

import sys
from pathlib import Path

from firmware_config.device_config import DeviceConfigError, read_config


def facts(role: str, path: Path) -> list[str]:
    """The ``KEY=VALUE`` lines of a valid config of ``role``; DeviceConfigError otherwise."""
    config = read_config(path)
    if config.role != role:
        raise DeviceConfigError(f"{path}: made for a {config.role}, not for a {role}")
    screen = config.screen
    lines = [f"rotation={screen.rotation if screen is not None else 0}"]
    if config.timezone is not None:
        lines.append(f"timezone={config.timezone}")
    touch = screen.touch if screen is not None else None
    if touch is not None:
        lines += [f"touch_x={touch.min_x}:{touch.max_x}", f"touch_y={touch.min_y}:{touch.max_y}"]
        if touch.device is not None:
            lines.append(f"touch_device={touch.device}")
    return lines


def main(argv: list[str]) -> int:
    """Print the facts of ``argv`` = [ROLE, FILE]; 2 with one line of why when refused."""
    if len(argv) != 2:
        sys.stderr.write("usage: python -m firmware_config.pi.device_facts ROLE FILE\n")
        return 2
    try:
        lines = facts(argv[0], Path(argv[1]))
    except DeviceConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
