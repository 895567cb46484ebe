"""The device registry as the back-office lists it: filtered and paged on the server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hub.db.models.devices import Device
from hub.services.common.paging import DEFAULT_LIMIT, Page, SortKey, paginate

DeviceState = Literal["online", "offline", "revoked", "active"]
STATES: tuple[str, ...] = ("active", "online", "offline", "revoked")


def find_devices(
    session: Session,
    *,
    site: str,
    role: str | None = None,
    state: str | None = None,
    search: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Device]:
    """The site's devices by role and id, of one role and state, whose id or name has ``search``."""
    query = select(Device).where(Device.site == site)
    if role:
        query = query.where(Device.role == role)
    if state == "revoked":
        query = query.where(Device.revoked_at.is_not(None))
    elif state in ("online", "offline", "active"):
        query = query.where(Device.revoked_at.is_(None))
        if state != "active":
            query = query.where(Device.online.is_(state == "online"))
    if search:
        needle = f"%{search.casefold()}%"
        query = query.where(
            or_(func.lower(Device.id).like(needle), func.lower(Device.name).like(needle))
        )
    keys = [SortKey(Device.role), SortKey(Device.id)]
    return paginate(session, query, keys, cursor=cursor, limit=limit)


def active_of_role(session: Session, *, site: str, role: str) -> Sequence[Device]:
    """The site's active devices of one role (the choices of a kiosk's printer, a panel's phone)."""
    return session.scalars(
        select(Device)
        .where(Device.site == site, Device.role == role, Device.revoked_at.is_(None))
        .order_by(Device.id)
    ).all()
