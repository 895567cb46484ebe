"""How a wait estimate is said to a visitor (issue 20, QQ-1): one function for every surface.

The kiosk's screen, the printed ticket, the board, the booking page and the ticket's live page
all say a wait the same way, without false precision:

- minutes are rounded to 5 (``about 25 min``), the range's ends outward to 5 (``(15–35)``); a
  range starting at nothing is said as its top (``up to 10 min``);
- under two and a half minutes is ``under 5 min``; nothing at all is ``no wait``;
- from 55 minutes on, half hours and no range: ``about an hour``, ``about an hour and a
  half``, ``about 2 hours``.

It lives in the contract's package because devices (kiosk, printer, board) import only that.
"""

from __future__ import annotations

import math

STEP_S = 300
"""Minutes are said in steps of five."""
HOURS_FROM_S = 55 * 60
"""From this wait on, it is said in half hours."""

_TEXTS: dict[str, dict[str, str]] = {
    "uk": {
        "none": "без очікування",
        "under": "до 5 хв",
        "about": "близько {m} хв",
        "range": "близько {m} хв ({low}–{high})",
        "up_to": "близько {m} хв (до {high})",
        "hour": "близько години",
        "hour_half": "близько півтори години",
        "hours": "близько {h} години",
        "hours_many": "близько {h} годин",
    },
    "en": {
        "none": "no wait",
        "under": "under 5 min",
        "about": "about {m} min",
        "range": "about {m} min ({low}–{high})",
        "up_to": "about {m} min (up to {high})",
        "hour": "about an hour",
        "hour_half": "about an hour and a half",
        "hours": "about {h} hours",
        "hours_many": "about {h} hours",
    },
}


def _five(seconds: float, rounding: str = "near") -> int:
    steps = seconds / STEP_S
    whole = math.floor(steps) if rounding == "down" else math.ceil(steps)
    if rounding == "near":
        whole = math.floor(steps + 0.5)
    return int(whole) * 5


def _hours(seconds: int, words: dict[str, str], lang: str) -> str:
    halves = max(2, math.floor(seconds / 1800 + 0.5))
    if halves == 2:
        return words["hour"]
    if halves == 3:
        return words["hour_half"]
    hours = halves / 2
    shown = f"{hours:g}".replace(".", "," if lang == "uk" else ".")
    # Ukrainian: 2, 3, 4 and fractions take "години"; 5 and more whole hours "годин".
    key = "hours_many" if hours.is_integer() and hours >= 5 else "hours"
    return words[key].format(h=shown)


def say_wait(
    seconds: int | None,
    lang: str,
    low_s: int | None = None,
    high_s: int | None = None,
) -> str | None:
    """The estimate as a visitor reads it in ``lang`` (uk, else English); None when unknown."""
    if seconds is None or seconds < 0:
        return None
    words = _TEXTS["uk" if lang == "uk" else "en"]
    if seconds == 0 and not high_s:
        return words["none"]
    if seconds >= HOURS_FROM_S:
        return _hours(seconds, words, lang)
    minutes = _five(seconds)
    if minutes == 0:
        return words["under"]
    if low_s is None or high_s is None:
        return words["about"].format(m=minutes)
    low = min(_five(low_s, "down"), minutes)
    high = max(_five(high_s, "up"), minutes)
    if low == high:
        return words["about"].format(m=minutes)
    if low == 0:
        return words["up_to"].format(m=minutes, high=high)
    return words["range"].format(m=minutes, low=low, high=high)
