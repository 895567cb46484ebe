"""Schemas of the device registry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from hub.api.schemas.common import Input, Name, Output

DeviceId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
    Field(description="Device id: 1-64 of a-z, 0-9, '_', '-'", examples=["kiosk-1"]),
]
SiteId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
Role = Literal["kiosk", "printer", "panel", "display", "phone"]


class DeviceCreate(Input):
    """A device to provision; the id is generated as ``{role}-{n}`` when left out."""

    role: Role
    name: Name
    device_id: DeviceId | None = None
    site: SiteId | None = Field(None, description="Default: the hub's site")
    window: Annotated[int, Field(ge=1, le=9999)] | None = Field(None, description="Panels only")
    printer: DeviceId | None = Field(None, description="The kiosk's printer (kiosks only)")
    phone: DeviceId | None = Field(
        None, description="The panel's phone agent (panels only; one panel per agent)"
    )


class DeviceRead(Output):
    """A device as listed: identity, online state and when it was last heard from."""

    device_id: str
    role: str
    site: str
    name: str
    window: int | None
    printer: str | None
    phone: str | None = None
    """A panel's phone agent."""
    phone_status: dict[str, Any] | None = None
    """A phone agent's registration, number, lines and busy lines, as it last reported them."""
    online: bool
    last_seen_at: datetime | None
    version: str | None
    faults: list[dict[str, Any]]
    created_at: datetime
    revoked_at: datetime | None


class DeviceCreated(DeviceRead):
    """A provisioned device with its MQTT credentials; the password is shown only here, once."""

    mqtt_host: str
    mqtt_port: int
    mqtt_tls: bool = Field(
        description="whether the device connects over TLS (its config then "
        "holds the office's CA, its certificate and key)"
    )
    mqtt_username: str
    mqtt_password: str
    ca_certificate: str | None = Field(
        None, description="the office's CA (PEM) the device checks the broker with"
    )
    client_certificate: str | None = Field(
        None, description="the device's own certificate (PEM), its identity on the broker"
    )
    client_key: str | None = Field(
        None, description="the certificate's private key (PEM); shown only here, once"
    )
    config_toml: str = Field(
        description="the device's whole config file (TOML, mode 0600 on the device: it holds "
        "the password and the key); shown only here, once"
    )
