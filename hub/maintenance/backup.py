"""``cherga backup`` and ``cherga restore``: the office's database and files in one archive.

A backup copies the database first (a consistent snapshot while the hub runs), then the data
folder's office files: the attachments and the office's certificate authority (``tls``: the CA's
key and certificate are the office's identity, every device trusts them). Broker files
(``mqtt``) are not copied: the hub writes them again from the database on start.

A restore checks the whole archive before it touches anything, refuses a copy from a newer
schema than this code knows, takes the data folder from any hub (or needs ``force``), puts the
database and the files back and migrates an older copy up to this code's schema.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from hub import __version__
from hub.config import Settings
from hub.db.engine import make_engine
from hub.db.migrate import alembic_config, current_revision, head_revision, upgrade
from hub.maintenance import databases
from hub.maintenance.archive import (
    DATABASE_DIR,
    FILES_DIR,
    FORMAT,
    BackupError,
    DatabaseKind,
    Manifest,
    extract_verified,
    writing,
)
from hub.maintenance.running import FolderBusy, exclusive

logger = logging.getLogger(__name__)

OFFICE_FOLDERS = ("attachments", "tls")
"""What of the data folder belongs to the office (the rest is made again or is scratch)."""
BACKUPS_FOLDER = "backups"
NAME_PATTERN = re.compile(r"^cherga-backup-\d{8}T\d{6}(\d{6})?Z\.tar\.gz$")
_SKIPPED_SUFFIXES = (".part", ".tmp")
LEFTOVER_AGE_S = 86400.0


@dataclass(frozen=True)
class BackupResult:
    """An archive written, and the older ones pruned."""

    path: Path
    manifest: Manifest
    size: int
    pruned: list[Path]


@dataclass(frozen=True)
class RestoreResult:
    """What a restore put back."""

    manifest: Manifest
    revision: str | None
    files: int


def database_kind(url: str) -> DatabaseKind:
    """``sqlite`` or ``postgresql``."""
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def default_folder(settings: Settings) -> Path:
    """Where archives go when no ``--to`` is given."""
    return settings.data_dir / BACKUPS_FOLDER


def _office_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    for folder in OFFICE_FOLDERS:
        root = data_dir / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                relative = path.relative_to(data_dir).as_posix()
                if path.name.startswith(".") or path.name.endswith(_SKIPPED_SUFFIXES):
                    continue  # a file being written: not the office's yet
                yield f"{FILES_DIR}/{relative}", path


def _snapshot(
    settings: Settings, engine: Engine, out_dir: Path
) -> tuple[DatabaseKind, Path, str | None]:
    url = settings.effective_database_url
    kind = database_kind(url)
    if kind == "sqlite":
        copy = out_dir / "cherga.db"
        revision = databases.sqlite_snapshot(url, copy)
    else:
        copy = out_dir / "cherga.pgdump"
        revision = databases.pg_snapshot(engine, url, copy)
    return kind, copy, revision


def create_backup(
    settings: Settings, *, folder: Path | None = None, keep: int | None = None
) -> BackupResult:
    """Copy the database and the office's files into a new archive in ``folder``; then keep
    only the newest ``keep`` archives there."""
    if keep is not None and keep < 1:
        raise BackupError("--keep must be 1 or more (the copy just made is always kept)")
    folder = folder or default_folder(settings)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise BackupError(f"cannot make the backup folder {folder}: {exc.strerror}") from None
    _clear_leftovers(folder)
    now = datetime.now(UTC)
    path = folder / f"cherga-backup-{now:%Y%m%dT%H%M%S%f}Z.tar.gz"
    engine = make_engine(settings.effective_database_url)
    try:
        with tempfile.TemporaryDirectory(prefix=".cherga-backup-", dir=folder) as scratch:
            kind, copy, revision = _snapshot(settings, engine, Path(scratch))
            if revision is None:
                raise BackupError(
                    "the database holds no Cherga schema (no Alembic revision): check "
                    "CHERGA_DATABASE_URL, or start the hub once"
                )
            with writing(path) as archive:
                archive.add_file(f"{DATABASE_DIR}/{copy.name}", copy)
                for name, source in _office_files(settings.data_dir):
                    try:
                        archive.add_file(name, source)
                    except FileNotFoundError:
                        logger.info("%s went away during the backup; skipped", source)
                manifest = Manifest(
                    format=FORMAT,
                    created_at=now.isoformat(),
                    hub_version=__version__,
                    schema_revision=revision,
                    database=kind,
                    site=settings.site,
                    files=archive.files,
                )
                archive.finish(manifest)
    except OSError as exc:
        raise BackupError(f"could not write the backup in {folder}: {exc}") from None
    finally:
        engine.dispose()
    pruned = prune(folder, keep) if keep is not None else []
    size = path.stat().st_size
    logger.info("backup %s written (%d bytes, schema %s)", path, size, revision)
    return BackupResult(path=path, manifest=manifest, size=size, pruned=pruned)


def _clear_leftovers(folder: Path) -> None:
    """Scratch of a backup killed midway (a day old: never one running now) goes."""
    cutoff = time.time() - LEFTOVER_AGE_S
    for path in folder.glob(".cherga-backup-*"):
        try:
            if path.lstat().st_mtime >= cutoff:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            logger.warning("could not remove the leftover %s", path)


def backups_in(folder: Path) -> list[Path]:
    """The archives this command made in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and NAME_PATTERN.match(p.name))


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives of ``folder`` (never any other file)."""
    found = backups_in(folder)
    gone = found[: max(0, len(found) - keep)]
    for path in gone:
        path.unlink(missing_ok=True)
        logger.info("pruned the old backup %s", path)
    return gone


def check_revision(revision: str) -> None:
    """BackupError unless this code knows ``revision`` (the copy is not from a newer Cherga)."""
    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"the backup's database is at schema revision {revision}, which this Cherga "
            f"({__version__}, schema {head_revision()}) does not know: it comes from a newer "
            "version; install that version (or newer) to restore it"
        )


def _swap_folder(staged: Path, target: Path) -> None:
    """Replace ``target`` by ``staged`` (same file system): the old one goes only after."""
    old = target.with_name(f".{target.name}.replaced")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staged, target)
    shutil.rmtree(old, ignore_errors=True)


def _secure(folder: Path) -> None:
    """The hub's user alone reads what is restored (private keys, clients' documents);
    certificates stay readable (they are public)."""
    os.chmod(folder, 0o700)
    for path in folder.rglob("*"):
        os.chmod(path, 0o700 if path.is_dir() else 0o644 if path.suffix == ".crt" else 0o600)


def _follow_owner(path: Path, data_dir: Path) -> None:
    """Run as root, give what was restored to the data folder's owner (the hub's user)."""
    if os.geteuid() != 0:
        return
    owner = data_dir.stat()
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.chown(item, owner.st_uid, owner.st_gid)


def restore_backup(settings: Settings, archive: Path, *, force: bool = False) -> RestoreResult:
    """Check ``archive`` and put it back into the configured database and data folder."""
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    kind = database_kind(url)
    try:
        guard = nullcontext() if force else exclusive(data_dir)
        with guard, tempfile.TemporaryDirectory(prefix=".cherga-restore-", dir=data_dir) as work:
            staging = Path(work)
            manifest = extract_verified(archive, staging / "archive")
            check_revision(manifest.schema_revision)
            if manifest.database != kind:
                raise BackupError(
                    f"the backup holds a {manifest.database} database and this hub is "
                    f"configured for {kind}: restore it with a matching CHERGA_DATABASE_URL"
                )
            unpacked = staging / "archive"
            engine = make_engine(url)
            try:
                if kind == "sqlite":
                    copy = unpacked / DATABASE_DIR / "cherga.db"
                    if databases.check_sqlite_copy(copy) != manifest.schema_revision:
                        raise BackupError(
                            "the database copy is not at the manifest's schema revision: "
                            "the archive was altered"
                        )
                    engine.dispose()
                    databases.install_sqlite(copy, url)
                    _follow_owner(databases.sqlite_path(url), data_dir)
                else:
                    if not force and (others := databases.other_sessions(engine)):
                        raise BackupError(
                            f"the database is in use ({'; '.join(others[:3])}): stop every "
                            "hub that uses it first, or, knowing what it means, pass --force"
                        )
                    databases.install_pg(
                        engine, url, unpacked / DATABASE_DIR / "cherga.pgdump", staging
                    )
                files = 0
                for folder in OFFICE_FOLDERS:
                    staged = unpacked / FILES_DIR / folder
                    if staged.is_dir():
                        files += sum(1 for p in staged.rglob("*") if p.is_file())
                        _secure(staged)
                        _swap_folder(staged, data_dir / folder)
                        _follow_owner(data_dir / folder, data_dir)
                upgrade(engine)  # an older copy comes up to this code's schema
                revision = current_revision(engine)
            finally:
                engine.dispose()
    except FolderBusy as exc:
        raise BackupError(str(exc)) from None
    except OSError as exc:
        raise BackupError(f"the restore could not write its files: {exc}") from None
    logger.info(
        "restored %s (taken %s, schema %s, now %s)",
        archive,
        manifest.created_at,
        manifest.schema_revision,
        revision,
    )
    return RestoreResult(manifest=manifest, revision=revision, files=files)
