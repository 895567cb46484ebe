"""Service-level alerts (STAT-3): when a service's line waits too long, or too few of today's
visitors were called within its target, the hall and the service's operators are told; when it
is over, the alert goes by itself.

Plain rules over figures read elsewhere (``hub.services.stats.watch`` reads them, keeps the
alerts raised and tells the devices): no database, no clock of its own.

Two kinds, each with hysteresis so an alert does not flicker at the edge:

- ``wait``: raised when the longest current wait passes the service's target
  (``target_wait_s``); cleared once it is back at ``clear_wait_ratio`` of the target or below
  (nobody waiting clears it too);
- ``level``: raised when today's service level (the share of visitors called within the
  target) falls below the global threshold, once ``min_called`` visitors were called today;
  cleared once it is ``level_margin`` above the threshold.

A raised alert is held at least ``hold`` before it may clear, so a visitor called a moment
after the alert does not make it blink on and off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

EPSILON = 1e-9
"""Shares are floats: 0.85 must count as 0.8 + 0.05."""


class AlertKind(StrEnum):
    """What crossed its threshold."""

    WAIT = "wait"
    LEVEL = "level"


@dataclass(frozen=True)
class Reading:
    """One service's figures now: the longest current wait, its target, today's level."""

    service_id: int
    target_wait_s: int
    longest_wait_s: int | None
    """None: nobody waits."""
    service_level: float | None = None
    """Today's share (0..1) of visitors called within the target; None before any call."""
    called: int = 0
    """Visitors called today (the level means little over a handful)."""


@dataclass(frozen=True)
class Alert:
    """An alert raised: the service, the kind, since when, the value now and its threshold.

    ``value`` and ``threshold`` are seconds for a wait and whole percent for a level.
    """

    service_id: int
    kind: AlertKind
    since: datetime
    value: int
    threshold: int

    @property
    def key(self) -> tuple[int, AlertKind]:
        """What identifies it among the raised ones."""
        return (self.service_id, self.kind)


@dataclass(frozen=True)
class Rules:
    """The thresholds and the hysteresis."""

    level_threshold: float | None = 0.8
    """Today's service level below which a ``level`` alert is raised (0..1); None: never."""
    clear_wait_ratio: float = 0.8
    level_margin: float = 0.05
    min_called: int = 5
    hold: timedelta = timedelta(seconds=30)


@dataclass(frozen=True)
class Changes:
    """What one evaluation changed: alerts raised, cleared, and kept with a new value."""

    raised: list[Alert] = field(default_factory=list)
    cleared: list[Alert] = field(default_factory=list)
    updated: list[Alert] = field(default_factory=list)

    @property
    def services(self) -> set[int]:
        """The services whose alerts were raised or cleared (their operators are told)."""
        return {alert.service_id for alert in [*self.raised, *self.cleared]}

    def __bool__(self) -> bool:
        return bool(self.raised or self.cleared or self.updated)


class AlertMonitor:
    """The alerts raised now; ``update`` applies the rules to a new set of readings."""

    def __init__(self, rules: Rules, active: Iterable[Alert] = ()) -> None:
        self.rules = rules
        self.active: dict[tuple[int, AlertKind], Alert] = {alert.key: alert for alert in active}

    def update(self, readings: Iterable[Reading], now: datetime) -> Changes:
        """Raise, keep or clear each service's alerts; a service no longer read clears."""
        changes = Changes()
        seen: set[tuple[int, AlertKind]] = set()
        for reading in readings:
            for kind, (value, threshold, over, back) in self._judge(reading).items():
                key = (reading.service_id, kind)
                seen.add(key)
                self._step(key, value, threshold, over, back, now, changes)
        for key in [key for key in self.active if key not in seen]:
            changes.cleared.append(self.active.pop(key))
        return changes

    def _judge(self, reading: Reading) -> Mapping[AlertKind, tuple[int, int, bool, bool]]:
        """Per kind: (value, threshold, over the threshold, back below the clearing line)."""
        rules = self.rules
        target = reading.target_wait_s
        wait = reading.longest_wait_s or 0
        judged = {
            AlertKind.WAIT: (
                wait,
                target,
                wait > target,
                wait <= target * rules.clear_wait_ratio,
            )
        }
        level, threshold = reading.service_level, rules.level_threshold
        if threshold is not None and level is not None and reading.called >= rules.min_called:
            judged[AlertKind.LEVEL] = (
                round(level * 100),
                round(threshold * 100),
                level < threshold,
                level >= threshold + rules.level_margin - EPSILON,
            )
        return judged

    def _step(
        self,
        key: tuple[int, AlertKind],
        value: int,
        threshold: int,
        over: bool,
        back: bool,
        now: datetime,
        changes: Changes,
    ) -> None:
        raised = self.active.get(key)
        if raised is None:
            if over:
                alert = Alert(key[0], key[1], now, value, threshold)
                self.active[key] = alert
                changes.raised.append(alert)
            return
        if back and now - raised.since >= self.rules.hold:
            changes.cleared.append(self.active.pop(key))
        elif (raised.value, raised.threshold) != (value, threshold):
            kept = replace(raised, value=value, threshold=threshold)
            self.active[key] = kept
            changes.updated.append(kept)
