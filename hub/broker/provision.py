"""A device's credentials and its config file, made in one place for the CLI and the API.

Where devices reach the broker over TLS (the embedded broker with ``mqtt_tls``, or an
``mqtts://`` one), a device gets, besides its password, a client certificate of the office's CA
(from which the broker takes its identity) and the CA to check the broker with; the certificate
is recorded in the same transaction as the device, so a rollback leaves no live certificate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr
from sqlalchemy.orm import Session

from firmware_config.device_config import DeviceConfig, MqttConfig, MqttTls, to_toml
from hub.broker.embedded import broker_ca_pem, device_endpoint, devices_tls
from hub.config import Settings
from hub.db.models.devices import Device
from hub.protocol.tls import ClientTls
from hub.services.devices.certificates import issue_certificate
from hub.services.devices.devices import device_role, phone_device
from hub.tls.authority import IssuedCertificate
from hub.tls.office import office_authority


@dataclass(frozen=True)
class Credentials:
    """Everything a device needs to reach the broker; shown once, never stored in clear."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    ca_pem: str | None = None
    certificate: IssuedCertificate | None = field(default=None, repr=False)

    @property
    def tls(self) -> bool:
        """Whether the device connects over TLS."""
        return self.ca_pem is not None

    def mqtt_config(self) -> MqttConfig:
        """The ``[mqtt]`` table of the device's config."""
        tls = None
        if self.ca_pem is not None:
            cert = self.certificate
            tls = MqttTls(
                ca=self.ca_pem,
                cert=cert.cert_pem if cert is not None else None,
                key=SecretStr(cert.key_pem) if cert is not None else None,
            )
        return MqttConfig(
            host=self.host,
            port=self.port,
            username=self.username,
            password=SecretStr(self.password),
            tls=tls,
        )

    def client_tls(self) -> ClientTls | None:
        """TLS for the device's MQTT client (None over plain TCP)."""
        tls = self.mqtt_config().tls
        return tls.client_tls() if tls is not None else None


def issue_credentials(
    settings: Settings, session: Session, device: Device, password: str
) -> Credentials:
    """The device's broker address and password, with a new certificate (any earlier one of
    the device revoked) when devices connect over TLS."""
    host, port = device_endpoint(settings)
    if not devices_tls(settings):
        return Credentials(host, port, device.id, password)
    certificate = issue_certificate(session, office_authority(settings), device)
    return Credentials(host, port, device.id, password, broker_ca_pem(settings), certificate)


def _phone_link(session: Session, device: Device) -> dict[str, object]:
    """Where a panel's config names its phone agent: ``phone_device`` at the top level once
    the device config declares it (like a kiosk's ``printer``), else in ``[settings]``."""
    phone = phone_device(session, device)
    if phone is None:
        return {}
    if "phone_device" in DeviceConfig.model_fields:
        return {"phone_device": phone}
    return {"settings": {"phone_device": phone}}


def device_config(
    session: Session, device: Device, credentials: Credentials, *, timezone: str | None = None
) -> DeviceConfig:
    """The device's config file's content; ``timezone``: the office's (the hub's setting)."""
    return DeviceConfig(
        device_id=device.id,
        role=device_role(device),  # type: ignore[arg-type]
        site=device.site,
        name=device.name,
        window=device.window,
        printer=device.printer_id,
        **_phone_link(session, device),  # type: ignore[arg-type]
        mqtt=credentials.mqtt_config(),
        timezone=timezone,
    )


def config_text(
    session: Session, device: Device, credentials: Credentials, *, timezone: str | None = None
) -> str:
    """The device's config file (TOML; private: it holds the password and key)."""
    return to_toml(device_config(session, device, credentials, timezone=timezone))
