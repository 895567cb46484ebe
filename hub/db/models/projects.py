"""Projects with their contracts, work group, discussion and attachments (PRJ-1..PRJ-8)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, validates

from hub.db.base import Base, TimestampMixin, utcnow

MONEY = Numeric(16, 2)


class Project(TimestampMixin, Base):
    """A project: the card of PRJ-1 and the flag "uses the electronic queue" (PRJ-8)."""

    __tablename__ = "projects"
    __table_args__ = (
        Index("ix_projects_journal_name", "journal_id", "name", "id"),
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="period"
        ),
        CheckConstraint("calling_mode IN ('nearest', 'fair')", name="calling_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300), index=True)
    # The name case-folded in Python: SQLite's lower() leaves Cyrillic letters as they are.
    name_folded: Mapped[str | None] = mapped_column(String(300))
    journal_id: Mapped[int | None] = mapped_column(ForeignKey("journals.id", ondelete="RESTRICT"))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    controller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="RESTRICT"), index=True
    )
    default_event_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_types.id", ondelete="RESTRICT")
    )
    description: Mapped[str | None] = mapped_column(Text)
    uses_queue: Mapped[bool] = mapped_column(default=False, index=True)
    # The service level's target (STAT-1): a visitor called within this many seconds counts.
    target_wait_s: Mapped[int] = mapped_column(default=900, server_default="900")
    # Callers on the office's lines (hub.services.queue.calls): at the front of the line, or at
    # most this share (whole percent) of the visitors called today; both off by default.
    callers_first: Mapped[bool] = mapped_column(default=False, server_default=false())
    caller_share_percent: Mapped[int | None]
    # How Free chooses among the service's waiting tickets (``hub.services.queue.calling``):
    # "nearest" (the manual's Q-5) or "fair" (bookings on time, walk-ins' extra wait bounded).
    calling_mode: Mapped[str] = mapped_column(
        String(16), default="nearest", server_default="nearest"
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @validates("name")
    def _fold_name(self, _key: str, value: str) -> str:
        self.name_folded = value.casefold() if value is not None else None
        return value


class ProjectContract(TimestampMixin, Base):
    """A contract of the project with its planned and actual amounts (PRJ-2)."""

    __tablename__ = "project_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(64))
    contract_date: Mapped[date | None]
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="RESTRICT"))
    subject: Mapped[str | None] = mapped_column(String(500))
    planned_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    actual_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="UAH")


class ProjectMember(Base):
    """An employee in the project's work group (PRJ-4); the queue's operators come from here."""

    __tablename__ = "project_members"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str | None] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """A discussion message of a project (PRJ-6) or a task (TSK-6)."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(
            "(project_id IS NOT NULL AND task_id IS NULL)"
            " OR (project_id IS NULL AND task_id IS NOT NULL)",
            name="one_owner",
        ),
        Index("ix_messages_project", "project_id", "id"),
        Index("ix_messages_task", "task_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A named file attached to a project, event or task; the bytes live in the data folder."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN project_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN event_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN task_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
        Index("ix_attachments_project", "project_id"),
        Index("ix_attachments_event", "event_id"),
        Index("ix_attachments_task", "task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
