"""The one exception the protocol raises, so devices and the hub catch a single type."""

from __future__ import annotations

from typing import Literal

ProtocolErrorCode = Literal[
    "bad_json",
    "unknown_field",
    "wrong_version",
    "invalid",
    "bad_topic",
    "bad_id",
]


class ProtocolError(ValueError):
    """A topic or payload breaks the contract; ``code`` tells which way, ``str()`` says how."""

    def __init__(self, code: ProtocolErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ProtocolErrorCode = code
        self.message = message

    def __repr__(self) -> str:
        return f"ProtocolError({self.code!r}, {self.message!r})"
