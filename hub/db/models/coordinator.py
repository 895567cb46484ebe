"""What the MQTT coordinator remembers: answered requests (idempotency) and print jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, utcnow

PRINT_STATES = ("pending", "printed", "failed")


class DeviceRequest(Base):
    """A device request already answered: a repeated ``request_id`` gets this reply again.

    The row is written in the transaction of the change the request made, so a request is
    either done and remembered or neither.
    """

    __tablename__ = "device_requests"
    __table_args__ = (Index("ix_device_requests_created", "created_at"),)

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PrintJob(Base):
    """A ticket sent to a printer and what the printer said about it."""

    __tablename__ = "print_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'printed', 'failed')", name="state"),
        Index("ix_print_jobs_printer", "printer_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("queue_tickets.id", ondelete="CASCADE"), index=True
    )
    printer_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    # 1 for the first print of the ticket, then 2, 3... for reprints (orders prints made at one
    # clock reading).
    attempt: Mapped[int] = mapped_column(default=1, server_default="1")
    kiosk_id: Mapped[str | None] = mapped_column(String(64))
    # The kiosk's request that issued the ticket: the kiosk is told the outcome as a second
    # reply to it.
    request_id: Mapped[str | None] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
