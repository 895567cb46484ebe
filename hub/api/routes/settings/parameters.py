"""Global parameters of the Settings module (SET-8, SET-10..SET-12)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from hub.api.deps import CrmUser, Principal, SessionDep
from hub.services.access import rights as access
from hub.services.access.rights import Action, SettingsTab
from hub.services.settings.parameters import (
    NOTIFICATION_PARAMETERS,
    GlobalParameters,
    get_global,
    update_global,
)

router = APIRouter(prefix="/api/v1/parameters", tags=["parameters"])


def parameter_tab(key: str) -> SettingsTab:
    """The settings tab a global parameter sits on: Notifications (SET-8) or Settings."""
    return SettingsTab.NOTIFICATIONS if key in NOTIFICATION_PARAMETERS else SettingsTab.PARAMETERS


def may_change_parameters(principal: CrmUser) -> Principal:
    """The settings change right and at least one of the two parameter tabs (ACC-1, ACC-4)."""
    profile = principal.profile
    tab = SettingsTab.PARAMETERS
    if not profile.sees_tab(tab) and profile.sees_tab(SettingsTab.NOTIFICATIONS):
        tab = SettingsTab.NOTIFICATIONS
    access.require_settings_change(profile, tab, Action.CHANGE, principal.lang)
    return principal


@router.get("", summary="Global parameters")
def read_parameters(session: SessionDep, principal: CrmUser) -> GlobalParameters:
    """Every global parameter with its current value."""
    return get_global(session)


@router.patch("", summary="Change global parameters")
def change_parameters(
    session: SessionDep,
    principal: Annotated[Principal, Depends(may_change_parameters)],
    body: GlobalParameters,
) -> GlobalParameters:
    """Change only the parameters sent; all are validated before any is stored.

    Each parameter needs the tab it sits on: the responsible-person type and task notifications
    the tab Parameters / Notifications, the others Parameters / Settings.
    """
    changes = body.model_dump(exclude_unset=True)
    for tab in sorted({parameter_tab(key) for key in changes}):
        access.require_settings_change(principal.profile, tab, Action.CHANGE, principal.lang)
    return update_global(session, changes)
