"""The office's authority as the hub's settings place it: where, for which names, kept current."""

from __future__ import annotations

import socket
from pathlib import Path

from hub.config import Settings
from hub.tls.authority import Authority, clean_names

TLS_FOLDER = "tls"


def tls_folder(settings: Settings) -> Path:
    """Where the CA and the server certificate live (mode 0700)."""
    return settings.data_dir / TLS_FOLDER


def server_names(settings: Settings) -> list[str]:
    """Every name and address the server certificate must carry: loopback, this machine's
    name (and its mDNS ``.local`` form), the public and listen hosts, and ``tls_names``."""
    host = socket.gethostname().strip().lower()
    machine = [host, f"{host}.local"] if host and "." not in host else [host]
    return clean_names(
        [
            *settings.tls_names,
            settings.mqtt_public_host or "",
            settings.mqtt_host,
            settings.host,
            "localhost",
            "127.0.0.1",
            "::1",
            *machine,
        ]
    )


def office_authority(settings: Settings) -> Authority:
    """The office's CA (made on first use) with a current server certificate."""
    authority = Authority.open(tls_folder(settings))
    authority.ensure_server(server_names(settings))
    return authority
