"""The broker's password file and ACL, made from the device registry.

Each device gets a ``user`` block listing its exact topics (site and id written out, no
``pattern`` lines), so what a device may touch is visible in the file and follows
``hub.protocol.topics.acl_rules``, the single statement of the contract's access rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.broker.passwords import hash_password
from hub.db.models.devices import Device
from hub.protocol.topics import HUB_RULES, AclRule, acl_rules
from hub.services.devices.devices import HUB_MQTT_USER, device_role


@dataclass(frozen=True)
class BrokerAuth:
    """What Mosquitto needs to authenticate and authorise: hashes by user, and the ACL text."""

    hashes: dict[str, str]
    acl: str


def _block(user: str, rules: Iterable[AclRule], comment: str) -> list[str]:
    lines = [f"# {comment}", f"user {user}"]
    lines += [f"topic {access} {topic}" for access, topic in rules]
    return [*lines, ""]


def _comment(device: Device) -> str:
    """A one-line description; the name is the administrator's free text, so keep it harmless."""
    name = "".join(c if c.isprintable() else " " for c in device.name)[:80]
    return f"{device.role} {device.id} at {device.site}: {name}"


def render_acl(devices: Iterable[Device], hub_user: str = HUB_MQTT_USER) -> str:
    """ACL text: the hub reads and writes everything under cherga/v1, each active device its own."""
    active = [device for device in devices if device.revoked_at is None]
    # A panel commands, and reads the calls of, the phone agent linked to it (PH) while that
    # agent is active at the panel's site.
    agents = {(d.site, d.id) for d in active if d.role == "phone" and not d.line}
    lines = ["# Written by Cherga from the device registry: do not edit.", ""]
    lines += _block(hub_user, HUB_RULES, "the hub")
    for device in active:
        phone = device.phone_id if device.role == "panel" else None
        rules = acl_rules(
            device.site,
            device_role(device),
            device.id,
            phone_device=phone if (device.site, phone) in agents else None,
        )
        lines += _block(device.id, rules, _comment(device))
    return "\n".join(lines)


def broker_auth(
    devices: Iterable[Device], *, hub_password: str, hub_user: str = HUB_MQTT_USER
) -> BrokerAuth:
    """Password hashes and ACL for the hub's user and every active device."""
    active = [d for d in devices if d.revoked_at is None]
    hashes = {d.id: d.mqtt_password_hash for d in active}
    hashes[hub_user] = hash_password(hub_password)
    return BrokerAuth(hashes=hashes, acl=render_acl(active, hub_user))
