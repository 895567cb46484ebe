"""Keeping the service-level alerts (STAT-3): read today's figures, apply the rules
(``hub.services.stats.alerts``) and keep what is raised in ``service_alerts``.

The hub's housekeeper calls ``check`` every few seconds; the console, the dashboard and every
panel's assignment read ``raised``. Several hubs may check at once: a raise that another hub
wrote first is left as it is, a clear deletes what is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.orm import Session

from hub.db.base import dialect_insert
from hub.db.models import Project
from hub.db.models.stats import ServiceAlert
from hub.services.queue.core import params
from hub.services.stats.alerts import Alert, AlertKind, AlertMonitor, Changes, Reading, Rules
from hub.services.stats.today import ServiceToday, today


@dataclass(frozen=True)
class RaisedAlert:
    """An alert as people are shown it: the service's name beside the alert."""

    alert: Alert
    service_name: str


def rules(session: Session) -> Rules:
    """The rules in force: the service-level threshold is a global queue parameter."""
    percent = params(session).service_level_alert_percent
    return Rules(level_threshold=None if percent is None else percent / 100)


def reading(service: ServiceToday) -> Reading:
    """What the rules look at for one service."""
    return Reading(
        service_id=service.id,
        target_wait_s=service.target_wait_s,
        longest_wait_s=service.longest_wait_s,
        service_level=service.service_level,
        called=service.called,
    )


def _stored(row: ServiceAlert) -> Alert:
    return Alert(row.service_id, AlertKind(row.kind), row.since, row.value, row.threshold)


def check(session: Session, *, now: datetime, day: date) -> Changes:
    """Evaluate every queue service now; store what was raised, cleared or changed."""
    active = [_stored(row) for row in session.scalars(select(ServiceAlert))]
    monitor = AlertMonitor(rules(session), active)
    desk = today(session, now=now, day=day)
    changes = monitor.update([reading(service) for service in desk.services], now)
    for alert in changes.raised:
        session.execute(
            dialect_insert(session, ServiceAlert)
            .values(
                service_id=alert.service_id,
                kind=alert.kind.value,
                since=alert.since,
                value=alert.value,
                threshold=alert.threshold,
            )
            .on_conflict_do_nothing()
        )
    for alert in changes.updated:
        session.execute(
            update(ServiceAlert)
            .where(_same(alert))
            .values(value=alert.value, threshold=alert.threshold)
        )
    for alert in changes.cleared:
        session.execute(delete(ServiceAlert).where(_same(alert)))
    return changes


def _same(alert: Alert) -> ColumnElement[bool]:
    return and_(ServiceAlert.service_id == alert.service_id, ServiceAlert.kind == alert.kind.value)


def raised(session: Session, services: Sequence[int] | None = None) -> list[RaisedAlert]:
    """The alerts raised now (of ``services`` only, if given), by service name, waits first."""
    query = select(ServiceAlert, Project.name).join(Project, Project.id == ServiceAlert.service_id)
    if services is not None:
        query = query.where(ServiceAlert.service_id.in_(list(services)))
    found = [RaisedAlert(_stored(row), name) for row, name in session.execute(query)]
    return sorted(found, key=lambda a: (a.service_name.casefold(), a.alert.kind != AlertKind.WAIT))
