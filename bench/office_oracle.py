"""The best wait estimate possible on a simulated day (the "oracle"): a lower bound for any
estimator the hub could have.

At each issue the oracle knows everything the simulator knows at that moment and nothing it
has not drawn yet: the state of every operator (at work, on break, with a visitor in hand since
when, whether that visitor has reached the window), every waiting ticket and its place, the
operators' shifts and breaks to come, the bookings not yet checked in, and the scenario's true
distributions (walk-ins per hour, visit lengths per service and hour, the shares of no-shows,
recalls, transfers, early, late and missed bookings). It does not know the draws still to come:
how long each visit will last, who will not come, who will be sent on, when the next visitor
walks in.

So it forks the day ``runs`` times from the moment of issue, each fork with fresh draws (a
visit in progress lasts at least as long as it has so far; a booking not checked in comes later
or never), plays each fork with the engine itself against ``RuleLine`` (the hub's calling rule,
``hub.services.queue.calling.choose``, over the engine's visits) until the new visitor is
called, and says the median of those waits (the estimate with the least mean absolute error)
with the 10 and 90 % quantiles as its range. The hub's estimate and the oracle's are scored
alike (bench/office_report.py).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path

from bench.office_engine import Engine, ModelLine, Operator, Visit
from bench.office_report import OPTIMISTIC_S, kept_booking, pct
from bench.office_scenario import Scenario, Visitor, draw_visitor, load, visit_seconds, visitors
from hub.services.queue.calling import BOOKING_KIND, Candidate, choose
from hub.services.queue.core import NORMAL

ORACLE_RUNS = 200
EARLY_CHECK_IN = timedelta(minutes=30)  # the hub's early check-in window (its default)
TRIES = 50  # draws to find one consistent with what has been seen, before giving up
WALK_IN_KIND = "walk_in"
# The events a fork keeps as they are (known plans); the visitors' are drawn afresh.
PLANNED = ("op_start", "op_break", "op_end", "op_break_end")


class RuleLine(ModelLine):
    """The hub's calling rule as a model line: Free gives the ticket ``choose`` gives among the
    operator's services' waiting tickets (a walk-in at its arrival, a booking checked in within
    its window at its slot, a transfer keeping its time); a newly waiting ticket goes to the
    operator free longest who serves it. Late bookings become walk-ins (the hub's default)."""

    def __init__(self, engine: Engine, first_ticket: int = 1) -> None:
        scenario = engine.scenario
        self.late = timedelta(minutes=scenario.late_window_minutes)
        self.ids = {s.key: i for i, s in enumerate(scenario.services, start=1)}
        self.modes = {self.ids[s.key]: s.calling_mode for s in scenario.services}
        self.waiting: dict[int, Visit] = {}
        self.places: dict[int, tuple[datetime, str]] = {}  # ticket -> effective time, kind
        self.idle: dict[str, tuple[datetime, int, Operator]] = {}
        self._tickets = itertools.count(first_ticket)
        self._order = itertools.count()
        self.now = scenario.at(time(0))  # the engine moves it to each event

    def at(self, moment: datetime) -> None:
        self.now = moment

    def _choice(self, op: Operator) -> int | None:
        candidates = [
            Candidate(ticket, self.ids[visit.service], NORMAL, *self.places[ticket])
            for ticket, visit in self.waiting.items()
            if visit.service in op.plan.services
        ]
        choice = choose(candidates, now=self.now, modes=self.modes)
        return None if choice is None else choice.ticket_id

    def free(self, op: Operator) -> Visit | None:
        ticket = self._choice(op)
        if ticket is None:
            self.idle[op.name] = (self.now, next(self._order), op)
            return None
        self.idle.pop(op.name, None)
        return self.waiting.pop(ticket)

    def pause(self, op: Operator) -> None:
        self.idle.pop(op.name, None)

    def leave(self, op: Operator) -> None:
        self.idle.pop(op.name, None)

    def wait(self, visit: Visit, effective: datetime, kind: str) -> None:
        """Put ``visit`` in the line (a fork's waiting tickets, or a newcomer)."""
        self.waiting[visit.ticket] = visit
        self.places[visit.ticket] = (effective, kind)

    def _join(self, visit: Visit, effective: datetime, kind: str) -> Operator | None:
        self.wait(visit, effective, kind)
        for _since, _order, op in sorted(self.idle.values(), key=lambda i: (i[0], i[1])):
            if visit.service not in op.plan.services:
                continue
            if self._choice(op) != visit.ticket:
                raise RuntimeError(f"{op.name} was free with an earlier ticket waiting")
            del self.idle[op.name]
            del self.waiting[visit.ticket]
            return op
        return None

    def issue(self, visitor: Visitor) -> tuple[Visit, Operator | None]:
        visit = Visit(visitor, next(self._tickets), self.now, None, visitor.service)
        return visit, self._join(visit, self.now, WALK_IN_KIND)

    def check_in(self, visitor: Visitor) -> tuple[Visit, Operator | None] | None:
        slot = visitor.slot
        if slot is None or self.now < slot - EARLY_CHECK_IN:
            return None
        visit = Visit(visitor, next(self._tickets), self.now, None, visitor.service)
        if self.now <= slot + self.late:
            return visit, self._join(visit, slot, BOOKING_KIND)
        return visit, self._join(visit, self.now, WALK_IN_KIND)

    def transfer(self, op: Operator, visit: Visit, service: str) -> Operator | None:
        effective, kind = self.places[visit.ticket]
        visit.service = service
        return self._join(visit, effective, kind)


def _basis(visitor: Visitor) -> datetime:
    """The moment a visitor's draws were made for (its hour sets the visit's mean length)."""
    moment = visitor.slot if visitor.kind == "booking" else visitor.arrival
    assert moment is not None
    return moment


def _redrawn(scenario: Scenario, visitor: Visitor, rng: random.Random) -> Visitor:
    """``visitor`` as known (who, when, for what) with the rest drawn afresh."""
    fresh = draw_visitor(
        scenario,
        scenario.service(visitor.service),
        visitor.kind,
        _basis(visitor),
        visitor.slot,
        rng,
    )
    return replace(
        visitor,
        service_s=fresh.service_s,
        walk_s=fresh.walk_s,
        no_show=fresh.no_show,
        needs_recall=fresh.needs_recall,
        transfer_to=fresh.transfer_to,
        service2_s=fresh.service2_s,
    )


def _place(visit: Visit) -> tuple[datetime, str]:
    """A waiting ticket's effective time and kind, as the hub set them at check-in."""
    if kept_booking(visit) and visit.visitor.slot is not None:
        return visit.visitor.slot, BOOKING_KIND
    return visit.issued_at, WALK_IN_KIND


@dataclass
class Fork:
    """One fork of the day, and the new visitor in it."""

    engine: Engine
    target: Visit

    def called(self) -> bool:
        return self.target.first_called_at is not None


def fork(engine: Engine, target: Visit, rng: random.Random) -> Fork:
    """The day from ``engine.now`` on, as the simulator knows it, with fresh draws."""
    scenario, now = engine.scenario, engine.now
    first_ticket = max(v.ticket for v in engine.result.visits) + 1
    clone = Engine(scenario, [], lambda e: RuleLine(e, first_ticket))
    clone.now = now
    line = clone.line
    assert isinstance(line, RuleLine)
    line.at(now)
    ops = {id(op): replace(op, visit=None) for op in engine.operators}
    clone.operators = list(ops.values())
    clone.result.operators = clone.operators
    in_hand = {id(op.visit): op for op in engine.operators if op.visit is not None}
    copied_target: Visit | None = None
    for visit in engine.result.visits:
        if visit.finished_at is not None or visit.no_show:
            continue
        copy = replace(visit, visitor=_redrawn(scenario, visit.visitor, rng))
        if visit is target:
            copied_target = copy
        holder = in_hand.get(id(visit))
        if holder is None:
            line.wait(copy, *_place(visit))
        else:
            line.places[copy.ticket] = _place(visit)  # a transfer keeps it
            _in_progress(clone, ops[id(holder)], holder, copy, rng)
    assert copied_target is not None
    for at, _seq, kind, args in engine.pending():
        if kind in PLANNED:
            clone.push(at, kind, ops[id(args[0])], *args[1:])
    _future_arrivals(engine, clone, rng)
    return Fork(clone, copied_target)


def _in_progress(
    clone: Engine, op: Operator, original: Operator, visit: Visit, rng: random.Random
) -> None:
    """The visit ``original`` has in hand, its rest drawn afresh but consistent with what has
    been seen: a visitor at the window stays at least as long as they have so far; one called
    and not there yet comes (or is given up on) later than now."""
    scenario, now = clone.scenario, clone.now
    op.visit = visit
    called = original.called_at
    assert called is not None
    if original.started_at is not None:
        service = scenario.service(visit.service)
        hour = _basis(visit.visitor).astimezone(scenario.tz).hour
        spent = (now - original.started_at).total_seconds()
        length = next(
            (n for _ in range(TRIES) if (n := visit_seconds(service, hour, rng)) > spent),
            int(spent) + 1,
        )
        if visit.leg == 1:
            visit.visitor.service_s = length
        else:
            visit.visitor.service2_s = length
        clone.push(original.started_at + timedelta(seconds=length), "finish", op, visit)
        return
    recall = timedelta(seconds=scenario.recall_after_s)
    for _ in range(TRIES):
        who = visit.visitor
        walk = timedelta(seconds=who.walk_s)
        if visit.leg == 1 and who.no_show:
            kind, at = "gone", called + timedelta(seconds=scenario.give_up_after_s)
        elif visit.leg == 1 and who.needs_recall:
            kind, at = "at_window", called + recall + walk
        else:
            kind, at = "at_window", called + walk
        if at > now:
            clone.push(at, kind, op, visit)
            return
        visit.visitor = _redrawn(scenario, who, rng)
    clone.push(now + timedelta(seconds=1), "at_window", op, visit)


def _future_arrivals(engine: Engine, clone: Engine, rng: random.Random) -> None:
    """Walk-ins from now on at the scenario's rates; the bookings not checked in yet, each
    coming later than now or never, at the scenario's shares."""
    scenario, now = engine.scenario, engine.now
    close = scenario.at(scenario.close)
    for service in scenario.services:
        for hour in sorted(service.walk_ins):
            rate = service.walk_ins[hour]
            moment = max(scenario.at(time(hour)), now)
            end = min(scenario.at(time(hour)) + timedelta(hours=1), close)
            while rate > 0:
                moment += timedelta(seconds=round(rng.expovariate(rate / 3600)))
                if moment >= end:
                    break
                visitor = draw_visitor(scenario, service, WALK_IN_KIND, moment, None, rng)
                clone.push(moment, "arrive", visitor)
    known = {v.visitor.seq for v in engine.result.visits} | {v.seq for v in engine.result.refused}
    for booked in engine.visitors:
        if booked.kind != "booking" or booked.slot is None or booked.seq in known:
            continue
        service = scenario.service(booked.service)
        for _ in range(TRIES):
            fresh = draw_visitor(scenario, service, "booking", booked.slot, booked.slot, rng)
            if fresh.arrival is None or fresh.arrival > now:
                break
        if fresh.arrival is not None and fresh.arrival > now:
            fresh.seq, fresh.booking_code = booked.seq, booked.booking_code
            clone.push(fresh.arrival, "arrive", fresh)


def forecast(engine: Engine, target: Visit, runs: int, rng: random.Random) -> list[int]:
    """The new visitor's wait (seconds from now to their first call) in ``runs`` forks."""
    now = engine.now
    waits = []
    for _ in range(runs):
        branch = fork(engine, target, rng)
        day = branch.engine
        day.play(stop=branch.called)
        called = branch.target.first_called_at or day.now
        waits.append(round((called - now).total_seconds()))
    return waits


class Oracle:
    """The engine's ``on_issue``: sets each waiting visitor's ``oracle_s`` (the median wait of
    ``runs`` forks) and ``oracle_range_s`` (their 10 and 90 % quantiles). Seeded by the day's
    seed and the visitor, so the same day gives the same estimates."""

    def __init__(self, seed: int, runs: int = ORACLE_RUNS) -> None:
        if runs < 1:
            raise ValueError("the oracle needs at least one run")
        self.seed, self.runs = seed, runs

    def __call__(self, engine: Engine, visit: Visit) -> None:
        rng = random.Random(f"oracle:{self.seed}:{visit.visitor.seq}")
        waits = sorted(forecast(engine, visit, self.runs, rng))
        median, low, high = (quantile(waits, p) for p in (50, 10, 90))
        visit.oracle_s, visit.oracle_range_s = median, (low, high)
        visit.oracle_forecast = tuple(waits)


def quantile(ordered: Sequence[int], p: float) -> int:
    """The nearest-rank ``p`` % quantile of sorted, non-empty ``ordered``."""
    found = pct([float(w) for w in ordered], p)
    assert found is not None
    return round(found)


def trade_off(visits: Sequence[Visit], quantiles: Sequence[int]) -> list[dict[str, float]]:
    """What the oracle would score saying the ``q`` % quantile of its forecast instead of the
    median, for each ``q``: the price in mean absolute error of being too optimistic less
    often. Scored as the hub's estimate (the wait from issue to the first call)."""
    rows = []
    for q in quantiles:
        errors = [
            (visit.first_called_at - visit.issued_at).total_seconds()
            - quantile(visit.oracle_forecast, q)
            for visit in visits
            if visit.oracle_forecast and visit.first_called_at is not None
        ]
        if not errors:
            continue
        rows.append(
            {
                "quantile": q,
                "estimates": len(errors),
                "mae_s": sum(abs(e) for e in errors) / len(errors),
                "optimistic_5min": sum(e > OPTIMISTIC_S for e in errors) / len(errors),
                "bias_s": sum(errors) / len(errors),
            }
        )
    return rows


def main() -> None:
    """The oracle alone, fast: the day played by ``RuleLine`` (which calls every visitor at the
    moment the hub does: 597 of 597 on the busy morning's five days), no hub."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", help="a file or a name in bench/scenarios/")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=5, help="seeds SEED..SEED+DAYS-1 pooled")
    parser.add_argument("--runs", type=int, default=ORACLE_RUNS, help="forks per issue")
    args = parser.parse_args()
    path = Path(args.scenario)
    if not path.is_file():
        path = Path(__file__).resolve().parent / "scenarios" / f"{args.scenario}.toml"
    if not path.is_file():
        raise SystemExit(f"no scenario {args.scenario!r}")
    if not 1 <= args.days <= 100 or not 1 <= args.runs <= 10_000:
        raise SystemExit("--days: 1 to 100; --runs: 1 to 10000")
    scenario = load(path)
    seeds = range(args.seed, args.seed + args.days)
    visits = [
        visit
        for seed in seeds
        for visit in Engine(
            scenario, visitors(scenario, seed), RuleLine, on_issue=Oracle(seed, args.runs)
        )
        .run()
        .visits
    ]
    lines = [
        f"**{scenario.name}**, the oracle saying its forecast's quantile (seeds "
        f"{seeds.start}-{seeds.stop - 1}, {args.runs} forks per issue)",
        "",
        "| quantile | estimates | MAE | too optimistic > 5 min | bias |",
        "|---|---|---|---|---|",
    ]
    for row in trade_off(visits, (50, 60, 70, 80, 90, 95)):
        lines.append(
            f"| {row['quantile']:.0f} % | {row['estimates']:.0f} | {row['mae_s'] / 60:.1f} "
            f"| {row['optimistic_5min'] * 100:.0f}% | {row['bias_s'] / 60:+.1f} |"
        )
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
