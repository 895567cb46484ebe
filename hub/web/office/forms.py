"""Forms that check everything on the server and say what is wrong beside each field.

A refused form is shown again with what the user typed, each wrong field's message beside it and
all of them in a summary at the top that links to the fields (GOV.UK's error summary), in the
user's language; nothing of it was saved. The messages come from the same domain errors and
validation the API gives. A card's form carries the record's fingerprint
(``hub.services.common.edits``): a save over someone else's change is refused, not applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from hub.errors import AccessDenied, DomainError, Invalid, NotFound
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


class FormRefused(Invalid):
    """A form's fields failed validation: the form again with every message (nothing saved)."""

    def __init__(self, state: FormState) -> None:
        super().__init__("validation_error", details="")
        self.state = state


def schema_errors(
    lang: str, model: type[BaseModel], data: dict[str, Any]
) -> tuple[Any, dict[str, str]]:
    """``data`` parsed by the API's own schema, and the message of every field it refuses."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for name, message in invalid(lang, exc, {}).errors.items():
            # A form sends an empty field as nothing: the schema's "not text" means "required".
            empty = name in data and data[name] is None
            errors.setdefault(name, text(lang, "field_required") if empty else message)
        return None, errors


def refuse_form(shown: dict[str, Any], errors: dict[str, str]) -> None:
    """FormRefused with ``errors`` in the form's order, when there are any."""
    if errors:
        order = {name: index for index, name in enumerate(shown)}
        ranked = sorted(errors.items(), key=lambda item: order.get(item[0], len(order)))
        raise FormRefused(FormState(values=shown, errors=dict(ranked)))


def validated(
    lang: str,
    model: type[BaseModel],
    data: dict[str, Any],
    shown: dict[str, Any],
    extra: dict[str, str] | None = None,
) -> Any:
    """``data`` validated by the API's own schema, or FormRefused with every wrong field (the
    schema's and ``extra``'s, which are the page's own checks) in the form's order."""
    parsed, errors = schema_errors(lang, model, data)
    refuse_form(shown, {**errors, **(extra or {})})
    return parsed


def form_failure(
    lang: str,
    shown: dict[str, Any],
    form: Callable[[FormState, int], Response],
    refusal: Callable[[DomainError], Response],
) -> Callable[[str, DomainError], Response]:
    """What ``session.act`` answers when a form's change is refused: ``form`` again with the
    messages, or ``refusal``'s page for a missing right or record (no form was offered for it)."""

    def failed(_message: str, error: DomainError) -> Response:
        if isinstance(error, AccessDenied | NotFound):
            return refusal(error)
        state = error.state if isinstance(error, FormRefused) else refused(lang, error, shown)
        return form(state, error.status)

    return failed


MOMENT = "%Y-%m-%dT%H:%M"
"""The value of a ``datetime-local`` field."""


def moment(raw: str | None, tz: tzinfo) -> datetime | None:
    """A datetime-local field's value as a moment at the site (None when it is not one)."""
    try:
        return datetime.strptime((raw or "").strip(), MOMENT).replace(tzinfo=tz)
    except ValueError:
        return None


def start_and_end(
    lang: str, form: dict[str, str], tz: tzinfo, *, end_required: bool, wrong: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The start and end typed (``starts_at``, ``ends_at``), and a message for each that is
    missing or not a date and time (``wrong`` is the key of the latter)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in ("starts_at", "ends_at"):
        raw = (form.get(name) or "").strip()
        value = moment(raw, tz)
        if value is None and (raw or name == "starts_at" or end_required):
            errors[name] = text(lang, wrong if raw else "field_required")
        values[name] = value
    return values, errors
