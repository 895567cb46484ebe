"""Schemas of the statistics reports (STAT-1, STAT-2): rows as the domain computes them."""

from __future__ import annotations

from typing import Generic, TypeVar

from hub.api.schemas.common import Output

Row = TypeVar("Row")


class DurationsRead(Output):
    """How long, over ``count`` cases: mean, median and 90th percentile (nearest rank), seconds."""

    count: int
    mean_s: float | None
    median_s: int | None
    p90_s: int | None


class HallRowRead(Output):
    """The hall's figures of one service, operator, window, hour, day or the period."""

    key: str
    name: str
    visitors: int
    served: int
    no_shows: int
    transfers: int
    recalls: int
    cancelled: int
    waiting_now: int
    wait: DurationsRead
    service: DurationsRead
    within_target: int
    service_level: float | None


class BookingRowRead(Output):
    """Bookings of one service, day or the period, by their booked day."""

    key: str
    name: str
    booked: int
    kept: int
    kept_late: int
    missed: int
    cancelled: int
    pending: int


class OperatorTimeRead(Output):
    """Seconds in each user status (by code) of one operator, window, hour, day or the period."""

    key: str
    name: str
    seconds: dict[str, int]
    total_s: int


class PhoneRowRead(Output):
    """The phone figures of one line, operator, hour, day or the period."""

    key: str
    name: str
    offered: int
    answered: int
    missed: int
    abandoned: int
    forwarded: int
    answer_mean_s: float | None
    talk_total_s: int
    talk_mean_s: float | None
    outgoing: int
    callbacks: int
    answered_share: float | None


class CallerRowRead(Output):
    """The call-centre's callers of one service, hour, day or the period (issue 22): offered
    (joined the line), answered (with the time in the queue), abandoned (with their wait),
    callbacks asked and made, still waiting, talk time."""

    key: str
    name: str
    offered: int
    answered: int
    abandoned: int
    callbacks: int
    called_back: int
    waiting: int
    answer: DurationsRead
    abandon_wait: DurationsRead
    talk: DurationsRead
    answered_share: float | None


class DeskRowRead(Output):
    """The hall and the phones side by side for one hour, day or the period."""

    key: str
    name: str
    hall: HallRowRead | None
    phone: PhoneRowRead | None
    callers: CallerRowRead | None
    contacts: int
    handled: int


class Report(Output, Generic[Row]):
    """A report: the period (local days, both included), the grouping and the rows."""

    first: str
    last: str
    by: str
    timezone: str
    rows: list[Row]
