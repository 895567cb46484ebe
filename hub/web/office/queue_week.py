"""The service card's week table (Q-2a): each day ticked open with its times, as the form sends
them and shows them. Only reading and showing live here; the week's rules are the domain's
(``hub.services.queue.hours``)."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from hub.services.queue import hours
from hub.services.queue.hours import DayHours, OpeningHours
from hub.web.common import text

# What <input type="time"> sends: HH:MM, or HH:MM:SS when seconds were set.
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")
FIELDS = tuple(f"day_{n}_{part}" for n in hours.WEEKDAYS for part in ("open", "opens", "closes"))
"""The table's fields top to bottom: each day's box, then its opening and closing time."""


def day_name(lang: str, weekday: int) -> str:
    """The name of ISO ``weekday`` in ``lang``."""
    uk, en = hours.DAY_NAMES[weekday]
    return uk if lang == "uk" else en


def rows(lang: str) -> list[tuple[int, str]]:
    """The table's rows: each ISO weekday with its name."""
    return [(weekday, day_name(lang, weekday)) for weekday in hours.WEEKDAYS]


def ticked(typed: dict[str, Any]) -> bool:
    """Whether any day was ticked open."""
    return any(typed.get(f"day_{weekday}_open") for weekday in hours.WEEKDAYS)


def read(lang: str, typed: dict[str, Any]) -> tuple[tuple[DayHours, ...], dict[str, str]]:
    """The days ticked open with their times, and a message beside each of their times that is
    missing or no time; a day not ticked is closed and its times are ignored."""
    days: list[DayHours] = []
    errors: dict[str, str] = {}
    for weekday in hours.WEEKDAYS:
        if not typed.get(f"day_{weekday}_open"):
            continue
        times: list[time] = []
        for part in ("opens", "closes"):
            name = f"day_{weekday}_{part}"
            raw = str(typed.get(name) or "").strip()
            if _TIME.fullmatch(raw):
                times.append(time.fromisoformat(raw))
                continue
            key = f"qs_day_{part}_invalid" if raw else f"qs_day_{part}_missing"
            errors[name] = text(lang, key, day=day_name(lang, weekday))
        if len(times) == 2:
            days.append(DayHours(weekday, times[0], times[1]))
    return tuple(days), errors


def _clock(value: time) -> str:
    return value.isoformat(timespec="seconds" if value.second else "minutes")


def shown(days: tuple[DayHours, ...]) -> dict[str, str]:
    """The table's values: each open day ticked with its times, a closed one unticked and empty."""
    week = OpeningHours(days)
    values: dict[str, str] = {}
    for weekday in hours.WEEKDAYS:
        day = week.on(weekday)
        values[f"day_{weekday}_open"] = "on" if day else ""
        values[f"day_{weekday}_opens"] = _clock(day.opens) if day else ""
        values[f"day_{weekday}_closes"] = _clock(day.closes) if day else ""
    return values
