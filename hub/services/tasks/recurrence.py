"""Recurring tasks (TSK-8): when one is set Done, the next is created in the same transaction."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import Task
from hub.errors import Invalid
from hub.services.access.rights import AccessProfile
from hub.services.tasks.tasks import ASSIGNED, CARD_FIELDS, insert_task, later

RECURRENCES = ("daily", "weekly", "monthly", "yearly")


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def shift(moment: datetime, recurrence: str, interval: int, tz: tzinfo) -> datetime:
    """``moment`` moved by ``interval`` periods, counted on the site's calendar (DST-safe)."""
    local = moment.astimezone(tz).replace(tzinfo=None)
    if recurrence == "daily":
        local += timedelta(days=interval)
    elif recurrence == "weekly":
        local += timedelta(weeks=interval)
    elif recurrence == "monthly":
        local = _add_months(local, interval)
    else:
        local = _add_months(local, 12 * interval)
    return local.replace(tzinfo=tz).astimezone(moment.tzinfo)


def create_next(session: Session, *, profile: AccessProfile, task: Task, tz: tzinfo) -> Task | None:
    """The next task of a recurring one: period shifted, executors with fresh statuses.

    A task gets one successor only: setting it Done again after reopening makes no second one.
    """
    exists = session.scalar(select(Task.id).where(Task.previous_id == task.id).limit(1))
    if exists is not None or task.recurrence is None:
        return None
    values = {key: getattr(task, key) for key in CARD_FIELDS if key != "status_id"}
    interval = task.recurrence_interval
    try:
        values["starts_at"] = shift(task.starts_at, task.recurrence, interval, tz)
    except (OverflowError, ValueError):
        raise Invalid("task_period_too_far", field="recurrence") from None
    values["ends_at"] = later(values["starts_at"], task.ends_at - task.starts_at)
    values["percent_done"] = 0
    values["time_spent_minutes"] = 0
    values["custom_fields"] = dict(task.custom_fields or {})
    successor = insert_task(
        session,
        profile=profile,
        values=values,
        executor_ids=[row.user_id for row in task.executors],
        status=ASSIGNED,
        today=utcnow().astimezone(tz).date(),
        action="recurrence",
        check_rights=False,
    )
    successor.previous_id = task.id
    successor.event_id = task.event_id
    session.flush()
    return successor
