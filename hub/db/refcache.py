"""What the reference tables say, read once and shared by every transaction until they change.

A device's request reads the same rows every time: the device, the operator's user and rights,
the statuses, event types, numbering rules, global parameters, the service and its work group.
Read through the ORM, those reads were about a third of a Free (bench/queue.py). Here they are
kept per process, keyed by what was asked, each with the *generation* it was read under.

The generation is one row (``cache_generation``) that every transaction writing a reference
table increases, in that same transaction: a listener on the engine sees the INSERT, UPDATE or
DELETE of such a table, whatever wrote it (the ORM, a Core statement, this hub or another
process: the CLI, a second hub on PostgreSQL). A transaction reads the generation once, before
anything it takes from the cache, and uses only entries read under that generation; so it never
sees reference data older than what had been committed when it read the generation, as if it
had read the rows itself then. A transaction that has itself written a reference table reads the
rows directly until it ends (its own changes are not in the cache).

Changes made outside Cherga's code (a hand-written UPDATE in the sqlite3 shell) are not seen
until the generation changes or the hub restarts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from hub.db.base import core_connection

REFERENCE_TABLES = frozenset(
    {
        "devices",
        "users",
        "employees",
        "doc_rights",
        "journal_rights",
        "settings_tab_access",
        "global_parameters",
        "user_parameters",
        "event_types",
        "history_groups",
        "task_statuses",
        "user_statuses",
        "journals",
        "task_fields",
        "numbering_rules",
        "projects",
        "project_members",
    }
)
VOLATILE_COLUMNS = {
    "devices": frozenset({"online", "last_seen_at", "version", "faults", "phone_status"})
}
"""Columns a device's state message updates all day: no cached value depends on them."""

MAX_ENTRIES = 20_000
"""More values than a site's users, devices, services and reference books need together."""
GENERATION_TABLE = "cache_generation"
_READ = f"SELECT value FROM {GENERATION_TABLE} WHERE id = 1"
_BUMP = f"UPDATE {GENERATION_TABLE} SET value = value + 1 WHERE id = 1"
_WROTE = "cherga_reference_written"
_GENERATION = "cherga_reference_generation"

T = TypeVar("T")


class _Entries:
    """One engine's cached values: key -> (generation, value)."""

    def __init__(self) -> None:
        self.values: dict[Hashable, tuple[int, Any]] = {}


_CACHES: WeakKeyDictionary[Any, _Entries] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def table_written(statement: str) -> str | None:
    """The table an INSERT, UPDATE or DELETE writes, else None."""
    head = statement[:7].upper()
    if head not in _WRITES:
        return None
    words = statement[:200].split(None, 5)  # INSERT [OR REPLACE] INTO t, DELETE FROM t, UPDATE t
    if len(words) > 2 and words[1].upper() == "OR":
        del words[1:3]
    if head != "UPDATE " and len(words) > 1:
        del words[1]  # INTO, FROM
    return words[1].strip('"').lower() if len(words) > 1 else None


def written_table(statement: str) -> str | None:
    """The reference table an INSERT, UPDATE or DELETE writes (in a way a cached value may
    depend on), else None."""
    name = table_written(statement)
    if name not in REFERENCE_TABLES:
        return None
    volatile = VOLATILE_COLUMNS.get(name)
    is_update = statement[:7].upper() == "UPDATE "
    if is_update and volatile is not None and _sets_only(statement, volatile):
        return None
    return name


_WRITES = frozenset({"INSERT ", "UPDATE ", "DELETE "})


def _sets_only(update: str, columns: frozenset[str]) -> bool:
    upper = update.upper()
    start, end = upper.find(" SET "), upper.find(" WHERE ")
    if start < 0:
        return False
    assignments = update[start + 5 : end if end > start else None].split(",")
    names = {part.split("=", 1)[0].strip().strip('"').lower() for part in assignments}
    return names <= columns


def install(engine: Engine) -> None:
    """Make every transaction on ``engine`` that writes a reference table bump the generation."""

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(
        connection: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        info = connection.info
        if info.get(_WROTE) or written_table(statement) is None:
            return
        cursor.execute(_BUMP)  # the same transaction as the write it announces
        info[_WROTE] = True

    def _forget(connection: Connection, *_args: Any) -> None:
        connection.info.pop(_WROTE, None)
        connection.info.pop(_GENERATION, None)

    # A savepoint rolled back may have taken the bump with it: bump again on the next write.
    for name in ("begin", "commit", "rollback", "rollback_savepoint"):
        event.listen(engine, name, _forget)


def quiet(connection: Connection) -> None:
    """Write reference tables in this transaction without bumping the generation (migrations,
    which may run before its table exists); the caller bumps it afterwards (``bump``)."""
    connection.info[_WROTE] = True


def bump(connection: Connection) -> None:
    """Raise the generation now (after a migration), when its table exists."""
    if connection.dialect.has_table(connection, GENERATION_TABLE):
        connection.exec_driver_sql(_BUMP)


def _entries(connection: Connection) -> _Entries:
    pool = connection.engine.pool  # shared by the engine and its read-only variant
    found = _CACHES.get(pool)
    if found is None:
        with _CACHES_LOCK:
            found = _CACHES.setdefault(pool, _Entries())
    return found


def cached(session: Session, key: Hashable, load: Callable[[Session], T]) -> T:
    """``load(session)``, or what it returned for ``key`` under the current generation.

    ``load`` must return a value nobody changes (a tuple, a frozen dataclass, a frozenset) that
    depends only on reference tables.
    """
    connection = core_connection(session)
    info = connection.info
    if info.get(_WROTE):
        return load(session)
    generation = info.get(_GENERATION)
    if generation is None:
        generation = info[_GENERATION] = connection.exec_driver_sql(_READ).scalar_one()
    entries = _entries(connection).values
    found = entries.get(key)
    if found is not None and found[0] == generation:
        return found[1]  # type: ignore[no-any-return]
    value = load(session)
    if not info.get(_WROTE):  # the load itself wrote nothing (a getter that creates a row)
        current = entries.get(key)
        if current is None or current[0] <= generation:
            if len(entries) >= MAX_ENTRIES:
                entries.clear()  # rows long gone and old generations: start again
            entries[key] = (generation, value)
    return value
