"""Bodies of a queue service's opening hours (Q-2a): a week of open days, each with its times."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from hub.api.schemas.common import Input, Lax, Output
from hub.api.schemas.public import OpeningDayRead

_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
_WEEKDAYS = r"^[1-7]{1,7}$"


def _matching(pattern: str) -> Any:
    """A check that the raw value is text matching ``pattern`` (before any trimming)."""
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise PydanticCustomError(
                "string_pattern_mismatch",
                "String should match pattern '{pattern}'",
                {"pattern": pattern},
            )
        return value

    return check


# A wall-clock time of the office, with no offset (JSON Schema's "time" format requires one).
WallTimeIn = Annotated[
    time,
    Lax,
    BeforeValidator(_matching(_TIME)),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _TIME,
            "description": "Local time of the office, HH:MM or HH:MM:SS",
            "examples": ["09:00"],
        }
    ),
]

Weekdays = Annotated[
    str,
    BeforeValidator(_matching(_WEEKDAYS)),
    WithJsonSchema({"type": "string", "pattern": _WEEKDAYS, "examples": ["12345"]}),
]


class OpeningDayIn(Input):
    """One open day: its ISO weekday and its hours (opening before closing)."""

    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 is Monday, 7 is Sunday")
    opens: WallTimeIn
    closes: WallTimeIn


class OpeningHoursIn(Input):
    """A service's week: ``days`` lists each open day with its hours; a day not listed is closed.

    The first release's shape, one range for a set of weekdays (``weekdays``, ``opens``,
    ``closes`` without ``days``), is accepted too and stored as those days with that range.
    """

    days: list[OpeningDayIn] | None = Field(
        None, min_length=1, max_length=7, description="The open days, each weekday at most once"
    )
    weekdays: Weekdays | None = Field(
        None,
        description="Former shape, instead of days: the open ISO weekdays ('12345' is Mon-Fri)",
    )
    opens: WallTimeIn | None = Field(None, description="Former shape: the opening time")
    closes: WallTimeIn | None = Field(None, description="Former shape: the closing time")


class OpeningHoursRead(Output):
    """A service's week: its open days in weekday order (a service with none of its own keeps
    the default, Monday to Friday 09:00-18:00)."""

    days: list[OpeningDayRead]
