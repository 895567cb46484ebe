"""A separate process taking numbers, standing in for a second hub on the same database."""

from __future__ import annotations

import threading
from datetime import date

from hub.db.engine import make_engine, make_session_factory, transaction
from hub.services.settings.numbering import next_number


def take_numbers(url: str, threads: int, per_thread: int, doc_type: str, on: str) -> list[int]:
    """Take ``threads * per_thread`` numbers concurrently; each in its own transaction."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    results: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker() -> None:
        start.wait()
        for _ in range(per_thread):
            with transaction(sessions) as session:
                number = next_number(session, doc_type=doc_type, on=date.fromisoformat(on))
            with lock:
                results.append(number.value)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    engine.dispose()
    return results
