"""The task calendars (TSK-1, TSK-13): month, week and day views of the filtered tasks.

Today is highlighted; the chosen day's tasks are listed below the calendar. In the month and
week views a task is dragged to another day to move its period, keeping its length (the
page's script posts the same form the day's list offers to the keyboard: "move to the date").
The move goes through the task services: the change right in the task's journal and its
dependencies (TSK-4) are checked, and a refused move is shown on the calendar with the reason,
the task left where it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.errors import DomainError
from hub.services.tasks import desk
from hub.services.tasks.desk import DayTask
from hub.services.tasks.registry import CALENDAR_LIMIT, CalendarView
from hub.web.common import context, error_text, hub_of, page_lang, text
from hub.web.office.session import Staff, act, page
from hub.web.office.tasks_common import (
    LATEST_YEAR,
    ROOT,
    allowed,
    applied_filters,
    as_id,
    back_to,
    choices,
    done_message,
    here,
    refusal,
    url,
    view_url,
    with_done,
)

router = APIRouter()
CALENDAR = f"{ROOT}/calendar"
TEMPLATE = "office/tasks_calendar.html"
# How many tasks a day of the month shows; the rest are behind "N more" (the day's list).
MONTH_CHIPS = 4
WORK_HOURS = (8, 18)
WEEK_CHIPS = 40
Optional = Annotated[str | None, Form()]


@dataclass(frozen=True)
class Cell:
    """One day of the grid (``day`` None: a blank before the 1st or after the last day)."""

    day: date | None
    today: bool = False
    selected: bool = False
    chips: list[DayTask] = field(default_factory=list)
    more: int = 0


def _shift(view: CalendarView, on: date, step: int) -> date:
    if view == "day":
        return on + timedelta(days=step)
    if view == "week":
        return on + timedelta(days=7 * step)
    first = on.replace(day=1)
    if step < 0:
        return (first - timedelta(days=1)).replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


def _grid(
    view: CalendarView, days: list[tuple[date, bool, list[DayTask]]], on: date
) -> list[list[Cell]]:
    """Weeks of seven cells, Monday first; a month is padded to whole weeks."""
    limit = MONTH_CHIPS if view == "month" else WEEK_CHIPS
    cells = [Cell(None)] * days[0][0].weekday()
    for day, today, tasks in days:
        shown = tasks[:limit]
        cells.append(Cell(day, today, day == on, shown, len(tasks) - len(shown)))
    cells += [Cell(None)] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def _hours(
    tasks: list[DayTask], on: date, tz: tzinfo
) -> tuple[list[DayTask], list[tuple[int, list[DayTask]]]]:
    """The day by the hour: the tasks going on since an earlier day, then each hour (the working
    hours at least) with the tasks that start in it."""
    earlier: list[DayTask] = []
    by_hour: dict[int, list[DayTask]] = {h: [] for h in range(WORK_HOURS[0], WORK_HOURS[1] + 1)}
    for task in tasks:
        local = task.starts_at.astimezone(tz)
        if local.date() < on:
            earlier.append(task)
        else:
            by_hour.setdefault(local.hour, []).append(task)
    return earlier, sorted(by_hour.items())


def _read_day(value: str, lang: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        found = date.fromisoformat(value)
    except ValueError:
        found = None
    if found is None or not 1900 <= found.year <= LATEST_YEAR:
        errors["date"] = text(lang, "field_date")
        return None
    return found


def calendar_page(
    request: Request,
    params: Mapping[str, str],
    *,
    problem: str = "",
    status: int = 200,
    back: str | None = None,
) -> Response:
    """The calendar the query ``params`` ask for (``problem``: a refused move to explain)."""
    lang = page_lang(request)
    now = context(request).now
    hub = hub_of(request)
    tz = hub.settings.tz
    today = hub.today()
    asked = params.get("view", "month")
    view: CalendarView = asked if asked in ("month", "week", "day") else "month"  # type: ignore[assignment]

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        filters = applied_filters(session, staff, params, lang=lang, tz=tz, now=now)
        errors = filters.form.errors
        raw = (params.get("date") or "").strip()[:10]
        on = _read_day(raw, lang, errors) or today
        filters.form.values["date"] = raw
        if problem:
            errors[""] = text(lang, "tsk_move_refused", reason=problem)
        keep = {**filters.values, "view": view}
        values: dict[str, Any] = {
            "filters": filters,
            "form": filters.form,
            "view": view,
            "on": on,
            "today": today,
            "can": allowed(staff.profile),
            "here": back or here(request),
            "flash": done_message(lang, params.get("done"), params.get("n")),
            "weeks": [],
            "earlier": [],
            "hours": [],
            "day_rows": [],
            "truncated": False,
            "limit": CALENDAR_LIMIT,
            "view_url": lambda code, **extra: view_url(code, filters.values, **extra),
            "day_url": lambda day: url(CALENDAR, keep, date=day.isoformat()),
            "step_url": lambda step: url(CALENDAR, keep, date=_shift(view, on, step).isoformat()),
            "today_url": url(CALENDAR, keep, date=today.isoformat()),
            "local_day": lambda moment: moment.astimezone(tz).date().isoformat(),
            **choices(session, staff.profile, filters.values),
        }
        if any(name != "" for name in errors):
            return values
        try:
            found = desk.desk_calendar(
                session, view=view, on=on, today=today, tz=tz, flt=filters.flt, now=now
            )
        except DomainError as error:
            errors[str(error.params.get("field") or "")] = error_text(lang, error)
            return values
        values.update(
            weeks=_grid(view, found.days, on) if view != "day" else [],
            day_rows=found.chosen,
            truncated=found.truncated,
            first=found.first,
        )
        if view == "day":
            values["earlier"], values["hours"] = _hours(found.chosen, on, tz)
        return values

    return page(request, TEMPLATE, build, status=status)


@router.get(CALENDAR, response_model=None)
def calendar_view(request: Request) -> Response:
    """A month, week or day of the filtered tasks (TSK-1)."""
    return calendar_page(request, request.query_params)


@router.post(f"{ROOT}/move", response_model=None)
def move(
    request: Request,
    csrf: Optional = None,
    task_id: Optional = None,
    day: Optional = None,
    back: Optional = None,
) -> Response:
    """TSK-13: the task starts on ``day`` at the same time, keeping its length."""
    lang = page_lang(request)
    target = back_to(back)
    ident = (task_id or "").strip()
    try:
        new_day = date.fromisoformat((day or "").strip()[:10])
    except ValueError:
        new_day = None
    chosen = as_id(ident)
    if chosen is None:
        return refusal(request, text(lang, "field_invalid"), 422, target)
    tz = hub_of(request).settings.tz

    def told(message: str, status: int) -> Response:
        path, _, query = target.partition("?")
        if urlsplit(path).path != CALENDAR:
            return refusal(request, message, status, target)
        params = dict(parse_qsl(query))
        return calendar_page(request, params, problem=message, status=status, back=target)

    if new_day is None or not 1900 <= new_day.year <= LATEST_YEAR:
        return told(text(lang, "field_date"), 422)

    def change(session: Session, staff: Staff) -> str:
        moved = desk.move_to_day(session, profile=staff.profile, task_id=chosen, day=new_day, tz=tz)
        return with_done(target, "moved", moved.number)

    return act(request, csrf, change, failed=lambda message, error: told(message, error.status))
