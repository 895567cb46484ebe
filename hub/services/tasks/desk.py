"""What the task registry and its calendars show at a desk (TSK-1, TSK-11..TSK-14).

Every user of the CRM reads every task, as through the API (the manual's journal rights are to
create, change and delete). Rows carry the names a table shows, read in one query per kind for
the whole page; the changes (move a period, delete chosen tasks) call the task services, which
check the rights and the dependencies, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import (
    Client,
    Employee,
    EventType,
    Project,
    Task,
    TaskExecutor,
    User,
)
from hub.errors import Invalid
from hub.services.access.rights import AccessProfile
from hub.services.common.files import FileStore
from hub.services.settings.parameters import get_user_parameters, update_user_parameters
from hub.services.tasks.columns import (
    DEFAULT_COLUMNS,
    REGISTRY_COLUMNS,
    REGISTRY_FILTERS,
    RegistryColumn,
)
from hub.services.tasks.plan import status_look
from hub.services.tasks.registry import (
    CALENDAR_LIMIT,
    CalendarView,
    TaskFilter,
    calendar_bounds,
    filtered,
    split_days,
)
from hub.services.tasks.tasks import (
    OVERDUE,
    StatusEntry,
    TaskView,
    delete_task,
    describe,
    get_task,
    statuses,
    update_task,
)

# The registry's filter offers this many responsibility centres at most.
CENTRE_LIMIT = 200


@dataclass(frozen=True)
class Person:
    """A user as a choice: the employee's name, else the login."""

    id: int
    name: str


@dataclass(frozen=True)
class TaskRow:
    """A task with its status, colour (TSK-14) and the names a registry row shows."""

    view: TaskView
    executors: list[str]
    controller: str
    author: str
    client: str
    project: str
    event_type: tuple[str, str] | None

    @property
    def task(self) -> Task:
        """The task itself."""
        return self.view.task


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The names of these users (the employee's, else the login), by id."""
    wanted = {ident for ident in ids if ident is not None}
    if not wanted:
        return {}
    found = session.execute(
        select(User.id, User.username, Employee.full_name)
        .outerjoin(Employee, Employee.id == User.employee_id)
        .where(User.id.in_(wanted))
    )
    return {row.id: row.full_name or row.username for row in found}


def _names(session: Session, model: type[Client] | type[Project], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    return {ident: name for ident, name in found}


def rows(session: Session, tasks: Sequence[Task], *, now: datetime) -> list[TaskRow]:
    """The tasks as registry rows: every kind of name read once for all of them."""
    books = statuses(session)
    executor_ids = {row.user_id for task in tasks for row in task.executors}
    people = user_names(
        session,
        executor_ids | {t.controller_id for t in tasks} | {t.author_id for t in tasks},
    )
    clients = _names(session, Client, {t.client_id for t in tasks if t.client_id is not None})
    projects = _names(session, Project, {t.project_id for t in tasks if t.project_id is not None})
    type_ids = {t.event_type_id for t in tasks if t.event_type_id is not None}
    kinds = {
        row.id: (row.name_uk, row.name_en)
        for row in session.execute(
            select(EventType.id, EventType.name_uk, EventType.name_en).where(
                EventType.id.in_(type_ids)
            )
        )
    }
    return [
        TaskRow(
            view=view,
            executors=[people.get(row.user_id, "") for row in view.task.executors],
            controller=people.get(view.task.controller_id or 0, ""),
            author=people.get(view.task.author_id or 0, ""),
            client=clients.get(view.task.client_id or 0, ""),
            project=projects.get(view.task.project_id or 0, ""),
            event_type=kinds.get(view.task.event_type_id or 0),
        )
        for view in describe(session, tasks, now=now, books=books)
    ]


def people(session: Session) -> list[Person]:
    """Active users of the CRM by name: the executors a filter or an assignment offers."""
    found = session.execute(
        select(User.id, User.username, Employee.full_name)
        .outerjoin(Employee, Employee.id == User.employee_id)
        .where(User.is_active, User.crm_access | User.full_access | User.is_admin)
    )
    named = [Person(row.id, row.full_name or row.username) for row in found]
    return sorted(named, key=lambda person: (person.name.casefold(), person.id))


def responsibility_centres(session: Session) -> list[str]:
    """The responsibility centres tasks are given to, by name (the executor filter's choices;
    read from ``ix_tasks_centre``, so a large registry is not scanned)."""
    query = (
        select(Task.responsibility_centre)
        .where(Task.responsibility_centre.is_not(None))
        .group_by(Task.responsibility_centre)
        .order_by(Task.responsibility_centre)
        .limit(CENTRE_LIMIT)
    )
    return [str(name) for name in session.scalars(query) if name]


def settable_statuses(session: Session) -> list[StatusEntry]:
    """The statuses a person may set (never "overdue", which the end date decides)."""
    return [entry for entry in statuses(session).values() if entry.code != OVERDUE]


def status_entries(session: Session) -> list[StatusEntry]:
    """Every status of the reference book (a registry's filter offers all of them)."""
    return list(statuses(session).values())


def registry_columns(session: Session, user_id: int) -> list[RegistryColumn]:
    """The columns this user keeps in the registry's table (the default set until chosen)."""
    kept = get_user_parameters(session, user_id).task_registry_columns
    return list(kept) if kept else list(DEFAULT_COLUMNS)


def keep_columns(session: Session, *, user_id: int, columns: Sequence[str]) -> list[RegistryColumn]:
    """Remember the columns this user chose (known ones, in the registry's order)."""
    chosen = [column for column in REGISTRY_COLUMNS if column in set(columns)]
    if not chosen:
        raise Invalid("task_columns_empty", field="columns")
    update_user_parameters(session, user_id, {"task_registry_columns": chosen})
    return chosen


def kept_filters(session: Session, user_id: int) -> dict[str, str]:
    """The filters this user last applied to the registry's views (none: every task)."""
    kept = get_user_parameters(session, user_id).task_registry_filters or {}
    return {str(name): value for name, value in kept.items() if value}


def keep_filters(session: Session, *, user_id: int, values: Mapping[str, str]) -> bool:
    """Remember the filters this user applied (the ones set, by their query names); True when
    they differ from those kept before."""
    chosen = {name: values.get(name) or "" for name in REGISTRY_FILTERS}
    if {name: value for name, value in chosen.items() if value} == kept_filters(session, user_id):
        return False
    # Every filter is written, the ones not set as "": a parameter that is a mapping is merged
    # into the one stored, and a filter left out would keep its old value.
    update_user_parameters(session, user_id, {"task_registry_filters": chosen})
    return True


def move_to_day(
    session: Session, *, profile: AccessProfile, task_id: int, day: date, tz: tzinfo
) -> Task:
    """TSK-13: the task starts on ``day`` at the same time of day, keeping its length.

    The task services check the change right in the task's journal and its dependencies
    (TSK-4); a refusal changes nothing.
    """
    task = get_task(session, task_id)
    local = task.starts_at.astimezone(tz)
    starts_at = datetime.combine(day, local.time(), tzinfo=tz)
    return update_task(
        session, profile=profile, task_id=task.id, changes={"starts_at": starts_at}, tz=tz
    )


def delete_tasks(
    session: Session, *, profile: AccessProfile, task_ids: Sequence[int], files: FileStore
) -> int:
    """Delete the chosen tasks, all or nothing (each one's delete right is checked)."""
    ids = list(dict.fromkeys(task_ids))
    for task_id in ids:
        delete_task(session, profile=profile, task_id=task_id, files=files)
    return len(ids)


@dataclass(frozen=True)
class DayTask:
    """A task as a calendar shows it: its period, status, colour (TSK-14) and, in the chosen
    day's list, its executors."""

    id: int
    number: str
    name: str
    starts_at: datetime
    ends_at: datetime
    percent_done: int
    journal_id: int | None
    status: StatusEntry
    overdue: bool
    color: str | None
    executors: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeskCalendar:
    """A month, week or day: each day with its tasks, and the chosen day's tasks in full."""

    first: date
    last: date
    days: list[tuple[date, bool, list[DayTask]]]
    chosen: list[DayTask]
    truncated: bool


def desk_calendar(
    session: Session,
    *,
    view: CalendarView,
    on: date,
    today: date,
    tz: tzinfo,
    flt: TaskFilter,
    now: datetime,
) -> DeskCalendar:
    """The calendar of TSK-1 as a desk shows it (the same tasks and days as ``calendar``), read
    as plain columns: a month of a thousand tasks costs no ORM objects; executors are read for
    the chosen day only."""
    first, last, meets = calendar_bounds(view, on, tz)
    columns = select(
        Task.id,
        Task.number,
        Task.name,
        Task.starts_at,
        Task.ends_at,
        Task.percent_done,
        Task.journal_id,
        Task.status_id,
    ).where(meets)
    query = filtered(session, columns, flt).order_by(Task.starts_at, Task.id)
    found = session.execute(query.limit(CALENDAR_LIMIT + 1)).all()
    books = statuses(session)
    tasks: dict[int, DayTask] = {}
    for row in found[:CALENDAR_LIMIT]:
        status, overdue, color = status_look(books, row.status_id, row.ends_at, now)
        tasks[row.id] = DayTask(
            row.id,
            row.number,
            row.name,
            row.starts_at,
            row.ends_at,
            row.percent_done,
            row.journal_id,
            status,
            overdue,
            color,
        )
    spans = [(task.id, task.starts_at, task.ends_at) for task in tasks.values()]
    days = split_days(first, last, today=today, tz=tz, spans=spans)
    listed = [(d.day, d.today, [tasks[i] for i in d.task_ids]) for d in days]
    chosen = next((of_day for day, _today, of_day in listed if day == on), [])
    return DeskCalendar(
        first=first,
        last=last,
        days=listed,
        chosen=_with_executors(session, chosen),
        truncated=len(found) > CALENDAR_LIMIT,
    )


def _with_executors(session: Session, tasks: list[DayTask]) -> list[DayTask]:
    if not tasks:
        return []
    pairs = session.execute(
        select(TaskExecutor.task_id, TaskExecutor.user_id)
        .where(TaskExecutor.task_id.in_([task.id for task in tasks]))
        .order_by(TaskExecutor.task_id, TaskExecutor.id)
    ).all()
    names = user_names(session, (user for _task, user in pairs))
    by_task: dict[int, list[str]] = {}
    for task_id, user_id in pairs:
        by_task.setdefault(task_id, []).append(names.get(user_id, ""))
    return [replace(task, executors=tuple(by_task.get(task.id, ()))) for task in tasks]
