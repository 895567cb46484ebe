"""What every page of the task card shares: the user's rights on the task, the card page with
one tab open, an action that shows the same tab again when it is refused, and the refusal page.

The card reads through ``hub.services.tasks.card``; a refused action rolls back entirely and
shows the card again at its tab, with the message at the top (and beside its field when the
domain names one) and the status the API would give.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.api.schemas.common import MAX_DB_INT
from hub.db.models import Task
from hub.errors import DomainError, Invalid
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.tasks import card as card_service
from hub.services.tasks import card_edit
from hub.web.common import hub_of, page_lang, text
from hub.web.office import history_texts as _history  # noqa: F401 (the history's words)
from hub.web.office import task_texts as _texts  # noqa: F401 (registers the card's words)
from hub.web.office.forms import FormState
from hub.web.office.session import Refusal, Staff, act, page_or_refusal, refused, with_query
from hub.web.office.task_form import task_values

Optional = Annotated[str | None, Form()]
MOMENT = "%Y-%m-%dT%H:%M"
CARD = "office/task_card.html"
NEW = "office/task_card_new.html"
REGISTRY = "/office/tasks"
REFUSED = Refusal(
    title="tcard_refused_title",
    heading="errors_title",
    back=REGISTRY,
    back_label="tcard_back",
    back_class="button secondary",
)
DONE = (
    "saved",
    "created",
    "copied",
    "multiplied",
    "template",
    "next",
    "executors",
    "executor",
    "executor_removed",
    "dependency",
    "dependency_removed",
    "reminder",
    "reminder_deleted",
    "reminder_repeated",
    "recurrence",
    "fields",
    "document",
    "document_removed",
    "attached",
    "attachment_deleted",
    "posted",
    "message_deleted",
)


@dataclass(frozen=True)
class Allowed:
    """What this user may do with this task (ACC-1..ACC-3): what is not allowed is not shown."""

    change: bool
    delete: bool
    create: bool
    status: bool
    attach: bool
    detach: bool
    admin: bool
    user_id: int


def allowed(profile: AccessProfile, task: Task | None) -> Allowed:
    """The actions a page offers on ``task`` (or on a new task when None)."""
    journal = task.journal_id if task is not None else None
    return Allowed(
        change=task is not None and profile.can(Action.CHANGE, DocType.TASK, journal),
        delete=task is not None and profile.can(Action.DELETE, DocType.TASK, journal),
        create=profile.can(Action.CREATE, DocType.TASK, journal),
        status=profile.unrestricted or not profile.deny_task_status_change,
        attach=profile.can(Action.CREATE, DocType.ATTACHMENT, journal),
        detach=profile.can(Action.DELETE, DocType.ATTACHMENT, journal),
        admin=profile.is_admin,
        user_id=profile.user_id,
    )


def local(moment: datetime | None, tz: tzinfo) -> str:
    """A moment as a datetime-local field shows it, at the site."""
    return moment.astimezone(tz).strftime(MOMENT) if moment else ""


def done_message(lang: str, done: str | None, n: str | None) -> str:
    """The line a redirect after a change asks the card to show."""
    if done not in DONE:
        return ""
    return text(lang, f"tcard_done_{done}", n=(n or "")[:40])


def card_url(task_id: int, tab: str = "details", **params: str | int | None) -> str:
    """The card of a task at a tab, with what to tell the user."""
    return with_query(f"{REGISTRY}/{task_id}", tab=None if tab == "details" else tab, **params)


def refusal(request: Request, message: str, status: int, back: str = REGISTRY) -> Response:
    """A refused request explained in the user's language, with the way back."""
    return refused(request, message, status, REFUSED, back)


Extra = Callable[[Session, Staff, card_service.TaskCard], dict[str, Any]]


def card_page(
    request: Request,
    task_id: int,
    tab: str,
    *,
    form: FormState | None = None,
    status: int = 200,
    flash: str = "",
    extra: Extra | None = None,
) -> Response:
    """The card of a task with ``tab`` open; ``form`` is what a refused action typed."""
    lang = page_lang(request)
    tab = tab if tab in card_service.TABS else "details"
    tz = hub_of(request).settings.tz

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        shown = card_service.card(session, task_id=task_id, tab=tab, lang=lang, tz=tz)
        may = allowed(staff.profile, shown.task)
        values: dict[str, Any] = {
            "card": shown,
            "tab": tab,
            "tabs": card_service.TABS,
            "may": may,
            "flash": flash,
            "form": form or FormState(),
            "tz_local": lambda moment: local(moment, tz),
            "here": f"{REGISTRY}/{task_id}",
        }
        if tab in ("executors", "extra"):
            values["users"] = card_edit.user_choices(session)
        if tab in ("executors", "details"):
            values["statuses"] = card_edit.status_choices(session)
        if tab == "details" and "fingerprint" not in values["form"].values:
            # The details as they are, with what a refused action beside them typed.
            state = values["form"]
            typed = {**task_values(session, shown, lang, tz), **state.values}
            values["form"] = FormState(values=typed, errors=state.errors)
        if extra is not None:
            values.update(extra(session, staff, shown))
        return values

    return page_or_refusal(request, CARD, build, look=REFUSED, status=status)


def tab_action(
    request: Request,
    csrf: str | None,
    task_id: int,
    tab: str,
    run: Callable[[Session, Staff], str],
    *,
    typed: dict[str, str] | None = None,
    field: str = "",
) -> Response:
    """One change on a card's tab in one transaction; refused, the tab again with the message
    beside the field the domain names (or ``field``) and what was typed."""
    lang = page_lang(request)

    def failed(message: str, error: DomainError) -> Response:
        state = refused_state(lang, error, dict(typed or {}))
        if field:  # a name the form does not have is shown beside ``field``
            state.errors = {
                (name if name in state.values else field): message
                for name, message in state.errors.items()
            }
        return card_page(request, task_id, tab, form=state, status=error.status)

    return act(request, csrf, run, failed=failed)


def message_of(lang: str, error: DomainError) -> str:
    """A refusal as a sentence: the domain's messages, or the card's own texts."""
    shown = {k: v for k, v in error.params.items() if k not in ("field", "right")}
    return text(lang, error.code, **shown)


def refused_state(lang: str, error: DomainError, values: dict[str, Any]) -> FormState:
    """A form again after the domain (or a check of the page's own) refused it: the message
    beside the field it names."""
    where = str(error.params.get("field") or "")
    return FormState(values=values, errors={where: message_of(lang, error)})


def form_id(value: str | None, field: str) -> int:
    """A positive id typed or chosen in a form field, else 422 naming the field."""
    typed = (value or "").strip()
    if not typed.isdigit() or not 0 < int(typed) <= MAX_DB_INT:
        raise Invalid("tcard_pick_from_list", field=field)
    return int(typed)


def form_moment(request: Request, value: str | None, field: str) -> datetime:
    """A datetime-local value at the site, else 422 naming the field."""
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        raise Invalid("tcard_moment_invalid", field=field) from None
    if not 1900 <= moment.year <= 9000:
        raise Invalid("tcard_moment_invalid", field=field)
    return moment if moment.tzinfo else moment.replace(tzinfo=hub_of(request).settings.tz)


def new_page(
    request: Request,
    state: FormState,
    status: int = 200,
    template_form: FormState | None = None,
) -> Response:
    """The new card's page: the details form and the form making a task from a template."""

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        return new_values(session, staff, state, template_form or FormState())

    return page_or_refusal(request, NEW, build, look=REFUSED, status=status)


def new_values(
    session: Session, staff: Staff, state: FormState, template_form: FormState
) -> dict[str, Any]:
    """What the new card's page shows besides its forms."""
    return {
        "form": state,
        "template_form": template_form,
        "may": allowed(staff.profile, None),
        "statuses": card_edit.status_choices(session),
        "users": card_edit.user_choices(session),
        "templates": card_edit.template_choices(session),
    }
