"""Attachments of projects, events and tasks (PRJ-7, EVT-4, TSK-6): files kept in step with rows."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.config import Settings
from hub.db.engine import transaction
from hub.db.models import Attachment, Event, EventType, Task, TaskStatus
from hub.services.access import rights as access
from hub.services.access.users import get_user
from hub.services.projects import attachments
from hub.services.projects.attachments import clean_content_type, clean_filename
from tests.conftest import UserFactory, make_settings

Headers = dict[str, str]
LIMIT_MB = 0.01  # about 10 KB: enough to cross it cheaply


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """A test hub with a small attachment limit."""
    return make_settings(db_url, tmp_path, attachment_max_mb=LIMIT_MB)


def stored_files(hub: Hub) -> list[Path]:
    root = hub.settings.data_dir / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def row_count(hub: Hub) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count(Attachment.id))) or 0)


def new_project(client: TestClient, headers: Headers, **fields: Any) -> int:
    reply = client.post("/api/v1/projects", headers=headers, json={"name": "Проект", **fields})
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def new_event_and_task(hub: Hub) -> tuple[int, int]:
    now = datetime.now(UTC)
    with transaction(hub.sessions) as session:
        type_id = session.scalar(select(EventType.id).limit(1))
        status_id = session.scalar(select(TaskStatus.id).where(TaskStatus.code == "assigned"))
        assert type_id is not None and status_id is not None
        event = Event(number="E-1", type_id=type_id, starts_at=now)
        task = Task(
            number="T-1",
            name="Задача",
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            status_id=status_id,
        )
        session.add_all([event, task])
        session.flush()
        return event.id, task.id


def upload(
    client: TestClient,
    headers: Headers,
    url: str,
    content: bytes,
    filename: str = "file.txt",
    content_type: str = "text/plain",
    name: str | None = None,
) -> Any:
    data = {"name": name} if name is not None else None
    return client.post(
        url, headers=headers, files={"file": (filename, content, content_type)}, data=data
    )


def test_upload_list_download_on_every_owner(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    project = new_project(client, admin_headers)
    event, task = new_event_and_task(hub)
    content = "Звіт за квартал\n".encode() * 100
    for owner, owner_id in (("projects", project), ("events", event), ("tasks", task)):
        url = f"/api/v1/{owner}/{owner_id}/attachments"
        reply = upload(
            client, admin_headers, url, content, "Звіт «Київ» 2025.pdf", "application/pdf"
        )
        assert reply.status_code == 201, reply.text
        attachment = reply.json()
        assert attachment[f"{owner[:-1]}_id"] == owner_id
        assert attachment["name"] == attachment["original_filename"] == "Звіт «Київ» 2025.pdf"
        assert attachment["size"] == len(content)
        assert attachment["sha256"] == hashlib.sha256(content).hexdigest()
        named = upload(client, admin_headers, url, b"x", name="  Договір   підписаний ").json()
        assert named["name"] == "Договір підписаний" and named["original_filename"] == "file.txt"
        listed = client.get(url, headers=admin_headers).json()
        assert [a["id"] for a in listed["items"]] == [attachment["id"], named["id"]]

        download = client.get(
            f"/api/v1/attachments/{attachment['id']}/content", headers=admin_headers
        )
        assert download.status_code == 200
        assert download.content == content
        assert hashlib.sha256(download.content).hexdigest() == attachment["sha256"]
        assert download.headers["content-type"].startswith("application/pdf")
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        encoded = disposition.split("filename*=UTF-8''", 1)[1]
        assert unquote(encoded) == "Звіт «Київ» 2025.pdf"
        assert disposition.isascii()
    # The stored names are random: nothing of the uploader's name reaches the disk.
    assert len(stored_files(hub)) == 6
    assert all("Звіт" not in path.name for path in stored_files(hub))
    for owner in ("projects", "events", "tasks"):
        reply = upload(client, admin_headers, f"/api/v1/{owner}/999999/attachments", b"x")
        assert reply.status_code == 404, reply.text
    assert len(stored_files(hub)) == 6 and row_count(hub) == 6


def test_file_over_the_limit_leaves_nothing_behind(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    project = new_project(client, admin_headers)
    url = f"/api/v1/projects/{project}/attachments"
    limit = int(LIMIT_MB * 2**20)
    reply = upload(client, admin_headers, url, b"a" * (limit + 1), "big.bin")
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert error["code"] == "file_too_large" and error["fields"][0]["field"] == "file"
    assert row_count(hub) == 0
    assert stored_files(hub) == []
    reply = upload(client, admin_headers, url, b"a" * limit, "exact.bin")
    assert reply.status_code == 201, reply.text
    assert len(stored_files(hub)) == 1


def test_file_names_are_cleaned_for_display() -> None:
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\Олена\\звіт.docx") == "звіт.docx"
    assert clean_filename("a\x00b\nc\u202e.txt") == "abc.txt"
    assert clean_filename("..") == "file" and clean_filename(None) == "file"
    long = clean_filename("я" * 400 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")
    assert clean_content_type("text/plain; charset=utf-8") == "text/plain"
    assert clean_content_type("evil\r\nheader: x") == "application/octet-stream"
    assert clean_content_type(None) == "application/octet-stream"


def test_unsafe_names_through_the_api(client: TestClient, admin_headers: Headers, hub: Hub) -> None:
    project = new_project(client, admin_headers)
    url = f"/api/v1/projects/{project}/attachments"
    reply = upload(client, admin_headers, url, b"x", "../../../../tmp/evil.sh", name="a\x00b")
    assert reply.status_code == 201, reply.text
    assert reply.json()["original_filename"] == "evil.sh"
    assert reply.json()["name"] == "a b"
    assert not (hub.settings.data_dir / "evil.sh").exists()
    download = client.get(
        f"/api/v1/attachments/{reply.json()['id']}/content", headers=admin_headers
    )
    assert 'filename="evil.sh"' in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert client.post(url, headers=admin_headers, data={"name": "no file"}).status_code == 422
    reply = upload(client, admin_headers, url, b"x", name="я" * 301)
    assert reply.status_code == 422
    assert len(stored_files(hub)) == 1 and row_count(hub) == 1


def test_rights_are_needed_and_refusals_leave_nothing(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    reply = client.post(
        "/api/v1/journals",
        headers=admin_headers,
        json={"code": "docs", "name_uk": "Документи", "name_en": "Documents"},
    )
    journal = reply.json()["id"]
    free = new_project(client, admin_headers)
    in_journal = new_project(client, admin_headers, journal_id=journal)
    kept = upload(client, admin_headers, f"/api/v1/projects/{free}/attachments", b"keep").json()
    _, reader = make_user("reader")
    reply = upload(client, reader, f"/api/v1/projects/{free}/attachments", b"x")
    assert reply.status_code == 403 and reply.json()["error"]["right"] == "attachment:create"
    reply = client.delete(f"/api/v1/attachments/{kept['id']}", headers=reader)
    assert reply.status_code == 403 and reply.json()["error"]["right"] == "attachment:delete"
    # Reading needs only access to the system.
    assert client.get(f"/api/v1/projects/{free}/attachments", headers=reader).status_code == 200
    content = client.get(f"/api/v1/attachments/{kept['id']}/content", headers=reader)
    assert content.content == b"keep"

    _, writer = make_user("writer", rights={"attachment": "cd"})
    reply = upload(client, writer, f"/api/v1/projects/{in_journal}/attachments", b"x")
    assert reply.status_code == 403, reply.text
    assert reply.json()["error"]["right"] == f"journal:{journal}:create"
    assert row_count(hub) == 1 and len(stored_files(hub)) == 1
    reply = upload(client, writer, f"/api/v1/projects/{free}/attachments", b"mine")
    assert reply.status_code == 201
    assert (
        client.delete(f"/api/v1/attachments/{reply.json()['id']}", headers=writer).status_code
        == 204
    )
    assert row_count(hub) == 1 and len(stored_files(hub)) == 1


def test_delete_removes_the_row_then_the_file(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    project = new_project(client, admin_headers)
    url = f"/api/v1/projects/{project}/attachments"
    first = upload(client, admin_headers, url, b"one").json()
    second = upload(client, admin_headers, url, b"two").json()
    assert len(stored_files(hub)) == 2
    assert (
        client.delete(f"/api/v1/attachments/{first['id']}", headers=admin_headers).status_code
        == 204
    )
    assert len(stored_files(hub)) == 1
    assert (
        client.get(f"/api/v1/attachments/{first['id']}", headers=admin_headers).status_code == 404
    )
    assert (
        client.get(f"/api/v1/attachments/{first['id']}/content", headers=admin_headers).status_code
        == 404
    )
    assert (
        client.delete(f"/api/v1/attachments/{first['id']}", headers=admin_headers).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/attachments/{second['id']}/content", headers=admin_headers).content
        == b"two"
    )

    # A deletion that is rolled back keeps the row and the file.
    with pytest.raises(RuntimeError), transaction(hub.sessions) as session:
        admin = access.load_profile(session, get_user(session, 1))
        attachments.delete_attachment(
            session, store=hub.files, profile=admin, attachment_id=second["id"]
        )
        raise RuntimeError("the transaction fails after the deletion")
    assert row_count(hub) == 1 and len(stored_files(hub)) == 1

    # Deleting the project (no events, no tasks) takes its files along, after the commit.
    assert client.delete(f"/api/v1/projects/{project}", headers=admin_headers).status_code == 204
    assert row_count(hub) == 0 and stored_files(hub) == []


def test_deleting_events_and_tasks_takes_their_files(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    event, task = new_event_and_task(hub)
    for owner, owner_id in (("events", event), ("tasks", task)):
        for content in (b"one", b"two"):
            reply = upload(
                client, admin_headers, f"/api/v1/{owner}/{owner_id}/attachments", content
            )
            assert reply.status_code == 201, reply.text
    kept = new_project(client, admin_headers)
    upload(client, admin_headers, f"/api/v1/projects/{kept}/attachments", b"kept")
    assert len(stored_files(hub)) == 5

    assert client.delete(f"/api/v1/tasks/{task}", headers=admin_headers).status_code == 204
    assert row_count(hub) == 3 and len(stored_files(hub)) == 3
    # An archived event deleted from the archive (EVT-5) takes its files too.
    reply = client.post("/api/v1/events/archive", headers=admin_headers, json={"ids": [event]})
    assert reply.status_code == 200, reply.text
    reply = client.post(
        "/api/v1/events/archive/delete", headers=admin_headers, json={"ids": [event]}
    )
    assert reply.status_code == 200, reply.text
    assert row_count(hub) == 1
    assert [path.read_bytes() for path in stored_files(hub)] == [b"kept"]

    # A plain event deletion too.
    second, _ = new_event_and_task(hub)
    upload(client, admin_headers, f"/api/v1/events/{second}/attachments", b"gone")
    assert client.delete(f"/api/v1/events/{second}", headers=admin_headers).status_code == 204
    assert [path.read_bytes() for path in stored_files(hub)] == [b"kept"]


def test_failed_transaction_removes_the_written_file(hub: Hub, client: TestClient) -> None:
    with transaction(hub.sessions) as session:
        admin = access.load_profile(session, get_user(session, 1))
        event_type = session.scalar(select(EventType.id).limit(1))
        assert event_type is not None
        event = Event(number="E", type_id=event_type, starts_at=datetime.now(UTC))
        session.add(event)
        session.flush()
        event_id = event.id
    with pytest.raises(RuntimeError), transaction(hub.sessions) as session:
        attachments.create_attachment(
            session,
            store=hub.files,
            profile=admin,
            kind="event",
            owner_id=event_id,
            stream=io.BytesIO(b"data"),
            filename="a.txt",
            content_type="text/plain",
        )
        assert len(stored_files(hub)) == 1  # written before the row
        raise RuntimeError("the transaction fails after the file was written")
    assert stored_files(hub) == [] and row_count(hub) == 0
    # A savepoint inside a committed transaction does not lose the file.
    with transaction(hub.sessions) as session:
        attachment = attachments.create_attachment(
            session,
            store=hub.files,
            profile=admin,
            kind="event",
            owner_id=event_id,
            stream=io.BytesIO(b"data"),
            filename="a.txt",
            content_type=None,
        )
        with session.begin_nested():
            session.flush()
    assert row_count(hub) == 1 and len(stored_files(hub)) == 1
    assert attachment.content_type == "application/octet-stream"


def test_missing_file_is_a_clear_404(client: TestClient, admin_headers: Headers, hub: Hub) -> None:
    project = new_project(client, admin_headers)
    attachment = upload(
        client, admin_headers, f"/api/v1/projects/{project}/attachments", b"x", name="Акт"
    ).json()
    for path in stored_files(hub):
        path.unlink()
    reply = client.get(f"/api/v1/attachments/{attachment['id']}/content", headers=admin_headers)
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "att_file_missing"
    assert "Акт" in reply.json()["error"]["message"]
