"""Domain errors: each carries a message code from ``hub.i18n`` and its parameters."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused an operation; adapters turn it into a reply for a person."""

    status = 400

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        from hub.i18n import translate

        return translate(self.code, "en", **self.params)


class NotFound(DomainError):
    """The thing asked for does not exist."""

    status = 404


class Conflict(DomainError):
    """The operation contradicts the current state (a system entry, a duplicate code...)."""

    status = 409


class Invalid(DomainError):
    """The input is well-formed but breaks a rule."""

    status = 422


class Unauthenticated(DomainError):
    """No valid credentials."""

    status = 401


class AccessDenied(DomainError):
    """The user lacks a right; ``right`` names it."""

    status = 403
