"""Operators' time by user status (STAT-1): free, busy, on break... per operator, window, hour,
day or period, from ``operator_spans`` plus each operator's current, unfinished status."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from hub.db.base import table_of
from hub.db.models import ProjectMember
from hub.db.models.queue import QueueOperator
from hub.db.models.stats import OperatorSpan
from hub.services.stats.common import By, Period, key_column, key_names, key_text
from hub.services.stats.facts import UNCOUNTED, split_by_hour
from hub.services.stats.queue import Scope

TIME_GROUPS = (By.OPERATOR, By.WINDOW, By.HOUR, By.DAY, By.PERIOD)
_S = table_of(OperatorSpan).c


@dataclass(frozen=True)
class OperatorTime:
    """Seconds spent in each user status (by its code) in one group, and their total."""

    key: str
    name: str
    seconds: dict[str, int]
    total_s: int


_SPAN_KEYS: dict[By, ColumnElement[Any]] = {
    By.OPERATOR: _S.user_id,
    By.WINDOW: _S.window,
    By.HOUR: _S.hour,
    By.DAY: _S.day,
}


def operator_time(
    session: Session,
    period: Period,
    by: By,
    *,
    now: datetime,
    tz: tzinfo,
    operators: Sequence[int] | None = None,
) -> list[OperatorTime]:
    """Time by status in ``period`` grouped ``by`` (``operators``: only these; None: all)."""
    key = key_column(by, TIME_GROUPS, _SPAN_KEYS)
    query = select(key if key is not None else func.min(0), _S.status, func.sum(_S.seconds)).where(
        _S.day.between(period.first, period.last)
    )
    if operators is not None:
        query = query.where(_S.user_id.in_(list(operators)))
    query = query.group_by(*([key] if key is not None else []), _S.status)
    totals: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for k, status, seconds in session.execute(query):
        if seconds:
            totals[k if key is not None else 0][status] += int(seconds)
    _add_current(session, totals, by, period, now=now, tz=tz, operators=operators)
    keys = sorted((k for k in totals if k is not None), key=str)
    if by in (By.HOUR,):
        keys.sort(key=int)
    names = key_names(session, by, keys, period)
    return [
        OperatorTime(
            key=key_text(by, k),
            name=names.get(k, str(k)),
            seconds=dict(sorted(totals[k].items())),
            total_s=sum(totals[k].values()),
        )
        for k in keys
        if totals[k]
    ]


def _add_current(
    session: Session,
    totals: dict[Any, dict[str, int]],
    by: By,
    period: Period,
    *,
    now: datetime,
    tz: tzinfo,
    operators: Sequence[int] | None,
) -> None:
    """The time since each operator's last status change, clipped to the period."""
    opens = datetime.combine(period.first, time(0), tzinfo=tz)
    closes = datetime.combine(period.last + timedelta(days=1), time(0), tzinfo=tz)
    query = select(QueueOperator).where(QueueOperator.status.not_in(sorted(UNCOUNTED)))
    if operators is not None:
        query = query.where(QueueOperator.user_id.in_(list(operators)))
    for row in session.scalars(query):
        start, end = max(row.status_since, opens), min(now, closes)
        for day, hour, seconds in split_by_hour(start, end, tz) if start < end else []:
            k = {By.OPERATOR: row.user_id, By.WINDOW: row.window, By.HOUR: hour, By.DAY: day}
            totals[k.get(by, 0)][row.status] += round(seconds)


def operators_of(session: Session, services: Sequence[int]) -> list[int]:
    """The operators in the work groups of ``services``."""
    query = select(ProjectMember.user_id).where(ProjectMember.project_id.in_(list(services)))
    return sorted(set(session.scalars(query)))


def operators_in(session: Session, scope: Scope) -> list[int] | None:
    """The operators a report's scope covers: the ones it names, else those of its services,
    else None (everyone, for a scope of every service)."""
    if scope.operators is not None:
        return list(scope.operators)
    if scope.services is None:
        return None
    return operators_of(session, scope.services)
