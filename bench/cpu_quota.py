"""A CPU quota for some processes of a benchmark: a cgroup that stands in for a slower machine.

A Raspberry Pi 4's cores are several times slower than this machine's; holding the hub and its
broker to, say, 30 % of one core (``cpu.cfs_quota_us`` 30000 per 100000 µs period) shows what a
Pi-sized hub can do, while the simulated devices keep full speed outside the group. Needs root
and the cgroup v1 ``cpu`` controller (``/sys/fs/cgroup/cpu``) or cgroup v2 (``cpu.max``).
Everything made here is removed by ``close()``: its processes go back to the root group first.
"""

from __future__ import annotations

import os
import time
from contextlib import suppress
from pathlib import Path
from types import TracebackType

V1 = Path("/sys/fs/cgroup/cpu")
V2 = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


class QuotaError(RuntimeError):
    """The quota cannot be set up here (not root, no cpu controller)."""


class CpuQuota:
    """A cgroup with ``percent`` of one core for the processes ``add``-ed to it."""

    def __init__(self, percent: float, name: str | None = None) -> None:
        if not 1 <= percent <= 100 * (os.cpu_count() or 1):
            raise QuotaError(f"a CPU quota of {percent} % makes no sense here")
        self.percent = percent
        name = name or f"cherga-bench-{os.getpid()}"
        quota = int(PERIOD_US * percent / 100)
        if (V1 / "cpu.cfs_quota_us").exists():
            self.root, self.v2 = V1, False
        elif "cpu" in _read(V2 / "cgroup.controllers").split():
            self.root, self.v2 = V2, True
        else:
            raise QuotaError("no cgroup cpu controller under /sys/fs/cgroup")
        self.path = self.root / name
        try:
            self.path.mkdir()
            if self.v2:
                (self.path / "cpu.max").write_text(f"{quota} {PERIOD_US}\n")
            else:
                (self.path / "cpu.cfs_period_us").write_text(f"{PERIOD_US}\n")
                (self.path / "cpu.cfs_quota_us").write_text(f"{quota}\n")
        except OSError as exc:
            self.close()
            raise QuotaError(f"cannot make the cgroup {self.path}: {exc}") from None

    def add(self, pid: int) -> None:
        """Move a process (all its threads, and the children it starts later) into the group."""
        (self.path / "cgroup.procs").write_text(f"{pid}\n")

    def holds(self, pid: int) -> bool:
        """Whether ``pid`` is in the group now."""
        return str(pid) in _read(self.path / "cgroup.procs").split()

    def throttled(self) -> tuple[int, float]:
        """(periods in which the group was throttled, seconds it waited) so far."""
        stat: dict[str, int] = {}
        for line in _read(self.path / "cpu.stat").splitlines():
            key, _, value = line.partition(" ")
            if value.strip().isdigit():
                stat[key] = int(value)
        if self.v2:
            return stat.get("nr_throttled", 0), stat.get("throttled_usec", 0) / 1e6
        return stat.get("nr_throttled", 0), stat.get("throttled_time", 0) / 1e9

    def close(self) -> None:
        """Move whatever is left back to the root group and remove the group."""
        if not self.path.is_dir():
            return
        for _ in range(50):
            for pid in _read(self.path / "cgroup.procs").split():
                with suppress(OSError):  # it exited meanwhile
                    (self.root / "cgroup.procs").write_text(f"{pid}\n")
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)
        raise QuotaError(f"could not remove {self.path}: remove it by hand")

    def __enter__(self) -> CpuQuota:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
