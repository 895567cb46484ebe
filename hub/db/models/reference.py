"""Reference books of the Settings module: each entry has a code, names and a system flag."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, TimestampMixin


class ReferenceMixin(TimestampMixin):
    """Columns shared by every reference book."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_uk: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    system: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)


class EventType(ReferenceMixin, Base):
    """Event types (SET-1)."""

    __tablename__ = "event_types"


class HistoryGroup(ReferenceMixin, Base):
    """History groups (SET-2): the fields of tasks and events whose changes the history shows
    together under this group's name."""

    __tablename__ = "history_groups"

    fields: Mapped[list[str] | None] = mapped_column(JSON)


class TaskStatus(ReferenceMixin, Base):
    """Task statuses (SET-3); ``color`` is how registries paint tasks of this status."""

    __tablename__ = "task_statuses"

    color: Mapped[str | None] = mapped_column(String(16))


class UserStatus(ReferenceMixin, Base):
    """User statuses (SET-4); ``color`` is how panels and lists paint it."""

    __tablename__ = "user_statuses"

    color: Mapped[str | None] = mapped_column(String(16))


class Journal(ReferenceMixin, Base):
    """Journals: named groups that partition projects, events and tasks (SET-5)."""

    __tablename__ = "journals"


class TaskField(ReferenceMixin, Base):
    """User-defined fields of tasks (TSK-6): a code, names and the type of value it holds."""

    __tablename__ = "task_fields"

    value_type: Mapped[str] = mapped_column(String(8), default="text")


class CacheGeneration(Base):
    """One row: the generation of the reference tables, raised by every transaction that writes
    one of them (``hub.db.refcache``)."""

    __tablename__ = "cache_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
