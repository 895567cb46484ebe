"""Building blocks shared by every payload: the versioned base, bounded strings, errors."""

from __future__ import annotations

from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

Lang = Literal["uk", "en"]
DeviceRole = Literal["kiosk", "panel", "display", "printer", "phone", "line"]

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Note = Annotated[str, StringConstraints(max_length=2000)]
TicketNumber = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Window = Annotated[str, StringConstraints(min_length=1, max_length=16)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{3,32}$")]
BookingCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,32}$")]
Username = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,12}$")]
Version = Annotated[str, StringConstraints(min_length=1, max_length=32)]
CallRef = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Remote = Annotated[str, StringConstraints(max_length=128)]
Digits = Annotated[str, StringConstraints(pattern=r"^[0-9*#A-D]{1,32}$")]
TaskNumber = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,490}$")]
MAX_FINISH_MINUTES = 24 * 60
"""The most minutes one finish may record: a visit longer than a day is a typing error."""
Minutes = Annotated[int, Field(ge=0, le=MAX_FINISH_MINUTES)]
Percent = Annotated[int, Field(ge=0, le=100)]

MAX_PAYLOAD = 256 * 1024
"""Largest payload ``decode`` accepts: a board of 50 calls and hundreds of services fits."""


class Message(BaseModel):
    """Base of every payload: strict, closed, versioned."""

    model_config = ConfigDict(extra="forbid", strict=True)

    v: Literal[1] = 1


class Part(BaseModel):
    """Base of nested objects: strict and closed like messages, but without a version."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorInfo(Part):
    """Why a request failed: a stable ``code`` for programs, a ``message`` for people."""

    code: Code
    message: Text


class ClientInfo(Part):
    """Who the visitor is, when they tell the kiosk."""

    name: Name | None = None
    phone: Phone | None = None
    # How many companies the visitor represents: a booked slot lasts longer for more.
    companies: Annotated[int, Field(ge=1, le=50)] | None = None


# ---- requests and replies -------------------------------------------------------------


class Request(Message):
    """A request to the hub; ``request_id`` makes a repeated delivery harmless."""

    request_id: UUID


class Reply(Message):
    """A reply: echoes ``request_id``; ``error`` is present exactly when ``ok`` is false."""

    request_id: UUID
    ok: bool
    error: ErrorInfo | None = None

    @model_validator(mode="after")
    def _error_iff_failed(self) -> Self:
        if self.ok and self.error is not None:
            raise ValueError("a successful reply carries no error")
        if not self.ok and self.error is None:
            raise ValueError("a failed reply needs an error {code, message}")
        return self

    @classmethod
    def failure(cls, request_id: UUID, code: str, message: str) -> Self:
        """A failed reply to ``request_id``."""
        return cls(request_id=request_id, ok=False, error=ErrorInfo(code=code, message=message))
