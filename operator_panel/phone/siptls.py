"""TLS for the SIP signalling: the client context the agent checks its PBX with.

The CA, the certificate and the key are each given as an absolute file path or as the PEM text
itself. The context always requires a certificate that chains to the CA (the system's trusted
CAs when none is given) and, unless told otherwise, one that names the server. An inline key is
handed to OpenSSL through an anonymous memory file, never written to disk. Error messages say
which part is wrong and never hold key material.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from hub.protocol.tls import ClientTls, TlsSetupError
from hub.protocol.tls import client_context as device_context

PEM_MARK = "-----BEGIN "


class SipTlsError(ValueError):
    """A TLS setting cannot be used; the message is one line without key material."""


def is_pem(value: str) -> bool:
    """Whether ``value`` is PEM text (else it is a file path)."""
    return value.lstrip().startswith(PEM_MARK)


def check_source(value: str) -> str:
    """``value`` if it is PEM text or an absolute path to a readable file; SipTlsError if not."""
    if is_pem(value):
        return value
    path = Path(value)
    if not path.is_absolute():
        raise SipTlsError("give an absolute file path or the PEM text itself")
    if not os.access(path, os.R_OK) or not path.is_file():
        raise SipTlsError(f"{path} is not a readable file")
    return value


def read_pem(value: str) -> str:
    """The PEM text: ``value`` itself, or the content of the file it names."""
    if is_pem(value):
        return value
    try:
        return Path(value).read_text(encoding="ascii")
    except (OSError, UnicodeError):
        raise SipTlsError(f"{value} cannot be read as a PEM file") from None


def client_context(
    *,
    ca: str | None,
    verify_name: bool = True,
    cert: str | None = None,
    key: str | None = None,
) -> ssl.SSLContext:
    """A context that verifies the PBX against ``ca`` (or the system's CAs) and presents the
    client certificate when one is given; SipTlsError names the part that is wrong."""
    tls = ClientTls(
        ca_pem=read_pem(ca) if ca is not None else None,
        cert_pem=read_pem(cert) if cert is not None else None,
        key_pem=read_pem(key) if key is not None else None,
        check_hostname=verify_name,
    )
    try:
        return device_context(tls)
    except TlsSetupError as exc:
        raise SipTlsError(str(exc)) from None


def describe_failure(exc: BaseException) -> str:
    """One line on why a TLS connection failed (certificate refused, handshake...)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason
        return f"its certificate was not accepted ({reason}): see tls_ca, tls_server_name"
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        # What Kamailio and others do to a client without the certificate they require.
        return "it ended the TLS connection: does it want a client certificate (tls_cert)?"
    if isinstance(exc, ssl.SSLError):
        return f"the TLS handshake failed: {exc.reason or type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"
