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

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from hub.db.base import table_of
from hub.db.models.calls import PhoneCallRecord
from hub.services.stats.common import (
    By,
    Period,
    count_if,
    key_column,
    key_names,
    key_text,
    rounded,
    seconds_between,
)

PHONE_GROUPS = (By.LINE, By.OPERATOR, By.HOUR, By.DAY, By.PERIOD)
ABANDON_REASONS = ("cancelled", "remote_hangup")
_C = table_of(PhoneCallRecord).c


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
    By.LINE: _C.device_id,
    By.OPERATOR: _C.user_id,
    By.HOUR: _C.local_hour,
    By.DAY: _C.local_day,
}


def phone_figures(
    session: Session, period: Period, by: By, operators: Sequence[int] | None = None
) -> list[PhoneFigures]:
    """The phone lines' figures for ``period`` grouped ``by``, in key order (``operators``:
    only the calls these operators took or made)."""
    key = key_column(by, PHONE_GROUPS, _CALL_KEYS)
    incoming, answered = _C.direction == "in", _C.outcome == "answered"
    unanswered = and_(incoming, _C.outcome == "missed")
    abandoned = and_(unanswered, _C.reason.in_(ABANDON_REASONS))
    talk = func.coalesce(_C.duration_s, seconds_between(session, _C.ended_at, _C.answered_at))
    delay = seconds_between(session, _C.answered_at, _C.started_at)
    query = select(
        key if key is not None else func.min(0),
        count_if(and_(incoming, _C.outcome.in_(("answered", "missed", "forwarded")))),
        count_if(and_(incoming, answered)),
        count_if(and_(unanswered, ~_C.reason.in_(ABANDON_REASONS) | _C.reason.is_(None))),
        count_if(abandoned),
        count_if(and_(incoming, _C.outcome == "forwarded")),
        func.avg(case((and_(incoming, answered), delay))),
        func.coalesce(func.sum(case((answered, talk))), 0),
        func.avg(case((answered, talk))),
        count_if(and_(_C.direction == "out", _C.outcome.in_(("answered", "missed")))),
        count_if(and_(_C.direction == "out", answered, _C.answers_event_id.is_not(None))),
    ).where(_C.local_day.between(period.first, period.last))
    if by is By.OPERATOR:
        query = query.where(_C.user_id.is_not(None))
    if operators is not None:
        query = query.where(_C.user_id.in_(list(operators)))
    if key is not None:
        query = query.group_by(key).order_by(key)
    rows = [row for row in session.execute(query) if any(row[1:6]) or row[9]]
    names = key_names(session, by, [row[0] for row in rows], period)
    return [
        PhoneFigures(
            key=key_text(by, row[0]),
            name=names.get(row[0], str(row[0])),
            offered=int(row[1]),
            answered=int(row[2]),
            missed=int(row[3]),
            abandoned=int(row[4]),
            forwarded=int(row[5]),
            answer_mean_s=rounded(row[6]),
            talk_total_s=round(float(row[7])),
            talk_mean_s=rounded(row[8]),
            outgoing=int(row[9]),
            callbacks=int(row[10]),
        )
        for row in rows
    ]
