"""Contracts of a project with planned and actual amounts (PRJ-2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.models import Project, ProjectContract
from hub.errors import NotFound
from hub.services.access.rights import AccessProfile, Action, DocType, require_in_journal
from hub.services.common.paging import DEFAULT_LIMIT, Page, SortKey, paginate
from hub.services.projects.projects import check_reference, get_project

CONTRACT_FIELDS = (
    "number",
    "contract_date",
    "client_id",
    "subject",
    "planned_amount",
    "actual_amount",
    "currency",
)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ContractTotal:
    """Sums of the project's contracts in one currency."""

    currency: str
    contracts: int
    planned: Decimal
    actual: Decimal


def get_contract(session: Session, *, project_id: int, contract_id: int) -> ProjectContract:
    """One contract of the project, or NotFound."""
    contract = session.get(ProjectContract, contract_id)
    if contract is None or contract.project_id != project_id:
        raise NotFound("not_found", what=f"contract {contract_id} of project {project_id}")
    return contract


def _require(session: Session, profile: AccessProfile, action: Action, project: Project) -> None:
    require_in_journal(session, profile, action, DocType.CONTRACT, project.journal_id)


def list_contracts(
    session: Session, *, project_id: int, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[ProjectContract]:
    """The project's contracts in the order they were added."""
    get_project(session, project_id)
    query = select(ProjectContract).where(ProjectContract.project_id == project_id)
    return paginate(session, query, [SortKey(ProjectContract.id)], cursor=cursor, limit=limit)


def contract_totals(session: Session, *, project_id: int) -> list[ContractTotal]:
    """Planned and actual sums per currency, added up by the database."""
    get_project(session, project_id)
    rows = session.execute(
        select(
            ProjectContract.currency,
            func.count(ProjectContract.id),
            func.coalesce(func.sum(ProjectContract.planned_amount), 0),
            func.coalesce(func.sum(ProjectContract.actual_amount), 0),
        )
        .where(ProjectContract.project_id == project_id)
        .group_by(ProjectContract.currency)
        .order_by(ProjectContract.currency)
    )
    return [
        ContractTotal(
            currency=currency,
            contracts=count,
            planned=Decimal(str(planned)).quantize(CENT),
            actual=Decimal(str(actual)).quantize(CENT),
        )
        for currency, count, planned, actual in rows
    ]


def create_contract(
    session: Session, *, profile: AccessProfile, project_id: int, values: Mapping[str, Any]
) -> ProjectContract:
    """Add a contract to the project."""
    project = get_project(session, project_id)
    _require(session, profile, Action.CREATE, project)
    check_reference(session, "customer_id", values.get("client_id"), field="client_id")
    contract = ProjectContract(
        project_id=project_id, **{k: v for k, v in values.items() if k in CONTRACT_FIELDS}
    )
    session.add(contract)
    session.flush()
    return contract


def update_contract(
    session: Session,
    *,
    profile: AccessProfile,
    project_id: int,
    contract_id: int,
    changes: Mapping[str, Any],
) -> ProjectContract:
    """Change a contract of the project."""
    project = get_project(session, project_id)
    contract = get_contract(session, project_id=project_id, contract_id=contract_id)
    _require(session, profile, Action.CHANGE, project)
    if "client_id" in changes:
        check_reference(session, "customer_id", changes["client_id"], field="client_id")
    for key, value in changes.items():
        if key in CONTRACT_FIELDS:
            setattr(contract, key, value)
    session.flush()
    return contract


def delete_contract(
    session: Session, *, profile: AccessProfile, project_id: int, contract_id: int
) -> None:
    """Remove a contract from the project."""
    project = get_project(session, project_id)
    contract = get_contract(session, project_id=project_id, contract_id=contract_id)
    _require(session, profile, Action.DELETE, project)
    session.delete(contract)
    session.flush()
