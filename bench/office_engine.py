"""The office day as a discrete-event simulation: operators and visitors act at their times,
and a ``Line`` decides who is called. ``HubLine`` (bench/office_day.py) is the real hub over
MQTT; ``FirstComeLine`` here is pure first-come order, the counterfactual on the same visitors.

The engine jumps from one event to the next (the line's ``at`` moves the hub's clock there) and
never waits for real time, so a day takes as long as the hub takes to answer.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bench.office_scenario import OperatorPlan, Scenario, Visitor


@dataclass(eq=False)
class Operator:
    """An operator during the simulation: their plan, where they are, their time."""

    plan: OperatorPlan
    end: datetime
    stays_to_empty: bool  # their shift ends at closing: they serve the line out first
    state: str = "off"  # off | idle | busy | break | gone
    visit: Visit | None = None
    pending_break: int | None = None
    since: datetime | None = None
    called_at: datetime | None = None  # when the visit in hand was called (this leg)
    started_at: datetime | None = None  # when its visitor reached the window (None: not yet)
    busy_s: float = 0.0
    present_s: float = 0.0
    break_s: float = 0.0

    @property
    def name(self) -> str:
        return self.plan.name


@dataclass(eq=False)
class Visit:
    """A visitor's ticket: what the line said at issue and when they were first called."""

    visitor: Visitor
    ticket: int
    issued_at: datetime
    estimate_s: int | None
    service: str
    estimate_range_s: tuple[int, int] | None = None
    leg: int = 1
    first_called_at: datetime | None = None
    first_operator: str | None = None
    late_walk_in: bool = False
    finished_at: datetime | None = None
    no_show: bool = False
    # The oracle's estimate at issue and its 10-90 % range (bench/office_oracle.py), when asked.
    oracle_s: int | None = None
    oracle_range_s: tuple[int, int] | None = None
    oracle_forecast: tuple[int, ...] = ()  # the forks' waits, in order


class Line(Protocol):
    """Who is called: the real hub, or a model of a calling rule."""

    def at(self, moment: datetime) -> None: ...
    def login(self, op: Operator) -> None: ...
    def free(self, op: Operator) -> Visit | None: ...
    def pause(self, op: Operator) -> None: ...
    def leave(self, op: Operator) -> None: ...
    def issue(self, visitor: Visitor) -> tuple[Visit, Operator | None]: ...
    def check_in(self, visitor: Visitor) -> tuple[Visit, Operator | None] | None: ...
    def recall(self, op: Operator, visit: Visit) -> None: ...
    def start(self, op: Operator, visit: Visit) -> None: ...
    def finish(self, op: Operator, visit: Visit) -> None: ...
    def no_show(self, op: Operator, visit: Visit) -> None: ...
    def transfer(self, op: Operator, visit: Visit, service: str) -> Operator | None: ...


@dataclass
class DayResult:
    visits: list[Visit]
    operators: list[Operator]
    refused: list[Visitor] = field(default_factory=list)
    missed: list[Visitor] = field(default_factory=list)
    events: int = 0


def pooled(days: list[DayResult]) -> DayResult:
    """Several days (of one scenario, other seeds) as one: their visitors renumbered apart, in
    the same order for the hub's days and their first-come counterparts; each operator's time
    summed over the days."""
    merged = DayResult(visits=[], operators=[])
    by_name: dict[str, Operator] = {}
    for index, day in enumerate(days):
        for visit in day.visits:
            visit.visitor.seq = index * 1_000_000 + visit.visitor.seq % 1_000_000
        merged.visits += day.visits
        merged.refused += day.refused
        merged.missed += day.missed
        merged.events += day.events
        for op in day.operators:
            total = by_name.setdefault(op.name, replace(op, busy_s=0, present_s=0, break_s=0))
            total.busy_s += op.busy_s
            total.present_s += op.present_s
            total.break_s += op.break_s
    merged.operators = list(by_name.values())
    return merged


class Engine:
    """Runs one day of ``scenario`` for ``visitors`` against ``line``."""

    def __init__(
        self,
        scenario: Scenario,
        visitors: list[Visitor],
        make_line: Callable[[Engine], Line],
        *,
        on_issue: Callable[[Engine, Visit], None] | None = None,
    ) -> None:
        self.scenario = scenario
        self.visitors = visitors
        close = scenario.at(scenario.close)
        self.operators = [
            Operator(plan=p, end=scenario.at(p.end), stays_to_empty=scenario.at(p.end) >= close)
            for p in scenario.operators
        ]
        self.line = make_line(self)
        self._heap: list[tuple[datetime, int, str, tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self.result = DayResult(visits=[], operators=self.operators)
        self.now = scenario.at(scenario.close) - timedelta(days=1)
        # Told of each visitor who waits after issue (not called at once), with the engine as it
        # is then: the oracle (bench/office_oracle.py) forks the day from there.
        self.on_issue = on_issue

    def push(self, at: datetime, kind: str, *args: Any) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), kind, args))

    def run(self) -> DayResult:
        """Play the day to its end (every visitor served or gone, every operator gone)."""
        self.schedule()
        return self.play()

    def schedule(self) -> None:
        """The day's known events: the operators' shifts and breaks, the visitors' arrivals."""
        for op in self.operators:
            self.push(self.scenario.at(op.plan.start), "op_start", op)
            for pause in op.plan.breaks:
                self.push(self.scenario.at(pause.at), "op_break", op, pause.minutes)
            self.push(op.end, "op_end", op)
        for visitor in self.visitors:
            if visitor.arrival is None:
                self.result.missed.append(visitor)
            else:
                self.push(visitor.arrival, "arrive", visitor)

    def pending(self) -> list[tuple[datetime, int, str, tuple[Any, ...]]]:
        """The events still to come, in no particular order (a fork reads them)."""
        return list(self._heap)

    def play(self, stop: Callable[[], bool] | None = None) -> DayResult:
        """Play the events scheduled, to the end or until ``stop()`` says so after one."""
        while self._heap:
            moment, _, kind, args = heapq.heappop(self._heap)
            self.now = moment
            self.line.at(moment)
            getattr(self, f"_{kind}")(*args)
            self.result.events += 1
            if stop is not None and stop():
                return self.result
        for op in self.operators:
            self._account(op)
        return self.result

    # ---- time accounting ----------------------------------------------------------------------

    def _account(self, op: Operator) -> None:
        if op.since is not None:
            spent = (self.now - op.since).total_seconds()
            if op.state == "busy":
                op.busy_s += spent
            if op.state == "break":
                op.break_s += spent
            if op.state != "off":
                op.present_s += spent
        op.since = self.now

    def _become(self, op: Operator, state: str) -> None:
        self._account(op)
        op.state = state

    # ---- operators ----------------------------------------------------------------------------

    def _op_start(self, op: Operator) -> None:
        self.line.login(op)
        self._become(op, "idle")
        self._free(op)

    def _free(self, op: Operator) -> None:
        visit = self.line.free(op)
        if visit is not None:
            self._called(op, visit)
        elif self.now >= op.end:
            self._leave(op)
        else:
            self._become(op, "idle")

    def _leave(self, op: Operator) -> None:
        self.line.leave(op)
        self._become(op, "gone")

    def _next(self, op: Operator) -> None:
        """The operator's hands are empty again: a break that is due, home, or Free."""
        op.visit = None
        if op.pending_break is not None:
            minutes, op.pending_break = op.pending_break, None
            self._pause(op, minutes)
        elif self.now >= op.end and not op.stays_to_empty:
            self._leave(op)
        else:
            self._free(op)

    def _pause(self, op: Operator, minutes: int) -> None:
        self.line.pause(op)
        self._become(op, "break")
        self.push(self.now + timedelta(minutes=minutes), "op_break_end", op)

    def _op_break(self, op: Operator, minutes: int) -> None:
        if op.state == "idle":
            self._pause(op, minutes)
        elif op.state == "busy":
            op.pending_break = minutes

    def _op_break_end(self, op: Operator) -> None:
        self._become(op, "idle")
        if self.now >= op.end and not op.stays_to_empty:
            self._leave(op)
        else:
            self._free(op)

    def _op_end(self, op: Operator) -> None:
        if op.state == "idle":
            self._leave(op)

    # ---- visitors -----------------------------------------------------------------------------

    def _arrive(self, visitor: Visitor) -> None:
        if visitor.kind == "walk_in":
            got: tuple[Visit, Operator | None] | None = self.line.issue(visitor)
        else:
            got = self.line.check_in(visitor)
        if got is None:
            self.result.refused.append(visitor)
            return
        visit, offered = got
        if visitor.kind == "booking" and visitor.slot is not None:
            late = timedelta(minutes=self.scenario.late_window_minutes)
            visit.late_walk_in = self.now > visitor.slot + late
        self.result.visits.append(visit)
        if offered is not None:
            self._called(offered, visit)
        elif self.on_issue is not None:
            self.on_issue(self, visit)

    def _called(self, op: Operator, visit: Visit) -> None:
        if op.state not in ("idle", "busy"):
            raise RuntimeError(f"{op.name} was given a ticket while {op.state}")
        self._become(op, "busy")
        op.visit, op.called_at, op.started_at = visit, self.now, None
        if visit.first_called_at is None:
            visit.first_called_at, visit.first_operator = self.now, op.name
        walk = timedelta(seconds=visit.visitor.walk_s)
        recall = timedelta(seconds=self.scenario.recall_after_s)
        if visit.leg == 1 and visit.visitor.no_show:
            self.push(self.now + recall, "recall", op, visit)
            give_up = timedelta(seconds=self.scenario.give_up_after_s)
            self.push(self.now + give_up, "gone", op, visit)
        elif visit.leg == 1 and visit.visitor.needs_recall:
            self.push(self.now + recall, "recall", op, visit)
            self.push(self.now + recall + walk, "at_window", op, visit)
        else:
            self.push(self.now + walk, "at_window", op, visit)

    def _recall(self, op: Operator, visit: Visit) -> None:
        self.line.recall(op, visit)

    def _gone(self, op: Operator, visit: Visit) -> None:
        self.line.no_show(op, visit)
        visit.no_show, visit.finished_at = True, self.now
        self._next(op)

    def _at_window(self, op: Operator, visit: Visit) -> None:
        self.line.start(op, visit)
        op.started_at = self.now
        length = visit.visitor.service_s if visit.leg == 1 else visit.visitor.service2_s
        self.push(self.now + timedelta(seconds=length), "finish", op, visit)

    def _finish(self, op: Operator, visit: Visit) -> None:
        target = visit.visitor.transfer_to
        if visit.leg == 1 and target is not None:
            offered = self.line.transfer(op, visit, target)
            visit.leg, visit.service = 2, target
            if offered is not None:
                self._called(offered, visit)
        else:
            self.line.finish(op, visit)
            visit.finished_at = self.now
        self._next(op)


class ModelLine:
    """A model of a calling rule: what happens at the window (a recall, the start, the end, a
    no-show) changes nothing in it."""

    def login(self, op: Operator) -> None:
        pass

    def recall(self, op: Operator, visit: Visit) -> None:
        pass

    def start(self, op: Operator, visit: Visit) -> None:
        pass

    def finish(self, op: Operator, visit: Visit) -> None:
        pass

    def no_show(self, op: Operator, visit: Visit) -> None:
        pass


class FirstComeLine(ModelLine):
    """Pure first-come order: each free operator takes whoever of their services came first
    (a booking counts from its arrival, a transfer from its transfer); a newcomer goes to the
    operator who has been free longest."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.waiting: list[tuple[datetime, int, Visit]] = []
        self.idle: dict[str, tuple[datetime, int, Operator]] = {}
        self._tickets = itertools.count(1)
        self._order = itertools.count()

    def at(self, moment: datetime) -> None:
        self.now = moment

    def free(self, op: Operator) -> Visit | None:
        mine = [w for w in self.waiting if w[2].service in op.plan.services]
        if not mine:
            self.idle[op.name] = (self.now, next(self._order), op)
            return None
        first = min(mine, key=lambda w: (w[0], w[1]))
        self.waiting.remove(first)
        return first[2]

    def pause(self, op: Operator) -> None:
        self.idle.pop(op.name, None)

    def leave(self, op: Operator) -> None:
        self.idle.pop(op.name, None)

    def _arrive(self, visit: Visit) -> Operator | None:
        ready = [i for i in self.idle.values() if visit.service in i[2].plan.services]
        if ready:
            chosen = min(ready, key=lambda i: (i[0], i[1]))[2]
            del self.idle[chosen.name]
            return chosen
        self.waiting.append((self.now, next(self._order), visit))
        return None

    def issue(self, visitor: Visitor) -> tuple[Visit, Operator | None]:
        visit = Visit(visitor, next(self._tickets), self.now, None, visitor.service)
        return visit, self._arrive(visit)

    def check_in(self, visitor: Visitor) -> tuple[Visit, Operator | None] | None:
        return self.issue(visitor)

    def transfer(self, op: Operator, visit: Visit, service: str) -> Operator | None:
        moved = Visit(visit.visitor, visit.ticket, self.now, None, service)
        offered = self._arrive(moved)
        # The engine goes on with the visit it holds; keep the two as one.
        visit.service = service
        for index, (at, order, held) in enumerate(self.waiting):
            if held is moved:
                self.waiting[index] = (at, order, visit)
        return offered
