"""The office-day simulator (bench/office_day.py): a day through a real hub process, its broker
and the controlled clock is repeatable, and its figures are those of the day it played."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.office_day import history, run_day
from bench.office_engine import Engine, FirstComeLine
from bench.office_scenario import Scenario, ScenarioError, load, visitors, with_calling_mode
from tests.conftest import BACKENDS, drop_postgres_database, new_postgres_database

pytestmark = pytest.mark.timeout(400)

SMALL = """
name = "a small morning"
day = "2026-03-02"
timezone = "Europe/Kyiv"
close = "10:00"

[visitors]
walk_seconds = [20, 40]
no_show_share = 0.1
recall_share = 0.2

[bookings]
early_share = 0.4
late_share = 0.2
missed_share = 0.2

[[services]]
key = "a"
name = "Паспорти"
target_wait_min = 10
distribution = "lognormal"
service_minutes = { "9" = 6.0 }
walk_ins = { "9" = 12 }
bookings = { "9" = 3 }
slot_minutes = 20
transfer_share = 0.2
transfer_to = "b"

[[services]]
key = "b"
name = "Довідки"
distribution = "gamma"
service_minutes = { "9" = 4.0 }
walk_ins = { "9" = 5 }

[[operators]]
name = "Олена"
services = ["a"]
start = "09:00"
end = "10:00"
breaks = [{ at = "09:20", minutes = 10 }]

[[operators]]
name = "Петро"
services = ["a", "b"]
start = "09:05"
end = "10:00"
"""


def _scenario(tmp_path: Path, text: str = SMALL) -> Scenario:
    path = tmp_path / "small.toml"
    path.write_text(text, encoding="utf-8")
    return load(path)


def test_the_scenario_is_checked_and_its_visitors_come_from_the_seed(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    first, again = visitors(scenario, 3), visitors(scenario, 3)
    assert [(v.arrival, v.service_s, v.transfer_to) for v in first] == [
        (v.arrival, v.service_s, v.transfer_to) for v in again
    ]
    assert {v.kind for v in first} == {"walk_in", "booking"}
    assert [v.service_s for v in visitors(scenario, 4)] != [v.service_s for v in first]
    with pytest.raises(ScenarioError, match="transfer_to"):
        _scenario(tmp_path, SMALL.replace('transfer_to = "b"', 'transfer_to = "c"'))
    with pytest.raises(ScenarioError, match="distribution"):
        _scenario(tmp_path, SMALL.replace('"gamma"', '"uniform"'))


def test_the_scenario_chooses_the_calling_order(tmp_path: Path) -> None:
    def modes(found: Scenario) -> list[str]:
        return [s.calling_mode for s in found.services]

    assert modes(_scenario(tmp_path)) == ["nearest", "nearest"]
    every = SMALL.replace('close = "10:00"', 'close = "10:00"\ncalling_mode = "fair"')
    assert modes(_scenario(tmp_path, every)) == ["fair", "fair"]
    one = SMALL.replace('key = "b"', 'key = "b"\ncalling_mode = "fair"')
    assert modes(_scenario(tmp_path, one)) == ["nearest", "fair"]
    assert modes(with_calling_mode(_scenario(tmp_path, one), "nearest")) == ["nearest"] * 2
    with pytest.raises(ScenarioError, match=r"services\.b\.calling_mode"):
        _scenario(tmp_path, SMALL.replace('key = "b"', 'key = "b"\ncalling_mode = "first"'))
    with pytest.raises(ScenarioError, match="calling_mode"):
        with_calling_mode(_scenario(tmp_path), "random")


def test_first_come_order_serves_everyone_in_order_of_arrival(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    day = Engine(scenario, visitors(scenario, 3), FirstComeLine).run()
    called = [v for v in day.visits if v.first_called_at is not None]
    assert len(called) == len(day.visits) > 10
    for service in ("a", "b"):
        # Within a service, whoever came first is called first.
        mine = [v for v in called if v.visitor.service == service]
        line = sorted(mine, key=lambda v: v.issued_at)
        calls = [v.first_called_at for v in line]
        assert calls == sorted(calls)  # type: ignore[type-var]
    assert all(0 < op.busy_s <= op.present_s for op in day.operators)


def _without_timing(result: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in result.items() if key != "run_s"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_day_through_the_real_hub_is_repeatable(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    scenario = _scenario(tmp_path)
    urls: list[str | None] = [None, None, None]
    server = None
    if backend == "postgres":
        server = request.getfixturevalue("postgres_server")
        urls = [new_postgres_database(server) for _ in range(3)]
    try:
        first = run_day(scenario, 3, database_url=urls[0])
        again = run_day(scenario, 3, database_url=urls[1])
        other = run_day(scenario, 4, database_url=urls[2])
    finally:
        if server is not None:
            for url in urls:
                assert url is not None
                drop_postgres_database(server, url)
    assert _without_timing(first) == _without_timing(again)
    assert _without_timing(other) != _without_timing(first)  # the figures are the seed's day

    rows = first["services"]
    drawn = visitors(scenario, 3)
    for key in ("a", "b"):
        row = rows[key]
        came = [v for v in drawn if v.service == key and v.arrival is not None]
        assert row["visitors"] == len(came) and row["never_called"] == 0
        assert 0 <= row["wait_p50_s"] <= row["wait_p90_s"]
        assert 0 <= row["within_target"] <= 1
        assert row["estimates"] + row["called_at_once"] == row["visitors"]
    # The hub gave estimates, and the line was long enough for them to be tested.
    assert rows["a"]["estimates"] > 0 and rows["a"]["estimate_mae_s"] is not None
    assert rows["a"]["walk_in_mean_wait_fcfs_s"] is not None
    for op in first["operators"].values():
        assert 0 < op["utilisation"] <= 1


def test_history_days_are_the_working_days_before_with_their_own_seeds(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)  # Monday 2 March 2026
    earlier = history(scenario, 3, 3)
    assert [s.day.isoformat() for s, _seed in earlier] == ["2026-02-25", "2026-02-26", "2026-02-27"]
    assert [seed for _s, seed in earlier] == [3003, 3002, 3001]
    assert all(s.services == scenario.services for s, _seed in earlier)
    assert history(scenario, 3, 0) == []


def test_a_day_after_history_on_the_same_hub_is_the_same_day_better_estimated(
    tmp_path: Path,
) -> None:
    """The calling rule does not read the estimate: the scored day's waits are those of a fresh
    hub; its estimates are not (the estimator has the earlier days' visits and breaks)."""
    scenario = _scenario(tmp_path)
    fresh = run_day(scenario, 3)
    after = run_day(scenario, 3, history_days=1)
    assert after["history_days"] == 1 and after["visitors"] == fresh["visitors"]
    for key in ("a", "b"):
        for name in ("wait_p50_s", "wait_p90_s", "within_target", "estimates"):
            assert after["services"][key][name] == fresh["services"][key][name]
    assert after["all"]["estimate_mae_s"] != fresh["all"]["estimate_mae_s"]
