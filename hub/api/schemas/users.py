"""Schemas of users, employees, API keys, access rights and parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import EmailStr, Field, StringConstraints

from hub.api.schemas.common import Input, Lang, Lax, Name, Output
from hub.services.access.rights import DocType, SettingsTab
from hub.services.settings.parameters import UserParameters

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w.@-]+$"),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=32, pattern=r"^\+?[0-9 ()-]{2,32}$")
]
SipNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=64, pattern=r"^[\w.+*#-]+$")
]


class EmployeeIn(Input):
    """The employee record of a user."""

    full_name: Name
    email: EmailStr | None = None
    phone: Phone | None = None
    sip_number: SipNumber | None = None
    position: Name | None = None


class EmployeePatch(Input):
    """Changes to an employee record."""

    full_name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    sip_number: SipNumber | None = None
    position: Name | None = None


class EmployeeRead(Output):
    """An employee record."""

    id: int
    full_name: str
    email: str | None
    phone: str | None
    sip_number: str | None
    position: str | None


class UserCreate(Input):
    """A new user."""

    username: Username
    password: Password
    employee: EmployeeIn | None = None
    is_admin: bool = False
    crm_access: bool = True
    lang: Lang = "uk"


class UserUpdate(Input):
    """Changes to a user."""

    password: Password | None = None
    employee: EmployeePatch | None = None
    is_active: bool | None = None
    is_admin: bool | None = None
    crm_access: bool | None = None
    lang: Lang | None = None


class UserRead(Output):
    """A user as the API shows it (never a password or its hash)."""

    id: int
    username: str
    is_active: bool
    is_admin: bool
    crm_access: bool
    full_access: bool
    deny_task_status_change: bool
    lang: str
    employee: EmployeeRead | None
    created_at: datetime


class MeUpdate(Input):
    """What a user may change about themselves."""

    lang: Lang


class PasswordChange(Input):
    """Change one's own password."""

    current_password: Password
    new_password: Password


class TokenReply(Output):
    """The OAuth2 token reply."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int


class ApiKeyCreate(Input):
    """A new API key."""

    name: Name


class ApiKeyRead(Output):
    """An API key, without the key itself."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    """A new API key: the only time the key itself is shown."""

    key: str


class RightsIn(Input):
    """Create / change / delete flags."""

    create: bool = False
    change: bool = False
    delete: bool = False


class TabsIn(Input):
    """The settings tabs a user sees; empty means all of them."""

    tabs: list[Annotated[SettingsTab, Lax]] = Field(
        default_factory=list, max_length=len(SettingsTab)
    )


class ProhibitionIn(Input):
    """ "Prohibit changing a task's status" (ACC-3)."""

    prohibited: bool


class AccessRead(Output):
    """A user's rights as stored, and what they add up to."""

    user_id: int
    is_admin: bool
    full_access: bool
    crm_access: bool
    deny_task_status_change: bool
    documents: dict[DocType, RightsIn]
    journals: dict[int, RightsIn]
    visible_tabs: list[SettingsTab]
    effective_tabs: list[SettingsTab]


class MeRead(UserRead):
    """The current user, with their rights."""

    access: AccessRead


class UserParametersRead(Output):
    """A user's parameters; the SIP password is never shown, only whether it is set."""

    sip_password_set: bool
    values: dict[str, Any]


UserParametersPatch = UserParameters
