"""Aggregates over days of history (visit lengths, status spans), kept per process for a minute.

The wait estimate reads the same weeks of visits and status spans for every board drawing and
every ticket; those rows change only when a visit ends or a status changes. Here a value read
from them is kept per engine, keyed by what it was read for (the local day included), and used
again while three things hold:

- **no write since**: a listener on the engine sees every INSERT, UPDATE or DELETE of a watched
  table, whatever wrote it, and marks the table changed when it is written and again when that
  transaction commits; a value is used only if it was read in a transaction begun after the
  last change of its table (so a value read from a snapshot older than a commit is not kept);
  a transaction that has written the table itself reads the rows directly until it ends;
- **the hub's clock has not moved more than** ``MAX_AGE`` since it was read, nor into another
  local hour (time comes from the caller's context, never the wall: a controlled clock moves
  the same way);
- the caller's key matches (its local day, its service or operator).

Another hub writing the same PostgreSQL database is not seen by the listener: its changes reach
this hub's estimates at most ``MAX_AGE`` of the hub's clock late.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from hub.db.base import core_connection
from hub.db.refcache import table_written

WATCHED = frozenset({"queue_visits", "operator_spans"})
OPEN_ROWS = {"queue_visits": "ended_at"}
"""A row inserted with this column NULL is in nothing kept (a visit not over yet): a ticket
issued, which opens a visit, does not make the visits' lengths read again."""
MAX_AGE = timedelta(seconds=60)
MAX_ENTRIES = 5_000
_BEGUN = "cherga_slow_begun"
_WROTE = "cherga_slow_written"

T = TypeVar("T")


@dataclass
class _State:
    """One engine's kept values and the tick of each watched table's last change."""

    tick: int = 0
    changed: dict[str, int] = field(default_factory=dict)
    values: dict[Hashable, tuple[str, int, datetime, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def change(self, table: str) -> None:
        with self.lock:
            self.tick += 1
            self.changed[table] = self.tick


_STATES: WeakKeyDictionary[Any, _State] = WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _state(pool: Any) -> _State:
    found = _STATES.get(pool)
    if found is None:
        with _STATES_LOCK:
            found = _STATES.setdefault(pool, _State())
    return found


def install(engine: Engine) -> None:
    """Watch ``engine``'s transactions for writes of the watched tables."""
    state = _state(engine.pool)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.info[_BEGUN] = state.tick
        connection.info.pop(_WROTE, None)

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(
        connection: Connection, _cursor: Any, statement: str, _params: Any, context: Any, *_: Any
    ) -> None:
        table = table_written(statement)
        if table in WATCHED and not _opens_rows(table, statement, context):
            state.change(table)
            connection.info.setdefault(_WROTE, set()).add(table)

    def _on_end(connection: Connection) -> None:
        for table in connection.info.pop(_WROTE, ()):
            state.change(table)
        connection.info.pop(_BEGUN, None)

    event.listen(engine, "commit", _on_end)
    event.listen(engine, "rollback", _on_end)


def _opens_rows(table: str, statement: str, context: Any) -> bool:
    """Whether the statement only inserts rows still open (``OPEN_ROWS``); False when unsure."""
    column = OPEN_ROWS.get(table)
    rows = getattr(context, "compiled_parameters", None)
    if column is None or not rows or statement[:7].upper() != "INSERT ":
        return False
    return all(isinstance(row, dict) and row.get(column) is None for row in rows)


def clear(engine: Engine) -> None:
    """Forget every value kept for ``engine`` (the next estimates read the rows)."""
    state = _state(engine.pool)
    with state.lock:
        state.values.clear()


def kept(
    session: Session,
    table: str,
    key: Hashable,
    now: datetime,
    tz: tzinfo,
    load: Callable[[], T],
) -> T:
    """``load()``, or what it returned for ``key`` if still good at ``now`` (see the module).

    ``load`` must read only ``table`` and return a value nobody changes.
    """
    connection = core_connection(session)
    info = connection.info
    begun = info.get(_BEGUN)
    if begun is None or table in info.get(_WROTE, ()):
        return load()  # an engine without the listener, or this transaction changed the rows
    state = _state(connection.engine.pool)
    found = state.values.get(key)
    if found is not None:
        _table, read_in, read_at, value = found
        if read_in >= state.changed.get(table, 0) and _fresh(read_at, now, tz):
            return value  # type: ignore[no-any-return]
    value = load()
    if table not in info.get(_WROTE, ()) and begun >= state.changed.get(table, 0):
        with state.lock:
            if len(state.values) >= MAX_ENTRIES:
                state.values.clear()
            state.values[key] = (table, begun, now, value)
    return value


def _fresh(read_at: datetime, now: datetime, tz: tzinfo) -> bool:
    """Read at most ``MAX_AGE`` before ``now`` (not after it), in the same local hour."""
    if not read_at <= now <= read_at + MAX_AGE:
        return False
    then, here = read_at.astimezone(tz), now.astimezone(tz)
    return (then.date(), then.hour) == (here.date(), here.hour)
