"""Publishing the outbox: every committed message reaches the broker at least once, in order.

A message is taken from the database only after the transaction that wrote it committed, and
forgotten (``sent_at``) only after the broker acknowledged it, so a hub killed at any moment
sends on its next start whatever was committed and not yet acknowledged; a display may then see
an announcement twice, never miss one.

The board is written to the outbox as a mark (``queue_publish.publish_board``) and drawn here,
from what is committed, when it is sent, at most every ``BOARD_EVERY`` seconds: a burst of
changes costs one drawing. (The announcement of a call is its own message and is never held
back; a board mark acknowledged but not yet drawn when the hub dies is redrawn by the
resynchronisation on the next start.)

Two ways of working, chosen by the database:

- SQLite has one hub process and one sender (whichever thread holds the coordinator's sending
  lock). It reads the outbox without taking the write lock, publishes, remembers in memory how
  far it got, and records ``sent_at`` in one short write now and then, so writers never wait
  for the sender's bookkeeping. A request worker does not wait for the broker's
  acknowledgements either: the next send or the sender thread collects them, and a batch not
  acknowledged within ``ACK_TIMEOUT`` is sent again.
- PostgreSQL may have several hubs. Each batch is claimed with ``FOR UPDATE SKIP LOCKED`` and
  stays locked while it travels, so no two hubs publish the same message.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.protocol import topics
from hub.services.common import outbox
from hub.services.queue import publish as queue_publish
from hub.services.queue.core import QueueContext

BATCH = 500
ACK_TIMEOUT = 10.0
MARK_EVERY = 0.5
"""Seconds between the sender's writes of ``sent_at`` (SQLite): at most two a second, however
many messages go out."""
BOARD_EVERY = 0.1
"""Seconds between two drawings of the board while changes keep coming."""

Publish = Callable[[str, bytes, bool], mqtt.MQTTMessageInfo]


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class OutboxSender:
    """Sends the outbox of one site through ``publish(topic, payload, retain)`` (QoS 1)."""

    def __init__(
        self, hub: Hub, site: str, publish: Publish, context: Callable[[], QueueContext]
    ) -> None:
        self.hub = hub
        self._publish = publish
        self._context = context
        self._board = topics.display_board(site)
        self._local = hub.engine.dialect.name == "sqlite"
        self._after = 0  # the last outbox id published (SQLite: ids commit in order)
        self._acknowledged: list[int] = []
        self._in_flight: deque[_InFlight] = deque()  # published, acknowledgements not yet seen
        self._marked_at = time.monotonic()
        self._board_due = False
        self._board_at = float("-inf")
        self._board_covers = 0  # the newest outbox id committed before the last drawing

    def board_wait(self) -> float | None:
        """Seconds until a board held back is due, or None when none is waiting."""
        if not self._board_due:
            return None
        return max(0.0, self._board_at + BOARD_EVERY - time.monotonic())

    def send_pending(self, *, wait: bool = True) -> int:
        """Publish the next batch; returns how many messages it held.

        With ``wait`` false (SQLite: a request worker that has just committed) the broker's
        acknowledgements are collected by a later call instead of waited for now, so the worker
        is free for the next request; a batch not acknowledged in time is sent again.
        """
        if self._local:
            return self._send_local(wait)
        with transaction(self.hub.sessions) as session:
            batch = outbox.pending(session, BATCH, claim=True)
            _acknowledged(self._send(batch), time.monotonic() + ACK_TIMEOUT)
            outbox.mark_sent(session, [m.id for m in batch])
        return len(batch)

    def flush(self) -> None:
        """Record as sent what the broker acknowledged (SQLite; before stopping, when idle)."""
        with suppress(ConnectionError):  # overdue: sent again by the next send or start
            self._confirm(wait=False)
        if self._acknowledged:
            with transaction(self.hub.sessions) as session:
                outbox.mark_sent(session, self._acknowledged)
            self._acknowledged = []
        self._marked_at = time.monotonic()

    def _send_local(self, wait: bool) -> int:
        self._confirm(wait=False)
        with self.hub.read_sessions() as session:
            batch = outbox.pending(session, BATCH, after=self._after)
        infos = self._send(batch)
        if batch:
            self._after = batch[-1].id
            ids = [m.id for m in batch]
            self._in_flight.append(_InFlight(ids, infos, time.monotonic() + ACK_TIMEOUT))
        self._confirm(wait=wait)
        if time.monotonic() - self._marked_at > MARK_EVERY:
            self.flush()
        return len(batch)

    def _confirm(self, *, wait: bool) -> None:
        """Move the batches the broker acknowledged, oldest first, to those to mark sent.

        Without ``wait`` it stops at the first batch still travelling (unless its time is up).
        A batch not acknowledged in time is read and sent again from its first message.
        """
        while self._in_flight:
            batch = self._in_flight[0]
            try:
                travelling = not all(_arrived(info) for info in batch.infos)
                if travelling and not wait and time.monotonic() < batch.deadline:
                    return
                _acknowledged(batch.infos, batch.deadline)
            except ConnectionError:
                self._after = min(self._after, batch.ids[0] - 1)
                self._in_flight.clear()
                raise
            self._acknowledged += batch.ids
            self._in_flight.popleft()

    def _send(self, batch: list[outbox.Pending]) -> list[mqtt.MQTTMessageInfo]:
        """Publish a batch in order, the board last, drawn now; returns what to wait for."""
        messages = [m for m in batch if m.topic != self._board]
        # A retained topic keeps only its last message: older ones need not travel.
        last = {m.topic: m.id for m in messages if m.retain}
        infos = [
            self._publish(m.topic, _json(m.payload), m.retain)
            for m in messages
            if not (m.retain and last[m.topic] != m.id)
        ]
        # A mark committed before the last drawing is already on it (another thread of this
        # hub may send it after that drawing): it needs no drawing of its own.
        if any(m.topic == self._board and m.id > self._board_covers for m in batch):
            self._board_due = True
        if self._board_due and time.monotonic() - self._board_at >= BOARD_EVERY:
            with self.hub.read_sessions() as session:
                if not self._local:
                    # One snapshot for both reads (PostgreSQL reads the latest commit at each
                    # statement otherwise): a change committed between them would be drawn and
                    # yet not counted as covered, and drawn again for nothing.
                    session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                covers = outbox.last_id(session)  # read first: the drawing shows at least this
                board = queue_publish.board_payload(session, self._context())
            infos.append(self._publish(self._board, _json(board), True))
            self._board_due, self._board_at = False, time.monotonic()
            self._board_covers = max(self._board_covers, covers)
        return infos


@dataclass
class _InFlight:
    """A published batch whose acknowledgements were not yet all seen."""

    ids: list[int]
    infos: list[mqtt.MQTTMessageInfo]
    deadline: float


def _arrived(info: mqtt.MQTTMessageInfo) -> bool:
    """Whether the broker acknowledged the message; ConnectionError when paho never handed it
    to the broker (it raises RuntimeError or ValueError then: the broker was gone, the queue
    full), which once ended the sender thread of a hub stopping without its broker."""
    try:
        return info.is_published()
    except (RuntimeError, ValueError) as exc:
        raise ConnectionError(f"the outbox did not reach the broker: {exc}") from None


def _acknowledged(infos: list[mqtt.MQTTMessageInfo], deadline: float) -> None:
    """Wait until the broker acknowledged every message; ConnectionError after ``deadline``."""
    for info in infos:
        if not _arrived(info):
            with suppress(RuntimeError, ValueError):  # _arrived says why, just below
                info.wait_for_publish(timeout=max(0.0, deadline - time.monotonic()))
        if not _arrived(info):
            raise ConnectionError("the broker did not acknowledge the outbox in time")
