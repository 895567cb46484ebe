"""A Pi-sized hub: the real hub's memory with 100 devices and a steady stream; asserts nothing.

    .venv/bin/python bench/pi_hub.py [--minutes 3] [--rate 5] [--cpu-quota 30] [--plain]

The hub runs as production runs it, ``python -m hub.cli hub`` (HTTPS, the MQTT coordinator and
its own Mosquitto, devices over TLS), on a fresh SQLite data folder in a temporary folder, with
the production password hashing (Argon2id, 64 MiB). Before it starts, this process registers
100 devices (4 kiosks each with its printer, a spare printer, 1 display, 90 panels at windows
1..90) and 90 operators, as ``cherga device add`` would. A second process connects the devices
as real DeviceClients: the printers answer their jobs, the 90 operators log in, the kiosks issue
--rate tickets a second in turn, and every operator presses Free, holds the visitor (about
90/rate seconds, so the line neither empties nor runs away) and presses Finish, for --minutes.

Every --every seconds it samples the hub process's RSS, PSS and USS (/proc/PID/smaps_rollup),
its threads and CPU, and Mosquitto's RSS; it prints them at the start, once the devices are
connected, after the logins, in the steady state (the median of the stream's second half) and
at the peak (the largest sample, and the kernel's high-water mark VmHWM), with the Free ->
display latency and the load average. --cpu-quota PCT holds the hub and its broker to PCT % of
one core (bench/cpu_quota.py), the devices staying outside at full speed.
"""

# ruff: noqa: E402

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ would come first on sys.path and bench/queue.py shadow ``queue``.
_ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == _ROOT / "bench":
    sys.path[0] = str(_ROOT)

import argparse
import json
import os
import random
import signal
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from typing import Any

from bench.cpu_quota import CpuQuota
from bench.devices import DeviceFleet, Devices
from bench.queue import cpu_model, let_broker_in, pct, spread
from hub.bootstrap import bootstrap
from hub.broker.mosquitto import PID_NAME, free_port
from hub.broker.provision import Credentials, issue_credentials
from hub.config import Settings
from hub.db.engine import transaction
from hub.db.models import DocRight, Project, ProjectMember, User
from hub.protocol import topics
from hub.protocol.base import DeviceRole
from hub.protocol.client import DeviceClient
from hub.protocol.devices import DisplayAnnounce, PrinterJob, PrinterResult
from hub.protocol.messages import (
    Finish,
    KioskReply,
    Login,
    PanelAssignment,
    SetStatus,
)
from hub.services.devices import devices

KIOSKS, PRINTERS, PANELS = 4, 5, 90
PASSWORD = "operator-pass-1"
ADMIN_PASSWORD = "bench-admin-pass-1"
WAIT = 60.0
MiB = 1024 * 1024


# ---- the site, registered before the hub starts -----------------------------------------------


@dataclass(frozen=True)
class Site:
    """What the device process needs to know (picklable)."""

    site: str
    credentials: dict[str, Credentials]
    kiosks: list[str]
    printers: list[str]
    panels: list[str]  # panel-i sits at window i; op-i logs in there
    display: str
    service: int


def register(settings: Settings) -> Site:
    """Migrate a fresh database and register the devices, one service and its operators."""
    hub = bootstrap(settings, announce=lambda _password: None)
    issued: dict[str, Credentials] = {}
    printers = [f"printer-{i}" for i in range(1, PRINTERS + 1)]
    kiosks = [f"kiosk-{i}" for i in range(1, KIOSKS + 1)]
    panels = [f"panel-{i}" for i in range(1, PANELS + 1)]
    wanted: list[tuple[DeviceRole, str, int | None, str | None]] = [
        *[("printer", p, None, None) for p in printers],
        *[("kiosk", k, None, printers[i]) for i, k in enumerate(kiosks)],
        ("display", "display-1", None, None),
        *[("panel", p, i, None) for i, p in enumerate(panels, start=1)],
    ]
    try:
        with transaction(hub.sessions) as session:
            for role, device_id, window, printer in wanted:
                created = devices.add_device(
                    session,
                    role=role,
                    name=device_id,
                    site=settings.site,
                    device_id=device_id,
                    window=window,
                    printer_id=printer,
                )
                issued[device_id] = issue_credentials(
                    settings, session, created.device, created.mqtt_password
                )
            service = Project(number="PASS", name="Паспорти", uses_queue=True)
            session.add(service)
            session.flush()
            secret = hub.hasher.hash(PASSWORD)  # production parameters: no rehash at login
            for i in range(1, PANELS + 1):
                user = User(username=f"op-{i:02d}", password_hash=secret)
                session.add(user)
                session.flush()
                for doc_type in ("task", "event"):
                    session.add(
                        DocRight(
                            user_id=user.id, doc_type=doc_type, can_create=True, can_change=True
                        )
                    )
                session.add(ProjectMember(project_id=service.id, user_id=user.id))
            service_id = service.id
    finally:
        hub.close()
    return Site(settings.site, issued, kiosks, printers, panels, "display-1", service_id)


# ---- the hub's process, watched from here -----------------------------------------------------


@dataclass
class Sample:
    """One look at the hub and its broker."""

    at: float
    phase: str
    rss: int
    pss: int
    uss: int
    hwm: int
    threads: int
    cpu_s: float
    broker_rss: int
    load: float


def _status(pid: int) -> dict[str, str]:
    out: dict[str, str] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def _kib(text: str) -> int:
    return int(text.split()[0]) * 1024 if text else 0


def _rollup(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                out[key] = _kib(value.strip())
    return out


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Watch:
    """Samples the hub's and the broker's memory every ``every`` seconds in a thread."""

    hub_pid: int
    broker_pid: int
    every: float
    phase: str = "start"
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def take(self) -> Sample:
        status, rollup = _status(self.hub_pid), _rollup(self.hub_pid)
        sample = Sample(
            at=time.monotonic(),
            phase=self.phase,
            rss=_kib(status["VmRSS"]),
            pss=rollup.get("Pss", 0),
            uss=rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0),
            hwm=_kib(status["VmHWM"]),
            threads=int(status["Threads"]),
            cpu_s=_cpu_seconds(self.hub_pid),
            broker_rss=_kib(_status(self.broker_pid)["VmRSS"]),
            load=os.getloadavg()[0],
        )
        self.samples.append(sample)
        return sample

    def run(self) -> None:
        while not self._stop.wait(self.every):
            with suppress(OSError, KeyError):
                self.take()

    def start(self) -> None:
        threading.Thread(target=self.run, name="pi-hub-watch", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


def hub_environment(settings: Settings) -> dict[str, str]:
    """The hub's settings as its environment (as a systemd unit would give them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
    env.update(
        CHERGA_DATA_DIR=str(settings.data_dir),
        CHERGA_ADMIN_PASSWORD=ADMIN_PASSWORD,
        CHERGA_PORT=str(settings.port),
        CHERGA_HTTPS_PORT=str(settings.https_port),
        CHERGA_MQTT_PORT=str(settings.mqtt_port),
        CHERGA_MQTT_TLS="true" if settings.mqtt_tls else "false",
        CHERGA_LOG_LEVEL="WARNING",
        PYTHONPATH=str(_ROOT),
    )
    return env


def health(settings: Settings) -> dict[str, Any] | None:
    """The hub's /healthz, or None while it does not answer."""
    context = ssl.create_default_context(cafile=str(settings.data_dir / "tls" / "ca.crt"))
    url = f"https://127.0.0.1:{settings.https_port}/healthz"
    try:
        with urllib.request.urlopen(url, context=context, timeout=5) as answer:
            body: dict[str, Any] = json.loads(answer.read())
            return body
    except (OSError, ValueError):
        return None


def wait_ready(process: subprocess.Popen[bytes], settings: Settings, log: Path) -> int:
    """Wait until the hub says it is healthy; returns its broker's PID."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub exited ({process.returncode}):\n{log.read_text()}")
        answer = health(settings)
        if answer and answer.get("status") == "ok":
            pid_file = settings.data_dir / "mqtt" / PID_NAME
            return int(pid_file.read_text().strip())
        time.sleep(0.5)
    raise TimeoutError(f"the hub did not become healthy:\n{log.read_text()}")


def stop_hub(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as systemd stops it (the hub stops its broker); SIGKILL if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# ---- the devices' process -------------------------------------------------------------------


class Fleet(DeviceFleet):
    """The 100 devices, connected as the appliances would be."""

    def __init__(self, site: Site) -> None:
        super().__init__(site.site, site.credentials, version="pi-bench", wait=WAIT)
        self.site = site
        self.jobs = 0
        self.kiosks = [self._client(k, "kiosk") for k in site.kiosks]
        self.printers = [self._client(p, "printer") for p in site.printers]
        self.display = self._client(site.display, "display")
        self.panels = [self._client(p, "panel") for p in site.panels]
        for printer in self.printers:
            printer.subscribe(
                topics.printer_job(site.site, printer.device), self._printed(printer), wait=WAIT
            )
        self._connected()

    def _printed(self, printer: DeviceClient) -> Any:
        def on_job(topic: str, message: Any) -> None:
            if isinstance(message, PrinterJob):
                self.jobs += 1
                result = PrinterResult(job_id=message.job_id, ok=True)
                printer.publish(topics.printer_result(self.site.site, printer.device), result)

        return on_job

    def issue(self, kiosk: DeviceClient) -> KioskReply:
        return self.kiosk(kiosk, self.site.service)

    def login(self) -> dict[str, Any]:
        """Every operator logs in at their panel, one after another (an office at 9:00)."""
        times: list[float] = []
        for i, panel in enumerate(self.panels, start=1):
            start = time.perf_counter()
            reply = self.panel(
                panel, Login(request_id=uuid.uuid4(), username=f"op-{i:02d}", password=PASSWORD)
            )
            times.append((time.perf_counter() - start) * 1000)
            if not reply.ok:
                raise RuntimeError(f"login of op-{i:02d} failed: {reply.error}")
        return {"login": times}

    def stream(self, seconds: float, rate: float, seed: int) -> dict[str, Any]:
        """Kiosks issue ``rate`` tickets a second in turn; operators Free, hold, Finish."""
        site = self.site.site
        hold = len(self.panels) / rate
        shown: dict[int, float] = {}
        seen = threading.Condition()

        def on_announce(topic: Any, message: Any) -> None:
            if isinstance(message, DisplayAnnounce) and message.ticket_id and not message.recall:
                with seen:
                    shown.setdefault(message.ticket_id, time.perf_counter())
                    seen.notify_all()

        self.display.subscribe(topics.display_announce(site), on_announce, wait=WAIT)
        held: list[int | None] = [None] * len(self.panels)
        pushed = threading.Condition()

        def watcher(index: int) -> Any:
            def on_assignment(topic: Any, message: Any) -> None:
                if isinstance(message, PanelAssignment):
                    with pushed:
                        held[index] = message.ticket.id if message.ticket else None
                        pushed.notify_all()

            return on_assignment

        for index, panel in enumerate(self.panels):
            panel.subscribe(topics.panel_assignment(site, panel.device), watcher(index), wait=WAIT)
        lock = threading.Lock()
        stop = threading.Event()
        out: dict[str, Any] = {
            "free_to_display": [],
            "issue_reply": [],
            "free_reply": [],
            "finish_reply": [],
            "issued": 0,
            "served": 0,
            "late_issues": 0,
            "not_shown": 0,
            "failures": Counter(),
        }

        def note(key: str, value: float) -> None:
            with lock:
                out[key].append(value)

        def failed(reply: Any) -> bool:
            if reply.ok:
                return False
            with lock:
                out["failures"][reply.error.code if reply.error else "?"] += 1
            return True

        def kiosks() -> None:
            due, turn = time.perf_counter(), 0
            while not stop.is_set():
                due += 1 / rate
                pause = due - time.perf_counter()
                if pause < 0:
                    with lock:
                        out["late_issues"] += 1
                elif stop.wait(pause):
                    return
                start = time.perf_counter()
                reply = self.issue(self.kiosks[turn % len(self.kiosks)])
                turn += 1
                note("issue_reply", (time.perf_counter() - start) * 1000)
                if not failed(reply):
                    with lock:
                        out["issued"] += 1

        def operator(index: int) -> None:
            rng = random.Random(seed + index)
            panel = self.panels[index]
            finished: set[int] = set()
            if stop.wait(rng.uniform(0, hold)):
                return
            while not stop.is_set():
                start = time.perf_counter()
                reply = self.panel(panel, SetStatus(request_id=uuid.uuid4(), status="free"))
                note("free_reply", (time.perf_counter() - start) * 1000)
                if failed(reply):
                    stop.wait(1.0)
                    continue
                ticket = reply.assignment.ticket if reply.assignment else None
                if ticket is not None:
                    ticket_id = ticket.id
                    with seen:
                        deadline = time.monotonic() + 10.0
                        while ticket_id not in shown and time.monotonic() < deadline:
                            seen.wait(deadline - time.monotonic())
                        at = shown.get(ticket_id)
                    if at is None:
                        with lock:
                            out["not_shown"] += 1
                    else:
                        note("free_to_display", (at - start) * 1000)
                else:  # nobody waits: the next new ticket is pushed to this free operator
                    with pushed:
                        while not stop.is_set() and (
                            held[index] is None or held[index] in finished
                        ):
                            pushed.wait(0.5)
                        if stop.is_set():
                            return
                        ticket_id = held[index]  # type: ignore[assignment]
                if stop.wait(rng.uniform(0.5, 1.5) * hold):
                    return
                start = time.perf_counter()
                done = self.panel(panel, Finish(request_id=uuid.uuid4(), ticket_id=ticket_id))
                note("finish_reply", (time.perf_counter() - start) * 1000)
                finished.add(ticket_id)
                if not failed(done):
                    with lock:
                        out["served"] += 1

        threads = [threading.Thread(target=kiosks, daemon=True)]
        threads += [
            threading.Thread(target=operator, args=(i,), daemon=True)
            for i in range(len(self.panels))
        ]
        for thread in threads:
            thread.start()
        stop.wait(seconds)
        stop.set()
        with pushed:
            pushed.notify_all()
        for thread in threads:
            thread.join(WAIT)
        out["failures"] = dict(out["failures"])
        out["printed"] = self.jobs
        out["hold"] = hold
        return out


# ---- the run ----------------------------------------------------------------------------------


def mib(value: float) -> str:
    return f"{value / MiB:6.1f}"


def show(label: str, sample: Sample) -> None:
    print(
        f"  {label:<34} hub RSS {mib(sample.rss)}  PSS {mib(sample.pss)}  USS {mib(sample.uss)}"
        f" MiB, {sample.threads:2d} threads; broker RSS {mib(sample.broker_rss)} MiB"
        f"   (load {sample.load:.2f})"
    )


def summary(watch: Watch, stream_from: float, stream_to: float) -> None:
    """The steady state (median of the stream's second half) and the peak."""
    samples = watch.samples
    steady = [s for s in samples if (stream_from + stream_to) / 2 <= s.at <= stream_to]
    if steady:
        median = Sample(
            at=0,
            phase="steady",
            rss=int(statistics.median(s.rss for s in steady)),
            pss=int(statistics.median(s.pss for s in steady)),
            uss=int(statistics.median(s.uss for s in steady)),
            hwm=0,
            threads=int(statistics.median(s.threads for s in steady)),
            cpu_s=0,
            broker_rss=int(statistics.median(s.broker_rss for s in steady)),
            load=statistics.median(s.load for s in steady),
        )
        show(f"steady (median of {len(steady)} samples)", median)
        cpu = (steady[-1].cpu_s - steady[0].cpu_s) / max(steady[-1].at - steady[0].at, 1e-9)
        print(f"  {'':34} hub CPU in the steady state {cpu * 100:.1f} % of one core")
    peak = max(samples, key=lambda s: s.rss)
    show(f"peak sample ({peak.phase})", peak)
    print(
        f"  {'':34} kernel high-water mark VmHWM {mib(samples[-1].hwm)} MiB; broker peak "
        f"{mib(max(s.broker_rss for s in samples))} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the stream")
    parser.add_argument("--rate", type=float, default=5.0, help="tickets per second")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between samples")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cpu-quota",
        type=float,
        metavar="PCT",
        help="hold the hub and its broker to PCT %% of one core (root; a stand-in for a Pi)",
    )
    parser.add_argument("--plain", action="store_true", help="devices on plain TCP, not TLS")
    args = parser.parse_args()
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="cherga-pi-hub-") as scratch:
            run(args, Path(scratch))
    except KeyboardInterrupt:
        print("interrupted; everything started here was stopped", file=sys.stderr)
        raise SystemExit(130) from None
    print(f"(whole run {time.perf_counter() - started:.1f} s)")


def run(args: argparse.Namespace, folder: Path) -> None:
    settings = Settings(
        data_dir=folder / "data",
        admin_password=ADMIN_PASSWORD,
        port=free_port(),
        https_port=free_port(),
        mqtt_port=free_port(),
        mqtt_tls=not args.plain,
        log_level="WARNING",
    )
    print("== Cherga: a Pi-sized hub ==")
    print(
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}); load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    print(
        f"site:    {KIOSKS} kiosks with a printer each, {PRINTERS - KIOSKS} spare printer, "
        f"1 display, {PANELS} panels with {PANELS} operators = "
        f"{KIOSKS + PRINTERS + 1 + PANELS} devices, "
        + ("plain TCP" if args.plain else "TLS with device certificates")
    )
    held = f"held with its broker to {args.cpu_quota:g} % of one core" if args.cpu_quota else ""
    print("hub:     python -m hub.cli hub (SQLite, Argon2id 64 MiB), " + (held or "no CPU quota"))
    site = register(settings)
    let_broker_in(settings.data_dir / "mqtt")
    with ExitStack() as stack:
        quota: CpuQuota | None = None
        if args.cpu_quota:
            quota = CpuQuota(args.cpu_quota)
            stack.callback(quota.close)
        log = folder / "hub.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "hub"],
                env=hub_environment(settings),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=folder,
            )
        stack.callback(stop_hub, process)
        if quota is not None:
            quota.add(process.pid)  # before it starts its broker, which then starts inside
        t0 = time.perf_counter()
        broker_pid = wait_ready(process, settings, log)
        if quota is not None and not quota.holds(broker_pid):
            quota.add(broker_pid)
        print(f"\nhub healthy {time.perf_counter() - t0:.1f} s after its start")
        watch = Watch(process.pid, broker_pid, args.every)
        show("started, no device", watch.take())
        watch.start()
        stack.callback(watch.stop)

        watch.phase = "devices connecting"
        t0 = time.perf_counter()
        fleet = Devices(
            Fleet,
            site,
            phases=("login", "stream"),
            name="cherga-pi-devices",
            ready_s=180.0,
            stop_s=30.0,
        )
        stack.callback(fleet.stop)
        time.sleep(args.every)
        print(f"  ({len(site.credentials)} devices connected in {time.perf_counter() - t0:.1f} s)")
        show("100 devices connected", watch.take())

        watch.phase = "operators logging in"
        got = fleet.run("login", 900.0)
        logins = got["login"]
        print(f"  ({PANELS} logins one after another: {spread(logins)})")
        show("90 operators logged in", watch.take())

        watch.phase = "stream"
        seconds = args.minutes * 60
        stream_from = time.monotonic()
        got = fleet.run("stream", seconds + 300, seconds=seconds, rate=args.rate, seed=args.seed)
        stream_to = time.monotonic()
        watch.stop()
        show("end of the stream", watch.take())
        print(f"\nstream: {args.rate:g} tickets/s for {seconds:.0f} s, hold ~{got['hold']:.0f} s")
        print(
            f"  issued {got['issued']} ({got['issued'] / seconds:.2f}/s), served "
            f"{got['served']}, printed {got['printed']}; late issues {got['late_issues']}, "
            f"called but not shown within 10 s {got['not_shown']}"
        )
        print(f"  Free -> display announce  {spread(got['free_to_display'])}")
        print(f"  issue request -> reply    {spread(got['issue_reply'])}")
        print(f"  Free request -> reply     {spread(got['free_reply'])}")
        print(f"  Finish request -> reply   {spread(got['finish_reply'])}")
        if got["failures"]:
            print(f"  refused                   {got['failures']}")
        if got["free_to_display"]:
            print(f"  (Free -> display p99 {pct(got['free_to_display'], 99):.1f} ms)")

        print("\nmemory (MiB = 2^20 bytes):")
        summary(watch, stream_from, stream_to)
        if quota is not None:
            periods, waited = quota.throttled()
            print(f"  cgroup: throttled in {periods} periods of 0.1 s, {waited:.1f} s in all")
        print("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
