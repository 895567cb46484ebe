"""What the task registry, its calendars and the Gantt chart share: the filters (TSK-1), the
choices they offer, the views' links, the rights shown, and how a refusal reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.events import pickers
from hub.services.tasks import desk
from hub.services.tasks.columns import REGISTRY_FILTERS
from hub.services.tasks.registry import TaskFilter
from hub.services.tasks.tasks import DEFAULT_COLORS, statuses
from hub.web.common import text
from hub.web.office import tasks_texts  # noqa: F401 (registers the section's words)
from hub.web.office.forms import FormState
from hub.web.office.session import (
    Refusal,
    Staff,
    page_or_refusal,
    refused,
    safe_next,
    with_query,
)

ROOT = "/office/tasks"
# The filter form's own submission carries this: only then are the filters kept for the user.
REMEMBER = "remember"
# The views of the registry (TSK-1): path and the extra query each one takes.
VIEWS: dict[str, tuple[str, dict[str, str]]] = {
    "registry": (ROOT, {}),
    "gantt": (f"{ROOT}/gantt", {}),
    "month": (f"{ROOT}/calendar", {"view": "month"}),
    "week": (f"{ROOT}/calendar", {"view": "week"}),
    "day": (f"{ROOT}/calendar", {"view": "day"}),
}
CENTRE = "c:"
LATEST_YEAR = 9000

REFUSED = Refusal(
    title="tsk_refused_title",
    heading="errors_title",
    back=ROOT,
    back_label="tsk_back",
    back_class="button secondary",
)


@dataclass
class Filters:
    """The filters as typed (for the form and the links), what they mean, what is wrong."""

    values: dict[str, str] = field(default_factory=dict)
    flt: TaskFilter = field(default_factory=TaskFilter)
    form: FormState = field(default_factory=FormState)


def _day(value: str, name: str, lang: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        found = date.fromisoformat(value)
    except ValueError:
        errors[name] = text(lang, "field_date")
        return None
    if not 1900 <= found.year <= LATEST_YEAR:
        errors[name] = text(lang, "field_date")
        return None
    return found


def as_id(value: str) -> int | None:
    """A record id written in ASCII digits (1 .. 2**31 - 1), else None."""
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number < 2**31 else None


def read_filters(
    params: Mapping[str, str], *, lang: str, tz: tzinfo, now: datetime, known: set[str]
) -> Filters:
    """The filters from a query string; a wrong one is named beside its field, not fatal.

    ``known`` are the status codes of the reference book.
    """
    values: dict[str, str] = {
        name: (params.get(name) or "").strip()[:210] for name in REGISTRY_FILTERS
    }
    errors: dict[str, str] = {}
    project = values["project"] or "all"
    if project not in ("all", "none") and as_id(project) is None:
        errors["project"] = text(lang, "field_invalid")
        project = "all"
    executor_id: int | None = None
    centre: str | None = None
    who = values["executor"]
    if who.startswith(CENTRE) and who[len(CENTRE) :].strip():
        centre = who[len(CENTRE) :].strip()[:200]
    elif as_id(who) is not None:
        executor_id = as_id(who)
    elif who:
        errors["executor"] = text(lang, "field_invalid")
    status = values["status"] or None
    if status is not None and status not in known:
        errors["status"] = text(lang, "field_invalid")
        status = None
    start = _day(values["from"], "from", lang, errors)
    end = _day(values["to"], "to", lang, errors)
    if start and end and end < start:
        errors["to"] = text(lang, "tsk_period_reversed")
    flt = TaskFilter(
        project=project,
        executor_id=executor_id,
        centre=centre,
        status=status,
        period_from=datetime.combine(start, time(), tz) if start else None,
        period_to=datetime.combine(end + timedelta(days=1), time(), tz) if end else None,
        now=now,
    )
    return Filters(values, flt, FormState(values=dict(values), errors=errors))


def applied_filters(
    session: Session,
    staff: Staff,
    params: Mapping[str, str],
    *,
    lang: str,
    tz: tzinfo,
    now: datetime,
) -> Filters:
    """The filters of one of the registry's views, kept per user (TSK-1).

    A view opened with no filter at all (the menu's link, the card's way back) shows the
    filters the user last applied. The filter form's own submission (it carries ``remember``)
    is kept once it reads right; links that carry filters (the views' tabs, a project's plan,
    the pages) show them without changing what is kept.
    """
    given = any(name in params for name in REGISTRY_FILTERS)
    source = params if given else {**params, **desk.kept_filters(session, staff.user_id)}
    filters = read_filters(source, lang=lang, tz=tz, now=now, known=status_codes(session))
    # A page's session is never committed by the page: this change commits on its own (the
    # session keeps what it loaded, and reads on in a new transaction).
    remembered = params.get(REMEMBER) and not filters.form.errors
    if remembered and desk.keep_filters(session, user_id=staff.user_id, values=filters.values):
        session.commit()
    return filters


def status_codes(session: Session) -> set[str]:
    """The codes of the task statuses (what the status filter accepts)."""
    return {entry.code for entry in statuses(session).values()}


def url(path: str, values: Mapping[str, str], **changes: str | None) -> str:
    """``path`` with the same filters and some values changed (a view, a page, a day)."""
    return with_query(path, **{**values, **changes})


def view_url(view: str, values: Mapping[str, str], **extra: str | None) -> str:
    """The link to one of the registry's views, keeping the filters."""
    path, fixed = VIEWS[view]
    return url(path, values, **fixed, **extra)


def here(request: Request) -> str:
    """This page's path with its query (where a form on it comes back to)."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def back_to(value: str | None) -> str:
    """Where a change goes back to: a page of this hub, the registry by default."""
    return safe_next(value) if value else ROOT


def allowed(profile: AccessProfile) -> Callable[..., bool]:
    """``can(action, journal_id=None)`` for templates: whether a task action may be offered."""

    def can(action: str, journal_id: int | None = None) -> bool:
        if action == "status":
            return profile.can(Action.CHANGE, DocType.TASK) and (
                profile.unrestricted or not profile.deny_task_status_change
            )
        return profile.can(Action(action), DocType.TASK, journal_id)

    return can


def choices(session: Session, profile: AccessProfile, values: Mapping[str, str]) -> dict[str, Any]:
    """What the filters offer: projects in reach (with the chosen one), people, centres,
    statuses."""
    projects = pickers.reachable_projects(session, profile)
    chosen = values.get("project", "")
    ident = as_id(chosen)
    if ident is not None and all(p.id != ident for p in projects):
        label = pickers.label_of(session, "project", ident, "uk")
        if label:
            projects = [pickers.Choice(ident, label), *projects]
    centres = desk.responsibility_centres(session)
    who = values.get("executor", "")
    if who.startswith(CENTRE) and who[len(CENTRE) :] not in centres:
        centres = [who[len(CENTRE) :], *centres]
    return {
        "projects": projects,
        "people": desk.people(session),
        "centres": centres,
        "statuses": desk.status_entries(session),
        "default_colors": DEFAULT_COLORS,
    }


def refusal(request: Request, message: str, status: int, back: str) -> Response:
    """A refused request explained in the user's language, with the way back."""
    return refused(request, message, status, REFUSED, back)


def shown(request: Request, build: Any, template: str, back: str = ROOT) -> Response:
    """A page whose refusal (a missing task, a bad filter) is a page, not an error."""
    return page_or_refusal(request, template, build, look=REFUSED, back=back)


def done_message(lang: str, done: str | None, n: str | None) -> str:
    """The line a redirect after a change asks the next page to show."""
    if done not in ("columns", "status", "executors", "deleted", "moved"):
        return ""
    return text(lang, f"tsk_done_{done}", n=(n or "")[:40])


def with_done(target: str, done: str, n: int | str) -> str:
    """``target`` asked to say what was done (its earlier outcome, if any, replaced)."""
    path, _, query = target.partition("?")
    kept = "&".join(
        part for part in query.split("&") if part and not part.startswith(("done=", "n="))
    )
    return f"{path}?{kept + '&' if kept else ''}done={done}&n={quote(str(n), safe='')}"
