"""Handing letters to the office's SMTP server (STARTTLS, SMTPS or plain; login if set)."""

from __future__ import annotations

import base64
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

TIMEOUT_S = 20.0


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send (the password in clear only while connecting)."""

    host: str
    port: int
    security: str
    login: str | None
    password: str | None
    sender: str

    def __repr__(self) -> str:  # never show the password in a log or a traceback
        return f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r})"


class DeliveryError(Exception):
    """A letter was not taken; ``permanent`` when retrying cannot help (5xx)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def _refusal(exc: Exception) -> DeliveryError:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(f"SMTP login refused ({exc.smtp_code})", permanent=False)
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error
        text = (said.decode(errors="replace") if isinstance(said, bytes) else str(said))[:200]
        return DeliveryError(f"SMTP {exc.smtp_code} {text}", permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return DeliveryError(
            f"recipient refused {codes}", permanent=all(code >= 500 for code in codes)
        )
    return DeliveryError(f"{type(exc).__name__}: {exc}"[:300], permanent=False)


_FAILURES = (smtplib.SMTPException, OSError, ssl.SSLError)


@contextmanager
def connect(config: SmtpConfig, context: ssl.SSLContext) -> Iterator[smtplib.SMTP]:
    """An SMTP session, secured and logged in as configured; errors become DeliveryError."""
    try:
        if config.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=TIMEOUT_S, context=context
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_S)
    except _FAILURES as exc:
        raise _refusal(exc) from None
    with client:
        try:
            if config.security == "starttls":
                client.starttls(context=context)
            if config.login:
                _login(client, config.login, config.password or "")
        except _FAILURES as exc:
            raise _refusal(exc) from None
        yield client


def _login(client: smtplib.SMTP, login: str, password: str) -> None:
    """Log in; a login or password beyond ASCII goes as RFC 4616 PLAIN in UTF-8 (smtplib
    encodes its AUTH exchanges as ASCII and would raise UnicodeEncodeError instead)."""
    if login.isascii() and password.isascii():
        client.login(login, password)
        return
    client.ehlo_or_helo_if_needed()
    if "plain" not in client.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPNotSupportedError("the server offers no AUTH PLAIN for a UTF-8 login")
    token = base64.b64encode(b"\0" + login.encode() + b"\0" + password.encode()).decode()
    code, said = client.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, said)


def send(client: smtplib.SMTP, sender: str, recipient: str, message: str) -> None:
    """Hand one stored letter over; DeliveryError if it is not taken."""
    try:
        client.sendmail(sender, [recipient], message.encode("ascii", errors="replace"))
    except _FAILURES as exc:
        raise _refusal(exc) from None
