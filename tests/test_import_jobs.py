"""Import jobs of the back-office kept in the database (CLI-2): a report outlives the hub's
process, a job cut short by a restart is marked failed at the next start, each user sees only
their own jobs and only the newest ones are kept.

Over HTTP against the hub's own app (in process), on SQLite and PostgreSQL; a "restart" is a
new hub and a new app built on the same database.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub, bootstrap, build_hub
from hub.config import Settings
from hub.db.engine import transaction
from hub.db.models import User
from hub.db.models.clients import Client, ImportJob
from hub.errors import Invalid
from hub.services.clients import import_jobs
from hub.services.clients.imports import ImportReport, Rejection
from tests.conftest import ADMIN_PASSWORD, UserFactory

pytestmark = pytest.mark.timeout(120)

CSV = (
    "Назва;Код;Телефон\n"
    "ПАТ Гамма;00032129;067 555 44 33\n"
    "ТОВ Погана;12345670;067 555 44 34\n"
    "ТОВ Дельта;;067 555 44 35\n"
)


def web_login(web: TestClient, username: str, password: str) -> str:
    """Log a TestClient in to the back-office; returns a form token of its session."""
    page = web.get("/console/login?lang=en")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    reply = web.post(
        "/console/login",
        data={"csrf": token.group(1), "username": username, "password": password},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    again = re.search(r'name="csrf" value="([^"]+)"', web.get("/office/clients/import").text)
    assert again
    return again.group(1)


def start_import(web: TestClient, token: str, tmp_path: Path, *, valid_only: bool) -> str:
    """Upload the file; returns the job's page once the import has finished."""
    path = tmp_path / "clients.csv"
    path.write_text(CSV, encoding="utf-8")
    data = {"csrf": token, "kind": "clients", **({"valid_only": "1"} if valid_only else {})}
    with path.open("rb") as stream:
        reply = web.post(
            "/office/clients/import",
            data=data,
            files={"file": ("clients.csv", stream, "text/csv")},
            follow_redirects=False,
        )
    assert reply.status_code == 303, reply.text
    job = str(reply.headers["location"])
    deadline = time.monotonic() + 30
    while not web.get(f"{job}/status").json()["finished"]:
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.05)
    return job


def job_row(hub: Hub, job_id: str) -> ImportJob:
    with hub.sessions() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        return job


def test_a_finished_report_outlives_a_restart_and_is_only_its_users(
    hub: Hub, settings: Settings, make_user: UserFactory, tmp_path: Path
) -> None:
    make_user("olena", rights={"client": "c"}, lang="en")
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "olena", "user-password-1")
        job = start_import(web, token, tmp_path, valid_only=True)
        before = web.get(f"{job}/report.csv?lang=en").content
    job_id = job.rsplit("/", 1)[1]
    stored = job_row(hub, job_id)
    assert (stored.state, stored.done, stored.total, stored.error_code) == ("done", 3, 3, None)
    assert stored.report is not None and stored.report["rejected"][0]["code"] == (
        "client_tax_number_checksum"
    )
    hub.close()

    # A restart: a new hub and app on the same database; the report is read from it.
    again = build_hub(settings)
    try:
        with TestClient(create_app(again)) as web:
            web_login(web, "olena", "user-password-1")
            reply = web.get(f"{job}/report.csv?lang=en")
            assert reply.status_code == 200
            assert reply.content == before
            lines = reply.content.decode("utf-8-sig").splitlines()
            assert lines[0] == "row;column;code;reason"
            assert lines[1].startswith("3;tax_number;client_tax_number_checksum;")
            # Shown in the reader's language, whatever language it was made in.
            page = web.get(f"{job}?lang=uk").text
            assert 'id="count-imported">2<' in page and "контрольн" in page.lower()
            assert "check digit" in web.get(f"{job}?lang=en").text
            # And listed among her recent imports.
            assert f'href="{job}"' in web.get("/office/clients/import?lang=en").text
        # Another user does not see it: not found, not even named.
        with TestClient(create_app(again)) as web:
            web_login(web, "admin", ADMIN_PASSWORD)
            for path in (job, f"{job}/report.csv", f"{job}/status"):
                assert web.get(path).status_code == 404, path
    finally:
        again.close()


def test_a_running_job_is_marked_failed_when_the_hub_starts(
    hub: Hub, settings: Settings, client: TestClient
) -> None:
    with transaction(hub.sessions) as session:
        admin = session.scalar(select(User.id).where(User.username == "admin"))
        assert admin is not None
        job = import_jobs.start_job(session, user_id=admin, kind="clients", valid_only=False)
        job_id = job.id
    # A command run beside a running hub (an import, a device list) leaves it alone.
    bootstrap(settings, announce=lambda _message: None).close()
    assert job_row(hub, job_id).state == "running"
    # The hub's own start marks it failed, with the reason.
    bootstrap(settings, announce=lambda _message: None, serving=True).close()
    failed = job_row(hub, job_id)
    assert (failed.state, failed.error_code) == ("failed", "import_interrupted")
    assert failed.finished_at is not None
    with TestClient(create_app(hub)) as web:
        web_login(web, "admin", ADMIN_PASSWORD)
        assert web.get(f"/office/clients/import/{job_id}/status").json()["finished"]
        page = web.get(f"/office/clients/import/{job_id}?lang=en").text
        assert "The hub restarted during the import; nothing of it was saved." in page
        page = web.get(f"/office/clients/import/{job_id}?lang=uk").text
        assert "Концентратор перезапустився під час імпорту" in page


def test_an_all_or_nothing_import_stores_its_report_and_no_clients(
    hub: Hub, client: TestClient, tmp_path: Path
) -> None:
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "admin", ADMIN_PASSWORD)
        job = start_import(web, token, tmp_path, valid_only=False)
        assert "Nothing was stored" in web.get(f"{job}?lang=en").text
    stored = job_row(hub, job.rsplit("/", 1)[1])
    assert stored.state == "done" and stored.report is not None
    assert stored.report["stored"] is False and stored.report["rejected_count"] == 1
    with hub.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Client)) == 0


def test_a_refused_file_fails_the_job_with_its_message(
    hub: Hub, client: TestClient, tmp_path: Path
) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("Колонка;Інша\nx;y\n", encoding="utf-8")
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "admin", ADMIN_PASSWORD)
        with path.open("rb") as stream:
            reply = web.post(
                "/office/clients/import",
                data={"csrf": token, "kind": "clients"},
                files={"file": ("clients.csv", stream, "text/csv")},
                follow_redirects=False,
            )
        job = str(reply.headers["location"])
        deadline = time.monotonic() + 30
        while not web.get(f"{job}/status").json()["finished"]:
            assert time.monotonic() < deadline, "the import did not finish"
            time.sleep(0.05)
        assert 'id="failure"' in web.get(f"{job}?lang=en").text
    stored = job_row(hub, job.rsplit("/", 1)[1])
    assert (stored.state, stored.error_code) == ("failed", "import_missing_column")
    assert stored.error_params == {"field": "file", "column": "name"}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_only_the_newest_finished_jobs_are_kept_per_user(hub: Hub, client: TestClient) -> None:
    with hub.sessions() as session:
        admin = session.scalar(select(User.id).where(User.username == "admin"))
        assert admin is not None
    report = ImportReport(kind="clients", valid_only=True, rows=1, rejected_count=1)
    report.rejected.append(Rejection(2, "name", "import_required", {"max": 3}))
    with transaction(hub.sessions) as session:
        ids = []
        for _ in range(import_jobs.KEPT + 3):
            job = import_jobs.start_job(session, user_id=admin, kind="clients", valid_only=True)
            import_jobs.fail_job(session, job_id=job.id, error=Invalid("import_empty"))
            ids.append(job.id)
        running = import_jobs.start_job(session, user_id=admin, kind="contacts", valid_only=False)
    with hub.sessions() as session:
        kept = set(session.scalars(select(ImportJob.id)))
    # The newest KEPT finished ones and the running one; the three oldest are gone.
    assert kept == {*ids[-import_jobs.KEPT :], running.id}
    again = import_jobs.report_from(import_jobs.report_data(report))
    assert again == report
    assert again.as_dict("en")["rejected"][0]["reason"] == "The field is required."


def test_a_long_import_notes_its_progress_apart_from_its_own_transaction(
    hub: Hub, client: TestClient, tmp_path: Path
) -> None:
    # More than two batches: on PostgreSQL each is noted in a transaction of its own while the
    # import's is open (on SQLite, the one writer, only the total before and the end).
    rows = "".join(f"Клієнт {n};;\n" for n in range(1, 1101))
    path = tmp_path / "many.csv"
    path.write_text("Назва;Код;Телефон\n" + rows, encoding="utf-8")
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "admin", ADMIN_PASSWORD)
        with path.open("rb") as stream:
            reply = web.post(
                "/office/clients/import",
                data={"csrf": token, "kind": "clients"},
                files={"file": ("many.csv", stream, "text/csv")},
                follow_redirects=False,
            )
        job = str(reply.headers["location"])
        seen = []
        deadline = time.monotonic() + 60
        while not (status := web.get(f"{job}/status").json())["finished"]:
            seen.append(status["done"])
            assert time.monotonic() < deadline, "the import did not finish"
            time.sleep(0.02)
    assert all(done <= 1100 for done in seen)
    stored = job_row(hub, job.rsplit("/", 1)[1])
    assert (stored.state, stored.done, stored.total) == ("done", 1100, 1100)
    with hub.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Client)) == 1100
