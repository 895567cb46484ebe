"""Imports started from the back-office, kept in the database as jobs (CLI-2).

A job is a row of ``import_jobs``, seen by its own user only:

- **start**: the row is inserted (``running``) when the upload is accepted; the user's finished
  jobs beyond the newest ``KEPT`` are deleted then.
- **progress**: the rows checked so far, each note in a short transaction of its own (never the
  import's). SQLite has one writer at a time and the import's transaction is it, so there the
  progress is noted only before the import begins (the number of rows) and when it ends.
- **finish**: the report is stored as data (rejections as message codes with their parameters,
  so each reader sees them in their own language) in the import's own transaction: it is
  committed exactly when the import is.
- **failure**: the refusal's message code and parameters, in a transaction after the import's
  rolled back.

A hub that stops mid-import leaves its job ``running``; the next start of the hub marks it failed
(``import_interrupted``), which is true to the letter: the import is one transaction, so nothing
of it was saved.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.db.base import utcnow
from hub.db.engine import transaction
from hub.db.models.clients import ImportJob
from hub.errors import DomainError, NotFound
from hub.services.clients.imports import (
    IMPORT_KINDS,
    ImportKind,
    ImportReport,
    Rejection,
    import_rows,
)

logger = logging.getLogger(__name__)

KEPT = 50
"""Finished jobs kept per user; older ones are deleted when the user starts another."""
RUNNING, DONE, FAILED = "running", "done", "failed"
INTERRUPTED = "import_interrupted"
"""The failure of a job that was running when its hub stopped."""


def start_job(session: Session, *, user_id: int, kind: ImportKind, valid_only: bool) -> ImportJob:
    """A new running job of the user (its row inserted), after forgetting their oldest ones."""
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    finished = (
        select(ImportJob.id)
        .where(ImportJob.user_id == user_id, ImportJob.state != RUNNING)
        .order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
        .offset(KEPT)
    )
    old = list(session.scalars(finished))
    if old:
        session.execute(delete(ImportJob).where(ImportJob.id.in_(old)))
    job = ImportJob(
        id=secrets.token_urlsafe(12),
        user_id=user_id,
        kind=kind,
        valid_only=valid_only,
        state=RUNNING,
        done=0,
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, *, job_id: str, user_id: int) -> ImportJob:
    """The job, if it is this user's; NotFound otherwise (another's is not even named)."""
    job = session.get(ImportJob, job_id[:32])
    if job is None or job.user_id != user_id:
        raise NotFound("not_found", what="import")
    return job


def recent_jobs(session: Session, *, user_id: int, limit: int = 10) -> list[ImportJob]:
    """The user's newest jobs, newest first."""
    query = (
        select(ImportJob)
        .where(ImportJob.user_id == user_id)
        .order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def note_progress(session: Session, *, job_id: str, done: int, total: int | None = None) -> None:
    """How many rows a running job has checked (and of how many, when known)."""
    values: dict[str, Any] = {"done": done}
    if total is not None:
        values["total"] = total
    session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.state == RUNNING).values(values)
    )


def progress_recorder(
    sessions: sessionmaker[Session], *, job_id: str
) -> Callable[[int], None] | None:
    """What the import calls after each batch: a note in a transaction of its own, or None
    where the database has one writer at a time (SQLite: the import's transaction holds it)."""
    with sessions() as probe:  # names the database; connects to nothing
        if probe.get_bind().dialect.name == "sqlite":
            return None

    def record(done: int) -> None:
        try:
            with transaction(sessions) as session:
                note_progress(session, job_id=job_id, done=done)
        except Exception:  # the progress bar is a courtesy: never let it stop the import
            logger.warning("import %s: its progress could not be noted", job_id, exc_info=True)

    return record


def run_import(
    session: Session,
    *,
    job_id: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the job's rows in the caller's transaction and store its report in the same one,
    so the report is saved exactly when the import is."""
    job = session.get(ImportJob, job_id)
    if job is None or job.state != RUNNING:
        raise NotFound("not_found", what="import")
    kind: ImportKind = job.kind  # type: ignore[assignment]
    report = import_rows(
        session,
        kind=kind,
        header=header,
        rows=rows,
        valid_only=job.valid_only,
        progress=progress,
    )
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(state=DONE, done=report.rows, report=report_data(report), finished_at=utcnow())
    )
    return report


def fail_job(session: Session, *, job_id: str, error: DomainError) -> None:
    """A running job ended by a refusal or a fault: its message code and parameters."""
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.state == RUNNING)
        .values(
            state=FAILED,
            error_code=error.code,
            error_params=_plain(error.params),
            finished_at=utcnow(),
        )
    )


def fail_interrupted(session: Session) -> int:
    """Mark failed every job a previous hub process left running (call it when the hub
    starts, before it serves); returns how many there were."""
    result = session.execute(
        update(ImportJob)
        .where(ImportJob.state == RUNNING)
        .values(state=FAILED, error_code=INTERRUPTED, error_params={}, finished_at=utcnow())
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        logger.warning("%s import(s) were cut short by a restart of the hub: marked failed", count)
    return count


def report_of(job: ImportJob) -> ImportReport | None:
    """The report of a finished job, as the import made it."""
    return None if job.report is None else report_from(job.report)


def error_of(job: ImportJob) -> DomainError | None:
    """Why a failed job failed, as the refusal it was."""
    if job.state != FAILED:
        return None
    return DomainError(job.error_code or "internal_error", **(job.error_params or {}))


# --- the report as data ------------------------------------------------------------------------


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters a JSON column keeps as they are (anything else as its text)."""
    return {
        str(key): value
        if isinstance(value, str | int | float | bool) or value is None
        else str(value)
        for key, value in params.items()
    }


def report_data(report: ImportReport) -> dict[str, Any]:
    """A report as JSON-ready data: counts, and rejections as codes with parameters."""
    return {
        "kind": report.kind,
        "valid_only": report.valid_only,
        "rows": report.rows,
        "imported": report.imported,
        "rejected_count": report.rejected_count,
        "duplicates": report.duplicates,
        "stored": report.stored,
        "rejected": [
            {"row": r.row, "field": r.field, "code": r.code, "params": _plain(r.params)}
            for r in report.rejected
        ],
    }


def report_from(data: dict[str, Any]) -> ImportReport:
    """The report stored by ``report_data``."""
    return ImportReport(
        kind=str(data.get("kind", "")),
        valid_only=bool(data.get("valid_only")),
        rows=int(data.get("rows", 0)),
        imported=int(data.get("imported", 0)),
        rejected_count=int(data.get("rejected_count", 0)),
        duplicates=int(data.get("duplicates", 0)),
        stored=bool(data.get("stored")),
        rejected=[
            Rejection(
                int(item["row"]), item.get("field"), str(item["code"]), item.get("params") or {}
            )
            for item in data.get("rejected", [])
        ],
    )
