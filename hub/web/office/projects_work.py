"""The card's events, tasks and plan-schedule tabs (PRJ-3, PRJ-5), and an event or a task made
from the project: the events' and tasks' own services decide numbering, rights (the project's
journal's too) and every rule, as for the API. Tasks are coloured by their status (overdue in
red) and open in the task card; events open in the event card; the Gantt chart of the project's
tasks is the Tasks section's (``/office/tasks/gantt?project=``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.api.schemas.events import EventCreate
from hub.api.schemas.tasks import TaskCreate
from hub.db.models import Project
from hub.services.access.rights import Action, DocType, require_in_journal
from hub.services.events import views as event_views
from hub.services.events.registry import EventFilter
from hub.services.projects import desk, projects
from hub.services.tasks import tasks as task_service
from hub.services.tasks.registry import TaskFilter, list_tasks
from hub.web.common import context, hub_of, page_lang
from hub.web.office import forms, gantt, session
from hub.web.office.forms import FormState, validated
from hub.web.office.projects_card import head
from hub.web.office.projects_common import (
    BASE,
    FormDep,
    form_failed,
    ref,
    show,
    stripped,
)
from hub.web.office.session import Build, Staff, with_query

router = APIRouter()

PAGE = 50
TEMPLATE = "office/projects_work_form.html"
Cursor = Annotated[str | None, Query(max_length=1000)]
Scale = Annotated[str, Query(max_length=8)]


def gantt_url(project_id: int) -> str:
    """The Tasks section's Gantt chart of this project's tasks."""
    return with_query("/office/tasks/gantt", project=project_id)


def _pages(here: str, cursor: str | None, next_cursor: str | None) -> dict[str, str]:
    return {
        "first": here if cursor else "",
        "later": with_query(here, cursor=next_cursor) if next_cursor else "",
    }


@router.get(BASE + "/{project_id:int}/events", response_model=None)
def events_tab(request: Request, project_id: int, cursor: Cursor = None) -> Response:
    """The project's events, newest first, one keyset page (PRJ-3)."""

    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "events")
        page = event_views.list_visible(
            db, staff.profile, EventFilter(project=project_id), cursor=cursor, limit=PAGE
        )
        values.update(
            rows=event_views.rows(db, page.items),
            **_pages(f"{BASE}/{project_id}/events", cursor, page.next_cursor),
        )
        return values

    return show(request, "office/projects_events.html", build)


@router.get(BASE + "/{project_id:int}/tasks", response_model=None)
def tasks_tab(request: Request, project_id: int, cursor: Cursor = None) -> Response:
    """The project's tasks by start, coloured by status, overdue in red (PRJ-3, TSK-14)."""

    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "tasks")
        page = list_tasks(db, flt=TaskFilter(project=str(project_id)), cursor=cursor, limit=PAGE)
        shown = task_service.describe(db, page.items)
        values.update(
            tasks=[(view, desk.safe_color(view.color)) for view in shown],
            **_pages(f"{BASE}/{project_id}/tasks", cursor, page.next_cursor),
        )
        return values

    return show(request, "office/projects_tasks.html", build)


@router.get(BASE + "/{project_id:int}/plan", response_model=None)
def plan_tab(request: Request, project_id: int, scale: Scale = "auto") -> Response:
    """The plan-schedule (PRJ-5): the Tasks section's Gantt chart of the project's tasks."""
    now = context(request).now
    hub = hub_of(request)
    lang = page_lang(request)
    chosen = scale if scale in gantt.SCALE_CHOICES else "auto"

    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "plan")
        chart = gantt.project_chart(
            db,
            project_id=project_id,
            now=now,
            tz=hub.settings.tz,
            today=hub.today(),
            lang=lang,
            scale=chosen,
        )
        values.update(
            chart=chart,
            scale=chosen,
            scales=gantt.SCALE_CHOICES,
            gantt=gantt_url(project_id),
        )
        return values

    return show(request, "office/projects_plan.html", build)


# --- an event or a task made from the card -----------------------------------------------------


def _work_form(request: Request, kind: str, project_id: int, state: FormState | None) -> Build:
    now = datetime.now(hub_of(request).settings.tz).replace(second=0, microsecond=0)

    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "events" if kind == "event" else "tasks")
        project: Project = values["project"]
        defaults = {
            "starts_at": now.strftime(forms.MOMENT),
            "ends_at": (now + timedelta(hours=1)).strftime(forms.MOMENT) if kind == "task" else "",
            "type": str(project.default_event_type_id or ""),
        }
        values.update(
            kind=kind,
            types=desk.event_types(db) if kind == "event" else [],
            form=state or FormState(values=defaults),
        )
        return values

    return build


@router.get(BASE + "/{project_id:int}/events/new", response_model=None)
def new_event(request: Request, project_id: int) -> Response:
    """The form of a new event of the project (Ins on the events tab)."""
    return show(request, TEMPLATE, _work_form(request, "event", project_id, None))


@router.get(BASE + "/{project_id:int}/tasks/new", response_model=None)
def new_task(request: Request, project_id: int) -> Response:
    """The form of a new task of the project (Ins on the tasks tab)."""
    return show(request, TEMPLATE, _work_form(request, "task", project_id, None))


def _shown(form: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: form.get(name, "") for name in names}


@router.post(BASE + "/{project_id:int}/events/new", response_model=None)
def create_event(request: Request, project_id: int, form: FormDep) -> Response:
    """Create the event in the project (numbered, checked and logged by the events' service)."""
    lang = page_lang(request)
    hub = hub_of(request)

    def change(db: Session, staff: Staff) -> str:
        project = projects.get_project(db, project_id)
        require_in_journal(db, staff.profile, Action.CREATE, DocType.EVENT, project.journal_id)
        moments, errors = forms.start_and_end(
            lang, form, hub.settings.tz, end_required=False, wrong="prj_field_moment"
        )
        data = {"type": ref(form, "type"), "content": stripped(form, "content"), **moments}
        data["project_id"] = project_id
        shown = _shown(form, ("type", "starts_at", "ends_at", "content"))
        body = validated(lang, EventCreate, data, shown, errors)
        event = event_views.new_event(
            db, profile=staff.profile, values=body.model_dump(), today=hub.today()
        )
        return with_query(f"{BASE}/{project_id}/events", done="event", n=event.number)

    def again(state: FormState) -> Build:
        return _work_form(request, "event", project_id, state)

    back = f"{BASE}/{project_id}/events"
    failed = form_failed(request, TEMPLATE, again, form, back)
    return session.act(request, form.get("csrf"), change, failed=failed)


@router.post(BASE + "/{project_id:int}/tasks/new", response_model=None)
def create_task(request: Request, project_id: int, form: FormDep) -> Response:
    """Create the task in the project (numbered, checked and logged by the tasks' service)."""
    lang = page_lang(request)
    hub = hub_of(request)

    def change(db: Session, staff: Staff) -> str:
        project = projects.get_project(db, project_id)
        require_in_journal(db, staff.profile, Action.CREATE, DocType.TASK, project.journal_id)
        moments, errors = forms.start_and_end(
            lang, form, hub.settings.tz, end_required=True, wrong="prj_field_moment"
        )
        data = {"name": stripped(form, "name"), "content": stripped(form, "content"), **moments}
        data["project_id"] = project_id
        shown = _shown(form, ("name", "starts_at", "ends_at", "content"))
        body = validated(lang, TaskCreate, data, shown, errors)
        task = task_service.insert_task(
            db,
            profile=staff.profile,
            values=body.model_dump(exclude={"status", "executor_ids"}),
            executor_ids=body.executor_ids,
            status=body.status,
            today=hub.today(),
        )
        return with_query(f"{BASE}/{project_id}/tasks", done="task", n=task.number)

    def again(state: FormState) -> Build:
        return _work_form(request, "task", project_id, state)

    back = f"{BASE}/{project_id}/tasks"
    failed = form_failed(request, TEMPLATE, again, form, back)
    return session.act(request, form.get("csrf"), change, failed=failed)
