"""What every report shares: the period, the grouping, the percentile method, names of keys.

Percentiles use the **nearest-rank** method: the p-th percentile of n values sorted ascending
is the value at rank ceil(p * n / 100) (1-based), computed in integers as (p * n + 99) // 100.
It is always one of the values (no interpolation) and the median of an even count is the lower
of the two middle values. The values are read with one scan and ranked in Python: SQLite's
window functions took seconds over a year of visits (bench/stats.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from hub.db.models import Device, Employee, Project, User
from hub.errors import Invalid

MAX_DAYS = 731
PERCENTILES = (50, 90)


class By(StrEnum):
    """How a report's rows are grouped."""

    SERVICE = "service"
    OPERATOR = "operator"
    WINDOW = "window"
    HOUR = "hour"
    DAY = "day"
    PERIOD = "period"
    LINE = "line"


@dataclass(frozen=True)
class Period:
    """The office's local days ``first`` to ``last``, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise Invalid("stats_period_reversed", field="to")
        if (self.last - self.first).days + 1 > MAX_DAYS:
            raise Invalid("stats_period_too_long", field="to", days=MAX_DAYS)

    @property
    def label(self) -> str:
        """``first..last`` (one day: that day)."""
        return str(self.first) if self.first == self.last else f"{self.first}..{self.last}"

    def days(self) -> list[date]:
        """Every day of the period."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class Durations:
    """How long something took, over ``count`` cases: mean, median and 90th percentile (s)."""

    count: int = 0
    mean_s: float | None = None
    median_s: int | None = None
    p90_s: int | None = None


def key_column(
    by: By, allowed: Iterable[By], columns: dict[By, ColumnElement[Any]]
) -> ColumnElement[Any] | None:
    """The column a report groups ``by`` (None: the whole period); Invalid when not allowed."""
    check_by(by, allowed)
    return columns.get(by)


def check_by(by: By, allowed: Iterable[By]) -> None:
    """Invalid unless the report can be grouped ``by``."""
    choices = list(allowed)
    if by not in choices:
        raise Invalid("stats_grouping_unknown", field="by", choices=", ".join(choices))


def rank(p: int, n: int) -> int:
    """The 1-based nearest rank of the p-th percentile among ``n`` values."""
    return (p * n + 99) // 100


def nearest_rank(values: Sequence[int], p: int) -> int | None:
    """The p-th percentile by nearest rank (see the module), None without values."""
    if not values:
        return None
    return sorted(values)[rank(p, len(values)) - 1]


def durations(values: list[int]) -> Durations:
    """Count, mean, median and p90 of ``values`` (sorted here, in place)."""
    if not values:
        return Durations()
    values.sort()
    n = len(values)
    return Durations(
        n,
        round(sum(values) / n, 1),
        values[rank(PERCENTILES[0], n) - 1],
        values[rank(PERCENTILES[1], n) - 1],
    )


def key_names(session: Session, by: By, keys: Iterable[object], period: Period) -> dict[Any, str]:
    """How a page names each key: a service's or operator's name, a day, an hour."""
    found = [key for key in keys if key is not None]
    if by is By.SERVICE:
        rows = session.execute(select(Project.id, Project.name).where(Project.id.in_(found)))
        return {key: name for key, name in rows}
    if by is By.OPERATOR:
        people = session.execute(
            select(User.id, User.username, Employee.full_name)
            .outerjoin(Employee, Employee.id == User.employee_id)
            .where(User.id.in_(found))
        )
        return {key: (full or "").strip() or username for key, username, full in people}
    if by is By.LINE:
        rows = session.execute(select(Device.id, Device.name).where(Device.id.in_(found)))
        return {key: name for key, name in rows}
    if by is By.HOUR:
        return {key: f"{key:02d}:00" for key in found}
    if by is By.PERIOD:
        return {key: period.label for key in found}
    return {key: str(key) for key in found}


def key_text(by: By, key: object) -> str:
    """The key as the API gives it: an id, a day, an hour, a window, or "all"."""
    if by is By.PERIOD:
        return "all"
    return str(key)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """SQL counting the rows where ``condition`` holds (0 without rows)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
