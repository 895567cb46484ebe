"""Base classes and field types shared by the API schemas."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

# The largest id or small number a column of type INTEGER holds on every supported database.
MAX_DB_INT = 2**31 - 1


def single_line(value: str) -> str:
    """Refuse control characters (NUL, line breaks...) in a one-line text such as a name."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def no_nul(value: str) -> str:
    """Refuse the NUL character, which PostgreSQL cannot store in text."""
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "must not contain the NUL character")
    return value


def not_null(value: Any) -> Any:
    """For a PATCH field that may be left out but not set to null."""
    if value is None:
        raise PydanticCustomError("null_forbidden", "must not be null")
    return value


PathId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="Id of the record")]

Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[\w.-]+$"),
    Field(description="Stable code: letters, digits, '_', '-', '.'"),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(single_line),
]
Text = Annotated[str, StringConstraints(max_length=4000), AfterValidator(no_nul)]
SortOrder = Annotated[
    int,
    Field(ge=-MAX_DB_INT, le=MAX_DB_INT, description="Position in lists; smaller comes first"),
]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$"), Field(examples=["#1f5fbf"])]
Lang = Annotated[str, Field(pattern=r"^(uk|en)$", description="uk or en")]


class Input(BaseModel):
    """A request body: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    """A reply body read from table models."""

    model_config = ConfigDict(from_attributes=True)
