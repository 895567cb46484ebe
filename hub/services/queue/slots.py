"""A service's slot rule (SET-7, Q-3): how long a visit is planned for by the number of companies
the visitor represents: linear (minutes per company) or graded as the manual has it (up to N
companies, M minutes). Bookings take as many of the day's units as the length needs, and a
ticket's event is planned for that length. Set on the service's page (hub/services/queue/setup.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from hub.db.models import GlobalParameter
from hub.db.refcache import cached
from hub.services.queue.core import params

SLOT_RULES_KEY = "queue_slot_rules"
"""The global parameter holding each service's slot rule (unknown to GlobalParameters, which
ignores keys it does not declare), by project id."""
SlotMode = Literal["linear", "graded"]
_RULES_CACHE = "queue_slot_rules"


@dataclass(frozen=True)
class SlotStep:
    """Up to ``companies`` companies, a visit is planned for ``minutes``."""

    companies: int
    minutes: int


@dataclass(frozen=True)
class SlotRule:
    """How long a visit is planned for by the number of companies the visitor represents."""

    mode: SlotMode
    minutes: int
    """Linear: minutes per company."""
    steps: tuple[SlotStep, ...] = ()
    """Graded: ascending by companies; more companies than the last step take its time."""

    def length(self, companies: int) -> timedelta:
        """The planned length of a visit for ``companies`` companies."""
        count = max(companies, 1)
        if self.mode == "linear" or not self.steps:
            return timedelta(minutes=self.minutes * count)
        for step in self.steps:
            if count <= step.companies:
                return timedelta(minutes=step.minutes)
        return timedelta(minutes=self.steps[-1].minutes)


def stored_rules(session: Session) -> GlobalParameter | None:
    """The stored slot rules of every service (None before the first is set)."""
    return session.get(GlobalParameter, SLOT_RULES_KEY)


def _all_rules(session: Session) -> dict[str, Any]:
    row = stored_rules(session)
    return dict(row.value or {}) if row is not None else {}


def slot_rule(session: Session, service_id: int) -> SlotRule:
    """The service's slot rule; linear at the queue's default service time if never set (read
    through the reference cache: every ticket and booking asks)."""
    stored = cached(session, _RULES_CACHE, _all_rules).get(str(service_id))
    if not isinstance(stored, dict):
        return SlotRule("linear", params(session).default_service_minutes)
    steps = tuple(SlotStep(int(c), int(m)) for c, m in stored.get("steps", []))
    return SlotRule(stored.get("mode", "linear"), int(stored.get("minutes", 10)), steps)


def store_slot_rule(session: Session, service_id: int, rule: SlotRule) -> None:
    """Keep ``rule`` as the service's (checked by the caller: setup.check_slot_rule)."""
    row = stored_rules(session)
    value = {
        "mode": rule.mode,
        "minutes": rule.minutes,
        "steps": [[s.companies, s.minutes] for s in rule.steps],
    }
    if row is None:
        session.add(GlobalParameter(key=SLOT_RULES_KEY, value={str(service_id): value}))
    else:
        # A new dict: the JSON column notices only an assignment, not a change in place.
        row.value = {**(row.value or {}), str(service_id): value}
    session.flush()


def units_needed(rule: SlotRule, companies: int, unit: timedelta) -> int:
    """How many of the day's booking units a visit of ``companies`` companies takes."""
    return max(1, math.ceil(rule.length(companies) / unit))
