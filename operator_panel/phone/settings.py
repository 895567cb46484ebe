"""The phone agent's own settings: ``[settings]`` and ``[settings.sip]`` of its device config.

The device config file carries role settings as a free table (firmware_config.device_config);
the phone validates them here, so a typo stops the agent with one line naming the setting.
"""

from __future__ import annotations

import re
import ssl
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from firmware_config.device_config import wrong_setting
from operator_panel.phone import siptls

Port = Annotated[int, Field(ge=1, le=65535)]
# ALSA names: "default", "plughw:1,0", "hw:CARD=Headset,DEV=0", "sysdefault:CARD=Device".
ALSA_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:,.=]{0,99}$")
HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
Transport = Literal["udp", "tcp", "tls"]
DEFAULT_PORTS: dict[str, int] = {"udp": 5060, "tcp": 5060, "tls": 5061}
NO_SRTP = (
    "SRTP is not available: the SIP library (rfcvoip) sends and takes plain RTP only, and the "
    'agent will not carry calls unencrypted when encryption is asked for; use "none" '
    '(transport = "tls" still encrypts the signalling)'
)


class PhoneSettingsError(Exception):
    """A phone setting is wrong; the message is one line naming it (never a secret)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SipSettings(_Strict):
    """The operator's SIP account and the agent's local ports (PH-7)."""

    server: Annotated[str, Field(min_length=1, max_length=253)] = Field(
        title="SIP server", description="Registrar's host name or IP address."
    )
    port: Port | None = Field(
        None, title="SIP server port", description="Registrar's port (default 5060; tls: 5061)."
    )
    proxy: Annotated[str, Field(min_length=1, max_length=253)] | None = Field(
        None,
        title="Outbound proxy",
        description="Host every request is sent through (empty: straight to the server).",
    )
    proxy_port: Port | None = Field(
        None, title="Outbound proxy port", description="Proxy's port (default 5060; tls: 5061)."
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
    local_port: Port = Field(
        5060,
        title="Local SIP port",
        description="UDP port for SIP; with tcp or tls, the port the agent's connection to the "
        "server comes from.",
    )
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
    # The transport and TLS keys come last: their checks read the transport validated before.
    transport: Transport = Field(
        "udp",
        title="SIP transport",
        description='"udp" (default), "tcp" or "tls". With tcp and tls the agent opens one '
        "connection to the server (or the proxy), registers and takes its calls over it; tls "
        "encrypts that signalling and checks the server's certificate. Audio is RTP either way.",
    )
    tls_ca: str | None = Field(
        None,
        title="TLS CA",
        description="tls: the CA the server's certificate must chain to, as an absolute file "
        "path or the PEM text (default: the system's trusted CAs).",
    )
    tls_verify_name: bool = Field(
        True,
        title="Check the server's name",
        description="tls: the certificate must name the server (tls_server_name, else the "
        "proxy or server as written). false needs tls_ca: the chain is still checked.",
    )
    tls_server_name: str | None = Field(
        None,
        title="TLS server name",
        description="tls: the name the certificate must carry (and sent as SNI) when the "
        "server is reached by another name or by its address.",
    )
    tls_cert: str | None = Field(
        None,
        title="TLS client certificate",
        description="tls, for a PBX that asks for one: this phone's certificate, as an "
        "absolute file path or the PEM text.",
    )
    tls_key: SecretStr | None = Field(
        None,
        title="TLS client key",
        description="The client certificate's private key (unencrypted), as an absolute file "
        "path or the PEM text; never logged.",
        validate_default=True,
    )
    media_encryption: Literal["none", "srtp"] = Field(
        "none",
        title="Media encryption",
        description='"none": audio is plain RTP. "srtp" is refused: the SIP library has no '
        "SRTP, and the agent does not fall back to plain audio silently.",
    )

    @field_validator("tls_ca", "tls_server_name", "tls_cert")
    @classmethod
    def _tls_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        _needs_tls(info)
        if info.field_name == "tls_server_name":
            if not HOST_NAME.match(value):
                raise ValueError("not a host name")
            return value
        try:
            source = siptls.check_source(value)
            if info.field_name == "tls_ca":
                siptls.client_context(ca=source)
        except siptls.SipTlsError as exc:
            raise ValueError(str(exc)) from None
        return source

    @field_validator("tls_verify_name")
    @classmethod
    def _name_check(cls, value: bool, info: ValidationInfo) -> bool:
        if not value:
            _needs_tls(info)
            if info.data.get("tls_ca") is None:
                raise ValueError(
                    "only with tls_ca: without it any publicly trusted certificate would pass"
                )
        return value

    @field_validator("tls_key")
    @classmethod
    def _client_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        cert = info.data.get("tls_cert")
        if value is None:
            if cert is not None:
                raise ValueError("tls_cert is set: give its private key")
            return None
        _needs_tls(info)
        if cert is None and "tls_cert" in info.data:
            raise ValueError("a client key needs tls_cert, its certificate")
        try:
            source = siptls.check_source(value.get_secret_value())
            if cert is not None:
                siptls.client_context(ca=info.data.get("tls_ca"), cert=cert, key=source)
        except siptls.SipTlsError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("media_encryption")
    @classmethod
    def _no_srtp(cls, value: str) -> str:
        if value != "none":
            raise ValueError(NO_SRTP)
        return value

    @model_validator(mode="after")
    def _ports(self) -> Self:
        if self.rtp_port_high - self.rtp_port_low < 2 * self.lines:
            raise ValueError("the RTP port range needs at least two ports per line")
        if self.rtp_port_low <= self.local_port <= self.rtp_port_high:
            raise ValueError("the local SIP port is inside the RTP port range")
        return self

    @property
    def server_port(self) -> int:
        """The registrar's port, by default the transport's usual one."""
        return self.port or DEFAULT_PORTS[self.transport]

    @property
    def outbound_port(self) -> int:
        """The outbound proxy's port, by default the transport's usual one."""
        return self.proxy_port or DEFAULT_PORTS[self.transport]

    def tls_context(self) -> ssl.SSLContext | None:
        """The context the TLS connection is checked with (None unless transport is tls)."""
        if self.transport != "tls":
            return None
        key = None if self.tls_key is None else self.tls_key.get_secret_value()
        return siptls.client_context(
            ca=self.tls_ca, verify_name=self.tls_verify_name, cert=self.tls_cert, key=key
        )


def _needs_tls(info: ValidationInfo) -> None:
    transport = info.data.get("transport")
    if transport is not None and transport != "tls":
        raise ValueError(f'only used with transport = "tls" (it is "{transport}")')


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
