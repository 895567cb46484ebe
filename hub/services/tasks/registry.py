"""The task registry (TSK-1): keyset pages with filters, and month / week / day calendars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal, TypeVar

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import Task, TaskExecutor
from hub.services.common.paging import Page, SortKey, paginate
from hub.services.tasks.tasks import COMPLETED, OVERDUE, status_by_code, statuses

CalendarView = Literal["month", "week", "day"]
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])
# A calendar shows at most this many tasks; ``truncated`` says when there were more.
CALENDAR_LIMIT = 1000


@dataclass(frozen=True)
class TaskFilter:
    """Registry filters: project "all" / "none" / an id, executor (an employee or a
    responsibility centre), status code, client, period.

    The status "overdue" is never stored (TSK-14): it selects the tasks not done or accepted
    whose end has passed at ``now`` (the present moment when not given).
    """

    project: str = "all"
    executor_id: int | None = None
    status: str | None = None
    client_id: int | None = None
    period_from: datetime | None = None
    period_to: datetime | None = None
    centre: str | None = None
    now: datetime | None = None


def overlaps(start: datetime, end: datetime) -> Any:
    """Tasks whose period meets ``[start, end)`` (a zero-length task at ``start`` included)."""
    return and_(Task.starts_at < end, or_(Task.ends_at > start, Task.starts_at >= start))


def filtered(session: Session, query: SelectT, flt: TaskFilter) -> SelectT:
    """``query`` over tasks narrowed by ``flt`` (any select whose rows come from ``tasks``)."""
    if flt.project == "none":
        query = query.where(Task.project_id.is_(None))
    elif flt.project != "all":
        query = query.where(Task.project_id == int(flt.project))
    if flt.executor_id is not None:
        # Served by ix_task_executors_user (user_id, task_id).
        query = query.where(
            Task.id.in_(select(TaskExecutor.task_id).where(TaskExecutor.user_id == flt.executor_id))
        )
    if flt.centre is not None:
        query = query.where(Task.responsibility_centre == flt.centre)
    if flt.status == OVERDUE:
        finished = [entry.id for entry in statuses(session).values() if entry.code in COMPLETED]
        query = query.where(Task.ends_at < (flt.now or utcnow()), Task.status_id.not_in(finished))
    elif flt.status is not None:
        query = query.where(Task.status_id == status_by_code(session, flt.status).id)
    if flt.client_id is not None:
        query = query.where(Task.client_id == flt.client_id)
    if flt.period_to is not None:
        query = query.where(Task.starts_at < flt.period_to)
    if flt.period_from is not None:
        query = query.where(or_(Task.ends_at > flt.period_from, Task.starts_at >= flt.period_from))
    return query


def list_tasks(
    session: Session, *, flt: TaskFilter, cursor: str | None = None, limit: int = 50
) -> Page[Task]:
    """One page of the registry ordered by start and id."""
    query = filtered(session, select(Task), flt)
    return paginate(
        session, query, [SortKey(Task.starts_at), SortKey(Task.id)], cursor=cursor, limit=limit
    )


@dataclass(frozen=True)
class CalendarDay:
    """One day of a calendar: the ids of the tasks that meet it; ``today`` at the site."""

    day: date
    today: bool
    task_ids: list[int]


@dataclass(frozen=True)
class Calendar:
    """A calendar range with its days and the tasks that overlap it."""

    view: CalendarView
    first: date
    last: date
    starts_at: datetime
    ends_at: datetime
    days: list[CalendarDay]
    tasks: list[Task]
    truncated: bool


def calendar_range(view: CalendarView, on: date) -> tuple[date, date]:
    """First and last day of the month, the week (Monday first) or the day containing ``on``."""
    if view == "day":
        return on, on
    if view == "week":
        first = on - timedelta(days=on.weekday())
        return first, first + timedelta(days=6)
    first = on.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def calendar(
    session: Session,
    *,
    view: CalendarView,
    on: date,
    today: date,
    tz: tzinfo,
    flt: TaskFilter,
) -> Calendar:
    """The tasks overlapping a month / week / day at the site; a long task appears on each day."""
    first, last = calendar_range(view, on)
    start, end = _midnight(first, tz), _midnight(last + timedelta(days=1), tz)
    query = filtered(session, select(Task).where(overlaps(start, end)), flt)
    rows = list(session.scalars(query.order_by(Task.starts_at, Task.id).limit(CALENDAR_LIMIT + 1)))
    truncated = len(rows) > CALENDAR_LIMIT
    rows = rows[:CALENDAR_LIMIT]
    spans = [(t.id, t.starts_at, t.ends_at) for t in rows]
    return Calendar(
        view=view,
        first=first,
        last=last,
        starts_at=start,
        ends_at=end,
        days=split_days(first, last, today=today, tz=tz, spans=spans),
        tasks=rows,
        truncated=truncated,
    )


def calendar_bounds(view: CalendarView, on: date, tz: tzinfo) -> tuple[date, date, Any]:
    """The first and last day of a calendar and the condition on tasks that meet its range."""
    first, last = calendar_range(view, on)
    return first, last, overlaps(_midnight(first, tz), _midnight(last + timedelta(days=1), tz))


def split_days(
    first: date,
    last: date,
    *,
    today: date,
    tz: tzinfo,
    spans: Sequence[tuple[int, datetime, datetime]],
) -> list[CalendarDay]:
    """Each day from ``first`` to ``last`` with the ids of the ``(id, start, end)`` spans that
    meet it at the site (plain tuples: a month of a thousand tasks is split in milliseconds)."""
    days = []
    day = first
    while day <= last:
        lo, hi = _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
        ids = [ident for ident, start, end in spans if start < hi and (end > lo or start >= lo)]
        days.append(CalendarDay(day=day, today=day == today, task_ids=ids))
        day += timedelta(days=1)
    return days
