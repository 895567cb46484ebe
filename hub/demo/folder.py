"""The demo's own data folder: marked as a demo's, never a real office's.

``cherga demo`` works only in a folder that is empty (or new) or that an earlier demo marked
(``demo/DEMO``). A folder holding anything else, a real office's database above all, is
refused, so the example office can never be mixed into real data; and ``cherga hub`` never
seeds it (only this package does). Everything the demo makes beside the hub's own files is
under ``DATA/demo``: the marker, its passwords (mode 0600), the device configs, the tickets
drawn by the virtual printer, the board's announcements and each program's log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hub.services.common.security import generate_password

MARKER = "DEMO"
MARKER_TEXT = "This folder belongs to `cherga demo`: an example office, not real data.\n"


class DemoRefused(Exception):
    """The folder cannot take a demo; the message says why, in one line."""


@dataclass(frozen=True)
class DemoFolder:
    """The paths of one demo folder."""

    root: Path

    @property
    def demo(self) -> Path:
        """The demo's own files."""
        return self.root / "demo"

    @property
    def marker(self) -> Path:
        """The file that marks the folder as a demo's."""
        return self.demo / MARKER

    @property
    def tickets(self) -> Path:
        """Where the virtual printer draws each ticket."""
        return self.demo / "tickets"

    @property
    def devices(self) -> Path:
        """The device config files (private: they hold MQTT credentials)."""
        return self.demo / "devices"

    @property
    def logs(self) -> Path:
        """Each program's output."""
        return self.demo / "logs"

    @property
    def announcements(self) -> Path:
        """The board's spoken calls, as WAV files."""
        return self.demo / "announcements"

    @property
    def scratch(self) -> Path:
        """Temporary files and Kivy's home of the device programs."""
        return self.demo / "run"

    def claim(self) -> None:
        """Mark the folder as a demo's, or DemoRefused when it holds anything else."""
        if self.marker.is_file():
            return
        if self.root.exists() and not self.root.is_dir():
            raise DemoRefused(f"{self.root} is not a folder")
        if self.root.is_dir() and any(self.root.iterdir()):
            what = "a Cherga database" if (self.root / "cherga.db").exists() else "other files"
            raise DemoRefused(
                f"{self.root} holds {what} and is not a demo's folder: the demo runs only in a "
                "new or empty folder (choose one with --data-dir)"
            )
        self.demo.mkdir(parents=True, exist_ok=True)
        self.marker.write_text(MARKER_TEXT, encoding="utf-8")

    def secret(self, name: str) -> str:
        """The password kept in ``demo/NAME`` (mode 0600), made on first use."""
        path = self.demo / name
        if path.is_file():
            value = path.read_text(encoding="utf-8").strip()
            if value:
                return value
        value = generate_password()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(value + "\n")
        return value
