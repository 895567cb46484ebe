"""Mosquitto's password-file hash (``$7$``: PBKDF2-SHA512), computed here.

Writing the hash ourselves (instead of running ``mosquitto_passwd``) lets the hub keep only the
hash in its database and regenerate the password file at any time without plain passwords.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

# Mosquitto's own default is 101; it reads the count from each line, so more costs only CPU time
# at connect and makes a leaked hash much slower to attack.
ITERATIONS = 1000
_SALT_BYTES = 12


def hash_password(plain: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """The ``$7$iterations$salt$hash`` string Mosquitto 2 accepts in its password file."""
    if not plain:
        raise ValueError("an MQTT password must not be empty")
    salt = salt if salt is not None else os.urandom(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", plain.encode("utf-8"), salt, iterations)
    salt64 = base64.b64encode(salt).decode("ascii")
    return f"$7${iterations}${salt64}${base64.b64encode(digest).decode('ascii')}"


def verify_password(plain: str, hashed: str) -> bool:
    """True when ``plain`` matches a ``$7$`` hash (used by tests and the hub's own checks)."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", plain.encode("utf-8"), salt, int(parts[2]))
    return hmac.compare_digest(digest, expected)


def is_mosquitto_hash(value: str) -> bool:
    """True for a well-formed ``$7$`` hash, so nothing else ever reaches the password file."""
    parts = value.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        return len(base64.b64decode(parts[3], validate=True)) > 0 and (
            len(base64.b64decode(parts[4], validate=True)) == 64
        )
    except ValueError:
        return False


def new_password() -> str:
    """A strong random MQTT password (about 190 bits), safe in URLs and TOML."""
    return secrets.token_urlsafe(24)
