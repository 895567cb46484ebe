"""Events (EVT-1..EVT-6): calls, letters, visits, queue tickets... and their linked documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, TimestampMixin


class Event(TimestampMixin, Base):
    """The card of EVT-3. ``archived_at`` set means the event is in the archive (EVT-5)."""

    __tablename__ = "events"
    __table_args__ = (
        # Partial, so that PostgreSQL reads the newest rows straight from the index: with
        # archived_at as the first column, "archived_at IS NULL" is not an equality to it and
        # the whole table was sorted for the first page (116 ms at a million events).
        Index(
            "ix_events_registry",
            "starts_at",
            "id",
            sqlite_where=text("archived_at IS NULL"),
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index(
            "ix_events_archive",
            "starts_at",
            "id",
            sqlite_where=text("archived_at IS NOT NULL"),
            postgresql_where=text("archived_at IS NOT NULL"),
        ),
        Index("ix_events_project", "project_id", "starts_at", "id"),
        Index("ix_events_type", "type_id", "starts_at", "id"),
        Index("ix_events_client", "client_id", "starts_at", "id"),
        Index("ix_events_responsible", "responsible_id", "starts_at", "id"),
        Index("ix_events_phone", "phone_digits", "starts_at", "id"),
        CheckConstraint("ends_at IS NULL OR ends_at >= starts_at", name="period"),
        CheckConstraint(
            "responsible_type IN ('employee', 'responsibility_centre')", name="responsible_type"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    type_id: Mapped[int] = mapped_column(ForeignKey("event_types.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    responsible_type: Mapped[str] = mapped_column(String(24), default="employee")
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    responsibility_centre: Mapped[str | None] = mapped_column(String(200))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="RESTRICT"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str | None] = mapped_column(String(32))
    phone_digits: Mapped[str | None] = mapped_column(String(32))
    fax: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    journal_id: Mapped[int | None] = mapped_column(
        ForeignKey("journals.id", ondelete="RESTRICT"), index=True
    )
    content: Mapped[str | None] = mapped_column(Text)
    # A call's talk time and its recording's file name on the phone agent (PH-8).
    call_duration_s: Mapped[int | None]
    call_recording: Mapped[str | None] = mapped_column(String(128))
    archived_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class EventDocument(Base):
    """A settlement document linked to an event (EVT-4)."""

    __tablename__ = "event_documents"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("settlement_documents.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AuditRecord(Base):
    """One change of a task or an event, kept while the audit switch (SET-11) is on (TSK-5)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    changes: Mapped[dict[str, object] | None] = mapped_column(JSON)
