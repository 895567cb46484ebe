"""The event card (EVT-3, EVT-4, EVT-8), its form, and the actions on one event (EVT-5, EVT-6).

Each page calls ``hub.services.events.views`` with the user's rights; the form carries the
card's fingerprint, so a save over someone else's change is refused, and a refused save shows
the form again with every message and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from hub.api.schemas.common import MAX_DB_INT, Text
from hub.api.schemas.events import Email, Phone
from hub.db.base import utcnow
from hub.errors import DomainError
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.events import pickers, views
from hub.web.common import hub_of, page_lang, text
from hub.web.office import (
    events_texts,  # noqa: F401 (registers the section's words)
    forms,
)
from hub.web.office.forms import FormState
from hub.web.office.history_view import shown_history
from hub.web.office.session import (
    Refusal,
    Staff,
    act,
    page,
    page_or_refusal,
    refused,
    safe_next,
    with_query,
)

router = APIRouter(prefix="/office/events")

Optional = Annotated[str | None, Form()]
FormId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
# Reference fields: the visible name and the chosen id (F3 picker), by the id field's name.
REFERENCES = {
    "type_id": "type",
    "client_id": "client",
    "contact_id": "contact",
    "project_id": "project",
}
TEXT_FIELDS = ("starts_at", "ends_at", "phone", "fax", "email", "content")
MOMENT = "%Y-%m-%dT%H:%M"


class EventForm(BaseModel):
    """The card's form as typed (EVT-3): empty fields are "not given"."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    type_id: FormId
    starts_at: datetime
    ends_at: datetime | None = None
    client_id: FormId | None = None
    contact_id: FormId | None = None
    project_id: FormId | None = None
    phone: Phone | None = None
    fax: Phone | None = None
    email: Email | None = None
    content: Text | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


def allowed(profile: AccessProfile) -> Any:
    """``can(action, doc, journal)`` for templates: whether an action may be shown."""

    def can(action: str, doc: str, journal_id: int | None = None) -> bool:
        return profile.can(Action(action), DocType(doc), journal_id)

    return can


REFUSED = Refusal(
    title="evt_refused_title",
    heading="errors_title",
    back="/office/events",
    back_label="evt_back",
    back_class="button secondary",
)


def refusal(request: Request, message: str, status: int, back: str) -> Response:
    """A refused request explained in the user's language, with the way back."""
    return refused(request, message, status, REFUSED, back)


def shown(request: Request, build: Any, template: str, back: str = "/office/events") -> Response:
    """``page`` whose refusal (an event out of reach, a bad filter) is a page, not an error."""
    return page_or_refusal(request, template, build, look=REFUSED, back=back)


def done_message(lang: str, done: str | None, n: str | None) -> str:
    """The line a redirect after a change asks the next page to show."""
    if done not in ("saved", "created", "task", "callback", "archived", "restored", "deleted"):
        return ""
    return text(lang, f"evt_done_{done}", n=(n or "")[:32])


# ---- the form ---------------------------------------------------------------------------------


def _moment_errors(lang: str, exc: ValidationError, state: FormState) -> None:
    for item in exc.errors():
        name = str(item.get("loc", ("",))[0])
        kind = str(item.get("type", ""))
        if kind.startswith("datetime") and name in ("starts_at", "ends_at"):
            state.errors[name] = text(lang, "evt_moment_invalid")
        if name == "email" and kind == "string_pattern_mismatch":
            state.errors[name] = text(lang, "evt_email_invalid")


def _resolve_labels(
    session: Session, profile: AccessProfile, raw: dict[str, str], lang: str
) -> dict[str, str]:
    """Ids for names typed without the picker, when exactly one choice has that name; a name
    cleared by the user clears the choice."""
    errors: dict[str, str] = {}
    for field, kind in REFERENCES.items():
        label = raw.get(f"{field}_label", "").strip()
        if not label:
            raw[field] = ""
            continue
        if raw.get(field, "").strip():
            continue
        found = choices(session, profile, kind, label, lang, None)
        same = [c for c in found if c.label.casefold() == label.casefold()]
        if len(same) == 1:
            raw[field] = str(same[0].id)
        else:
            errors[field] = text(lang, "evt_pick_from_list")
    return errors


def choices(
    session: Session,
    profile: AccessProfile,
    kind: str,
    q: str,
    lang: str,
    client_id: int | None,
) -> list[pickers.Choice]:
    if kind == "client":
        return pickers.pick_clients(session, q)
    if kind == "contact":
        return pickers.pick_contacts(session, q, client_id)
    if kind == "project":
        return pickers.pick_projects(session, profile, q)
    return pickers.pick_types(session, q, lang)


def read_form(
    request: Request, session: Session, profile: AccessProfile, raw: dict[str, str]
) -> tuple[dict[str, Any] | None, FormState]:
    """The card's values from a submitted form, or the form again with every message."""
    lang = page_lang(request)
    state = FormState(values=dict(raw))
    errors = _resolve_labels(session, profile, raw, lang)
    try:
        parsed = EventForm.model_validate(raw)
    except ValidationError as exc:
        state = forms.invalid(lang, exc, dict(raw))
        _moment_errors(lang, exc, state)
        state.errors.update(errors)
        return None, state
    if errors:
        state.errors.update(errors)
        return None, state
    tz = hub_of(request).settings.tz
    values = parsed.model_dump()
    for name in ("starts_at", "ends_at"):
        if values[name] is not None and values[name].tzinfo is None:
            values[name] = values[name].replace(tzinfo=tz)
    values["type"] = values.pop("type_id")
    return values, state


def form_values(request: Request, session: Session, event_id: int, staff: Staff) -> dict[str, str]:
    """What the edit form shows for an event as it is now."""
    lang = page_lang(request)
    tz = hub_of(request).settings.tz
    event = views.visible_event(session, staff.profile, event_id)
    values: dict[str, str] = {
        "starts_at": event.starts_at.astimezone(tz).strftime(MOMENT),
        "ends_at": event.ends_at.astimezone(tz).strftime(MOMENT) if event.ends_at else "",
        "phone": event.phone or "",
        "fax": event.fax or "",
        "email": event.email or "",
        "content": event.content or "",
        "fingerprint": views.card_fingerprint(event),
        "number": event.number,
    }
    ids = {
        "type_id": event.type_id,
        "client_id": event.client_id,
        "contact_id": event.contact_id,
        "project_id": event.project_id,
    }
    for field, kind in REFERENCES.items():
        ident = ids[field]
        values[field] = str(ident) if ident is not None else ""
        values[f"{field}_label"] = pickers.label_of(session, kind, ident, lang)
    return values


def _raw(fields: dict[str, str | None]) -> dict[str, str]:
    return {key: (value or "")[:5000] for key, value in fields.items()}


def _form_page(
    request: Request, state: FormState, event_id: int | None, status: int = 200
) -> Response:
    def build(_session: Session, staff: Staff) -> dict[str, Any]:
        return {"form": state, "event_id": event_id}

    return page(request, "office/events_form.html", build, status=status)


# ---- create and edit --------------------------------------------------------------------------


@router.get("/new", response_model=None)
def new_form(request: Request) -> Response:
    """An empty card to fill in (Ins on the registry)."""
    tz = hub_of(request).settings.tz
    state = FormState(values={"starts_at": datetime.now(tz).strftime(MOMENT)})
    return _form_page(request, state, None)


def _submitted(**fields: str | None) -> dict[str, str]:
    return _raw(fields)


@router.post("/new", response_model=None)
def create(
    request: Request,
    csrf: Optional = None,
    type_id: Optional = None,
    type_id_label: Optional = None,
    starts_at: Optional = None,
    ends_at: Optional = None,
    client_id: Optional = None,
    client_id_label: Optional = None,
    contact_id: Optional = None,
    contact_id_label: Optional = None,
    project_id: Optional = None,
    project_id_label: Optional = None,
    phone: Optional = None,
    fax: Optional = None,
    email: Optional = None,
    content: Optional = None,
) -> Response:
    """Create the event, or show the form again with what is wrong (nothing saved)."""
    raw = _submitted(**{k: v for k, v in locals().items() if k not in ("request", "csrf")})
    hub = hub_of(request)

    def store(session: Session, staff: Staff, values: dict[str, Any]) -> str:
        event = views.new_event(session, profile=staff.profile, values=values, today=hub.today())
        return with_query(f"/office/events/{event.id}", done="created", n=event.number)

    return _submit(request, csrf, raw, None, store)


@router.get("/{event_id:int}/edit", response_model=None)
def edit_form(request: Request, event_id: int) -> Response:
    """The card's form with the event's values and its fingerprint."""

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        values = form_values(request, session, event_id, staff)
        return {"form": FormState(values=values), "event_id": event_id}

    return shown(request, build, "office/events_form.html")


@router.post("/{event_id:int}/edit", response_model=None)
def save(
    request: Request,
    event_id: int,
    csrf: Optional = None,
    fingerprint: Optional = None,
    number: Optional = None,
    type_id: Optional = None,
    type_id_label: Optional = None,
    starts_at: Optional = None,
    ends_at: Optional = None,
    client_id: Optional = None,
    client_id_label: Optional = None,
    contact_id: Optional = None,
    contact_id_label: Optional = None,
    project_id: Optional = None,
    project_id_label: Optional = None,
    phone: Optional = None,
    fax: Optional = None,
    email: Optional = None,
    content: Optional = None,
) -> Response:
    """Save the card unless someone changed it since it was shown (refused with a message)."""
    raw = _submitted(
        **{k: v for k, v in locals().items() if k not in ("request", "csrf", "event_id")}
    )
    hub = hub_of(request)

    def store(session: Session, staff: Staff, values: dict[str, Any]) -> str:
        views.save_event(
            session,
            profile=staff.profile,
            event_id=event_id,
            changes=values,
            shown=raw.get("fingerprint") or "",
            today=hub.today(),
        )
        return with_query(f"/office/events/{event_id}", done="saved")

    return _submit(request, csrf, raw, event_id, store)


def _submit(
    request: Request,
    csrf: str | None,
    raw: dict[str, str],
    event_id: int | None,
    store: Callable[[Session, Staff, dict[str, Any]], str],
) -> Response:
    """Check the form and ``store`` it in one transaction; the form again (nothing saved) with
    each wrong field's message when the fields or the domain refuse it."""
    lang = page_lang(request)

    def change(session: Session, staff: Staff) -> str:
        values, state = read_form(request, session, staff.profile, raw)
        if values is None:
            raise forms.FormRefused(state)
        return store(session, staff, values)

    def failed(_message: str, error: DomainError) -> Response:
        if isinstance(error, forms.FormRefused):
            return _form_page(request, error.state, event_id, status=422)
        refused = forms.refused(lang, _field_of(error), raw)
        return _form_page(request, refused, event_id, error.status)

    return act(request, csrf, change, failed=failed)


def _field_of(error: DomainError) -> DomainError:
    # The domain names the event type "type"; on the form it is the picker "type_id".
    if error.params.get("field") == "type":
        error.params["field"] = "type_id"
    return error


# ---- the card and its actions -----------------------------------------------------------------


@router.get("/{event_id:int}", response_model=None)
def event_card(
    request: Request, event_id: int, done: str | None = None, n: str | None = None
) -> Response:
    """The card: details, client and contact, documents, attachments and tasks made from it."""
    lang = page_lang(request)
    tz = hub_of(request).settings.tz

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        card = views.card(session, staff.profile, event_id)
        return {
            "card": card,
            "history": shown_history(session, card.history, lang=lang, tz=tz),
            "can": allowed(staff.profile),
            "flash": done_message(lang, done, n),
        }

    return shown(request, build, "office/events_card.html")


def _one_action(
    request: Request, csrf: str | None, event_id: int, back: str | None, run: Any
) -> Response:
    here = safe_next(back) if back else f"/office/events/{event_id}"

    def failed(message: str, error: DomainError) -> Response:
        return refusal(request, message, error.status, here)

    return act(request, csrf, run, failed=failed)


@router.post("/{event_id:int}/task", response_model=None)
def task_from_event(
    request: Request, event_id: int, csrf: Optional = None, back: Optional = None
) -> Response:
    """Make a task from the event (EVT-6; Ctrl+B) and show the card with it."""
    hub = hub_of(request)
    lang = page_lang(request)

    def run(session: Session, staff: Staff) -> str:
        task = views.task_from(
            session, profile=staff.profile, event_id=event_id, today=hub.today(), lang=lang
        )
        return with_query(f"/office/events/{event_id}", done="task", n=task.number)

    return _one_action(request, csrf, event_id, back, run)


@router.post("/{event_id:int}/callback", response_model=None)
def callback(
    request: Request, event_id: int, csrf: Optional = None, back: Optional = None
) -> Response:
    """A task for the user to call a missed call back (EVT-2, EVT-6)."""
    hub = hub_of(request)
    lang = page_lang(request)

    def run(session: Session, staff: Staff) -> str:
        task = views.callback(
            session,
            profile=staff.profile,
            event_id=event_id,
            today=hub.today(),
            now=utcnow(),
            lang=lang,
        )
        return with_query(f"/office/events/{event_id}", done="callback", n=task.number)

    return _one_action(request, csrf, event_id, back, run)


@router.post("/{event_id:int}/archive", response_model=None)
def archive_one(request: Request, event_id: int, csrf: Optional = None) -> Response:
    """Send this event to the archive (EVT-5)."""

    def run(session: Session, staff: Staff) -> str:
        views.archive_chosen(session, profile=staff.profile, ids=[event_id], now=utcnow())
        return with_query(f"/office/events/{event_id}", done="archived", n=1)

    return _one_action(request, csrf, event_id, None, run)


@router.post("/{event_id:int}/delete", response_model=None)
def delete(
    request: Request, event_id: int, csrf: Optional = None, back: Optional = None
) -> Response:
    """Delete the event (after the page's confirmation); its tasks stay."""
    hub = hub_of(request)
    target = safe_next(back) if back else "/office/events"

    def run(session: Session, staff: Staff) -> str:
        views.delete(session, profile=staff.profile, event_id=event_id, files=hub.files)
        return with_done(target, "deleted", 1)

    return _one_action(request, csrf, event_id, target, run)


def with_done(target: str, done: str, n: int) -> str:
    """``target`` (a safe path with its query) with the outcome to show."""
    path, _, query = target.partition("?")
    kept = "&".join(
        part for part in query.split("&") if part and not part.startswith(("done=", "n="))
    )
    joined = f"{path}?{kept}&" if kept else f"{path}?"
    return f"{joined}done={done}&n={n}"
