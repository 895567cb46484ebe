"""An event or a task made from the client's card (CLI-3): the client filled in, its contact
persons to choose from; the events' and tasks' own services decide numbering, rights (by
journal too) and every rule, as for the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.api.schemas.events import EventCreate
from hub.api.schemas.tasks import TaskCreate
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.clients import clients, contacts
from hub.services.events import events as event_service
from hub.services.settings.reference import REFERENCE_KINDS, list_entries
from hub.services.tasks import tasks as task_service
from hub.web.common import hub_of, page_lang
from hub.web.office import forms, session
from hub.web.office.clients_common import (
    BASE,
    FormDep,
    blank_none,
    form_failed,
    rights,
    show,
)
from hub.web.office.forms import FormState, validated
from hub.web.office.session import Build, Staff, with_query

router = APIRouter()

TEMPLATE = "office/clients_work_form.html"


def _contact_id(form: dict[str, str]) -> int | str | None:
    raw = (form.get("contact_id") or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 11 else raw or None


def _work_form(kind: str, client_id: int, state: FormState | None, now: datetime) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        client = clients.get_client(db, client_id)
        people = contacts.list_client_contacts(db, client_id=client_id, limit=100).items
        start = now.replace(second=0, microsecond=0)
        defaults = {
            "starts_at": start.strftime(forms.MOMENT),
            "ends_at": (start + timedelta(hours=1)).strftime(forms.MOMENT)
            if kind == "task"
            else "",
            "contact_id": str(people[0].id) if len(people) == 1 else "",
        }
        if kind == "event":
            defaults["type"] = "incoming_call"
        types = list_entries(db, REFERENCE_KINDS["event-types"]) if kind == "event" else []
        return {
            "kind": kind,
            "client": client,
            "people": people,
            "types": types,
            "form": state or FormState(values=defaults),
            "may": rights(staff.profile),
        }

    return build


def _now(request: Request) -> datetime:
    hub = hub_of(request)
    return datetime.now(hub.settings.tz)


@router.get(BASE + "/{client_id:int}/events/new", response_model=None)
def new_event(request: Request, client_id: int) -> Response:
    """The form of a new event of the client."""
    return show(request, TEMPLATE, _work_form("event", client_id, None, _now(request)))


@router.get(BASE + "/{client_id:int}/tasks/new", response_model=None)
def new_task(request: Request, client_id: int) -> Response:
    """The form of a new task of the client."""
    return show(request, TEMPLATE, _work_form("task", client_id, None, _now(request)))


@router.post(BASE + "/{client_id:int}/events/new", response_model=None)
def create_event(request: Request, client_id: int, form: FormDep) -> Response:
    """Create the event (numbered, checked and logged by the events' service)."""
    lang = page_lang(request)
    hub = hub_of(request)

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CREATE, DocType.EVENT)
        data = blank_none(form, ("type", "phone", "content"))
        moments, errors = forms.start_and_end(
            lang, form, hub.settings.tz, end_required=False, wrong="cli_field_moment"
        )
        data.update(moments, client_id=client_id, contact_id=_contact_id(form))
        body = validated(lang, EventCreate, data, form, errors)
        event = event_service.create_event(
            db, profile=staff.profile, values=body.model_dump(), today=hub.today()
        )
        return with_query(f"{BASE}/{client_id}", done="event", n=event.number) + "#events"

    def again(state: FormState) -> Build:
        return _work_form("event", client_id, state, _now(request))

    failed = form_failed(request, TEMPLATE, again, form, f"{BASE}/{client_id}")
    return session.act(request, form.get("csrf"), change, failed=failed)


@router.post(BASE + "/{client_id:int}/tasks/new", response_model=None)
def create_task(request: Request, client_id: int, form: FormDep) -> Response:
    """Create the task (numbered, checked and logged by the tasks' service)."""
    lang = page_lang(request)
    hub = hub_of(request)

    def change(db: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CREATE, DocType.TASK)
        data = blank_none(form, ("name", "content"))
        moments, errors = forms.start_and_end(
            lang, form, hub.settings.tz, end_required=True, wrong="cli_field_moment"
        )
        data.update(moments, client_id=client_id, contact_id=_contact_id(form))
        body = validated(lang, TaskCreate, data, form, errors)
        task = task_service.insert_task(
            db,
            profile=staff.profile,
            values=body.model_dump(exclude={"status", "executor_ids"}),
            executor_ids=body.executor_ids,
            status=body.status,
            today=hub.today(),
        )
        return with_query(f"{BASE}/{client_id}", done="task", n=task.number) + "#tasks"

    def again(state: FormState) -> Build:
        return _work_form("task", client_id, state, _now(request))

    failed = form_failed(request, TEMPLATE, again, form, f"{BASE}/{client_id}")
    return session.act(request, form.get("csrf"), change, failed=failed)
