"""Strict validation of JSON input, with JSON Schema's idea of an integer.

Pydantic's lax mode takes 1 for true, "5" for 5 and true for 1, none of which the published
schema admits; its strict mode refuses all three but also refuses 5.0, which JSON Schema counts
as an integer. A ``StrictInput`` model is strict and turns whole floats into ints first.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def whole_numbers(value: Any) -> Any:
    """``value`` with every float that has no fraction made an int, inside lists and dicts too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    return value


class StrictInput(BaseModel):
    """Input read from JSON: strict types, unknown fields refused, 5.0 taken for 5."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        return whole_numbers(data)
