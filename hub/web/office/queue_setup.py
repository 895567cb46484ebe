"""Setting up the queue in the back-office: services (their hours, numbering, slot rules and work
group) and who works at which window now.

Pages call the same services as the API (``hub.services.projects``, ``queue.booking``,
``settings.numbering`` through ``queue.setup``) with the user's rights; an action the user may
not take is not shown, and refused by those services anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hub.api.schemas.numbering import Prefix
from hub.api.schemas.projects import ProjectName
from hub.errors import DomainError, Invalid
from hub.services.access import users
from hub.services.access.rights import Action, DocType
from hub.services.projects import projects
from hub.services.queue import hours, setup, staffing
from hub.services.queue.hours import DayHours
from hub.services.queue.setup import ServiceValues
from hub.services.queue.tickets import NUMBER_DOC
from hub.services.settings import numbering
from hub.web.common import hub_of, page_lang, render, text
from hub.web.office import (
    nav,
    queue_setup_texts,  # noqa: F401 (registers the section's words)
    queue_week,
)
from hub.web.office.forms import FormState, invalid
from hub.web.office.session import Staff, act, current_staff, page, to_login, with_query

router = APIRouter(prefix="/office")
nav.add(nav.Section("qs_services", "/office/services", 40, nav.may_any(DocType.PROJECT)))
nav.add(nav.Section("qs_operators", "/office/operators", 45, nav.anyone))

PAGE_SIZE = 25
PICKER_SIZE = 20
# The card's fields top to bottom: the error summary lists its messages in this order.
FIELD_ORDER = (
    "name",
    "description",
    "hours",
    *queue_week.FIELDS,
    "prefix",
    "width",
    "start",
    "slot_minutes",
    "calling_mode",
    "caller_share_percent",
    *(
        f"step_{n}_{part}"
        for n in range(1, setup.MAX_STEPS + 1)
        for part in ("companies", "minutes")
    ),
)


def _blank(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


Optional = Annotated[int | None, BeforeValidator(_blank)]


class ServiceForm(BaseModel):
    """The service card's fields as the browser sends them, checked as the API checks them."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: ProjectName
    description: Annotated[str, StringConstraints(max_length=20000)] = ""
    uses_queue: bool = False
    prefix: Prefix = ""
    width: Annotated[int, Field(ge=1, le=12)]
    start: Annotated[int, Field(ge=0, le=10**9)]
    daily_reset: bool = False
    slot_mode: Literal["linear", "graded"] = "linear"
    slot_minutes: Annotated[int, Field(ge=1, le=24 * 60)]
    calling_mode: Literal["nearest", "fair"] = "nearest"
    callers_first: bool = False
    caller_share_percent: Annotated[
        Annotated[int, Field(ge=1, le=100)] | None, BeforeValidator(_blank)
    ] = None
    step_1_companies: Optional = None
    step_1_minutes: Optional = None
    step_2_companies: Optional = None
    step_2_minutes: Optional = None
    step_3_companies: Optional = None
    step_3_minutes: Optional = None
    step_4_companies: Optional = None
    step_4_minutes: Optional = None
    step_5_companies: Optional = None
    step_5_minutes: Optional = None

    def values(self, days: tuple[DayHours, ...]) -> ServiceValues:
        """What the domain saves, with the open ``days`` of the week read apart
        (``queue_week.read``); a step with either half empty is left out."""
        steps = []
        for index in range(1, setup.MAX_STEPS + 1):
            companies = getattr(self, f"step_{index}_companies")
            minutes = getattr(self, f"step_{index}_minutes")
            if companies is not None and minutes is not None:
                steps.append((companies, minutes))
        return ServiceValues(
            name=self.name,
            description=self.description,
            uses_queue=self.uses_queue,
            days=days,
            prefix=self.prefix,
            width=self.width,
            start=self.start,
            daily_reset=self.daily_reset,
            slot_mode=self.slot_mode,
            slot_minutes=self.slot_minutes,
            steps=tuple(steps),
            calling_mode=self.calling_mode,
            callers_first=self.callers_first,
            caller_share_percent=self.caller_share_percent,
        )


async def _form(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_form)]


def _typed(data: FormData) -> dict[str, Any]:
    """The form as typed, to validate and to show again."""
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _shown(values: ServiceValues) -> dict[str, Any]:
    """A service's values as the form shows them."""
    shown: dict[str, Any] = {
        "name": values.name,
        "description": values.description,
        "uses_queue": "on" if values.uses_queue else "",
        **queue_week.shown(values.days),
        "prefix": values.prefix,
        "width": values.width,
        "start": values.start,
        "daily_reset": "on" if values.daily_reset else "",
        "slot_mode": values.slot_mode,
        "slot_minutes": values.slot_minutes,
        "calling_mode": values.calling_mode,
        "callers_first": "on" if values.callers_first else "",
        "caller_share_percent": (
            "" if values.caller_share_percent is None else values.caller_share_percent
        ),
        "fp": values.fingerprint(),
    }
    for index, (companies, minutes) in enumerate(values.steps, start=1):
        shown[f"step_{index}_companies"] = companies
        shown[f"step_{index}_minutes"] = minutes
    return shown


def _refused(lang: str, error: DomainError, values: dict[str, Any]) -> FormState:
    """The form again with the domain's message beside the field it names (own codes first)."""
    where = str(error.params.get("field") or "")
    shown = {k: v for k, v in error.params.items() if k not in ("field", "right")}
    return FormState(values=values, errors={where: text(lang, error.code, **shown)})


def _rights(staff: Staff) -> dict[str, bool]:
    profile = staff.profile
    return {
        "may_create": profile.can(Action.CREATE, DocType.PROJECT),
        "may_change": profile.can(Action.CHANGE, DocType.PROJECT),
        "may_delete": profile.can(Action.DELETE, DocType.PROJECT),
        "may_number": setup.may_number(profile),
    }


@router.get("/services", response_model=None)
def services(request: Request, q: str = "", queue: str = "on", cursor: str = "") -> Response:
    """The services registry: search, the queue filter and paging on the server."""
    search = q.replace("\x00", "").strip()[:300]
    flag = {"on": True, "off": False}.get(queue)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        try:
            found = projects.list_projects(
                session,
                uses_queue=flag,
                search=search or None,
                cursor=cursor or None,
                limit=PAGE_SIZE,
            )
        except Invalid:
            # A cursor from another search or an edited address: start from the first page.
            found = projects.list_projects(
                session, uses_queue=flag, search=search or None, limit=PAGE_SIZE
            )
        later = (
            with_query("/office/services", q=search, queue=queue, cursor=found.next_cursor)
            if found.next_cursor
            else None
        )
        return {
            "rows": found.items,
            "q": search,
            "queue": queue,
            "later": later,
            "paged": bool(cursor),
            **_rights(staff),
        }

    return page(request, "office/services.html", build)


def _card(
    request: Request, service_id: int | None, form: FormState | None, status: int = 200
) -> Response:
    def build(session: Session, staff: Staff) -> dict[str, Any]:
        service = projects.get_project(session, service_id) if service_id else None
        if form is not None:
            state = form
        elif service is None:
            state = FormState(values=_shown(setup.new_values(session)))
        else:
            state = FormState(values=_shown(setup.current_values(session, service)))
        members = projects.list_members(session, project_id=service_id) if service_id else []
        return {
            "service": service,
            "form": state,
            "members": members,
            "next_number": _next_number(request, session, service_id),
            "steps": range(1, setup.MAX_STEPS + 1),
            "weekdays": queue_week.rows(page_lang(request)),
            **_rights(staff),
        }

    try:
        return page(request, "office/services_card.html", build, status=status)
    except DomainError as error:
        return _missing(request, error)


def _next_number(request: Request, session: Session, service_id: int | None) -> str | None:
    if service_id is None:
        return None
    today = hub_of(request).today()
    return numbering.peek_next(session, doc_type=NUMBER_DOC, on=today, project_id=service_id)


def _missing(request: Request, error: DomainError) -> Response:
    with hub_of(request).sessions() as session:
        staff = current_staff(request, session)
    if staff is None:
        return to_login(request)
    return render(
        request,
        "office/services_missing.html",
        {"staff": staff, "error": error},
        status=error.status,
    )


@router.get("/services/new", response_model=None)
def new_service(request: Request) -> Response:
    """An empty service card."""
    return _card(request, None, None)


@router.get("/services/{service_id:int}", response_model=None)
def service_card(request: Request, service_id: int) -> Response:
    """A service's card with its work group."""
    return _card(request, service_id, None)


def _in_form_order(errors: dict[str, str]) -> dict[str, str]:
    """The messages in the order of their fields on the card (the form's own last)."""
    place = {name: index for index, name in enumerate(FIELD_ORDER)}
    return dict(sorted(errors.items(), key=lambda item: place.get(item[0], len(place))))


def _problems(
    lang: str, typed: dict[str, Any], parsed: ServiceForm | None, days: tuple[DayHours, ...]
) -> dict[str, str]:
    """The domain's rules (each day's hours, the slot rule) over what of the card could be read,
    each message beside its field."""
    errors: dict[str, str] = {}
    if parsed is None:
        found: Iterable[Invalid] = hours.problems(days)
    else:
        found = setup.problems(parsed.values(days))
    for problem in found:
        if problem.code == "hours_no_open_day" and queue_week.ticked(typed):
            continue  # a day was ticked, its times are what is wrong
        for name, message in _refused(lang, problem, typed).errors.items():
            errors.setdefault(name, message)
    return errors


def _save(request: Request, service_id: int | None, data: FormData) -> Response:
    lang = page_lang(request)
    typed = _typed(data)
    days, errors = queue_week.read(lang, typed)
    parsed: ServiceForm | None = None
    try:
        parsed = ServiceForm.model_validate(typed)
    except ValidationError as exc:
        errors = invalid(lang, exc, typed).errors | errors
    errors = _problems(lang, typed, parsed, days) | errors
    if errors or parsed is None:
        state = FormState(values=typed, errors=_in_form_order(errors))
        return _card(request, service_id, state, status=422)
    values = parsed.values(days)

    def change(session: Session, staff: Staff) -> str:
        saved = setup.save_service(
            session,
            profile=staff.profile,
            service_id=service_id,
            values=values,
            shown=str(data.get("fp") or "") or None,
            today=hub_of(request).today(),
            lang=lang,
        )
        return f"/office/services/{saved.id}?saved=1"

    def failed(_message: str, error: DomainError) -> Response:
        return _card(request, service_id, _refused(lang, error, typed), status=error.status)

    return act(request, str(data.get("csrf") or ""), change, failed=failed)


@router.post("/services/new", response_model=None)
def create_service(request: Request, data: Posted) -> Response:
    """Create a service from its card."""
    return _save(request, None, data)


@router.post("/services/{service_id:int}", response_model=None)
def change_service(request: Request, service_id: int, data: Posted) -> Response:
    """Save a service's card (refused whole if anything is wrong or it changed meanwhile)."""
    return _save(request, service_id, data)


def _member_action(
    request: Request,
    service_id: int,
    csrf: str | None,
    change: Callable[[Session, Staff], None],
) -> Response:
    lang = page_lang(request)

    def run(session: Session, staff: Staff) -> str:
        change(session, staff)
        return f"/office/services/{service_id}#members"

    def failed(_message: str, error: DomainError) -> Response:
        message = _refused(lang, error, {}).errors
        state = FormState(errors={"member": next(iter(message.values()))})
        return _member_failed(request, service_id, state, error.status)

    return act(request, csrf, run, failed=failed)


def _member_failed(request: Request, service_id: int, state: FormState, status: int) -> Response:
    def build(session: Session, staff: Staff) -> dict[str, Any]:
        service = projects.get_project(session, service_id)
        return {
            "service": service,
            "form": FormState(values=_shown(setup.current_values(session, service))),
            "member_form": state,
            "members": projects.list_members(session, project_id=service_id),
            "next_number": _next_number(request, session, service_id),
            "steps": range(1, setup.MAX_STEPS + 1),
            "weekdays": queue_week.rows(page_lang(request)),
            **_rights(staff),
        }

    return page(request, "office/services_card.html", build, status=status)


@router.post("/services/{service_id:int}/members", response_model=None)
def add_member(
    request: Request,
    service_id: int,
    csrf: Annotated[str | None, Form()] = None,
    user_id: Annotated[str | None, Form()] = None,
    member: Annotated[str | None, Form()] = None,
) -> Response:
    """Put a user into the work group, chosen in the picker (F3) or typed by login."""

    def change(session: Session, staff: Staff) -> None:
        chosen = int(user_id) if user_id and user_id.isdigit() else None
        if chosen is None:
            found = users.find_user(session, (member or "").strip())
            if found is None:
                raise Invalid("qs_member_unknown", field="member", name=(member or "")[:100])
            chosen = found.id
        projects.add_member(session, profile=staff.profile, project_id=service_id, user_id=chosen)

    return _member_action(request, service_id, csrf, change)


@router.post("/services/{service_id:int}/members/{user_id:int}/remove", response_model=None)
def remove_member(
    request: Request, service_id: int, user_id: int, csrf: Annotated[str | None, Form()] = None
) -> Response:
    """Take a user out of the work group."""

    def change(session: Session, staff: Staff) -> None:
        projects.remove_member(
            session, profile=staff.profile, project_id=service_id, user_id=user_id
        )

    return _member_action(request, service_id, csrf, change)


@router.post("/services/{service_id:int}/delete", response_model=None)
def delete_service(
    request: Request, service_id: int, csrf: Annotated[str | None, Form()] = None
) -> Response:
    """Delete a service that has no tickets, events or tasks yet."""

    def change(session: Session, staff: Staff) -> str:
        projects.delete_project(
            session, profile=staff.profile, project_id=service_id, files=hub_of(request).files
        )
        return "/office/services?deleted=1"

    def failed(message: str, error: DomainError) -> Response:
        def build(_session: Session, staff: Staff) -> dict[str, Any]:
            return {
                "rows": [],
                "q": "",
                "queue": "on",
                "later": None,
                "paged": False,
                "refusal": message,
                **_rights(staff),
            }

        return page(request, "office/services.html", build, status=error.status)

    return act(request, csrf, change, failed=failed)


@router.get("/services/users", response_model=None)
def user_picker(request: Request, q: str = "") -> Response:
    """The work group's picker: active users of the CRM whose login or name has ``q``."""
    needle = q.strip().casefold()[:100]

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        chosen = []
        for user in users.list_users(session, only_crm=True):
            name = user.employee.full_name if user.employee is not None else ""
            if needle in user.username.casefold() or needle in name.casefold():
                chosen.append((user.id, user.username, name))
            if len(chosen) >= PICKER_SIZE:
                break
        return {"choices": chosen}

    return page(request, "office/services_picker.html", build)


@router.get("/operators", response_model=None)
def operators(request: Request) -> Response:
    """Each window's panel and who is logged in there, the operators at work, the work groups."""
    site = hub_of(request).settings.site

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        return {
            "windows": staffing.windows(session, site=site),
            "present": staffing.at_work(session),
            "groups": staffing.work_groups(session),
            "may_change": staff.profile.can(Action.CHANGE, DocType.PROJECT),
        }

    return page(request, "office/operators.html", build)
