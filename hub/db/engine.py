"""Engines and sessions for SQLite (WAL, foreign keys, one writer at a time) and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from hub.db import refcache, slowcache

SQLITE_BUSY_TIMEOUT_MS = 30_000
WAL_AUTOCHECKPOINT_PAGES = 8_000
"""SQLite folds the write-ahead log back into the database itself once it holds this many pages
(about 32 MB). The hub's coordinator does it sooner, off the request path (``checkpoint``): the
committing request paid for SQLite's own checkpoint at the default 1000 pages, a 4 ms stall in
every thirty commits (bench/queue.py)."""
READ_ONLY = "cherga_read_only"
"""Execution option of the engine behind ``read_sessions``: transactions that only read."""
_HOLDS_WRITER = "cherga_holds_writer"
_HELD = "cherga_held"


def normalise_url(url: str) -> str:
    """Pick psycopg 3 for PostgreSQL URLs that name no driver."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    # SQLite has one writer at a time. Threads of this process wait for it on a lock of our
    # own (woken in turn by the OS) rather than in SQLite's busy handler, which sleeps and
    # retries with growing pauses and let some writers starve for seconds under load
    # (bench/queue.py). Other processes still meet at SQLite's lock with the busy timeout.
    # A plain Lock, not an RLock: a transaction may end on another thread than the one that
    # began it (FastAPI runs a dependency's exit on any worker thread of its pool), and only a
    # Lock may be released by a thread that does not own it.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # A reader sees the last committed state (WAL) and never blocks a writer.
            connection.exec_driver_sql("BEGIN DEFERRED")
            return
        # A deferred transaction that reads and then writes fails at once if another writer
        # committed meanwhile; taking the write lock at BEGIN makes writers queue instead.
        if not writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise TimeoutError("the database is locked: another write did not end in time")
        connection.info[_HOLDS_WRITER] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    def _release(connection: Any) -> None:
        if connection.info.pop(_HOLDS_WRITER, False):
            writer.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # A connection returned without commit or rollback still lets the next writer in.
        if record.info.pop(_HOLDS_WRITER, False):
            writer.release()


def checkpoint(engine: Engine) -> int | None:
    """SQLite: copy what the write-ahead log holds into the database, without waiting for or
    blocking anyone (PASSIVE); returns the pages left in the log. None on other databases.

    Writers go on meanwhile: the sqlite3 module lets go of the interpreter lock while SQLite
    works, so this runs beside a request rather than inside one."""
    if engine.dialect.name != "sqlite":
        return None
    connection = engine.raw_connection()  # outside any transaction (none may be open)
    try:
        cursor = connection.cursor()
        _busy, logged, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        cursor.close()
    finally:
        connection.close()
    return max(0, int(logged) - int(copied))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with Cherga's connection settings."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _setup_sqlite(engine)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        engine = create_engine(url, **kwargs)
    refcache.install(engine)
    slowcache.install(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading only: on SQLite they neither wait for nor block the writer.

    Writing through one is a mistake SQLite reports ("database is locked") rather than a
    silent race; PostgreSQL treats them like any other session.
    """
    return sessionmaker(bind=engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


def hold_loaded(session: Session) -> None:
    """Keep every object ``session`` loads until it closes.

    SQLAlchemy's identity map holds objects weakly: a user or project loaded by one step of a
    request and dropped is loaded again by the next step's ``session.get``. A short session that
    many steps share (a device's request) keeps them instead and reads each row once.
    """
    session.info.setdefault(_HELD, [])


@event.listens_for(Session, "loaded_as_persistent")
def _hold(session: Session, instance: object) -> None:
    held = session.info.get(_HELD)
    if held is not None:
        held.append(instance)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back if it raises."""
    with factory() as session, session.begin():
        yield session
