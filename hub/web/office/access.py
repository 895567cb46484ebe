"""Access control: the users' registry (ACC-6) and a user's card (employee data, access, admin).

The same rules as the API's user routes: creating, changing and disabling users need the user
document's rights; making someone an administrator, or touching an administrator or another
full-access user, needs an administrator. The rights grid is in ``access_rights``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hub.api.schemas.users import UserCreate, UserUpdate
from hub.db.models import User
from hub.errors import DomainError
from hub.services.access import registry, users
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.common.security import MIN_PASSWORD_LENGTH
from hub.web.common import page_lang, text
from hub.web.office import access_texts, nav  # noqa: F401 (registers the words)
from hub.web.office.forms import FormState, invalid, refused
from hub.web.office.session import Staff, act, with_query
from hub.web.office.settings_common import blank_to_none, one, sent, serve

router = APIRouter()
ROOT = "/office/access/users"
EMPLOYEE = ("full_name", "email", "phone", "sip_number", "position")
ACCOUNT = ("username", "is_active", "is_admin", "crm_access", "lang")
PAGE = 50


def sees_users(profile: AccessProfile) -> bool:
    """Administrators and those holding any right on users."""
    return profile.is_admin or nav.may_any(DocType.USER)(profile)


nav.add(nav.Section("access", ROOT, 85, sees_users))


def _require_users(profile: AccessProfile) -> None:
    if not sees_users(profile):
        access.require(profile, Action.CHANGE, DocType.USER)


def _view(user: User) -> SimpleNamespace:
    """A user's account and employee fields side by side, for the card and its fingerprint."""
    employee = user.employee
    values: dict[str, Any] = {name: getattr(user, name) for name in ACCOUNT}
    for name in EMPLOYEE:
        values[f"employee.{name}"] = getattr(employee, name) if employee else None
    return SimpleNamespace(**values)


FIELDS = (*ACCOUNT, *(f"employee.{name}" for name in EMPLOYEE))


def _print(user: User) -> str:
    return user.employee.full_name if user.employee else user.username


@router.get(ROOT, response_model=None)
def users_list(request: Request, scope: str = "all", q: str = "", cursor: str = "") -> Response:
    """Users a page at a time: all, or only those with access to the system (ACC-6)."""
    return _list_page(request, scope=scope, q=q, cursor=cursor)


def _list_page(
    request: Request,
    *,
    scope: str = "all",
    q: str = "",
    cursor: str = "",
    problem: str = "",
    status: int = 200,
) -> Response:
    scope = scope if scope in ("all", "crm") else "all"
    q = q.strip()[:100]

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        profile = staff.profile
        _require_users(profile)
        found = registry.users_page(
            session, only_crm=scope == "crm", search=q, cursor=cursor or None, limit=PAGE
        )
        may_delete = profile.can(Action.DELETE, DocType.USER)
        rows = [
            {
                "user": user,
                "name": _print(user),
                "may_disable": may_delete
                and user.is_active
                and user.id != staff.user_id
                and registry.may_manage(profile, user),
            }
            for user in found.items
        ]
        return {
            "rows": rows,
            "scope": scope,
            "q": q,
            "cursor": cursor,
            "next": with_query(ROOT, scope=scope, q=q, cursor=found.next_cursor)
            if found.next_cursor
            else "",
            "first": with_query(ROOT, scope=scope, q=q) if cursor else "",
            "problem": problem,
            "saved": request.query_params.get("saved") == "1",
            "may_create": profile.can(Action.CREATE, DocType.USER),
            "is_admin": profile.is_admin,
        }

    return serve(request, "office/users_list.html", build, status=status)


def _card(
    request: Request, user_id: int | None, form: FormState | None = None, *, status: int = 200
) -> Response:
    lang = page_lang(request)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        profile = staff.profile
        _require_users(profile)
        user = None
        if user_id is None:
            access.require(profile, Action.CREATE, DocType.USER)
            shown = form or FormState(values={"crm_access": True, "lang": "uk", "is_active": True})
            may_save = True
        else:
            user = users.get_user(session, user_id)
            view = _view(user)
            values = {name: getattr(view, name) for name in FIELDS}
            values = {k: "" if v is None else v for k, v in values.items()}
            values["fingerprint"] = fingerprint(view, FIELDS)
            shown = form or FormState(values=values)
            may_save = profile.can(Action.CHANGE, DocType.USER) and registry.may_manage(
                profile, user
            )
        return {
            "user": user,
            "title": _print(user) if user else "",
            "form": shown,
            "may_save": may_save,
            "is_admin": profile.is_admin,
            "guarded": user is not None and not registry.may_manage(profile, user),
            "password_hint": text(lang, "acc_password_new_hint", min=MIN_PASSWORD_LENGTH),
        }

    return serve(request, "office/users_card.html", build, status=status)


@router.get(ROOT + "/new", response_model=None)
def new_user(request: Request) -> Response:
    """An empty card for a new user."""
    return _card(request, None)


@router.get(ROOT + "/{user_id:int}", response_model=None)
def user_card(request: Request, user_id: int) -> Response:
    """A user's card."""
    return _card(request, user_id)


def _typed(form: FormData) -> dict[str, Any]:
    """The card's fields as typed (never the password), to show again after a refusal."""
    typed: dict[str, Any] = {name: one(form, name) for name in FIELDS}
    for flag in ("is_active", "is_admin", "crm_access"):
        typed[flag] = sent(form, flag)
    typed["fingerprint"] = one(form, "fingerprint")
    return typed


def _body(form: FormData, *, creating: bool) -> dict[str, Any]:
    """The API's request body from the card's fields."""
    employee: dict[str, Any] = {"full_name": one(form, "employee.full_name")}
    for name in EMPLOYEE[1:]:
        employee[name] = blank_to_none(one(form, f"employee.{name}"))
    body: dict[str, Any] = {
        "employee": employee,
        "crm_access": sent(form, "crm_access"),
        "lang": one(form, "lang") or "uk",
    }
    password = one(form, "password")
    if creating:
        body["username"] = one(form, "username")
        body["password"] = password
    elif password:
        body["password"] = password
    if not creating:
        body["is_active"] = sent(form, "is_active")
    # The administrator's box is on the card only for administrators; a forged one is refused.
    if sent(form, "admin_field"):
        body["is_admin"] = sent(form, "is_admin")
    return body


@router.post(ROOT + "/new", response_model=None)
async def create_user(request: Request) -> Response:
    """Create a user; every wrong field is shown and nothing is stored."""
    form = await request.form()
    return await run_in_threadpool(_save, request, None, form)


@router.post(ROOT + "/{user_id:int}", response_model=None)
async def change_user(request: Request, user_id: int) -> Response:
    """Save a user's card, refused if someone changed the user since it was opened."""
    form = await request.form()
    return await run_in_threadpool(_save, request, user_id, form)


def _save(request: Request, user_id: int | None, form: FormData) -> Response:
    lang = page_lang(request)
    typed = _typed(form)
    creating = user_id is None
    body = _body(form, creating=creating)
    try:
        checked = (UserCreate if creating else UserUpdate).model_validate(body, strict=False)
    except ValidationError as error:
        return _card(request, user_id, invalid(lang, error, typed), status=422)
    data = checked.model_dump(exclude_unset=True)

    def change(session: Session, staff: Staff) -> str:
        profile = staff.profile
        hub_hasher = request.app.state.hub.hasher
        if user_id is None:
            access.require(profile, Action.CREATE, DocType.USER)
            if data.get("is_admin"):
                access.require_admin(profile)
            employee = users.EmployeeData(**data["employee"])
            users.create_user(
                session,
                hasher=hub_hasher,
                username=data["username"],
                password=data["password"],
                employee=employee,
                is_admin=bool(data.get("is_admin")),
                crm_access=data["crm_access"],
                lang=data["lang"],
            )
            return with_query(ROOT, saved=1)
        access.require(profile, Action.CHANGE, DocType.USER)
        if "is_admin" in data:
            access.require_admin(profile)
        user = users.get_user(session, user_id)
        registry.require_may_manage(profile, user)
        what = text(lang, "acc_what_user", name=user.username)
        check_unchanged(_view(user), FIELDS, one(form, "fingerprint") or "-", what=what)
        users.update_user(session, hasher=hub_hasher, user=user, changes=data)
        return with_query(ROOT, saved=1)

    def failed(_message: str, error: DomainError) -> Response:
        state = refused(lang, error, typed)
        if error.code == "duplicate_username":
            state.errors = {"username": _message}
        elif error.code == "password_too_short":
            state.errors = {"password": _message}
        return _card(request, user_id, state, status=error.status)

    return act(request, one(form, "csrf"), change, failed=failed)


@router.post(ROOT + "/{user_id:int}/disable", response_model=None)
async def disable_user(request: Request, user_id: int) -> Response:
    """Disable an account (users are never erased: their history stays)."""
    form = await request.form()
    return await run_in_threadpool(_disable, request, user_id, one(form, "csrf"))


def _disable(request: Request, user_id: int, csrf: str) -> Response:
    def change(session: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.DELETE, DocType.USER)
        user = users.get_user(session, user_id)
        registry.require_may_manage(staff.profile, user)
        users.disable_user(session, user)
        return with_query(ROOT, saved=1)

    def failed(message: str, error: DomainError) -> Response:
        return _list_page(request, problem=message, status=error.status)

    return act(request, csrf, change, failed=failed)
