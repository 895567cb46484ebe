"""Attachment files in the data folder: streamed to disk, size-limited, checksummed."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hub.errors import Invalid

CHUNK = 64 * 1024


@dataclass(frozen=True)
class StoredFile:
    """A file written to the store."""

    stored_name: str
    size: int
    sha256: str


class FileStore:
    """Files under ``root``, named by random ids (never by what the uploader called them)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path(self, stored_name: str) -> Path:
        """Where a stored file lives; refuses names that are not ours."""
        if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name[0] == ".":
            raise ValueError(f"not a stored file name: {stored_name!r}")
        return self.root / stored_name[:2] / stored_name

    def save(self, stream: BinaryIO) -> StoredFile:
        """Copy ``stream`` into the store; Invalid (file_too_large) past the size limit."""
        stored_name = uuid.uuid4().hex
        final = self.path(stored_name)
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_suffix(".part")
        digest = hashlib.sha256()
        size = 0
        try:
            with open(partial, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise Invalid(
                            "file_too_large",
                            field="file",
                            limit_mb=round(self.max_bytes / 2**20, 1),
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return StoredFile(stored_name=stored_name, size=size, sha256=digest.hexdigest())

    def delete(self, stored_name: str) -> None:
        """Remove a stored file if it is there."""
        self.path(stored_name).unlink(missing_ok=True)
