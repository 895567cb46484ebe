"""E-mail (EVT-7, SET-8, TSK-7, CLI-4, Q-2a): the mail outbox, letters received, mailboxes'
health, sealed mail passwords and in-system notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, utcnow

MAIL_STATES = ("pending", "sending", "sent", "failed")


class MailOutboxRow(Base):
    """One letter to send, written in the transaction of the change it reports.

    ``key`` names what the letter is about (``reminder:12:2026-05-01T10:00``), unique, so the
    same news is never queued twice; ``message`` is the whole RFC 5322 text, fixed when queued
    (its Message-ID included), so a retry sends the very same letter.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed')", name="state"),
        Index("ix_mail_outbox_due", "state", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class MailSecret(Base):
    """A mail password sealed with the data folder's key (never shown, never logged)."""

    __tablename__ = "mail_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailboxState(Base):
    """How the last fetch of one mailbox went: shown on the back-office, drives the retry."""

    __tablename__ = "mailbox_states"

    mailbox: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_ok_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None]
    fetched: Mapped[int] = mapped_column(default=0)


class MailLetter(Base):
    """A letter received into an event: the same Message-ID is stored once per recipient."""

    __tablename__ = "mail_letters"
    __table_args__ = (UniqueConstraint("message_key", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the Message-ID (or of the letter when it has none): fixed length for the index.
    message_key: Mapped[str] = mapped_column(String(64))
    # "user:{id}" for an employee's own mailbox or a corporate letter given to them.
    recipient: Mapped[str] = mapped_column(String(64))
    mailbox: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """An in-system notification to a user (SET-8 "system" channel, item 4)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # What it is about, as the outbox's key: the same notice is written once.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
