"""Typed dependencies shared by the routes: the session, the caller and the access checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.db.models import User
from hub.errors import AccessDenied, Unauthenticated
from hub.i18n import normalise_language
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action, DocType, SettingsTab
from hub.services.access.users import user_for_secret

TOKEN_URL = "/api/v1/auth/token"

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An integration's API key")


def get_hub(request: Request) -> Hub:
    """The hub this app was built with."""
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def get_session(hub: HubDep) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    with hub.sessions() as session, session.begin():
        yield session


# scope="function": commit before the reply is sent, so a failed commit is never answered 200.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller and their rights."""

    user: User
    profile: AccessProfile
    lang: str
    secret: str


def get_principal(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The caller behind the bearer token or API key; 401 without valid credentials."""
    secret = api_key or token
    if not secret:
        raise Unauthenticated("not_authenticated")
    user = user_for_secret(session, secret)
    lang = normalise_language(user.lang)
    request.state.lang = lang
    return Principal(
        user=user, profile=access.load_profile(session, user), lang=lang, secret=secret
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_crm_user(principal: PrincipalDep) -> Principal:
    """A caller who has access to the customer-relations system (ACC-6)."""
    profile = principal.profile
    if not (profile.crm_access or profile.unrestricted):
        raise AccessDenied("no_crm_access", right="crm")
    return principal


CrmUser = Annotated[Principal, Depends(get_crm_user)]


def requires(action: Action, doc_type: DocType) -> Callable[[Principal], Principal]:
    """A dependency that lets the request through only with the right ``action`` on ``doc_type``."""

    def check(principal: CrmUser) -> Principal:
        access.require(principal.profile, action, doc_type)
        return principal

    return check


def requires_settings(action: Action, tab: SettingsTab) -> Callable[[Principal], Principal]:
    """A dependency for changes under a settings tab: the tab must be visible and the right held."""

    def check(principal: CrmUser) -> Principal:
        access.require_settings_change(principal.profile, tab, action, principal.lang)
        return principal

    return check


def get_self_or_admin(principal: CrmUser, user_id: int) -> Principal:
    """A caller acting on their own account (the path's ``user_id``), or an administrator."""
    access.require_self_or_admin(principal.profile, user_id)
    return principal


SelfOrAdmin = Annotated[Principal, Depends(get_self_or_admin)]


def self_or_tab(tab: SettingsTab) -> Callable[[Principal, int], Principal]:
    """A dependency for reading a user's settings: one's own, or anyone's with the tab visible."""

    def check(principal: CrmUser, user_id: int) -> Principal:
        access.require_tab_unless_self(principal.profile, user_id, tab, principal.lang)
        return principal

    return check


def get_admin(principal: CrmUser) -> Principal:
    """An administrator."""
    access.require_admin(principal.profile)
    return principal


AdminUser = Annotated[Principal, Depends(get_admin)]
