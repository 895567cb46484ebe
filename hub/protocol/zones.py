"""The office's time zone on the devices: its name in messages and device configs, and the
local time a device shows a person.

A device's system zone is whatever its image was left at (a Raspberry Pi at UTC shows 00:10
while the tickets it calls say 02:09), so every clock and time a device shows goes through
``local_time`` with the office's zone: the one the hub sends (the board's ``tz``), else the one
in the device's config, else, last, the system's.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, StringConstraints

MAX_ZONE_NAME = 64
"""The longest IANA zone name is 32 characters ("America/Argentina/ComodRivadavia")."""


@lru_cache(maxsize=32)
def find_zone(name: str) -> ZoneInfo | None:
    """The zone called ``name`` (IANA, e.g. ``Europe/Kyiv``), None when this system has none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _known(name: str) -> str:
    if find_zone(name) is None:
        raise ValueError(f"unknown time zone {name!r}")
    return name


ZoneName = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=MAX_ZONE_NAME, pattern=r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$"
    ),
    AfterValidator(_known),
]
"""An IANA time zone name this system knows (a message or config with another is refused)."""


def system_zone() -> tzinfo:
    """The device's own (system) zone: only the last fallback."""
    return datetime.now(UTC).astimezone().tzinfo or UTC


def office_zone(*names: str | None) -> tzinfo:
    """The zone of the first of ``names`` that is known (the hub's, then the config's), else
    the system's."""
    for name in names:
        found = find_zone(name) if name else None
        if found is not None:
            return found
    return system_zone()


def zone_name(zone: tzinfo) -> str | None:
    """The IANA name of ``zone`` to send to devices (None for a zone that has none)."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    return "UTC" if zone is UTC else None


def local_time(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` as the office's wall clock shows it; a naive moment is UTC (as every time in
    the contract and the database is)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)
