"""Whether a hub is running on a data folder: every hub holds a shared lock on ``hub.lock``.

A restore takes the same lock exclusively, so it sees a running hub (and a hub cannot start in
the middle of a restore). The lock is the kernel's (``flock``): it goes with the process, so a
hub killed by a power cut or SIGKILL leaves nothing stale behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "hub.lock"


class FolderBusy(Exception):
    """Someone holds the data folder in a way that excludes the caller; the message says who."""


def _open(data_dir: Path) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    return os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)


def _holder(descriptor: int) -> str:
    os.lseek(descriptor, 0, os.SEEK_SET)
    text = os.read(descriptor, 64).decode("ascii", "replace").strip()
    return f" (pid {text})" if text.isdigit() else ""


@contextmanager
def hub_lock(data_dir: Path) -> Iterator[None]:
    """Held by a hub while it runs (several hubs may share a folder); FolderBusy during a
    restore."""
    descriptor = _open(data_dir)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(
                f"the data folder {data_dir} is being restored{_holder(descriptor)} "
                "(cherga restore): start the hub when the restore has finished"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(descriptor)


@contextmanager
def exclusive(data_dir: Path) -> Iterator[None]:
    """Held by a restore: FolderBusy naming the hub when one runs on ``data_dir``."""
    descriptor = _open(data_dir)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(
                f"a hub is running on the data folder {data_dir}{_holder(descriptor)}: stop it "
                "first (systemctl stop cherga-hub), or, knowing what it means, pass --force"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(descriptor)
