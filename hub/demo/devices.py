"""The demo office's appliances: registered and given MQTT credentials as real ones are.

Each device is provisioned through the device registry and ``hub.broker.provision`` (its own
password, its own certificate from the office's CA, its own access list on the broker), and its
config file is written exactly as ``cherga device add --config-out`` writes one, plus the
role's ``[settings]`` for the demo: the printer draws pictures, the board keeps its spoken calls
in the demo folder. Devices run by the visitor script (``SCRIPTED``) get credentials of their
own rather than borrowing those of a running program: the broker allows one connection per
device, so two processes sharing one login would throw each other off in turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from firmware_config.device_config import DeviceConfig, ScreenConfig, read_config, write_config
from hub.bootstrap import Hub
from hub.broker.embedded import sync_broker
from hub.broker.provision import device_config, issue_credentials
from hub.db.engine import transaction
from hub.db.models import Device
from hub.demo.folder import DemoFolder
from hub.demo.office import SERVICES, DemoOffice
from hub.services.devices import devices

PRINTER = "printer-1"


@dataclass(frozen=True)
class DemoDevice:
    """One appliance of the demo: its registry entry and what its config adds."""

    device_id: str
    role: str
    name: str
    window: int | None = None
    printer: str | None = None
    screen: tuple[int, int] | None = None
    operator: str | None = None
    """For a scripted panel: the operator who works at it."""


PROGRAMS = (
    DemoDevice(PRINTER, "printer", "Принтер талонів (віртуальний, PNG)"),
    DemoDevice("kiosk-1", "kiosk", "Кіоск у холі", printer=PRINTER, screen=(800, 600)),
    DemoDevice("panel-1", "panel", "Панель оператора", window=1, screen=(1024, 640)),
    DemoDevice("display-1", "display", "Табло в залі", screen=(960, 540)),
)
"""Run as the real appliance programs (``cherga printer|kiosk|panel|display``)."""

SCRIPTED = (
    DemoDevice("kiosk-2", "kiosk", "Потік відвідувачів (сценарій демо)", printer=PRINTER),
    DemoDevice("panel-2", "panel", "Вікно 2 (сценарій демо)", window=2, operator="andrii"),
    DemoDevice("panel-3", "panel", "Вікно 3 (сценарій демо)", window=3, operator="maria"),
)
"""Driven by the visitor script over MQTT, each with its own credentials."""

HUMAN_OPERATOR = "olena"
"""Who may log in at the panel program (window 1) to work beside the scripted operators."""


@dataclass
class Provisioned:
    """The config file of every demo device, by device id."""

    files: dict[str, Path] = field(default_factory=dict)

    def config(self, device_id: str) -> DeviceConfig:
        """A device's config, read back from its file."""
        return read_config(self.files[device_id])


def role_settings(
    device: DemoDevice, folder: DemoFolder, office: DemoOffice, *, headless: bool
) -> dict[str, Any]:
    """The ``[settings]`` table of a demo device's config."""
    if device.role == "printer":
        return {
            "connection": {"kind": "png", "folder": str(folder.tickets)},
            "state_dir": str(folder.scratch / f"{device.device_id}-state"),
            "retry_for_s": 10.0,
            "ticket": {
                "texts": {
                    "uk": {"site_name": "ЦНАП «Демо»"},
                    "en": {"site_name": "Demo service centre"},
                }
            },
        }
    if device.role == "display":
        english = ("Passport services", "Business registration", "Social payments", "Advice")
        return {
            "services": {
                str(office.services[service.name]): {"uk": service.name, "en": english[index]}
                for index, service in enumerate(SERVICES)
                if service.name in office.services
            },
            "announce": {
                "audio": "none" if headless else "auto",
                "out_dir": str(folder.announcements),
                "keep": 100,
            },
        }
    if device.role in ("kiosk", "panel"):
        return {"fullscreen": False}
    return {}


def _register(session: Session, site: str, device: DemoDevice) -> devices.NewDevice:
    """A new device, or new credentials for the one an earlier demo registered."""
    if session.get(Device, device.device_id) is not None:
        return devices.renew_password(session, device.device_id)
    return devices.add_device(
        session,
        role=device.role,
        name=device.name,
        site=site,
        window=device.window,
        printer_id=device.printer,
        device_id=device.device_id,
    )


def provision(hub: Hub, folder: DemoFolder, office: DemoOffice, *, headless: bool) -> Provisioned:
    """Register every demo device (programs first: the kiosks name the printer), write their
    config files (mode 0600) and bring the broker's passwords and access lists up to date."""
    folder.devices.mkdir(parents=True, exist_ok=True)
    made = Provisioned()
    for device in (*PROGRAMS, *SCRIPTED):
        with transaction(hub.sessions) as session:
            created = _register(session, hub.settings.site, device)
            credentials = issue_credentials(
                hub.settings, session, created.device, created.mqtt_password
            )
            config = device_config(
                session, created.device, credentials, timezone=hub.settings.timezone
            )
        screen = None
        if device.screen is not None:
            screen = ScreenConfig(width=device.screen[0], height=device.screen[1])
        config = config.model_copy(
            update={
                "screen": screen,
                "settings": role_settings(device, folder, office, headless=headless),
            }
        )
        path = folder.devices / f"{device.device_id}.toml"
        write_config(DeviceConfig.model_validate(config.model_dump()), path)
        made.files[device.device_id] = path
    sync_broker(hub.settings, hub.sessions)
    return made
