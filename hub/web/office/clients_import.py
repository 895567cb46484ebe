"""Import of clients, contact persons or settlement documents from CSV or XLSX (CLI-2), with a
progress bar and a report of the rejected rows that downloads as CSV.

The upload is saved to a scratch file and imported by the same service as the API and the
command line (``import_rows``, all or nothing unless "valid rows only"), in a thread with its own
transaction, so the page can show how far it got (a small script asks every half second; without
scripts a "refresh" link does). The job is kept in the database by
``hub.services.clients.import_jobs``: its progress, and its report as message codes shown in each
reader's language. A reload, another page or a restart of the hub still finds it; each user sees
only their own (another's answers 404), the newest ``import_jobs.KEPT`` finished ones, the latest
listed on the upload page. A job cut short by a restart is marked failed when the hub starts
again. The job's pages read it in read-only sessions, so on SQLite they never wait for the
import's writer; there (one writer at a time, the import's) the progress shows the number of rows
until the import ends.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import shutil
import tempfile
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models.clients import ImportJob
from hub.errors import DomainError, Invalid, NotFound
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.clients import import_jobs
from hub.services.clients.import_files import count_csv_rows, is_xlsx, open_table
from hub.services.clients.imports import IMPORT_KINDS
from hub.web.common import SECURITY_HEADERS, error_text, hub_of, page_lang, render
from hub.web.office import session
from hub.web.office.clients_common import BASE, form_failed, refusal, rights, show
from hub.web.office.forms import FormState
from hub.web.office.session import Build, Staff, current_staff

logger = logging.getLogger(__name__)
router = APIRouter()

TEMPLATE = "office/clients_import.html"
JOB_TEMPLATE = "office/clients_import_job.html"
RECENT = 10
RIGHTS: dict[str, DocType] = {
    "clients": DocType.CLIENT,
    "contacts": DocType.CONTACT,
    "documents": DocType.SETTLEMENT_DOCUMENT,
}


def run(hub: Hub, job_id: str, path: str) -> None:
    """Import the saved file in one transaction, noting the progress; removes the file."""
    try:
        with open(path, "rb") as stream:
            xlsx = is_xlsx(stream)
            table = open_table(stream)
            total = table.total if xlsx else count_csv_rows(path)
            with transaction(hub.sessions) as db:
                import_jobs.note_progress(db, job_id=job_id, done=0, total=total)
            progress = import_jobs.progress_recorder(hub.sessions, job_id=job_id)
            with transaction(hub.sessions) as db:
                import_jobs.run_import(
                    db, job_id=job_id, header=table.header, rows=table.rows, progress=progress
                )
    except DomainError as error:
        _failed(hub, job_id, error)
    except Exception:  # a broken file must end the job with a message, never hang the page
        logger.exception("import %s failed", job_id)
        _failed(hub, job_id, DomainError("internal_error"))
    finally:
        os.unlink(path)


def _failed(hub: Hub, job_id: str, error: DomainError) -> None:
    try:
        with transaction(hub.sessions) as db:
            import_jobs.fail_job(db, job_id=job_id, error=error)
    except Exception:  # the next start of the hub marks it failed instead
        logger.exception("import %s: its failure could not be stored", job_id)


def _form(state: FormState | None) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = {"kind": "clients"}
        return {
            "form": state or FormState(values=values),
            "recent": import_jobs.recent_jobs(db, user_id=staff.user_id, limit=RECENT),
            "may": rights(staff.profile),
        }

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
    started: list[tuple[str, str]] = []

    def change(db: Any, staff: Staff) -> str:
        if kind not in IMPORT_KINDS:
            raise Invalid("validation_error", field="kind", details="kind")
        access.require(staff.profile, Action.CREATE, RIGHTS[kind])
        if file is None or not file.filename:
            raise Invalid("import_empty", field="file")
        limit_mb = hub.settings.import_max_mb
        if file.size is not None and file.size > limit_mb * 2**20:
            raise Invalid("file_too_large", field="file", limit_mb=limit_mb)
        job = import_jobs.start_job(
            db, user_id=staff.user_id, kind=kind, valid_only=valid_only == "1"
        )
        descriptor, path = tempfile.mkstemp(prefix="cherga-import-", dir=_scratch(hub))
        with os.fdopen(descriptor, "wb") as out:
            shutil.copyfileobj(file.file, out, 1024 * 1024)
        started.append((job.id, path))
        return f"{BASE}/import/{job.id}"

    failed = form_failed(request, TEMPLATE, _form, shown)
    try:
        answer = session.act(request, csrf, change, failed=failed)
    except BaseException:
        for _job_id, path in started:
            os.unlink(path)
        raise
    # Only now is the job's row committed, for the import's thread to find.
    for job_id, path in started:
        threading.Thread(
            target=run, args=(hub, job_id, path), name=f"import-{job_id}", daemon=True
        ).start()
    return answer


def _scratch(hub: Hub) -> str:
    folder = hub.settings.data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


def _read_job(request: Request, job_id: str) -> tuple[Staff | None, ImportJob | None]:
    """The logged-in user and their job, read without waiting for any import's writer."""
    with hub_of(request).read_sessions() as db:
        staff = current_staff(request, db)
        if staff is None:
            return None, None
        try:
            return staff, import_jobs.get_job(db, job_id=job_id, user_id=staff.user_id)
        except NotFound:
            return staff, None


def _gone(request: Request) -> Response:
    return refusal(request, NotFound("not_found", what="import"), f"{BASE}/import")


@router.get(BASE + "/import/{job_id}", response_model=None)
def job_page(request: Request, job_id: str) -> Response:
    """The import's progress while it runs, its report when it is done."""
    lang = page_lang(request)
    staff, job = _read_job(request, job_id)
    if staff is None:
        return session.to_login(request)
    if job is None:
        return _gone(request)
    report = import_jobs.report_of(job)
    error = import_jobs.error_of(job)
    values = {
        "staff": staff,
        "job": job,
        "running": job.state == import_jobs.RUNNING,
        "report": report.as_dict(lang) if report is not None else None,
        "failure": error_text(lang, error) if error is not None else "",
        "may": rights(staff.profile),
    }
    return render(request, JOB_TEMPLATE, values)


@router.get(BASE + "/import/{job_id}/status", response_model=None)
def job_status(request: Request, job_id: str) -> Response:
    """How far the import is, for the page's progress bar."""
    staff, job = _read_job(request, job_id)
    if staff is None:
        return JSONResponse({"finished": True}, status_code=401)
    if job is None:
        return JSONResponse({"finished": True}, status_code=404)
    body = {"done": job.done, "total": job.total, "finished": job.state != import_jobs.RUNNING}
    return JSONResponse(body, headers=SECURITY_HEADERS)


@router.get(BASE + "/import/{job_id}/report.csv", response_model=None)
def job_report(request: Request, job_id: str) -> Response:
    """The rejected rows as CSV (UTF-8 with a BOM, ";" — what a spreadsheet here opens)."""
    lang = page_lang(request)
    staff, job = _read_job(request, job_id)
    if staff is None:
        return session.to_login(request)
    if job is None:
        return _gone(request)
    report = import_jobs.report_of(job)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["row", "column", "code", "reason"])
    for row in report.as_dict(lang)["rejected"] if report is not None else []:
        writer.writerow([row["row"], row["field"] or "", row["code"], row["reason"]])
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="import-{job.kind}-rejected.csv"',
    }
    return Response(
        "\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers
    )
