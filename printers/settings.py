"""The printer agent's own settings: the ``[settings]`` table of its device config file.

The device config carries role-specific settings as a free table; the printer validates them
here at start, so a wrong code page or a typo in the printer's address stops the agent with one
line naming the setting, instead of tickets that come out as question marks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
)

from firmware_config.device_config import wrong_setting
from hub.protocol.zones import ZoneName

Lang = Literal["uk", "en"]
CodePage = Literal["CP1251", "CP1125"]
WIDTH_DOTS: dict[int, int] = {58: 384, 80: 576}
"""Printable dots across the paper at 203 dpi: 48 mm of a 58 mm roll, 72 mm of an 80 mm roll."""


class PrinterSettingsError(Exception):
    """A printer setting is wrong; the message is one line naming it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NetworkConnection(_Strict):
    """A printer on the LAN speaking raw ESC/POS on a TCP port (JetDirect, usually 9100)."""

    kind: Literal["network"] = Field("network", title="Kind", description="Raw TCP printer.")
    host: Annotated[str, Field(min_length=1, max_length=253)] = Field(
        title="Host", description="The printer's IP address or host name."
    )
    port: Annotated[int, Field(ge=1, le=65535)] = Field(
        9100, title="Port", description="The printer's raw TCP port."
    )
    timeout_s: Annotated[float, Field(gt=0, le=120)] = Field(
        5.0, title="Timeout", description="Seconds to wait for the printer on connect and send."
    )


class UsbConnection(_Strict):
    """A printer on the Pi's USB port (needs python-escpos[usb])."""

    kind: Literal["usb"] = Field(title="Kind", description="USB printer.")
    vendor_id: Annotated[int, Field(ge=0, le=0xFFFF)] = Field(
        title="Vendor id", description="USB vendor id, e.g. 0x04b8 for Epson."
    )
    product_id: Annotated[int, Field(ge=0, le=0xFFFF)] = Field(
        title="Product id", description="USB product id of the printer."
    )
    timeout_s: Annotated[float, Field(gt=0, le=120)] = Field(
        5.0, title="Timeout", description="Seconds to wait for the printer."
    )


class SerialConnection(_Strict):
    """A printer on a serial port (needs python-escpos[serial])."""

    kind: Literal["serial"] = Field(title="Kind", description="Serial printer.")
    device: Annotated[str, Field(min_length=1)] = Field(
        title="Device", description="Serial device, e.g. /dev/ttyUSB0."
    )
    baudrate: Annotated[int, Field(ge=1200, le=921600)] = Field(
        19200, title="Baud rate", description="Serial speed the printer is set to."
    )
    timeout_s: Annotated[float, Field(gt=0, le=120)] = Field(
        5.0, title="Timeout", description="Seconds to wait for the printer."
    )


class FileConnection(_Strict):
    """A device node or plain file the ESC/POS bytes are appended to (e.g. /dev/usb/lp0)."""

    kind: Literal["file"] = Field(title="Kind", description="Character device or file.")
    path: Path = Field(title="Path", description="Where the bytes are written.")


class ImageConnection(_Strict):
    """A virtual printer: each ticket becomes a PNG picture in a folder (the demo office's)."""

    kind: Literal["png"] = Field(title="Kind", description="Pictures instead of paper.")
    folder: Path = Field(
        title="Folder",
        description="Where each ticket is written as <number>.png (made when missing).",
    )


def _connection_kind(value: Any) -> str | None:
    # ``kind`` may be left out for the common case, a network printer.
    if isinstance(value, dict):
        return str(value.get("kind", "network"))
    return getattr(value, "kind", None)


Connection = Annotated[
    Annotated[NetworkConnection, Tag("network")]
    | Annotated[UsbConnection, Tag("usb")]
    | Annotated[SerialConnection, Tag("serial")]
    | Annotated[FileConnection, Tag("file")]
    | Annotated[ImageConnection, Tag("png")],
    Discriminator(_connection_kind),
]


class TicketLayout(_Strict):
    """How a ticket looks: paper, printer profile, code page, QR code, logo, texts."""

    width_mm: Literal[58, 80] = Field(80, title="Paper width", description="58 or 80 mm roll.")
    profile: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        "default",
        title="Printer profile",
        description="python-escpos profile name (TM-T20II, TM-T88V, POS-5890...): it decides "
        "which code pages and commands the printer has.",
    )
    codepage: CodePage = Field(
        "CP1251",
        title="Code page",
        description="Code page for the text; both hold every Ukrainian letter (CP866 does not).",
    )
    language: Lang = Field(
        "uk", title="Default language", description="Used when a job does not say."
    )
    timezone: ZoneName = Field(
        "Europe/Kyiv",
        title="Time zone",
        description="The issue time is printed in the office's zone, which the hub sends with "
        "each job; this one serves only for a job without it (an older hub) and the preview.",
    )
    qr: Literal["page", "booking", "status", "none"] = Field(
        "page",
        title="QR code",
        description="page: the link to the ticket's live page sent by the hub (else the "
        "booking code, as booking); booking: the booking code (when the ticket has one); "
        "status: a link made from status_url; none: no QR code.",
    )
    status_url: str | None = Field(
        None,
        title="Status link",
        description="Link in the QR code when qr = status; {ticket_id}, {number} are filled in.",
    )
    qr_native: bool | None = Field(
        None,
        title="Native QR",
        description="true: the printer draws the QR (40 bytes); false: send it as an image; "
        "unset: native when the profile says the printer can.",
    )
    qr_size: Annotated[int, Field(ge=2, le=16)] = Field(
        6, title="QR module size", description="Dots per QR module."
    )
    logo: Path | None = Field(
        None, title="Logo", description="PNG printed at the top (scaled to fit the paper)."
    )
    number_scale: Annotated[int, Field(ge=2, le=8)] = Field(
        6,
        title="Number size",
        description="Largest character magnification of the ticket number (shrunk to fit).",
    )
    cut: Literal["full", "partial"] = Field("partial", title="Cut", description="Paper cut.")
    texts: dict[Lang, dict[str, str]] = Field(
        default_factory=dict,
        title="Texts",
        description="Per language, catalogue keys to replace (site_name, footer, ...).",
    )

    @property
    def width_dots(self) -> int:
        """Printable dots across the paper."""
        return WIDTH_DOTS[self.width_mm]


class PrinterSettings(_Strict):
    """Everything the printer agent needs beyond the common device config."""

    connection: Connection = Field(title="Connection", description="How to reach the printer.")
    ticket: TicketLayout = Field(
        default_factory=TicketLayout, title="Ticket", description="The ticket's layout."
    )
    state_dir: Path | None = Field(
        None,
        title="State folder",
        description="Where the agent keeps the ids of printed jobs (so a restart never "
        "reprints); default: $STATE_DIRECTORY or a folder beside the config file.",
    )
    retry_for_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        60.0,
        title="Retry time",
        description="How long a job that cannot print is retried before it is reported failed.",
    )
    backoff_min_s: Annotated[float, Field(gt=0, le=60)] = Field(
        0.5, title="First retry", description="Seconds before the first retry (then doubled)."
    )
    backoff_max_s: Annotated[float, Field(gt=0, le=300)] = Field(
        10.0, title="Longest retry gap", description="Retries are never further apart."
    )
    status_interval_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        15.0,
        title="Status polling",
        description="Seconds between status queries (paper, cover) while idle.",
    )


def parse_settings(data: dict[str, Any], source: str = "device config") -> PrinterSettings:
    """Validate the ``settings`` table; PrinterSettingsError names the first wrong setting."""
    try:
        return PrinterSettings.model_validate(data)
    except ValidationError as exc:
        raise PrinterSettingsError(f"{source}: {wrong_setting(exc)}") from None
