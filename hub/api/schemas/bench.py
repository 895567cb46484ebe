"""Bodies of the bench's clock (a hub started with ``clock = "controlled"`` only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hub.api.schemas.common import Input, IsoMoment


class ClockSet(Input):
    """Move the hub's controlled clock forward."""

    now: IsoMoment = Field(description="The new time, with its time zone; never before the last")


class ClockRead(BaseModel):
    """The hub's time as the queue sees it."""

    now: datetime = Field(description="Now, in UTC")
