"""One user's parameters (SET-9) read and changed under the rights of the API's
``/users/{id}/parameters``, for every interface that shows them.

Reading: one's own parameters always, anyone's with the Parameters / Users settings tab (ACC-4).
Changing anyone's, one's own included: that tab and the settings right to change (ACC-1). The
SIP password is write-only: it is never given back (only whether one is set), a change without
it keeps it, and it is removed only when asked to. A change is refused when the parameters were
changed since they were shown (``hub.services.common.edits``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from hub.db.models import User
from hub.errors import Invalid
from hub.services.access import rights as access
from hub.services.access import users
from hub.services.access.rights import AccessProfile, Action, DocType, SettingsTab
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.settings.parameters import (
    SECRET_USER_PARAMETERS,
    UserParameters,
    get_user_parameters,
    update_user_parameters,
)

SHOWN = tuple(sorted(set(UserParameters.model_fields) - SECRET_USER_PARAMETERS))
"""Every parameter but the secrets: what a version covers unless a form shows fewer."""


def may_read(profile: AccessProfile, user_id: int) -> bool:
    """What ``read`` allows, asked without raising."""
    return profile.user_id == user_id or profile.sees_tab(SettingsTab.USERS)


def may_change(profile: AccessProfile) -> bool:
    """What ``change`` allows, asked without raising (the same for every user)."""
    return profile.sees_tab(SettingsTab.USERS) and profile.can(Action.CHANGE, DocType.SETTINGS)


def version(params: UserParameters, fields: Sequence[str] = SHOWN) -> str:
    """A fingerprint of the ``fields`` shown, for ``change`` to see whether they moved on."""
    return fingerprint(params, fields)


def secrets_set(params: UserParameters) -> frozenset[str]:
    """Which secret parameters hold a value (their values are never shown)."""
    return frozenset(name for name in SECRET_USER_PARAMETERS if getattr(params, name))


def read(
    session: Session, *, profile: AccessProfile, user_id: int, lang: str = "uk"
) -> tuple[User, UserParameters]:
    """The user and their parameters; AccessDenied for another's without the Users tab,
    NotFound for no such user."""
    access.require_tab_unless_self(profile, user_id, SettingsTab.USERS, lang)
    user = users.get_user(session, user_id)
    return user, get_user_parameters(session, user_id)


def change(
    session: Session,
    *,
    profile: AccessProfile,
    user_id: int,
    changes: Mapping[str, Any],
    clear: Collection[str] = (),
    shown: str | None = None,
    fields: Sequence[str] = SHOWN,
    lang: str = "uk",
) -> UserParameters:
    """Store changed parameters of a user; ``clear`` names secrets to remove, ``shown`` is the
    ``version`` of ``fields`` the change was made on (refused with ``edit_conflict`` if they
    moved on meanwhile)."""
    access.require_settings_change(profile, SettingsTab.USERS, Action.CHANGE, lang)
    user = users.get_user(session, user_id)
    values = dict(changes)
    for name in clear:
        if name not in SECRET_USER_PARAMETERS:
            raise Invalid("unknown_parameter", key=name)
        if values.get(name):
            raise Invalid("secret_set_and_cleared", field=name)
        values[name] = None
    if shown is not None:
        name = user.employee.full_name if user.employee else user.username
        check_unchanged(get_user_parameters(session, user_id), fields, shown, what=f"«{name}»")
    return update_user_parameters(session, user_id, values)
