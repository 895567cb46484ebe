"""What a report page (and each export of it) asks and shows: the filters read from the query,
checked beside each field, and the report as a table of typed cells, in the page's language.

The figures come from the domain (``hub.services.stats``) with the user's scope (``scope_for``:
a manager of one journal sees its services, and their operators); the page, the CSV, the
XLSX and the PDF all render the same ``Table``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Project
from hub.db.models.queue import QueueOperator
from hub.errors import Invalid
from hub.services.stats.callers import CALLER_GROUPS, caller_figures
from hub.services.stats.common import By, Period, key_names
from hub.services.stats.desk import DESK_GROUPS, desk_figures
from hub.services.stats.operators import TIME_GROUPS, operator_time, operators_in, operators_of
from hub.services.stats.phone import PHONE_GROUPS, phone_figures
from hub.services.stats.queue import (
    BOOKING_GROUPS,
    QUEUE_GROUPS,
    Scope,
    booking_figures,
    queue_figures,
)
from hub.web.common import error_text, text
from hub.web.office.forms import FormState
from hub.web.texts import TEXTS

KINDS: dict[str, tuple[By, ...]] = {
    "hall": QUEUE_GROUPS,
    "bookings": BOOKING_GROUPS,
    "operators": TIME_GROUPS,
    "phone": PHONE_GROUPS,
    "callers": CALLER_GROUPS,
    "desk": DESK_GROUPS,
}
DEFAULT_BY = {
    "hall": By.SERVICE,
    "bookings": By.SERVICE,
    "operators": By.OPERATOR,
    "phone": By.LINE,
    "callers": By.SERVICE,
    "desk": By.DAY,
}
DEFAULT_DAYS = 7
Kind = Literal["text", "int", "seconds", "share"]
Cell = str | int | float | None


@dataclass(frozen=True)
class Asked:
    """A report asked for and checked."""

    kind: str
    period: Period
    by: By
    service: int | None
    operator: int | None


@dataclass(frozen=True)
class Choices:
    """What the filters offer this user: their services and those services' operators."""

    services: list[tuple[int, str]]
    operators: list[tuple[int, str]]
    scope: Scope


def choices(session: Session, scope: Scope) -> Choices:
    """The user's queue services and their operators (with full access, anyone who works in a
    queue service or has worked at a window)."""
    query = select(Project.id, Project.name).where(Project.uses_queue.is_(True))
    if scope.services is not None:
        query = query.where(Project.id.in_(list(scope.services)))
    services = [(row.id, row.name) for row in session.execute(query.order_by(Project.name))]
    users = set(operators_of(session, [service for service, _ in services]))
    if scope.services is None:
        users |= set(session.scalars(select(QueueOperator.user_id)))
    names = key_names(session, By.OPERATOR, users, _ANY)
    operators = sorted(((int(k), v) for k, v in names.items()), key=lambda o: o[1].casefold())
    return Choices(services, operators, scope)


_ANY = Period(date(2000, 1, 1), date(2000, 1, 1))


def read(
    query: Mapping[str, str], offered: Choices, *, today: date, lang: str
) -> tuple[Asked | None, FormState]:
    """The report asked for in ``query``, or None with each wrong field's message."""
    values = {name: (query.get(name) or "").strip()[:32] for name in _FIELDS}
    kind = values["kind"] if values["kind"] in KINDS else "hall"
    values["kind"] = kind
    values["from"] = values["from"] or str(today - timedelta(days=DEFAULT_DAYS - 1))
    values["to"] = values["to"] or str(today)
    values["by"] = values["by"] or DEFAULT_BY[kind].value
    state = FormState(values=values)
    days = {name: _day(values[name], name, state, lang) for name in ("from", "to")}
    by = _grouping(values["by"], kind, state, lang)
    service = _chosen(values["service"], [s for s, _ in offered.services], "service", state, lang)
    operator = _chosen(
        values["operator"], [o for o, _ in offered.operators], "operator", state, lang
    )
    first, last = days["from"], days["to"]
    period = None
    if first is not None and last is not None:
        try:
            period = Period(first, last)
        except Invalid as error:
            state.errors[str(error.params.get("field") or "to")] = error_text(lang, error)
    if state.errors or period is None or by is None:
        return None, state
    return Asked(kind, period, by, service, operator), state


_FIELDS = ("kind", "from", "to", "by", "service", "operator")


def _day(raw: str, name: str, state: FormState, lang: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        state.errors[name] = text(lang, "field_date")
        return None


def _grouping(raw: str, kind: str, state: FormState, lang: str) -> By | None:
    allowed = KINDS[kind]
    if raw in {b.value for b in allowed}:
        return By(raw)
    names = ", ".join(text(lang, f"stats_by_{b.value}") for b in allowed)
    state.errors["by"] = text(lang, "stats_grouping_wrong", choices=names)
    return None


def _chosen(raw: str, allowed: list[int], name: str, state: FormState, lang: str) -> int | None:
    if not raw:
        return None
    if raw.isdigit() and int(raw) in allowed:
        return int(raw)
    state.errors[name] = text(lang, "stats_choice_unknown")
    return None


def narrowed(asked: Asked, offered: Choices) -> Scope:
    """The user's scope narrowed to the service and operator asked for."""
    services = [asked.service] if asked.service is not None else offered.scope.services
    operators = [asked.operator] if asked.operator is not None else None
    return Scope(services=services, operators=operators)


# ---- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column: its heading and what its cells hold."""

    label: str
    kind: Kind


@dataclass(frozen=True)
class Table:
    """A report as rows of typed cells, with the lines that say what it covers."""

    title: str
    lines: list[str]
    columns: list[Column]
    rows: list[list[Cell]]
    filename: str


def run(
    session: Session, asked: Asked, offered: Choices, *, lang: str, now: datetime, tz: tzinfo
) -> Table:
    """The report asked for, as a table in ``lang``."""
    scope = narrowed(asked, offered)
    say: Callable[[str], str] = lambda key: text(lang, key)  # noqa: E731
    first = Column(say(f"stats_key_{asked.by.value}"), "text")
    # The operators' time is narrowed to the services' operators; the phone lines belong to no
    # journal, so their figures are narrowed only to an operator chosen in the filter.
    operators = operators_in(session, scope) if asked.kind == "operators" else scope.operators
    job = _Job(session, asked, scope, operators, now, tz, say)
    columns, rows = _BUILDERS[asked.kind](job)
    lines = [text(lang, "stats_period_line", period=_period(asked.period))]
    picked = [name for key, name in offered.services if key == asked.service]
    picked += [name for key, name in offered.operators if key == asked.operator]
    if picked:
        lines.append(text(lang, "stats_filter_line", what=", ".join(picked)))
    stem = f"cherga-{asked.kind}-{asked.by.value}-{asked.period.first}-{asked.period.last}"
    return Table(say(f"stats_kind_{asked.kind}"), lines, [first, *columns], rows, stem)


def _period(period: Period) -> str:
    def shown(day: date) -> str:
        return day.strftime("%d.%m.%Y")

    if period.first == period.last:
        return shown(period.first)
    return f"{shown(period.first)} – {shown(period.last)}"


Built = tuple[list[Column], list[list[Cell]]]
Say = Callable[[str], str]


# Each report's columns: (text key after ``stats_c_``, kind, attribute of the domain's row).
Spec = tuple[tuple[str, Kind, str], ...]
HALL: Spec = (
    ("visitors", "int", "visitors"),
    ("served", "int", "served"),
    ("level", "share", "service_level"),
    ("within", "int", "within_target"),
    ("wait_mean", "seconds", "wait.mean_s"),
    ("wait_median", "seconds", "wait.median_s"),
    ("wait_p90", "seconds", "wait.p90_s"),
    ("service_mean", "seconds", "service.mean_s"),
    ("service_p90", "seconds", "service.p90_s"),
    ("waiting_now", "int", "waiting_now"),
    ("no_shows", "int", "no_shows"),
    ("transfers", "int", "transfers"),
    ("recalls", "int", "recalls"),
)
BOOKINGS: Spec = tuple(
    (name, "int", name)
    for name in ("booked", "kept", "kept_late", "missed", "cancelled", "pending")
)
PHONE: Spec = (
    ("offered", "int", "offered"),
    ("answered", "int", "answered"),
    ("missed_calls", "int", "missed"),
    ("abandoned", "int", "abandoned"),
    ("forwarded", "int", "forwarded"),
    ("answer_mean", "seconds", "answer_mean_s"),
    ("talk_total", "seconds", "talk_total_s"),
    ("talk_mean", "seconds", "talk_mean_s"),
    ("outgoing", "int", "outgoing"),
    ("callbacks", "int", "callbacks"),
    ("answered_share", "share", "answered_share"),
)
CALLERS: Spec = (
    ("offered", "int", "offered"),
    ("answered", "int", "answered"),
    ("answer_mean", "seconds", "answer.mean_s"),
    ("answer_p90", "seconds", "answer.p90_s"),
    ("abandoned", "int", "abandoned"),
    ("abandon_wait_mean", "seconds", "abandon_wait.mean_s"),
    ("callbacks_asked", "int", "callbacks"),
    ("called_back", "int", "called_back"),
    ("waiting_now", "int", "waiting"),
    ("talk_mean", "seconds", "talk.mean_s"),
    ("answered_share", "share", "answered_share"),
)
DESK: Spec = (
    ("contacts", "int", "contacts"),
    ("handled", "int", "handled"),
    ("visitors", "int", "hall.visitors"),
    ("served", "int", "hall.served"),
    ("level", "share", "hall.service_level"),
    ("offered", "int", "phone.offered"),
    ("answered", "int", "phone.answered"),
    ("answered_share", "share", "phone.answered_share"),
    ("callers_offered", "int", "callers.offered"),
    ("callers_answered", "int", "callers.answered"),
    ("callers_abandoned", "int", "callers.abandoned"),
    ("callers_answer_mean", "seconds", "callers.answer.mean_s"),
)


def _tabled(spec: Spec, found: Sequence[Any], say: Say) -> Built:
    """The columns of ``spec`` and a row per domain row (a part missing: 0, or none for a
    share or a duration)."""
    columns = [Column(say(f"stats_c_{name}"), kind) for name, kind, _ in spec]
    rows: list[list[Cell]] = []
    for row in found:
        cells: list[Cell] = [row.name]
        for _, kind, path in spec:
            value: Any = row
            for part in path.split("."):
                value = getattr(value, part) if value is not None else None
            cells.append(0 if value is None and kind == "int" else value)
        rows.append(cells)
    return columns, rows


@dataclass(frozen=True)
class _Job:
    """What a report's builder reads with."""

    session: Session
    asked: Asked
    scope: Scope
    operators: Sequence[int] | None
    now: datetime
    tz: tzinfo
    say: Say


def _hall(job: _Job) -> Built:
    found = queue_figures(job.session, job.asked.period, job.asked.by, job.scope)
    return _tabled(HALL, found, job.say)


def _bookings(job: _Job) -> Built:
    found = booking_figures(job.session, job.asked.period, job.asked.by, job.scope, tz=job.tz)
    return _tabled(BOOKINGS, found, job.say)


def _phone(job: _Job) -> Built:
    found = phone_figures(job.session, job.asked.period, job.asked.by, job.operators)
    return _tabled(PHONE, found, job.say)


def _callers(job: _Job) -> Built:
    found = caller_figures(job.session, job.asked.period, job.asked.by, job.scope)
    return _tabled(CALLERS, found, job.say)


def _desk(job: _Job) -> Built:
    found = desk_figures(job.session, job.asked.period, job.asked.by, job.scope)
    return _tabled(DESK, found, job.say)


def _operators(job: _Job) -> Built:
    found = operator_time(
        job.session, job.asked.period, job.asked.by, now=job.now, tz=job.tz, operators=job.operators
    )
    codes = sorted({code for row in found for code in row.seconds})
    columns = [Column(_status(code, job.say), "seconds") for code in codes]
    columns.append(Column(job.say("stats_c_total"), "seconds"))
    rows: list[list[Cell]] = [
        [row.name, *(row.seconds.get(code, 0) for code in codes), row.total_s] for row in found
    ]
    return columns, rows


def _status(code: str, say: Say) -> str:
    return say(f"user_status_{code}") if f"user_status_{code}" in TEXTS else code


_BUILDERS: dict[str, Callable[[_Job], Built]] = {
    "hall": _hall,
    "bookings": _bookings,
    "operators": _operators,
    "phone": _phone,
    "callers": _callers,
    "desk": _desk,
}


def shown(value: Cell, kind: Kind, lang: str) -> str:
    """A cell as the page and the PDF show it: 12:05 for a duration, 89,4 % (89.4 %) for a
    share."""
    if value is None:
        return "—"
    if kind == "seconds":
        return clock(round(float(value)))
    if kind == "share":
        return percent(float(value), lang)
    return str(value)


def percent(share: float, lang: str) -> str:
    """A share as a percentage to 0.1, with the language's decimal mark."""
    words = f"{share * 100:.1f} %"
    return words.replace(".", ",") if lang == "uk" else words


def clock(seconds: int) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
