"""The hub's clock: what "now" is for the queue, its statistics and its housekeeping.

The system clock in service. A bench (``bench/office_day.py``) may start a hub with a controlled
clock instead (settings ``bench_mode`` and ``clock = "controlled"``, refused apart), whose time it
moves forward over an administrator's HTTP request, so that a simulated office day runs in
seconds. Logs, TLS, login tokens and HTTP limits keep the real time whatever this says.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the time."""

    def now(self) -> datetime:
        """Now, an aware UTC time."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        """Now, an aware UTC time."""
        return datetime.now(UTC)


class ClockError(ValueError):
    """A controlled clock was asked to go backwards or given a naive time."""


class ControlledClock:
    """A clock that stands still between moves. Made without a start, it tells the real time
    of its making until its first move, which may go anywhere (the bench chooses its day);
    after that it never goes back.

    Listeners registered with ``on_set`` run after each move, in the mover's thread: they
    should only hand work over (the coordinator wakes its housekeeper), since the mover may
    hold a database transaction.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = _aware(start) if start is not None else datetime.now(UTC)
        self._started = start is not None
        self._lock = threading.Lock()
        self._moves = threading.Lock()  # one move (and its listeners) at a time
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        """The time last set."""
        with self._lock:
            return self._now

    def on_set(self, listener: Callable[[datetime], None]) -> Callable[[], None]:
        """Call ``listener(now)`` after every move; returns a function that stops it."""
        with self._lock:
            self._listeners.append(listener)

        def stop() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return stop

    def set(self, moment: datetime) -> datetime:
        """Move to ``moment`` (not earlier than now) and run the listeners; returns it."""
        moment = _aware(moment)
        with self._moves:
            with self._lock:
                if self._started and moment < self._now:
                    raise ClockError(
                        f"the clock never goes back: {moment.isoformat()} is before "
                        f"{self._now.isoformat()}"
                    )
                self._now, self._started = moment, True
                listeners = list(self._listeners)
            for listener in listeners:
                listener(moment)
        return moment


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ClockError("the time must carry its time zone")
    return moment.astimezone(UTC)


def clock_for(kind: str) -> Clock:
    """The clock the settings ask for: ``system`` or ``controlled``."""
    if kind == "controlled":
        return ControlledClock()
    if kind == "system":
        return SystemClock()
    raise ValueError(f"unknown clock {kind!r}")
