"""Today at the desk, live (STAT-1's dashboard, STAT-3's alerts): per queue service the line
now, its longest current wait and today's figures so far (visitors, served, service level);
the operators at work by status.

The longest wait is the oldest joining time among the visitors waiting now (a booking that
came early waits from its booked time, as in the reports). Today's figures are the hall's
report for today by service (``queue_figures``), so the dashboard and the reports agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from hub.db.models import Employee, Project, User
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.db.models.stats import QueueVisit
from hub.services.queue.core import WAITING
from hub.services.stats.common import By, Period
from hub.services.stats.facts import OPEN, UNCOUNTED
from hub.services.stats.operators import operators_of
from hub.services.stats.queue import Scope, queue_figures


@dataclass(frozen=True)
class ServiceToday:
    """One queue service now and so far today."""

    id: int
    name: str
    target_wait_s: int
    waiting: int
    longest_wait_s: int | None
    """None: nobody waits."""
    visitors: int
    served: int
    called: int
    within_target: int
    service_level: float | None
    mean_wait_s: float | None


@dataclass(frozen=True)
class OperatorToday:
    """An operator at work: status, since when, window."""

    user_id: int
    name: str
    status: str
    since: datetime
    window: str | None


@dataclass(frozen=True)
class Today:
    """The desk now: services, operators at work, and how many operators in each status."""

    day: date
    now: datetime
    services: list[ServiceToday]
    operators: list[OperatorToday]
    by_status: dict[str, int]


def current_waits(
    session: Session, now: datetime, services: Sequence[int] | None = None
) -> dict[int, tuple[int, int | None]]:
    """Per service: how many wait now, and the longest wait in seconds (None: unknown)."""
    joined = func.min(QueueVisit.joined_at)
    query = (
        select(QueueTicket.project_id, func.count(func.distinct(QueueTicket.id)), joined)
        .outerjoin(
            QueueVisit,
            and_(
                QueueVisit.ticket_id == QueueTicket.id,
                QueueVisit.outcome == OPEN,
                QueueVisit.called_at.is_(None),
            ),
        )
        .where(QueueTicket.state == WAITING)
        .group_by(QueueTicket.project_id)
    )
    if services is not None:
        query = query.where(QueueTicket.project_id.in_(list(services)))
    result: dict[int, tuple[int, int | None]] = {}
    for service, count, oldest in session.execute(query):
        longest = max(0, int((now - oldest).total_seconds())) if oldest is not None else None
        result[service] = (int(count), longest)
    return result


def today(session: Session, *, now: datetime, day: date, scope: Scope | None = None) -> Today:
    """The queue services of ``scope`` now and so far on ``day`` (the office's today)."""
    scope = scope or Scope()
    query = select(Project.id, Project.name, Project.target_wait_s).where(
        Project.uses_queue.is_(True)
    )
    if scope.services is not None:
        query = query.where(Project.id.in_(list(scope.services)))
    projects = session.execute(query.order_by(Project.name, Project.id)).all()
    ids = [row.id for row in projects]
    waits = current_waits(session, now, ids)
    figures = {
        row.key: row for row in queue_figures(session, Period(day, day), By.SERVICE, Scope(ids))
    }
    services = []
    for project in projects:
        waiting, longest = waits.get(project.id, (0, None))
        hall = figures.get(str(project.id))
        services.append(
            ServiceToday(
                id=project.id,
                name=project.name,
                target_wait_s=project.target_wait_s,
                waiting=waiting,
                longest_wait_s=longest,
                visitors=hall.visitors if hall else 0,
                served=hall.served if hall else 0,
                called=hall.wait.count if hall else 0,
                within_target=hall.within_target if hall else 0,
                service_level=hall.service_level if hall else None,
                mean_wait_s=hall.wait.mean_s if hall else None,
            )
        )
    operators = at_work(session, None if scope.services is None else operators_of(session, ids))
    return Today(
        day=day,
        now=now,
        services=services,
        operators=operators,
        by_status=dict(Counter(op.status for op in operators)),
    )


def at_work(session: Session, users: Sequence[int] | None) -> list[OperatorToday]:
    """The operators whose status counts as at work (not offline), by window and name."""
    query = (
        select(QueueOperator, User.username, Employee.full_name)
        .join(User, User.id == QueueOperator.user_id)
        .outerjoin(Employee, Employee.id == User.employee_id)
        .where(QueueOperator.status.not_in(sorted(UNCOUNTED)))
    )
    if users is not None:
        query = query.where(QueueOperator.user_id.in_(list(users)))
    found = [
        OperatorToday(
            row.user_id, (full or "").strip() or username, row.status, row.status_since, row.window
        )
        for row, username, full in session.execute(query)
    ]
    return sorted(found, key=lambda op: (op.window or "", op.name.casefold()))
