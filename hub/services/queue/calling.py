"""Which waiting ticket Free gives (Q-5), as a rule over plain data, shared by Free and the wait
estimate (``queue_estimate``) so that the estimate follows the calling order that really applies.

Each service has a calling mode:

- ``nearest`` (the default, the manual's Q-5): the nearest-in-time waiting event: the front lane
  first, then the earliest effective time (a walk-in's arrival, a booking's booked start), then
  the ticket's id. A booking checked in early waits behind walk-ins who came before its time; a
  busy line makes it late.
- ``fair``: bookings kept on time while walk-ins' extra wait stays bounded. A booking becomes
  *due* ``FAIR.early`` (10 minutes) before its slot; until then it is called only when nothing
  else waits. A due booking counts as having waited ``FAIR.patience`` (60 minutes) plus the time
  since it became due; a walk-in counts its real wait. Whoever has waited longest by that count
  goes first, so a due booking passes walk-ins who have waited less than an hour, and a
  walk-in who has waited longer than that is never passed. The front lane (a transfer "to the
  front") still goes before everyone, in either mode.

A ticket of a ``nearest`` service among the candidates counts its time since its effective time,
so an operator serving services of both modes compares them on one scale, and an operator whose
services are all ``nearest`` gets exactly the Q-5 order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

CallingMode = Literal["nearest", "fair"]
NEAREST: CallingMode = "nearest"
FAIR_MODE: CallingMode = "fair"
CALLING_MODES: tuple[CallingMode, ...] = (NEAREST, FAIR_MODE)
FRONT_LANE = 0
BOOKING_KIND = "booking"

# Why a ticket was chosen (the panel's explanation names it).
RULE_NEAREST, RULE_FRONT = "nearest", "front"
RULE_BOOKING_DUE, RULE_WAITED_LONGEST, RULE_BOOKING_EARLY = "booking_due", "waited", "early"


@dataclass(frozen=True)
class FairRule:
    """The fair mode's two constants: how early a booking is due, and how long a due booking
    counts as having waited. Set on the office-day simulator's busy morning (five days pooled):
    with 10 and 60 minutes, 95 % of the bookings there in time were called within 5 minutes of
    their slot while walk-ins waited 7 % longer than in first-come order (5 and 30: 84 % of all
    kept bookings, docs/queue.md)."""

    early: timedelta = timedelta(minutes=10)
    patience: timedelta = timedelta(minutes=60)


FAIR = FairRule()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A waiting ticket Free could give: what the choice needs of it."""

    id: int
    service_id: int
    lane: int
    effective_at: datetime
    kind: str


@dataclass(frozen=True)
class Choice:
    """The chosen ticket and the rule that chose it (``RULE_*``)."""

    ticket_id: int
    rule: str


def _nearest_key(c: Candidate) -> tuple[int, datetime, int]:
    return (c.lane, c.effective_at, c.id)


def is_fair(modes: Mapping[int, str], service_id: int) -> bool:
    """Whether the service calls in the fair mode."""
    return modes.get(service_id, NEAREST) == FAIR_MODE


def urgency(c: Candidate, now: datetime, modes: Mapping[int, str], rule: FairRule = FAIR) -> float:
    """Seconds the candidate counts as having waited (the fair comparison's scale)."""
    waited = (now - c.effective_at).total_seconds()
    if c.kind != BOOKING_KIND or not is_fair(modes, c.service_id):
        return waited
    due = c.effective_at - rule.early
    if now < due:
        # Not due yet: behind everyone waiting now (its effective time is still ahead).
        return waited - rule.patience.total_seconds()
    return (now - due + rule.patience).total_seconds()


def choose(
    candidates: Sequence[Candidate],
    *,
    now: datetime,
    modes: Mapping[int, str],
    rule: FairRule = FAIR,
) -> Choice | None:
    """The ticket Free gives among ``candidates`` (all eligible for the operator) at ``now``."""
    if not candidates:
        return None
    nearest = min(candidates, key=_nearest_key)
    if nearest.lane == FRONT_LANE:
        return Choice(nearest.id, RULE_FRONT)
    if not any(is_fair(modes, c.service_id) for c in candidates):
        return Choice(nearest.id, RULE_NEAREST)
    best = min(candidates, key=lambda c: (-urgency(c, now, modes, rule), c.effective_at, c.id))
    return Choice(best.id, _fair_reason(best, now, modes, rule))


def _fair_reason(c: Candidate, now: datetime, modes: Mapping[int, str], rule: FairRule) -> str:
    if c.kind == BOOKING_KIND and is_fair(modes, c.service_id):
        return RULE_BOOKING_DUE if now >= c.effective_at - rule.early else RULE_BOOKING_EARLY
    return RULE_WAITED_LONGEST
