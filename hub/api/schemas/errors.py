"""The body of every error reply, as the OpenAPI document publishes it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorField(BaseModel):
    """One field the request got wrong."""

    field: str = Field(description="The field's name, dotted for nested ones; 'body' for all")
    message: str = Field(description="What is wrong, in the user's language")
    location: str | None = Field(None, description="body, query, path or header")
    type: str | None = Field(None, description="A stable code of the problem")


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str = Field(description="A stable code, e.g. not_authenticated, client_deleted")
    message: str = Field(description="A sentence for a person, in their language")
    fields: list[ErrorField] | None = Field(None, description="Wrong fields, when known")
    right: str | None = Field(None, description="The missing right, on 403")


class ErrorBody(BaseModel):
    """Every error reply: ``{"error": {"code", "message", ...}}``."""

    error: ErrorDetail
