"""What may stand in a certificate: a host name or an IP address, checked before signing."""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def check_name(value: str) -> str:
    """``value`` as a certificate name (lowercase host name or IP address); ValueError if not."""
    name = value.strip().strip("[]").lower()
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    labels = name.rstrip(".").split(".")
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{value!r} is neither a host name nor an IP address")
    return ".".join(labels)
