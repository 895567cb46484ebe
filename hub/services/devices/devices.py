"""The device registry: provisioning, listing, revoking and the state devices report over MQTT.

A new device gets a random MQTT password that is returned once and stored only as Mosquitto's
hash; the broker's files are regenerated from the active rows (hub.broker.registry).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.broker.passwords import hash_password, new_password
from hub.db.base import utcnow
from hub.db.models.devices import DEVICE_ROLES, Device
from hub.errors import Conflict, Invalid, NotFound
from hub.protocol.devices import DeviceState
from hub.protocol.topics import is_safe_id
from hub.services.devices.certificates import revoke_certificates

HUB_MQTT_USER = "cherga-hub"
"""The hub's own MQTT user; no device may take this id."""
MAX_WINDOW = 9999
LINE_ROLE = "line"


@dataclass(frozen=True)
class NewDevice:
    """A device just provisioned, with its MQTT password in plain text (shown once)."""

    device: Device
    mqtt_password: str


def _check_id(value: str) -> str:
    if not is_safe_id(value):
        raise Invalid("device_id_invalid", value=value, field="device_id")
    if value == HUB_MQTT_USER:
        raise Invalid("device_id_reserved", value=value, field="device_id")
    return value


def _next_id(session: Session, role: str) -> str:
    """``{role}-{n}`` with the smallest n not used by any device, revoked ones included."""
    taken = set(session.scalars(select(Device.id).where(Device.id.like(f"{role}-%"))))
    n = 1
    while f"{role}-{n}" in taken:
        n += 1
    return f"{role}-{n}"


def get_device(session: Session, device_id: str) -> Device:
    """The device with this id (revoked ones too), or NotFound."""
    device = session.get(Device, device_id) if isinstance(device_id, str) else None
    if device is None:
        raise NotFound("not_found", what=f"device {device_id}")
    return device


def add_device(
    session: Session,
    *,
    role: str,
    name: str,
    site: str,
    window: int | None = None,
    printer_id: str | None = None,
    device_id: str | None = None,
    phone_id: str | None = None,
) -> NewDevice:
    """Register a device and give it fresh MQTT credentials; checks every field first.

    Role ``line`` (a phone agent that takes the office's numbers) is kept as a phone agent
    with ``line`` set (migration 0023 says why); ``device_role`` gives it back."""
    line = role == LINE_ROLE
    if line:
        role = "phone"
    if role not in DEVICE_ROLES:
        raise Invalid("device_role_unknown", role=role, field="role")
    clean_name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(clean_name) <= 200:
        raise Invalid("device_name_invalid", field="name")
    if not is_safe_id(site) or len(site) > 32:
        raise Invalid("device_id_invalid", value=site, field="site")
    if role == "panel":
        if window is None or isinstance(window, bool) or not 1 <= window <= MAX_WINDOW:
            raise Invalid("device_window_required", field="window")
        holder = session.scalar(
            select(Device.id).where(
                Device.site == site,
                Device.role == "panel",
                Device.window == window,
                Device.revoked_at.is_(None),
            )
        )
        if holder is not None:
            raise Conflict("device_window_taken", window=window, site=site, device_id=holder)
    elif window is not None:
        raise Invalid("device_window_panel_only", field="window")
    if printer_id is not None:
        if role != "kiosk":
            raise Invalid("device_printer_kiosk_only", field="printer")
        printer = session.get(Device, printer_id) if isinstance(printer_id, str) else None
        if (
            printer is None
            or printer.role != "printer"
            or printer.site != site
            or printer.revoked_at is not None
        ):
            raise Invalid(
                "device_printer_invalid", printer_id=printer_id, site=site, field="printer"
            )
    if phone_id is not None:
        _check_phone(session, role=role, site=site, phone_id=phone_id)
    chosen = (
        _check_id(device_id)
        if device_id is not None
        else _next_id(session, LINE_ROLE if line else role)
    )
    if session.get(Device, chosen) is not None:
        raise Conflict("device_id_taken", device_id=chosen)
    password = new_password()
    device = Device(
        id=chosen,
        role=role,
        site=site,
        name=clean_name,
        window=window,
        printer_id=printer_id,
        phone_id=phone_id,
        line=line,
        mqtt_password_hash=hash_password(password),
        created_at=utcnow(),
        online=False,
    )
    session.add(device)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("device_id_taken", device_id=chosen) from None
    return NewDevice(device=device, mqtt_password=password)


def _check_phone(session: Session, *, role: str, site: str, phone_id: str) -> None:
    """A panel's phone agent: an active phone agent of the same site, no other panel's."""
    if role != "panel":
        raise Invalid("device_phone_panel_only", field="phone")
    agent = session.get(Device, phone_id) if isinstance(phone_id, str) else None
    if (
        agent is None
        or agent.role != "phone"
        or agent.line
        or agent.site != site
        or agent.revoked_at is not None
    ):
        raise Invalid("device_phone_invalid", phone_id=phone_id, site=site, field="phone")
    holder = session.scalar(
        select(Device.id).where(Device.phone_id == phone_id, Device.revoked_at.is_(None))
    )
    if holder is not None:
        raise Conflict("device_phone_taken", phone_id=phone_id, device_id=holder)


def device_role(device: Device) -> str:
    """The device's role in the MQTT contract: ``line`` for a line agent, else its role."""
    return LINE_ROLE if device.line else device.role


def phone_device(session: Session, device: Device) -> str | None:
    """The active phone agent linked to a panel (None for other roles or a revoked agent)."""
    if device.role != "panel" or device.phone_id is None:
        return None
    agent = session.get(Device, device.phone_id)
    if agent is None or agent.revoked_at is not None or agent.role != "phone":
        return None
    return agent.id


def list_devices(
    session: Session, *, site: str | None = None, include_revoked: bool = True
) -> Sequence[Device]:
    """Devices by site and id, optionally only the active ones."""
    query = select(Device).order_by(Device.site, Device.role, Device.id)
    if site is not None:
        query = query.where(Device.site == site)
    if not include_revoked:
        query = query.where(Device.revoked_at.is_(None))
    return session.scalars(query).all()


def active_devices(session: Session) -> Sequence[Device]:
    """The devices the broker must accept (what its password file and ACL are made from)."""
    return list_devices(session, include_revoked=False)


def revoke_device(session: Session, device_id: str, *, now: datetime | None = None) -> Device:
    """Cut a device off: it leaves the broker's files at the next sync and is shown offline."""
    device = get_device(session, device_id)
    if device.revoked_at is not None:
        raise Conflict("device_revoked", device_id=device.id)
    device.revoked_at = now or utcnow()
    device.online = False
    revoke_certificates(session, device.id, now=device.revoked_at)
    session.flush()
    return device


def renew_password(session: Session, device_id: str) -> NewDevice:
    """New MQTT credentials for an active device (a lost or leaked config, or one made before
    MQTT over TLS): a new password; the caller issues its new certificate."""
    device = get_device(session, device_id)
    if device.revoked_at is not None:
        raise Conflict("device_revoked", device_id=device.id)
    password = new_password()
    device.mqtt_password_hash = hash_password(password)
    session.flush()
    return NewDevice(device=device, mqtt_password=password)


def record_state(
    session: Session,
    *,
    site: str,
    device_id: str,
    state: DeviceState,
    now: datetime | None = None,
) -> Device | None:
    """Store what a device reported on its retained state topic.

    Returns None (and changes nothing) for an unknown or revoked device or one of another site:
    the topic, not the payload, says who spoke, and only registered devices count.
    """
    device = session.get(Device, device_id) if isinstance(device_id, str) else None
    if device is None or device.revoked_at is not None or device.site != site:
        return None
    device.online = state.state == "online"
    device.last_seen_at = now or utcnow()
    if state.version is not None:
        device.version = state.version
    device.faults = [fault.model_dump(mode="json") for fault in state.faults]
    if device.role == "phone":
        # Offline (the last will): the lines are gone. Online without ``phone`` (the generic
        # device client republishing its faults) says nothing new: the last status stays.
        if state.state == "offline":
            device.phone_status = None
        elif state.phone is not None:
            device.phone_status = state.phone.model_dump(mode="json")
    session.flush()
    return device
