"""Schemas of the reference books."""

from __future__ import annotations

from datetime import datetime

from hub.api.schemas.common import Code, Color, Input, Name, Output, Text


class ReferenceCreate(Input):
    """A new user-defined entry."""

    code: Code
    name_uk: Name
    name_en: Name
    description: Text | None = None
    sort_order: int = 0


class ReferenceUpdate(Input):
    """Changes to an entry; a system entry keeps its code and names."""

    code: Code | None = None
    name_uk: Name | None = None
    name_en: Name | None = None
    description: Text | None = None
    sort_order: int | None = None


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
