"""The tasks section (TSK-1, TSK-11, TSK-12, TSK-14): the registry and the actions on chosen tasks.

The registry filters by project (all, none, one), by executor (an employee or a responsibility
centre), by status and by period, one keyset page at a time, in the columns each user chooses
and keeps; tasks are coloured by status, overdue ones red. Chosen tasks change status together
(optionally their executors' too), get executors (replacing or adding, the same on all or spread
over them), or are deleted after a confirmation. The calendars are in ``tasks_calendar``, the
Gantt chart in ``gantt``; the task card (``/office/tasks/{id}``) is ``task_card``'s.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from hub.errors import DomainError
from hub.services.tasks import bulk, desk, executors
from hub.services.tasks.columns import REGISTRY_COLUMNS
from hub.services.tasks.registry import list_tasks
from hub.services.tasks.tasks import DEFAULT_COLORS, statuses
from hub.web.common import context, error_text, hub_of, page_lang, text
from hub.web.office import gantt, nav, tasks_calendar
from hub.web.office.session import Staff, act, current_staff, page
from hub.web.office.tasks_common import (
    ROOT,
    allowed,
    applied_filters,
    back_to,
    choices,
    done_message,
    here,
    refusal,
    shown,
    url,
    view_url,
    with_done,
)

router = APIRouter()
PAGE_SIZE = 50
MOST_CHOSEN = 500
Ids = Annotated[list[int] | None, Form()]
Optional = Annotated[str | None, Form()]
Strings = Annotated[list[str] | None, Form()]
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

nav.add(nav.Section("tasks", ROOT, 25, nav.anyone))


@router.get(ROOT, response_model=None)
def registry(request: Request) -> Response:
    """The registry of tasks (TSK-1) in the user's columns, coloured by status (TSK-14)."""
    lang = page_lang(request)
    now = context(request).now
    tz = hub_of(request).settings.tz
    cursor = (request.query_params.get("cursor") or "")[:2000] or None

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        filters = applied_filters(session, staff, request.query_params, lang=lang, tz=tz, now=now)
        values: dict[str, Any] = {
            "filters": filters,
            "form": filters.form,
            "view": "registry",
            "can": allowed(staff.profile),
            "columns": desk.registry_columns(session, staff.user_id),
            "all_columns": REGISTRY_COLUMNS,
            "settable": desk.settable_statuses(session),
            "here": here(request),
            "flash": done_message(
                lang, request.query_params.get("done"), request.query_params.get("n")
            ),
            "rows": [],
            "cursor": cursor,
            "next_cursor": None,
            "view_url": lambda code, **extra: view_url(code, filters.values, **extra),
            "page_url": lambda at: url(ROOT, filters.values, cursor=at),
            **choices(session, staff.profile, filters.values),
        }
        if filters.form.errors:
            return values
        try:
            found = list_tasks(session, flt=filters.flt, cursor=cursor, limit=PAGE_SIZE)
        except DomainError as error:
            filters.form.errors[str(error.params.get("field") or "")] = error_text(lang, error)
            return values
        values.update(rows=desk.rows(session, found.items, now=now), next_cursor=found.next_cursor)
        return values

    return shown(request, build, "office/tasks.html")


@router.get(f"{ROOT}/colours.css", response_model=None)
def colours(request: Request) -> Response:
    """The status colours of the reference book as classes (TSK-14): ``tsk-col-RRGGBB``.

    Pages allow no inline styles, so a colour an administrator chose reaches them here.
    """
    with hub_of(request).sessions() as session:
        if current_staff(request, session) is None:
            return Response(status_code=401)
        found = {entry.color for entry in statuses(session).values()}
    rules = []
    for colour in sorted({c for c in (*found, *DEFAULT_COLORS.values()) if c and _HEX.match(c)}):
        name = colour[1:].lower()
        rules.append(
            f".tsk-col-{name}, .tsk-col-{name} a {{ color: {colour}; }}\n"
            f".tsk-chip.tsk-col-{name} {{ border-left-color: {colour}; }}\n"
            f".tsk-swatch.tsk-col-{name} {{ background: {colour}; }}\n"
        )
    return Response(
        "".join(rules),
        media_type="text/css",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def _none_chosen(request: Request, back: str | None, key: str = "tsk_none_chosen") -> Response:
    return refusal(request, text(page_lang(request), key), 422, back_to(back))


def _run(request: Request, csrf: str | None, back: str | None, change: Any) -> Response:
    """One change for the logged-in user; a refusal is a page saying why, with the way back."""
    target = back_to(back)

    def failed(message: str, error: DomainError) -> Response:
        return refusal(request, message, error.status, target)

    return act(request, csrf, lambda session, staff: change(session, staff, target), failed=failed)


@router.post(f"{ROOT}/columns", response_model=None)
def keep_columns(
    request: Request, csrf: Optional = None, columns: Strings = None, back: Optional = None
) -> Response:
    """Keep the columns this user chose for the registry's table."""
    chosen = [str(column)[:32] for column in (columns or [])][:50]

    def change(session: Session, staff: Staff, target: str) -> str:
        desk.keep_columns(session, user_id=staff.user_id, columns=chosen)
        return with_done(target, "columns", "")

    return _run(request, csrf, back, change)


@router.post(f"{ROOT}/group/status", response_model=None)
def group_status(
    request: Request,
    csrf: Optional = None,
    ids: Ids = None,
    status: Optional = None,
    with_executors: Optional = None,
    back: Optional = None,
) -> Response:
    """TSK-11: one status on every chosen task (and their executors' too, if asked)."""
    if not ids:
        return _none_chosen(request, back)
    chosen = list(ids)[:MOST_CHOSEN]
    tz = hub_of(request).settings.tz

    def change(session: Session, staff: Staff, target: str) -> str:
        changed = bulk.change_status_of_tasks(
            session,
            profile=staff.profile,
            task_ids=chosen,
            status=(status or "").strip()[:32],
            with_executors=with_executors == "1",
            tz=tz,
        )
        return with_done(target, "status", len(changed))

    return _run(request, csrf, back, change)


@router.post(f"{ROOT}/group/executors", response_model=None)
def group_executors(
    request: Request,
    csrf: Optional = None,
    ids: Ids = None,
    user_ids: Ids = None,
    mode: Optional = None,
    spread: Optional = None,
    back: Optional = None,
) -> Response:
    """TSK-12: executors for every chosen task, added or replacing, the same or spread."""
    if not ids:
        return _none_chosen(request, back)
    if not user_ids:
        return _none_chosen(request, back, "tsk_no_people")
    chosen = list(ids)[:MOST_CHOSEN]
    people = list(user_ids)[:MOST_CHOSEN]

    def change(session: Session, staff: Staff, target: str) -> str:
        changed = executors.assign_executors(
            session,
            profile=staff.profile,
            task_ids=chosen,
            user_ids=people,
            mode="replace" if mode == "replace" else "add",
            distribute=spread == "distribute",
        )
        return with_done(target, "executors", len(changed))

    return _run(request, csrf, back, change)


@router.post(f"{ROOT}/delete", response_model=None)
def delete_chosen(
    request: Request,
    csrf: Optional = None,
    ids: Ids = None,
    back: Optional = None,
    confirmed: Optional = None,
) -> Response:
    """Delete the chosen tasks for good, once the user has confirmed it (Del on a row)."""
    if not ids:
        return _none_chosen(request, back)
    chosen = list(ids)[:MOST_CHOSEN]
    if confirmed != "1":
        # A page asks first, so the deletion is confirmed with or without the page's script.
        return page(
            request,
            "office/tasks_delete.html",
            lambda _session, _staff: {"ids": chosen, "back": back_to(back)},
        )
    files = hub_of(request).files

    def change(session: Session, staff: Staff, target: str) -> str:
        done = desk.delete_tasks(session, profile=staff.profile, task_ids=chosen, files=files)
        return with_done(target, "deleted", done)

    return _run(request, csrf, back, change)


@router.post(f"{ROOT}/print-chosen", response_model=None)
def print_chosen(request: Request, ids: Ids = None, back: Optional = None) -> Response:
    """TSK-15: the printable registry of the chosen tasks. The boxes belong to the form of the
    group actions (a POST with its CSRF token); the print form is a plain page of its own, so
    this sends the browser there with the ids alone. It changes nothing and needs no token."""
    if not ids:
        return _none_chosen(request, back)
    chosen = ",".join(str(ident) for ident in list(ids)[:MOST_CHOSEN])
    return RedirectResponse(f"{ROOT}/print?ids={chosen}", status_code=303)


router.include_router(tasks_calendar.router)
router.include_router(gantt.router)
