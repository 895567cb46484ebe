"""The walk-in line and the phone lines side by side, as one service desk (STAT-1, STAT-2),
and who may see which figures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Project
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.stats.callers import CallerFigures, caller_figures
from hub.services.stats.common import By, Period, check_by
from hub.services.stats.phone import PhoneFigures, phone_figures
from hub.services.stats.queue import QueueFigures, Scope, queue_figures

DESK_GROUPS = (By.HOUR, By.DAY, By.PERIOD)


@dataclass(frozen=True)
class DeskRow:
    """One hour, day or period of the desk: the hall's and the phones' figures, and together
    the contacts (visitors plus calls offered) and how many were handled (served or answered).

    ``callers`` are the call-centre's callers in the services' lines (``stats.callers``): they
    are among the hall's visitors already (a phone ticket is a ticket), so they add nothing to
    the contacts; the phone side shows how their calls went."""

    key: str
    name: str
    hall: QueueFigures | None
    phone: PhoneFigures | None
    contacts: int
    handled: int
    callers: CallerFigures | None = None


def desk_figures(
    session: Session, period: Period, by: By, scope: Scope | None = None
) -> list[DeskRow]:
    """The desk for ``period`` grouped by hour, day or period."""
    check_by(by, DESK_GROUPS)
    hall = {row.key: row for row in queue_figures(session, period, by, scope)}
    operators = scope.operators if scope is not None else None
    phone = {row.key: row for row in phone_figures(session, period, by, operators)}
    found = caller_figures(session, period, by, scope, spread=False)  # means are enough here
    callers = {row.key: row for row in found}
    keys = sorted(set(hall) | set(phone) | set(callers), key=lambda k: (len(k), k))
    rows = []
    for key in keys:
        h, p, c = hall.get(key), phone.get(key), callers.get(key)
        rows.append(
            DeskRow(
                key=key,
                name=(h or p or c).name if (h or p or c) is not None else key,  # type: ignore[union-attr]
                hall=h,
                phone=p,
                contacts=(h.visitors if h else 0) + (p.offered if p else 0),
                handled=(h.served if h else 0) + (p.answered if p else 0),
                callers=c,
            )
        )
    return rows


def scope_for(session: Session, profile: AccessProfile) -> Scope:
    """The services a user's reports cover: every one for full access, else the queue services
    of the journals where the user may change projects (a service's manager's right)."""
    if profile.unrestricted:
        return Scope()
    rows = session.execute(
        select(Project.id, Project.journal_id).where(Project.uses_queue.is_(True))
    )
    return Scope(
        services=[
            service
            for service, journal in rows
            if profile.can(Action.CHANGE, DocType.PROJECT, journal)
        ]
    )
