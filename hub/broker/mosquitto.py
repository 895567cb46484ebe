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
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.broker.passwords import is_mosquitto_hash
from hub.protocol.devices import MAX_RECORDING_PAYLOAD

CONF_NAME = "mosquitto.conf"
PASSWD_NAME = "passwd"
HUB_PASSWD_NAME = "passwd-hub"
ACL_NAME = "acl"
LOG_NAME = "mosquitto.log"
PID_NAME = "mosquitto.pid"
TLS_CA_NAME = "tls-ca.crt"
TLS_CERT_NAME = "tls-server.crt"
TLS_KEY_NAME = "tls-server.key"
TLS_CRL_NAME = "tls-crl.pem"
# Mosquitto's default of 1000 queued messages per client drops bursts to a slow (re)connecting
# device; the queue must survive a display being offline for a while.
MAX_QUEUED_MESSAGES = 100_000
MAX_PACKET = MAX_RECORDING_PAYLOAD + 64 * 1024
"""The largest MQTT packet the broker takes (Mosquitto's default is 256 MB, which let one
device's message grow the hub by 170 MB): a call's recording with its topic and headers. A
client that sends a larger packet is disconnected."""
_RUN_AS = "mosquitto"
logger = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1
# Loaded here, not in the forked child, where taking locks (imports, malloc) may deadlock.
_LIBC = ctypes.CDLL(None, use_errno=True)


class BrokerError(Exception):
    """The broker cannot be started or managed; the message fits on one line (or ends in a log
    tail when the process died)."""


@dataclass(frozen=True)
class BrokerTls:
    """TLS for the devices' listener (PEM texts): the CA devices' certificates must chain to,
    the broker's certificate and key, and the CA's revocation list. A device's identity (its
    username and client id) is then its certificate's name, and no password is asked."""

    ca_pem: str
    cert_pem: str
    key_pem: str = field(repr=False)
    crl_pem: str


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


def free_port(host: str = "127.0.0.1", *, besides: Collection[int] = ()) -> int:
    """A TCP port nobody listens on right now, other than ``besides`` (ports already given to
    a listener not started yet: the system may hand a port just released out again)."""
    for _attempt in range(100):
        with socket.socket() as sock:
            sock.bind((host, 0))
            found = int(sock.getsockname()[1])
        if found not in besides:
            return found
    raise BrokerError(f"no free port on {host} besides {sorted(besides)}")


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
    folder: Path,
    host: str,
    port: int,
    *,
    anonymous: bool,
    with_acl: bool,
    stay_root: bool = False,
    hub_port: int | None = None,
    tls: bool = False,
) -> str:
    """mosquitto.conf with persistence in ``folder``: one listener on ``host:port``; or, with
    ``hub_port``, that listener for the devices and a second one on loopback for the hub alone.
    With ``tls`` (and ``hub_port``) the devices' listener speaks TLS only, asks each device for
    a certificate of the office's CA and takes the device's identity from it.

    On the devices' listener each client's id is its username, so a device cannot take another's
    id and knock it off the broker; its password file holds the devices only, and the hub's
    (``passwd-hub``) is good on the hub's listener only. Several hub processes may share that
    listener with ids of their own.
    """
    lines = [
        "# Written by Cherga; regenerated on every start: do not edit.",
        *(["user root"] if stay_root else []),
        f"per_listener_settings {'true' if hub_port is not None else 'false'}",
        "persistence true",
        f"persistence_location {folder.resolve()}/",
        "autosave_interval 60",
        f"max_queued_messages {MAX_QUEUED_MESSAGES}",
        "max_inflight_messages 100",
        f"max_packet_size {MAX_PACKET}",
        "set_tcp_nodelay true",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
    ]

    def listener(where: str, passwd: str, *extra: str) -> list[str]:
        block = [where, f"allow_anonymous {'true' if anonymous else 'false'}", *extra]
        if not anonymous:
            block.append(f"password_file {(folder / passwd).resolve()}")
        if with_acl:
            block.append(f"acl_file {(folder / ACL_NAME).resolve()}")
        return block

    if hub_port is None:
        lines += listener(f"listener {port} {host}", PASSWD_NAME)
    elif tls:
        lines += ["", "# The devices: TLS, each identified by its certificate"]
        lines += [
            f"listener {port} {host}",
            "allow_anonymous false",
            f"cafile {(folder / TLS_CA_NAME).resolve()}",
            f"certfile {(folder / TLS_CERT_NAME).resolve()}",
            f"keyfile {(folder / TLS_KEY_NAME).resolve()}",
            f"crlfile {(folder / TLS_CRL_NAME).resolve()}",
            "tls_version tlsv1.2",
            "require_certificate true",
            "use_identity_as_username true",
            "use_username_as_clientid true",
            *([f"acl_file {(folder / ACL_NAME).resolve()}"] if with_acl else []),
        ]
        lines += ["", "# The hub (loopback only)"]
        lines += listener(f"listener {hub_port} 127.0.0.1", HUB_PASSWD_NAME)
    else:
        lines += ["", "# The devices"]
        lines += listener(f"listener {port} {host}", PASSWD_NAME, "use_username_as_clientid true")
        lines += ["", "# The hub (loopback only)"]
        lines += listener(f"listener {hub_port} 127.0.0.1", HUB_PASSWD_NAME)
    return "\n".join(lines) + "\n"


def write_tls(folder: Path, tls: BrokerTls) -> None:
    """Write the devices' listener's CA, certificate, key (0600) and revocation list, which
    a SIGHUP also re-reads (Mosquitto 2.0.11 builds the listener's TLS context again)."""
    _write(folder / TLS_CA_NAME, tls.ca_pem, 0o644)
    _write(folder / TLS_CRL_NAME, tls.crl_pem, 0o644)
    # The key before the certificate: a reload between the two keeps the old pair's key.
    _write(folder / TLS_KEY_NAME, tls.key_pem, 0o600)
    _write(folder / TLS_CERT_NAME, tls.cert_pem, 0o644)


def write_auth(
    folder: Path,
    *,
    hashes: Mapping[str, str] | None,
    acl: str | None,
    hub_user: str | None = None,
    tls: BrokerTls | None = None,
) -> None:
    """Rewrite only the password files, ACL and TLS files (what a SIGHUP re-reads); with
    ``hub_user``, that user's hash goes to the hub's own password file and the others' to
    the devices'."""
    if tls is not None:
        write_tls(folder, tls)
    if hashes is not None:
        devices = {u: h for u, h in hashes.items() if u != hub_user}
        _write(folder / PASSWD_NAME, render_password_file(devices))
        if hub_user is not None:
            hub = {u: h for u, h in hashes.items() if u == hub_user}
            _write(folder / HUB_PASSWD_NAME, render_password_file(hub))
    if acl is not None:
        _write(folder / ACL_NAME, acl)


def write_files(
    folder: Path,
    *,
    host: str,
    port: int,
    hashes: Mapping[str, str] | None,
    acl: str | None,
    hub_port: int | None = None,
    hub_user: str | None = None,
    tls: BrokerTls | None = None,
) -> Path:
    """Write config, password files and ACL into ``folder``; ``hashes`` None allows anonymous.
    With ``hub_port`` and ``hub_user`` the hub gets a loopback listener of its own, and with
    ``tls`` the devices' listener speaks TLS with client certificates."""
    if tls is not None and hub_port is None:
        raise BrokerError("TLS for the devices needs the hub's own listener (hub_user)")
    folder.mkdir(parents=True, exist_ok=True)
    owner = _owner()
    if owner is not None:
        # Mosquitto saves its persistence file here after dropping root.
        os.chown(folder, *owner)
    write_auth(folder, hashes=hashes, acl=acl, hub_user=hub_user if hub_port else None, tls=tls)
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
        folder,
        host,
        port,
        anonymous=hashes is None,
        with_acl=acl is not None,
        stay_root=stay_root,
        hub_port=hub_port,
        tls=tls is not None,
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


def ensure_free(host: str, port: int) -> None:
    """BrokerError unless ``host:port`` can be listened on: a broker we did not start (another
    Mosquitto on 1883) must be reported, never talked to."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As Mosquitto binds: a port left in TIME_WAIT is free, one listened on is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            probe.listen(1)
    except OSError as exc:
        raise BrokerError(
            f"cannot start the MQTT broker on {host}:{port}: {exc.strerror or exc}; another "
            "program (another broker?) uses the port: stop it, choose another port "
            "(CHERGA_MQTT_PORT), or point the hub at that broker with CHERGA_MQTT_URL"
        ) from None


def is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be listened on now."""
    try:
        ensure_free(host, port)
    except BrokerError:
        return False
    return True


def _log_size(folder: Path) -> int:
    try:
        return (folder / LOG_NAME).stat().st_size
    except OSError:
        return 0


def _says_running(folder: Path, offset: int) -> bool:
    """Whether Mosquitto logged, since ``offset``, that it opened its listeners and runs."""
    try:
        with open(folder / LOG_NAME, "rb") as log:
            log.seek(offset)
            return b" running" in log.read()
    except OSError:
        return False


def spawn(
    folder: Path,
    host: str,
    port: int,
    *,
    hub_port: int | None = None,
    timeout: float = 15.0,
) -> subprocess.Popen[bytes]:
    """Start Mosquitto on the files in ``folder`` and wait until it runs and accepts TCP
    connections on its listeners.

    The ports are checked free first, and the broker counts as started only once it logged that
    it runs: a port answered by someone else while our Mosquitto is still failing to bind it is
    never taken for ours.
    """
    binary = find_mosquitto()
    addresses = [(host, port), *([("127.0.0.1", hub_port)] if hub_port is not None else [])]
    for address in addresses:
        ensure_free(*address)
    offset = _log_size(folder)
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
    waiting = list(addresses)
    while True:
        if process.poll() is not None:
            raise BrokerError(
                f"mosquitto exited with code {process.returncode}: {log_tail(folder)}"
            )
        if _says_running(folder, offset):
            while waiting and _answers(*waiting[0]):
                waiting.pop(0)
            if not waiting and process.poll() is None:
                return process
        if time.monotonic() > deadline:
            stop_process(process)
            raise BrokerError(f"mosquitto did not listen on {host}:{port}: {log_tail(folder)}")
        time.sleep(0.02)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


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
    hub_port: int | None = None
    """The hub's own loopback listener, when it has one (``start`` with ``hub_user``)."""
    hub_user: str | None = None
    tls: BrokerTls | None = field(default=None, repr=False)
    """TLS of the devices' listener, when it speaks TLS."""

    @classmethod
    def start(
        cls,
        folder: Path,
        *,
        hashes: Mapping[str, str] | None,
        acl: str | None,
        host: str = "127.0.0.1",
        port: int | None = None,
        hub_user: str | None = None,
        hub_port: int | None = None,
        tls: BrokerTls | None = None,
    ) -> Mosquitto:
        """Write the files and start the broker (on a free port unless one is given); with
        ``hub_user``, that user connects on a loopback listener of its own (``hub_port``, or a
        free one), and with ``tls`` the devices connect over TLS with their certificates."""
        chosen = port if port is not None else free_port(host)
        if hub_user is None:
            hub_port = None
        elif hub_port is None:
            hub_port = free_port("127.0.0.1", besides={chosen})
        elif hub_port == chosen:
            raise BrokerError(f"the hub's listener and the devices' cannot share port {chosen}")
        write_files(
            folder,
            host=host,
            port=chosen,
            hashes=hashes,
            acl=acl,
            hub_port=hub_port,
            hub_user=hub_user,
            tls=tls,
        )
        process = spawn(folder, host, chosen, hub_port=hub_port)
        return cls(host, chosen, folder, process, hub_port, hub_user, tls)

    def stop(self) -> None:
        """Stop the broker; its persistence file stays in the folder."""
        stop_process(self.process)
        (self.folder / PID_NAME).unlink(missing_ok=True)

    def restart(self) -> None:
        """Stop and start again on the same port and files (retained messages survive)."""
        self.stop()
        self.process = spawn(self.folder, self.host, self.port, hub_port=self.hub_port)

    def reload(self) -> None:
        """Re-read the password file and ACL (after ``update``)."""
        reload_process(self.process)

    def update(
        self,
        *,
        hashes: Mapping[str, str] | None,
        acl: str | None,
        tls: BrokerTls | None = None,
    ) -> None:
        """Rewrite the password file and ACL (and the TLS files, given ``tls`` on a broker that
        speaks TLS), then SIGHUP."""
        if tls is not None:
            if self.tls is None:
                raise BrokerError("this broker was started without TLS: restart it with TLS")
            self.tls = tls
        write_files(
            self.folder,
            host=self.host,
            port=self.port,
            hashes=hashes,
            acl=acl,
            hub_port=self.hub_port,
            hub_user=self.hub_user,
            tls=self.tls,
        )
        self.reload()
