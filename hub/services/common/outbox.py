"""The outbox: MQTT messages written in the transaction of the change they report.

A message is committed together with the change or not at all, so a publisher that sends
``pending`` messages after the commit (and again after a crash) never shows a display an
uncommitted call and never loses a committed one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from hub.db.base import core_connection, insert_row, table_of, utcnow
from hub.db.models.queue import OutboxMessage

MAX_TOPIC = 300
MAX_BATCH = 1000
DIRTY = "cherga_outbox_dirty"
"""Key in ``Session.info``: the topics a transaction wrote to the outbox (the sender is told)."""


@dataclass(frozen=True)
class Pending:
    """A message still to be published."""

    id: int
    topic: str
    payload: dict[str, Any]
    retain: bool
    created_at: datetime


def enqueue(session: Session, topic: str, payload: Mapping[str, Any], retain: bool) -> int:
    """Write one message to send after the current transaction commits; returns its id."""
    if not topic or len(topic) > MAX_TOPIC or any(ch in topic for ch in "+#\x00"):
        raise ValueError(f"not a topic to publish to: {topic!r}")
    # Round-trip through JSON now, so a payload that cannot be sent fails the change, not later.
    plain = json.loads(json.dumps(dict(payload), ensure_ascii=False, allow_nan=False))
    row_id = insert_row(session, OutboxMessage, topic=topic, payload=plain, retain=retain)
    session.info.setdefault(DIRTY, set()).add(topic)
    return int(row_id)


_M = table_of(OutboxMessage).c
# Built once: a busy hub reads the outbox after almost every request.
_PENDING = (
    select(_M.id, _M.topic, _M.payload, _M.retain, _M.created_at)
    .where(_M.sent_at.is_(None), _M.id > bindparam("after"))
    .order_by(_M.id)
    .limit(bindparam("limit"))
)
_CLAIM = _PENDING.with_for_update(skip_locked=True)


def pending(
    session: Session, limit: int = 100, *, claim: bool = False, after: int = 0
) -> list[Pending]:
    """The oldest unsent messages, in the order they were written.

    With ``claim`` the rows stay locked until the transaction ends and rows another sender holds
    are skipped (PostgreSQL), so two hub processes never publish the same message. Only
    messages after the id ``after`` are read.
    """
    limit = max(1, min(limit, MAX_BATCH))
    statement = _CLAIM if claim else _PENDING
    rows = core_connection(session).execute(statement, {"after": after, "limit": limit})
    return [Pending(*row) for row in rows]


def last_id(session: Session) -> int:
    """The newest message's id (0 when the outbox is empty)."""
    return int(session.scalar(select(func.max(OutboxMessage.id))) or 0)


def oldest_unsent(session: Session) -> datetime | None:
    """When the oldest message still to be published was written (None: nothing waits)."""
    return session.scalar(
        select(OutboxMessage.created_at)
        .where(OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(1)
    )


@dataclass(frozen=True)
class Backlog:
    """What waits in the outbox: how many messages, and since when the oldest."""

    depth: int
    oldest: datetime | None

    def age_s(self, now: datetime) -> float:
        """Seconds the oldest unsent message has waited at ``now`` (0 when none waits)."""
        if self.oldest is None:
            return 0.0
        return max(0.0, (now - self.oldest).total_seconds())


_DEPTH = select(func.count()).select_from(table_of(OutboxMessage)).where(_M.sent_at.is_(None))


def backlog(session: Session) -> Backlog:
    """The unsent messages' count and the oldest one's time; two reads of ``ix_outbox_pending``
    (whose first column is ``sent_at``), cheap enough for every /healthz."""
    depth = int(session.scalar(_DEPTH) or 0)
    return Backlog(depth=depth, oldest=oldest_unsent(session) if depth else None)


def mark_sent(session: Session, ids: Iterable[int], at: datetime | None = None) -> int:
    """Record that these messages were published; returns how many were still pending."""
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(wanted), OutboxMessage.sent_at.is_(None))
        .values(sent_at=at or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_sent(session: Session, before: datetime) -> int:
    """Forget messages published before ``before``; returns how many went."""
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
