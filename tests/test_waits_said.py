"""How a wait is said to a visitor (issue 20): one formatter, both languages, no false precision."""

from __future__ import annotations

import pytest

from hub.protocol.waits import say_wait

MIN = 60


@pytest.mark.parametrize(
    ("seconds", "low", "high", "uk", "en"),
    [
        (25 * MIN, 15 * MIN, 35 * MIN, "близько 25 хв (15–35)", "about 25 min (15–35)"),
        # Rounded to 5 minutes, the range's ends outward.
        (23 * MIN, 16 * MIN, 31 * MIN, "близько 25 хв (15–35)", "about 25 min (15–35)"),
        (1500, 940, 2050, "близько 25 хв (15–35)", "about 25 min (15–35)"),
        # A range starting at nothing is said as its top.
        (6 * MIN, 2 * MIN, 9 * MIN, "близько 5 хв (до 10)", "about 5 min (up to 10)"),
        # No range given, or one inside the same five minutes.
        (12 * MIN, None, None, "близько 10 хв", "about 10 min"),
        (20 * MIN, 20 * MIN, 20 * MIN, "близько 20 хв", "about 20 min"),
        (2 * MIN, MIN, 3 * MIN, "до 5 хв", "under 5 min"),
        (0, 0, 0, "без очікування", "no wait"),
        # Long waits in half hours, without a range.
        (58 * MIN, 40 * MIN, 80 * MIN, "близько години", "about an hour"),
        (80 * MIN, 60 * MIN, 100 * MIN, "близько півтори години", "about an hour and a half"),
        (125 * MIN, None, None, "близько 2 години", "about 2 hours"),
        (150 * MIN, None, None, "близько 2,5 години", "about 2.5 hours"),
        (300 * MIN, None, None, "близько 5 годин", "about 5 hours"),
    ],
)
def test_a_wait_is_said_honestly(
    seconds: int, low: int | None, high: int | None, uk: str, en: str
) -> None:
    assert say_wait(seconds, "uk", low, high) == uk
    assert say_wait(seconds, "en", low, high) == en


def test_unknown_waits_and_other_languages() -> None:
    assert say_wait(None, "uk") is None
    assert say_wait(-5, "en") is None
    # A language without its own words reads English.
    assert say_wait(25 * MIN, "pl", 15 * MIN, 35 * MIN) == "about 25 min (15–35)"
    # The range never claims less than the estimate itself.
    assert say_wait(25 * MIN, "en", 26 * MIN, 24 * MIN) == "about 25 min"
