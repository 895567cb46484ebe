"""A throwaway PostgreSQL server for the test session: started on a free port, stopped by PID."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_pg_bin() -> Path | None:
    """The newest PostgreSQL server's bin folder (Debian layout), or one on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4])
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("postgres")
    return Path(found).parent if found else None


@dataclass
class PostgresServer:
    """A running server; ``url(db)`` gives a SQLAlchemy URL for a database on it."""

    process: subprocess.Popen[bytes]
    port: int
    datadir: Path
    user: str

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database``."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its files."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_postgres(bin_dir: Path) -> PostgresServer:
    """initdb into a temporary folder and start ``postgres`` on a free loopback port."""
    as_root = os.geteuid() == 0
    run_as: dict[str, object] = {}
    base = Path(tempfile.mkdtemp(prefix="cherga-pg-"))
    datadir = base / "data"
    if as_root:
        # PostgreSQL refuses to run as root: run it as Debian's postgres user.
        entry = pwd.getpwnam("postgres")
        os.chown(base, entry.pw_uid, entry.pw_gid)
        run_as = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        db_user = "postgres"
    else:
        db_user = pwd.getpwuid(os.geteuid()).pw_name
    subprocess.run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(datadir),
            "-A",
            "trust",
            "-U",
            db_user,
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        cwd=base,
        **run_as,  # type: ignore[arg-type]
    )
    port = free_port()
    log = open(base / "postgres.log", "wb")  # noqa: SIM115 (lives as long as the server)
    process = subprocess.Popen(
        [
            str(bin_dir / "postgres"),
            "-D",
            str(datadir),
            "-p",
            str(port),
            "-k",
            str(base),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=base,
        **run_as,  # type: ignore[arg-type]
    )
    server = PostgresServer(process=process, port=port, datadir=datadir, user=db_user)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited: {(base / 'postgres.log').read_text()[-2000:]}")
        ready = subprocess.run(
            [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
        )
        if ready.returncode == 0:
            return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError("postgres did not become ready in 30 s")
