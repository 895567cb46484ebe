"""The phone lines' figures (STAT-2), from the calls the agents reported (PH-8).

Definitions (docs/stats.md), over incoming calls that ended (internal numbers left out):

- offered: answered + missed + abandoned + forwarded unanswered;
- answered: picked up; average speed of answer: from the first ring to the answer;
- abandoned: the caller hung up before an answer (the agent's reason ``cancelled`` or
  ``remote_hangup``); missed: every other unanswered call (no answer in time, refused, all lines
  busy);
- talk time: the talk of answered calls, incoming and outgoing;
- callbacks: outgoing calls answered that answer a missed call of the same number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import Session

from hub.db.base import table_of
from hub.db.models.stats import CallDay
from hub.services.stats import summary
from hub.services.stats.common import By, Period, key_column, key_names, key_text

PHONE_GROUPS = (By.LINE, By.OPERATOR, By.HOUR, By.DAY, By.PERIOD)
ABANDON_REASONS = summary.ABANDON_REASONS
_D = table_of(CallDay).c


@dataclass(frozen=True)
class PhoneFigures:
    """One row of the phone report."""

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

    @property
    def answered_share(self) -> float | None:
        """Answered among offered."""
        return round(self.answered / self.offered, 4) if self.offered else None


_CALL_KEYS: dict[By, ColumnElement[Any]] = {
    By.LINE: _D.device_id,
    By.OPERATOR: _D.user_id,
    By.HOUR: _D.hour,
    By.DAY: _D.day,
}
_SUMS = tuple(summary.count_columns(CallDay))
# A group is shown when some call in it counts in one of these.
_SHOWN = ("offered", "answered", "missed", "abandoned", "forwarded", "outgoing")


def phone_figures(
    session: Session, period: Period, by: By, operators: Sequence[int] | None = None
) -> list[PhoneFigures]:
    """The phone lines' figures for ``period`` grouped ``by``, in key order (``operators``:
    only the calls these operators took or made), summed from ``stats_call_days``."""
    key = key_column(by, PHONE_GROUPS, _CALL_KEYS)
    query = select(
        key if key is not None else literal_column("0"), *(func.sum(_D[name]) for name in _SUMS)
    ).where(_D.day.between(period.first, period.last))
    if by is By.OPERATOR:
        query = query.where(_D.user_id != summary.NOBODY)
    if operators is not None:
        query = query.where(_D.user_id.in_(list(operators)))
    if key is not None:
        query = query.group_by(key).order_by(key)
    rows = []
    for row in session.execute(query):
        sums = dict(zip(_SUMS, (int(value or 0) for value in row[1:]), strict=True))
        if any(sums[name] for name in _SHOWN):
            rows.append((row[0], sums))
    names = key_names(session, by, [k for k, _ in rows], period)
    return [
        PhoneFigures(
            key=key_text(by, k),
            name=names.get(k, str(k)),
            offered=sums["offered"],
            answered=sums["answered"],
            missed=sums["missed"],
            abandoned=sums["abandoned"],
            forwarded=sums["forwarded"],
            answer_mean_s=_mean(sums["answer_sum_ms"], sums["answers"]),
            talk_total_s=round(sums["talk_sum_ms"] / 1000),
            talk_mean_s=_mean(sums["talk_sum_ms"], sums["talks"]),
            outgoing=sums["outgoing"],
            callbacks=sums["callbacks"],
        )
        for k, sums in rows
    ]


def _mean(total_ms: int, count: int) -> float | None:
    return round(total_ms / count / 1000, 1) if count else None
