"""The printer agent's memory of finished jobs, kept in a small file in its state folder.

MQTT QoS 1 may deliver a job twice (a reconnect before the acknowledgement), and the hub may
send it again after its own restart; paper must not come out twice. The agent writes each
finished job's id and answer here before it answers, so a repeated job gets the first answer,
also after the agent restarts. Only the most recent ``keep`` jobs are remembered.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from uuid import UUID

from hub.protocol.base import ErrorInfo

logger = logging.getLogger(__name__)

FILE_NAME = "printed-jobs.json"


class JobStore:
    """Job id -> its answer (None for printed, else the error), oldest first."""

    def __init__(self, folder: Path, keep: int = 1000) -> None:
        self.path = Path(folder) / FILE_NAME
        self._keep = keep
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, ErrorInfo | None] = OrderedDict()
        self._load()

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            entries = raw["jobs"]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # A damaged file must not stop printing; duplicates are then possible once.
            logger.warning("ignoring unreadable %s: %s", self.path, exc)
            return
        for entry in entries:
            try:
                error = entry.get("error")
                self._jobs[str(UUID(entry["job_id"]))] = (
                    ErrorInfo.model_validate(error) if error else None
                )
            except (ValueError, KeyError, TypeError, AttributeError):
                continue

    def get(self, job_id: UUID) -> tuple[bool, ErrorInfo | None]:
        """(known, error) for a job: known is False for a job never finished here."""
        with self._lock:
            key = str(job_id)
            if key not in self._jobs:
                return False, None
            return True, self._jobs[key]

    def put(self, job_id: UUID, error: ErrorInfo | None) -> None:
        """Remember a finished job durably (written and synced before returning)."""
        with self._lock:
            self._jobs[str(job_id)] = error
            self._jobs.move_to_end(str(job_id))
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
            entries = [
                {"job_id": key, "error": None if err is None else err.model_dump()}
                for key, err in self._jobs.items()
            ]
            self._write({"saved_at": time.time(), "jobs": entries})

    def _write(self, data: object) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(data, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
