"""Free among services of which at least one calls in the fair mode (``queue_calling``).

The rule's order is monotonic in the effective time within each kind (a walk-in who came
earlier has waited longer; a booking with an earlier slot is due sooner), so the ticket it
chooses is always among the first tickets of the line (Q-5 order) and the first bookings of the
fair services: only those are read. The chosen ticket is then locked with ``SKIP LOCKED``; if
another operator's Free took it meanwhile, the choice is made again without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Boolean, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, table_of
from hub.db.models.queue import QueueTicket
from hub.services.queue.calling import BOOKING_KIND, Candidate, Choice, choose, is_fair
from hub.services.queue.core import WAITING, QueueContext

READ = 20
ATTEMPTS = 5

_T = table_of(QueueTicket).c
ELIGIBLE = and_(
    _T.state == WAITING,
    or_(
        and_(
            _T.project_id.in_(bindparam("projects", expanding=True)),
            _T.target_operator_id.is_(None),
        ),
        _T.target_operator_id == bindparam("user"),
    ),
    # A visitor running late keeps their place but is passed over until their time is up.
    or_(_T.late_until.is_(None), _T.late_until <= bindparam("now")),
)
"""The tickets Free may give an operator now (parameters ``projects``, ``user``, ``now``)."""
_ELIGIBLE = and_(
    ELIGIBLE,
    _T.id.not_in(bindparam("skip", expanding=True)),
    # Callers on the office lines only for an operator whose phone agent is online.
    or_(bindparam("callers", type_=Boolean()), _T.line_device.is_(None)),
)
_COLUMNS = (_T.id, _T.project_id, _T.lane, _T.effective_at, _T.kind)
_HEAD = select(*_COLUMNS).where(_ELIGIBLE).order_by(_T.lane, _T.effective_at, _T.id).limit(READ)
_BOOKINGS = (
    select(*_COLUMNS)
    .where(_ELIGIBLE, _T.kind == BOOKING_KIND, _T.project_id.in_(bindparam("fair", expanding=True)))
    .order_by(_T.effective_at, _T.id)
    .limit(READ)
)
_TAKE = (
    select(QueueTicket)
    .where(QueueTicket.id == bindparam("ticket"), QueueTicket.state == WAITING)
    .with_for_update(skip_locked=True)
    .execution_options(populate_existing=True)
)


def _aware(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite may hand them back without a zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def candidates(
    session: Session,
    ctx: QueueContext,
    user_id: int,
    project_ids: Sequence[int],
    modes: Mapping[int, str],
    skip: Sequence[int] = (),
    *,
    callers: bool = True,
) -> list[Candidate]:
    """The tickets the fair choice can fall on for this operator now (callers on the office
    lines only when ``callers``)."""
    where = {
        "callers": callers,
        "user": user_id,
        "projects": list(project_ids),
        "now": ctx.now,
        "skip": list(skip) or [0],
        "fair": [p for p in project_ids if is_fair(modes, p)] or [0],
    }
    connection = core_connection(session)
    found: dict[int, Candidate] = {}
    for statement in (_HEAD, _BOOKINGS):
        for row in connection.execute(statement, where):
            at = _aware(row.effective_at)
            found[row.id] = Candidate(row.id, row.project_id, row.lane, at, row.kind)
    return list(found.values())


def pick(
    session: Session,
    ctx: QueueContext,
    user_id: int,
    project_ids: Sequence[int],
    modes: Mapping[int, str],
    *,
    callers: bool = True,
) -> tuple[QueueTicket, Choice] | None:
    """The ticket the rule gives this operator, locked, with the rule's reason; None when no
    eligible ticket is left (callers on the office lines only when ``callers``)."""
    skip: list[int] = []
    for _attempt in range(ATTEMPTS):
        found = candidates(session, ctx, user_id, project_ids, modes, skip, callers=callers)
        choice = choose(found, now=ctx.now, modes=modes)
        if choice is None:
            return None
        ticket = session.scalars(_TAKE, {"ticket": choice.ticket_id}).first()
        if ticket is not None:
            return ticket, choice
        skip.append(choice.ticket_id)
    return None
