"""Schemas of the reference books."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

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


FieldName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description="A field the change log of tasks and events records, e.g. starts_at"),
]
HistoryFields = Annotated[
    list[FieldName],
    Field(
        max_length=64,
        description="The fields whose changes the history shows together under the group's "
        "name (SET-2); a name the change log does not record is refused",
    ),
]


class HistoryGroupCreate(ReferenceCreate):
    """A new history group with the fields it gathers (SET-2)."""

    fields: HistoryFields | None = None


class HistoryGroupUpdate(ReferenceUpdate):
    """Changes to a history group."""

    fields: HistoryFields | None = None


class HistoryGroupRead(ReferenceRead):
    """A history group as the API shows it."""

    fields: list[str] | None


class ChangeGroupRead(Output):
    """The changes of one history record that fall in one history group (SET-2); ``code`` is
    null for "Other", the changes no group lists."""

    code: str | None
    name_uk: str
    name_en: str
    changes: dict[str, Any]
