"""Run a Mosquitto process in a folder of its own: config, password file, ACL, persistence.

One runner for the hub's embedded broker, the benchmark and the test suite, so that what the
tests exercise is exactly what the hub starts. Mosquitto is a foreground child process, stopped by
its PID; it never daemonizes, and it gets SIGTERM when the thread that started it ends (Linux
parent-death signal), so start it from a long-lived thread (the main one).
"""

from __future__ import annotations

import ctypes
import logging
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.broker.passwords import is_mosquitto_hash

CONF_NAME = "mosquitto.conf"
PASSWD_NAME = "passwd"
ACL_NAME = "acl"
LOG_NAME = "mosquitto.log"
PID_NAME = "mosquitto.pid"
# Mosquitto's default of 1000 queued messages per client drops bursts to a slow (re)connecting
# device; the queue must survive a display being offline for a while.
MAX_QUEUED_MESSAGES = 100_000
_RUN_AS = "mosquitto"
logger = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1
# Loaded here, not in the forked child, where taking locks (imports, malloc) may deadlock.
_LIBC = ctypes.CDLL(None, use_errno=True)


class BrokerError(Exception):
    """The broker cannot be started or managed; the message fits on one line (or ends in a log
    tail when the process died)."""


def find_mosquitto() -> str:
    """Path of the mosquitto binary, or a one-line error saying what to do."""
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None
    )
    if found is None:
        raise BrokerError(
            "mosquitto is not installed: install it (apt install mosquitto) "
            "or set CHERGA_MQTT_URL to an existing broker"
        )
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _owner() -> tuple[int, int] | None:
    """The uid/gid Mosquitto drops to when started as root (None when we are not root)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(_RUN_AS)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace ``path`` atomically so a SIGHUP never sees half a file; readable by Mosquitto."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    owner = _owner()
    if owner is not None:
        os.chown(tmp, *owner)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def render_password_file(hashes: Mapping[str, str]) -> str:
    """``user:$7$...`` lines; refuses anything that is not a Mosquitto hash or a safe name."""
    lines = []
    for user, hashed in sorted(hashes.items()):
        if not user or any(c in user for c in ":\n\r #+/") or not is_mosquitto_hash(hashed):
            raise BrokerError(f"refusing a bad password-file entry for user {user!r}")
        lines.append(f"{user}:{hashed}\n")
    return "".join(lines)


def render_config(
    folder: Path, host: str, port: int, *, anonymous: bool, with_acl: bool, stay_root: bool = False
) -> str:
    """mosquitto.conf for one loopback (or given) listener with persistence in ``folder``."""
    lines = [
        "# Written by Cherga; regenerated on every start: do not edit.",
        *(["user root"] if stay_root else []),
        "per_listener_settings false",
        f"allow_anonymous {'true' if anonymous else 'false'}",
        f"listener {port} {host}",
        "persistence true",
        f"persistence_location {folder.resolve()}/",
        "autosave_interval 60",
        f"max_queued_messages {MAX_QUEUED_MESSAGES}",
        "max_inflight_messages 100",
        "set_tcp_nodelay true",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
    ]
    if not anonymous:
        lines.append(f"password_file {(folder / PASSWD_NAME).resolve()}")
    if with_acl:
        lines.append(f"acl_file {(folder / ACL_NAME).resolve()}")
    return "\n".join(lines) + "\n"


def write_auth(folder: Path, *, hashes: Mapping[str, str] | None, acl: str | None) -> None:
    """Rewrite only the password file and ACL (what a SIGHUP re-reads)."""
    if hashes is not None:
        _write(folder / PASSWD_NAME, render_password_file(hashes))
    if acl is not None:
        _write(folder / ACL_NAME, acl)


def write_files(
    folder: Path,
    *,
    host: str,
    port: int,
    hashes: Mapping[str, str] | None,
    acl: str | None,
) -> Path:
    """Write config, password file and ACL into ``folder``; ``hashes`` None allows anonymous."""
    folder.mkdir(parents=True, exist_ok=True)
    owner = _owner()
    if owner is not None:
        # Mosquitto saves its persistence file here after dropping root.
        os.chown(folder, *owner)
    write_auth(folder, hashes=hashes, acl=acl)
    conf = folder / CONF_NAME
    # Run as root, Mosquitto drops to its own user before reading its password file. When that
    # user cannot reach the folder (a data folder under /root, pytest's 0700 temp folders) it
    # could not start at all, so it stays root instead, still only on the configured listener.
    stay_root = owner is not None and not reachable_by(folder, *owner)
    if stay_root:
        logger.warning(
            "user %s cannot reach %s: the broker runs as root; give the folder's parents "
            "the execute bit to let it run as %s",
            _RUN_AS,
            folder,
            _RUN_AS,
        )
    text = render_config(
        folder, host, port, anonymous=hashes is None, with_acl=acl is not None, stay_root=stay_root
    )
    _write(conf, text, 0o644)
    return conf


def reachable_by(folder: Path, uid: int, gid: int) -> bool:
    """Whether a process of uid/gid can reach ``folder`` (execute bit on every ancestor)."""
    for part in [folder.resolve(), *folder.resolve().parents]:
        info = part.stat()
        if info.st_uid == uid:
            allowed = bool(info.st_mode & stat.S_IXUSR)
        elif info.st_gid == gid:
            allowed = bool(info.st_mode & stat.S_IXGRP)
        else:
            allowed = bool(info.st_mode & stat.S_IXOTH)
        if not allowed:
            return False
    return True


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the thread that started the broker dies (even SIGKILLed),
    so a crashed hub or test run never leaves a broker holding its port."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def log_tail(folder: Path, chars: int = 2000) -> str:
    """The end of the broker's log, for error messages."""
    try:
        return (folder / LOG_NAME).read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


def spawn(folder: Path, host: str, port: int, *, timeout: float = 15.0) -> subprocess.Popen[bytes]:
    """Start Mosquitto on the files in ``folder`` and wait until it accepts TCP connections."""
    binary = find_mosquitto()
    log = open(folder / LOG_NAME, "ab")  # noqa: SIM115 (handed to the child)
    try:
        owner = _owner()
        run_as: dict[str, Any] = {}
        if owner is not None and reachable_by(folder, *owner):
            # Start it as its own user rather than letting it drop root itself: a change of
            # credentials inside the child would clear the parent-death signal set below.
            # (Otherwise write_files made it stay root: see there.)
            run_as = {"user": owner[0], "group": owner[1], "extra_groups": []}
        process = subprocess.Popen(
            [binary, "-c", str((folder / CONF_NAME).resolve())],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
            start_new_session=True,  # a Ctrl-C in the hub's terminal is for the hub to handle
            preexec_fn=_die_with_parent,
            **run_as,
        )
    finally:
        log.close()
    (folder / PID_NAME).write_text(f"{process.pid}\n", encoding="ascii")
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise BrokerError(
                f"mosquitto exited with code {process.returncode}: {log_tail(folder)}"
            )
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return process
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_process(process)
            raise BrokerError(f"mosquitto did not listen on {host}:{port}: {log_tail(folder)}")
        time.sleep(0.02)


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    """SIGTERM (Mosquitto saves persistence), then SIGKILL if it hangs; always reaped."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def reload_process(process: subprocess.Popen[bytes]) -> None:
    """SIGHUP: Mosquitto re-reads its password file and ACL."""
    if process.poll() is not None:
        raise BrokerError(f"mosquitto is not running (exit code {process.returncode})")
    process.send_signal(signal.SIGHUP)


def signal_pid_file(folder: Path) -> bool:
    """SIGHUP a broker started by another process (the hub) from its PID file in ``folder``.

    Returns False when there is no such broker running (nothing to reload).
    """
    try:
        pid = int((folder / PID_NAME).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmd:
            if b"mosquitto" not in cmd.read():
                return False  # a stale PID now used by something else
        os.kill(pid, signal.SIGHUP)
    except (OSError, ProcessLookupError):
        return False
    return True


@dataclass
class Mosquitto:
    """A running Mosquitto: where it listens, its folder and its process."""

    host: str
    port: int
    folder: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @classmethod
    def start(
        cls,
        folder: Path,
        *,
        hashes: Mapping[str, str] | None,
        acl: str | None,
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> Mosquitto:
        """Write the files and start the broker (on a free port unless one is given)."""
        chosen = port if port is not None else free_port(host)
        write_files(folder, host=host, port=chosen, hashes=hashes, acl=acl)
        return cls(host, chosen, folder, spawn(folder, host, chosen))

    def stop(self) -> None:
        """Stop the broker; its persistence file stays in the folder."""
        stop_process(self.process)
        (self.folder / PID_NAME).unlink(missing_ok=True)

    def restart(self) -> None:
        """Stop and start again on the same port and files (retained messages survive)."""
        self.stop()
        self.process = spawn(self.folder, self.host, self.port)

    def reload(self) -> None:
        """Re-read the password file and ACL (after ``update``)."""
        reload_process(self.process)

    def update(self, *, hashes: Mapping[str, str] | None, acl: str | None) -> None:
        """Rewrite the password file and ACL, then SIGHUP."""
        write_files(self.folder, host=self.host, port=self.port, hashes=hashes, acl=acl)
        self.reload()
