"""What the hall console shows: lines, operators, today's counts, prints, devices."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from hub.db.models import Device, Project, ProjectMember, User
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.services.devices import devices
from hub.services.queue import links, printing
from hub.services.queue.console import PrintLine, recent_prints
from hub.services.queue.core import BOOKED, QueueContext, TicketInfo, waiting_tickets
from hub.services.queue.printing import PrintJobInfo
from hub.services.stats.watch import RaisedAlert, raised

MAX_SERVICES = 100
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveService:
    """A service with its line in order and the bookings of today still to come."""

    id: int
    name: str
    on: bool
    waiting: list[TicketInfo]
    booked_later: int


@dataclass(frozen=True)
class LiveOperator:
    """An operator's status, window and the ticket in hand."""

    user_id: int
    name: str
    status: str
    window: str | None
    ticket_number: str | None
    ticket_id: int | None


@dataclass(frozen=True)
class Live:
    """Everything on the console's live part."""

    now: datetime
    services: list[LiveService]
    operators: list[LiveOperator]
    counts: dict[str, int]
    failed: list[PrintJobInfo]
    prints: list[PrintLine]
    printers: Sequence[Device]
    my_window: str | None
    alerts: list[RaisedAlert]

    def following(self, seen: datetime | None) -> bool:
        """Whether a visitor whose live page was last seen at ``seen`` follows remotely now."""
        return links.following(seen, self.now)

    def late(self, until: datetime | None) -> bool:
        """Whether a visitor who said they run late until ``until`` is still expected later."""
        return until is not None and until > self.now


def _services(session: Session) -> list[Project]:
    # Services using the queue, and those switched off that have a work group or have had
    # tickets: a queue switched off must stay on the console to be switched on again.
    staffed = exists().where(ProjectMember.project_id == Project.id)
    served = exists().where(QueueTicket.project_id == Project.id)
    query = (
        select(Project)
        .where(Project.uses_queue.is_(True) | staffed | served)
        .order_by(Project.uses_queue.desc(), Project.name, Project.id)
        .limit(MAX_SERVICES)
    )
    return list(session.scalars(query))


def _booked_later(session: Session, ctx: QueueContext) -> dict[int, int]:
    query = (
        select(QueueTicket.project_id, func.count(QueueTicket.id))
        .where(QueueTicket.state == BOOKED, QueueTicket.service_day == ctx.today)
        .group_by(QueueTicket.project_id)
    )
    return {project_id: int(count) for project_id, count in session.execute(query)}


def _operators(session: Session) -> list[LiveOperator]:
    query = (
        select(QueueOperator, User, QueueTicket.number)
        .join(User, User.id == QueueOperator.user_id)
        .outerjoin(QueueTicket, QueueTicket.id == QueueOperator.ticket_id)
        .order_by(QueueOperator.window, User.username)
    )
    result = []
    for row, user, number in session.execute(query):
        name = user.employee.full_name if user.employee else user.username
        result.append(
            LiveOperator(row.user_id, name, row.status, row.window, number, row.ticket_id)
        )
    return result


def _counts(session: Session, ctx: QueueContext) -> dict[str, int]:
    query = (
        select(QueueTicket.state, func.count(QueueTicket.id))
        .where(QueueTicket.service_day == ctx.today)
        .group_by(QueueTicket.state)
    )
    return {state: int(count) for state, count in session.execute(query)}


def snapshot(session: Session, ctx: QueueContext, *, user_id: int) -> Live:
    """The console's live view for the user ``user_id``."""
    later = _booked_later(session, ctx)
    services = [
        LiveService(
            id=project.id,
            name=project.name,
            on=project.uses_queue,
            waiting=waiting_tickets(session, project.id, ctx) if project.uses_queue else [],
            booked_later=later.get(project.id, 0),
        )
        for project in _services(session)
    ]
    mine = session.get(QueueOperator, user_id)
    printers = [
        device
        for device in devices.list_devices(session, site=ctx.site, include_revoked=False)
        if device.role == "printer"
    ]
    return Live(
        now=ctx.now,
        services=services,
        operators=_operators(session),
        counts=_counts(session, ctx),
        failed=printing.failed(session, ctx),
        prints=recent_prints(session, ctx),
        printers=printers,
        my_window=mine.window if mine is not None else None,
        alerts=raised(session),
    )


def all_devices(session: Session, ctx: QueueContext) -> Sequence[Device]:
    """The site's devices for the devices page, revoked ones last."""
    rows = devices.list_devices(session, site=ctx.site)
    return sorted(rows, key=lambda d: (d.revoked_at is not None, d.role, d.id))


def hub_link(probes: dict[str, Any]) -> dict[str, Any] | None:
    """The hub's own link to the broker and its outbox (what /healthz reports), for the devices
    page; None where this process serves no devices."""
    check = probes.get("mqtt")
    if check is None:
        return None
    try:
        result: dict[str, Any] = check()
    except Exception:
        logger.exception("the MQTT link's health could not be read")
        return {"ok": False}
    return result
