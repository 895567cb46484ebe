"""TLS for the device side of MQTT: a client context from the PEM texts of a device's config.

A device trusts only the office's CA from its config (never the system store, where any public
certificate for the same name would pass), checks the broker's name, and presents its own
certificate, from which the broker takes the device's identity. The key is loaded from memory
(a memfd), never written to a file of its own.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

MIN_VERSION = ssl.TLSVersion.TLSv1_2


class TlsSetupError(ValueError):
    """The CA, certificate or key cannot be used; the message holds no key material."""


@dataclass(frozen=True)
class ClientTls:
    """What a device needs for MQTT over TLS (PEM texts)."""

    ca_pem: str | None
    """The one CA to trust; None trusts the system's store (a public PBX, not the broker)."""
    cert_pem: str | None = None
    key_pem: str | None = field(default=None, repr=False)
    check_hostname: bool = True


def _load_chain(context: ssl.SSLContext, cert_pem: str, key_pem: str) -> None:
    fd = os.memfd_create("cherga-client-cert", os.MFD_CLOEXEC)
    try:
        data = (cert_pem.strip() + "\n" + key_pem.strip() + "\n").encode("ascii")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        context.load_cert_chain(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)


def client_context(tls: ClientTls) -> ssl.SSLContext:
    """An SSLContext that trusts ``tls.ca_pem`` alone and presents the device's certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = MIN_VERSION
    try:
        if tls.ca_pem is None:
            context.load_default_certs(ssl.Purpose.SERVER_AUTH)
        else:
            context.load_verify_locations(cadata=tls.ca_pem)
    except (ssl.SSLError, ValueError, UnicodeError):
        raise TlsSetupError("the CA certificate is not a valid PEM certificate") from None
    context.check_hostname = tls.check_hostname
    context.verify_mode = ssl.CERT_REQUIRED
    if (tls.cert_pem is None) != (tls.key_pem is None):
        raise TlsSetupError("a client certificate needs its key, and a key its certificate")
    if tls.cert_pem is not None and tls.key_pem is not None:
        try:
            _load_chain(context, tls.cert_pem, tls.key_pem)
        except (ssl.SSLError, ValueError, UnicodeError):
            raise TlsSetupError(
                "the client certificate or its key is not valid PEM, the key is encrypted, "
                "or they do not match"
            ) from None
    return context


def report_handshake_errors(
    context: ssl.SSLContext, report: Callable[[ssl.SSLError], None]
) -> ssl.SSLContext:
    """Make ``context``'s sockets hand a TLS error of the handshake or a read to ``report``
    (paho tells its callbacks nothing about why), then raise it as before."""

    class _Reporting(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            try:
                super().do_handshake(block)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                raise
            except ssl.SSLError as exc:
                report(exc)
                raise

        def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
            # Under TLS 1.3 the broker refuses a client certificate after the handshake: the
            # refusal arrives as the first read fails.
            try:
                return super().recv(buflen, flags)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                raise
            except ssl.SSLError as exc:
                report(exc)
                raise

    context.sslsocket_class = _Reporting
    return context


def describe_handshake_error(exc: ssl.SSLError) -> str:
    """One line on why a TLS handshake with the broker failed, with what to check."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the broker's certificate is not trusted ({exc.verify_message}): is the CA in "
            "the device's config the office's, and the host one of the certificate's names?"
        )
    reason = (exc.reason or str(exc)).lower().replace("_", " ")
    if "revoked" in reason:
        return "the broker refused this device's certificate: it was revoked"
    if "certificate required" in reason:
        return "the broker asks for a client certificate and the device's config has none"
    if "certificate" in reason or "unknown ca" in reason:
        return (
            f"the broker refused this device's certificate ({reason}): is it current, and "
            "from this office (cherga device renew)?"
        )
    return f"TLS with the broker failed ({reason})"
