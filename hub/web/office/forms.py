"""Forms that check everything on the server and say what is wrong beside each field.

A refused form is shown again with what the user typed, each wrong field's message beside it and
all of them in a summary at the top that links to the fields (GOV.UK's error summary), in the
user's language; nothing of it was saved. The messages come from the same domain errors and
validation the API gives. A card's form carries the record's fingerprint
(``hub.services.common.edits``): a save over someone else's change is refused, not applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from hub.errors import DomainError
from hub.web.common import error_text, text


@dataclass
class FormState:
    """What a form shows: the values typed and the errors by field ("" is the form itself)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> list[tuple[str, str]]:
        """(field, message) pairs for the summary at the top, in the form's order."""
        return list(self.errors.items())

    def error(self, name: str) -> str:
        """The message beside field ``name`` ("" when it is fine)."""
        return self.errors.get(name, "")

    def value(self, name: str, default: Any = "") -> Any:
        """What field ``name`` shows."""
        return self.values.get(name, default)


def refused(lang: str, error: DomainError, values: dict[str, Any]) -> FormState:
    """The form again after the domain refused it: the message beside the field it names."""
    where = str(error.params.get("field") or "")
    return FormState(values=values, errors={where: error_text(lang, error)})


def invalid(lang: str, exc: ValidationError, values: dict[str, Any]) -> FormState:
    """The form again after its fields failed validation: every wrong field at once."""
    errors: dict[str, str] = {}
    for item in exc.errors():
        name = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        errors.setdefault(name, _message(lang, item))
    return FormState(values=values, errors=errors)


def _message(lang: str, item: Any) -> str:
    kind = str(item.get("type", ""))
    context = item.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
        return text(lang, "field_required")
    if kind == "string_too_long":
        return text(lang, "field_too_long", max=context.get("max_length", ""))
    if kind in ("int_parsing", "int_type", "float_parsing", "decimal_parsing"):
        return text(lang, "field_number")
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return text(lang, "field_date")
    return text(lang, "field_invalid")
