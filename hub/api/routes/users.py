"""Users and their employee records, parameters (SET-9) and API keys."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires, requires_settings
from hub.api.schemas.users import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    UserCreate,
    UserParametersPatch,
    UserParametersRead,
    UserRead,
    UserUpdate,
)
from hub.api.views import user_view
from hub.errors import AccessDenied
from hub.services import access, users
from hub.services.access import Action, DocType, SettingsTab
from hub.services.parameters import (
    SECRET_USER_PARAMETERS,
    UserParameters,
    get_user_parameters,
    update_user_parameters,
)

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("", summary="List users (ACC-6: all, or only those with access to this system)")
def list_users(
    session: SessionDep,
    principal: CrmUser,
    scope: Annotated[Literal["all", "crm"], Query(description="all users, or crm only")] = "all",
) -> list[UserRead]:
    """Users in username order."""
    return [user_view(user) for user in users.list_users(session, only_crm=scope == "crm")]


@router.post("", status_code=201, summary="Create a user")
def create_user(
    hub: HubDep,
    session: SessionDep,
    principal: Annotated[Principal, Depends(requires(Action.CREATE, DocType.USER))],
    body: UserCreate,
) -> UserRead:
    """Create a user with an employee record; only an administrator may create administrators."""
    if body.is_admin:
        access.require_admin(principal.profile)
    employee = users.EmployeeData(**body.employee.model_dump()) if body.employee else None
    user = users.create_user(
        session,
        hasher=hub.hasher,
        username=body.username,
        password=body.password,
        employee=employee,
        is_admin=body.is_admin,
        crm_access=body.crm_access,
        lang=body.lang,
    )
    return user_view(user)


@router.get("/{user_id}", summary="One user")
def get_user(session: SessionDep, principal: CrmUser, user_id: int) -> UserRead:
    """A user by id."""
    return user_view(users.get_user(session, user_id))


@router.patch("/{user_id}", summary="Change a user")
def update_user(
    hub: HubDep,
    session: SessionDep,
    principal: Annotated[Principal, Depends(requires(Action.CHANGE, DocType.USER))],
    user_id: int,
    body: UserUpdate,
) -> UserRead:
    """Change a user's employee record, password, language or flags."""
    user = users.get_user(session, user_id)
    changes = body.model_dump(exclude_unset=True)
    if "is_admin" in changes or user.is_admin:
        access.require_admin(principal.profile)
    users.update_user(session, hasher=hub.hasher, user=user, changes=changes)
    return user_view(user)


@router.delete("/{user_id}", status_code=204, summary="Disable a user")
def delete_user(
    session: SessionDep,
    principal: Annotated[Principal, Depends(requires(Action.DELETE, DocType.USER))],
    user_id: int,
) -> Response:
    """Disable the account and end its sessions; its history stays."""
    user = users.get_user(session, user_id)
    if user.is_admin:
        access.require_admin(principal.profile)
    users.disable_user(session, user)
    return Response(status_code=204)


def _parameters_view(params: UserParameters) -> UserParametersRead:
    return UserParametersRead(
        sip_password_set=bool(params.sip_password),
        values=params.model_dump(exclude=set(SECRET_USER_PARAMETERS)),
    )


@router.get("/{user_id}/parameters", summary="A user's parameters (SET-9)")
def read_parameters(session: SessionDep, principal: CrmUser, user_id: int) -> UserParametersRead:
    """Users see their own parameters; others need the Parameters / Users tab."""
    if user_id != principal.user.id:
        access.require_tab(principal.profile, SettingsTab.USERS, principal.lang)
    users.get_user(session, user_id)
    return _parameters_view(get_user_parameters(session, user_id))


@router.patch("/{user_id}/parameters", summary="Change a user's parameters (SET-9)")
def change_parameters(
    session: SessionDep,
    principal: Annotated[
        Principal, Depends(requires_settings(Action.CHANGE, SettingsTab.USERS))
    ],
    user_id: int,
    body: UserParametersPatch,
) -> UserParametersRead:
    """Change only the parameters sent; all are validated before any is stored."""
    users.get_user(session, user_id)
    params = update_user_parameters(session, user_id, body.model_dump(exclude_unset=True))
    return _parameters_view(params)


def _self_or_admin(principal: Principal, user_id: int) -> None:
    if principal.user.id != user_id and not principal.profile.is_admin:
        raise AccessDenied("admin_required", right="admin")


@router.get("/{user_id}/api-keys", summary="A user's API keys")
def list_api_keys(session: SessionDep, principal: CrmUser, user_id: int) -> list[ApiKeyRead]:
    """Keys of the user (their own, or any user's for an administrator)."""
    _self_or_admin(principal, user_id)
    return [ApiKeyRead.model_validate(key) for key in users.list_api_keys(session, user_id=user_id)]


@router.post("/{user_id}/api-keys", status_code=201, summary="Create an API key")
def create_api_key(
    session: SessionDep, principal: CrmUser, user_id: int, body: ApiKeyCreate
) -> ApiKeyCreated:
    """A key that acts as the user; it is shown only in this reply."""
    _self_or_admin(principal, user_id)
    key, plain = users.create_api_key(session, user=users.get_user(session, user_id), name=body.name)
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=plain)


@router.delete("/{user_id}/api-keys/{key_id}", status_code=204, summary="Revoke an API key")
def revoke_api_key(session: SessionDep, principal: CrmUser, user_id: int, key_id: int) -> Response:
    """The key stops working at once."""
    _self_or_admin(principal, user_id)
    users.revoke_api_key(session, user_id=user_id, key_id=key_id)
    return Response(status_code=204)
