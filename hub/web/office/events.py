"""The events section (EVT): the registry with its views, the archive, and the pickers.

The registry filters by project (all, none, one), by a number or a phone, by a period and by a
client, in four views (standard, by phone, missed, answered calls), one keyset page at a time;
everything is read through ``hub.services.events.views`` within the user's reach. Chosen rows
go to the archive, or everything that ended before a date; the archive restores and deletes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from hub.api.routes.projects.attachments import file_response
from hub.db.base import utcnow
from hub.errors import DomainError
from hub.services.events import archive, pickers, views
from hub.services.events.registry import ANSWERED_CALL_TYPES, EventFilter, parse_project
from hub.web.common import error_text, hub_of, page_lang, render, text
from hub.web.office import events_card, mail_on_open, nav
from hub.web.office.events_card import allowed, done_message, refusal, shown
from hub.web.office.forms import FormState
from hub.web.office.session import Staff, act, current_staff, page, safe_next, with_query

router = APIRouter()
VIEWS = ("standard", "phone", "missed", "answered")
PAGE_SIZE = 50
Ids = Annotated[list[int] | None, Form()]
Optional = Annotated[str | None, Form()]

nav.add(nav.Section("events", "/office/events", 30, nav.anyone))


@dataclass
class Filters:
    """The registry's filters as typed, what they mean, and what is wrong with them."""

    view: str = "standard"
    values: dict[str, str] = field(default_factory=dict)
    flt: EventFilter = field(default_factory=EventFilter)
    search: str = ""
    form: FormState = field(default_factory=FormState)


def _day(value: str, name: str, lang: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = text(lang, "field_date")
        return None


def read_filters(request: Request) -> Filters:
    """The registry's filters from the query string; a wrong one is named, not fatal."""
    lang = page_lang(request)
    tz = hub_of(request).settings.tz
    query = request.query_params
    values = {
        name: (query.get(name) or "").strip()[:64]
        for name in ("view", "project", "q", "from", "to", "client_id", "client_id_label")
    }
    view = values["view"] if values["view"] in VIEWS else "standard"
    values["view"] = view
    errors: dict[str, str] = {}
    try:
        project = parse_project(values["project"] or None)
    except DomainError:
        errors["project"] = text(lang, "field_invalid")
        project = "all"
    start = _day(values["from"], "from", lang, errors)
    end = _day(values["to"], "to", lang, errors)
    if start and end and end < start:
        errors["to"] = text(lang, "evt_period_reversed")
    client = values["client_id"]
    client_id = int(client) if client.isdigit() and 0 < int(client) < 2**31 else None
    if not values["client_id_label"]:
        client_id = None
    flt = EventFilter(
        project=project,
        starts_from=datetime.combine(start, time(), tz) if start else None,
        starts_to=datetime.combine(end + timedelta(days=1), time(), tz) - timedelta(microseconds=1)
        if end
        else None,
        client_id=client_id,
    )
    if view == "missed":
        flt = views.missed_filter(flt)
    elif view == "answered":
        flt = replace(flt, type_codes=ANSWERED_CALL_TYPES)
    return Filters(view, values, flt, values["q"], FormState(values=values, errors=errors))


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _url(path: str, values: dict[str, str], **changes: str | None) -> str:
    """The registry with the same filters and some changed (a view, a page)."""
    return with_query(path, **{**values, **changes})


def _registry(request: Request, archived: bool) -> Response:
    filters = read_filters(request)
    lang = page_lang(request)
    cursor = (request.query_params.get("cursor") or "")[:2000] or None
    flt = replace(filters.flt, archived=archived)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        if not archived and cursor is None:
            mail_on_open.fetch_on_open(request, session, staff.user_id)
        values: dict[str, Any] = {
            "filters": filters,
            "form": filters.form,
            "archived": archived,
            "can": allowed(staff.profile),
            "projects": pickers.reachable_projects(session, staff.profile),
            "here": _here(request),
            "flash": done_message(
                lang, request.query_params.get("done"), request.query_params.get("n")
            ),
            "rows": [],
            "groups": [],
            "next_cursor": None,
            "cursor": cursor,
            "view_url": lambda code: _url(request.url.path, filters.values, view=code),
            "page_url": lambda at: _url(request.url.path, filters.values, cursor=at),
        }
        if filters.form.errors:
            return values
        try:
            if filters.view == "phone" and not archived:
                groups, next_cursor = views.visible_phone_groups(
                    session, staff.profile, flt, cursor=cursor, limit=PAGE_SIZE
                )
                values.update(groups=groups, next_cursor=next_cursor)
            else:
                found = views.list_visible(
                    session,
                    staff.profile,
                    flt,
                    search=filters.search,
                    cursor=cursor,
                    limit=PAGE_SIZE,
                )
                values.update(rows=views.rows(session, found.items), next_cursor=found.next_cursor)
        except DomainError as error:
            filters.form.errors[str(error.params.get("field") or "")] = error_text(lang, error)
        return values

    return shown(request, build, "office/events.html")


@router.get("/office/events", response_model=None)
def registry(request: Request) -> Response:
    """The registry of events (EVT-1, EVT-2)."""
    return _registry(request, archived=False)


@router.get("/office/events/archive", response_model=None)
def archive_registry(request: Request) -> Response:
    """The archive (EVT-5): the same filters; chosen events restored or deleted."""
    return _registry(request, archived=True)


def _bulk(request: Request, csrf: str | None, back: str | None, run: Any) -> Response:
    target = safe_next(back) if back else "/office/events"

    def failed(message: str, error: DomainError) -> Response:
        return refusal(request, message, error.status, target)

    return act(request, csrf, lambda session, staff: run(session, staff, target), failed=failed)


def _none_chosen(request: Request, back: str | None) -> Response:
    target = safe_next(back) if back else "/office/events"
    return refusal(request, text(page_lang(request), "evt_none_chosen"), 422, target)


@router.post("/office/events/archive/chosen", response_model=None)
def archive_chosen(
    request: Request, csrf: Optional = None, ids: Ids = None, back: Optional = None
) -> Response:
    """Send the chosen events to the archive."""
    if not ids:
        return _none_chosen(request, back)
    chosen = list(ids)[:1000]

    def run(session: Session, staff: Staff, target: str) -> str:
        result = views.archive_chosen(session, profile=staff.profile, ids=chosen, now=utcnow())
        return events_card.with_done(target, "archived", result.done)

    return _bulk(request, csrf, back, run)


@router.post("/office/events/archive/before", response_model=None)
def archive_before(
    request: Request, csrf: Optional = None, before: Optional = None, back: Optional = None
) -> Response:
    """Archive every event that ended before the date (after the page's confirmation)."""
    lang = page_lang(request)
    target = safe_next(back) if back else "/office/events"
    try:
        day = date.fromisoformat((before or "").strip())
    except ValueError:
        return refusal(request, text(lang, "field_date"), 422, target)
    moment = datetime.combine(day, time(), hub_of(request).settings.tz)

    def run(session: Session, staff: Staff, target: str) -> str:
        result = archive.archive_before(session, profile=staff.profile, before=moment, now=utcnow())
        return events_card.with_done(target, "archived", result.done)

    return _bulk(request, csrf, back, run)


@router.post("/office/events/archive/restore", response_model=None)
def restore_chosen(
    request: Request, csrf: Optional = None, ids: Ids = None, back: Optional = None
) -> Response:
    """Bring the chosen events back from the archive."""
    if not ids:
        return _none_chosen(request, back)
    chosen = list(ids)[:1000]

    def run(session: Session, staff: Staff, target: str) -> str:
        result = views.restore_chosen(session, profile=staff.profile, ids=chosen)
        return events_card.with_done(target, "restored", result.done)

    return _bulk(request, csrf, back, run)


@router.post("/office/events/archive/delete", response_model=None)
def delete_chosen(
    request: Request,
    csrf: Optional = None,
    ids: Ids = None,
    back: Optional = None,
    confirmed: Optional = None,
) -> Response:
    """Delete the chosen archived events for good, once the user has confirmed it."""
    if not ids:
        return _none_chosen(request, back)
    chosen = list(ids)[:1000]
    if confirmed != "1":
        # A page asks first, so the deletion is confirmed with or without the page's script.
        return page(
            request,
            "office/events_delete.html",
            lambda _session, _staff: {
                "ids": chosen,
                "back": safe_next(back) if back else "/office/events/archive",
            },
        )
    files = hub_of(request).files

    def run(session: Session, staff: Staff, target: str) -> str:
        result = views.delete_chosen(session, profile=staff.profile, ids=chosen, files=files)
        return events_card.with_done(target, "deleted", result.done)

    return _bulk(request, csrf, back, run)


@router.get("/office/events/pick/{kind}", response_model=None)
def pick(request: Request, kind: str, q: str = "") -> Response:
    """A picker's choices (F3) as an HTML fragment of [data-pick] buttons."""
    if kind not in ("client", "contact", "project", "type"):
        return Response(status_code=404)
    lang = page_lang(request)
    with hub_of(request).sessions() as session:
        staff = current_staff(request, session)
        if staff is None:
            return Response(status_code=401)
        choices = events_card.choices(session, staff.profile, kind, q[:100], lang, None)
    return render(request, "office/events_pick.html", {"choices": choices, "kind": kind})


@router.get("/office/events/attachments/{attachment_id:int}", response_model=None)
def download(request: Request, attachment_id: int) -> Response:
    """An attachment of a visible event, with its original name."""
    hub = hub_of(request)
    try:
        with hub.sessions() as session:
            staff = current_staff(request, session)
            if staff is None:
                return HTMLResponse(status_code=401)
            attachment, path = views.attachment_of_event(
                session, profile=staff.profile, store=hub.files, attachment_id=attachment_id
            )
    except DomainError as error:
        message = error_text(page_lang(request), error)
        return refusal(request, message, error.status, "/office/events")
    return file_response(attachment, path)


router.include_router(events_card.router)
