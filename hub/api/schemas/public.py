"""Bodies of the public booking API (Q-2a): what a site with its own form sends and gets."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from hub.api.schemas.common import MAX_DB_INT, Input, Output

Id = Annotated[int, Field(ge=1, le=MAX_DB_INT)]


class PublicService(Output):
    """A service that takes bookings, with its opening hours."""

    id: int
    name: str
    weekdays: str = Field(description="ISO weekdays it takes bookings on: '12345' is Mon-Fri")
    opens: time
    closes: time


class PublicSlot(Output):
    """A free time."""

    starts_at: datetime
    ends_at: datetime


class PublicBookingIn(Input):
    """Book a free time: a name and a phone and/or an e-mail."""

    service_id: Id
    starts_at: AwareDatetime = Field(description="One of the free slots' starts_at, as given")
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
