"""The oracle (bench/office_oracle.py): the best wait estimate possible on a simulated day. On a
hand-worked day with nothing random left it is exact; on a random day it is repeatable, and
scored exactly as the hub's estimate is."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bench.office_engine import Engine, FirstComeLine, Visit
from bench.office_oracle import Oracle, RuleLine
from bench.office_report import figures, scores
from bench.office_scenario import Scenario, Visitor, load, visitors
from tests.test_office_day import SMALL

# One operator, every visit 10 minutes, every walk to the window 30 s, nobody missing.
CONSTANT = """
name = "one window, constant visits"
day = "2026-03-02"
timezone = "Europe/Kyiv"
close = "10:00"

[visitors]
walk_seconds = [30, 30]

[[services]]
key = "a"
name = "Паспорти"
distribution = "constant"
service_minutes = { "9" = 10.0 }

[[operators]]
name = "Олена"
services = ["a"]
start = "09:00"
end = "10:00"
"""


def _scenario(tmp_path: Path, text: str) -> Scenario:
    path = tmp_path / "day.toml"
    path.write_text(text, encoding="utf-8")
    return load(path)


def _walk_in(scenario: Scenario, seq: int, at: datetime) -> Visitor:
    return Visitor(
        seq=seq,
        service="a",
        kind="walk_in",
        arrival=at,
        slot=None,
        service_s=600,
        walk_s=30,
        no_show=False,
        needs_recall=False,
        transfer_to=None,
        service2_s=0,
    )


@pytest.mark.parametrize(
    ("breaks", "waits"),
    [
        # 09:01: the first visitor is at the window since 09:00:30 and leaves at 09:10:30.
        # 09:02: behind them, one more visit and walk: called at 09:21:00.
        ("", {2: 570, 3: 1140}),
        # A 10-minute break due at 09:05 starts when the first visit ends (09:10:30).
        ('breaks = [{ at = "09:05", minutes = 10 }]', {2: 1170, 3: 1740}),
    ],
)
def test_with_nothing_left_to_chance_the_oracle_is_exact(
    tmp_path: Path, breaks: str, waits: dict[int, int]
) -> None:
    scenario = _scenario(tmp_path, CONSTANT.replace('end = "10:00"', f'end = "10:00"\n{breaks}'))
    nine = scenario.at(datetime.min.time().replace(hour=9))
    drawn = [_walk_in(scenario, n, nine + timedelta(minutes=n - 1)) for n in (1, 2, 3)]
    day = Engine(scenario, drawn, RuleLine, on_issue=Oracle(seed=1, runs=25)).run()
    by_seq = {v.visitor.seq: v for v in day.visits}
    assert by_seq[1].oracle_s is None  # called at once: no estimate
    for seq, wait in waits.items():
        visit = by_seq[seq]
        assert visit.first_called_at is not None
        assert (visit.first_called_at - visit.issued_at).total_seconds() == wait
        assert visit.oracle_s == wait and visit.oracle_range_s == (wait, wait)
    scored = scores(day.visits, lambda v: (v.oracle_s, v.oracle_range_s), "oracle")
    assert scored["oracle_estimates"] == 2
    assert scored["oracle_mae_s"] == 0 and scored["oracle_in_range"] == 1


def _oracle_day(scenario: Scenario, seed: int, oracle_seed: int) -> list[Visit]:
    return (
        Engine(scenario, visitors(scenario, seed), RuleLine, on_issue=Oracle(oracle_seed, runs=15))
        .run()
        .visits
    )


def test_the_oracle_is_repeatable_and_scored_as_the_hubs_estimate(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, SMALL)
    first, again = _oracle_day(scenario, 3, 3), _oracle_day(scenario, 3, 3)
    guesses = [(v.oracle_s, v.oracle_range_s) for v in first]
    assert guesses == [(v.oracle_s, v.oracle_range_s) for v in again]
    # Its own draws come from its seed: another one forecasts (a little) differently.
    other = _oracle_day(scenario, 3, 4)
    assert [(v.oracle_s, v.oracle_range_s) for v in other] != guesses
    waiting = [v for v in first if v.oracle_s is not None]
    assert len(waiting) > 10
    for visit in waiting:
        assert visit.oracle_range_s is not None and visit.oracle_s is not None
        low, high = visit.oracle_range_s
        assert 0 <= low <= visit.oracle_s <= high

    # The report scores it as the hub's estimate: the same figures when the hub says the same.
    for visit in first:
        visit.estimate_s, visit.estimate_range_s = visit.oracle_s, visit.oracle_range_s
    day = Engine(scenario, [], RuleLine).run()
    day.visits = first
    fcfs = Engine(scenario, visitors(scenario, 3), FirstComeLine).run()
    row = figures(scenario, day, fcfs)["all"]
    assert row["oracle_estimates"] == row["estimates"] == len(waiting)
    for name in ("mae_s", "p90_abs_s", "optimistic_5min", "bias_s", "in_range"):
        assert row[f"oracle_{name}"] == row[f"estimate_{name}"]
    assert row["oracle_mae_s"] > 0 and 0 < row["oracle_in_range"] < 1
