"""The electronic queue (Q-1..Q-6): each ticket's place in line, operators' sessions, the outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, utcnow

TICKET_KINDS = ("walk_in", "booking")
TICKET_STATES = (
    "booked",
    "waiting",
    "called",
    "serving",
    "done",
    "no_show",
    "expired",
    "cancelled",
)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


class QueueTicket(Base):
    """The queue state of one "queue" or "electronic queue" event (Q-2).

    Waiting tickets are served in the order (lane, effective_at, id): lane 0 is the front (a
    transfer "to the front"), lane 1 everyone else; the effective time is the arrival of a walk-in
    or the booked start of a booking.
    """

    __tablename__ = "queue_tickets"
    __table_args__ = (
        UniqueConstraint("origin_project_id", "service_day", "number"),
        # "The nearest waiting ticket of these projects" reads this index in order.
        Index("ix_queue_tickets_line", "state", "project_id", "lane", "effective_at", "id"),
        Index("ix_queue_tickets_calls", "called_at"),
        Index("ix_queue_tickets_history", "project_id", "state", "finished_at"),
        # Bookings kept and missed by day (STAT-1).
        Index("ix_queue_tickets_day", "service_day", "origin_project_id"),
        # A call delivered twice by its line agent makes one ticket.
        Index("ix_queue_tickets_line_call", "line_device", "line_call", unique=True),
        CheckConstraint(_one_of("kind", TICKET_KINDS), name="kind"),
        CheckConstraint(_one_of("state", TICKET_STATES), name="state"),
        CheckConstraint("lane IN (0, 1)", name="lane"),
        CheckConstraint("recalls >= 0", name="recalls"),
        CheckConstraint("companies >= 1", name="companies"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    # The service (project) serving the ticket now; a transfer changes it.
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    # The project whose counter gave the number: numbers are unique per project and day.
    origin_project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    service_day: Mapped[date]
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    lane: Mapped[int] = mapped_column(default=1)
    effective_at: Mapped[datetime]
    booked_at: Mapped[datetime | None]
    booked_until: Mapped[datetime | None]
    booking_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    arrived_at: Mapped[datetime | None]
    called_at: Mapped[datetime | None]
    last_called_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    window: Mapped[str | None] = mapped_column(String(16))
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )
    recalls: Mapped[int] = mapped_column(default=0)
    client_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    companies: Mapped[int] = mapped_column(default=1)
    # A transfer to one operator: only that operator is given the ticket.
    target_operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    transferred_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL")
    )
    transfer_reason: Mapped[str | None] = mapped_column(Text)
    transfers: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the visitor's live page last asked (the hall shows "following remotely").
    remote_seen_at: Mapped[datetime | None]
    # "I am running late": Free passes the ticket over, and no automatic no-show, until then.
    late_until: Mapped[datetime | None]
    # A caller on an office line: the line agent and its call (hub.services.queue.calls).
    line_device: Mapped[str | None] = mapped_column(String(64))
    line_call: Mapped[str | None] = mapped_column(String(128))
    # answered (the operator's phone took the call) or abandoned (hung up while waiting).
    call_outcome: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]


class TicketLink(Base):
    """A link to a ticket's live page: the SHA-256 of its token, never the token itself."""

    __tablename__ = "ticket_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("queue_tickets.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The end of the ticket's day in the office's time zone.
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueueOperator(Base):
    """An operator's session at a window: their user status (SET-4) and the ticket in hand."""

    __tablename__ = "queue_operators"
    __table_args__ = (Index("ix_queue_operators_status", "status", "status_since"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(32))
    status_since: Mapped[datetime]
    window: Mapped[str | None] = mapped_column(String(16))
    device_id: Mapped[str | None] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_tickets.id", ondelete="SET NULL"), unique=True
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutboxMessage(Base):
    """An MQTT message written with the change it reports and sent after the commit."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    retain: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
