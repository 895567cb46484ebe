"""REST routes of the projects module: cards, registry, contracts, work group, plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Response

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires
from hub.api.schemas.common import MAX_DB_INT, PathId
from hub.api.schemas.projects import (
    ContractCreate,
    ContractPage,
    ContractRead,
    ContractTotalRead,
    ContractUpdate,
    MemberAdd,
    MemberRead,
    PlanRead,
    ProjectCreate,
    ProjectPage,
    ProjectRead,
    ProjectUpdate,
)
from hub.errors import Invalid
from hub.services.access.rights import Action, DocType
from hub.services.common.paging import DEFAULT_LIMIT, MAX_LIMIT
from hub.services.projects import contracts as projects_contracts
from hub.services.projects import projects

router = APIRouter(prefix="/api/v1", tags=["projects"])

ContractId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="Id of the contract")]
UserId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="Id of the user")]
Cursor = Annotated[str | None, Query(max_length=1000, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
# The document right is checked before anything else; the services add the journal rights.
CreatesProject = Annotated[Principal, Depends(requires(Action.CREATE, DocType.PROJECT))]
ChangesProject = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.PROJECT))]
DeletesProject = Annotated[Principal, Depends(requires(Action.DELETE, DocType.PROJECT))]
CreatesContract = Annotated[Principal, Depends(requires(Action.CREATE, DocType.CONTRACT))]
ChangesContract = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.CONTRACT))]
DeletesContract = Annotated[Principal, Depends(requires(Action.DELETE, DocType.CONTRACT))]


def _journal_filter(raw: str | None) -> projects.JournalFilter:
    if raw is None:
        return None
    if raw == "none":
        return "none"
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_DB_INT:
        return int(raw)
    raise Invalid("prj_journal_filter", field="journal")


@router.get("/projects", summary="Registry of projects (PRJ-1)", response_model=ProjectPage)
def list_projects(
    session: SessionDep,
    principal: CrmUser,
    journal: Annotated[
        str | None, Query(max_length=12, description="a journal id, or 'none'")
    ] = None,
    uses_queue: Annotated[bool | None, Query(description="PRJ-8 flag")] = None,
    q: Annotated[str | None, Query(max_length=300, description="part of the name")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ProjectPage:
    page = projects.list_projects(
        session,
        journal=_journal_filter(journal),
        uses_queue=uses_queue,
        search=q.replace("\x00", "").strip() if q else None,
        cursor=cursor,
        limit=limit,
    )
    return ProjectPage(
        items=[ProjectRead.model_validate(p) for p in page.items], next_cursor=page.next_cursor
    )


@router.post("/projects", status_code=201, summary="Open a project", response_model=ProjectRead)
def create_project(
    session: SessionDep, hub: HubDep, principal: CreatesProject, body: ProjectCreate
) -> ProjectRead:
    project = projects.create_project(
        session, profile=principal.profile, values=body.model_dump(), today=hub.today()
    )
    return ProjectRead.model_validate(project)


@router.get("/projects/{project_id:int}", summary="A project card", response_model=ProjectRead)
def get_project(session: SessionDep, principal: CrmUser, project_id: PathId) -> ProjectRead:
    return ProjectRead.model_validate(projects.get_project(session, project_id))


@router.patch("/projects/{project_id:int}", summary="Change a project", response_model=ProjectRead)
def update_project(
    session: SessionDep, principal: ChangesProject, project_id: PathId, body: ProjectUpdate
) -> ProjectRead:
    project = projects.update_project(
        session,
        profile=principal.profile,
        project_id=project_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return ProjectRead.model_validate(project)


@router.delete("/projects/{project_id:int}", status_code=204, summary="Delete a project")
def delete_project(
    session: SessionDep, hub: HubDep, principal: DeletesProject, project_id: PathId
) -> Response:
    projects.delete_project(
        session, profile=principal.profile, project_id=project_id, files=hub.files
    )
    return Response(status_code=204)


@router.get(
    "/projects/{project_id:int}/contracts/totals",
    summary="Planned and actual sums per currency (PRJ-2)",
    response_model=list[ContractTotalRead],
)
def contract_totals(
    session: SessionDep, principal: CrmUser, project_id: PathId
) -> list[ContractTotalRead]:
    totals = projects_contracts.contract_totals(session, project_id=project_id)
    return [ContractTotalRead.model_validate(total) for total in totals]


@router.get(
    "/projects/{project_id:int}/contracts",
    summary="Contracts of a project (PRJ-2)",
    response_model=ContractPage,
)
def list_contracts(
    session: SessionDep,
    principal: CrmUser,
    project_id: PathId,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ContractPage:
    page = projects_contracts.list_contracts(
        session, project_id=project_id, cursor=cursor, limit=limit
    )
    return ContractPage(
        items=[ContractRead.model_validate(c) for c in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/projects/{project_id:int}/contracts",
    status_code=201,
    summary="Add a contract",
    response_model=ContractRead,
)
def create_contract(
    session: SessionDep, principal: CreatesContract, project_id: PathId, body: ContractCreate
) -> ContractRead:
    contract = projects_contracts.create_contract(
        session, profile=principal.profile, project_id=project_id, values=body.model_dump()
    )
    return ContractRead.model_validate(contract)


@router.get(
    "/projects/{project_id:int}/contracts/{contract_id:int}",
    summary="A contract",
    response_model=ContractRead,
)
def get_contract(
    session: SessionDep, principal: CrmUser, project_id: PathId, contract_id: ContractId
) -> ContractRead:
    contract = projects_contracts.get_contract(
        session, project_id=project_id, contract_id=contract_id
    )
    return ContractRead.model_validate(contract)


@router.patch(
    "/projects/{project_id:int}/contracts/{contract_id:int}",
    summary="Change a contract",
    response_model=ContractRead,
)
def update_contract(
    session: SessionDep,
    principal: ChangesContract,
    project_id: PathId,
    contract_id: ContractId,
    body: ContractUpdate,
) -> ContractRead:
    contract = projects_contracts.update_contract(
        session,
        profile=principal.profile,
        project_id=project_id,
        contract_id=contract_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return ContractRead.model_validate(contract)


@router.delete(
    "/projects/{project_id:int}/contracts/{contract_id:int}",
    status_code=204,
    summary="Delete a contract",
)
def delete_contract(
    session: SessionDep, principal: DeletesContract, project_id: PathId, contract_id: ContractId
) -> Response:
    projects_contracts.delete_contract(
        session, profile=principal.profile, project_id=project_id, contract_id=contract_id
    )
    return Response(status_code=204)


@router.get(
    "/projects/{project_id:int}/members",
    summary="Work group (PRJ-4)",
    response_model=list[MemberRead],
)
def list_members(session: SessionDep, principal: CrmUser, project_id: PathId) -> list[MemberRead]:
    members = projects.list_members(session, project_id=project_id)
    return [MemberRead.model_validate(member) for member in members]


@router.put(
    "/projects/{project_id:int}/members/{user_id:int}",
    summary="Add an active user to the work group",
    response_model=MemberRead,
)
def add_member(
    session: SessionDep,
    principal: ChangesProject,
    project_id: PathId,
    user_id: UserId,
    body: Annotated[MemberAdd | None, Body()] = None,
) -> MemberRead:
    member = projects.add_member(
        session,
        profile=principal.profile,
        project_id=project_id,
        user_id=user_id,
        role=body.role if body is not None else None,
    )
    return MemberRead.model_validate(member)


@router.delete(
    "/projects/{project_id:int}/members/{user_id:int}",
    status_code=204,
    summary="Take a user out of the work group",
)
def remove_member(
    session: SessionDep, principal: ChangesProject, project_id: PathId, user_id: UserId
) -> Response:
    projects.remove_member(
        session, profile=principal.profile, project_id=project_id, user_id=user_id
    )
    return Response(status_code=204)


@router.get(
    "/projects/{project_id:int}/plan",
    summary="Plan-schedule data: tasks, progress, executors, dependencies (PRJ-5)",
    response_model=PlanRead,
)
def project_plan(session: SessionDep, principal: CrmUser, project_id: PathId) -> PlanRead:
    return PlanRead.model_validate(projects.project_plan(session, project_id=project_id))
