"""Process settings for the hub: environment variables ``CHERGA_*`` and an optional TOML file."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hub.protocol.zones import ZoneName

CONFIG_FILE_ENV = "CHERGA_CONFIG"
CREDENTIALS = ("admin_password", "database_url", "metrics_token", "mqtt_url")
"""Settings that may come from systemd credentials of the same name ($CREDENTIALS_DIRECTORY)."""
_reading_file: ContextVar[str | None] = ContextVar("cherga_config_file", default=None)


class ConfigError(Exception):
    """A setting has a wrong value; the message names the setting and fits on one line."""


class Settings(BaseSettings):
    """Everything the hub process needs to start; declared once, validated strictly."""

    model_config = SettingsConfigDict(
        env_prefix="CHERGA_",
        extra="forbid",
        validate_default=True,
    )

    host: str = Field(
        "127.0.0.1", title="Listen address", description="Address the HTTP API binds to."
    )
    port: int = Field(
        8000,
        ge=1,
        le=65535,
        title="HTTP port",
        description="Port of the plain HTTP API; with https on, it only redirects to HTTPS.",
    )
    https: bool = Field(
        True,
        title="HTTPS",
        description=(
            "Serve the API and pages over HTTPS on https_port (false: plain HTTP only on port, "
            "for example behind a reverse proxy that ends TLS)."
        ),
    )
    https_port: int = Field(
        8443, ge=1, le=65535, title="HTTPS port", description="Port of the HTTPS API and pages."
    )
    tls_cert_file: Path | None = Field(
        None,
        title="HTTPS certificate",
        description=(
            "PEM certificate (chain) the administrator provides for HTTPS instead of the office "
            "CA's; give tls_key_file with it."
        ),
    )
    tls_key_file: Path | None = Field(
        None,
        title="HTTPS certificate's key",
        description="PEM private key of tls_cert_file (unencrypted, readable by the hub only).",
    )
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        title="Trusted reverse proxies",
        description=(
            "Addresses or networks of reverse proxies whose X-Forwarded-For and "
            "X-Forwarded-Proto headers are believed; empty: nobody's (JSON list in the "
            "environment)."
        ),
    )
    data_dir: Path = Field(
        Path("data"),
        title="Data folder",
        description="Folder for the SQLite database, recordings and generated files.",
    )
    database_url: str | None = Field(
        None,
        title="Database URL",
        description="SQLAlchemy URL; empty means a SQLite file cherga.db in the data folder.",
    )
    mqtt_url: str | None = Field(
        None,
        title="MQTT broker URL",
        description=(
            "mqtt:// or mqtts://user:password@host:port of an external broker; empty: start one."
        ),
    )
    mqtt_host: str = Field(
        "127.0.0.1",
        title="Embedded broker address",
        description="Address the broker the hub starts itself listens on (no CHERGA_MQTT_URL).",
    )
    mqtt_port: int = Field(
        8883,
        ge=1,
        le=65535,
        title="Embedded broker port",
        description="Port of the broker the hub starts itself (8883 is MQTT over TLS).",
    )
    mqtt_public_host: str | None = Field(
        None,
        title="Broker address for devices",
        description="Host name devices use to reach the broker; empty: the broker's own address.",
    )
    mqtt_ca_file: Path | None = Field(
        None,
        title="External broker's CA",
        description=(
            "CA certificate (PEM file) an mqtts:// broker's certificate is checked against, "
            "by the hub and in the devices' configs; empty: the office's own CA (and, for the "
            "hub, the system's)."
        ),
    )
    mqtt_tls: bool = Field(
        True,
        title="MQTT over TLS",
        description=(
            "The embedded broker's device listener speaks TLS and takes each device's identity "
            "from its client certificate (false: plain TCP with passwords, for a closed network "
            "only)."
        ),
    )
    tls_names: list[str] = Field(
        default_factory=list,
        title="Certificate names",
        description=(
            "Host names and addresses devices and browsers use to reach the hub, added to its "
            "server certificate (localhost, 127.0.0.1, ::1, this machine's name and the public "
            "host settings are always in it); JSON list in the environment."
        ),
    )
    public_url: str | None = Field(
        None,
        title="Back-office address",
        description=(
            "Base URL people open the back-office at, e.g. https://cherga.office.lan:8443 "
            "(links on the operator panels use it); empty: https (or http) on the first "
            "certificate name, the devices' broker host or this machine's name, and its port."
        ),
    )
    visitor_url: str | None = Field(
        None,
        title="Visitors' address",
        description=(
            "Base URL visitors' phones open their live ticket page at (the address a reverse "
            "proxy publishes on the internet, e.g. https://queue.example.org); empty: the "
            "back-office address."
        ),
    )
    admin_password: SecretStr | None = Field(
        None,
        title="First administrator's password",
        description="Password of 'admin' when the hub creates it; generated if empty.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        title="Metrics scrape token",
        description="Bearer token Prometheus sends to GET /metrics (docs/stats.md); empty: only "
        "an administrator's login token or API key is accepted there.",
    )
    site: str = Field(
        "main",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$",
        title="Site id",
        description="Short id of this office; part of every MQTT topic.",
    )
    timezone: ZoneName = Field(
        "Europe/Kyiv",
        title="Time zone",
        description="IANA time zone of the site; daily counters restart at its midnight.",
    )
    default_lang: Literal["uk", "en"] = Field(
        "uk",
        title="Default language",
        description="Language of messages when nobody asked for one.",
    )
    token_ttl_minutes: int = Field(
        12 * 60,
        ge=1,
        le=60 * 24 * 30,
        title="Token lifetime",
        description="Minutes a login token stays valid.",
    )
    attachment_max_mb: float = Field(
        20,
        gt=0,
        le=1024,
        title="Attachment size limit",
        description="Largest attachment accepted, in MiB.",
    )
    import_max_mb: float = Field(
        50,
        gt=0,
        le=1024,
        title="Import size limit",
        description="Largest CSV or XLSX file accepted for import, in MiB.",
    )
    health_outbox_max_age_s: float = Field(
        60,
        gt=0,
        le=86400,
        title="Outbox age limit",
        description=(
            "Seconds the oldest unsent MQTT message may wait before /healthz says 'degraded' "
            "(normally the outbox empties within a fraction of a second)."
        ),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", title="Log level", description="Level of the hub's log on standard output."
    )
    password_hash_memory_kib: int = Field(
        65536,
        ge=8,
        le=1048576,
        title="Argon2 memory",
        description="Memory cost of password hashing in KiB (lower only for tests).",
    )
    password_hash_time_cost: int = Field(
        3, ge=1, le=10, title="Argon2 time cost", description="Iterations of password hashing."
    )

    bench_mode: bool = Field(
        False,
        title="Bench mode",
        description=(
            "A hub started by a bench or a test, never in service: only then may the clock be "
            "controlled. The hub logs a warning at every start in this mode."
        ),
    )
    clock: Literal["system", "controlled"] = Field(
        "system",
        title="Clock",
        description=(
            "system: the real time. controlled: the queue's time stands still until an "
            "administrator sets it (PUT /api/v1/bench/clock), for simulated office days "
            "(bench/office_day.py); refused unless bench_mode is true."
        ),
    )

    @field_validator("clock")
    @classmethod
    def _clock_in_bench_only(cls, value: str, info: ValidationInfo) -> str:
        if value == "controlled" and not info.data.get("bench_mode"):
            raise ValueError("a controlled clock needs bench_mode = true (never in service)")
        return value

    @field_validator("https_port")
    @classmethod
    def _two_ports(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("https") and value == info.data.get("port"):
            raise ValueError("must differ from port, which redirects to it")
        return value

    @field_validator("tls_key_file")
    @classmethod
    def _certificate_pair(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if (value is None) != (info.data.get("tls_cert_file") is None):
            raise ValueError("give both tls_cert_file and tls_key_file, or neither")
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an address or a network") from None
        return [entry.strip() for entry in value]

    @field_validator("tls_names")
    @classmethod
    def _certificate_names(cls, value: list[str]) -> list[str]:
        from hub.tls.names import check_name

        if len(value) > 50:
            raise ValueError("at most 50 names")
        return [check_name(name) for name in value]

    @field_validator("public_url", "visitor_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        clean = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~/-]*)?", clean):
            raise ValueError("must be an http:// or https:// address such as https://hub:8443")
        return clean

    @field_validator(*CREDENTIALS, mode="before")
    @classmethod
    def _value_or_credential(cls, value: object, info: ValidationInfo) -> object:
        # An empty value means "not set"; systemd's LoadCredential= may supply the secret instead
        # (a file named after the setting), so it needs no environment file nor command line.
        if value in (None, ""):
            directory = os.environ.get("CREDENTIALS_DIRECTORY")
            path = Path(directory, str(info.field_name)) if directory else None
            if path is not None and path.is_file():
                return path.read_text(encoding="utf-8").strip() or None
            return None
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        from hub.broker.urls import parse_mqtt_url

        parse_mqtt_url(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:// and postgresql:// URLs are supported")
        return value

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cherga.db').resolve()}"

    @property
    def office_url(self) -> str:
        """The back-office's base URL for links shown on devices (no trailing slash)."""
        if self.public_url:
            return self.public_url
        host = next(iter(self.tls_names), None) or self.mqtt_public_host
        if not host:
            host = self.host if self.host not in ("0.0.0.0", "::", "127.0.0.1", "::1") else None
        host = host or socket.gethostname() or "localhost"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address in a URL
        scheme, port = ("https", self.https_port) if self.https else ("http", self.port)
        default = 443 if self.https else 80
        return f"{scheme}://{host}" + (f":{port}" if port != default else "")

    @property
    def ticket_page_url(self) -> str:
        """The base of the links to visitors' live ticket pages (no trailing slash)."""
        return (self.visitor_url or self.office_url).rstrip("/")

    @property
    def tz(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _reading_file.get() or os.environ.get(CONFIG_FILE_ENV)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)


def _describe(error: dict[str, Any]) -> str:
    loc = ".".join(str(part) for part in error.get("loc", ()))
    name = f"CHERGA_{loc.upper()}" if loc else "configuration"
    value = error.get("input")
    shown = "" if loc in CREDENTIALS or isinstance(value, dict) else f" (got {value!r})"
    return f"invalid setting {loc or '-'} ({name}): {error.get('msg', 'invalid')}{shown}"


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings from overrides, the environment and the TOML file; ConfigError if wrong."""
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"configuration file {path} does not exist")
    elif os.environ.get(CONFIG_FILE_ENV) and not Path(os.environ[CONFIG_FILE_ENV]).is_file():
        raise ConfigError(
            f"configuration file {os.environ[CONFIG_FILE_ENV]} ({CONFIG_FILE_ENV}) does not exist"
        )
    clean = {key: value for key, value in overrides.items() if value is not None}
    # The file named here is read for this call only (never left in os.environ for others).
    token = _reading_file.set(str(config_file) if config_file is not None else None)
    try:
        return Settings(**clean)
    except ValidationError as exc:
        raise ConfigError(_describe(dict(exc.errors()[0]))) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file is not valid TOML: {exc}") from None
    finally:
        _reading_file.reset(token)
