"""More of the task card: copy a task and multiply it over clients (TSK-10), save it as a
template and create one from a template (TSK-9), delete it.

Copies and multiplied tasks are made by ``hub.services.tasks.bulk`` (all or nothing), templates
by ``hub.services.tasks.extras``; each with the user's rights, refused with the message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.errors import DomainError, Invalid
from hub.services.tasks import bulk, card_edit, extras, tasks
from hub.services.tasks import card as card_service
from hub.web.common import hub_of, page_lang
from hub.web.office.forms import FormState
from hub.web.office.session import Staff, act, page_or_refusal, with_query
from hub.web.office.task_card_view import (
    REFUSED,
    REGISTRY,
    Optional,
    allowed,
    card_url,
    form_id,
    form_moment,
    message_of,
    new_page,
    refusal,
    refused_state,
    tab_action,
)

router = APIRouter()
Ids = Annotated[list[str] | None, Form()]
MULTIPLY = "office/task_card_multiply.html"


@router.post("/{task_id:int}/copy", response_model=None)
def copy(request: Request, task_id: int, csrf: Optional = None) -> Response:
    """A new task with the same details and executors (F5 in the manual)."""
    hub = hub_of(request)

    def run(session: Session, staff: Staff) -> str:
        made = bulk.copy_task(session, profile=staff.profile, task_id=task_id, today=hub.today())
        return card_url(made.id, done="copied", n=made.number)

    return tab_action(request, csrf, task_id, "details", run)


def _multiply_page(
    request: Request, task_id: int, q: str, state: FormState, status: int = 200
) -> Response:
    def build(session: Session, staff: Staff) -> dict[str, Any]:
        task = card_service.visible_task(session, task_id)
        return {
            "task": task,
            "q": q,
            "clients": card_edit.client_choices(session, q),
            "form": state,
            "may": allowed(staff.profile, task),
        }

    return page_or_refusal(
        request, MULTIPLY, build, look=REFUSED, status=status, back=card_url(task_id)
    )


@router.get("/{task_id:int}/multiply", response_model=None)
def multiply_form(request: Request, task_id: int, q: str = "") -> Response:
    """Choose the clients to multiply the task over (Ctrl+F5 in the manual)."""
    return _multiply_page(request, task_id, q[:100], FormState())


@router.post("/{task_id:int}/multiply", response_model=None)
def multiply(
    request: Request, task_id: int, csrf: Optional = None, client_ids: Ids = None
) -> Response:
    """One copy of the task per chosen client, all or nothing."""
    hub = hub_of(request)
    lang = page_lang(request)
    chosen = [v for v in (client_ids or [])[:200] if v.strip()]

    def run(session: Session, staff: Staff) -> str:
        if not chosen:
            raise Invalid("task_clients_empty", field="client_ids")
        ids = [form_id(value, "client_ids") for value in chosen]
        made = bulk.multiply_task(
            session, profile=staff.profile, task_id=task_id, client_ids=ids, today=hub.today()
        )
        numbers = ", ".join(task.number for task in made)
        return card_url(task_id, done="multiplied", n=numbers)

    def failed(_message: str, error: DomainError) -> Response:
        state = FormState(values={"client_ids": chosen})
        state.errors = {"client_ids": message_of(lang, error)}
        return _multiply_page(request, task_id, "", state, error.status)

    return act(request, csrf, run, failed=failed)


@router.post("/{task_id:int}/template", response_model=None)
def save_template(
    request: Request, task_id: int, csrf: Optional = None, template_name: Optional = None
) -> Response:
    """Save the task's details and executors as a template under a name."""
    title = " ".join((template_name or "").split())

    def run(session: Session, staff: Staff) -> str:
        if not title:
            raise Invalid("tcard_template_name_missing", field="template_name")
        if len(title) > 300:
            raise Invalid("field_too_long", field="template_name", max=300)
        extras.save_template(session, profile=staff.profile, task_id=task_id, name=title)
        return card_url(task_id, done="template", n=title)

    typed = {"template_name": title[:400]}
    return tab_action(request, csrf, task_id, "details", run, typed=typed, field="template_name")


@router.post("/new/template", response_model=None)
def from_template(
    request: Request,
    csrf: Optional = None,
    template_id: Optional = None,
    template_starts_at: Optional = None,
    template_task_name: Optional = None,
) -> Response:
    """A new task from a template, starting at the time given."""
    hub = hub_of(request)
    lang = page_lang(request)
    title = " ".join((template_task_name or "").split())
    typed = {
        "template_id": template_id or "",
        "template_starts_at": template_starts_at or "",
        "template_task_name": title[:400],
    }

    def run(session: Session, staff: Staff) -> str:
        chosen = form_id(template_id, "template_id")
        start = form_moment(request, template_starts_at, "template_starts_at")
        if len(title) > 300:
            raise Invalid("field_too_long", field="template_task_name", max=300)
        task = extras.task_from_template(
            session,
            profile=staff.profile,
            template_id=chosen,
            starts_at=start,
            ends_at=None,
            overrides={"name": title} if title else {},
            today=hub.today(),
        )
        return card_url(task.id, done="created", n=task.number)

    def failed(_message: str, error: DomainError) -> Response:
        state = refused_state(lang, error, typed)
        renames = {"starts_at": "template_starts_at", "ends_at": "template_starts_at"}
        state.errors = {
            renames.get(key, key if key.startswith("template_") else "template_id"): message
            for key, message in state.errors.items()
        }
        return new_page(request, FormState(), error.status, template_form=state)

    return act(request, csrf, run, failed=failed)


@router.post("/{task_id:int}/delete", response_model=None)
def delete(request: Request, task_id: int, csrf: Optional = None) -> Response:
    """Delete the task (after the page's confirmation) with its executors and attachments."""
    hub = hub_of(request)
    lang = page_lang(request)

    def run(session: Session, staff: Staff) -> str:
        tasks.delete_task(session, profile=staff.profile, task_id=task_id, files=hub.files)
        return with_query(REGISTRY, done="deleted", n=1)  # the registry's "Tasks deleted: 1"

    def failed(_message: str, error: DomainError) -> Response:
        return refusal(request, message_of(lang, error), error.status, card_url(task_id))

    return act(request, csrf, run, failed=failed)
