"""A queue service's opening hours (Q-2a): a week of days, each closed or open from-to.

A service without any stored day keeps the default week, Monday to Friday 09:00-18:00 (the
site's time); a service with stored days is open on those days only, each with its own times.
Free slots and bookings cut each open day into units from its opening time (``queue.booking``).
The checks find every problem at once and name the field of the day they refuse
(``day_{weekday}_closes``...), so the service card shows each message beside its day and the API
lists them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models.booking import OpeningDay
from hub.errors import Invalid
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.queue.core import queue_service

WEEKDAYS = tuple(range(1, 8))
"""ISO weekdays: 1 is Monday, 7 is Sunday."""
DEFAULT_OPENS, DEFAULT_CLOSES = time(9, 0), time(18, 0)
DAY_NAMES: dict[int, tuple[str, str]] = {
    1: ("Понеділок", "Monday"),
    2: ("Вівторок", "Tuesday"),
    3: ("Середа", "Wednesday"),
    4: ("Четвер", "Thursday"),
    5: ("П'ятниця", "Friday"),
    6: ("Субота", "Saturday"),
    7: ("Неділя", "Sunday"),
}


@dataclass(frozen=True)
class DayHours:
    """One open day of the week: ISO ``weekday``, open from ``opens`` until ``closes``."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class OpeningHours:
    """A service's week: its open days in weekday order; a day not listed is closed."""

    days: tuple[DayHours, ...]

    def on(self, weekday: int) -> DayHours | None:
        """The hours of ISO ``weekday``, or None when the service is closed that day."""
        return next((day for day in self.days if day.weekday == weekday), None)

    @property
    def weekdays(self) -> str:
        """The open days as ISO digits ("12345" is Monday to Friday)."""
        return "".join(str(day.weekday) for day in self.days)


DEFAULT_HOURS = OpeningHours(
    tuple(DayHours(weekday, DEFAULT_OPENS, DEFAULT_CLOSES) for weekday in range(1, 6))
)


def week(days: Iterable[DayHours]) -> OpeningHours:
    """``days`` as a week, in weekday order."""
    return OpeningHours(tuple(sorted(days, key=lambda day: day.weekday)))


def from_range(weekdays: str, opens: time, closes: time) -> tuple[DayHours, ...]:
    """The former shape (one range for a set of ISO weekday digits, "12345") as days; a
    character that is no weekday digit is kept as weekday 0, for ``problems`` to refuse."""
    digits = sorted(set(weekdays))
    return tuple(DayHours(int(char) if char in "1234567" else 0, opens, closes) for char in digits)


def _day(weekday: int) -> dict[str, object]:
    uk, en = DAY_NAMES[weekday]
    return {"weekday": weekday, "day_uk": uk, "day_en": en}


def problems(days: Sequence[DayHours]) -> list[Invalid]:
    """Every rule ``days`` break, each naming its field: a weekday 1..7 given once, opening
    before closing, at least one open day."""
    found: list[Invalid] = []
    seen: set[int] = set()
    for day in days:
        if day.weekday not in WEEKDAYS:
            found.append(Invalid("hours_weekday_invalid", field="hours", weekday=day.weekday))
        elif day.weekday in seen:
            found.append(Invalid("hours_weekday_twice", field="hours", **_day(day.weekday)))
        elif day.opens >= day.closes:
            field = f"day_{day.weekday}_closes"
            found.append(Invalid("hours_closes_before_opens", field=field, **_day(day.weekday)))
        seen.add(day.weekday)
    if not days:
        found.append(Invalid("hours_no_open_day", field="hours"))
    return found


def opening_hours(session: Session, service_id: int) -> OpeningHours:
    """The service's week, or the default one (Monday to Friday, 09:00-18:00)."""
    rows = session.scalars(
        select(OpeningDay).where(OpeningDay.project_id == service_id).order_by(OpeningDay.weekday)
    ).all()
    if not rows:
        return DEFAULT_HOURS
    return OpeningHours(tuple(DayHours(row.weekday, row.opens, row.closes) for row in rows))


def set_opening_hours(
    session: Session, *, profile: AccessProfile, service_id: int, days: Sequence[DayHours]
) -> OpeningHours:
    """Replace a queue service's week (needs the change right on projects); refused whole,
    with its first problem, when any day is wrong."""
    access.require(profile, Action.CHANGE, DocType.PROJECT)
    queue_service(session, service_id)
    for problem in problems(days):
        raise problem
    wanted = {day.weekday: day for day in days}
    stored = {
        row.weekday: row
        for row in session.scalars(select(OpeningDay).where(OpeningDay.project_id == service_id))
    }
    for weekday, row in stored.items():
        if weekday not in wanted:
            session.delete(row)
    for weekday, day in wanted.items():
        found = stored.get(weekday)
        if found is None:
            session.add(
                OpeningDay(
                    project_id=service_id, weekday=weekday, opens=day.opens, closes=day.closes
                )
            )
        else:
            found.opens, found.closes = day.opens, day.closes
    session.flush()
    return week(days)
