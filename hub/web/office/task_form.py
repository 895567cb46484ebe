"""The task card's details form (TSK-2, TSK-3): what was typed, what it means, what is wrong.

Every field is checked on the server at once; a reference typed without its picker is taken
when exactly one choice has that name. Moments are typed at the site's time zone.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from hub.api.schemas.common import MAX_DB_INT, Code, Name, Text
from hub.api.schemas.tasks import Email, Minutes, Percent, Phone, Priority, TaskName
from hub.services.access.rights import AccessProfile
from hub.services.events import pickers
from hub.services.tasks import card as card_service
from hub.services.tasks import card_edit, card_history, documents
from hub.web.common import text
from hub.web.office import forms
from hub.web.office.forms import FormState

# Reference fields: the id field's name -> the kind of its picker.
REFERENCES = {
    "controller_id": "user",
    "event_type_id": "type",
    "client_id": "client",
    "contact_id": "contact",
    "project_id": "project",
}
PLAIN = (
    "name",
    "starts_at",
    "ends_at",
    "status",
    "priority",
    "percent_done",
    "time_spent_minutes",
    "phone",
    "fax",
    "email",
    "responsibility_centre",
    "content",
)
MOMENT = "%Y-%m-%dT%H:%M"
FormId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
MAX_TYPED = 5000


def _sane_year(value: datetime) -> datetime:
    if not 1900 <= value.year <= 9000:
        raise ValueError("the year must be from 1900 to 9000")
    return value


LocalMoment = Annotated[datetime, AfterValidator(_sane_year)]


class RawCard(BaseModel):
    """The details form as posted: every field a string (checked by ``TaskForm``)."""

    model_config = ConfigDict(extra="ignore")

    csrf: str = ""
    fingerprint: str = ""
    event_id: str = ""
    name: str = ""
    starts_at: str = ""
    ends_at: str = ""
    status: str = ""
    priority: str = ""
    percent_done: str = ""
    time_spent_minutes: str = ""
    controller_id: str = ""
    controller_id_label: str = ""
    event_type_id: str = ""
    event_type_id_label: str = ""
    client_id: str = ""
    client_id_label: str = ""
    contact_id: str = ""
    contact_id_label: str = ""
    project_id: str = ""
    project_id_label: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    responsibility_centre: str = ""
    content: str = ""
    executor_ids: list[str] = Field(default_factory=list)

    def typed(self) -> dict[str, Any]:
        """What was typed, bounded, for showing the form again."""
        values: dict[str, Any] = {
            key: value[:MAX_TYPED]
            for key, value in self.model_dump(exclude={"csrf", "executor_ids"}).items()
        }
        values["executor_ids"] = [v[:16] for v in self.executor_ids[:500]]
        return values


class TaskForm(BaseModel):
    """The details as typed (TSK-2): empty fields are "not given"."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: TaskName
    starts_at: LocalMoment
    ends_at: LocalMoment
    status: Code | None = None
    priority: Priority = "normal"
    percent_done: Percent = 0
    time_spent_minutes: Minutes = 0
    controller_id: FormId | None = None
    event_type_id: FormId | None = None
    client_id: FormId | None = None
    contact_id: FormId | None = None
    project_id: FormId | None = None
    phone: Phone | None = None
    fax: Phone | None = None
    email: Email | None = None
    responsibility_centre: Name | None = None
    content: Text | None = None
    event_id: FormId | None = None
    executor_ids: list[FormId] = Field(default_factory=list, max_length=500)

    @field_validator("content", mode="before")
    @classmethod
    def _no_carriage_returns(cls, value: Any) -> Any:
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


def choices(
    session: Session,
    profile: AccessProfile,
    kind: str,
    q: str,
    lang: str,
    *,
    task: int | None = None,
    client: int | None = None,
) -> list[Any]:
    """The choices of a picker of ``kind`` whose names hold ``q``."""
    if kind == "user":
        return card_edit.user_choices(session, q, limit=pickers.PICK_LIMIT)
    if kind == "task":
        return card_edit.task_choices(session, q, exclude=task)
    if kind == "document":
        found = documents.documents_to_link(session, q=q, client_id=client)
        return [
            card_edit.Choice(d.id, f"{d.number} ({d.doc_date.isoformat()})", d.kind) for d in found
        ]
    if kind == "client":
        return pickers.pick_clients(session, q)
    if kind == "contact":
        return pickers.pick_contacts(session, q, client)
    if kind == "project":
        return pickers.pick_projects(session, profile, q)
    return pickers.pick_types(session, q, lang)


def label_of(session: Session, kind: str, ident: int | None, lang: str) -> str:
    """The name a reference field shows for ``ident``."""
    if ident is None:
        return ""
    if kind == "user":
        return card_history.user_names(session, [ident]).get(ident, "")
    return pickers.label_of(session, kind, ident, lang)


def _resolve_labels(
    session: Session, profile: AccessProfile, raw: dict[str, Any], lang: str
) -> dict[str, str]:
    """Ids for names typed without the picker, when exactly one choice has that name; a name
    cleared by the user clears the choice."""
    errors: dict[str, str] = {}
    for name, kind in REFERENCES.items():
        label = str(raw.get(f"{name}_label", "")).strip()
        if not label:
            raw[name] = ""
            continue
        if str(raw.get(name, "")).strip():
            continue
        client = raw.get("client_id") if kind == "contact" else None
        client_id = int(client) if isinstance(client, str) and client.isdigit() else None
        found = choices(session, profile, kind, label, lang, client=client_id)
        same = [c for c in found if c.label.casefold() == label.casefold()]
        if len(same) == 1:
            raw[name] = str(same[0].id)
        else:
            errors[name] = text(lang, "tcard_pick_from_list")
    return errors


def _special_errors(lang: str, exc: ValidationError, state: FormState) -> None:
    for item in exc.errors():
        name = str(item.get("loc", ("",))[0])
        kind = str(item.get("type", ""))
        if name in ("starts_at", "ends_at") and (
            kind.startswith("datetime") or kind == "value_error"
        ):
            state.errors[name] = text(lang, "tcard_moment_invalid")
        if name == "email" and kind == "string_pattern_mismatch":
            state.errors[name] = text(lang, "tcard_email_invalid")
        if name == "percent_done" and kind in ("less_than_equal", "greater_than_equal"):
            state.errors[name] = text(lang, "tcard_percent_invalid")
        if name == "time_spent_minutes" and kind == "greater_than_equal":
            state.errors[name] = text(lang, "tcard_minutes_invalid")
        if name == "executor_ids":
            state.errors[name] = text(lang, "tcard_pick_from_list")


def read_form(
    session: Session,
    profile: AccessProfile,
    raw: dict[str, Any],
    lang: str,
    tz: tzinfo,
    *,
    new: bool,
) -> tuple[dict[str, Any] | None, FormState]:
    """The task's values from a submitted form, or the form again with every message."""
    typed = dict(raw)
    errors = _resolve_labels(session, profile, raw, lang)
    given = {
        key: value
        for key, value in raw.items()
        if not (isinstance(value, str) and not value.strip()) and not key.endswith("_label")
    }
    if not new:
        given.pop("executor_ids", None)
        given.pop("event_id", None)
    try:
        parsed = TaskForm.model_validate(given)
    except ValidationError as exc:
        state = forms.invalid(lang, exc, typed)
        state.errors = {name.split(".")[0]: message for name, message in state.errors.items()}
        _special_errors(lang, exc, state)
        state.errors.update(errors)
        return None, state
    if errors:
        return None, FormState(values=typed, errors=errors)
    values = parsed.model_dump()
    for name in ("starts_at", "ends_at"):
        if values[name].tzinfo is None:
            values[name] = values[name].replace(tzinfo=tz)
    return values, FormState(values=typed)


def form_values(session: Session, values: dict[str, Any], lang: str, tz: tzinfo) -> dict[str, Any]:
    """What the form shows for these values (a task's, or a new card's)."""
    shown: dict[str, Any] = {}
    for name in PLAIN:
        value = values.get(name)
        if isinstance(value, datetime):
            shown[name] = value.astimezone(tz).strftime(MOMENT)
        else:
            shown[name] = "" if value is None else str(value)
    for name, kind in REFERENCES.items():
        ident = values.get(name)
        shown[name] = "" if ident is None else str(ident)
        shown[f"{name}_label"] = label_of(session, kind, ident, lang)
    if values.get("event_id") is not None:
        shown["event_id"] = str(values["event_id"])
    return shown


def task_values(
    session: Session, shown: card_service.TaskCard, lang: str, tz: tzinfo
) -> dict[str, Any]:
    """What the details form shows for a task as it is now, with its fingerprint."""
    task = shown.task
    values = {name: getattr(task, name) for name in (*REFERENCES, *PLAIN) if name != "status"}
    values["status"] = shown.view.status.code
    result = form_values(session, values, lang, tz)
    result["fingerprint"] = shown.fingerprint
    return result
