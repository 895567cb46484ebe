"""A small run of bench/stats.py (the bench itself is not part of the suite): it fills, drops
and recreates its indexes and times every report without failing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.stats import REPORTS, Sizes, bench

pytestmark = pytest.mark.timeout(120)


def test_the_statistics_bench_runs_small(tmp_path: Path) -> None:
    lines: list[str] = []
    figures = bench(
        f"sqlite:///{tmp_path / 'bench.db'}",
        tmp_path / "data",
        Sizes(tickets=400, calls=300, days=5),
        1,
        lines.append,
    )
    assert set(figures) == {"without", "with"}
    assert all(len(times) == len(REPORTS) for times in figures.values())
    assert sum("OVER TARGET" in line for line in lines) == 0
    assert any("tickets: 400 rows" in line for line in lines)
