"""The moment a test's office clock starts at."""

from __future__ import annotations

import time as system_time
from collections.abc import Iterator
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest


def office_now(tz: ZoneInfo) -> datetime:
    """Ten o'clock today, local time, at this minute and second.

    A test that moves its clock on by minutes would cross local midnight if it started from the
    real time late in the evening, and midnight closes the day's queue (a CI run at 23:50 in Kyiv
    failed this way). Such a test starts here instead, and only a test whose every part (pages,
    coordinator) reads the same controlled clock: a moment ten hours from the real time, mixed
    with the real clock, puts things out of order.
    """
    real = datetime.now(tz)
    morning = datetime.combine(real.date(), time(10, real.minute, real.second), tzinfo=tz)
    return morning.astimezone(UTC)


@pytest.fixture
def utc_system(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's own (system) zone set to UTC, as on a Pi nobody set a zone on: a device
    that showed its system's time instead of the office's would be two hours off in Kyiv."""
    monkeypatch.setenv("TZ", "UTC")
    system_time.tzset()
    yield
    monkeypatch.undo()
    system_time.tzset()
