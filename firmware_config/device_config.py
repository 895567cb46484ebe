"""The device config file every appliance reads at start: who it is and how to reach the broker.

A TOML file written by ``cherga device add --config-out FILE`` (mode 0600: it holds the device's
MQTT password) and read by the kiosk, panel, display, printer and phone agents. Reading validates
everything and fails with one clear line naming the file and the setting; secrets are never shown.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from hub.protocol.tls import ClientTls, TlsSetupError, client_context
from hub.protocol.zones import ZoneName

SafeId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Role = Literal["kiosk", "printer", "panel", "display", "phone", "line"]


class DeviceConfigError(Exception):
    """The config file is missing or wrong; the message is one line and holds no secret."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Pem = Annotated[str, Field(min_length=64, max_length=20_000, pattern=r"^-----BEGIN [A-Z ]+-----")]


class MqttTls(_Strict):
    """MQTT over TLS: the office's CA the broker is checked against, and this device's own
    certificate and key, from which the broker takes its identity."""

    ca: Pem = Field(title="CA certificate", description="The office's CA (PEM).")
    cert: Pem | None = Field(None, title="Certificate", description="This device's (PEM).")
    key: SecretStr | None = Field(None, title="Private key", description="Its key (PEM).")

    @model_validator(mode="after")
    def _usable(self) -> Self:
        try:
            client_context(self.client_tls())
        except TlsSetupError as exc:
            raise ValueError(str(exc)) from None
        return self

    def client_tls(self) -> ClientTls:
        """What the MQTT client needs."""
        return ClientTls(
            ca_pem=self.ca,
            cert_pem=self.cert,
            key_pem=self.key.get_secret_value() if self.key is not None else None,
        )


class MqttConfig(_Strict):
    """The broker and this device's credentials on it."""

    host: Annotated[str, Field(min_length=1, max_length=253)]
    port: Annotated[int, Field(ge=1, le=65535)] = 1883
    username: SafeId
    password: SecretStr
    tls: MqttTls | None = None

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments of ``DeviceClient`` for this broker and these credentials."""
        return {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password.get_secret_value(),
            "tls": self.tls.client_tls() if self.tls is not None else None,
        }


TouchRaw = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class TouchCalibration(_Strict):
    """The raw range of a touch screen that meets the picture's edges (before rotation).

    Applied by the Pi set-up (``firmware_config/pi/setup.sh``) as a udev rule that sets the
    touch device's axis ranges in the kernel, so every reader of it (Kivy included) sees them;
    a minimum above its maximum turns that axis round.
    """

    min_x: TouchRaw = Field(title="Left", description="Raw X value at the picture's left edge.")
    max_x: TouchRaw = Field(title="Right", description="Raw X value at its right edge.")
    min_y: TouchRaw = Field(title="Top", description="Raw Y value at the picture's top edge.")
    max_y: TouchRaw = Field(title="Bottom", description="Raw Y value at its bottom edge.")
    device: Annotated[str, Field(pattern=r"^[A-Za-z0-9 ._:()/+*?-]{1,80}$")] | None = Field(
        None,
        title="Touch device",
        description="Its input name (a glob, as in /proc/bus/input/devices); default: all.",
    )

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.min_x == self.max_x or self.min_y == self.max_y:
            raise ValueError("a touch axis needs two different ends")
        return self


class ScreenConfig(_Strict):
    """Optional screen geometry for roles with a screen."""

    width: Annotated[int, Field(ge=100, le=8192)] | None = None
    height: Annotated[int, Field(ge=100, le=8192)] | None = None
    rotation: Literal[0, 90, 180, 270] = 0
    touch: TouchCalibration | None = Field(
        None, title="Touch calibration", description="Only for a touch screen that needs it."
    )


class DeviceConfig(_Strict):
    """Everything an appliance needs to know about itself."""

    device_id: SafeId
    role: Role
    site: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    mqtt: MqttConfig
    window: Annotated[int, Field(ge=1, le=9999)] | None = None
    printer: SafeId | None = None
    screen: ScreenConfig | None = None
    timezone: ZoneName | None = Field(
        None,
        title="Time zone",
        description="The office's IANA zone (e.g. Europe/Kyiv): the clocks and times a person "
        "reads on the device are its; the Pi set-up makes it the system's zone too. "
        "Default: what the hub sends, else the system's zone.",
    )
    # The role's own settings ([settings] and its sub-tables: the printer's connection and
    # ticket layout, a display's voice...). The role's program validates them with its own
    # model at start, so this file stays the one place a device is configured.
    settings: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _role_fields(self) -> Self:
        if (self.role == "panel") != (self.window is not None):
            raise ValueError("window is required for a panel and only for a panel")
        if self.printer is not None and self.role != "kiosk":
            raise ValueError("printer is set only for a kiosk")
        if self.screen is not None and self.role not in ("kiosk", "panel", "display"):
            raise ValueError(f"a {self.role} has no screen")
        return self


def wrong_setting(exc: ValidationError) -> str:
    """One line naming the first wrong entry of a ``[settings]`` table and why, as every
    appliance reports it: ``settings.sip.rtp_port_high: Input should be ...``."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in ("settings", *error.get("loc", ())))
    return f"{where}: {error.get('msg', 'invalid')}"


def _describe(error: Any) -> str:
    loc = ".".join(str(part) for part in error.get("loc", ())) or "file"
    return f"{loc}: {error.get('msg', 'invalid')}"


def _is_block(text: str) -> bool:
    """Whether ``text`` can be written as a TOML multi-line literal string as it is: lines of
    printable characters, ending in a newline, without the closing quotes."""
    return (
        text.endswith("\n")
        and "'''" not in text
        and all(line.isprintable() for line in text[:-1].split("\n"))
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and _is_block(value):
        # A PEM block stays readable: a multi-line literal string (its first newline is dropped).
        return f"'''\n{value}'''"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_table(name: str, values: dict[str, Any]) -> list[str]:
    """``[name]`` with its plain values, then its sub-tables as ``[name.sub]``."""
    lines = ["", f"[{name}]"]
    lines += [
        f"{k} = {_toml_value(v)}"
        for k, v in values.items()
        if v is not None and not isinstance(v, dict)
    ]
    for key, sub in values.items():
        if isinstance(sub, dict):
            lines += _toml_table(f"{name}.{key}", sub)
    return lines


def to_toml(config: DeviceConfig) -> str:
    """The TOML text of ``config`` (with the password in clear: the file is private)."""
    data = config.model_dump(exclude_none=True)
    data["mqtt"]["password"] = config.mqtt.password.get_secret_value()
    tls = config.mqtt.tls
    if tls is not None and tls.key is not None:
        data["mqtt"]["tls"]["key"] = tls.key.get_secret_value()
    lines = [
        "# Cherga device configuration: keep it private (it holds the device's MQTT password"
        + (" and key)." if tls is not None and tls.key is not None else ").")
    ]
    tables = {k: v for k, v in data.items() if isinstance(v, dict) and v}
    lines += [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for table, values in tables.items():
        lines += _toml_table(table, values)
    return "\n".join(lines) + "\n"


def write_config(config: DeviceConfig, path: Path) -> None:
    """Write ``config`` to ``path`` atomically, readable only by its owner (mode 0600)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(to_toml(config))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def parse_config(data: dict[str, Any], source: str = "device config") -> DeviceConfig:
    """Validate already-loaded data; DeviceConfigError names the first wrong setting."""
    try:
        return DeviceConfig.model_validate(data)
    except ValidationError as exc:
        raise DeviceConfigError(f"{source}: {_describe(exc.errors()[0])}") from None


def read_config(path: Path) -> DeviceConfig:
    """Read and validate a device config file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeviceConfigError(f"{path}: no such device config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeviceConfigError(f"{path}: cannot read: {exc.__class__.__name__}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeviceConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, str(path))
