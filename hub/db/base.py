"""Declarative base with a naming convention, so migrations name every constraint the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import CursorResult, DateTime, MetaData, Table, TypeDecorator, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.sql.dml import Insert

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always returned timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every table model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class TimestampMixin:
    """Creation and last-change times."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


_INSERTS: dict[type[Base], Insert] = {}


def insert_row(session: Session, model: type[Base], **values: Any) -> Any:
    """INSERT one row of ``model`` in the session's transaction; returns its primary key.

    A plain INSERT skips the ORM's unit of work (the costliest step of a device's request,
    bench/queue.py), for rows nothing in the session reads back as objects: the outbox, the
    audit log, remembered replies. Column defaults apply as for objects.
    """
    statement = _INSERTS.get(model)
    if statement is None:
        statement = _INSERTS[model] = insert(cast(Table, model.__table__))
    # On the session's connection: the ORM's statement machinery has nothing to add here.
    result = cast(CursorResult[Any], session.connection().execute(statement, values))
    key = result.inserted_primary_key
    return key[0] if key is not None else None
