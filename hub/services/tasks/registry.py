"""The task registry (TSK-1): keyset pages with filters, and month / week / day calendars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from hub.db.models import Task, TaskExecutor
from hub.services.common.paging import Page, SortKey, paginate
from hub.services.tasks.tasks import status_by_code

CalendarView = Literal["month", "week", "day"]
# A calendar shows at most this many tasks; ``truncated`` says when there were more.
CALENDAR_LIMIT = 1000


@dataclass(frozen=True)
class TaskFilter:
    """Registry filters: project "all" / "none" / an id, executor, status code, client, period."""

    project: str = "all"
    executor_id: int | None = None
    status: str | None = None
    client_id: int | None = None
    period_from: datetime | None = None
    period_to: datetime | None = None


def overlaps(start: datetime, end: datetime) -> Any:
    """Tasks whose period meets ``[start, end)`` (a zero-length task at ``start`` included)."""
    return and_(Task.starts_at < end, or_(Task.ends_at > start, Task.starts_at >= start))


def _filtered(session: Session, query: Select[Any], flt: TaskFilter) -> Select[Any]:
    if flt.project == "none":
        query = query.where(Task.project_id.is_(None))
    elif flt.project != "all":
        query = query.where(Task.project_id == int(flt.project))
    if flt.executor_id is not None:
        # Served by ix_task_executors_user (user_id, task_id).
        query = query.where(
            Task.id.in_(select(TaskExecutor.task_id).where(TaskExecutor.user_id == flt.executor_id))
        )
    if flt.status is not None:
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
    query = _filtered(session, select(Task), flt)
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
    query = _filtered(session, select(Task).where(overlaps(start, end)), flt)
    rows = list(session.scalars(query.order_by(Task.starts_at, Task.id).limit(CALENDAR_LIMIT + 1)))
    truncated = len(rows) > CALENDAR_LIMIT
    rows = rows[:CALENDAR_LIMIT]
    days = []
    day = first
    while day <= last:
        lo, hi = _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
        ids = [t.id for t in rows if t.starts_at < hi and (t.ends_at > lo or t.starts_at >= lo)]
        days.append(CalendarDay(day=day, today=day == today, task_ids=ids))
        day += timedelta(days=1)
    return Calendar(
        view=view,
        first=first,
        last=last,
        starts_at=start,
        ends_at=end,
        days=days,
        tasks=rows,
        truncated=truncated,
    )
