"""The worker loop the phone agent and the line agent share: queued jobs one after another, in
order, and a housekeeping job at least every ``interval`` seconds even while jobs keep coming."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

Job = Callable[[], None]


def run_jobs(jobs: queue.Queue[Job | None], housekeeping: Job, interval: float, name: str) -> None:
    """Run ``jobs`` until a None arrives; a failing job is logged and the next one runs."""
    due = time.monotonic() + interval
    while True:
        try:
            job = jobs.get(timeout=max(0.0, due - time.monotonic()))
        except queue.Empty:
            job = housekeeping
        if job is None:
            return
        # Timeouts are checked on time even while events keep coming.
        batch = [job]
        if job is not housekeeping and time.monotonic() >= due:
            batch.append(housekeeping)
        for each in batch:
            if each is housekeeping:
                due = time.monotonic() + interval
            try:
                each()
            except Exception:
                logger.exception("%s job failed", name)
