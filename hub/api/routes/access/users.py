"""Users and their employee records, parameters (SET-9) and API keys."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from hub.api.deps import (
    CrmUser,
    HubDep,
    Principal,
    SelfOrAdmin,
    SessionDep,
    requires,
    requires_settings,
    self_or_tab,
)
from hub.api.schemas.common import PathId
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
from hub.db.models import User
from hub.services.access import rights as access
from hub.services.access import users
from hub.services.access.rights import Action, DocType, SettingsTab
from hub.services.settings.parameters import (
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


def _guard_powerful(principal: Principal, user: User) -> None:
    """Only an administrator may change or disable an administrator or another full-access user.

    Otherwise the right to change users would let anyone reset such a user's password and
    take over rights they were never given.
    """
    if user.is_admin or (user.full_access and user.id != principal.user.id):
        access.require_admin(principal.profile)


@router.get("/{user_id:int}", summary="One user")
def get_user(session: SessionDep, principal: CrmUser, user_id: PathId) -> UserRead:
    """A user by id."""
    return user_view(users.get_user(session, user_id))


@router.patch("/{user_id:int}", summary="Change a user")
def update_user(
    hub: HubDep,
    session: SessionDep,
    principal: Annotated[Principal, Depends(requires(Action.CHANGE, DocType.USER))],
    user_id: PathId,
    body: UserUpdate,
) -> UserRead:
    """Change a user's employee record, password, language or flags."""
    user = users.get_user(session, user_id)
    changes = body.model_dump(exclude_unset=True)
    if "is_admin" in changes:
        access.require_admin(principal.profile)
    _guard_powerful(principal, user)
    users.update_user(session, hasher=hub.hasher, user=user, changes=changes)
    return user_view(user)


@router.delete("/{user_id:int}", status_code=204, summary="Disable a user")
def delete_user(
    session: SessionDep,
    principal: Annotated[Principal, Depends(requires(Action.DELETE, DocType.USER))],
    user_id: PathId,
) -> Response:
    """Disable the account and end its sessions; its history stays."""
    user = users.get_user(session, user_id)
    _guard_powerful(principal, user)
    users.disable_user(session, user)
    return Response(status_code=204)


def _parameters_view(params: UserParameters) -> UserParametersRead:
    return UserParametersRead(
        sip_password_set=bool(params.sip_password),
        values=params.model_dump(exclude=set(SECRET_USER_PARAMETERS)),
    )


@router.get("/{user_id:int}/parameters", summary="A user's parameters (SET-9)")
def read_parameters(
    session: SessionDep,
    principal: Annotated[Principal, Depends(self_or_tab(SettingsTab.USERS))],
    user_id: PathId,
) -> UserParametersRead:
    """Users see their own parameters; others need the Parameters / Users tab."""
    users.get_user(session, user_id)
    return _parameters_view(get_user_parameters(session, user_id))


@router.patch("/{user_id:int}/parameters", summary="Change a user's parameters (SET-9)")
def change_parameters(
    session: SessionDep,
    principal: Annotated[Principal, Depends(requires_settings(Action.CHANGE, SettingsTab.USERS))],
    user_id: PathId,
    body: UserParametersPatch,
) -> UserParametersRead:
    """Change only the parameters sent; all are validated before any is stored."""
    users.get_user(session, user_id)
    params = update_user_parameters(session, user_id, body.model_dump(exclude_unset=True))
    return _parameters_view(params)


@router.get("/{user_id:int}/api-keys", summary="A user's API keys")
def list_api_keys(session: SessionDep, principal: SelfOrAdmin, user_id: PathId) -> list[ApiKeyRead]:
    """Keys of the user (their own, or any user's for an administrator)."""
    return [ApiKeyRead.model_validate(key) for key in users.list_api_keys(session, user_id=user_id)]


@router.post("/{user_id:int}/api-keys", status_code=201, summary="Create an API key")
def create_api_key(
    session: SessionDep, principal: SelfOrAdmin, user_id: PathId, body: ApiKeyCreate
) -> ApiKeyCreated:
    """A key that acts as the user; it is shown only in this reply."""
    owner = users.get_user(session, user_id)
    key, plain = users.create_api_key(session, user=owner, name=body.name)
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=plain)


@router.delete("/{user_id:int}/api-keys/{key_id:int}", status_code=204, summary="Revoke an API key")
def revoke_api_key(
    session: SessionDep, principal: SelfOrAdmin, user_id: PathId, key_id: PathId
) -> Response:
    """The key stops working at once."""
    users.revoke_api_key(session, user_id=user_id, key_id=key_id)
    return Response(status_code=204)
