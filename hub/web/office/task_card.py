"""The task card (TSK-2..TSK-10, TSK-15): a new task, the card with its tabs, its details form.

A new card may start from an event (EVT-6), a client (CLI-3), a project (PRJ-3) or a template
(TSK-9). The details form carries the card's fingerprint, so a save over someone else's change
is refused; a refused save shows the form again with every message and changes nothing. The
other tabs' actions are in ``task_card_parts`` and ``task_card_files``; copying, multiplying,
templates and deleting in ``task_card_more``; the print forms in ``task_print``. This router
includes them all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.errors import DomainError
from hub.services.tasks import card_edit
from hub.web.common import hub_of, page_lang, render
from hub.web.office import task_card_files, task_card_more, task_card_parts, task_print
from hub.web.office.forms import FormRefused, FormState
from hub.web.office.session import Staff, act, current_staff, page_or_refusal
from hub.web.office.task_card_view import (
    NEW,
    REFUSED,
    card_page,
    card_url,
    done_message,
    local,
    new_page,
    new_values,
    refused_state,
)
from hub.web.office.task_form import RawCard, choices, form_values, read_form

router = APIRouter(prefix="/office/tasks")
PICKS = ("user", "type", "client", "contact", "project", "task", "document")


@router.get("/new", response_model=None)
def new_form(
    request: Request,
    project: int | None = None,
    client: int | None = None,
    event: int | None = None,
) -> Response:
    """An empty card (Ins), or one filled from an event, a client or a project."""
    lang = page_lang(request)
    tz = hub_of(request).settings.tz
    start = datetime.now(tz).replace(second=0, microsecond=0)
    values: dict[str, Any] = {
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "status": "assigned",
        "priority": "normal",
        "percent_done": 0,
        "time_spent_minutes": 0,
    }

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        if event is not None:
            values.update(card_edit.from_event(session, event_id=event, lang=lang))
            values["event_id"] = event
        if client is not None:
            values.update(card_edit.from_client(session, client_id=client))
        if project is not None:
            values.update(card_edit.from_project(session, project_id=project))
        shown = form_values(session, values, lang, tz)
        shown["executor_ids"] = [str(staff.user_id)]
        template_form = FormState(values={"template_starts_at": local(start, tz)})
        return new_values(session, staff, FormState(values=shown), template_form)

    return page_or_refusal(request, NEW, build, look=REFUSED)


@router.post("/new", response_model=None)
def create(request: Request, raw: Annotated[RawCard, Form()]) -> Response:
    """Create the task with its executors, or the form again with what is wrong."""
    hub = hub_of(request)
    typed = raw.typed()

    def store(session: Session, staff: Staff, values: dict[str, Any]) -> str:
        status = values.pop("status", None) or "assigned"
        task = card_edit.new_task(
            session,
            profile=staff.profile,
            values=values,
            executor_ids=values.pop("executor_ids"),
            status=status,
            today=hub.today(),
            event_id=values.pop("event_id", None),
        )
        return card_url(task.id, done="created", n=task.number)

    def again(state: FormState, status: int) -> Response:
        return new_page(request, state, status)

    return _submit(request, raw.csrf, typed, store, again, new=True)


@router.post("/{task_id:int}", response_model=None)
def save(request: Request, task_id: int, raw: Annotated[RawCard, Form()]) -> Response:
    """Save the details unless someone changed the task since they were shown."""
    tz = hub_of(request).settings.tz
    typed = raw.typed()

    def store(session: Session, staff: Staff, values: dict[str, Any]) -> str:
        values.pop("executor_ids", None)
        values.pop("event_id", None)
        saved = card_edit.save_task(
            session,
            profile=staff.profile,
            task_id=task_id,
            changes=values,
            shown=typed.get("fingerprint") or "",
            tz=tz,
        )
        if saved.successor is not None:
            return card_url(task_id, done="next", n=saved.successor.number)
        return card_url(task_id, done="saved")

    def again(state: FormState, status: int) -> Response:
        return card_page(request, task_id, "details", form=state, status=status)

    return _submit(request, raw.csrf, typed, store, again, new=False)


def _submit(
    request: Request,
    csrf: str,
    typed: dict[str, Any],
    store: Callable[[Session, Staff, dict[str, Any]], str],
    again: Callable[[FormState, int], Response],
    *,
    new: bool,
) -> Response:
    """Check the form and ``store`` it in one transaction; the form again (nothing saved) with
    each wrong field's message when the fields or the domain refuse it."""
    lang = page_lang(request)
    tz = hub_of(request).settings.tz

    def change(session: Session, staff: Staff) -> str:
        values, state = read_form(session, staff.profile, dict(typed), lang, tz, new=new)
        if values is None:
            raise FormRefused(state)
        return store(session, staff, values)

    def failed(_message: str, error: DomainError) -> Response:
        if isinstance(error, FormRefused):
            return again(error.state, 422)
        return again(refused_state(lang, _field_of(error), typed), error.status)

    return act(request, csrf, change, failed=failed)


def _field_of(error: DomainError) -> DomainError:
    # The domain names some fields as the API does; the form's are these.
    renames = {"user_ids": "executor_ids", "journal_id": "project_id", "contact": "contact_id"}
    where = str(error.params.get("field") or "")
    if where in renames:
        error.params["field"] = renames[where]
    return error


@router.get("/{task_id:int}", response_model=None)
def task_card(
    request: Request,
    task_id: int,
    tab: str = "details",
    done: str | None = None,
    n: str | None = None,
) -> Response:
    """The card at one tab; the details tab is the form for those who may change the task."""
    return card_page(request, task_id, tab, flash=done_message(page_lang(request), done, n))


@router.get("/card/pick/{kind}", response_model=None)
def pick(
    request: Request,
    kind: str,
    q: str = "",
    task: int | None = None,
    client: int | None = None,
) -> Response:
    """A picker's choices (F3) as an HTML fragment of [data-pick] buttons."""
    if kind not in PICKS:
        return Response(status_code=404)
    lang = page_lang(request)
    with hub_of(request).sessions() as session:
        staff = current_staff(request, session)
        if staff is None:
            return Response(status_code=401)
        found = choices(session, staff.profile, kind, q[:100], lang, task=task, client=client)
    return render(request, "office/task_card_pick.html", {"choices": found})


router.include_router(task_print.router)
router.include_router(task_card_parts.router)
router.include_router(task_card_files.router)
router.include_router(task_card_more.router)
