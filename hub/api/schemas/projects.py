"""Schemas of projects, contracts, the work group, the plan, discussion and attachments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from hub.api.schemas.common import (
    MAX_DB_INT,
    Input,
    IsoDate,
    Lax,
    NotNull,
    Output,
    no_nul,
    single_line,
)

RefId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
ProjectName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(single_line),
]
LongText = Annotated[str, StringConstraints(max_length=20000), AfterValidator(no_nul)]
MessageText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    AfterValidator(no_nul),
]
Money = Annotated[Decimal, Lax, Field(ge=0, max_digits=16, decimal_places=2)]
Currency = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{3}$"),
    AfterValidator(str.upper),
    Field(description="ISO 4217 code, e.g. UAH"),
]
ContractNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(single_line),
]
Subject = Annotated[str, StringConstraints(max_length=500), AfterValidator(single_line)]
TargetWait = Annotated[
    int,
    Field(
        ge=10,
        le=24 * 3600,
        title="Service-level target",
        description="Seconds within which a visitor of this service should be called (STAT-1).",
    ),
]
CallingMode = Annotated[
    Literal["nearest", "fair"],
    Field(
        title="Calling order",
        description="How Free chooses among the service's waiting tickets: nearest (the "
        "manual's nearest-in-time rule Q-5) or fair (bookings called from 5 minutes before their "
        "slot, but not before walk-ins who have waited over half an hour).",
    ),
]
CallersFirst = Annotated[
    bool,
    Field(
        title="Callers first",
        description="Callers on the office's lines (call-centre lines) go to the front of the "
        "service's line; with a share cap they do so only up to that share.",
    ),
]
CallerShare = Annotated[
    int,
    Field(
        ge=1,
        le=100,
        title="Callers' share cap",
        description="At most this share (whole percent, 1-100) of the service's tickets called "
        "today are callers while a visitor waits; null for no cap.",
    ),
]
Role = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(single_line)
]


class ProjectCreate(Input):
    """A new project card (PRJ-1, PRJ-8)."""

    name: ProjectName
    journal_id: RefId | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    manager_id: RefId | None = None
    controller_id: RefId | None = None
    customer_id: RefId | None = None
    default_event_type_id: RefId | None = None
    description: LongText | None = None
    uses_queue: bool = False
    target_wait_s: TargetWait = 900
    calling_mode: CallingMode = "nearest"
    callers_first: CallersFirst = False
    caller_share_percent: CallerShare | None = None


class ProjectUpdate(Input):
    """Changes to a card; leave a field out to keep it."""

    name: Annotated[ProjectName | None, NotNull] = None
    journal_id: RefId | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    manager_id: RefId | None = None
    controller_id: RefId | None = None
    customer_id: RefId | None = None
    default_event_type_id: RefId | None = None
    description: LongText | None = None
    uses_queue: Annotated[bool | None, NotNull] = None
    target_wait_s: Annotated[TargetWait | None, NotNull] = None
    calling_mode: Annotated[CallingMode | None, NotNull] = None
    callers_first: Annotated[CallersFirst | None, NotNull] = None
    caller_share_percent: CallerShare | None = None


class ProjectRead(Output):
    """A project card."""

    id: int
    number: str
    name: str
    journal_id: int | None
    start_date: date | None
    end_date: date | None
    manager_id: int | None
    controller_id: int | None
    customer_id: int | None
    default_event_type_id: int | None
    description: str | None
    uses_queue: bool
    target_wait_s: int
    calling_mode: str
    callers_first: bool
    caller_share_percent: int | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime


class ProjectPage(Output):
    """A page of the projects registry."""

    items: list[ProjectRead]
    next_cursor: str | None


class ContractCreate(Input):
    """A new contract of the project (PRJ-2)."""

    number: ContractNumber
    contract_date: IsoDate | None = None
    client_id: RefId | None = None
    subject: Subject | None = None
    planned_amount: Money = Decimal("0")
    actual_amount: Money = Decimal("0")
    currency: Currency = "UAH"


class ContractUpdate(Input):
    """Changes to a contract."""

    number: Annotated[ContractNumber | None, NotNull] = None
    contract_date: IsoDate | None = None
    client_id: RefId | None = None
    subject: Subject | None = None
    planned_amount: Annotated[Money | None, NotNull] = None
    actual_amount: Annotated[Money | None, NotNull] = None
    currency: Annotated[Currency | None, NotNull] = None


class ContractRead(Output):
    """A contract."""

    id: int
    project_id: int
    number: str
    contract_date: date | None
    client_id: int | None
    subject: str | None
    planned_amount: Decimal
    actual_amount: Decimal
    currency: str
    created_at: datetime
    updated_at: datetime


class ContractPage(Output):
    """A page of the project's contracts."""

    items: list[ContractRead]
    next_cursor: str | None


class ContractTotalRead(Output):
    """Sums of the contracts in one currency."""

    currency: str
    contracts: int
    planned: Decimal
    actual: Decimal


class MemberAdd(Input):
    """Optional details of a work-group member."""

    role: Role | None = None


class MemberRead(Output):
    """A member of the work group (PRJ-4)."""

    user_id: int
    username: str
    full_name: str | None
    role: str | None
    added_at: datetime


class PlanTaskRead(Output):
    """One task bar of the plan-schedule."""

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


class PlanRead(Output):
    """The data behind the plan-schedule of a project (PRJ-5)."""

    project_id: int
    tasks: list[PlanTaskRead]
    dependencies: list[tuple[int, int]]


class MessageCreate(Input):
    """A new discussion message."""

    text: MessageText


class MessageRead(Output):
    """A discussion message (PRJ-6, TSK-6)."""

    id: int
    project_id: int | None
    task_id: int | None
    author_id: int | None
    text: str
    created_at: datetime


class MessagePage(Output):
    """A page of a discussion, oldest first."""

    items: list[MessageRead]
    next_cursor: str | None


class AttachmentRead(Output):
    """An attachment's description (the bytes come from its content address)."""

    id: int
    project_id: int | None
    event_id: int | None
    task_id: int | None
    name: str
    original_filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: int | None
    created_at: datetime


class AttachmentPage(Output):
    """A page of attachments."""

    items: list[AttachmentRead]
    next_cursor: str | None
