"""Real mail servers on loopback for the tests: aiosmtpd (SMTP) in this process, Debian's
Dovecot (IMAP and POP3 over TLS) as a child process stopped by its PID."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Any, *, timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class _Sink:
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    # What the server answers to a letter: "250 OK" takes it, a 5xx refuses it for good.
    answer: str = "250 OK"
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer.startswith("250"):
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.answer


@dataclass
class _Passwords:
    """aiosmtpd's authenticator: AUTH LOGIN and PLAIN against known logins and passwords."""

    users: dict[str, str]
    sink: _Sink

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = data.login.decode(errors="replace")
        good = self.users.get(login) == data.password.decode(errors="replace")
        if good:
            self.sink.logins.append(f"{mechanism}:{login}")
        return AuthResult(success=good, handled=False)


class SmtpServer:
    """aiosmtpd on a fixed loopback port, so it can be stopped and started again."""

    def __init__(
        self,
        port: int,
        tls: ssl.SSLContext | None = None,
        *,
        users: dict[str, str] | None = None,
        implicit_tls: bool = False,
    ) -> None:
        """``tls`` with STARTTLS required, or (``implicit_tls``) TLS from the first byte
        (SMTPS); ``users`` makes a login (AUTH LOGIN or PLAIN, over TLS only) required."""
        self.port = port
        self.tls = tls
        self.users = users
        self.implicit_tls = implicit_tls
        self.sink = _Sink()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        """Listen (again)."""
        options: dict[str, Any] = {}
        if self.tls is not None and self.implicit_tls:
            options["ssl_context"] = self.tls
        elif self.tls is not None:
            options.update(tls_context=self.tls, require_starttls=True)
        if self.users is not None:
            options.update(
                authenticator=_Passwords(self.users, self.sink),
                auth_required=True,
                # Over SMTPS the whole session is TLS, but aiosmtpd counts only STARTTLS as
                # such and would not offer AUTH at all.
                auth_require_tls=not self.implicit_tls,
            )
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        """The letters received, parsed."""
        parsed = []
        for _sender, _rcpts, raw in self.sink.received:
            message = message_from_bytes(raw, policy=policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (cert, key)."""
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def client_context(cert: Path) -> ssl.SSLContext:
    """A TLS client context that trusts the test certificate only."""
    return ssl.create_default_context(cafile=str(cert))


class Dovecot:
    """Dovecot with a temporary configuration: IMAPS and POP3S on loopback, users from a
    passwd file, Maildirs under ``folder``."""

    def __init__(self, users: dict[str, str]) -> None:
        # Its own folder that Dovecot's unprivileged processes can enter (pytest's are 0700).
        self.folder = Path(tempfile.mkdtemp(prefix="cherga-dovecot-"))
        self.folder.chmod(0o755)
        self.users = users
        self.imaps = free_port()
        self.pop3s = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.cert, self.key = make_certificate(self.folder)

    @staticmethod
    def binary() -> str | None:
        """Where Debian's dovecot is, or None."""
        return shutil.which("dovecot") or (
            "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
        )

    def _config(self) -> Path:
        me = pwd.getpwuid(os.getuid()).pw_name
        # Dovecot never gives mail to root: the mail user is "nobody" when the tests run as root.
        owner = pwd.getpwnam("nobody") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
        mail = self.folder / "mail"
        mail.mkdir(exist_ok=True)
        os.chown(mail, owner.pw_uid, owner.pw_gid)
        passwd = self.folder / "passwd"
        passwd.write_text(
            "".join(f"{user}:{{PLAIN}}{word}::::::\n" for user, word in self.users.items())
        )
        login_user = "dovenull" if os.getuid() == 0 else me
        internal = "dovecot" if os.getuid() == 0 else me
        config = self.folder / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {self.folder}/run
state_dir = {self.folder}/state
log_path = {self.folder}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = required
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = yes
auth_mechanisms = plain
default_login_user = {login_user}
default_internal_user = {internal}
default_internal_group = {pwd.getpwnam(internal).pw_name if os.getuid() == 0 else me}
first_valid_uid = {owner.pw_uid}
mail_location = maildir:{mail}/%u
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = {self.pop3s}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    user = {me}
  }}
  unix_listener stats-writer {{
    user = {me}
  }}
}}
"""
        )
        return config

    def start(self) -> Dovecot:
        """Start it in the foreground as a child and wait for its IMAPS port."""
        binary = self.binary()
        assert binary is not None
        config = self._config()
        self.process = subprocess.Popen(
            [binary, "-c", str(config), "-F"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

        def listening() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                log = self.folder / "dovecot.log"
                said = self.process.stderr.read().decode() if self.process.stderr else ""
                logged = log.read_text() if log.exists() else ""
                raise AssertionError(f"dovecot ended: {said} {logged}")
            try:
                with socket.create_connection(("127.0.0.1", self.imaps), timeout=1):
                    return True
            except OSError:
                return False

        wait_for(listening, timeout=30, what="dovecot to listen")
        return self

    def stop(self) -> None:
        """Stop it by its PID."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)
