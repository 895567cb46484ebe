"""Users, their employee records, logins, tokens and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import ApiKey, AuthToken, Employee, User
from hub.errors import Conflict, Invalid, NotFound, Unauthenticated
from hub.services.common.security import (
    API_KEY_PREFIX,
    MIN_PASSWORD_LENGTH,
    Hasher,
    digest,
    new_api_key,
    new_token,
)


@dataclass(frozen=True)
class EmployeeData:
    """The employee record a user is linked to."""

    full_name: str
    email: str | None = None
    phone: str | None = None
    sip_number: str | None = None
    position: str | None = None


def check_password_rules(password: str, *, field: str = "password") -> None:
    """Refuse passwords that are too short; ``field`` names the input that held it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("password_too_short", min=MIN_PASSWORD_LENGTH, field=field)


def get_user(session: Session, user_id: int) -> User:
    """The user with ``user_id``, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("not_found", what=f"user {user_id}")
    return user


def find_user(session: Session, username: str) -> User | None:
    """The user with this username (case-insensitive), if any."""
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def create_user(
    session: Session,
    *,
    hasher: Hasher,
    username: str,
    password: str | None,
    employee: EmployeeData | None = None,
    is_admin: bool = False,
    crm_access: bool = True,
    lang: str = "uk",
) -> User:
    """Create a user (and its employee record); the password is stored only as a hash."""
    if find_user(session, username) is not None:
        raise Conflict("duplicate_username", username=username)
    if password is not None:
        check_password_rules(password)
    user = User(
        username=username,
        password_hash=hasher.hash(password) if password is not None else None,
        is_admin=is_admin,
        crm_access=crm_access,
        lang=lang,
    )
    if employee is not None:
        user.employee = Employee(**employee.__dict__)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("duplicate_username", username=username) from None
    return user


def set_password(
    session: Session, *, hasher: Hasher, user: User, password: str, field: str = "password"
) -> None:
    """Replace a user's password and end all their sessions."""
    check_password_rules(password, field=field)
    user.password_hash = hasher.hash(password)
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    session.flush()


def change_own_password(
    session: Session, *, hasher: Hasher, user: User, current: str, new: str
) -> None:
    """Change one's own password after proving the current one."""
    if not hasher.verify(user.password_hash, current):
        raise Invalid("wrong_current_password", field="current_password")
    set_password(session, hasher=hasher, user=user, password=new, field="new_password")


def active_admin_count(session: Session) -> int:
    """How many enabled administrators there are."""
    count = session.scalar(
        select(func.count()).select_from(User).where(User.is_admin, User.is_active)
    )
    return int(count or 0)


def guard_last_admin(session: Session, user: User, *, is_admin: bool, is_active: bool) -> None:
    """Refuse to disable or demote the last active administrator.

    The active administrators' rows stay locked until the transaction ends, so two demotions
    running at once on PostgreSQL cannot each see the other administrator and leave none
    (SQLite takes the write lock at BEGIN, which serialises them anyway).
    """
    demoted = user.is_admin and user.is_active and not (is_admin and is_active)
    if not demoted:
        return
    admins = session.scalars(
        select(User.id).where(User.is_admin, User.is_active).order_by(User.id).with_for_update()
    ).all()
    if len(admins) <= 1:
        raise Conflict("last_admin")


def authenticate(session: Session, *, hasher: Hasher, username: str, password: str) -> User:
    """The user whose username and password match, or Unauthenticated."""
    user = find_user(session, username)
    if not hasher.verify(user.password_hash if user else None, password) or user is None:
        raise Unauthenticated("bad_credentials")
    if not user.is_active:
        raise Unauthenticated("user_inactive")
    if user.password_hash and hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def issue_token(
    session: Session, *, user: User, ttl: timedelta, now: datetime | None = None
) -> str:
    """A new bearer token for ``user``; only its digest is stored."""
    now = now or utcnow()
    token = new_token()
    session.add(
        AuthToken(user_id=user.id, token_hash=digest(token), created_at=now, expires_at=now + ttl)
    )
    # Expired tokens are useless: clear them out while we are writing anyway.
    session.execute(delete(AuthToken).where(AuthToken.expires_at < now))
    session.flush()
    return token


def logout(session: Session, secret: str) -> None:
    """End a login session; an API key cannot log out (revoke it instead)."""
    if session.scalar(select(ApiKey.id).where(ApiKey.key_hash == digest(secret))) is not None:
        raise Invalid("api_key_logout")
    revoke_token(session, secret)


def revoke_token(session: Session, token: str) -> None:
    """End the session behind ``token``."""
    session.execute(delete(AuthToken).where(AuthToken.token_hash == digest(token)))


def user_for_secret(session: Session, secret: str, now: datetime | None = None) -> User:
    """The active user behind a bearer token or an API key, or Unauthenticated."""
    now = now or utcnow()
    hashed = digest(secret)
    user: User | None = None
    key = (
        session.scalar(select(ApiKey).where(ApiKey.key_hash == hashed))
        if secret.startswith(API_KEY_PREFIX)
        else None
    )
    if key is not None:
        user = session.get(User, key.user_id) if key.revoked_at is None else None
    else:
        # A random login token may happen to begin with the API key prefix too.
        token = session.scalar(select(AuthToken).where(AuthToken.token_hash == hashed))
        user = session.get(User, token.user_id) if token and token.expires_at > now else None
    if user is None:
        raise Unauthenticated("token_invalid")
    if not user.is_active:
        raise Unauthenticated("user_inactive")
    return user


def create_api_key(session: Session, *, user: User, name: str) -> tuple[ApiKey, str]:
    """A new API key acting as ``user``; the plain key is returned once and never stored."""
    plain = new_api_key()
    key = ApiKey(
        user_id=user.id,
        name=name,
        prefix=plain[: len(API_KEY_PREFIX) + 6],
        key_hash=digest(plain),
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    return key, plain


def list_api_keys(session: Session, *, user_id: int) -> list[ApiKey]:
    """A user's API keys, newest first."""
    return list(
        session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id.desc()))
    )


def revoke_api_key(session: Session, *, user_id: int, key_id: int) -> ApiKey:
    """Revoke one of a user's API keys."""
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != user_id:
        raise NotFound("not_found", what=f"API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    session.flush()
    return key


def list_users(session: Session, *, only_crm: bool = False) -> list[User]:
    """All users, or only the active ones with access to this system (ACC-6)."""
    query = select(User).order_by(User.username)
    if only_crm:
        query = query.where(User.is_active, User.crm_access | User.full_access | User.is_admin)
    return list(session.scalars(query))


def end_sessions(session: Session, user: User) -> None:
    """Revoke every login token of ``user``."""
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))


def update_user(
    session: Session,
    *,
    hasher: Hasher,
    user: User,
    changes: dict[str, Any],
) -> User:
    """Apply changes to a user: flags, language, password and employee record fields."""
    guard_last_admin(
        session,
        user,
        is_admin=changes.get("is_admin", user.is_admin) is not False,
        is_active=changes.get("is_active", user.is_active) is not False,
    )
    for field in ("is_active", "is_admin", "crm_access", "lang"):
        if changes.get(field) is not None:
            setattr(user, field, changes[field])
    employee_changes = {k: v for k, v in (changes.get("employee") or {}).items()}
    if employee_changes:
        if user.employee is None:
            user.employee = Employee(full_name=employee_changes.get("full_name") or user.username)
        for field, value in employee_changes.items():
            if field != "full_name" or value is not None:
                setattr(user.employee, field, value)
    if changes.get("password") is not None:
        set_password(session, hasher=hasher, user=user, password=changes["password"])
    if not user.is_active:
        end_sessions(session, user)
    session.flush()
    return user


def disable_user(session: Session, user: User) -> None:
    """Disable an account and end its sessions; users are never erased, their history stays."""
    guard_last_admin(session, user, is_admin=user.is_admin, is_active=False)
    user.is_active = False
    end_sessions(session, user)
    session.flush()
