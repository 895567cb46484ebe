"""Declarative base with a naming convention, so migrations name every constraint the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar, cast

from sqlalchemy import CursorResult, DateTime, MetaData, Table, TypeDecorator, insert, inspect
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    make_transient_to_detached,
    mapped_column,
)
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


def table_of(model: type[Base]) -> Table:
    """The table of a model, for statements built once in Core."""
    return cast(Table, model.__table__)


_INSERTS: dict[type[Base], Insert] = {}


def insert_row(session: Session, model: type[Base], **values: Any) -> Any:
    """INSERT one row of ``model`` in the session's transaction; returns its primary key.

    A plain INSERT skips the ORM's unit of work (the costliest step of a device's request,
    bench/queue.py), for rows nothing in the session reads back as objects: the outbox, the
    audit log, remembered replies. Column defaults apply as for objects.
    """
    statement = _INSERTS.get(model)
    if statement is None:
        statement = _INSERTS[model] = insert(table_of(model))
    result = cast(CursorResult[Any], core_connection(session).execute(statement, values))
    key = result.inserted_primary_key
    return key[0] if key is not None else None


B = TypeVar("B", bound=Base)


def insert_object(session: Session, obj: B) -> B:
    """Write a new object with one plain INSERT and keep it in the session, loaded.

    For a hot path (a kiosk's ticket): the ORM's unit of work costs more than the INSERT. Every
    column gets its value (the one set, else the column's default, else None), so reading the
    object back needs no query (a column with a server default is read when first used); its
    relationships load when used, as for any loaded object.
    """
    model = type(obj)
    plan = _PLANS.get(model)
    if plan is None:
        plan = _PLANS[model] = _plan(model)
    state = obj.__dict__
    values: dict[str, Any] = {}
    for column, attr, primary, server_default, default in plan:
        if primary:
            continue
        if attr in state:
            value = state[attr]
        elif server_default:
            continue  # the database's default; the attribute loads when it is read
        elif default is None:
            value = None
        elif default.is_scalar:
            value = default.arg
        else:
            value = default.arg(None)
        values[column] = value
    key = insert_row(session, model, **values)  # the one primary key column's value
    for column, attr, _primary, _server_default, _default in plan:
        if column in values:
            setattr(obj, attr, values[column])
        elif _primary:
            setattr(obj, attr, key)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


_PLANS: dict[type[Base], list[tuple[str, str, bool, bool, Any]]] = {}


def _plan(model: type[Base]) -> list[tuple[str, str, bool, bool, Any]]:
    """Per column of ``model``: its name, attribute, primary key?, server default?, default."""
    mapper = inspect(model)
    return [
        (
            column.name,
            mapper.get_property_by_column(column).key,
            bool(column.primary_key),
            column.server_default is not None,
            column.default,
        )
        for column in table_of(model).columns
    ]


def core_connection(session: Session) -> Connection:
    """The session's connection, for a prebuilt Core statement on a hot path (no ORM statement
    machinery), after the session's pending changes are written as its own queries would."""
    if session.autoflush:
        session.flush()
    return session.connection()
