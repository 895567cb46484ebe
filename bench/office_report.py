"""The office day's figures per service, and the table that shows them.

- wait: from arrival (a booking kept in its window: from its slot, if it came early) to the
  first call; p50 and p90 (nearest rank), and the share called within the service's target;
- bookings kept in their window and called within 5 minutes of their slot; and of those that
  were there in time for it (checked in at most 5 minutes after their slot), the same share:
  the part the calling rule can answer for;
- walk-ins' mean wait against pure first-come order on the same visitors (FirstComeLine);
- the estimate the hub gave at issue (the kiosk's reply) against the wait that followed (from
  issue to first call): mean absolute error, its 90th percentile, and the share of visitors
  for whom it was too optimistic by more than 5 minutes; its bias (the mean of the wait less
  the estimate: above zero, too optimistic), and how often the wait fell within the range the
  reply gave. A visitor called at once (the reply has no estimate: the ticket is no longer
  waiting) is counted apart, not as a perfect guess;
- operators' utilisation: time with a visitor in hand over time at work less breaks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench.office_engine import DayResult, Visit
from bench.office_scenario import Scenario

BOOKING_SLACK = timedelta(minutes=5)
OPTIMISTIC_S = 300


def pct(samples: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = math.ceil(len(ordered) * p / 100)
    return ordered[max(0, min(len(ordered) - 1, rank - 1))]


def _mean(samples: list[float]) -> float | None:
    return sum(samples) / len(samples) if samples else None


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def kept_booking(visit: Visit) -> bool:
    """A booking checked in within its window (not turned into a walk-in)."""
    return visit.visitor.kind == "booking" and not visit.late_walk_in


def wait_s(visit: Visit) -> float | None:
    """Seconds from arrival (or the slot of a kept booking that came early) to the first call;
    a booking called before its slot waited nothing."""
    if visit.first_called_at is None:
        return None
    start = visit.issued_at
    if kept_booking(visit) and visit.visitor.slot is not None:
        start = max(start, visit.visitor.slot)
    return max(0.0, (visit.first_called_at - start).total_seconds())


def _walk_in(visit: Visit) -> bool:
    return visit.visitor.kind == "walk_in" or visit.late_walk_in


def _row(
    mine: list[Visit], targets: dict[str, int], by_seq: dict[int, Visit], missed: int
) -> dict[str, Any]:
    """The figures of these visits (of one service, or of all: each against its own target)."""
    timed = [(v, w) for v in mine if (w := wait_s(v)) is not None]
    waits = [w for _v, w in timed]
    kept = [v for v in mine if kept_booking(v) and v.first_called_at is not None]
    on_time = [
        v
        for v in kept
        if v.visitor.slot is not None
        and v.first_called_at is not None
        and v.first_called_at <= v.visitor.slot + BOOKING_SLACK
    ]
    # Those who came in time to be called within 5 minutes of their slot: the calling rule's
    # part (a booking checked in 8 minutes late cannot be).
    there = [
        v
        for v in kept
        if v.visitor.slot is not None and v.issued_at <= v.visitor.slot + BOOKING_SLACK
    ]
    walk_ins = [v for v in mine if _walk_in(v) and v.first_called_at is not None]
    hub_walk = [w for v in walk_ins if (w := wait_s(v)) is not None]
    fcfs_walk = [
        w
        for v in walk_ins
        if (other := by_seq.get(v.visitor.seq)) is not None and (w := wait_s(other)) is not None
    ]
    at_once = sum(1 for v in mine if v.estimate_s is None)
    hub_mean, fcfs_mean = _mean(hub_walk), _mean(fcfs_walk)
    within = sum(w <= targets[v.visitor.service] for v, w in timed)
    return {
        "visitors": len(mine),
        "called": len(waits),
        "never_called": len(mine) - len(waits),
        "wait_p50_s": pct(waits, 50),
        "wait_p90_s": pct(waits, 90),
        "within_target": _share(within, len(waits)),
        "bookings_kept": len(kept),
        "bookings_within_5_min": _share(len(on_time), len(kept)),
        "bookings_there": len(there),
        "bookings_there_within_5_min": _share(len([v for v in on_time if v in there]), len(there)),
        "bookings_missed": missed,
        "walk_in_mean_wait_s": hub_mean,
        "walk_in_mean_wait_fcfs_s": fcfs_mean,
        "walk_in_vs_fcfs": hub_mean / fcfs_mean if hub_mean is not None and fcfs_mean else None,
        "called_at_once": at_once,
        **scores(mine, lambda v: (v.estimate_s, v.estimate_range_s), "estimate"),
        **scores(mine, lambda v: (v.oracle_s, v.oracle_range_s), "oracle"),
    }


Guess = tuple[int | None, tuple[int, int] | None]


def scores(visits: list[Visit], guess: Callable[[Visit], Guess], name: str) -> dict[str, Any]:
    """An estimate at issue (``guess``: the hub's, or the oracle's) against the wait from issue
    to the first call: how many, MAE, p90 of the absolute error, too optimistic by more than
    5 minutes, bias (above zero: too optimistic), in its range. ``estimates`` keeps its old
    name for the hub's."""
    errors, ranged = [], []
    for visit in visits:
        estimate, bounds = guess(visit)
        if visit.first_called_at is None:
            continue
        actual = (visit.first_called_at - visit.issued_at).total_seconds()
        if estimate is not None:
            errors.append((estimate, actual))
        if bounds is not None:
            ranged.append(bounds[0] <= actual <= bounds[1])
    absolute = [abs(est - actual) for est, actual in errors]
    optimistic = sum(1 for est, actual in errors if actual - est > OPTIMISTIC_S)
    return {
        "estimates" if name == "estimate" else f"{name}_estimates": len(errors),
        f"{name}_mae_s": _mean(absolute),
        f"{name}_p90_abs_s": pct(absolute, 90),
        f"{name}_optimistic_5min": _share(optimistic, len(errors)),
        f"{name}_bias_s": _mean([actual - est for est, actual in errors]),
        f"{name}_in_range": _share(sum(ranged), len(ranged)),
    }


def figures(scenario: Scenario, hub: DayResult, fcfs: DayResult) -> dict[str, Any]:
    """Per service, for all services together and per operator, as plain data (for the table
    and --json)."""
    by_seq = {v.visitor.seq: v for v in fcfs.visits}
    targets = {s.key: s.target_wait_s for s in scenario.services}
    services: dict[str, Any] = {}
    for service in scenario.services:
        mine = [v for v in hub.visits if v.visitor.service == service.key]
        missed = sum(1 for v in hub.missed if v.service == service.key)
        services[service.key] = {
            "name": service.name,
            "calling_mode": service.calling_mode,
            "target_wait_s": service.target_wait_s,
            **_row(mine, targets, by_seq, missed),
        }
    everyone = {"name": "all", "target_wait_s": None, "calling_mode": None}
    everyone |= _row(list(hub.visits), targets, by_seq, len(hub.missed))
    operators = {
        op.name: {
            "services": list(op.plan.services),
            "utilisation": _share_s(op.busy_s, op.present_s - op.break_s),
            "busy_s": round(op.busy_s),
            "at_work_s": round(op.present_s - op.break_s),
        }
        for op in hub.operators
    }
    return {
        "scenario": scenario.name,
        "visitors": len(hub.visits) + len(hub.missed) + len(hub.refused),
        "refused_check_ins": len(hub.refused),
        "events": hub.events,
        "services": services,
        "all": everyone,
        "operators": operators,
    }


def _share_s(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def _min(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f}"


def _signed(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:+.1f}"


def _pc(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def _rows(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each service's row by name, and with several services the row of all of them."""
    rows = [(row["name"], row) for row in result["services"].values()]
    if len(rows) > 1:
        rows.append(("**all**", result["all"]))
    return rows


def table(result: dict[str, Any]) -> str:
    """The figures as a Markdown table (minutes unless marked)."""
    modes = sorted({row["calling_mode"] for row in result["services"].values()})
    lines = [
        f"**{result['scenario']}**: {result['visitors']} visitors, {result['events']} events, "
        f"calling {' / '.join(modes)}",
        "",
        "| service | visitors | wait p50 | wait p90 | within target | bookings ≤ 5 min "
        "| walk-ins: wait / FCFS | estimates | MAE | p90 abs. error | too optimistic > 5 min "
        "| bias | in range |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in _rows(result):
        ratio = row["walk_in_vs_fcfs"]
        target = "" if row["target_wait_s"] is None else f" (≤ {row['target_wait_s'] // 60})"
        lines.append(
            f"| {name} | {row['visitors']} | {_min(row['wait_p50_s'])} "
            f"| {_min(row['wait_p90_s'])} | {_pc(row['within_target'])}{target} "
            f"| {_pc(row['bookings_within_5_min'])} of {row['bookings_kept']}"
            f" ({_pc(row['bookings_there_within_5_min'])} of {row['bookings_there']} there) "
            f"| {_min(row['walk_in_mean_wait_s'])} / {_min(row['walk_in_mean_wait_fcfs_s'])}"
            f" ({'–' if ratio is None else f'{ratio:.2f}×'}) "
            f"| {row['estimates']} (+{row['called_at_once']} at once) "
            f"| {_min(row['estimate_mae_s'])} | {_min(row['estimate_p90_abs_s'])} "
            f"| {_pc(row['estimate_optimistic_5min'])} | {_signed(row['estimate_bias_s'])} "
            f"| {_pc(row['estimate_in_range'])} |"
        )
    busy = ", ".join(f"{name} {_pc(op['utilisation'])}" for name, op in result["operators"].items())
    lines += ["", f"Operators' utilisation: {busy}. Times in minutes."]
    if result["all"]["oracle_estimates"]:
        lines += ["", estimators(result)]
    return "\n".join(lines)


def estimators(result: dict[str, Any]) -> str:
    """The hub's estimate at issue beside the oracle's (bench/office_oracle.py), scored alike
    on the same visitors, per service and for all."""
    lines = [
        "| service | estimator | estimates | MAE | p90 abs. error | too optimistic > 5 min "
        "| bias | in range |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in _rows(result):
        for label, key, count in (
            ("hub", "estimate", "estimates"),
            ("oracle", "oracle", "oracle_estimates"),
        ):
            lines.append(
                f"| {name} | {label} | {row[count]} | {_min(row[f'{key}_mae_s'])} "
                f"| {_min(row[f'{key}_p90_abs_s'])} | {_pc(row[f'{key}_optimistic_5min'])} "
                f"| {_signed(row[f'{key}_bias_s'])} | {_pc(row[f'{key}_in_range'])} |"
            )
    return "\n".join(lines)
