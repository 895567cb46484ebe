"""Declarative base with a naming convention, so migrations name every constraint the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar, cast

from sqlalchemy import CursorResult, DateTime, MetaData, Table, TypeDecorator, insert, inspect
from sqlalchemy.dialects import postgresql, sqlite
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


_UNLESS_TAKEN: dict[tuple[type[Base], str], Insert] = {}


def insert_row_unless_taken(session: Session, model: type[Base], **values: Any) -> Any:
    """``insert_row``, except that a row a unique constraint refuses is not written: returns
    its primary key, or None then (``ON CONFLICT DO NOTHING``, without the savepoint that
    catching the error would need)."""
    connection = core_connection(session)
    dialect = connection.dialect.name
    statement = _UNLESS_TAKEN.get((model, dialect))
    if statement is None:
        keys = table_of(model).primary_key.columns
        statement = _insert_for(dialect, model).on_conflict_do_nothing().returning(*keys)
        _UNLESS_TAKEN[(model, dialect)] = statement
    return connection.execute(statement, values).scalar()


def dialect_insert(session: Session, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of ``model`` in the session's own dialect, which has ON CONFLICT (SQLite and
    PostgreSQL both do, each in its own class)."""
    return _insert_for(session.get_bind().dialect.name, model)


def _insert_for(dialect: str, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table_of(model))


B = TypeVar("B", bound=Base)


def insert_object(session: Session, obj: B) -> B:
    """Write a new object with one plain INSERT and keep it in the session, loaded.

    For a hot path (a kiosk's ticket): the ORM's unit of work costs more than the INSERT. Every
    column gets its value (the one set, else the column's default, else None), so reading the
    object back needs no query (a column with a server default is read when first used); its
    relationships load when used, as for any loaded object.
    """
    values = _column_values(obj)
    return _loaded(session, obj, values, insert_row(session, type(obj), **values))


def insert_object_unless_taken(session: Session, obj: B) -> B | None:
    """``insert_object``, or None (and nothing written) when a unique constraint refuses it."""
    values = _column_values(obj)
    key = insert_row_unless_taken(session, type(obj), **values)
    return None if key is None else _loaded(session, obj, values, key)


def _column_values(obj: Base) -> dict[str, Any]:
    """Every column of ``obj`` but the primary key: the value set, else the column's default,
    else None (a column with a server default is left to the database)."""
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
    return values


def _loaded(session: Session, obj: B, values: dict[str, Any], key: Any) -> B:
    """``obj`` as written (``values``, primary key ``key``), kept in the session, loaded."""
    for column, attr, primary, _server_default, _default in _PLANS[type(obj)]:
        if column in values:
            setattr(obj, attr, values[column])
        elif primary:
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
