"""Appliances registered with the hub: their identity, MQTT credentials (hashed) and last state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, utcnow

DEVICE_ROLES = ("kiosk", "printer", "panel", "display", "phone")


class Device(Base):
    """One kiosk, printer agent, operator panel, display or phone agent.

    Only the Mosquitto ``$7$`` hash of the MQTT password is kept, so the broker's password file
    can be regenerated from here at any time and the database never holds a usable secret.
    """

    __tablename__ = "devices"
    __table_args__ = (
        CheckConstraint(
            "role IN ('kiosk', 'printer', 'panel', 'display', 'phone')", name="known_role"
        ),
        CheckConstraint("window_number IS NULL OR window_number > 0", name="window_positive"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    site: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # "window" is a reserved word in PostgreSQL.
    window: Mapped[int | None] = mapped_column("window_number")
    printer_id: Mapped[str | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), index=True
    )
    # A panel's phone agent (PH): the panel may command it and read its calls; its calls
    # are the events of the operator logged in at this panel. No foreign key: adding one
    # would make SQLite copy the devices table (and cascade into print jobs); the registry
    # checks the agent, and a revoked agent is simply not linked any more.
    phone_id: Mapped[str | None] = mapped_column(String(64), index=True)
    mqtt_password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    online: Mapped[bool] = mapped_column(default=False)
    last_seen_at: Mapped[datetime | None]
    version: Mapped[str | None] = mapped_column(String(32))
    faults: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # A phone agent's own state from its device state: registered, number, lines, busy.
    phone_status: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A phone agent that takes the office's numbers: the contract's "line" role (migration 0023
    # says why it is a flag on role "phone").
    line: Mapped[bool] = mapped_column(default=False, server_default=false())


class DeviceCertificate(Base):
    """A client certificate the office's authority issued to a device (only its serial and
    dates: the key went to the device's config and is not kept). Revoked certificates make the
    broker's revocation list."""

    __tablename__ = "device_certificates"

    # Serials are 159-bit numbers: kept as lowercase hex.
    serial: Mapped[str] = mapped_column(String(40), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(index=True)
