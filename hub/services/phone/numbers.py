"""Phone numbers: kept as typed, looked up by their digits."""

from __future__ import annotations

import re

_NOT_DIGIT = re.compile(r"\D+")
# Ukrainian numbers are compared by their last 9 digits: 0XX..., 380XX... and +380XX... are one.
SIGNIFICANT_DIGITS = 9


def digits(phone: str | None) -> str | None:
    """The number reduced to its significant trailing digits, for matching; None if empty."""
    if not phone:
        return None
    only = _NOT_DIGIT.sub("", phone)
    if not only:
        return None
    return only[-SIGNIFICANT_DIGITS:] if len(only) > SIGNIFICANT_DIGITS else only
