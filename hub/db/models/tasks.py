"""Tasks (TSK-1..TSK-14): executors, dependencies, reminders, templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db.base import Base, TimestampMixin, utcnow


class Task(TimestampMixin, Base):
    """The card of TSK-2. Overdue is derived from ``ends_at`` and the status, never stored."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_registry", "starts_at", "id"),
        Index("ix_tasks_project", "project_id", "starts_at", "id"),
        Index("ix_tasks_ends", "ends_at", "id"),
        Index("ix_tasks_client", "client_id", "starts_at"),
        Index("ix_tasks_centre", "responsibility_centre", "starts_at", "id"),
        CheckConstraint("ends_at >= starts_at", name="period"),
        CheckConstraint("percent_done BETWEEN 0 AND 100", name="percent"),
        CheckConstraint("time_spent_minutes >= 0", name="time_spent"),
        CheckConstraint("priority IN ('low', 'normal', 'high')", name="priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    percent_done: Mapped[int] = mapped_column(default=0)
    time_spent_minutes: Mapped[int] = mapped_column(default=0)
    status_id: Mapped[int] = mapped_column(
        ForeignKey("task_statuses.id", ondelete="RESTRICT"), index=True
    )
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    controller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    event_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_types.id", ondelete="RESTRICT")
    )
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="RESTRICT"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    phone: Mapped[str | None] = mapped_column(String(32))
    fax: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    journal_id: Mapped[int | None] = mapped_column(
        ForeignKey("journals.id", ondelete="RESTRICT"), index=True
    )
    content: Mapped[str | None] = mapped_column(Text)
    # TSK-1: the responsibility centre the task is given to (by name, as an event's is), so the
    # registry can show a centre's tasks as well as an employee's.
    responsibility_centre: Mapped[str | None] = mapped_column(String(200))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    # TSK-8: "daily", "weekly", "monthly", "yearly" with an interval; None = not recurring.
    recurrence: Mapped[str | None] = mapped_column(String(16))
    recurrence_interval: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    completed_at: Mapped[datetime | None]

    executors: Mapped[list[TaskExecutor]] = relationship(
        back_populates="task",
        order_by="TaskExecutor.id",
        lazy="selectin",
        cascade="all, delete-orphan",
    )


class TaskExecutor(Base):
    """An executor of a task with their own time and status (TSK-3)."""

    __tablename__ = "task_executors"
    __table_args__ = (
        UniqueConstraint("task_id", "user_id"),
        Index("ix_task_executors_user", "user_id", "task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status_id: Mapped[int] = mapped_column(ForeignKey("task_statuses.id", ondelete="RESTRICT"))
    time_spent_minutes: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime | None]

    task: Mapped[Task] = relationship(back_populates="executors")


class TaskDependency(Base):
    """``task_id`` may start only after ``depends_on_id`` ends (TSK-4)."""

    __tablename__ = "task_dependencies"
    __table_args__ = (CheckConstraint("task_id <> depends_on_id", name="not_self"),)

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    depends_on_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TaskReminder(Base):
    """A reminder to a user (TSK-7); ``sent_at`` is set when it has been delivered by e-mail,
    ``dismissed_at`` when its user put it away (the manual's "Delete reminder")."""

    __tablename__ = "task_reminders"
    __table_args__ = (
        Index("ix_task_reminders_due", "sent_at", "remind_at"),
        Index("ix_task_reminders_user", "user_id", "remind_at"),
        CheckConstraint("channel IN ('system', 'email', 'email_and_system')", name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    remind_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20), default="system")
    text: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskTemplate(TimestampMixin, Base):
    """A saved task: its details and executors (TSK-9)."""

    __tablename__ = "task_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    executor_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TaskDocument(Base):
    """A settlement document linked to a task (TSK-6), as ``EventDocument`` is to an event."""

    __tablename__ = "task_documents"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("settlement_documents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
