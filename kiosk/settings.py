"""The kiosk's own settings: the ``[settings]`` table of its device config file.

The device config carries role-specific settings as a free table; the kiosk validates them here
at start, so a typo stops it with one line naming the setting instead of a kiosk that silently
never asks for a phone number.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from firmware_config.device_config import wrong_setting

Detail = Literal["name", "phone", "companies"]
DETAILS: tuple[Detail, ...] = ("name", "phone", "companies")


class KioskSettingsError(Exception):
    """A kiosk setting is wrong; the message is one line naming it."""


class ScannerSettings(BaseModel):
    """How this kiosk reads booking QR codes: ``[settings.scanner]`` in the device config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hid: bool = Field(
        False,
        title="HID scanner",
        description="A USB barcode/QR scanner that types the code as keystrokes ending in Enter.",
    )
    hid_max_mean_ms: Annotated[float, Field(gt=0, le=500)] = Field(
        40.0,
        title="Scanner typing speed",
        description="Keys typed faster than this on average (ms a key) are a scanner; slower "
        "typing is a person and ignored.",
    )
    camera: StrictStr | StrictInt | None = Field(
        None,
        title="Camera",
        description="A V4L2 camera to read QR codes from: a device path such as /dev/video0, "
        "or an index; none when the kiosk has no camera.",
    )
    camera_fps: Annotated[float, Field(gt=0, le=30)] = Field(
        8.0,
        title="Camera decode rate",
        description="Frames a second searched for a QR code (each costs CPU on a Pi).",
    )
    hold_s: Annotated[float, Field(gt=0, le=60)] = Field(
        3.0,
        title="Repeat hold",
        description="Seconds a QR code must be out of the camera's view before it is read again.",
    )

    @field_validator("camera")
    @classmethod
    def _device(cls, value: str | int | None) -> str | int | None:
        if isinstance(value, int) and value < 0:
            raise ValueError("an index must be 0 or more")
        if isinstance(value, str) and not re.fullmatch(r"/dev/\S+", value):
            raise ValueError("a camera is a device path such as /dev/video0, or an index")
        return value

    @property
    def enabled(self) -> bool:
        """Whether the kiosk reads codes by any means but the keypad."""
        return self.hid or self.camera is not None


class KioskSettings(BaseModel):
    """What this kiosk asks visitors and how patient it is with them and with the hub."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ask: list[Detail] = Field(
        default_factory=list,
        title="Details asked for every service",
        description="Optional details the visitor may give: name, phone, companies (SPEC Q-3).",
    )
    ask_by_service: dict[str, list[Detail]] = Field(
        default_factory=dict,
        title="Details per service",
        description="Service (project) id to the details asked for it; overrides ``ask``.",
    )
    idle_timeout_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        60.0,
        title="Idle timeout",
        description="Seconds without a touch after which the kiosk returns to its start screen.",
    )
    ticket_timeout_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        20.0,
        title="Ticket screen time",
        description="Seconds the ticket stays on screen without a touch.",
    )
    print_wait_s: Annotated[float, Field(gt=0, le=600)] = Field(
        15.0,
        title="Printer patience",
        description="Seconds to wait for the printer before asking the visitor to remember "
        "the number.",
    )
    refresh_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        15.0,
        title="Services refresh",
        description="Seconds between refreshes of the waiting counts on the start screen.",
    )
    request_timeout_s: Annotated[float, Field(gt=0, le=120)] = Field(
        8.0,
        title="Request timeout",
        description="Seconds to wait for the hub before resending a request (same request_id).",
    )
    scanner: ScannerSettings = Field(
        default_factory=ScannerSettings,
        title="QR code scanning",
        description="A HID scanner and/or a camera for checking in with the booking's QR code.",
    )
    fullscreen: bool = Field(
        True, title="Full screen", description="Cover the whole screen (off only for testing)."
    )

    def details_for(self, service_id: int) -> list[Detail]:
        """The details asked for ``service_id``, in the kiosk's fixed order."""
        chosen = self.ask_by_service.get(str(service_id), self.ask)
        return [detail for detail in DETAILS if detail in chosen]


def parse_settings(data: dict[str, Any], source: str = "device config") -> KioskSettings:
    """Validate the ``settings`` table; KioskSettingsError names the first wrong setting."""
    try:
        return KioskSettings.model_validate(data)
    except ValidationError as exc:
        raise KioskSettingsError(f"{source}: {wrong_setting(exc)}") from None
