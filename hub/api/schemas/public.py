"""Bodies of the public booking API (Q-2a): what a site with its own form sends and gets."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, StringConstraints, WithJsonSchema

from hub.api.schemas.common import MAX_DB_INT, Input, IsoMoment, Output

Id = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
# Opening hours are a wall-clock time of the office, with no offset: JSON Schema's "time" format
# (RFC 3339) requires one, so the schema gives the exact shape instead.
WallTime = Annotated[
    time,
    PlainSerializer(lambda value: value.isoformat(timespec="seconds"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
            "description": "Local time of the office, HH:MM:SS",
            "examples": ["09:00:00"],
        }
    ),
]


class OpeningDayRead(Output):
    """One open day of a service's week."""

    weekday: int = Field(description="ISO weekday: 1 is Monday, 7 is Sunday")
    opens: WallTime
    closes: WallTime


class PublicService(Output):
    """A service that takes bookings, with its opening hours (``days``: each open day)."""

    id: int
    name: str
    days: list[OpeningDayRead] = Field(
        description="The open days of the week, each with its hours; a day not listed is closed"
    )
    # The first release's one range; kept for sites written against it.
    weekdays: str = Field(
        description="Deprecated, use days: the open ISO weekdays ('12345' is Mon-Fri)",
        json_schema_extra={"deprecated": True},
    )
    opens: WallTime = Field(
        description="Deprecated, use days: the earliest opening time of the week",
        json_schema_extra={"deprecated": True},
    )
    closes: WallTime = Field(
        description="Deprecated, use days: the latest closing time of the week",
        json_schema_extra={"deprecated": True},
    )


class PublicSlot(Output):
    """A free time."""

    starts_at: datetime
    ends_at: datetime


class PublicBookingIn(Input):
    """Book a free time: a name and a phone and/or an e-mail."""

    service_id: Id
    starts_at: IsoMoment = Field(description="One of the free slots' starts_at, as given")
    companies: int = Field(1, ge=1, le=10, description="How many companies the visitor represents")
    name: Annotated[str, StringConstraints(max_length=200)]
    phone: Annotated[str, StringConstraints(max_length=64)] | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    lang: Literal["uk", "en"] = "uk"


class PublicBooking(Output):
    """A booking as its holder sees it; the code is its only key."""

    booking_code: str
    number: str
    service_id: int
    service_name: str
    state: str
    starts_at: datetime
    ends_at: datetime | None
    companies: int
    page_url: str = Field(description="The confirmation page with the QR code (relative)")
    qr_url: str = Field(description="The QR code as SVG (relative)")
