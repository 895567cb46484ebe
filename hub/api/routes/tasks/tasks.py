"""REST routes of the tasks module: the card, executors, dependencies, history, EVT-6.

The registry, calendars and the operations on several tasks live in ``tasks_*.py`` routers
included here (the registry first, so ``/tasks/calendar`` is not taken for a task id).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires
from hub.api.routes.tasks import documents as tasks_documents
from hub.api.routes.tasks import more as tasks_more
from hub.api.routes.tasks import my_work as tasks_my_work
from hub.api.routes.tasks import registry as tasks_registry
from hub.api.routes.tasks.replies import task_replies, task_reply
from hub.api.schemas.common import PathId
from hub.api.schemas.tasks import (
    DependenciesRead,
    ExecutorsAdd,
    ExecutorUpdate,
    HistoryRead,
    PeriodMove,
    TaskCreate,
    TaskFromEvent,
    TaskRead,
    TaskUpdate,
)
from hub.services.access.rights import Action, DocType
from hub.services.tasks import dependencies as tasks_dependencies
from hub.services.tasks import executors as tasks_executors
from hub.services.tasks import extras as tasks_extras
from hub.services.tasks import tasks

router = APIRouter(prefix="/api/v1", tags=["tasks"])
router.include_router(tasks_registry.router)
router.include_router(tasks_more.router)
router.include_router(tasks_documents.router)
router.include_router(tasks_my_work.router)

Creator = Annotated[Principal, Depends(requires(Action.CREATE, DocType.TASK))]
Changer = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.TASK))]
Deleter = Annotated[Principal, Depends(requires(Action.DELETE, DocType.TASK))]
CompleteTask = Annotated[
    bool,
    Query(
        description="When this makes every executor done, also set the task Done (TSK-3); "
        "otherwise the task's status is left to the controller"
    ),
]


@router.post("/tasks", status_code=201, summary="Create a task (TSK-2)", response_model=TaskRead)
def create_task(session: SessionDep, principal: Creator, hub: HubDep, body: TaskCreate) -> TaskRead:
    values = body.model_dump(exclude={"status", "executor_ids"})
    task = tasks.insert_task(
        session,
        profile=principal.profile,
        values=values,
        executor_ids=body.executor_ids,
        status=body.status,
        today=hub.today(),
    )
    return task_reply(session, task, principal.lang)


@router.get("/tasks/{task_id:int}", summary="A task's card", response_model=TaskRead)
def get_task(session: SessionDep, principal: CrmUser, task_id: PathId) -> TaskRead:
    return task_reply(session, tasks.get_task(session, task_id), principal.lang)


@router.patch(
    "/tasks/{task_id:int}", summary="Change a task (TSK-2, TSK-13)", response_model=TaskRead
)
def update_task(
    session: SessionDep, principal: Changer, hub: HubDep, task_id: PathId, body: TaskUpdate
) -> TaskRead:
    task = tasks.update_task(
        session,
        profile=principal.profile,
        task_id=task_id,
        changes=body.model_dump(exclude_unset=True),
        tz=hub.settings.tz,
    )
    return task_reply(session, task, principal.lang)


@router.patch(
    "/tasks/{task_id:int}/period", summary="Move a task's period (TSK-13)", response_model=TaskRead
)
def move_period(
    session: SessionDep, principal: Changer, hub: HubDep, task_id: PathId, body: PeriodMove
) -> TaskRead:
    task = tasks.update_task(
        session,
        profile=principal.profile,
        task_id=task_id,
        changes=body.model_dump(exclude_none=True),
        tz=hub.settings.tz,
    )
    return task_reply(session, task, principal.lang)


@router.delete("/tasks/{task_id:int}", status_code=204, summary="Delete a task")
def delete_task(session: SessionDep, principal: Deleter, hub: HubDep, task_id: PathId) -> Response:
    tasks.delete_task(session, profile=principal.profile, task_id=task_id, files=hub.files)
    return Response(status_code=204)


@router.get(
    "/tasks/{task_id:int}/history",
    summary="History of a task (TSK-5)",
    response_model=list[HistoryRead],
)
def task_history(session: SessionDep, principal: CrmUser, task_id: PathId) -> list[HistoryRead]:
    return [HistoryRead.model_validate(row) for row in tasks.task_history(session, task_id=task_id)]


@router.post(
    "/tasks/{task_id:int}/executors", summary="Add executors (TSK-3)", response_model=TaskRead
)
def add_executors(
    session: SessionDep, principal: Changer, task_id: PathId, body: ExecutorsAdd
) -> TaskRead:
    task = tasks_executors.add_executors(
        session, profile=principal.profile, task_id=task_id, user_ids=body.user_ids
    )
    return task_reply(session, task, principal.lang)


@router.patch(
    "/tasks/{task_id:int}/executors/{user_id:int}",
    summary="Change an executor's status or time (TSK-3)",
    response_model=TaskRead,
)
def update_executor(
    session: SessionDep,
    principal: Changer,
    hub: HubDep,
    task_id: PathId,
    user_id: PathId,
    body: ExecutorUpdate,
    complete_task: CompleteTask = False,
) -> TaskRead:
    task = tasks_executors.update_executor(
        session,
        profile=principal.profile,
        task_id=task_id,
        user_id=user_id,
        status=body.status,
        time_spent_minutes=body.time_spent_minutes,
        complete_task=complete_task,
        tz=hub.settings.tz,
    )
    return task_reply(session, task, principal.lang)


@router.delete(
    "/tasks/{task_id:int}/executors/{user_id:int}", status_code=204, summary="Remove an executor"
)
def remove_executor(
    session: SessionDep, principal: Changer, task_id: PathId, user_id: PathId
) -> Response:
    """Take the user off the task's executors; 404 if they are not (or no longer) one of them."""
    tasks_executors.remove_executor(
        session, profile=principal.profile, task_id=task_id, user_id=user_id
    )
    return Response(status_code=204)


@router.get(
    "/tasks/{task_id:int}/dependencies",
    summary="Dependencies of a task (TSK-4)",
    response_model=DependenciesRead,
)
def list_dependencies(session: SessionDep, principal: CrmUser, task_id: PathId) -> DependenciesRead:
    before, after = tasks_dependencies.dependencies(session, task_id=task_id)
    return DependenciesRead(
        depends_on=task_replies(session, before, principal.lang),
        dependents=task_replies(session, after, principal.lang),
    )


@router.post(
    "/tasks/{task_id:int}/dependencies/{other_id:int}",
    summary="Make the task depend on another (TSK-4); the same as PUT",
    response_model=TaskRead,
    operation_id="add_task_dependency_post",
)
@router.put(
    "/tasks/{task_id:int}/dependencies/{other_id:int}",
    operation_id="add_task_dependency",
    summary="Make the task depend on another (TSK-4)",
    response_model=TaskRead,
)
def add_dependency(
    session: SessionDep, principal: Changer, task_id: PathId, other_id: PathId
) -> TaskRead:
    task = tasks_dependencies.add_dependency(
        session, profile=principal.profile, task_id=task_id, depends_on_id=other_id
    )
    return task_reply(session, task, principal.lang)


@router.delete(
    "/tasks/{task_id:int}/dependencies/{other_id:int}",
    status_code=204,
    summary="Remove a dependency",
)
def remove_dependency(
    session: SessionDep, principal: Changer, task_id: PathId, other_id: PathId
) -> Response:
    tasks_dependencies.remove_dependency(
        session, profile=principal.profile, task_id=task_id, depends_on_id=other_id
    )
    return Response(status_code=204)


@router.post(
    "/events/{event_id:int}/tasks",
    status_code=201,
    summary="Create a task from an event (EVT-6)",
    response_model=TaskRead,
)
def task_from_event(
    session: SessionDep,
    principal: Creator,
    hub: HubDep,
    event_id: PathId,
    body: TaskFromEvent | None = None,
) -> TaskRead:
    options = body or TaskFromEvent()
    task = tasks_extras.task_from_event(
        session,
        profile=principal.profile,
        event_id=event_id,
        name=options.name,
        executor_ids=options.executor_ids,
        today=hub.today(),
        lang=principal.lang,
    )
    return task_reply(session, task, principal.lang)
