"""What operations watch (STAT-3): a snapshot of the hub read at each Prometheus scrape.

Everything comes from the database, so every hub replica reports the same figures and a restart
loses nothing. ``assignment`` is how long the visitors called in the last ``RECENT`` waited from
joining the line to their call, per service (median and 90th percentile by nearest rank).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.base import table_of
from hub.db.models import Device, Project
from hub.db.models.calls import PhoneCallRecord
from hub.db.models.coordinator import PrintJob
from hub.db.models.queue import OutboxMessage, QueueTicket
from hub.db.models.stats import QueueVisit
from hub.services.queue.core import waiting_counts
from hub.services.stats.common import durations

RECENT = timedelta(hours=1)


@dataclass(frozen=True)
class Latency:
    """Waits of the visitors of one service called recently."""

    count: int
    sum_s: int
    median_s: int | None
    p90_s: int | None


@dataclass(frozen=True)
class Snapshot:
    """The hub's operational figures at one moment."""

    services: dict[int, str]
    issued: dict[int, int]
    waiting: dict[int, int]
    assignment: dict[int, Latency]
    devices: dict[tuple[str, bool], int]
    print_jobs: dict[str, int]
    outbox_pending: int
    outbox_oldest_s: float
    calls: dict[tuple[str, str | None], int]


def snapshot(session: Session, now: datetime) -> Snapshot:
    """Read the operational figures (a few indexed counts; safe to scrape every 15 s)."""
    services = dict(
        session.execute(select(Project.id, Project.name).where(Project.uses_queue.is_(True))).all()
    )
    issued = session.execute(
        select(QueueTicket.origin_project_id, func.count()).group_by(QueueTicket.origin_project_id)
    )
    visits = table_of(QueueVisit).c
    recent = (
        select(visits.id).select_from(table_of(QueueVisit)).where(visits.called_at >= now - RECENT)
    )
    waits: dict[int, list[int]] = {}
    for service_id, wait in session.execute(
        recent.with_only_columns(visits.service_id, visits.wait_s).where(visits.wait_s.is_not(None))
    ):
        waits.setdefault(service_id, []).append(wait)
    pending, oldest = session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.sent_at.is_(None)
        )
    ).one()
    devices = session.execute(
        select(Device.role, Device.online, func.count())
        .where(Device.revoked_at.is_(None))
        .group_by(Device.role, Device.online)
    )
    jobs = session.execute(select(PrintJob.state, func.count()).group_by(PrintJob.state))
    calls = session.execute(
        select(PhoneCallRecord.direction, PhoneCallRecord.outcome, func.count())
        .where(PhoneCallRecord.outcome.is_not(None))
        .group_by(PhoneCallRecord.direction, PhoneCallRecord.outcome)
    )
    return Snapshot(
        services=services,
        issued={key: int(count) for key, count in issued},
        waiting=waiting_counts(session),
        assignment={key: _latency(values) for key, values in waits.items()},
        devices={(role, bool(online)): int(count) for role, online, count in devices},
        print_jobs={state: int(count) for state, count in jobs},
        outbox_pending=int(pending),
        outbox_oldest_s=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        calls={(direction, outcome): int(count) for direction, outcome, count in calls},
    )


def _latency(waits: list[int]) -> Latency:
    spread = durations(waits)
    return Latency(spread.count, sum(waits), spread.median_s, spread.p90_s)
