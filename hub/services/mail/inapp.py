"""In-system notifications (SET-8's "system" channel): a user's unread ones, marked read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db.models.mail import Notification

LIMIT = 100


def unread(session: Session, *, user_id: int, limit: int = LIMIT) -> list[Notification]:
    """The user's unread notifications, newest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, *, user_id: int, ids: list[int], now: datetime) -> int:
    """Mark the user's own notifications read (another's are left alone); returns how many."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.id.in_(ids),
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
