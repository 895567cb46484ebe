"""Public booking (Q-2a, Q-3): opening hours, slot seats, contacts, web keys, rate counters."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, utcnow


class OpeningDay(Base):
    """When a service is open on one day of the week (ISO weekday, 1 is Monday).

    A service without any row uses the default (Monday to Friday, 09:00-18:00); a service with
    rows is open on those days only.
    """

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("opens < closes", name="opens_before_closes"),
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_iso"),
    )

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    opens: Mapped[time]
    closes: Mapped[time]


class BookingSeat(Base):
    """One operator's place in one slot unit, held by one booking.

    A slot unit of a service has as many seats as the service's work group has operators; a
    booking takes one free seat in each unit it covers. The unique constraint is what stops two
    visitors taking the last seat at once: the second insert fails, whatever the pages showed.
    """

    __tablename__ = "booking_seats"
    __table_args__ = (
        UniqueConstraint("project_id", "unit_start", "seat"),
        CheckConstraint("seat >= 1", name="seat_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    unit_start: Mapped[datetime]
    seat: Mapped[int]
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("queue_tickets.id", ondelete="CASCADE"), index=True
    )


class BookingContact(Base):
    """What a public booking adds to its ticket: the e-mail and the language of the visitor."""

    __tablename__ = "booking_contacts"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("queue_tickets.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(254))
    lang: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the e-mail reminder before the slot was queued (hub.services.mail.booking_mail).
    reminded_at: Mapped[datetime | None]


class WebKey(Base):
    """A server secret of the web pages (signing CSRF tokens), shared by every hub replica."""

    __tablename__ = "web_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class RateHit(Base):
    """How many public requests a key (a hashed address or phone) made in one time window."""

    __tablename__ = "rate_hits"
    __table_args__ = (Index("ix_rate_hits_window_start", "window_start"),)

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
