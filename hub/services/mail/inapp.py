"""In-system notifications (SET-8's "system" channel): a user's unread ones, marked read, and
pushed to the operator's panel.

The back-office reads them on its page; an operator's panel is told, retained on
``panel/{d}/notices``, the unread count and the newest ones whenever they change (one written,
some read, here or at the panel) and at log-in; ``enabled: false`` at log-out clears them. The
message goes through the hub's outbox in the change's transaction, so a panel never shows a
notification that was rolled back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.db.models import Device
from hub.db.models.mail import Notification
from hub.db.models.queue import QueueOperator
from hub.protocol import topics
from hub.protocol.cards import MAX_NOTICES, NOTICE_TEXT, PanelNotice, PanelNotices
from hub.services.common import outbox

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


def unread_count(session: Session, *, user_id: int) -> int:
    """How many notifications the user has not read."""
    count = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


def mark_read(session: Session, *, user_id: int, ids: list[int], now: datetime) -> int:
    """Mark the user's own notifications read (another's are left alone); returns how many.
    The user's panel is told when any changed."""
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
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        publish(session, user_id=user_id, now=now)
    return count


def mark_all_read(session: Session, *, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the user read; returns how many."""
    ids = list(
        session.scalars(
            select(Notification.id).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
    )
    return mark_read(session, user_id=user_id, ids=ids, now=now) if ids else 0


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def panel_message(session: Session, *, user_id: int, now: datetime) -> PanelNotices:
    """What the user's panel shows: the unread count and the newest unread notifications."""
    rows = unread(session, user_id=user_id, limit=MAX_NOTICES)
    return PanelNotices(
        enabled=True,
        unread=unread_count(session, user_id=user_id),
        notices=[
            PanelNotice(
                id=row.id,
                kind=row.kind,
                text=row.text[:NOTICE_TEXT] or "…",
                created_at=_aware(row.created_at),
            )
            for row in rows
        ],
        at=_aware(now),
    )


def send_to_panel(
    session: Session, *, site: str, device_id: str, user_id: int | None, now: datetime
) -> None:
    """Queue the retained notifications of one panel: its operator's, or none (``enabled``
    false) when nobody is logged in there."""
    if user_id is None:
        message = PanelNotices(enabled=False, at=_aware(now))
    else:
        message = panel_message(session, user_id=user_id, now=now)
    payload = message.model_dump(mode="json", exclude_none=True)
    outbox.enqueue(session, topics.panel_notices(site, device_id), payload, True)


def publish(session: Session, *, user_id: int, now: datetime) -> None:
    """Queue the user's notifications for the panel they are logged in at, if any."""
    panels = session.execute(
        select(QueueOperator.device_id, Device.site)
        .join(Device, Device.id == QueueOperator.device_id)
        .where(QueueOperator.user_id == user_id, QueueOperator.device_id.is_not(None))
    ).all()
    for device_id, site in panels:
        send_to_panel(session, site=site, device_id=str(device_id), user_id=user_id, now=now)
