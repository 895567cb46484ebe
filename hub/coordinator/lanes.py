"""A request worker's line: calls to the display first, each device's requests in order.

A panel's Free (or a recall, or a ticket called by hand) puts a call on the display, the one
thing the waiting room watches; with one worker on SQLite it would otherwise wait behind every
kiosk ticket and finished visitor queued before it (bench/queue.py, Free -> display). An urgent
request overtakes only other devices' requests: one of a device that still has a request
waiting goes behind it, so a panel's Done is always served before its next Free.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Generic, TypeVar

from hub.protocol.messages import peek

T = TypeVar("T")

URGENT = frozenset({"set_status", "recall", "call_ticket"})
"""Panel requests that put a call on the display."""


def is_urgent(payload: bytes | bytearray) -> bool:
    """Whether a panel request is one of ``URGENT`` (anything unreadable is not: the worker
    rejects it in its turn). Runs in the MQTT network thread, so it never raises."""
    data = peek(payload)
    return isinstance(data, dict) and data.get("type") in URGENT


class Lanes(Generic[T]):
    """A queue for one worker: ``get`` returns urgent items first, then the others, each in the
    order they were put; a device's items never overtake one another."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._urgent: deque[tuple[str, T]] = deque()
        self._normal: deque[tuple[str, T]] = deque()
        self._waiting: Counter[str] = Counter()

    def put(self, item: T, *, device: str = "", urgent: bool = False) -> None:
        """Queue ``item`` from ``device``; ``urgent`` only counts when none of its is waiting."""
        with self._ready:
            lane = self._urgent if urgent and not self._waiting[device] else self._normal
            lane.append((device, item))
            self._waiting[device] += 1
            self._ready.notify()

    def get(self) -> T:
        """The next item, waiting for one. (One worker takes from a ``Lanes``: an item taken is
        being served, so a device's later items may go to either lane.)"""
        with self._ready:
            while not self._urgent and not self._normal:
                self._ready.wait()
            device, item = (self._urgent or self._normal).popleft()
            self._waiting[device] -= 1
            if not self._waiting[device]:
                del self._waiting[device]
            return item

    def __len__(self) -> int:
        with self._ready:
            return len(self._urgent) + len(self._normal)
