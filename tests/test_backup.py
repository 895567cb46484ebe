"""``cherga backup`` and ``cherga restore`` on SQLite and PostgreSQL: a copy taken while tickets
are issued holds every acknowledged one, and a restore refuses what it must."""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

import hub.db.models  # noqa: F401  (registers every table)
from hub.bootstrap import Hub
from hub.config import Settings
from hub.db.base import Base
from hub.db.engine import make_engine
from hub.db.migrate import current_revision, head_revision, upgrade
from hub.maintenance import databases
from hub.maintenance.archive import BackupError
from hub.maintenance.backup import backups_in, create_backup, prune, restore_backup
from hub.maintenance.running import FolderBusy, exclusive, hub_lock
from tests.conftest import (
    UserFactory,
    drop_postgres_database,
    make_settings,
    new_postgres_database,
)
from tests.mqtt import open_for_broker
from tests.pg import PostgresServer, free_port

pytestmark = pytest.mark.timeout(300)
Q = "/api/v1/queue"
CHERGA = [sys.executable, "-m", "hub.cli"]


@pytest.fixture
def target(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings of another office to restore into: an empty database and data folder."""
    data_dir = tmp_path / "restored"
    if backend == "sqlite":
        yield make_settings(f"sqlite:///{data_dir / 'cherga.db'}", data_dir)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = new_postgres_database(server)
    yield make_settings(url, data_dir)
    drop_postgres_database(server, url)


def _service(client: TestClient, headers: dict[str, str]) -> int:
    reply = client.post(
        "/api/v1/projects", headers=headers, json={"name": "Паспорти", "uses_queue": True}
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def _schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def _assert_consistent(url: str) -> None:
    """At this code's schema, the models' tables, every reference intact."""
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision()
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert connection.exec_driver_sql("PRAGMA integrity_check").all() == [("ok",)]
        else:
            # pg_restore created the foreign keys after the data: each was checked then.
            keys = sum(len(inspect(engine).get_foreign_keys(t)) for t in Base.metadata.tables)
            assert keys > 20
    finally:
        engine.dispose()


# SQLite cannot reflect the lower(username) index (tests/test_migrations.py).
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_a_backup_taken_while_tickets_are_issued_holds_every_acknowledged_one(
    client: TestClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    hub: Hub,
    settings: Settings,
    target: Settings,
    tmp_path: Path,
) -> None:
    _, hall = make_user(rights={"event": "cu"})
    service = _service(client, admin_headers)
    upload = client.post(
        f"/api/v1/projects/{service}/attachments",
        headers=admin_headers,
        files={"file": ("договір.pdf", b"%PDF-1.4 the contract", "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    (settings.data_dir / "tls").mkdir(mode=0o700)
    # Any bytes will do: what matters here is that the CA's key travels, and stays private.
    (settings.data_dir / "tls" / "ca.key").write_bytes(b"the office's CA key")

    acknowledged: list[int] = []
    stop = threading.Event()
    failures: list[str] = []

    def issue() -> None:
        while not stop.is_set():
            reply = client.post(f"{Q}/tickets", headers=hall, json={"service_id": service})
            if reply.status_code != 201:
                failures.append(reply.text)
                return
            acknowledged.append(int(reply.json()["ticket"]["id"]))

    issuer = threading.Thread(target=issue, name="issuer")
    issuer.start()
    try:
        deadline = time.monotonic() + 60
        while len(acknowledged) < 10 and not failures:
            assert time.monotonic() < deadline, "no tickets were issued"
            time.sleep(0.02)
        before = list(acknowledged)  # each acknowledged before the backup began
        made = create_backup(settings, folder=tmp_path / "backups")
        during = len(acknowledged) - len(before)
        deadline = time.monotonic() + 30
        while len(acknowledged) < len(before) + during + 5 and not failures:
            assert time.monotonic() < deadline, "issuing stopped after the backup"
            time.sleep(0.02)
    finally:
        stop.set()
        issuer.join(timeout=60)
    assert failures == []
    assert os.stat(made.path).st_mode & 0o777 == 0o600, "it holds the CA's key"
    assert made.manifest.schema_revision == head_revision()
    assert made.manifest.database == (
        "sqlite" if hub.engine.dialect.name == "sqlite" else "postgresql"
    )
    assert "files/tls/ca.key" in made.manifest.files

    result = restore_backup(target, made.path)
    assert result.revision == head_revision()
    url = target.effective_database_url
    _assert_consistent(url)
    assert _schema_diff(url) == []
    restored = {int(row[0]) for row in _rows(url, "SELECT id FROM queue_tickets")}
    assert set(before) <= restored, sorted(set(before) - restored)
    # Nothing acknowledged after the copy ended is in it, and the numbers stayed unique.
    assert not set(acknowledged[len(before) + during :]) & restored
    numbers = _rows(url, "SELECT number FROM queue_tickets")
    assert len(numbers) == len(set(numbers)) == len(restored)
    # The office's files came back: the attachment's bytes and the CA, private.
    (stored,) = _rows(url, "SELECT stored_name FROM attachments")
    name = str(stored[0])
    copy = target.data_dir / "attachments" / name[:2] / name
    assert copy.read_bytes() == b"%PDF-1.4 the contract"
    restored_key = target.data_dir / "tls" / "ca.key"
    assert restored_key.read_bytes() == b"the office's CA key"
    assert restored_key.stat().st_mode & 0o777 == 0o600
    assert (target.data_dir / "tls").stat().st_mode & 0o777 == 0o700


def _rewrite(archive: Path, out: Path, change: str) -> None:
    """A copy of ``archive`` with one member's bytes changed (manifest kept as it was)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(out, "w:gz") as copy:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == change:
                data = data[:-1] + bytes([data[-1] ^ 1])
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_tampered_or_damaged_archive_is_refused_and_nothing_changes(
    hub: Hub, settings: Settings, target: Settings, tmp_path: Path
) -> None:
    (settings.data_dir / "tls").mkdir(mode=0o700)
    (settings.data_dir / "tls" / "ca.crt").write_text("the CA certificate")
    made = create_backup(settings, folder=tmp_path / "backups")
    restore_backup(target, made.path)
    users = _rows(target.effective_database_url, "SELECT count(*) FROM users")
    (target.data_dir / "tls" / "ca.crt").write_text("a later certificate")

    for member in ("database/cherga.db", "files/tls/ca.crt"):
        tampered = tmp_path / f"tampered-{member.replace('/', '-')}.tar.gz"
        _rewrite(made.path, tampered, member)
        with pytest.raises(BackupError, match=f"does not match its manifest .*changed: {member}"):
            restore_backup(target, tampered)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(made.path.read_bytes()[: made.size // 2])
    with pytest.raises(BackupError, match="damaged or incomplete"):
        restore_backup(target, truncated)
    stranger = tmp_path / "stranger.tar.gz"
    with tarfile.open(stranger, "w:gz") as tar:
        info = tarfile.TarInfo("../etc/passwd")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(BackupError, match="unexpected entry"):
        restore_backup(target, stranger)
    # Nothing was touched by the refusals.
    assert _rows(target.effective_database_url, "SELECT count(*) FROM users") == users
    assert (target.data_dir / "tls" / "ca.crt").read_text() == "a later certificate"
    assert not list(target.data_dir.glob(".cherga-restore-*"))


def test_a_copy_from_a_newer_schema_is_refused(
    hub: Hub, settings: Settings, target: Settings, tmp_path: Path
) -> None:
    with hub.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    made = create_backup(settings, folder=tmp_path / "backups")
    assert made.manifest.schema_revision == "0999"
    with pytest.raises(BackupError, match=r"0999.* comes from a newer version"):
        restore_backup(target, made.path)
    assert inspect(make_engine(target.effective_database_url)).get_table_names() == []


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_an_older_copy_is_restored_then_migrated_up(
    empty_db_url: str, target: Settings, tmp_path: Path
) -> None:
    old = make_settings(empty_db_url, tmp_path / "old")
    engine = make_engine(empty_db_url)
    upgrade(engine, "0008")
    engine.dispose()
    made = create_backup(old, folder=tmp_path / "backups")
    assert made.manifest.schema_revision == "0008"
    result = restore_backup(target, made.path)
    assert result.revision == head_revision()
    _assert_consistent(target.effective_database_url)
    assert _schema_diff(target.effective_database_url) == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_keep_prunes_the_oldest_archives_and_nothing_else(
    hub: Hub, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("the administrator's own file")
    (folder / "cherga-backup-old.tar.gz").write_text("not one of ours by its name")
    made = [create_backup(settings, folder=folder, keep=2) for _ in range(4)]
    assert backups_in(folder) == [m.path for m in made[-2:]]
    assert made[2].pruned == [made[0].path] and made[3].pruned == [made[1].path]
    assert (folder / "notes.txt").exists() and (folder / "cherga-backup-old.tar.gz").exists()
    assert prune(folder, 1) == [made[2].path]
    with pytest.raises(BackupError, match="--keep must be 1 or more"):
        create_backup(settings, folder=folder, keep=0)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_restore_refuses_while_the_hub_holds_the_data_folder(
    hub: Hub, settings: Settings, tmp_path: Path
) -> None:
    made = create_backup(settings, folder=tmp_path / "backups")
    with hub_lock(settings.data_dir):
        with pytest.raises(BackupError, match=r"a hub is running on the data folder .*\(pid \d+\)"):
            restore_backup(settings, made.path)
        # --force: the administrator knows better (the lock is this test's own).
        assert restore_backup(settings, made.path, force=True).revision == head_revision()
    assert restore_backup(settings, made.path).revision == head_revision()


def test_no_hub_starts_while_a_restore_holds_the_folder(tmp_path: Path) -> None:
    with (
        exclusive(tmp_path),
        pytest.raises(FolderBusy, match="is being restored"),
        hub_lock(tmp_path),
    ):
        pass
    with hub_lock(tmp_path), hub_lock(tmp_path):  # hubs share a folder among themselves
        pass


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_killed_backups_scratch_is_cleared_by_the_next(
    hub: Hub, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    (folder / ".cherga-backup-x1").mkdir(parents=True)
    (folder / ".cherga-backup-x1" / "cherga.db").write_bytes(b"a copy")
    (folder / ".cherga-backup-20261201T000000000000Z.tar.gz.part").write_bytes(b"half")
    fresh = folder / ".cherga-backup-x2"
    fresh.mkdir()  # another backup's, running now
    day_old = time.time() - 2 * 86400
    for old in (".cherga-backup-x1", ".cherga-backup-20261201T000000000000Z.tar.gz.part"):
        os.utime(folder / old, (day_old, day_old))
    create_backup(settings, folder=folder)
    assert sorted(p.name for p in folder.glob(".cherga-*")) == [fresh.name]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_restore_refuses_a_database_another_hub_uses(
    hub: Hub, settings: Settings, tmp_path: Path
) -> None:
    made = create_backup(settings, folder=tmp_path / "backups")
    with hub.engine.connect() as connection:  # a hub elsewhere, connected to the database
        connection.execute(text("SELECT 1"))
        with pytest.raises(BackupError, match=r"the database is in use .*stop every hub"):
            restore_backup(settings, made.path)


def test_missing_postgresql_tools_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(glob, "glob", lambda _pattern: [])
    monkeypatch.setenv("PATH", "")
    with pytest.raises(BackupError, match="install Debian's postgresql-client"):
        databases.find_pg_tools()


def test_the_password_goes_to_libpq_by_the_environment() -> None:
    env = databases.libpq_environment(
        "postgresql+psycopg://cherga:s3cret@db.example:6543/office?sslmode=require"
    )
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == (
        "db.example",
        "6543",
        "cherga",
        "office",
    )
    assert env["PGPASSWORD"] == "s3cret" and env["PGSSLMODE"] == "require"


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
    env.update(
        CHERGA_DATA_DIR=str(data_dir),
        CHERGA_ADMIN_PASSWORD="admin-secret-1",
        CHERGA_PASSWORD_HASH_MEMORY_KIB="1024",
        CHERGA_PASSWORD_HASH_TIME_COST="1",
        **extra,
    )
    return env


def _cherga(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHERGA, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_commands_against_a_running_hub(tmp_path: Path) -> None:
    """``cherga backup`` beside a running ``cherga hub``; ``cherga restore`` refused until it
    stops, then accepted."""
    data_dir = tmp_path / "data"
    open_for_broker(data_dir / "mqtt")
    http_port = free_port()
    env = _env(
        data_dir,
        CHERGA_PORT=str(http_port),
        CHERGA_HTTPS="false",
        CHERGA_MQTT_PORT=str(free_port()),
    )
    log = (tmp_path / "hub.log").open("wb")
    process = subprocess.Popen([*CHERGA, "hub"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "hub.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "hub.log").read_text()
            time.sleep(0.2)
        made = _cherga(env, "backup", "--to", str(tmp_path / "backups"), "--keep", "3")
        assert made.returncode == 0, made.stderr
        (archive,) = backups_in(tmp_path / "backups")
        assert f"backup: {archive}" in made.stdout
        refused = _cherga(env, "restore", str(archive))
        assert refused.returncode == 1
        assert f"a hub is running on the data folder {data_dir} (pid {process.pid})" in (
            refused.stderr
        )
        assert "--force" in refused.stderr
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
    restored = _cherga(env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert f"schema now: {head_revision()}" in restored.stdout
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    for name in ("ca.crt", "ca.key", "server.crt", "server.key"):
        assert f"files/tls/{name}" in manifest["files"]
        digest = hashlib.sha256((data_dir / "tls" / name).read_bytes()).hexdigest()
        assert manifest["files"][f"files/tls/{name}"]["sha256"] == digest
    assert sqlite3.connect(data_dir / "cherga.db").execute("SELECT count(*) FROM users").fetchone()
