"""Import of clients, contact persons or settlement documents from CSV or XLSX (CLI-2), with a
progress bar and a report of the rejected rows that downloads as CSV.

The upload is saved to a scratch file and imported by the same service as the API and the
command line (``import_rows``, all or nothing unless "valid rows only"), in a thread with its own
transaction, so the page can show how far it got: the service reports every batch of rows, the
page reads that (a small script asks every half second; without scripts a "refresh" link does).
The jobs and their reports live in the hub's memory, each visible to its own user only, the last
``KEPT`` of them: a restart forgets them (the import itself is committed or not, as reported).
"""

from __future__ import annotations

import csv
import io
import logging
import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.errors import DomainError, Invalid, NotFound
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.clients.import_files import count_csv_rows, is_xlsx, open_table
from hub.services.clients.imports import IMPORT_KINDS, ImportKind, ImportReport, import_rows
from hub.web.common import SECURITY_HEADERS, error_text, hub_of, page_lang
from hub.web.office import session
from hub.web.office.clients_common import BASE, form_failed, refusal, rights, show
from hub.web.office.forms import FormState
from hub.web.office.session import Build, Staff

logger = logging.getLogger(__name__)
router = APIRouter()

TEMPLATE = "office/clients_import.html"
KEPT = 50
RIGHTS: dict[str, DocType] = {
    "clients": DocType.CLIENT,
    "contacts": DocType.CONTACT,
    "documents": DocType.SETTLEMENT_DOCUMENT,
}


@dataclass
class Job:
    """One import: who started it, how far it is, and its report or the reason it failed."""

    id: str
    user_id: int
    kind: str
    valid_only: bool
    total: int | None = None
    done: int = 0
    finished: bool = False
    report: ImportReport | None = None
    error: DomainError | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Jobs:
    """The recent imports of this hub process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def add(self, job: Job) -> None:
        """Keep a new job, forgetting the oldest finished ones beyond ``KEPT``."""
        with self._lock:
            self._jobs[job.id] = job
            excess = len(self._jobs) - KEPT
            finished = [old.id for old in self._jobs.values() if old.finished]  # oldest first
            for old_id in finished[: max(excess, 0)]:
                del self._jobs[old_id]

    def get(self, job_id: str, user_id: int) -> Job:
        """The job, if it is this user's; NotFound otherwise (another's is not even named)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.user_id != user_id:
            raise NotFound("not_found", what="import")
        return job


def jobs_of(request: Request) -> Jobs:
    """The app's import jobs (made on first use: nothing happens at import time)."""
    state = request.app.state
    with _STATE_LOCK:
        if not hasattr(state, "office_client_imports"):
            state.office_client_imports = Jobs()
    found: Jobs = state.office_client_imports
    return found


_STATE_LOCK = threading.Lock()


def run(hub: Hub, job: Job, path: str) -> None:
    """Import the saved file in one transaction, noting the progress; removes the file."""
    try:
        with open(path, "rb") as stream:
            xlsx = is_xlsx(stream)
            table = open_table(stream)
            job.total = table.total if xlsx else count_csv_rows(path)
            kind: ImportKind = job.kind  # type: ignore[assignment]

            def progress(rows: int) -> None:
                job.done = rows

            with transaction(hub.sessions) as db:
                report = import_rows(
                    db,
                    kind=kind,
                    header=table.header,
                    rows=table.rows,
                    valid_only=job.valid_only,
                    progress=progress,
                )
        job.report = report
    except DomainError as error:
        job.error = error
    except Exception:  # a broken file must end the job with a message, never hang the page
        logger.exception("import %s of %s failed", job.id, job.kind)
        job.error = DomainError("internal_error")
    finally:
        os.unlink(path)
        job.finished = True


def _form(state: FormState | None) -> Build:
    def build(_db: Any, staff: Staff) -> dict[str, Any]:
        values = {"kind": "clients"}
        return {"form": state or FormState(values=values), "may": rights(staff.profile)}

    return build


@router.get(BASE + "/import", response_model=None)
def import_page(request: Request) -> Response:
    """The upload form."""
    return show(request, TEMPLATE, _form(None))


Text = Annotated[str | None, Form()]


@router.post(BASE + "/import", response_model=None)
def start(
    request: Request,
    file: UploadFile | None = None,
    csrf: Text = None,
    kind: Text = None,
    valid_only: Text = None,
) -> Response:
    """Save the upload and start importing it; the browser goes to the job's page."""
    hub = hub_of(request)
    shown = {"kind": kind or "", "valid_only": valid_only or ""}

    def change(_db: Any, staff: Staff) -> str:
        if kind not in IMPORT_KINDS:
            raise Invalid("validation_error", field="kind", details="kind")
        access.require(staff.profile, Action.CREATE, RIGHTS[kind])
        if file is None or not file.filename:
            raise Invalid("import_empty", field="file")
        limit_mb = hub.settings.import_max_mb
        if file.size is not None and file.size > limit_mb * 2**20:
            raise Invalid("file_too_large", field="file", limit_mb=limit_mb)
        descriptor, path = tempfile.mkstemp(prefix="cherga-import-", dir=_scratch(hub))
        with os.fdopen(descriptor, "wb") as out:
            shutil.copyfileobj(file.file, out, 1024 * 1024)
        job = Job(secrets.token_urlsafe(12), staff.user_id, kind, valid_only == "1")
        jobs_of(request).add(job)
        threading.Thread(
            target=run, args=(hub, job, path), name=f"import-{job.id}", daemon=True
        ).start()
        return f"{BASE}/import/{job.id}"

    failed = form_failed(request, TEMPLATE, _form, shown)
    return session.act(request, csrf, change, failed=failed)


def _scratch(hub: Hub) -> str:
    folder = hub.settings.data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


@router.get(BASE + "/import/{job_id}", response_model=None)
def job_page(request: Request, job_id: str) -> Response:
    """The import's progress while it runs, its report when it is done."""
    lang = page_lang(request)

    def build(_db: Any, staff: Staff) -> dict[str, Any]:
        job = jobs_of(request).get(job_id, staff.user_id)
        report = job.report.as_dict(lang) if job.report is not None else None
        failure = error_text(lang, job.error) if job.error is not None else ""
        return {"job": job, "report": report, "failure": failure, "may": rights(staff.profile)}

    return show(request, "office/clients_import_job.html", build)


@router.get(BASE + "/import/{job_id}/status", response_model=None)
def job_status(request: Request, job_id: str) -> Response:
    """How far the import is, for the page's progress bar."""
    staff = session.staff_of(request)
    if staff is None:
        return JSONResponse({"finished": True}, status_code=401)
    try:
        job = jobs_of(request).get(job_id, staff.user_id)
    except NotFound:
        return JSONResponse({"finished": True}, status_code=404)
    body = {"done": job.done, "total": job.total, "finished": job.finished}
    return JSONResponse(body, headers=SECURITY_HEADERS)


@router.get(BASE + "/import/{job_id}/report.csv", response_model=None)
def job_report(request: Request, job_id: str) -> Response:
    """The rejected rows as CSV (UTF-8 with a BOM, ";" — what a spreadsheet here opens)."""
    lang = page_lang(request)
    staff = session.staff_of(request)
    if staff is None:
        return session.to_login(request)
    try:
        job = jobs_of(request).get(job_id, staff.user_id)
    except NotFound as error:
        return refusal(request, error, f"{BASE}/import")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["row", "column", "code", "reason"])
    if job.report is not None:
        for row in job.report.as_dict(lang)["rejected"]:
            writer.writerow([row["row"], row["field"] or "", row["code"], row["reason"]])
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="import-{job.kind}-rejected.csv"',
    }
    return Response(
        "\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers
    )
