"""An office day's scenario (a small TOML file in bench/scenarios/) and the visitors it makes.

Everything random is drawn here, up front, from the seed: who comes when, for what, how long
each visit lasts, who does not come, who needs a second call, who is sent to another service.
The same seed gives the same visitors, whatever the hub then does with them.
"""

from __future__ import annotations

import math
import random
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

MIN_SERVICE_S = 30
DISTRIBUTIONS = ("lognormal", "gamma", "exponential", "constant")
CALLING_MODES = ("nearest", "fair")


class ScenarioError(ValueError):
    """The scenario file is wrong; the message names the key."""


@dataclass(frozen=True)
class Service:
    """A queue service: its arrivals and visit lengths by hour of the day."""

    key: str
    name: str
    target_wait_s: int
    distribution: str
    cv: float
    service_minutes: dict[int, float]  # mean by hour; an hour not given takes the last before it
    walk_ins: dict[int, float]  # visitors per hour
    bookings: dict[int, int]  # booked slots per hour
    slot_minutes: int
    transfer_share: float
    transfer_to: str | None
    calling_mode: str = "nearest"  # the hub's calling order for the service: nearest | fair

    def mean_minutes(self, hour: int) -> float:
        """The mean visit length at ``hour``."""
        known = [h for h in sorted(self.service_minutes) if h <= hour]
        return self.service_minutes[known[-1] if known else min(self.service_minutes)]


@dataclass(frozen=True)
class Break:
    at: time
    minutes: int


@dataclass(frozen=True)
class OperatorPlan:
    """An operator's day: the services they serve, their hours and breaks."""

    name: str
    services: tuple[str, ...]
    start: time
    end: time
    breaks: tuple[Break, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    day: date
    tz: ZoneInfo
    close: time  # walk-ins stop coming; operators whose shift ends then empty the line first
    services: tuple[Service, ...]
    operators: tuple[OperatorPlan, ...]
    walk_s: tuple[float, float]
    no_show_share: float
    recall_share: float
    recall_after_s: int
    give_up_after_s: int
    early_share: float
    early_minutes: tuple[float, float]
    late_share: float
    late_minutes: tuple[float, float]
    missed_share: float
    late_window_minutes: int  # the hub's late check-in window (its default)
    estimate_percent: int = 50  # the hub's wait_estimate_percent (--estimate-percent)

    def at(self, moment: time) -> datetime:
        """``moment`` on the scenario's day, as an aware time."""
        return datetime.combine(self.day, moment, tzinfo=self.tz)

    def service(self, key: str) -> Service:
        return next(s for s in self.services if s.key == key)


@dataclass
class Visitor:
    """One visitor as drawn: when they come, for what, and how the visit goes."""

    seq: int
    service: str
    kind: str  # walk_in | booking
    arrival: datetime | None  # None: a booking never kept
    slot: datetime | None
    service_s: int
    walk_s: int
    no_show: bool
    needs_recall: bool
    transfer_to: str | None
    service2_s: int
    booking_code: str | None = field(default=None)


def _pair(value: Any, key: str) -> tuple[float, float]:
    if not (isinstance(value, list) and len(value) == 2 and 0 <= value[0] <= value[1]):
        raise ScenarioError(f"{key}: give [low, high] with 0 <= low <= high")
    return float(value[0]), float(value[1])


def _share(table: dict[str, Any], key: str, default: float = 0.0) -> float:
    value = float(table.get(key, default))
    if not 0 <= value <= 1:
        raise ScenarioError(f"{key}: a share between 0 and 1")
    return value


def _hours(value: Any, key: str) -> dict[int, float]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{key}: a table of hour = number")
    try:
        hours = {int(hour): float(count) for hour, count in value.items()}
    except ValueError:
        raise ScenarioError(f"{key}: hours are 0..23, values numbers") from None
    if any(not 0 <= h <= 23 or c < 0 for h, c in hours.items()):
        raise ScenarioError(f"{key}: hours are 0..23, values not negative")
    return hours


def _time(value: Any, key: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError(f"{key}: a time such as 09:30") from None


def _calling_mode(value: Any, key: str) -> str:
    if value not in CALLING_MODES:
        raise ScenarioError(f"{key}: one of {', '.join(CALLING_MODES)}")
    return str(value)


def _service(raw: dict[str, Any], calling_mode: str = "nearest") -> Service:
    key = str(raw["key"])
    distribution = str(raw.get("distribution", "lognormal"))
    if distribution not in DISTRIBUTIONS:
        raise ScenarioError(f"services.{key}.distribution: one of {', '.join(DISTRIBUTIONS)}")
    minutes = _hours(raw["service_minutes"], f"services.{key}.service_minutes")
    if not minutes or min(minutes.values()) <= 0:
        raise ScenarioError(f"services.{key}.service_minutes: at least one hour, above zero")
    return Service(
        key=key,
        name=str(raw.get("name", key)),
        target_wait_s=int(float(raw.get("target_wait_min", 15)) * 60),
        distribution=distribution,
        cv=float(raw.get("cv", 0.5)),
        service_minutes=minutes,
        walk_ins=_hours(raw.get("walk_ins", {}), f"services.{key}.walk_ins"),
        bookings={h: int(c) for h, c in _hours(raw.get("bookings", {}), key).items()},
        slot_minutes=int(raw.get("slot_minutes", 15)),
        transfer_share=_share(raw, "transfer_share"),
        transfer_to=raw.get("transfer_to"),
        calling_mode=_calling_mode(
            raw.get("calling_mode", calling_mode), f"services.{key}.calling_mode"
        ),
    )


def load(path: Path) -> Scenario:
    """Read and check a scenario file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        visitors, bookings = raw.get("visitors", {}), raw.get("bookings", {})
        mode = _calling_mode(raw.get("calling_mode", "nearest"), "calling_mode")
        services = tuple(_service(s, mode) for s in raw["services"])
        keys = {s.key for s in services}
        for s in services:
            if s.transfer_to is not None and s.transfer_to not in keys - {s.key}:
                raise ScenarioError(f"services.{s.key}.transfer_to: another service's key")
        operators = tuple(
            OperatorPlan(
                name=str(o["name"]),
                services=tuple(o["services"]),
                start=_time(o["start"], f"operators.{o['name']}.start"),
                end=_time(o["end"], f"operators.{o['name']}.end"),
                breaks=tuple(
                    Break(_time(b["at"], "breaks.at"), int(b["minutes"]))
                    for b in o.get("breaks", [])
                ),
            )
            for o in raw["operators"]
        )
        for o in operators:
            if not set(o.services) <= keys:
                raise ScenarioError(f"operators.{o.name}.services: unknown service")
        return Scenario(
            name=str(raw["name"]),
            day=date.fromisoformat(str(raw["day"])),
            tz=ZoneInfo(str(raw.get("timezone", "Europe/Kyiv"))),
            close=_time(raw["close"], "close"),
            services=services,
            operators=operators,
            walk_s=_pair(visitors.get("walk_seconds", [20, 60]), "visitors.walk_seconds"),
            no_show_share=_share(visitors, "no_show_share"),
            recall_share=_share(visitors, "recall_share"),
            recall_after_s=int(visitors.get("recall_after_s", 45)),
            give_up_after_s=int(visitors.get("give_up_after_s", 90)),
            early_share=_share(bookings, "early_share"),
            early_minutes=_pair(bookings.get("early_minutes", [1, 25]), "bookings.early_minutes"),
            late_share=_share(bookings, "late_share"),
            late_minutes=_pair(bookings.get("late_minutes", [1, 20]), "bookings.late_minutes"),
            missed_share=_share(bookings, "missed_share"),
            late_window_minutes=int(bookings.get("late_window_minutes", 10)),
        )
    except (KeyError, TypeError) as exc:
        raise ScenarioError(f"{path.name}: missing or wrong key {exc}") from None


def with_calling_mode(scenario: Scenario, mode: str) -> Scenario:
    """The scenario with every service calling in ``mode``."""
    _calling_mode(mode, "calling_mode")
    services = tuple(replace(s, calling_mode=mode) for s in scenario.services)
    return replace(scenario, services=services)


def visit_seconds(service: Service, hour: int, rng: random.Random) -> int:
    """One visit's length drawn from the service's distribution at ``hour``."""
    mean = service.mean_minutes(hour) * 60
    cv = max(service.cv, 0.01)
    if service.distribution == "constant":
        value = mean
    elif service.distribution == "lognormal":
        sigma2 = math.log(1 + cv * cv)
        value = rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))
    elif service.distribution == "gamma":
        shape = 1 / (cv * cv)
        value = rng.gammavariate(shape, mean / shape)
    else:
        value = rng.expovariate(1 / mean)
    return max(MIN_SERVICE_S, round(value))


def visitors(scenario: Scenario, seed: int) -> list[Visitor]:
    """Everyone who comes (or booked and does not), in order of arrival, drawn from ``seed``."""
    drawn: list[Visitor] = []
    for service in scenario.services:
        rng = random.Random(f"{seed}:{service.key}")
        for hour in sorted(service.walk_ins):
            rate = service.walk_ins[hour]
            moment = scenario.at(time(hour))
            end = min(moment + timedelta(hours=1), scenario.at(scenario.close))
            while rate > 0:
                moment += timedelta(seconds=round(rng.expovariate(rate / 3600)))
                if moment >= end:
                    break
                drawn.append(draw_visitor(scenario, service, "walk_in", moment, None, rng))
        for hour in sorted(service.bookings):
            slots = max(1, 60 // service.slot_minutes)
            for _ in range(service.bookings[hour]):
                slot = scenario.at(time(hour)) + timedelta(
                    minutes=service.slot_minutes * rng.randrange(slots)
                )
                drawn.append(draw_visitor(scenario, service, "booking", slot, slot, rng))
    drawn.sort(key=lambda v: (v.arrival or v.slot or scenario.at(time(0)), v.service))
    for seq, visitor in enumerate(drawn, start=1):
        visitor.seq = seq
    return drawn


def draw_visitor(
    scenario: Scenario,
    service: Service,
    kind: str,
    moment: datetime,
    slot: datetime | None,
    rng: random.Random,
) -> Visitor:
    hour = moment.astimezone(scenario.tz).hour
    # Every visitor takes the same draws in the same order, so one share changed in a scenario
    # does not reshuffle everything else.
    length = visit_seconds(service, hour, rng)
    walk = round(rng.uniform(*scenario.walk_s))
    no_show = rng.random() < scenario.no_show_share
    recall = rng.random() < scenario.recall_share
    moved = rng.random() < service.transfer_share
    target = scenario.service(service.transfer_to) if service.transfer_to else None
    second = visit_seconds(target, hour, rng) if target is not None else 0
    arrival: datetime | None = moment
    if kind == "booking":
        pick = rng.random()
        early = rng.uniform(*scenario.early_minutes)
        late = rng.uniform(*scenario.late_minutes)
        if pick < scenario.missed_share:
            arrival = None
        elif pick < scenario.missed_share + scenario.early_share:
            arrival = moment - timedelta(minutes=early)
        elif pick < scenario.missed_share + scenario.early_share + scenario.late_share:
            arrival = moment + timedelta(minutes=late)
        else:
            arrival = moment + timedelta(seconds=rng.uniform(-60, 60))
        if arrival is not None:
            arrival = arrival.replace(microsecond=0)
    return Visitor(
        seq=0,
        service=service.key,
        kind=kind,
        arrival=arrival,
        slot=slot,
        service_s=length,
        walk_s=walk,
        no_show=no_show and not moved,
        needs_recall=recall,
        transfer_to=service.transfer_to if moved and target is not None else None,
        service2_s=second,
    )
