"""The SQLite engine's writer lock: one writer at a time, whichever thread ends a transaction."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

from sqlalchemy import text

from hub.db.engine import checkpoint, make_engine, make_session_factory, transaction


def test_a_write_begun_on_one_thread_may_end_on_another(tmp_path: Path) -> None:
    # FastAPI runs a session dependency's setup and its exit on different pool threads; the
    # writer lock taken at BEGIN must be released at COMMIT wherever that happens.
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
    session = sessions()
    session.begin()
    session.execute(text("INSERT INTO t VALUES (1)"))
    failures: list[BaseException] = []

    def commit_elsewhere() -> None:
        try:
            session.commit()
            session.close()
        except BaseException as exc:  # reported below
            failures.append(exc)

    other = threading.Thread(target=commit_elsewhere)
    other.start()
    other.join(timeout=30)
    assert failures == [] and not other.is_alive()

    # The lock is free again: the next writer, on yet another thread, gets in and sees the row.
    seen: list[int] = []

    def write_again() -> None:
        with transaction(sessions) as again:
            again.execute(text("INSERT INTO t VALUES (2)"))
            seen.extend(again.scalars(text("SELECT n FROM t ORDER BY n")))

    writer = threading.Thread(target=write_again)
    writer.start()
    writer.join(timeout=30)
    assert not writer.is_alive() and seen == [1, 2]
    engine.dispose()


def test_a_checkpoint_folds_the_log_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        session.execute(text("CREATE TABLE t (n INTEGER, pad TEXT)"))
    for batch in range(20):
        with transaction(sessions) as session:
            rows = [{"n": batch * 100 + k, "pad": "x" * 500} for k in range(100)]
            session.execute(text("INSERT INTO t VALUES (:n, :pad)"), rows)
    wal = tmp_path / "wal.db-wal"
    assert wal.stat().st_size > 500_000  # below SQLite's own threshold: nothing folded yet
    with transaction(sessions) as writer:  # PASSIVE: neither waits for nor blocks a writer
        writer.execute(text("INSERT INTO t VALUES (-1, '')"))
        assert checkpoint(engine) == 0
    copy = tmp_path / "copy.db"
    shutil.copy(tmp_path / "wal.db", copy)  # the database file alone, without its log
    with closing(sqlite3.connect(copy)) as plain:
        assert plain.execute("SELECT count(*) FROM t").fetchone()[0] == 2000
    with transaction(sessions) as session:  # and the row written meanwhile is not lost
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 2001
    engine.dispose()


def test_checkpoint_is_nothing_on_postgresql() -> None:
    assert checkpoint(make_engine("postgresql://nobody@127.0.0.1:1/none")) is None
