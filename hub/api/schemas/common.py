"""Base classes and field types shared by the API schemas."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from hub.services.common.strict import StrictInput

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


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def iso_text(value: Any) -> Any:
    """Refuse a number for a date or a moment: pydantic would read it as Unix time, the schema
    promises an ISO 8601 string."""
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value.strip())
    ):
        raise PydanticCustomError("datetime_parsing", "must be an ISO 8601 date or date and time")
    return value


# Request bodies are validated strictly (no 1 for true, no "5" for 5); dates and moments come
# as text and amounts as text or numbers, so they alone are read leniently.
Lax = Strict(False)
IsoDate = Annotated[date, Lax, BeforeValidator(iso_text)]
IsoMoment = Annotated[AwareDatetime, Lax, BeforeValidator(iso_text)]


def not_null(value: Any) -> Any:
    """For a PATCH field that may be left out but not set to null."""
    if value is None:
        raise PydanticCustomError("null_forbidden", "must not be null")
    return value


def _without_null(json_schema: JsonSchemaValue) -> JsonSchemaValue:
    """The JSON schema of ``T | None`` reduced to that of ``T``."""
    options = [item for item in json_schema.get("anyOf", []) if item.get("type") != "null"]
    if "anyOf" not in json_schema or len(options) == len(json_schema["anyOf"]):
        return json_schema
    rest = {key: value for key, value in json_schema.items() if key != "anyOf"}
    if len(options) == 1:
        return {**options[0], **rest}
    return {**rest, "anyOf": options}


class _NotNull:
    """Marks a PATCH field that may be left out but not set to null, in the schema as well."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(not_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The type says "| None" only so that a left-out field can default to None; the
        # published schema must not invite a null the server refuses.
        return _without_null(handler(schema))


NotNull = _NotNull()


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


class Input(StrictInput):
    """A request body: unknown fields are refused, strings are trimmed, types are strict."""

    # Strict (as the published schema says): "5" is no integer and 0 no boolean; 5.0 is 5.
    model_config = ConfigDict(str_strip_whitespace=True)


class Output(BaseModel):
    """A reply body read from table models."""

    model_config = ConfigDict(from_attributes=True)
