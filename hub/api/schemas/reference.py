"""Schemas of the reference books."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from hub.api.schemas.common import (
    Code,
    Color,
    Input,
    Name,
    NotNull,
    Output,
    SortOrder,
    Text,
)


class ReferenceCreate(Input):
    """A new user-defined entry."""

    code: Code
    name_uk: Name
    name_en: Name
    description: Text | None = None
    sort_order: SortOrder = 0


class ReferenceUpdate(Input):
    """Changes to an entry; a system entry keeps its code and names."""

    # These columns always have a value: leave a field out to keep it, never send null.
    code: Annotated[Code | None, NotNull] = None
    name_uk: Annotated[Name | None, NotNull] = None
    name_en: Annotated[Name | None, NotNull] = None
    description: Text | None = None
    sort_order: Annotated[SortOrder | None, NotNull] = None


class ReferenceRead(Output):
    """An entry as the API shows it."""

    id: int
    code: str
    name_uk: str
    name_en: str
    description: str | None
    system: bool
    sort_order: int
    created_at: datetime
    updated_at: datetime


class StatusCreate(ReferenceCreate):
    """A new status with its colour."""

    color: Color | None = None


class StatusUpdate(ReferenceUpdate):
    """Changes to a status."""

    color: Color | None = None


class StatusRead(ReferenceRead):
    """A status as the API shows it."""

    color: str | None


FieldValueType = Literal["text", "number", "date", "bool"]


class TaskFieldCreate(ReferenceCreate):
    """A new user-defined task field (TSK-6)."""

    value_type: FieldValueType = "text"


class TaskFieldUpdate(ReferenceUpdate):
    """Changes to a task field; its value type is fixed once values may exist."""


class TaskFieldRead(ReferenceRead):
    """A task field as the API shows it."""

    value_type: str
