"""The wait estimate's inputs read from the database (``queue_estimate`` holds the model).

One read gathers what the replay needs for a service and every service sharing an operator with
it (the closure over work groups): the operators at work and what they hold, the waiting
tickets, the bookings expected soon, each service's recent visit lengths and calling mode, and
the usual length of each operator's current break. Reads are made once per transaction and
kept in ``Session.info``; a change in the transaction (a flush) makes the next estimate read
again. ``now`` always comes from the caller's context: no clock is read here.

The aggregates over days (each service's visit lengths, each operator's status spans) are also
kept per process for up to a minute of the hub's clock, until their table is written
(``hub.db.slowcache``); a board reads the operators at work once and each group of services
sharing operators once (``for_new_visitors``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, table_of
from hub.db.models import Project, ProjectMember
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.db.models.stats import OperatorSpan, QueueVisit
from hub.db.refcache import cached
from hub.db.slowcache import kept
from hub.services.queue import estimate as model
from hub.services.queue.core import (
    BOOKED,
    BUSY,
    FREE,
    NORMAL,
    WAITING,
    WALK_IN,
    QueueContext,
    params,
    position,
    service_info,
)
from hub.services.queue.estimate import Desk, Estimate, ServiceTimes, Ticket

OFFLINE = "offline"
HISTORY_DAYS = 14
HISTORY_ROWS = 300
DESK_OUTCOMES = ("done", "no_show", "transferred")
"""The visits that held a desk from the call to their end: served, never came (recalled, then
marked), or sent on to another service."""
MIN_ONWARD_SAMPLES = 10
"""Visits of a service needed before its share sent on to others is counted."""
BREAK_SAMPLES = 10
BREAK_DAYS = 30
BOOKING_HORIZON = timedelta(hours=4)
KEPT_PRIOR = (0.9, 5)
"""The share of bookings kept before a service has any history, and how many bookings' worth
of weight that guess has against the service's own (a Bayesian mean)."""
KEPT_AFTER = timedelta(minutes=30)
"""A booking's slot this long past (the hub's late window and more) has been kept or not."""
MAX_LINE = 120
"""Tickets replayed at most; a place beyond them is estimated from the last replayed one plus a
visit per place, shared by the service's operators (a line that long is said in hours)."""
NEW_VISITOR = 2**62
"""The id standing for a visitor who would take a ticket now: after every real ticket, as the
line's order breaks ties of time by id."""

_O = table_of(QueueOperator).c
_M = table_of(ProjectMember).c
_P = table_of(Project).c
_T = table_of(QueueTicket).c
_V = table_of(QueueVisit).c
_S = table_of(OperatorSpan).c
_AT_WORK = (
    select(_O.user_id, _O.status, _O.status_since, _T.project_id, _T.called_at, _T.started_at)
    .outerjoin_from(table_of(QueueOperator), table_of(QueueTicket), _T.id == _O.ticket_id)
    .where(_O.status != OFFLINE)
)
_GROUPS = (
    select(_M.user_id, _M.project_id)
    .join_from(table_of(ProjectMember), table_of(Project), _P.id == _M.project_id)
    .where(_P.uses_queue.is_(True))
)
_LINE = (
    select(
        _T.id, _T.project_id, _T.lane, _T.effective_at, _T.kind, _T.late_until,
        _T.target_operator_id,
    )
    .where(_T.state == WAITING, _T.project_id.in_(bindparam("services", expanding=True)))
    .order_by(_T.lane, _T.effective_at, _T.id)
    .limit(bindparam("limit"))
)  # fmt: skip
_COUNT = select(func.count(_T.id)).where(_T.project_id == bindparam("service"), _T.state == WAITING)
_EXPECTED = (
    select(_T.id, _T.project_id, _T.booked_at)
    .where(
        _T.state == BOOKED,
        _T.project_id.in_(bindparam("services", expanding=True)),
        _T.booked_at >= bindparam("since"),
        _T.booked_at <= bindparam("until"),
    )
    .order_by(_T.booked_at, _T.id)
    .limit(MAX_LINE)
)
_VISITS = (
    select(_V.called_at, _V.ended_at)
    .where(
        _V.service_id == bindparam("service"),
        _V.day >= bindparam("since"),
        _V.outcome.in_(DESK_OUTCOMES),
        _V.ended_at.is_not(None),
        _V.called_at.is_not(None),
    )
    .order_by(_V.ended_at.desc(), _V.id.desc())
    .limit(HISTORY_ROWS)
)
_HELD = (
    select(_V.service_id, func.count(_V.id))
    .where(
        _V.service_id.in_(bindparam("services", expanding=True)),
        _V.day >= bindparam("since"),
        _V.outcome.in_(DESK_OUTCOMES),
        _V.ended_at.is_not(None),
        _V.called_at.is_not(None),
    )
    .group_by(_V.service_id)
)
_SENT = select(_V.id, _V.ticket_id, _V.service_id).where(
    _V.outcome == "transferred",
    _V.day >= bindparam("since"),
    _V.service_id.in_(bindparam("services", expanding=True)),
    _V.called_at.is_not(None),
)
_LATER = (
    select(_V.ticket_id, _V.id, _V.service_id)
    .where(_V.ticket_id.in_(bindparam("tickets", expanding=True)))
    .order_by(_V.ticket_id, _V.id)
)
_KEPT = select(func.count(_T.id), func.count(_T.arrived_at)).where(
    _T.kind == "booking",
    _T.project_id == bindparam("service"),
    _T.booked_at >= bindparam("since"),
    _T.booked_at <= bindparam("until"),
)
_USERS_SINCE = (_S.user_id.in_(bindparam("users", expanding=True)), _S.day >= bindparam("since"))
_WORKED = (
    select(_S.user_id, _S.day)
    .where(*_USERS_SINCE, _S.day < bindparam("today"), _S.status.in_((FREE, BUSY)))
    .distinct()
)
_FIRST_IN = (
    select(_S.user_id, _S.day, func.min(_S.started_at))
    .where(*_USERS_SINCE, _S.status != OFFLINE)
    .group_by(_S.user_id, _S.day)
)
_AWAY = (
    select(_S.user_id, _S.day, _S.status, _S.started_at, func.sum(_S.seconds))
    .where(*_USERS_SINCE, _S.status.not_in((FREE, BUSY, OFFLINE)))
    .group_by(_S.user_id, _S.day, _S.status, _S.started_at)
)


def _work_groups(session: Session) -> tuple[tuple[int, int], ...]:
    """(operator, service) of every queue service's work group (kept in ``hub.db.refcache``)."""
    return tuple((row[0], row[1]) for row in core_connection(session).execute(_GROUPS))


@dataclass(frozen=True)
class Inputs(model.Office):
    """Everything the replay needs for a set of services, and how much of the line was read."""

    truncated: bool = False
    """The line was longer than ``MAX_LINE``: only its first tickets are here."""
    seen: dict[int, int] = field(default_factory=dict)
    """Waiting tickets read, by service."""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _closure(start: Iterable[int], groups: dict[int, set[int]]) -> set[int]:
    """The services reachable from ``start`` through operators serving several."""
    found, grew = set(start), True
    while grew:
        grew = False
        for services in groups.values():
            if services & found and not services <= found:
                found |= services
                grew = True
    return found


def service_times(session: Session, ctx: QueueContext, service_id: int) -> ServiceTimes:
    """How long the service's recent called tickets held a desk, from the call to their end
    (the walk to the window, the visit, or the recalls and the no-show, or the transfer), with
    the local hour each was called in: a visitor ahead who never comes costs the desk what such
    visitors cost it, not a whole visit."""
    cache: dict[int, ServiceTimes] = session.info.setdefault("cherga_service_times", {})
    if service_id not in cache:
        today = ctx.today

        def load() -> tuple[tuple[int, float], ...]:
            since = today - timedelta(days=HISTORY_DAYS)
            rows = core_connection(session).execute(
                _VISITS, {"service": service_id, "since": since}
            )
            return tuple(
                (
                    _aware(called).astimezone(ctx.tz).hour,
                    max(0.0, (_aware(ended) - _aware(called)).total_seconds()),
                )
                for called, ended in rows
            )

        key = ("visit_lengths", service_id, today, str(ctx.tz))
        samples = kept(session, "queue_visits", key, ctx.now, ctx.tz, load)
        default = params(session).default_service_minutes * 60.0
        cache[service_id] = ServiceTimes(default_s=default, samples=samples)
    return cache[service_id]


def kept_share(session: Session, ctx: QueueContext, service_id: int) -> float:
    """The share of the service's bookings of the last days (slots long enough past) whose
    visitor came, drawn towards ``KEPT_PRIOR`` while there are few of them."""
    cache: dict[int, float] = session.info.setdefault("cherga_kept_share", {})
    if service_id not in cache:
        window = {
            "service": service_id,
            "since": ctx.now - timedelta(days=HISTORY_DAYS),
            "until": ctx.now - KEPT_AFTER,
        }
        booked, came = core_connection(session).execute(_KEPT, window).one()
        prior, weight = KEPT_PRIOR
        cache[service_id] = (int(came or 0) + prior * weight) / (int(booked or 0) + weight)
    return cache[service_id]


def onward_shares(
    session: Session, ctx: QueueContext, service_ids: Iterable[int]
) -> dict[int, dict[int, float]]:
    """Per service, the share of its recent desk visits (``DESK_OUTCOMES``) that ended sent on
    to each of ``service_ids`` (a transfer's next visit), counted once a service has
    ``MIN_ONWARD_SAMPLES`` visits; services that send nobody on are left out. Kept per process
    like the visit lengths (``hub.db.slowcache``)."""
    services = sorted(set(service_ids))
    today = ctx.today

    def load() -> dict[int, dict[int, float]]:
        window = {"services": services, "since": today - timedelta(days=HISTORY_DAYS)}
        connection = core_connection(session)
        sent = list(connection.execute(_SENT, window))
        if not sent:
            return {}
        held = {row[0]: int(row[1]) for row in connection.execute(_HELD, window)}
        stays: dict[int, tuple[list[int], list[int]]] = {}  # each ticket's visits, by id
        tickets = sorted({ticket_id for _id, ticket_id, _service in sent})
        for ticket_id, visit_id, service_id in connection.execute(_LATER, {"tickets": tickets}):
            ids, where = stays.setdefault(ticket_id, ([], []))
            ids.append(visit_id)
            where.append(service_id)
        counts: dict[tuple[int, int], int] = {}
        for visit_id, ticket_id, source in sent:
            ids, where = stays.get(ticket_id, ([], []))
            after = bisect.bisect_right(ids, visit_id)  # the ticket's next visit
            target = where[after] if after < len(ids) else None
            if target is not None and target != source and target in services:
                counts[source, target] = counts.get((source, target), 0) + 1
        found: dict[int, dict[int, float]] = {}
        for (source, target), count in counts.items():
            if held.get(source, 0) >= MIN_ONWARD_SAMPLES:
                found.setdefault(source, {})[target] = min(1.0, count / held[source])
        return found

    key = ("onward_shares", tuple(services), today, str(ctx.tz))
    return kept(session, "queue_visits", key, ctx.now, ctx.tz, load)


@dataclass(frozen=True)
class _Spans:
    """An operator's status spans of the last ``BREAK_DAYS``, as the estimate uses them."""

    away: tuple[tuple[date, datetime, str, float], ...] = ()
    """Each span of a status other than free, busy and offline: day, start, status, seconds
    (a span crossing hours summed within its day)."""
    days_at_work: int = 0
    """Past days with time free or busy."""


def _spans(session: Session, ctx: QueueContext, users: list[int]) -> dict[int, _Spans]:
    """The operators' spans, kept per process (``hub.db.slowcache``), read for all in one go."""
    today = ctx.today

    def load() -> dict[int, _Spans]:
        window = {"users": users, "since": today - timedelta(days=BREAK_DAYS), "today": today}
        connection = core_connection(session)
        worked: dict[int, int] = {}
        for user_id, _day in connection.execute(_WORKED, window):
            worked[user_id] = worked.get(user_id, 0) + 1
        away: dict[int, list[tuple[date, datetime, str, float]]] = {}
        for user_id, day, status, started, seconds in connection.execute(_AWAY, window):
            away.setdefault(user_id, []).append((day, _aware(started), status, float(seconds or 0)))
        return {
            user_id: _Spans(tuple(away.get(user_id, ())), worked.get(user_id, 0))
            for user_id in users
        }

    key = ("status_spans", tuple(users), today, str(ctx.tz))
    return kept(session, "operator_spans", key, ctx.now, ctx.tz, load)


def _usual_break(spans: _Spans, status: str) -> float | None:
    """The median length of the operator's last ``BREAK_SAMPLES`` spans of ``status``."""
    lengths: dict[datetime, float] = {}
    for _day, started, of, seconds in spans.away:
        if of == status:  # one span: its pieces on either side of midnight summed
            lengths[started] = lengths.get(started, 0.0) + seconds
    latest = sorted(lengths, reverse=True)[:BREAK_SAMPLES]
    return model.typical_length(lengths[started] for started in latest)


def _planned(
    ctx: QueueContext, users: list[int], spans: dict[int, _Spans]
) -> dict[int, model.PlannedBreak]:
    found = {}
    for user_id in users:
        usual = model.usual_break_today(
            [(day, started, seconds) for day, started, _status, seconds in spans[user_id].away],
            spans[user_id].days_at_work,
            now=ctx.now,
            today=ctx.today,
            tz=ctx.tz,
        )
        if usual is not None:
            found[user_id] = usual
    return found


class _AtWork(NamedTuple):
    user_id: int
    status: str
    since: datetime
    held_service: int | None
    called: datetime | None
    started: datetime | None


def _desk(
    session: Session,
    ctx: QueueContext,
    row: _AtWork,
    services: set[int],
    pause: model.PlannedBreak | None,
    spans: _Spans,
) -> Desk:
    user_id, status, since, held_service, called, started = row
    since = _aware(since)
    if status == FREE and held_service is None:
        back: datetime | None = ctx.now
    elif held_service is not None:
        begun = _aware(called or started or since)  # desk times count from the call
        elapsed = max(0.0, (ctx.now - begun).total_seconds())
        rest = service_times(session, ctx, held_service).remaining(elapsed)
        back = ctx.now + timedelta(seconds=rest)
    elif status in (FREE, BUSY):
        # Busy with nothing in hand (a panel's Free not pressed yet, work off the queue): on
        # average half a visit of their services away.
        means = [service_times(session, ctx, s).mean() for s in sorted(services)] or [0.0]
        back = ctx.now + timedelta(seconds=sum(means) / len(means) / 2)
    else:
        usual = _usual_break(spans, status)
        back = model.back_from_break(ctx.now, since, usual)
        pause = None  # on it now
    return Desk(user_id=user_id, services=frozenset(services), back_at=back, pause=pause)


class _Staff(NamedTuple):
    at_work: list[_AtWork]
    serving: dict[int, set[int]]
    """The services of each operator at work or expected."""
    coming: dict[int, datetime]
    """The operators not at work yet expected today, and when (``usual_start``, ``coming_at``)."""


def _coming(
    session: Session, ctx: QueueContext, members: list[int], at_work: set[int]
) -> dict[int, datetime]:
    """Of the queue's operators (``members``), those not at work who are expected today at
    their usual time; the usual times, from the first moment each came on the last
    ``BREAK_DAYS`` days, are kept per process with the other spans."""
    today = ctx.today

    def load() -> dict[int, datetime]:
        window = {"users": members, "since": today - timedelta(days=BREAK_DAYS)}
        first_in: dict[int, dict[date, datetime]] = {}
        for user_id, day, first in core_connection(session).execute(_FIRST_IN, window):
            first_in.setdefault(user_id, {})[day] = _aware(first)
        office_days = len({day for days in first_in.values() for day in days if day < today})
        usual = {
            user_id: model.usual_start(days, office_days, today=today, tz=ctx.tz)
            for user_id, days in first_in.items()
        }
        return {user_id: at for user_id, at in usual.items() if at is not None}

    key = ("usual_starts", tuple(members), today, str(ctx.tz))
    usual = kept(session, "operator_spans", key, ctx.now, ctx.tz, load) if members else {}
    coming = {}
    for user_id, at in usual.items():
        expected = model.coming_at(at, ctx.now) if user_id not in at_work else None
        if expected is not None:
            coming[user_id] = expected
    return coming


def _staff(session: Session, ctx: QueueContext) -> _Staff:
    """The operators at work (what they hold) and those expected, and the services they
    serve."""
    groups: dict[int, set[int]] = {}
    for user_id, project_id in cached(session, ("queue_work_groups",), _work_groups):
        groups.setdefault(user_id, set()).add(project_id)
    at_work = [_AtWork(*row) for row in core_connection(session).execute(_AT_WORK)]
    coming = _coming(session, ctx, sorted(groups), {row[0] for row in at_work})
    serving = {
        user_id: groups.get(user_id, set()) for user_id in [*coming, *(r[0] for r in at_work)]
    }
    return _Staff(at_work, serving, coming)


def inputs(
    session: Session,
    ctx: QueueContext,
    service_ids: Iterable[int],
    operator: int | None = None,
    staff: _Staff | None = None,
) -> Inputs:
    """What the replay needs for these services and every one sharing an operator with them
    (and with ``operator``, to whom a ticket was transferred in person)."""
    connection = core_connection(session)
    at_work, serving, coming = staff or _staff(session, ctx)
    services = _closure([*service_ids, *serving.get(operator or 0, ())], serving)
    mine = [row for row in at_work if serving[row[0]] & services or row[0] == operator]
    expected = sorted(u for u in coming if serving[u] & services or u == operator)
    users = sorted({row[0] for row in mine} | set(expected))
    spans = _spans(session, ctx, users) if users else {}
    pauses = _planned(ctx, users, spans)
    desks = [
        _desk(session, ctx, row, serving[row[0]], pauses.get(row[0]), spans[row[0]]) for row in mine
    ]
    desks += [Desk(u, frozenset(serving[u]), coming[u], pauses.get(u)) for u in expected]
    line = list(connection.execute(_LINE, {"services": sorted(services), "limit": MAX_LINE}))
    tickets = [
        Ticket(
            id=row.id,
            service_id=row.project_id,
            lane=row.lane,
            effective_at=_aware(row.effective_at),
            kind=row.kind,
            ready_at=_aware(row.late_until)
            if row.late_until and _aware(row.late_until) > ctx.now
            else None,
            target_operator_id=row.target_operator_id,
        )
        for row in line
    ]
    window = {"services": sorted(services), "since": ctx.now, "until": ctx.now + BOOKING_HORIZON}
    for row in connection.execute(_EXPECTED, window):
        slot = _aware(row.booked_at)
        kept = kept_share(session, ctx, row.project_id)
        tickets.append(
            Ticket(row.id, row.project_id, NORMAL, slot, "booking", ready_at=slot, weight=kept)
        )
    times = {s: service_times(session, ctx, s) for s in services}
    modes = {}
    for s in services:
        found = service_info(session, s)
        modes[s] = found.calling_mode if found is not None else "nearest"
    seen: dict[int, int] = {}
    for waiting in line:
        seen[waiting.project_id] = seen.get(waiting.project_id, 0) + 1
    onward = onward_shares(session, ctx, services)
    return Inputs(
        tickets,
        desks,
        times,
        modes,
        onward,
        params(session).wait_estimate_percent,
        truncated=len(line) >= MAX_LINE,
        seen=seen,
    )


def _beyond(found: Inputs, service_id: int, places: int, last: Estimate) -> Estimate:
    """``last`` (the estimate at the end of the replayed line) plus ``places`` more visits of
    the service shared by its operators at work."""
    if places <= 0:
        return last
    service = found.times.get(service_id) or ServiceTimes(default_s=model.DEFAULT_VISIT_S)
    desks = sum(1 for d in found.desks if service_id in d.services and d.back_at is not None)
    more = places * service.mean() / max(1, desks)
    likely = last.likely_s if last.likely_s is not None else last.seconds
    return model.with_range(
        likely + more,
        last.ahead + places,
        service.cv(),
        staffed=last.staffed,
        percent=found.percent,
    )


def _unseen(found: Inputs, service_id: int, ahead: int) -> int:
    """How many of the ``ahead`` waiting tickets of the service the replay did not see."""
    return max(0, ahead - found.seen.get(service_id, 0))


def for_ticket(session: Session, ctx: QueueContext, ticket: QueueTicket) -> Estimate | None:
    """The estimate of a waiting ticket (None when it is not waiting)."""
    if ticket.state != WAITING:
        return None
    found = inputs(session, ctx, [ticket.project_id], ticket.target_operator_id)
    target = next((t for t in found.tickets if t.id == ticket.id), None)
    beyond = 0
    if target is None:  # past the first MAX_LINE of the line
        beyond = _unseen(found, ticket.project_id, (position(session, ticket) or 1) - 1)
        target = Ticket(
            ticket.id,
            ticket.project_id,
            ticket.lane,
            _aware(ticket.effective_at),
            ticket.kind,
            target_operator_id=ticket.target_operator_id,
        )
    found_wait = model.estimate(target, found, now=ctx.now, tz=ctx.tz)
    return _beyond(found, ticket.project_id, beyond, found_wait)


def for_new_visitor(
    session: Session, ctx: QueueContext, service_id: int, found: Inputs | None = None
) -> Estimate:
    """The wait of a visitor who would take a ticket for the service now (from ``found``, the
    inputs read for it, when given)."""
    found = found or inputs(session, ctx, [service_id])
    target = Ticket(NEW_VISITOR, service_id, NORMAL, ctx.now, WALK_IN)
    wait = model.estimate(target, found, now=ctx.now, tz=ctx.tz)
    beyond = 0
    if found.truncated:
        waiting = core_connection(session).execute(_COUNT, {"service": service_id}).scalar()
        beyond = _unseen(found, service_id, int(waiting or 0))
    return _beyond(found, service_id, beyond, wait)


def for_line(session: Session, ctx: QueueContext, service_id: int) -> dict[int, Estimate]:
    """The estimates of every waiting ticket of the service, by ticket id, in one replay."""
    found = inputs(session, ctx, [service_id])
    return model.estimate_all(found, now=ctx.now, tz=ctx.tz)


def for_new_visitors(
    session: Session, ctx: QueueContext, service_ids: Iterable[int]
) -> dict[int, Estimate]:
    """``for_new_visitor`` of each service, with one read of the operators at work and one of
    the rest for each group of services sharing operators (the same inputs each would read)."""
    staff = _staff(session, ctx)
    read: dict[frozenset[int], Inputs] = {}
    found = {}
    for service_id in service_ids:
        group = frozenset(_closure([service_id], staff.serving))
        if group not in read:
            read[group] = inputs(session, ctx, group, staff=staff)
        found[service_id] = for_new_visitor(session, ctx, service_id, read[group])
    return found
