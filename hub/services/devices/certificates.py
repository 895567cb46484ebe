"""Devices' client certificates: issued by the office's authority, revoked with the device.

The broker takes a device's identity from its certificate (MQTT over TLS), so a device's
certificate is what its password was: issued at provisioning, written into its config, and
revoked when the device is revoked or given new credentials. Only serials and dates are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models.devices import Device, DeviceCertificate
from hub.tls.authority import Authority, IssuedCertificate


def issue_certificate(
    session: Session, authority: Authority, device: Device, *, now: datetime | None = None
) -> IssuedCertificate:
    """A new certificate for ``device``; any earlier one of it is revoked in the same
    transaction (a device holds one certificate at a time)."""
    moment = now or utcnow()
    revoke_certificates(session, device.id, now=moment)
    issued = authority.issue_client(device.id)
    session.add(
        DeviceCertificate(
            serial=f"{issued.serial:x}",
            device_id=device.id,
            issued_at=moment,
            expires_at=issued.not_after,
        )
    )
    session.flush()
    return issued


def revoke_certificates(session: Session, device_id: str, *, now: datetime | None = None) -> int:
    """Revoke every live certificate of ``device_id``; returns how many."""
    result = session.execute(
        update(DeviceCertificate)
        .where(DeviceCertificate.device_id == device_id, DeviceCertificate.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def revoked_serials(session: Session) -> Sequence[tuple[int, datetime]]:
    """(serial, revoked at) of every revoked certificate not yet expired: the revocation
    list (an expired certificate is refused anyway)."""
    rows = session.execute(
        select(DeviceCertificate.serial, DeviceCertificate.revoked_at)
        .where(
            DeviceCertificate.revoked_at.is_not(None),
            DeviceCertificate.expires_at > utcnow(),
        )
        .order_by(DeviceCertificate.revoked_at)
    ).all()
    return [(int(serial, 16), when) for serial, when in rows if when is not None]


def live_certificate(session: Session, device_id: str) -> DeviceCertificate | None:
    """The device's certificate in force, if it has one."""
    return session.scalar(
        select(DeviceCertificate)
        .where(DeviceCertificate.device_id == device_id, DeviceCertificate.revoked_at.is_(None))
        .order_by(DeviceCertificate.issued_at.desc())
        .limit(1)
    )
