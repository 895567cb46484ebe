"""When will a waiting visitor be called, and how sure is that (QQ-1): the wait estimate.

The estimate replays the calling order forward from ``now`` on plain data, with every visit
taking its expected length, instead of dividing a line by a head count:

- **Operators and their work groups.** Each operator at work is a desk serving every service of
  their work groups (Q-1). A desk takes, whenever it comes free, the ticket Free would give it
  (``queue_calling.choose``: the nearest-in-time rule Q-5, or the service's fair mode), so an
  operator shared by two services splits their time between the two lines exactly as far as the
  other line's tickets come first, and a transfer to one operator waits for that operator.
- **Visits in progress.** A busy desk comes free after the *remaining* length of its visit: the
  mean, over the service's recent visits longer than the time already run, of what was left
  (a visit that has run long is expected to end soon, not in a whole mean visit).
- **Breaks.** An operator on another status (a break, lunch...) is not counted until back: at the
  status's start plus that operator's usual length of it (the median of their last spans of that
  status), never earlier than a minute from now; with no such history, after ``UNKNOWN_BREAK``
  or, once it has lasted longer, when it has lasted as long again. Offline operators are not at
  work.
- **Breaks to come.** An operator at work who went on a break (any status but free and busy) on
  at least ``MIN_BREAK_DAYS`` of their recent working days, in at least half of them, and has
  not been on one today, is expected to take it today at the median local time of day their
  first break of the day began, for its median length: a desk free at or after that time goes
  on the break first (a visit in hand is finished first, as operators do). A break more than
  ``BREAK_OVERDUE`` past its usual end is not expected any more.
- **Operators to come.** An operator not at work yet who came on most of the office's recent
  days at much the same time (``usual_start``, ``coming_at``) is a desk from that time: before
  opening, the line is not estimated as if nobody would ever come, nor the morning as if a
  colleague on the later shift were not coming. Not expected any more ``LATE_START`` past it.
- **Bookings due.** Bookings not checked in yet whose slot is within reach are expected at their
  slot and join the line then (a booking that has checked in is already in it), so under Q-5 they
  come before walk-ins who arrived after their time, and in the fair mode from 10 minutes before
  it. As some bookings are never kept, each costs its desk a visit times the share of the
  service's recent bookings that were (its ``weight``). A visitor who said "I am running late"
  is passed over until their time is up.
- **Visitors sent on.** A service whose visitors are often sent on to another (a consultation
  that ends at the reports desk) passes them to that line at the end of their visit, where they
  keep their time and so, under Q-5, go before everyone who came after them. Each visit
  replayed sends on its service's recent share of them (``Office.onward``): a ticket that costs
  a desk of the other service that share of a visit, and is not counted as a visit of its own.
- **Visitors who never come.** A visit's expected length is how long the service's recent
  called tickets held a desk, from the call to their end: a no-show (recalled, then marked) and
  a transfer count what they really cost, not a whole visit (``waits.service_times``).
- **Hour of day.** A visit is expected to last the mean of the service's recent visits called in
  that local hour (at least ``MIN_HOUR_SAMPLES`` of them), else of its last ``HISTORY`` visits,
  else the configured default.
- **Nobody at work** for the service: as if one operator came in half a visit from now (the
  estimate is then only as good as that guess, and its range says so).

The range is about an 80 % interval: the visitor's wait is the sum of the ``k`` visits started
before theirs, shared by the desks, so its relative spread is the services' coefficient of
variation over the square root of ``k``; ``BASE_SPREAD`` (relative) and ``BASE_SPREAD_S``
(absolute, for a wait above nothing) stand for what the replay does not know (breaks to come,
transfers, late bookings, the moment a desk really comes free):
``low, high = W -+ 1.28 sqrt(W**2 (cv**2 / k + BASE_SPREAD**2) + BASE_SPREAD_S**2)``. Both were
set on the office-day simulator's three scenarios, five days each, pooled: the wait then fell
within the range for 80 % of visitors (``docs/queue.md``). Without any operator at work the high
end adds a whole visit more.
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo

from hub.services.queue.calling import Candidate, choose, is_fair

HISTORY = 20
MIN_HOUR_SAMPLES = 5
DEFAULT_CV = 0.5
BASE_SPREAD = 0.3
BASE_SPREAD_S = 180.0
Z_80 = 1.28
MIN_BACK = timedelta(minutes=1)
UNKNOWN_BREAK = timedelta(minutes=15)
MIN_BREAK_DAYS = 2
BREAK_OVERDUE = timedelta(minutes=30)
LATE_START = timedelta(minutes=30)
MIN_REMAINING_S = 30.0
MAX_STEPS = 5000
UNSTAFFED = -1
DEFAULT_VISIT_S = 600.0
"""The desk standing for "someone will come" when nobody serves the service."""


@dataclass(frozen=True)
class Estimate:
    """A wait in seconds with its range; ``ahead`` visits start before this one, ``staffed`` is
    false when nobody serving the service is at work."""

    seconds: int
    low_s: int
    high_s: int
    ahead: int = 0
    staffed: bool = True
    likely_s: int | None = None
    """The replay's wait, when ``seconds`` says a cautious one (``Office.percent``)."""


@dataclass(frozen=True, slots=True)
class Ticket(Candidate):
    """A ticket in the replay: waiting, or a booking expected at its slot (``ready_at``); the
    calling rule sees it as the candidate it is."""

    ready_at: datetime | None = None
    """Not to be called before this (running late; a booking not yet arrived)."""
    target_operator_id: int | None = None
    weight: float = 1.0
    """The share of a visit it is expected to cost a desk: below 1 for a booking not checked in
    yet, as some bookings are never kept (what an expected visitor costs on average)."""


@dataclass(frozen=True)
class PlannedBreak:
    """A break an operator at work is expected to take today: from ``at`` (or when the visit
    then in hand ends), for ``seconds``."""

    at: datetime
    seconds: float


@dataclass(frozen=True)
class Desk:
    """An operator at work: the services of their work groups, when they can next call."""

    user_id: int
    services: frozenset[int]
    back_at: datetime | None
    """When the desk can call the next visitor; None: not back (a break of unknown length)."""
    pause: PlannedBreak | None = None
    """Their usual break, not taken yet today."""


@dataclass(frozen=True)
class Office:
    """What a replay starts from: the line, the desks, each service's visit lengths and calling
    mode (``nearest`` when not given)."""

    tickets: Sequence[Ticket]
    desks: Sequence[Desk]
    times: Mapping[int, ServiceTimes]
    modes: Mapping[int, str] = field(default_factory=dict)
    onward: Mapping[int, Mapping[int, float]] = field(default_factory=dict)
    """Per service, the share of its visits sent on to each other service (transfers)."""
    percent: int = 50
    """The share of visitors to be called within the wait said (``with_range``)."""


@dataclass(frozen=True)
class ServiceTimes:
    """A service's recent visit lengths in seconds, newest first, with the local hour each was
    called in, and the configured default for a service without history."""

    default_s: float
    samples: tuple[tuple[int, float], ...] = ()
    _hours: dict[int, float] = field(default_factory=dict, compare=False, repr=False)

    def mean(self, hour: int | None = None) -> float:
        """The expected length of a visit called in ``hour`` (any hour when None)."""
        if hour is not None:
            if hour not in self._hours:
                lengths = [s for h, s in self.samples if h == hour]
                found = sum(lengths) / len(lengths) if len(lengths) >= MIN_HOUR_SAMPLES else 0.0
                self._hours[hour] = found
            if self._hours[hour]:
                return self._hours[hour]
        recent = [s for _h, s in self.samples[:HISTORY]]
        return sum(recent) / len(recent) if recent else self.default_s

    def cv(self) -> float:
        """The coefficient of variation of visit lengths (``DEFAULT_CV`` with under 3 visits)."""
        lengths = [s for _h, s in self.samples]
        mean = sum(lengths) / len(lengths) if lengths else 0.0
        if len(lengths) < 3 or mean <= 0:
            return DEFAULT_CV
        return statistics.pstdev(lengths) / mean

    def remaining(self, elapsed: float) -> float:
        """The expected rest of a visit that has run ``elapsed`` seconds."""
        left = [s - elapsed for _h, s in self.samples if s > elapsed]
        if left:
            return max(MIN_REMAINING_S, sum(left) / len(left))
        return max(MIN_REMAINING_S, self.mean() - elapsed, 0.2 * self.mean())


def typical_length(lengths: Iterable[float]) -> float | None:
    """The median of past lengths (a break's usual length), None without any."""
    found = sorted(length for length in lengths if length > 0)
    return statistics.median(found) if found else None


def back_from_break(now: datetime, since: datetime, usual_s: float | None) -> datetime:
    """When an operator on a break is expected back: ``since`` plus their usual break, at least a
    minute from now. With no usual break known: after ``UNKNOWN_BREAK``, or once the break has
    lasted as long again as it has so far (a break already long is likely to be a long one)."""
    if usual_s is None:
        lasted = max(timedelta(0), now - since)
        return max(since + max(UNKNOWN_BREAK, 2 * lasted), now + MIN_BACK)
    return max(since + timedelta(seconds=usual_s), now + MIN_BACK)


def usual_break_today(
    away: Iterable[tuple[date, datetime, float]],
    days_at_work: int,
    *,
    now: datetime,
    today: date,
    tz: tzinfo,
) -> PlannedBreak | None:
    """The break an operator is expected to take today, from their spans away from work
    (``away``: the day, start and seconds of each span of a status other than free and busy,
    today's included) and the number of past days they worked (``days_at_work``); None when
    they take none as a rule, or already took one today (see the module's note)."""
    first: dict[date, tuple[datetime, float]] = {}
    for day, start, seconds in away:
        if seconds > 0 and (day not in first or start < first[day][0]):
            first[day] = (start, seconds)
    if today in first:
        return None
    past = [found for day, found in first.items() if day < today]
    if len(past) < MIN_BREAK_DAYS or 2 * len(past) < days_at_work:
        return None
    at = _time_of_day((start for start, _seconds in past), today, tz)
    seconds = float(statistics.median(length for _start, length in past))
    if at + timedelta(seconds=seconds) + BREAK_OVERDUE < now:
        return None
    return PlannedBreak(at, seconds)


def _time_of_day(moments: Iterable[datetime], today: date, tz: tzinfo) -> datetime:
    """Today at the median local time of day of ``moments``."""
    offsets = []
    for moment in moments:
        local = moment.astimezone(tz)
        offsets.append(local.hour * 3600 + local.minute * 60 + local.second)
    midnight = datetime.combine(today, time(0), tzinfo=tz)
    return midnight + timedelta(seconds=statistics.median(offsets))


def usual_start(
    first_in: Mapping[date, datetime], office_days: int, *, today: date, tz: tzinfo
) -> datetime | None:
    """An operator's usual time of coming to work, today, from the moment they first came on
    each recent day (``first_in``: the start of the day's first status other than offline,
    today's included) and the number of past days the office worked (``office_days``: someone
    came); None when they came today already, or have no usual time.

    They have one when they came on at least ``MIN_BREAK_DAYS`` of the past days and on at
    least half of the office's, mostly (two days in three) within ``LATE_START`` of the median
    time of day (an operator on changing shifts has none)."""
    if today in first_in:
        return None
    past = [moment for day, moment in first_in.items() if day < today]
    if len(past) < MIN_BREAK_DAYS or 2 * len(past) < office_days:
        return None
    at = _time_of_day(past, today, tz)
    near = sum(1 for moment in past if abs(_time_of_day([moment], today, tz) - at) <= LATE_START)
    return at if 3 * near >= 2 * len(past) else None


def coming_at(usual: datetime | None, now: datetime) -> datetime | None:
    """When an operator not at work yet, usually coming at ``usual``, is expected
    (``Desk.back_at``): then, or a minute from now when it is near; not once it is
    ``LATE_START`` past (away today)."""
    if usual is None or usual + LATE_START < now:
        return None
    return max(usual, now + MIN_BACK)


def _line_order(t: Ticket) -> tuple[int, datetime, int]:
    return (t.lane, t.effective_at, t.id)


def _can_serve(desk: Desk, ticket: Ticket) -> bool:
    if desk.user_id == UNSTAFFED:
        return True  # the stand-in serves whatever line it is given
    if ticket.target_operator_id is not None:
        return ticket.target_operator_id == desk.user_id
    return desk.user_id == UNSTAFFED or ticket.service_id in desk.services


class _Line:
    """The replayed line, kept so that a desk's candidates are found without scanning it all.

    The calling rule's order follows the line order (lane, effective time, id) within one kind
    of one service, so only the head of each (service, kind) queue can be chosen; tickets with a
    time before which they cannot be called, or meant for one operator, are few and kept apart.
    """

    def __init__(self, tickets: Iterable[Ticket]) -> None:
        self.queues: dict[tuple[int, str], deque[Ticket]] = {}
        self.special: list[Ticket] = []
        for t in sorted(tickets, key=_line_order):
            if t.ready_at is not None or t.target_operator_id is not None:
                self.special.append(t)
            else:
                self.queues.setdefault((t.service_id, t.kind), deque()).append(t)

    def __bool__(self) -> bool:
        return bool(self.special) or any(self.queues.values())

    def mine(self, desk: Desk) -> list[Ticket]:
        """The heads of the desk's queues and the set-apart tickets it may serve."""
        heads = [
            q[0]
            for (service, _kind), q in self.queues.items()
            if q and (desk.user_id == UNSTAFFED or service in desk.services)
        ]
        return heads + [t for t in self.special if _can_serve(desk, t)]

    def add_later(self, ticket: Ticket) -> None:
        """A ticket that joins the line during the replay (``ready_at`` set)."""
        self.special.append(ticket)

    def remove(self, ticket: Ticket) -> None:
        """Take a chosen ticket out (a head, or one set apart)."""
        queue = self.queues.get((ticket.service_id, ticket.kind))
        if queue and queue[0] is ticket:
            queue.popleft()
        else:
            self.special.remove(ticket)


def replay(
    office: Office, *, now: datetime, tz: tzinfo, until: int | None = None
) -> dict[int, tuple[datetime, int]]:
    """When each ticket is called (and how many visits start before it) if everyone calls by the
    rules and every visit takes its expected length; tickets no desk reaches are left out.

    Stops once ``until`` (a ticket id) is called.
    """
    line = _Line(office.tickets)
    any_fair = any(is_fair(office.modes, s) for s in office.modes)
    called: dict[int, tuple[datetime, int]] = {}
    free_at = [(d.back_at, n, d) for n, d in enumerate(office.desks) if d.back_at is not None]
    heapq.heapify(free_at)
    started = 0
    onward_ids = 0  # ids of the visitors expected to be sent on: -1, -2...
    on_break: set[int] = set()  # desks that took their planned break in the replay
    for _step in range(MAX_STEPS):
        if not free_at or not line:
            break
        at, n, desk = heapq.heappop(free_at)
        at = max(at, now)
        if desk.pause is not None and n not in on_break and desk.pause.at <= at:
            on_break.add(n)
            heapq.heappush(free_at, (at + timedelta(seconds=desk.pause.seconds), n, desk))
            continue
        mine = line.mine(desk)
        ready = [t for t in mine if t.ready_at is None or t.ready_at <= at]
        if not ready:
            later = [t.ready_at for t in mine if t.ready_at is not None]
            if later:
                heapq.heappush(free_at, (min(later), n, desk))
            continue
        if any_fair:
            choice = choose(ready, now=at, modes=office.modes)
            assert choice is not None  # ready is not empty
            ticket = next(t for t in ready if t.id == choice.ticket_id)
        else:  # what ``choose`` gives when no service calls in the fair mode, without its cost
            ticket = min(ready, key=_line_order)
        line.remove(ticket)
        sent_on = ticket.id < 0
        if not sent_on:
            called[ticket.id] = (at, started)
            started += 1
        if ticket.id == until:
            break
        service = _times(office.times, ticket.service_id)
        length = service.mean(at.astimezone(tz).hour) * ticket.weight
        end = at + timedelta(seconds=length)
        heapq.heappush(free_at, (end, n, desk))
        if not sent_on:
            for onward_id, share in sorted(office.onward.get(ticket.service_id, {}).items()):
                onward_ids -= 1
                line.add_later(_sent_on(ticket, onward_id, onward_ids, share, end))
    return called


def _sent_on(ticket: Ticket, service_id: int, new_id: int, share: float, at: datetime) -> Ticket:
    """The share of ``ticket``'s visitor expected to be sent on to ``service_id`` when the visit
    ends at ``at``: they keep their time (and so pass that line under Q-5) and cost a desk
    there ``share`` of a visit. Ids below zero: no real ticket, never counted as a visit."""
    return Ticket(
        new_id,
        service_id,
        ticket.lane,
        ticket.effective_at,
        ticket.kind,
        ready_at=at,
        weight=share * ticket.weight,
    )


def with_range(
    seconds: float,
    ahead: int,
    cv: float,
    *,
    staffed: bool = True,
    visit_s: float = 0.0,
    percent: int = 50,
) -> Estimate:
    """A wait of ``seconds`` after ``ahead`` visits, with its range (see the module's note).

    With ``percent`` above 50 the wait said is the one that share of visitors are called
    within, by the same spread (its normal quantile, never past the range's high end): the
    replay's wait is the likeliest one.
    """
    wait = max(0.0, seconds)
    relative = cv * cv / max(ahead, 1) + BASE_SPREAD * BASE_SPREAD
    unsure = BASE_SPREAD_S if wait > 0 else 0.0
    sigma = math.sqrt(wait * wait * relative + unsure * unsure)
    spread = Z_80 * sigma
    low, high = wait - spread, wait + spread
    said = wait + min(spread, _z(percent) * sigma) if wait > 0 else 0.0
    if not staffed:
        high += visit_s
    return Estimate(
        seconds=math.ceil(said),
        low_s=max(0, math.floor(low)),
        high_s=math.ceil(high),
        ahead=ahead,
        staffed=staffed,
        likely_s=math.ceil(wait) if said != wait else None,
    )


def _z(percent: int) -> float:
    """The standard normal quantile of ``percent`` (0 at 50)."""
    return statistics.NormalDist().inv_cdf(percent / 100) if percent > 50 else 0.0


def estimate(target: Ticket, office: Office, *, now: datetime, tz: tzinfo) -> Estimate:
    """The wait of ``target`` (which the office's line may or may not hold already) from now."""
    line = [t for t in office.tickets if t.id != target.id] + [target]
    with_target = replace(office, tickets=line)
    return estimate_all(with_target, now=now, tz=tz, only=target)[target.id]


def estimate_all(
    office: Office, *, now: datetime, tz: tzinfo, only: Ticket | None = None
) -> dict[int, Estimate]:
    """Estimates of every ticket of the office's line (or of ``only``) in one replay."""
    tickets, times = office.tickets, office.times
    wanted = {t.id: t for t in ([only] if only is not None else tickets)}
    until = only.id if only is not None else None
    staffed = any(d.back_at is not None for d in office.desks)
    called = replay(office, now=now, tz=tz, until=until) if staffed else {}
    result: dict[int, Estimate] = {}
    for ticket_id, (at, ahead) in called.items():
        if ticket_id in wanted:
            service = _times(times, wanted[ticket_id].service_id)
            result[ticket_id] = with_range(
                (at - now).total_seconds(), ahead, service.cv(), percent=office.percent
            )
    missing = [t for t in wanted.values() if t.id not in result]
    # Nobody at work for these services (or only on breaks of unknown length): as if one
    # operator came half a visit from now and served each of those lines alone.
    for service_id in sorted({t.service_id for t in missing}):
        service = _times(times, service_id)
        ghost = Desk(
            UNSTAFFED, frozenset({service_id}), now + timedelta(seconds=service.mean() / 2)
        )
        line = [t for t in tickets if t.service_id == service_id and t.target_operator_id is None]
        known = {t.id for t in line}
        line += [t for t in missing if t.service_id == service_id and t.id not in known]
        alone = Office(line, [ghost], times, office.modes)
        for ticket_id, (at, ahead) in replay(alone, now=now, tz=tz, until=until).items():
            if ticket_id in wanted and ticket_id not in result:
                result[ticket_id] = with_range(
                    (at - now).total_seconds(),
                    ahead,
                    service.cv(),
                    staffed=False,
                    visit_s=service.mean(),
                    percent=office.percent,
                )
    for ticket in wanted.values():
        if ticket.id not in result:  # past the replay's steps: a whole visit per place ahead
            service = _times(times, ticket.service_id)
            ahead = sum(1 for t in tickets if t.service_id == ticket.service_id)
            result[ticket.id] = with_range(
                ahead * service.mean(),
                ahead,
                service.cv(),
                staffed=False,
                visit_s=service.mean(),
                percent=office.percent,
            )
    return result


def _times(times: Mapping[int, ServiceTimes], service_id: int) -> ServiceTimes:
    return times.get(service_id) or ServiceTimes(default_s=DEFAULT_VISIT_S)
