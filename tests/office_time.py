"""The moment a test's office clock starts at."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo


def office_now(tz: ZoneInfo) -> datetime:
    """Ten o'clock today, local time, at this minute and second.

    Tests move their clock forward by minutes or hours; started from the real time late in the
    evening, they would cross local midnight, which closes the day's queue (a CI run at 23:50 in
    Kyiv failed this way). Starting mid-morning every time keeps each run the same whenever it
    happens; the seconds still change, so two runs do not reuse the same moments.
    """
    real = datetime.now(tz)
    morning = datetime.combine(real.date(), time(10, real.minute, real.second), tzinfo=tz)
    return morning.astimezone(UTC)
