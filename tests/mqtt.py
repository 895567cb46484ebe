"""A real Mosquitto for tests: started on a free loopback port, stopped by PID.

Built on hub.broker.mosquitto, the same runner the hub's embedded broker uses. Passwords are
hashed in Python into Mosquitto's ``$7$`` format (hub.broker.passwords), not via mosquitto_passwd.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hub.broker.mosquitto import (
    reload_process,
    spawn,
    stop_process,
    write_files,
)
from hub.broker.passwords import hash_password
from tests.pg import free_port


@dataclass
class Broker:
    """A running test broker."""

    host: str
    port: int
    folder: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """SIGTERM, then kill if needed; waits for the process."""
        stop_process(self.process)

    def restart(self) -> None:
        """Stop and start again on the same port with the same files (persistence kept)."""
        self.stop()
        self.process = spawn(self.folder, self.host, self.port)

    def reload(self) -> None:
        """SIGHUP: re-read the password and ACL files."""
        reload_process(self.process)


def open_for_broker(folder: Path) -> None:
    """Let Mosquitto's own user traverse to ``folder`` (pytest's temp folders are 0700 root).

    Only the execute (traverse) bit is added, and only on folders under the system temp folder,
    so Mosquitto can run as its user from the start and save its persistence file.
    """
    if os.geteuid() != 0:
        return
    folder.mkdir(parents=True, exist_ok=True)
    temp_root = Path(tempfile.gettempdir()).resolve()
    for part in [folder.resolve(), *folder.resolve().parents]:
        if part == temp_root or temp_root not in part.parents:
            break
        part.chmod(part.stat().st_mode | stat.S_IXOTH)


def start_mosquitto(
    folder: Path,
    *,
    passwords: dict[str, str] | None = None,
    acl: str | None = None,
    port: int | None = None,
) -> Broker:
    """Start Mosquitto with files in ``folder``; ``passwords`` None allows anonymous clients.

    ``acl`` is the text of a Mosquitto ACL file. Raises with the log tail if it dies.
    """
    open_for_broker(folder)
    host = "127.0.0.1"
    chosen = port if port is not None else free_port()
    hashes = None if passwords is None else {u: hash_password(p) for u, p in passwords.items()}
    write_files(folder, host=host, port=chosen, hashes=hashes, acl=acl)
    return Broker(host, chosen, folder, spawn(folder, host, chosen))
