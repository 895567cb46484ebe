"""Global parameters of the Settings module (SET-8, SET-10..SET-12)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from hub.api.deps import CrmUser, Principal, SessionDep, requires_settings
from hub.services.access import Action, SettingsTab
from hub.services.parameters import GlobalParameters, get_global, update_global

router = APIRouter(prefix="/api/v1/parameters", tags=["parameters"])


@router.get("", summary="Global parameters")
def read_parameters(session: SessionDep, principal: CrmUser) -> GlobalParameters:
    """Every global parameter with its current value."""
    return get_global(session)


@router.patch("", summary="Change global parameters")
def change_parameters(
    session: SessionDep,
    principal: Annotated[
        Principal, Depends(requires_settings(Action.CHANGE, SettingsTab.PARAMETERS))
    ],
    body: GlobalParameters,
) -> GlobalParameters:
    """Change only the parameters sent; all are validated before any is stored."""
    return update_global(session, body.model_dump(exclude_unset=True))
