"""Task routes beyond the card: reminders (TSK-7), templates (TSK-9), copy and multiply (TSK-10),
group status change (TSK-11) and assigning executors (TSK-12)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires
from hub.api.routes.tasks.replies import task_replies, task_reply
from hub.api.schemas.common import PathId
from hub.api.schemas.tasks import (
    FromTemplate,
    GroupExecutors,
    GroupStatus,
    ReminderCreate,
    ReminderRead,
    ReminderRepeat,
    TaskCopy,
    TaskMultiply,
    TaskRead,
    TemplateCreate,
    TemplatePage,
    TemplateRead,
)
from hub.services.access.rights import Action, DocType
from hub.services.common.paging import DEFAULT_LIMIT, MAX_LIMIT
from hub.services.tasks import bulk as tasks_bulk
from hub.services.tasks import executors as tasks_executors
from hub.services.tasks import extras as tasks_extras

router = APIRouter(tags=["tasks"])

Creator = Annotated[Principal, Depends(requires(Action.CREATE, DocType.TASK))]
Changer = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.TASK))]
Deleter = Annotated[Principal, Depends(requires(Action.DELETE, DocType.TASK))]


@router.post(
    "/tasks/group/status",
    summary="Set one status on chosen tasks (TSK-11), all or nothing",
    response_model=list[TaskRead],
)
def group_status(
    session: SessionDep, principal: Changer, hub: HubDep, body: GroupStatus
) -> list[TaskRead]:
    changed = tasks_bulk.change_status_of_tasks(
        session,
        profile=principal.profile,
        task_ids=body.task_ids,
        status=body.status,
        with_executors=body.with_executors,
        tz=hub.settings.tz,
    )
    return task_replies(session, changed, principal.lang)


@router.post(
    "/tasks/group/executors",
    summary="Assign executors to chosen tasks (TSK-12), all or nothing",
    response_model=list[TaskRead],
)
def group_executors(
    session: SessionDep, principal: Changer, body: GroupExecutors
) -> list[TaskRead]:
    changed = tasks_executors.assign_executors(
        session,
        profile=principal.profile,
        task_ids=body.task_ids,
        user_ids=body.user_ids,
        mode=body.mode,
        distribute=body.distribute,
    )
    return task_replies(session, changed, principal.lang)


@router.post(
    "/tasks/{task_id:int}/copy",
    status_code=201,
    summary="Copy a task (TSK-10)",
    response_model=TaskRead,
)
def copy_task(
    session: SessionDep,
    principal: Creator,
    hub: HubDep,
    task_id: PathId,
    body: TaskCopy | None = None,
) -> TaskRead:
    options = body or TaskCopy()
    task = tasks_bulk.copy_task(
        session,
        profile=principal.profile,
        task_id=task_id,
        today=hub.today(),
        starts_at=options.starts_at,
        ends_at=options.ends_at,
    )
    return task_reply(session, task, principal.lang)


@router.post(
    "/tasks/{task_id:int}/multiply",
    status_code=201,
    summary="One copy of a task per client (TSK-10), all or nothing",
    response_model=list[TaskRead],
)
def multiply_task(
    session: SessionDep, principal: Creator, hub: HubDep, task_id: PathId, body: TaskMultiply
) -> list[TaskRead]:
    made = tasks_bulk.multiply_task(
        session,
        profile=principal.profile,
        task_id=task_id,
        client_ids=body.client_ids,
        today=hub.today(),
    )
    return task_replies(session, made, principal.lang)


@router.get(
    "/tasks/{task_id:int}/reminders",
    summary="Reminders of a task (TSK-7)",
    response_model=list[ReminderRead],
)
def list_reminders(session: SessionDep, principal: CrmUser, task_id: PathId) -> list[ReminderRead]:
    rows = tasks_extras.list_reminders(session, task_id=task_id)
    return [ReminderRead.model_validate(row) for row in rows]


@router.post(
    "/tasks/{task_id:int}/reminders",
    status_code=201,
    summary="Add a reminder (TSK-7)",
    response_model=ReminderRead,
)
def add_reminder(
    session: SessionDep, principal: Changer, task_id: PathId, body: ReminderCreate
) -> ReminderRead:
    row = tasks_extras.add_reminder(
        session,
        profile=principal.profile,
        task_id=task_id,
        user_id=body.user_id,
        remind_at=body.remind_at,
        channel=body.channel,
        text=body.text,
    )
    return ReminderRead.model_validate(row)


@router.post(
    "/tasks/{task_id:int}/reminders/{reminder_id:int}/repeat",
    status_code=201,
    summary="Repeat a reminder at a new time (TSK-7)",
    response_model=ReminderRead,
)
def repeat_reminder(
    session: SessionDep,
    principal: Changer,
    task_id: PathId,
    reminder_id: PathId,
    body: ReminderRepeat,
) -> ReminderRead:
    row = tasks_extras.repeat_reminder(
        session,
        profile=principal.profile,
        task_id=task_id,
        reminder_id=reminder_id,
        remind_at=body.remind_at,
    )
    return ReminderRead.model_validate(row)


@router.delete(
    "/tasks/{task_id:int}/reminders/{reminder_id:int}", status_code=204, summary="Delete a reminder"
)
def delete_reminder(
    session: SessionDep, principal: Changer, task_id: PathId, reminder_id: PathId
) -> Response:
    tasks_extras.delete_reminder(
        session, profile=principal.profile, task_id=task_id, reminder_id=reminder_id
    )
    return Response(status_code=204)


@router.post(
    "/tasks/{task_id:int}/template",
    status_code=201,
    summary="Save a task as a template (TSK-9)",
    response_model=TemplateRead,
)
def save_template(
    session: SessionDep, principal: Creator, task_id: PathId, body: TemplateCreate
) -> TemplateRead:
    row = tasks_extras.save_template(
        session, profile=principal.profile, task_id=task_id, name=body.name
    )
    return TemplateRead.model_validate(row)


@router.get("/task-templates", summary="Task templates (TSK-9)", response_model=TemplatePage)
def list_templates(
    session: SessionDep,
    principal: CrmUser,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> TemplatePage:
    page = tasks_extras.list_templates(session, cursor=cursor, limit=limit)
    return TemplatePage(
        items=[TemplateRead.model_validate(row) for row in page.items],
        next_cursor=page.next_cursor,
    )


@router.delete("/task-templates/{template_id:int}", status_code=204, summary="Delete a template")
def delete_template(session: SessionDep, principal: Deleter, template_id: PathId) -> Response:
    tasks_extras.delete_template(session, profile=principal.profile, template_id=template_id)
    return Response(status_code=204)


@router.post(
    "/task-templates/{template_id:int}/tasks",
    status_code=201,
    summary="Create a task from a template (TSK-9)",
    response_model=TaskRead,
)
def task_from_template(
    session: SessionDep,
    principal: Creator,
    hub: HubDep,
    template_id: PathId,
    body: FromTemplate,
) -> TaskRead:
    task = tasks_extras.task_from_template(
        session,
        profile=principal.profile,
        template_id=template_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        overrides={"name": body.name} if body.name else {},
        today=hub.today(),
    )
    return task_reply(session, task, principal.lang)
