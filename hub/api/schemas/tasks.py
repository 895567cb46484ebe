"""Request and reply bodies of the tasks module (TSK-1..TSK-14, EVT-6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from hub.api.schemas.common import (
    MAX_DB_INT,
    Code,
    Input,
    IsoMoment,
    Name,
    NotNull,
    Output,
    Text,
    single_line,
)
from hub.api.schemas.reference import ChangeGroupRead

MIN_YEAR, MAX_YEAR = 1900, 9000


def _sane_year(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"the year must be from {MIN_YEAR} to {MAX_YEAR}")
    return value


Moment = Annotated[
    IsoMoment,
    AfterValidator(_sane_year),
    Field(description="Date and time with a time zone, e.g. 2025-03-01T09:00:00+02:00"),
]
Id = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
Minutes = Annotated[int, Field(ge=0, le=MAX_DB_INT, description="Minutes")]
Percent = Annotated[int, Field(ge=0, le=100)]
Priority = Literal["low", "normal", "high"]
Recurrence = Literal["daily", "weekly", "monthly", "yearly"]
Interval = Annotated[int, Field(ge=1, le=366, description="Every N days/weeks/months/years")]
TaskName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(single_line),
]
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(single_line)]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
IdList = Annotated[list[Id], Field(max_length=500)]
CustomFields = Annotated[
    dict[Code, str | bool | int | Annotated[float, Field(allow_inf_nan=False)] | None],
    Field(max_length=100, description="Codes of the task-fields book -> values (TSK-6)"),
]


class TaskCreate(Input):
    """A new task (TSK-2) with its executors (TSK-3)."""

    name: TaskName
    starts_at: Moment
    ends_at: Moment
    status: Code = Field("assigned", description="Code of a task status")
    percent_done: Percent = 0
    time_spent_minutes: Minutes = 0
    priority: Priority = "normal"
    controller_id: Id | None = None
    event_type_id: Id | None = None
    client_id: Id | None = None
    contact_id: Id | None = None
    phone: Phone | None = None
    fax: Phone | None = None
    email: Email | None = None
    project_id: Id | None = None
    journal_id: Id | None = Field(None, description="Defaults to the project's journal")
    content: Text | None = None
    responsibility_centre: Name | None = Field(None, description="Responsibility centre (TSK-1)")
    recurrence: Recurrence | None = None
    recurrence_interval: Interval = 1
    custom_fields: CustomFields = Field(default_factory=dict)
    executor_ids: IdList = Field(default_factory=list)


class TaskUpdate(Input):
    """Changes to a task; a new start without an end keeps the length (TSK-13)."""

    name: Annotated[TaskName | None, NotNull] = None
    starts_at: Annotated[Moment | None, NotNull] = None
    ends_at: Annotated[Moment | None, NotNull] = None
    status: Annotated[Code | None, NotNull] = None
    percent_done: Annotated[Percent | None, NotNull] = None
    time_spent_minutes: Annotated[Minutes | None, NotNull] = None
    priority: Annotated[Priority | None, NotNull] = None
    controller_id: Id | None = None
    event_type_id: Id | None = None
    client_id: Id | None = None
    contact_id: Id | None = None
    phone: Phone | None = None
    fax: Phone | None = None
    email: Email | None = None
    project_id: Id | None = None
    journal_id: Id | None = None
    content: Text | None = None
    responsibility_centre: Name | None = None
    recurrence: Recurrence | None = None
    recurrence_interval: Annotated[Interval | None, NotNull] = None
    custom_fields: Annotated[CustomFields | None, NotNull] = Field(
        None, description="Replaces the whole set of user-defined fields"
    )


class PeriodMove(Input):
    """TSK-13: a new start; the length is kept unless an end is given."""

    starts_at: Moment
    ends_at: Moment | None = None


class ExecutorRead(Output):
    """An executor with their own status and time (TSK-3)."""

    id: int
    user_id: int
    status_id: int
    status: str
    time_spent_minutes: int
    done_at: datetime | None


class TaskRead(Output):
    """A task as the API shows it; ``overdue`` and ``color`` are derived (TSK-14)."""

    id: int
    number: str
    name: str
    starts_at: datetime
    ends_at: datetime
    percent_done: int
    time_spent_minutes: int
    status_id: int
    status: str
    status_name: str
    overdue: bool
    color: str | None
    priority: str
    author_id: int | None
    controller_id: int | None
    event_type_id: int | None
    client_id: int | None
    contact_id: int | None
    phone: str | None
    fax: str | None
    email: str | None
    project_id: int | None
    journal_id: int | None
    content: str | None
    responsibility_centre: str | None
    event_id: int | None
    recurrence: str | None
    recurrence_interval: int
    previous_id: int | None
    custom_fields: dict[str, Any]
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    executors: list[ExecutorRead]


class TaskPage(Output):
    """A page of the registry."""

    items: list[TaskRead]
    next_cursor: str | None


class ExecutorsAdd(Input):
    """Executors to add to a task."""

    user_ids: Annotated[IdList, Field(min_length=1)]


class ExecutorUpdate(Input):
    """An executor's own status and time."""

    status: Annotated[Code | None, NotNull] = None
    time_spent_minutes: Annotated[Minutes | None, NotNull] = None


class DependenciesRead(Output):
    """What a task depends on, and what depends on it (TSK-4)."""

    depends_on: list[TaskRead]
    dependents: list[TaskRead]


class HistoryRead(Output):
    """One change of a task (TSK-5)."""

    id: int
    action: str
    user_id: int | None
    at: datetime
    changes: dict[str, Any] | None
    groups: list[ChangeGroupRead] = Field(
        description="The changes split by history group (SET-2), in the groups' order, the "
        "rest last with code null (Other); empty when no group is defined"
    )


class CalendarDayRead(Output):
    """A day of a calendar with the ids of the tasks that meet it."""

    date: date
    today: bool
    task_ids: list[int]


class CalendarRead(Output):
    """A month / week / day calendar at the site (TSK-1)."""

    view: str
    first: date
    last: date
    starts_at: datetime
    ends_at: datetime
    today: date
    days: list[CalendarDayRead]
    tasks: list[TaskRead]
    truncated: bool


class ReminderCreate(Input):
    """A reminder to a user about a task (TSK-7)."""

    user_id: Id
    remind_at: Moment
    channel: Literal["system", "email", "email_and_system"] = "system"
    text: Annotated[
        str | None,
        StringConstraints(max_length=500),
        AfterValidator(lambda v: v if v is None else single_line(v)),
    ] = None


class ReminderRepeat(Input):
    """The time of the repeated reminder."""

    remind_at: Moment


class ReminderRead(Output):
    """A stored reminder."""

    id: int
    task_id: int
    user_id: int
    remind_at: datetime
    channel: str
    text: str | None
    sent_at: datetime | None
    dismissed_at: datetime | None = None
    created_at: datetime


class ReminderSnooze(Input):
    """Remind again after a wait (WEB-3: "Remind again in 10 min / 1 h")."""

    minutes: int = Field(
        ge=1, le=24 * 60, title="Minutes", description="How long from now until it comes again."
    )


class DueReminderRead(Output):
    """A reminder to the caller whose time has come, with its task (WEB-3)."""

    id: int
    task_id: int
    task_number: str
    task_name: str
    remind_at: datetime
    text: str | None


class MyTaskRead(Output):
    """An open task of the caller as an executor, with their own status (WEB-3, TSK-3)."""

    id: int
    number: str
    name: str
    ends_at: datetime
    status: str
    overdue: bool
    color: str | None


class TemplateCreate(Input):
    """Save a task as a template (TSK-9)."""

    name: TaskName


class TemplateRead(Output):
    """A task template."""

    id: int
    name: str
    details: dict[str, Any]
    executor_ids: list[int]
    created_by: int | None
    created_at: datetime


class TemplatePage(Output):
    """A page of templates."""

    items: list[TemplateRead]
    next_cursor: str | None


class FromTemplate(Input):
    """A task from a template: its period and an optional other name."""

    starts_at: Moment
    ends_at: Moment | None = None
    name: TaskName | None = None


class TaskCopy(Input):
    """Copy a task (TSK-10), optionally to another period."""

    starts_at: Moment | None = None
    ends_at: Moment | None = None


class TaskMultiply(Input):
    """One copy of the task per client (TSK-10)."""

    client_ids: Annotated[IdList, Field(min_length=1, max_length=200)]


class GroupStatus(Input):
    """TSK-11: one status for the chosen tasks, optionally also for their executors."""

    task_ids: Annotated[IdList, Field(min_length=1)]
    status: Code
    with_executors: bool = False


class GroupExecutors(Input):
    """TSK-12: executors for the chosen tasks."""

    task_ids: Annotated[IdList, Field(min_length=1)]
    user_ids: Annotated[IdList, Field(min_length=1)]
    mode: Literal["replace", "add"] = "add"
    distribute: bool = Field(False, description="One executor per task, round-robin")


class TaskFromEvent(Input):
    """EVT-6: optional name (default: event type and number) and executors."""

    name: TaskName | None = None
    executor_ids: IdList = Field(default_factory=list)
