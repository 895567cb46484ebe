"""The SQLite engine's writer lock: one writer at a time, whichever thread ends a transaction."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from hub.db.engine import make_engine, make_session_factory, transaction


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
