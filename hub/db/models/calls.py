"""Calls reported by phone agents (PH-8): each tracked by (agent, call id) until it ends."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, utcnow

CALL_OUTCOMES = ("answered", "missed", "forwarded", "skipped")


class PhoneCallRecord(Base):
    """One call of one phone agent: what its reports said so far and the event it became.

    The unique (device, call id) makes a redelivered report update the same row; ``event_id``
    is set once, when the call's final state arrives, so a duplicate never makes a second
    event. A missed call stays "unresolved" until an answered call with the same number
    resolves it (``resolved_at``) and links to its event (``answers_event_id``).
    """

    __tablename__ = "phone_calls"
    __table_args__ = (
        UniqueConstraint("device_id", "call_id", name="uq_phone_calls_device_call"),
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('answered', 'missed', 'forwarded', 'skipped')",
            name="outcome",
        ),
        Index("ix_phone_calls_missed", "remote_digits", "outcome", "resolved_at"),
        Index("ix_phone_calls_day", "local_day", "device_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    call_id: Mapped[str] = mapped_column(String(128))
    line: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(3))
    remote: Mapped[str] = mapped_column(String(128))
    remote_digits: Mapped[str | None] = mapped_column(String(32))
    remote_name: Mapped[str | None] = mapped_column(String(200))
    # The latest state by the agent's clock (reports may arrive out of order).
    state: Mapped[str] = mapped_column(String(16))
    state_at: Mapped[datetime]
    started_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration_s: Mapped[int | None]
    recording: Mapped[str | None] = mapped_column(String(128))
    target: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    answers_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    resolved_at: Mapped[datetime | None]
    # The office's local day and hour the call began (statistics group by them, STAT-2).
    local_day: Mapped[date | None]
    local_hour: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
