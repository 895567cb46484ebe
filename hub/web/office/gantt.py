"""The Gantt chart of tasks (PRJ-5 and the registry's "Gantt chart" view of TSK-1).

Drawn on the server as inline SVG, no script: one bar per task over a time scale of days, weeks
or months (chosen by the span, or asked), its dark part the percent done, the bar's colour the
status's (TSK-14), an arrow per dependency (TSK-4) from the earlier task's end to the later one's
start, today a yellow band. The task names are an HTML list beside the bars, so they are links a
keyboard and a screen reader reach; the scale and the names stay in view while the chart scrolls.

``chart`` lays a plan out (pure: no database, no request); ``markup`` draws it; ``project_chart``
does both for one project, for a page of the Projects section to embed. The page is
``/office/tasks/gantt`` with the registry's filters (``?project=ID`` for one project's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from hub.services.tasks.plan import PlanTask, TaskPlan, task_plan
from hub.services.tasks.registry import TaskFilter
from hub.web.common import context, hub_of, page_lang, text
from hub.web.office.session import Staff
from hub.web.office.tasks_common import (
    ROOT,
    allowed,
    applied_filters,
    choices,
    here,
    shown,
    url,
    view_url,
)
from hub.web.texts import TEXTS

router = APIRouter()
# Geometry in CSS pixels; office_tasks.css gives the names' rows and the corner the same sizes.
ROW = 24
BAR = 14
HEAD = 44
DATES_ROOM = 150
# Pixels per day of each scale; a chart is never wider than MAX_WIDTH (a long span shrinks).
SCALES = {"day": 30.0, "week": 10.0, "month": 3.0}
MAX_WIDTH = 24000.0
DAY_SPAN_WIDTH = 900.0
SCALE_CHOICES = ("auto", "day", "week", "month")
INK = "#1d2330"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Bar:
    """One task's bar: its row, its extent and progress in pixels, its colour and words."""

    task: PlanTask
    row: int
    x: float
    width: float
    done: float
    colour: str
    tip: str
    period: str


@dataclass(frozen=True)
class Tick:
    """A mark of the time scale at ``x`` with its label."""

    x: float
    label: str


@dataclass(frozen=True)
class Arrow:
    """A dependency: ``task`` starts after ``depends_on`` ends; ``path`` is the SVG path."""

    task: int
    depends_on: int
    path: str


@dataclass(frozen=True)
class Chart:
    """A plan laid out: sizes, scale, bars, arrows and today's band (None: not in range)."""

    scale: str
    width: float
    height: float
    upper: list[Tick]
    lower: list[Tick]
    bars: list[Bar]
    arrows: list[Arrow]
    today: tuple[float, float] | None
    truncated: bool


def _scale(span_days: int, asked: str) -> tuple[str, float]:
    if asked in SCALES:
        scale = asked
    elif span_days <= 62:
        scale = "day"
    elif span_days <= 370:
        scale = "week"
    else:
        scale = "month"
    per_day = SCALES[scale]
    if scale == "day":  # a short span gets wide days (hours readable), up to four times wider
        per_day = max(per_day, min(4 * per_day, DAY_SPAN_WIDTH / max(span_days, 1)))
    return scale, min(per_day, MAX_WIDTH / max(span_days, 1))


def _months(first: date, last: date) -> list[date]:
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return found


def _ticks(
    scale: str, first: date, last: date, at: Any, lang: str
) -> tuple[list[Tick], list[Tick]]:
    """The scale's two rows: months (years) above, days, weeks (months) below."""
    months = _months(first, last)
    if scale == "month":
        years = sorted({m.year for m in months})
        upper = [Tick(at(max(date(y, 1, 1), first)), str(y)) for y in years]
        lower = [Tick(at(m), text(lang, f"tsk_month_{m.month}")) for m in months if m >= first]
        return upper, lower
    upper = [
        Tick(at(max(m, first)), f"{text(lang, f'tsk_month_{m.month}')} {m.year}") for m in months
    ]
    lower = []
    day = first
    while day <= last:
        if scale == "day":
            lower.append(Tick(at(day), str(day.day)))
        elif day.weekday() == 0:
            lower.append(Tick(at(day), day.strftime("%d.%m")))
        day += timedelta(days=1)
    return upper, lower


def _arrow(before: Bar, after: Bar) -> str:
    """From the end of ``before`` to the start of ``after``, turning between rows if needed."""
    x1, y1 = before.x + before.width, before.row * ROW + ROW / 2
    x2, y2 = after.x, after.row * ROW + ROW / 2
    if x2 - x1 >= 12:
        return f"M{x1:.1f} {y1:.0f}H{x1 + 6:.1f}V{y2:.0f}H{x2:.1f}"
    between = after.row * ROW if y2 > y1 else (after.row + 1) * ROW
    return f"M{x1:.1f} {y1:.0f}H{x1 + 6:.1f}V{between:.0f}H{x2 - 8:.1f}V{y2:.0f}H{x2:.1f}"


def _pattern(lang: str, key: str) -> str:
    """A text's pattern in the language, filled once per bar (faster than ``text`` each time)."""
    uk, en = TEXTS[key]
    return uk if lang == "uk" else en


def _moment(local: datetime) -> str:
    return f"{local.day:02d}.{local.month:02d}.{local.year} {local.hour:02d}:{local.minute:02d}"


def chart(plan: TaskPlan, *, tz: tzinfo, today: date, lang: str, scale: str = "auto") -> Chart:
    """Lay ``plan`` out: a row per task in its order, the scale chosen by the span."""
    if not plan.tasks:
        return Chart("day", 0, 0, [], [], [], [], None, plan.truncated)
    # Each moment is brought to the site's wall clock once (the scale is in local days).
    local = {
        t.id: (
            t.starts_at.astimezone(tz).replace(tzinfo=None),
            t.ends_at.astimezone(tz).replace(tzinfo=None),
        )
        for t in plan.tasks
    }
    first = min(start for start, _end in local.values()).date() - timedelta(days=1)
    last = max(end for _start, end in local.values()).date() + timedelta(days=1)
    span = (last - first).days + 1
    chosen, per_day = _scale(span, scale)
    origin = datetime.combine(first, time())
    per_second = per_day / 86400

    def at(moment: date | datetime) -> float:
        wall = moment if isinstance(moment, datetime) else datetime.combine(moment, time())
        return (wall - origin).total_seconds() * per_second

    bar_words = _pattern(lang, "tsk_gantt_bar")
    late = f" ({_pattern(lang, 'tsk_overdue_badge')})"
    depends = _pattern(lang, "tsk_gantt_depends")
    names = {t.id: t for t in plan.tasks}
    earlier: dict[int, list[str]] = {}
    for task_id, other in plan.dependencies:
        earlier.setdefault(task_id, []).append(names[other].number)
    bars: dict[int, Bar] = {}
    for row, task in enumerate(plan.tasks):
        starts, ends = local[task.id]
        x = at(starts)
        width = max(at(ends) - x, 3.0)
        tip = bar_words.format(
            number=task.number,
            name=task.name,
            starts=_moment(starts),
            ends=_moment(ends),
            percent=task.percent_done,
            status=task.status.name_uk if lang == "uk" else task.status.name_en,
        )
        if task.overdue:
            tip += late
        for number in earlier.get(task.id, []):
            tip += "; " + depends.format(number=number)
        colour = task.color if task.color and _HEX.match(task.color) else INK
        done = width * max(0, min(task.percent_done, 100)) / 100
        period = f"{starts.day:02d}.{starts.month:02d}–{ends.day:02d}.{ends.month:02d}"
        bars[task.id] = Bar(task, row, x, width, done, colour, tip, period)
    arrows = [
        Arrow(task_id, other, _arrow(bars[other], bars[task_id]))
        for task_id, other in plan.dependencies
    ]
    upper, lower = _ticks(chosen, first, last, at, lang)
    band = (at(today), at(today + timedelta(days=1))) if first <= today <= last else None
    return Chart(
        scale=chosen,
        width=span * per_day + DATES_ROOM,
        height=len(plan.tasks) * ROW,
        upper=upper,
        lower=lower,
        bars=list(bars.values()),
        arrows=arrows,
        today=band,
        truncated=plan.truncated,
    )


def markup(laid: Chart, *, lang: str, link: str = ROOT) -> Markup:
    """The chart as HTML: a scrolling region with the scale, the names and the bars."""
    if not laid.bars:
        return Markup(f'<p class="muted">{escape(text(lang, "tsk_gantt_empty"))}</p>')
    width, height = f"{laid.width:.0f}", f"{laid.height:.0f}"
    title, tasks = escape(text(lang, "tsk_gantt")), escape(text(lang, "tsk_gantt_tasks"))
    out: list[str] = [
        f'<div class="gantt" role="region" tabindex="0" aria-label="{title}"'
        f' data-scale="{laid.scale}"><div class="gantt-grid">'
        f'<div class="gantt-corner">{tasks}</div>'
        f'<svg class="gantt-scale" width="{width}" height="{HEAD}" aria-hidden="true" '
        f'focusable="false" xmlns="http://www.w3.org/2000/svg">'
    ]
    if laid.today is not None:
        a, b = laid.today
        out.append(
            f'<rect class="gantt-today" x="{a:.1f}" y="0" width="{b - a:.1f}" height="{HEAD}"/>'
        )
    for tick in laid.upper:
        out.append(
            f'<line class="gantt-rule" x1="{tick.x:.1f}" x2="{tick.x:.1f}" y1="0" y2="{HEAD}"/>'
            f'<text class="gantt-upper" x="{tick.x + 4:.1f}" y="16">{escape(tick.label)}</text>'
        )
    for tick in laid.lower:
        out.append(
            f'<text class="gantt-lower" x="{tick.x + 3:.1f}" y="38">{escape(tick.label)}</text>'
        )
    out.append(
        f'<line class="gantt-rule" x1="0" x2="{width}" y1="{HEAD - 0.5}" y2="{HEAD - 0.5}"/></svg>'
    )
    out.append(f'<ol class="gantt-names" aria-label="{tasks}">')
    for bar in laid.bars:
        task = bar.task
        out.append(
            f'<li><a href="{link}/{task.id}" class="tsk-col-{bar.colour[1:].lower()}">'
            f"№{escape(task.number)} {escape(task.name)}</a></li>"
        )
    out.append("</ol>")
    grid = "".join(f"M{t.x:.1f} 0V{height}" for t in laid.lower)
    out.append(
        f'<svg class="gantt-body" width="{width}" height="{height}" aria-hidden="true" '
        f'focusable="false" xmlns="http://www.w3.org/2000/svg"><defs>'
        f'<pattern id="gantt-rows" width="8" height="{2 * ROW}" patternUnits="userSpaceOnUse">'
        f'<rect y="{ROW}" width="8" height="{ROW}" fill="#f4f6fa"/></pattern>'
        '<marker id="gantt-head" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0 0L8 4L0 8z" fill="#5b6475"/></marker></defs>'
        f'<rect width="{width}" height="{height}" fill="url(#gantt-rows)"/>'
        f'<path class="gantt-grid-lines" d="{grid}"/>'
    )
    if laid.today is not None:
        a, b = laid.today
        out.append(
            f'<rect class="gantt-today" x="{a:.1f}" y="0" width="{b - a:.1f}" height="{height}"/>'
        )
    for bar in laid.bars:
        task, top = bar.task, bar.row * ROW + (ROW - BAR) / 2
        right = bar.x + bar.width
        period = bar.period
        out.append(
            f'<a class="gantt-bar" href="{link}/{task.id}" tabindex="-1" data-task="{task.id}">'
            f"<title>{escape(bar.tip)}</title>"
            f'<rect x="{bar.x:.1f}" y="{top:.0f}" width="{bar.width:.1f}" height="{BAR}" rx="3" '
            f'fill="{bar.colour}" fill-opacity="0.3" stroke="{bar.colour}"/>'
            f'<rect class="gantt-done" x="{bar.x:.1f}" y="{top:.0f}" width="{bar.done:.1f}" '
            f'height="{BAR}" rx="3" fill="{bar.colour}"/></a>'
            f'<text class="gantt-dates" x="{right + 5:.1f}" y="{bar.row * ROW + 16}">'
            f"{period} · {task.percent_done} %</text>"
        )
    for arrow in laid.arrows:
        out.append(
            f'<path class="gantt-arrow" d="{arrow.path}" data-from="{arrow.depends_on}" '
            f'data-to="{arrow.task}" marker-end="url(#gantt-head)"/>'
        )
    out.append("</svg></div></div>")
    return Markup("".join(out))


def project_chart(
    session: Session,
    *,
    project_id: int,
    now: datetime,
    tz: tzinfo,
    today: date,
    lang: str,
    scale: str = "auto",
) -> Markup:
    """One project's plan-schedule (PRJ-5) as the chart's HTML, for a page to embed."""
    plan = task_plan(session, flt=TaskFilter(project=str(project_id), now=now), now=now)
    return markup(chart(plan, tz=tz, today=today, lang=lang, scale=scale), lang=lang)


@router.get(f"{ROOT}/gantt", response_model=None)
def gantt_view(request: Request) -> Response:
    """The filtered tasks as a Gantt chart (TSK-1; PRJ-5 with ``?project=ID``)."""
    lang = page_lang(request)
    now = context(request).now
    hub = hub_of(request)
    tz = hub.settings.tz
    asked = (request.query_params.get("scale") or "auto")[:8]
    scale = asked if asked in SCALE_CHOICES else "auto"

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        filters = applied_filters(session, staff, request.query_params, lang=lang, tz=tz, now=now)
        filters.form.values["scale"] = scale
        values: dict[str, Any] = {
            "filters": filters,
            "form": filters.form,
            "view": "gantt",
            "scale": scale,
            "scales": SCALE_CHOICES,
            "can": allowed(staff.profile),
            "here": here(request),
            "chart": Markup(""),
            "laid": None,
            "view_url": lambda code, **extra: view_url(code, filters.values, **extra),
            "table_url": url(ROOT, filters.values),
            **choices(session, staff.profile, filters.values),
        }
        if filters.form.errors:
            return values
        plan = task_plan(session, flt=filters.flt, now=now)
        laid = chart(plan, tz=tz, today=hub.today(), lang=lang, scale=scale)
        values.update(chart=markup(laid, lang=lang), laid=laid)
        return values

    return shown(request, build, "office/tasks_gantt.html")
