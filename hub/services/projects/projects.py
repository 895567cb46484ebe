"""Projects (PRJ-1, PRJ-4, PRJ-5, PRJ-8): the card, the registry, the work group, the plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.models import (
    Client,
    Employee,
    Event,
    EventType,
    Journal,
    Project,
    ProjectMember,
    Task,
    TaskDependency,
    TaskExecutor,
    TaskStatus,
    User,
)
from hub.errors import Conflict, Invalid, NotFound
from hub.services.access.rights import AccessProfile, Action, DocType, require_in_journal
from hub.services.common.files import FileStore
from hub.services.common.paging import DEFAULT_LIMIT, Page, SortKey, paginate
from hub.services.projects.attachments import discard_owned_files
from hub.services.settings.numbering import next_number
from hub.services.settings.parameters import update_user_parameters

# Columns of the card that refer to other records: the model and how to name it in a message.
REFERENCES: dict[str, tuple[type[Any], str, str]] = {
    "journal_id": (Journal, "Журнал", "journal"),
    "manager_id": (User, "Користувач", "user"),
    "controller_id": (User, "Користувач", "user"),
    "customer_id": (Client, "Клієнт", "client"),
    "default_event_type_id": (EventType, "Тип події", "event type"),
}
CARD_FIELDS = (
    "name",
    "journal_id",
    "start_date",
    "end_date",
    "manager_id",
    "controller_id",
    "customer_id",
    "default_event_type_id",
    "description",
    "uses_queue",
    "target_wait_s",
    "calling_mode",
    "callers_first",
    "caller_share_percent",
)
# Statuses after which a task is no longer overdue (TSK-14).
FINISHED_STATUS_CODES = frozenset({"done", "accepted"})

JournalFilter = int | Literal["none"] | None


def get_project(session: Session, project_id: int) -> Project:
    """One project, or NotFound."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("not_found", what=f"project {project_id}")
    return project


def check_reference(
    session: Session, kind: str, value: int | None, *, field: str | None = None
) -> None:
    """Invalid naming the field when the record it refers to does not exist (or is deleted)."""
    if value is None:
        return
    model, what_uk, what_en = REFERENCES[kind]
    field = field or kind
    row = session.get(model, value)
    if row is None:
        raise Invalid("prj_ref_missing", field=field, what_uk=what_uk, what_en=what_en, id=value)
    if isinstance(row, Client) and row.deleted_at is not None:
        raise Invalid("prj_client_deleted", field=field, name=row.name)


def _check_card(session: Session, values: Mapping[str, Any]) -> None:
    start, end = values.get("start_date"), values.get("end_date")
    if start is not None and end is not None and end < start:
        raise Invalid("period_reversed", field="end_date")
    share = values.get("caller_share_percent")
    if share is not None and not (isinstance(share, int) and 1 <= share <= 100):
        raise Invalid("prj_caller_share_invalid", field="caller_share_percent")
    for field in REFERENCES:
        check_reference(session, field, values.get(field))


def list_projects(
    session: Session,
    *,
    journal: JournalFilter = None,
    uses_queue: bool | None = None,
    search: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Project]:
    """The registry (PRJ-1) ordered by name, filtered by journal, queue flag and name."""
    query = select(Project)
    if journal == "none":
        query = query.where(Project.journal_id.is_(None))
    elif journal is not None:
        query = query.where(Project.journal_id == journal)
    if uses_queue is not None:
        query = query.where(Project.uses_queue.is_(uses_queue))
    if search:
        query = query.where(Project.name_folded.contains(search.casefold(), autoescape=True))
    keys = [SortKey(Project.name), SortKey(Project.id)]
    return paginate(session, query, keys, cursor=cursor, limit=limit)


def create_project(
    session: Session,
    *,
    profile: AccessProfile,
    values: Mapping[str, Any],
    today: date,
) -> Project:
    """Open a project card with the next project number (PRJ-1)."""
    require_in_journal(session, profile, Action.CREATE, DocType.PROJECT, values.get("journal_id"))
    _check_card(session, values)
    number = next_number(session, doc_type="project", on=today)
    project = Project(
        number=number.text,
        created_by=profile.user_id,
        **{field: values[field] for field in CARD_FIELDS if field in values},
    )
    session.add(project)
    session.flush()
    return project


def update_project(
    session: Session, *, profile: AccessProfile, project_id: int, changes: Mapping[str, Any]
) -> Project:
    """Change the card; moving it to another journal needs the change right in both."""
    project = get_project(session, project_id)
    require_in_journal(session, profile, Action.CHANGE, DocType.PROJECT, project.journal_id)
    if "journal_id" in changes and changes["journal_id"] != project.journal_id:
        require_in_journal(session, profile, Action.CHANGE, DocType.PROJECT, changes["journal_id"])
    start = changes.get("start_date", project.start_date)
    end = changes.get("end_date", project.end_date)
    _check_card(
        session,
        {"start_date": start, "end_date": end}
        | {k: v for k, v in changes.items() if k == "caller_share_percent"}
        | {field: value for field, value in changes.items() if field in REFERENCES},
    )
    for field, value in changes.items():
        if field in CARD_FIELDS:
            setattr(project, field, value)
    session.flush()
    return project


def delete_project(
    session: Session, *, profile: AccessProfile, project_id: int, files: FileStore
) -> None:
    """Delete a project without events or tasks, with its contracts, messages and files."""
    project = get_project(session, project_id)
    require_in_journal(session, profile, Action.DELETE, DocType.PROJECT, project.journal_id)
    used = session.scalar(
        select(
            exists().where(Event.project_id == project_id)
            | exists().where(Task.project_id == project_id)
        )
    )
    if used:
        raise Conflict("prj_has_documents", name=project.name)
    # Queued before the rows cascade away; dropped unless the deletion commits.
    discard_owned_files(session, files, "project", [project_id])
    try:
        with session.begin_nested():
            session.delete(project)
            session.flush()
    except IntegrityError:
        # An event or task was added to it meanwhile: the foreign key refuses (RESTRICT).
        raise Conflict("prj_has_documents", name=project.name) from None


@dataclass(frozen=True)
class MemberInfo:
    """A member of the work group with what a list shows about them."""

    user_id: int
    username: str
    full_name: str | None
    role: str | None
    added_at: datetime


def list_members(session: Session, *, project_id: int) -> list[MemberInfo]:
    """The work group (PRJ-4), by name."""
    get_project(session, project_id)
    rows = session.execute(
        select(
            ProjectMember.user_id,
            User.username,
            Employee.full_name,
            ProjectMember.role,
            ProjectMember.added_at,
        )
        .join(User, User.id == ProjectMember.user_id)
        .outerjoin(Employee, Employee.id == User.employee_id)
        .where(ProjectMember.project_id == project_id)
        .order_by(Employee.full_name, User.username, User.id)
    )
    return [MemberInfo(*row) for row in rows]


def add_member(
    session: Session,
    *,
    profile: AccessProfile,
    project_id: int,
    user_id: int,
    role: str | None = None,
) -> MemberInfo:
    """Put an active user into the work group (again: only the role changes).

    A user who joins the work group of a queue's service becomes its operator, and works with
    user statuses from then on, as the manual recommends for the queue (SET-4); they may be
    turned off again in the user's parameters.
    """
    project = get_project(session, project_id)
    require_in_journal(session, profile, Action.CHANGE, DocType.PROJECT, project.journal_id)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("not_found", what=f"user {user_id}")
    if not user.is_active:
        raise Conflict("prj_member_inactive", username=user.username)
    member = session.get(ProjectMember, (project_id, user_id))
    if member is None:
        member = ProjectMember(project_id=project_id, user_id=user_id)
        session.add(member)
        if project.uses_queue:
            update_user_parameters(session, user_id, {"use_user_statuses": True})
    member.role = role
    session.flush()
    full_name = user.employee.full_name if user.employee is not None else None
    return MemberInfo(user.id, user.username, full_name, member.role, member.added_at)


def remove_member(
    session: Session, *, profile: AccessProfile, project_id: int, user_id: int
) -> None:
    """Take a user out of the work group."""
    project = get_project(session, project_id)
    require_in_journal(session, profile, Action.CHANGE, DocType.PROJECT, project.journal_id)
    member = session.get(ProjectMember, (project_id, user_id))
    if member is None:
        raise NotFound("not_found", what=f"member {user_id} of project {project_id}")
    session.delete(member)
    session.flush()


@dataclass(frozen=True)
class PlanTask:
    """One bar of the plan-schedule."""

    id: int
    number: str
    name: str
    starts_at: datetime
    ends_at: datetime
    percent_done: int
    status_code: str
    status_color: str | None
    overdue: bool
    executor_ids: list[int]


@dataclass(frozen=True)
class Plan:
    """The data behind a Gantt view of a project (PRJ-5)."""

    project_id: int
    tasks: list[PlanTask]
    dependencies: list[tuple[int, int]]


def project_plan(session: Session, *, project_id: int, now: datetime | None = None) -> Plan:
    """The project's tasks with periods, progress, executors and dependencies, in three queries."""
    get_project(session, project_id)
    moment = now or datetime.now(UTC)
    project_tasks = select(Task.id).where(Task.project_id == project_id)
    rows = session.execute(
        select(
            Task.id,
            Task.number,
            Task.name,
            Task.starts_at,
            Task.ends_at,
            Task.percent_done,
            TaskStatus.code,
            TaskStatus.color,
        )
        .join(TaskStatus, TaskStatus.id == Task.status_id)
        .where(Task.project_id == project_id)
        .order_by(Task.starts_at, Task.id)
    ).all()
    executors: dict[int, list[int]] = {}
    for task_id, user_id in session.execute(
        select(TaskExecutor.task_id, TaskExecutor.user_id)
        .where(TaskExecutor.task_id.in_(project_tasks))
        .order_by(TaskExecutor.task_id, TaskExecutor.id)
    ):
        executors.setdefault(task_id, []).append(user_id)
    dependencies = [
        (task_id, depends_on_id)
        for task_id, depends_on_id in session.execute(
            select(TaskDependency.task_id, TaskDependency.depends_on_id)
            .where(TaskDependency.task_id.in_(project_tasks))
            .order_by(TaskDependency.task_id, TaskDependency.depends_on_id)
        )
    ]
    tasks = [
        PlanTask(
            id=row.id,
            number=row.number,
            name=row.name,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            percent_done=row.percent_done,
            status_code=row.code,
            status_color=row.color,
            overdue=row.ends_at < moment and row.code not in FINISHED_STATUS_CODES,
            executor_ids=executors.get(row.id, []),
        )
        for row in rows
    ]
    return Plan(project_id=project_id, tasks=tasks, dependencies=dependencies)
