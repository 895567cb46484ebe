"""``mqtt://`` and ``mqtts://user:password@host:port`` URLs: parsed once, checked strictly,
never logged whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

DEFAULT_PORT = 1883
DEFAULT_TLS_PORT = 8883


@dataclass(frozen=True)
class MqttEndpoint:
    """Where and as whom to connect; ``password`` is left out of repr so it never hits a log."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    """``mqtts://``: the broker is reached over TLS and its certificate checked."""

    @property
    def scheme(self) -> str:
        """``mqtts`` over TLS, else ``mqtt``."""
        return "mqtts" if self.tls else "mqtt"

    @property
    def url(self) -> str:
        """The URL again, with credentials (for passing on, not for printing)."""
        auth = ""
        if self.username is not None:
            auth = quote(self.username, safe="")
            if self.password is not None:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{auth}{host}:{self.port}"

    @property
    def safe_url(self) -> str:
        """The URL without the password, fit for logs."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{user}{host}:{self.port}"


def parse_mqtt_url(value: str) -> MqttEndpoint:
    """Parse ``mqtt[s]://[user[:password]@]host[:port]``; ValueError (without the secret) if
    wrong."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError("not a valid mqtt:// URL") from None
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError("the URL must start with mqtt:// or mqtts:// (TLS)")
    tls = parts.scheme == "mqtts"
    if not parts.hostname:
        raise ValueError("the URL has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("the URL must not have a path, query or fragment")
    return MqttEndpoint(
        host=parts.hostname,
        port=port if port is not None else DEFAULT_TLS_PORT if tls else DEFAULT_PORT,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        tls=tls,
    )
