"""Schemas of numbering rules (SET-6)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from hub.api.schemas.common import Input, NotNull, Output, no_nul
from hub.services.settings.parameters import MAX_ID

DocTypeCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[a-z_]+$")
]
Prefix = Annotated[str, StringConstraints(max_length=16), AfterValidator(no_nul)]
Width = Annotated[int, Field(ge=1, le=12)]
Start = Annotated[int, Field(ge=0, le=10**9)]


class RuleCreate(Input):
    """A numbering rule, usually a project's own (its prefix such as "A-")."""

    doc_type: DocTypeCode
    project_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    prefix: Prefix = ""
    width: Width = 3
    start: Start = 1
    per_project: bool = False
    daily_reset: bool = False


class RuleUpdate(Input):
    """Changes to a numbering rule."""

    prefix: Annotated[Prefix | None, NotNull] = None
    width: Annotated[Width | None, NotNull] = None
    start: Annotated[Start | None, NotNull] = None
    per_project: Annotated[bool | None, NotNull] = None
    daily_reset: Annotated[bool | None, NotNull] = None


class RuleRead(Output):
    """A numbering rule with the number it would give next."""

    id: int
    doc_type: str
    project_id: int | None
    prefix: str
    width: int
    start: int
    per_project: bool
    daily_reset: bool
    next_number: str | None = None
