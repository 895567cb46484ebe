"""The hub's own certificate authority: one CA per office, made on first start.

Files in ``{data_dir}/tls`` (see ``Authority``): the CA's key (mode 0600, the hub's user alone),
its certificate (given to every device), and the server certificate the broker and the HTTPS
server present, for the names and addresses the administrator configures. Keys are ECDSA P-256:
quick to handshake on a Raspberry Pi, accepted by OpenSSL (Mosquitto), Python and Chromium.

No I/O beyond the folder; nothing here logs a key.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

logger = logging.getLogger(__name__)

CA_KEY = "ca.key"
CA_CERT = "ca.crt"
SERVER_KEY = "server.key"
SERVER_CERT = "server.crt"
CA_DAYS = 20 * 365
"""The CA outlives the appliance: renewing it means re-provisioning every device."""
SERVER_DAYS = 397
"""Within the 398 days browsers accept for a server certificate."""
CLIENT_DAYS = 10 * 365
RENEW_BEFORE = dt.timedelta(days=30)
"""A server certificate is replaced when it has less than this left (or its names changed)."""
CRL_DAYS = 400
"""How long a revocation list is good for; it is rewritten at every start and change, and by
the renewal check, long before (OpenSSL refuses every client once it is out of date)."""
_BACKDATE = dt.timedelta(minutes=5)
"""A device whose clock is a little behind still accepts a certificate made just now."""


class AuthorityError(Exception):
    """The authority's files are unusable; the message fits on one line and holds no key."""


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate just made, with its private key (PEM)."""

    serial: int
    common_name: str
    not_after: dt.datetime
    cert_pem: str
    key_pem: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _key_usage(*, authority: bool) -> x509.KeyUsage:
    """A CA signs certificates and revocation lists; a server or device key signs handshakes."""
    return x509.KeyUsage(
        digital_signature=not authority,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=authority,
        crl_sign=authority,
        encipher_only=False,
        decipher_only=False,
    )


def _serial() -> int:
    """A random positive 159-bit serial (RFC 5280 allows 20 octets)."""
    return secrets.randbits(159) | 1


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` atomically with ``mode`` set before any byte is written."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _san(name: str) -> x509.GeneralName:
    """An IP address entry for an address, a DNS entry for a name."""
    try:
        return x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        return x509.DNSName(name)


def clean_names(names: Iterable[str]) -> list[str]:
    """The distinct, non-empty names in order, lowercased; wildcard listen addresses dropped."""
    seen: list[str] = []
    for raw in names:
        name = raw.strip().strip("[]").lower()
        if name and name not in ("0.0.0.0", "::") and name not in seen:
            seen.append(name)
    return seen


def certificate_names(cert: x509.Certificate) -> list[str]:
    """The DNS names and IP addresses a certificate is good for."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names = [str(v) for v in san.get_values_for_type(x509.DNSName)]
    names += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    return names


def days_left(cert: x509.Certificate, now: dt.datetime | None = None) -> float:
    """Days until ``cert`` expires (negative once it has)."""
    left = cert.not_valid_after_utc - (now or _now())
    return left.total_seconds() / 86400


@dataclass
class Authority:
    """The CA in ``folder``; ``open`` makes it on first use."""

    folder: Path
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def open(cls, folder: Path) -> Authority:
        """Load the CA from ``folder``, or make one there when the folder has none."""
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        key_path, cert_path = folder / CA_KEY, folder / CA_CERT
        if key_path.exists() != cert_path.exists():
            raise AuthorityError(
                f"{folder}: one of {CA_KEY} and {CA_CERT} is missing; restore it from a backup "
                "(a new authority would need every device provisioned again)"
            )
        if not key_path.exists():
            return cls._create(folder)
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        except (OSError, ValueError) as exc:
            raise AuthorityError(f"{folder}: cannot read the authority: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
            raise AuthorityError(f"{folder}: {CA_KEY} does not belong to {CA_CERT}")
        return cls(folder, key, cert)

    @classmethod
    def _create(cls, folder: Path) -> Authority:
        key = _new_key()
        now = _now()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cherga"),
                x509.NameAttribute(
                    NameOID.COMMON_NAME, f"Cherga office CA {now:%Y-%m-%d} {secrets.token_hex(3)}"
                ),
            ]
        )
        public = key.public_key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(_serial())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(authority=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256())
        )
        # The key first: a certificate without its key is the state ``open`` refuses.
        _write_private(folder / CA_KEY, _key_pem(key), 0o600)
        _write_private(folder / CA_CERT, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        logger.info("made the office's certificate authority in %s", folder)
        return cls(folder, key, cert)

    @property
    def ca_pem(self) -> str:
        """The CA certificate (PEM), what every device trusts."""
        return self.cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def ca_file(self) -> Path:
        """The CA certificate's file."""
        return self.folder / CA_CERT

    @property
    def server_cert_file(self) -> Path:
        """The server certificate's file (``ensure_server`` keeps it current)."""
        return self.folder / SERVER_CERT

    @property
    def server_key_file(self) -> Path:
        """The server key's file (mode 0600)."""
        return self.folder / SERVER_KEY

    def _sign(
        self,
        *,
        common_name: str,
        days: int,
        usage: x509.ObjectIdentifier,
        minutes: int = 0,
        names: Sequence[str] = (),
        now: dt.datetime | None = None,
    ) -> IssuedCertificate:
        key = _new_key()
        start = now or _now()
        serial = _serial()
        life = dt.timedelta(days=days, minutes=minutes)
        not_after = min(start + life, self.cert.not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(start - _BACKDATE)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(authority=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_san(n) for n in names]), critical=False
            )
        cert = builder.sign(self.key, hashes.SHA256())
        return IssuedCertificate(
            serial=serial,
            common_name=common_name,
            not_after=not_after,
            cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            key_pem=_key_pem(key).decode("ascii"),
        )

    def issue_client(
        self, common_name: str, *, days: int = CLIENT_DAYS, minutes: int = 0
    ) -> IssuedCertificate:
        """A device's certificate: the broker takes the device's identity from its name."""
        return self._sign(
            common_name=common_name,
            days=days,
            minutes=minutes,
            usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        )

    def issue_server(
        self, names: Sequence[str], *, days: int = SERVER_DAYS, now: dt.datetime | None = None
    ) -> IssuedCertificate:
        """A server certificate for ``names`` (host names and addresses)."""
        wanted = clean_names(names)
        if not wanted:
            raise AuthorityError("a server certificate needs at least one name or address")
        return self._sign(
            common_name=wanted[0][:64],
            days=days,
            usage=ExtendedKeyUsageOID.SERVER_AUTH,
            names=wanted,
            now=now,
        )

    def server_needs_renewal(self, names: Sequence[str], now: dt.datetime | None = None) -> str:
        """Why the server certificate must be made again ("" when it is fine)."""
        try:
            cert = x509.load_pem_x509_certificate(self.server_cert_file.read_bytes())
            key_ok = self.server_key_file.is_file()
        except (OSError, ValueError):
            return "there is none"
        if not key_ok:
            return "its key is missing"
        if cert.issuer != self.cert.subject:
            return "another authority issued it"
        if cert.not_valid_after_utc - (now or _now()) < RENEW_BEFORE:
            return f"it expires on {cert.not_valid_after_utc:%Y-%m-%d}"
        if sorted(certificate_names(cert)) != sorted(clean_names(names)):
            return "the configured names changed"
        return ""

    def ensure_server(self, names: Sequence[str], now: dt.datetime | None = None) -> bool:
        """Make the server certificate when there is none, it is near its end or the names
        changed (as seen at ``now``; the new one starts now); returns True when a new one was
        written (servers must load it again)."""
        why = self.server_needs_renewal(names, now)
        if not why:
            return False
        issued = self.issue_server(names)
        # The key first, so a server reading the pair mid-way never sees a new cert, old key...
        # for long: both are replaced within milliseconds and servers reload after this returns.
        _write_private(self.server_key_file, issued.key_pem.encode("ascii"), 0o600)
        _write_private(self.server_cert_file, issued.cert_pem.encode("ascii"), 0o644)
        logger.info(
            "new server certificate (%s) for %s, valid until %s",
            why,
            ", ".join(clean_names(names)),
            f"{issued.not_after:%Y-%m-%d}",
        )
        return True

    def crl_pem(
        self, revoked: Iterable[tuple[int, dt.datetime]], now: dt.datetime | None = None
    ) -> str:
        """The revocation list of the (serial, when) pairs, signed by the CA."""
        start = now or _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(start - _BACKDATE)
            .next_update(start + dt.timedelta(days=CRL_DAYS))
        )
        for serial, when in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(min(when, start))
                .build()
            )
        crl = builder.sign(self.key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.PEM).decode("ascii")
