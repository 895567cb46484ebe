"""The phone agent's own settings: ``[settings]`` and ``[settings.sip]`` of its device config.

The device config file carries role settings as a free table (firmware_config.device_config);
the phone validates them here, so a typo stops the agent with one line naming the setting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from firmware_config.device_config import wrong_setting

Port = Annotated[int, Field(ge=1, le=65535)]
# ALSA names: "default", "plughw:1,0", "hw:CARD=Headset,DEV=0", "sysdefault:CARD=Device".
ALSA_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:,.=]{0,99}$")


class PhoneSettingsError(Exception):
    """A phone setting is wrong; the message is one line naming it (never a secret)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SipSettings(_Strict):
    """The operator's SIP account and the agent's local ports (PH-7)."""

    server: Annotated[str, Field(min_length=1, max_length=253)] = Field(
        title="SIP server", description="Registrar's host name or IP address."
    )
    port: Port = Field(5060, title="SIP server port", description="Registrar's UDP port.")
    proxy: Annotated[str, Field(min_length=1, max_length=253)] | None = Field(
        None,
        title="Outbound proxy",
        description="Host every request is sent through (empty: straight to the server).",
    )
    proxy_port: Port | None = Field(
        None, title="Outbound proxy port", description="Proxy's UDP port (default: 5060)."
    )
    user: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.+-]{1,64}$")] = Field(
        title="SIP number", description="The operator's SIP user / number."
    )
    auth_user: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, title="Auth user", description="Digest user name when it differs from the number."
    )
    password: SecretStr = Field(title="SIP password", description="Digest password.")
    local_ip: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        "0.0.0.0",
        title="Local address",
        description="Address the agent binds and puts in its SIP and SDP (the Pi's LAN address).",
    )
    local_port: Port = Field(5060, title="Local SIP port", description="UDP port for SIP.")
    rtp_port_low: Port = Field(10000, title="RTP ports from", description="Lowest RTP port.")
    rtp_port_high: Port = Field(10100, title="RTP ports to", description="Highest RTP port.")
    reregister_s: Annotated[int, Field(ge=2, le=3600)] = Field(
        60,
        title="Re-registration interval",
        description="Seconds between REGISTERs; a registrar that lost the agent (restart) "
        "knows it again within this time.",
    )
    lines: Annotated[int, Field(ge=1, le=5)] = Field(
        5, title="Lines", description="Simultaneous calls; one more incoming call gets busy."
    )
    recordings: Path = Field(
        Path("recordings"),
        title="Recordings folder",
        description="Where recorded conversations are written as WAV (relative: beside the "
        "config file, or under $STATE_DIRECTORY under systemd).",
    )

    @model_validator(mode="after")
    def _ports(self) -> Self:
        if self.rtp_port_high - self.rtp_port_low < 2 * self.lines:
            raise ValueError("the RTP port range needs at least two ports per line")
        if self.rtp_port_low <= self.local_port <= self.rtp_port_high:
            raise ValueError("the local SIP port is inside the RTP port range")
        return self


class PhoneSettings(_Strict):
    """Everything the phone agent needs beyond the common device config."""

    sip: SipSettings | None = Field(
        None,
        title="SIP",
        description="Account, server and ports. A phone provisioned before its SIP account "
        "exists runs without it and reports the fault sip_not_configured.",
    )
    ring_timeout_s: Annotated[float, Field(gt=0, le=600)] = Field(
        45.0,
        title="Ring timeout",
        description="An incoming call not answered in this time is refused and reported missed.",
    )
    status_interval_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        1.0,
        title="Housekeeping",
        description="Seconds between checks of ring timeouts and the registration.",
    )
    sound_device: str | None = Field(
        None,
        title="Sound device",
        description="ALSA device of the operator's headset (default, plughw:1,0...), "
        'played and captured with aplay/arecord; absent or "none": no sound, the agent '
        "handles signalling and recording only.",
    )

    @field_validator("sound_device")
    @classmethod
    def _alsa_name(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in ("", "none"):
            return None
        if not ALSA_NAME.match(value):
            raise ValueError(
                'not an ALSA device name: give one like "default" or "plughw:1,0", or "none"'
            )
        return value


def parse_settings(data: dict[str, Any], source: str = "device config") -> PhoneSettings:
    """Validate the ``settings`` table; PhoneSettingsError names the first wrong setting."""
    try:
        return PhoneSettings.model_validate(data)
    except ValidationError as exc:
        raise PhoneSettingsError(f"{source}: {wrong_setting(exc)}") from None
