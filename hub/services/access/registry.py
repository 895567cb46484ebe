"""The users' registry (ACC-6) a page at a time, and who may manage whom."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hub.db.models import Employee, User
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile
from hub.services.common.paging import DEFAULT_LIMIT, Page, SortKey, paginate

_KEYS = (SortKey(User.username), SortKey(User.id))


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def users_page(
    session: Session,
    *,
    only_crm: bool = False,
    search: str = "",
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[User]:
    """One page of users in username order: all, or only those with access to this system,
    found by a part of the username or the employee's name."""
    query = select(User)
    if only_crm:
        query = query.where(User.is_active, User.crm_access | User.full_access | User.is_admin)
    if search.strip():
        # SQLite's lower() folds ASCII only: a Cyrillic name is found in the case it was typed.
        pattern = _like(search.strip())
        query = query.outerjoin(Employee, User.employee_id == Employee.id).where(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(Employee.full_name).like(pattern, escape="\\"),
                Employee.full_name.like(f"%{search.strip()}%"),
            )
        )
    return paginate(session, query, _KEYS, cursor=cursor, limit=limit)


def may_manage(profile: AccessProfile, user: User) -> bool:
    """Whether ``profile`` may change or disable ``user`` beyond the document right: only an
    administrator may touch an administrator or another full-access user (otherwise the right
    to change users would let anyone reset such a user's password and take over their rights);
    the same rule as the API's user routes."""
    return profile.is_admin or not (
        user.is_admin or (user.full_access and user.id != profile.user_id)
    )


def require_may_manage(profile: AccessProfile, user: User) -> None:
    """AccessDenied unless ``may_manage``."""
    if not may_manage(profile, user):
        access.require_admin(profile)
