"""Registry routes of tasks (TSK-1): the keyset-paged list and the calendars."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from hub.api.deps import CrmUser, HubDep, SessionDep
from hub.api.routes.tasks.replies import task_replies
from hub.api.schemas.common import MAX_DB_INT, IsoDate
from hub.api.schemas.tasks import CalendarDayRead, CalendarRead, Moment, TaskPage
from hub.errors import Invalid
from hub.services.common.paging import DEFAULT_LIMIT, MAX_LIMIT
from hub.services.tasks.registry import CalendarView, TaskFilter, calendar, list_tasks

router = APIRouter(tags=["tasks"])

QueryId = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]


def _filter(
    project: str,
    executor: int | None,
    status: str | None,
    client: int | None,
    period_from: datetime | None = None,
    period_to: datetime | None = None,
    centre: str | None = None,
) -> TaskFilter:
    if project not in ("all", "none") and not (
        project.isdigit() and 1 <= int(project) <= MAX_DB_INT
    ):
        raise Invalid("task_project_filter", field="project")
    return TaskFilter(
        project=project,
        executor_id=executor,
        status=status,
        client_id=client,
        period_from=period_from,
        period_to=period_to,
        centre=centre,
    )


ProjectQuery = Annotated[
    str, Query(max_length=12, description="all, none (tasks without a project) or a project id")
]
StatusQuery = Annotated[
    str | None,
    Query(max_length=32, description="Status code; overdue: not done and past the end (TSK-14)"),
]
CentreQuery = Annotated[
    str | None, Query(max_length=200, description="Tasks of this responsibility centre (TSK-1)")
]


@router.get("/tasks", summary="The task registry (TSK-1)", response_model=TaskPage)
def registry(
    session: SessionDep,
    principal: CrmUser,
    project: ProjectQuery = "all",
    executor: QueryId = None,
    status: StatusQuery = None,
    client: QueryId = None,
    centre: CentreQuery = None,
    period_from: Annotated[Moment | None, Query(alias="from")] = None,
    period_to: Annotated[Moment | None, Query(alias="to")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> TaskPage:
    flt = _filter(project, executor, status, client, period_from, period_to, centre)
    page = list_tasks(session, flt=flt, cursor=cursor, limit=limit)
    return TaskPage(
        items=task_replies(session, page.items, principal.lang), next_cursor=page.next_cursor
    )


@router.get(
    "/tasks/calendar", summary="Month, week or day calendar (TSK-1)", response_model=CalendarRead
)
def task_calendar(
    session: SessionDep,
    principal: CrmUser,
    hub: HubDep,
    view: CalendarView = "month",
    on: Annotated[IsoDate | None, Query(alias="date", description="A day of the range")] = None,
    project: ProjectQuery = "all",
    executor: QueryId = None,
    status: StatusQuery = None,
    client: QueryId = None,
    centre: CentreQuery = None,
) -> CalendarRead:
    today = hub.today()
    if on is not None and not 1900 <= on.year <= 9000:
        raise Invalid("task_calendar_date", field="date")
    result = calendar(
        session,
        view=view,
        on=on or today,
        today=today,
        tz=hub.settings.tz,
        flt=_filter(project, executor, status, client, centre=centre),
    )
    return CalendarRead(
        view=result.view,
        first=result.first,
        last=result.last,
        starts_at=result.starts_at,
        ends_at=result.ends_at,
        today=today,
        days=[
            CalendarDayRead(date=day.day, today=day.today, task_ids=day.task_ids)
            for day in result.days
        ],
        tasks=task_replies(session, result.tasks, principal.lang),
        truncated=result.truncated,
    )
