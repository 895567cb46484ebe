"""Login (OAuth2 password flow), logout, and the current user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from hub.api.deps import HubDep, PrincipalDep, SessionDep
from hub.api.schemas.users import MeRead, MeUpdate, PasswordChange, TokenReply
from hub.api.views import access_view, user_view
from hub.db.base import utcnow
from hub.services.access import login_limits, users

router = APIRouter(prefix="/api/v1", tags=["auth"])


def _now(request: Request) -> datetime:
    # The app's clock if one is set (as the web pages and the public API do).
    clock = getattr(request.app.state, "clock", None) or utcnow
    moment: datetime = clock()
    return moment


@router.post(
    "/auth/token",
    summary="Log in and get a bearer token",
    responses={429: {"description": "Too many failed logins from this address or for this user"}},
)
def login(
    request: Request, hub: HubDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenReply:
    """Exchange a username and password for a bearer token (failed tries are limited)."""

    def attempt(session: Session) -> str:
        user = users.authenticate(
            session, hasher=hub.hasher, username=form.username, password=form.password
        )
        return users.issue_token(session, user=user, ttl=hub.token_ttl)

    token = login_limits.throttled(
        hub.sessions,
        _now(request),
        address=request.client.host if request.client else "unknown",
        username=form.username,
        attempt=attempt,
    )
    return TokenReply(access_token=token, expires_in=int(hub.token_ttl.total_seconds()))


@router.delete("/auth/token", status_code=204, summary="Log out: end this token's session")
def logout(session: SessionDep, principal: PrincipalDep) -> Response:
    """Revoke the token used for this request (an API key is revoked through its own route)."""
    users.logout(session, principal.secret)
    return Response(status_code=204)


@router.get("/me", summary="The current user and their rights")
def me(session: SessionDep, principal: PrincipalDep) -> MeRead:
    """Who is calling, with the rights they hold and the settings tabs they see."""
    return MeRead(**user_view(principal.user).model_dump(), access=access_view(principal.profile))


@router.patch("/me", summary="Change one's own language")
def update_me(session: SessionDep, principal: PrincipalDep, body: MeUpdate) -> MeRead:
    """Set the language of the user's messages."""
    user = session.merge(principal.user)
    user.lang = body.lang
    session.flush()
    return MeRead(**user_view(user).model_dump(), access=access_view(principal.profile))


@router.put("/me/password", status_code=204, summary="Change one's own password")
def change_password(
    hub: HubDep, session: SessionDep, principal: PrincipalDep, body: PasswordChange
) -> Response:
    """Change the password after proving the current one; every session of the user ends."""
    user = session.merge(principal.user)
    users.change_own_password(
        session, hasher=hub.hasher, user=user, current=body.current_password, new=body.new_password
    )
    return Response(status_code=204)
