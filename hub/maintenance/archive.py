"""The backup archive: a gzip'd tar of the database copy and the office's files, with a manifest.

Members: ``database/cherga.db`` (SQLite) or ``database/cherga.pgdump`` (pg_dump's custom
format), ``files/...`` (a copy of chosen folders of the data folder), and ``manifest.json``
last, which names every other member with its size and SHA-256. Reading checks all of it:
a member the manifest does not name, a missing one or a changed byte refuses the archive.
No database here, only files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT = 1
"""Version of the archive's layout; a reader refuses a newer one."""
MANIFEST = "manifest.json"
DATABASE_DIR = "database"
FILES_DIR = "files"
CHUNK = 1024 * 1024
DatabaseKind = Literal["sqlite", "postgresql"]


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do, on one line."""


class FileEntry(BaseModel):
    """One member of the archive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(ge=0, title="Size", description="Bytes.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", title="SHA-256", description="Hex digest.")


class Manifest(BaseModel):
    """What an archive holds and where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = Field(ge=1, title="Format", description="Version of the archive's layout.")
    created_at: str = Field(title="Created at", description="When the copy was taken (UTC).")
    hub_version: str = Field(title="Hub version", description="Cherga's version that took it.")
    schema_revision: str = Field(
        title="Schema revision", description="The database's Alembic revision in the copy."
    )
    database: DatabaseKind = Field(
        title="Database kind", description="What made the database copy."
    )
    site: str = Field(title="Site", description="The office's site id.")
    files: dict[str, FileEntry] = Field(
        title="Members", description="Every other member of the archive by name."
    )


def safe_name(name: str) -> PurePosixPath:
    """A member's name as a relative path inside the archive; BackupError when it leaves it."""
    path = PurePosixPath(name)
    if (
        not name
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
        or path.parts[0] not in (DATABASE_DIR, FILES_DIR)
    ):
        raise BackupError(f"the archive holds an unexpected entry {name!r}: it is not a backup")
    return path


class _Hashing(io.RawIOBase):
    """Reads a file and hashes what it hands over."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.stream.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


class ArchiveWriter:
    """Adds members to an open archive and collects their checksums for the manifest."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self._tar = tar
        self.files: dict[str, FileEntry] = {}

    def add_file(self, name: str, path: Path) -> None:
        """Add ``path`` as member ``name``. Read through one descriptor: a file replaced
        meanwhile (the hub writes its files by an atomic rename) is still copied whole."""
        safe_name(name)
        with path.open("rb") as stream:
            status = os.fstat(stream.fileno())
            info = tarfile.TarInfo(name)
            info.size = status.st_size
            info.mtime = int(status.st_mtime)
            info.mode = status.st_mode & 0o777
            hashing = _Hashing(stream)
            self._tar.addfile(info, io.BufferedReader(hashing, CHUNK))
        self.files[name] = FileEntry(size=info.size, sha256=hashing.digest.hexdigest())

    def finish(self, manifest: Manifest) -> None:
        """Write the manifest, the last member."""
        data = json.dumps(manifest.model_dump(), indent=2, sort_keys=True).encode("utf-8")
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mtime = int(manifest_time(manifest))
        info.mode = 0o600
        self._tar.addfile(info, io.BytesIO(data))


def manifest_time(manifest: Manifest) -> float:
    """The manifest's creation time as a POSIX timestamp."""
    from datetime import datetime

    return datetime.fromisoformat(manifest.created_at).timestamp()


@contextmanager
def writing(path: Path) -> Iterator[ArchiveWriter]:
    """Write an archive to ``path``, mode 0600 (it holds the office's keys), whole or not at
    all: it is written under a temporary name and renamed once complete and synced."""
    partial = path.with_name(f".{path.name}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                yield ArchiveWriter(tar)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_manifest(data: bytes) -> Manifest:
    """Parse a manifest; BackupError when it is not one this code can read."""
    try:
        raw = json.loads(data)
        version = raw.get("format") if isinstance(raw, dict) else None
        if isinstance(version, int) and version > FORMAT:
            raise BackupError(
                f"the archive's format {version} is newer than this Cherga reads ({FORMAT}): "
                "restore it with the Cherga version that made it or a newer one"
            )
        return Manifest.model_validate(raw)
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise BackupError(f"the archive's manifest is not valid: {first}") from None


def extract_verified(archive: Path, into: Path) -> Manifest:
    """Unpack ``archive`` into the empty folder ``into``, checking every member against the
    manifest; BackupError (leaving ``into`` to the caller to remove) when anything is off."""
    if not archive.is_file():
        raise BackupError(f"no such backup file: {archive}")
    seen: dict[str, FileEntry] = {}
    manifest_data: bytes | None = None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST and member.isfile():
                    stream = tar.extractfile(member)
                    assert stream is not None
                    manifest_data = stream.read(1024 * 1024 * 16)
                    continue
                name = safe_name(member.name)
                if not member.isfile():
                    raise BackupError(f"the archive holds {member.name!r}, not a plain file")
                if manifest_data is not None:
                    raise BackupError("the archive has entries after its manifest: not a backup")
                target = into.joinpath(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                stream = tar.extractfile(member)
                assert stream is not None
                digest = hashlib.sha256()
                size = 0
                with stream, target.open("wb") as out:
                    while chunk := stream.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[member.name] = FileEntry(size=size, sha256=digest.hexdigest())
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, OSError) and exc.filename is not None and exc.filename != str(archive):
            raise BackupError(f"cannot unpack the backup: {exc}") from None
        raise BackupError(
            f"{archive} is damaged or incomplete ({type(exc).__name__}: {exc}): take another copy"
        ) from None
    if manifest_data is None:
        raise BackupError(f"{archive} has no manifest: it is not a Cherga backup, or incomplete")
    manifest = read_manifest(manifest_data)
    missing = sorted(set(manifest.files) - set(seen))
    extra = sorted(set(seen) - set(manifest.files))
    changed = sorted(
        name for name in seen if name in manifest.files and seen[name] != manifest.files[name]
    )
    if missing or extra or changed:
        what = "; ".join(
            part
            for part in (
                f"changed: {', '.join(changed[:5])}" if changed else "",
                f"missing: {', '.join(missing[:5])}" if missing else "",
                f"not in the manifest: {', '.join(extra[:5])}" if extra else "",
            )
            if part
        )
        raise BackupError(
            f"{archive} does not match its manifest ({what}): it was altered or damaged; "
            "nothing was restored"
        )
    return manifest
