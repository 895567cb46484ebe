"""Who serves the queue now: each window's panel and the operator logged in there, and each
service's work group (Q-1, SET-4), for the back-office's operators page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Project, User
from hub.db.models.devices import Device
from hub.db.models.queue import QueueOperator
from hub.services.projects import projects
from hub.services.projects.projects import MemberInfo
from hub.services.queue import presence
from hub.services.queue.presence import Present

MAX_SERVICES = 200


@dataclass(frozen=True)
class Window:
    """A panel at a window and who is logged in there now (None: nobody)."""

    device_id: str
    name: str
    window: int | None
    online: bool
    last_seen_at: datetime | None
    operator: str | None
    status: str | None


@dataclass(frozen=True)
class WorkGroup:
    """A service and the operators of its work group."""

    service_id: int
    name: str
    members: list[MemberInfo]


def windows(session: Session, *, site: str) -> list[Window]:
    """The site's active panels by window, each with the operator whose session is there."""
    rows = session.execute(
        select(Device, QueueOperator, User)
        .outerjoin(QueueOperator, QueueOperator.device_id == Device.id)
        .outerjoin(User, User.id == QueueOperator.user_id)
        .where(Device.role == "panel", Device.site == site, Device.revoked_at.is_(None))
        .order_by(Device.window, Device.id)
    ).all()
    result = []
    for device, operator, user in rows:
        here = operator is not None and operator.status != presence.OFFLINE and user is not None
        name = None
        if here and user is not None:
            name = user.employee.full_name if user.employee is not None else user.username
        result.append(
            Window(
                device_id=device.id,
                name=device.name,
                window=device.window,
                online=device.online,
                last_seen_at=device.last_seen_at,
                operator=name,
                status=operator.status if here and operator is not None else None,
            )
        )
    return result


def at_work(session: Session) -> list[Present]:
    """The operators at work now, by window (the panels' own list)."""
    return presence.present(session)


def work_groups(session: Session) -> list[WorkGroup]:
    """Every service using the queue with its work group, by name."""
    services = session.scalars(
        select(Project)
        .where(Project.uses_queue.is_(True))
        .order_by(Project.name, Project.id)
        .limit(MAX_SERVICES)
    )
    return [
        WorkGroup(p.id, p.name, projects.list_members(session, project_id=p.id)) for p in services
    ]
