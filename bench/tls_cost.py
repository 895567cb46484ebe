"""What one device costs in CPU and memory with MQTT over TLS versus plain TCP; asserts nothing.

    .venv/bin/python bench/tls_cost.py [--quick]

For each mode (tls: a client certificate of the office's CA, the broker checked against the CA;
plain: TCP with passwords) a hub runs in this process (SQLite in a temporary folder, its own
Mosquitto on free loopback ports, the MQTT coordinator). A kiosk and a panel each run in a
process of their own (this file with --device-child), a bare DeviceClient as the appliances build
it (no UI), so what they use is theirs alone. Each measures itself:

- memory: VmRSS with the interpreter, after ``import ssl`` (paho and DeviceClient load it in
  both modes), after the device's imports, with the client built (its TLS context), connected,
  and after the workload;
- connecting: start to CONNACK over fresh connect/close cycles, and the CPU of a cycle;
- workload: the kiosk issues tickets one after another, the panel's operator logs in and runs
  Free/Finish cycles; CPU (user + sys, all threads) and each request's round trip;
- idle: CPU while connected and idle (keepalive only), all four devices at once at the end.
"""

# ruff: noqa: E402

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ would come first on sys.path and bench/queue.py would shadow the
# standard library's ``queue``: use the project root instead.
_ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == _ROOT / "bench":
    sys.path[0] = str(_ROOT)

import argparse
import dataclasses
import json
import logging
import os
import platform
import resource
import select
import subprocess
import tempfile
import time
import uuid
from contextlib import ExitStack, suppress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.broker.provision import Credentials
    from hub.protocol.base import Reply, Request
    from hub.protocol.client import DeviceClient

MODES = ("tls", "plain")
ROLES = ("kiosk", "panel")
OPERATOR = "op-01"  # the one operator bench/queue.provision makes
WAIT = 20.0
WARMUP = 5
ROUNDS = 4
SPREAD = ("lo", "hi")  # per-round figures: no TLS - plain for them
STAGES = (
    ("interpreter", "python"),
    ("ssl", "+ssl"),
    ("imports", "+imports"),
    ("client", "+client"),
    ("connected", "+connect"),
    ("workload", "+workload"),
)


def rss_kib() -> int:
    """This process's resident set size (VmRSS) in KiB."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def cpu_seconds() -> float:
    """User + system CPU of this process, all its threads, so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---- the device's side (a child process) ---------------------------------------------------------


class Device:
    """One appliance's MQTT link as the device process builds it, from the parent's spec."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.site: str = spec["site"]
        self.device: str = spec["device"]
        self.warm = False

    def client(self) -> DeviceClient:
        """A new DeviceClient (over TLS its context is built here), not started."""
        from hub.protocol.client import DeviceClient
        from hub.protocol.tls import ClientTls

        tls = self.spec["tls"]
        return DeviceClient(
            host=self.spec["host"],
            port=self.spec["port"],
            username=self.spec["username"],
            password=self.spec["password"],
            tls=ClientTls(**tls) if tls is not None else None,
            site=self.site,
            device=self.device,
            role=self.spec["role"],
            version="bench",
        )

    def ask(self, client: DeviceClient, request: Request) -> Reply:
        """Send one request of the device's role and wait for its reply."""
        from hub.protocol import topics
        from hub.protocol.messages import KioskReply, PanelReply

        kiosk = self.spec["role"] == "kiosk"
        reply = client.request(
            (topics.kiosk_req if kiosk else topics.panel_req)(self.site, self.device),
            (topics.kiosk_reply if kiosk else topics.panel_reply)(self.site, self.device),
            request,
            timeout=WAIT,
            expect=KioskReply if kiosk else PanelReply,
        )
        if not reply.ok:
            raise RuntimeError(f"{type(request).__name__} refused: {reply.error}")
        return reply

    def work(self, client: DeviceClient, count: int) -> dict[str, Any]:
        """One round of the role's workload (warmed up the first time): round trips and CPU."""
        from hub.protocol import topics
        from hub.protocol.messages import Login

        trips: list[float] = []
        if not self.warm:
            if self.spec["role"] == "panel":
                operator, password = self.spec["operator"], self.spec["operator_password"]
                self.ask(
                    client, Login(request_id=uuid.uuid4(), username=operator, password=password)
                )
                assignment = topics.panel_assignment(self.site, self.device)
                client.subscribe(assignment, lambda *_: None, wait=WAIT)
            self.step(client, WARMUP, trips)
            self.warm = True
        trips.clear()
        cpu = cpu_seconds()
        self.step(client, count, trips)
        return {"trips": trips, "cpu": cpu_seconds() - cpu}

    def step(self, client: DeviceClient, count: int, trips: list[float]) -> None:
        """``count`` tickets (kiosk) or Free/Finish cycles (panel); round trips to ``trips``."""
        from hub.protocol.messages import Finish, IssueTicket, PanelReply, SetStatus

        for _ in range(count):
            start = time.perf_counter()
            if self.spec["role"] == "kiosk":
                service = self.spec["service"]
                self.ask(client, IssueTicket(request_id=uuid.uuid4(), service_id=service))
                trips.append((time.perf_counter() - start) * 1000)
                continue
            free = self.ask(client, SetStatus(request_id=uuid.uuid4(), status="free"))
            trips.append((time.perf_counter() - start) * 1000)
            assert isinstance(free, PanelReply)
            if free.assignment is None or free.assignment.ticket is None:
                raise RuntimeError("Free brought no ticket: the line ran dry")
            start = time.perf_counter()
            self.ask(client, Finish(request_id=uuid.uuid4(), ticket_id=free.assignment.ticket.id))
            trips.append((time.perf_counter() - start) * 1000)

    def connect_cycles(self, count: int) -> dict[str, Any]:
        """Fresh client, start to CONNACK, close; ``count`` times."""
        waits: list[float] = []
        to_connack = 0.0
        began = cpu_seconds()
        for _ in range(count):
            client = self.client()
            cpu, start = cpu_seconds(), time.perf_counter()
            if not client.start(wait=WAIT):
                raise RuntimeError("could not connect")
            waits.append((time.perf_counter() - start) * 1000)
            to_connack += cpu_seconds() - cpu
            client.close()
        return {"connect_ms": waits, "cycles_cpu": cpu_seconds() - began, "connect_cpu": to_connack}


def emit(data: dict[str, Any]) -> None:
    """One JSON line to the parent (stdout carries nothing else)."""
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def device_child() -> None:
    """Entry of a device process: measure itself, then run the parent's commands, one a line."""
    memory = {"interpreter": rss_kib()}
    preloaded = "ssl" in sys.modules
    spec = json.loads(sys.stdin.readline())
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    import ssl

    memory["ssl"] = rss_kib()
    import hub.protocol.client
    import hub.protocol.messages
    import hub.protocol.tls  # noqa: F401

    memory["imports"] = rss_kib()
    device = Device(spec)
    client = device.client()
    memory["client"] = rss_kib()
    start = time.perf_counter()
    try:
        if not client.start(wait=WAIT):
            raise RuntimeError("could not connect")
        first = (time.perf_counter() - start) * 1000
        memory["connected"] = rss_kib()
        sock = client._client.socket()  # paho's, to name what TLS negotiated
        cipher = None
        if isinstance(sock, ssl.SSLSocket):
            cipher = f"{sock.version()} {(sock.cipher() or ('?',))[0]}"
        emit({"memory": memory, "ssl_preloaded": preloaded, "cipher": cipher, "first": first})
        while command := sys.stdin.readline().split():  # until the parent closes our stdin
            what, count = command[0], float(command[1])
            if what == "work":
                emit(device.work(client, int(count)))
            elif what == "connects":
                memory.setdefault("workload", rss_kib())
                client.close()
                figures = device.connect_cycles(int(count))
                client = device.client()  # connected again, for the idle phase
                if not client.start(wait=WAIT):
                    raise RuntimeError("could not connect")
                emit(figures | {"memory": memory})
            elif what == "idle":
                cpu, start = cpu_seconds(), time.perf_counter()
                time.sleep(count)
                emit({"idle_pct": (cpu_seconds() - cpu) / (time.perf_counter() - start) * 100})
    finally:
        client.close()


# ---- the hub's side (this process) -------------------------------------------------------------


class Child:
    """A device process as seen from here: its spec in, one JSON line per phase out."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--device-child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=_ROOT,
        )
        self.send(json.dumps(spec))

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def ask(self, command: str, timeout: float) -> dict[str, Any]:
        """Send ``command`` and wait for its report."""
        self.send(command)
        return self.read(timeout)

    def read(self, timeout: float) -> dict[str, Any]:
        """The child's next report; raises when it dies or takes longer than ``timeout``."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"device process gave no report (exit code {self.process.poll()})")
        result: dict[str, Any] = json.loads(line)
        return result

    def stop(self) -> None:
        with suppress(OSError, ValueError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def feed(site: str, credentials: Credentials, service: int, count: int) -> None:
    """Put ``count`` visitors in the panel's line, through a kiosk of this process."""
    from hub.protocol import topics
    from hub.protocol.client import DeviceClient
    from hub.protocol.messages import IssueTicket, KioskReply

    options = credentials.mqtt_config().client_options()
    with DeviceClient(site=site, device="kiosk-feed", role="kiosk", **options) as feeder:
        if not feeder.start(wait=WAIT):
            raise RuntimeError("the feeding kiosk could not connect")
        for _ in range(count):
            feeder.request(
                topics.kiosk_req(site, "kiosk-feed"),
                topics.kiosk_reply(site, "kiosk-feed"),
                IssueTicket(request_id=uuid.uuid4(), service_id=service),
                timeout=WAIT,
                expect=KioskReply,
            )


def start_site(mode: str, folder: Path, stack: ExitStack, panel_tickets: int) -> dict[str, Any]:
    """A hub, its broker and coordinator (stopped by ``stack``); the specs of its two devices."""
    from hub.bootstrap import bootstrap
    from hub.broker.embedded import start_embedded
    from hub.broker.mosquitto import free_port
    from hub.cli import settle_memory
    from hub.config import Settings
    from hub.coordinator.service import Coordinator

    settings = Settings(
        database_url=f"sqlite:///{folder}/hub.db",
        data_dir=folder / "data",
        admin_password="bench-admin-1",
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
        mqtt_port=free_port(),
        mqtt_tls=mode == "tls",
        log_level="WARNING",
    )
    hub = bootstrap(settings, announce=lambda _password: None)
    stack.callback(hub.close)
    # The kiosk's service nobody serves; the panel's operator serves the other (bench/queue.py).
    from bench.queue import PASSWORD, let_broker_in, provision

    devices = [("kiosk", "kiosk-1", None), ("panel", "panel-1", 1), ("kiosk", "kiosk-feed", None)]
    credentials, bulk, line = provision(hub, devices, operators=1)
    let_broker_in(settings.data_dir / "mqtt")
    broker = start_embedded(settings, hub.sessions)
    stack.callback(broker.stop)
    coordinator = Coordinator(hub, broker.endpoint)
    if not coordinator.start(wait=WAIT):
        raise RuntimeError("the coordinator could not connect to its broker")
    stack.callback(coordinator.stop)
    settle_memory()  # as `cherga hub` does once started
    feed(settings.site, credentials["kiosk-feed"], line, panel_tickets)
    specs: dict[str, Any] = {}
    for role, device, service in (("kiosk", "kiosk-1", bulk), ("panel", "panel-1", line)):
        options = credentials[device].mqtt_config().client_options()
        tls = options.pop("tls")
        specs[role] = {
            **options,
            "tls": None if tls is None else dataclasses.asdict(tls),
            "site": settings.site,
            "device": device,
            "role": role,
            "service": service,
            "operator": OPERATOR,
            "operator_password": PASSWORD,
        }
    return specs


def machine() -> list[str]:
    """What this ran on."""
    import ssl

    import paho.mqtt

    from bench.queue import broker_version, cpu_model

    model, broker = cpu_model(), broker_version()
    return [
        f"machine:  {platform.machine()}, {os.cpu_count()} CPUs ({model}), "
        f"{platform.system()} {platform.release()}",
        f"software: Python {platform.python_version()}, {ssl.OPENSSL_VERSION}, "
        f"paho-mqtt {paho.mqtt.__version__}, {broker}",
        "NOTE:     figures from this 2-core x86 VM over loopback, not from a Raspberry Pi: "
        "read the TLS - plain differences, not the absolute values",
    ]


def report(results: dict[tuple[str, str], dict[str, Any]], args: argparse.Namespace) -> None:
    """The tables: role x mode, then TLS - plain."""
    from bench.queue import pct

    tls = results[("kiosk", "tls")]
    print(
        f"TLS:      {tls['cipher']}, device certificate EC P-256 of the office's CA; MQTT 5, "
        f"QoS 1, keepalive 30 s; a bare DeviceClient per process (no UI)"
    )
    print(
        f"run:      kiosk {args.tickets} tickets one after another, panel login + {args.cycles} "
        f"Free/Finish cycles (after {WARMUP} warm-up; in {ROUNDS} rounds, the modes taking "
        f"turns), {args.connects} connect/close cycles, "
        f"{args.idle:g} s idle"
    )
    rows: list[tuple[str, str, dict[str, float]]] = []
    summaries: list[str] = []
    for role in ROLES:
        values: dict[str, dict[str, float]] = {}
        for mode in MODES:
            got = results[(role, mode)]
            per = args.tickets if role == "kiosk" else args.cycles
            values[mode] = {
                **{key: got["memory"][key] / 1024 for key, _ in STAGES},
                "first": got["first"],
                "lo": min(got["rounds"]),
                "hi": max(got["rounds"]),
                "c50": pct(got["connect_ms"], 50),
                "c95": pct(got["connect_ms"], 95),
                "ccpu": got["connect_cpu"] / args.connects * 1000,
                "cycle": got["cycles_cpu"] / args.connects * 1000,
                "cpu": got["cpu"] / per * 100,
                "p50": pct(got["trips"], 50),
                "p95": pct(got["trips"], 95),
                "idle": got["idle_pct"],
            }
            rows.append((role, mode, values[mode]))
        diff = {key: values["tls"][key] - values["plain"][key] for key in values["tls"]}
        rows.append((role, "tls-plain", {k: v for k, v in diff.items() if k not in SPREAD}))
        summaries.append(summary(role, values["tls"], values["plain"]))

    def table(title: str, columns: list[tuple[str, str, str]]) -> None:
        print(f"\n{title}")
        print(f"  {'role':<6} {'mode':<10}" + "".join(f"{head:>12}" for _, head, _ in columns))
        for role, mode, row in rows:
            sign = "+" if mode == "tls-plain" else ""
            cells = "".join(
                f"{row[key]:>{sign}12{fmt}}" if key in row else f"{'':12}"
                for key, _, fmt in columns
            )
            print(f"  {role:<6} {mode:<10}{cells}")

    table(
        "memory: VmRSS of the device process, MiB, after each step",
        [(key, head, ".1f") for key, head in STAGES],
    )
    if any(got["ssl_preloaded"] for got in results.values()):
        print("  (ssl was loaded before the first step: +ssl does not show its share)")
    print(
        "  python = interpreter + this script's stdlib imports; +ssl = import ssl (paho and "
        "DeviceClient import it in both modes); +imports = hub.protocol, paho, pydantic;\n"
        "  +client = DeviceClient built (over TLS: context with CA, certificate and key); "
        "+connect = CONNACK; +workload = after the requests"
    )
    table(
        "connecting: wall ms from start() to CONNACK; CPU ms per connect",
        [
            ("first", "first ms", ".1f"),
            ("c50", "p50 ms", ".2f"),
            ("c95", "p95 ms", ".2f"),
            ("ccpu", "CPU→CONNACK", ".2f"),
            ("cycle", "CPU/cycle", ".2f"),
        ],
    )
    print(
        f"  over {args.connects} fresh clients; CPU/cycle = getrusage over the cycles / n "
        "(build the client and its context, connect, publish online/offline, disconnect)"
    )
    table(
        "workload and idle: CPU s per 100 requests (kiosk) / 100 cycles (panel); "
        "round trip ms; idle % of one core",
        [
            ("cpu", "CPU s/100", ".3f"),
            ("lo", "round min", ".3f"),
            ("hi", "round max", ".3f"),
            ("p50", "rtt p50", ".2f"),
            ("p95", "rtt p95", ".2f"),
            ("idle", "idle %core", ".3f"),
        ],
    )
    print(
        "  a panel cycle is two requests (Free, then Finish of the called ticket): its round "
        "trips are of both; idle = connected, keepalive only, all four devices at once"
    )
    print("\nin short, what TLS adds to one device (this machine):")
    for line in summaries:
        print(line)


def summary(role: str, tls: dict[str, float], plain: dict[str, float]) -> str:
    """One role's TLS - plain in words."""
    unit = "request" if role == "kiosk" else "Free/Finish cycle"
    extra = (tls["cpu"] - plain["cpu"]) * 10  # s per 100 -> ms per one
    overlap = plain["lo"] <= tls["cpu"] <= plain["hi"] or tls["lo"] <= plain["cpu"] <= tls["hi"]
    noise = ", within the rounds' spread: not measurable here" if overlap else ""
    return (
        f"  {role}: +{tls['workload'] - plain['workload']:.1f} MiB RSS (TLS context "
        f"+{tls['client'] - plain['client']:.1f}, connection and buffers the rest); "
        f"+{tls['cycle'] - plain['cycle']:.1f} ms CPU and +{tls['c50'] - plain['c50']:.1f} ms "
        f"wait (p50) per connect;\n    {extra:+.2f} ms CPU per {unit} "
        f"({tls['cpu'] / plain['cpu'] - 1:+.0%} of plain's {plain['cpu'] * 10:.2f} ms{noise}); "
        f"idle {tls['idle'] - plain['idle']:+.3f} % of a core"
    )


def measure(
    children: dict[tuple[str, str], Child],
    results: dict[tuple[str, str], dict[str, Any]],
    args: argparse.Namespace,
) -> None:
    """Workload in rounds, the modes taking turns (tls, plain, plain, tls, ...) so that drift in
    the machine's speed falls on both; then the connect cycles; then idle, all four at once."""
    for index in range(ROUNDS):
        for mode in MODES if index % 2 == 0 else MODES[::-1]:
            for role in ROLES:
                total = args.tickets if role == "kiosk" else args.cycles
                share = total // ROUNDS + (index < total % ROUNDS)
                got = children[(role, mode)].ask(f"work {share}", 120.0)
                figures = results[(role, mode)]
                figures["trips"] += got["trips"]
                figures["cpu"] += got["cpu"]
                figures.setdefault("rounds", []).append(got["cpu"] / share * 100)
    for index in range(ROUNDS):
        for mode in MODES if index % 2 == 0 else MODES[::-1]:
            for role in ROLES:
                share = args.connects // ROUNDS + (index < args.connects % ROUNDS)
                got = children[(role, mode)].ask(f"connects {share}", 120.0)
                figures = results[(role, mode)]
                figures["memory"] = got["memory"]
                figures["connect_ms"] = figures.get("connect_ms", []) + got["connect_ms"]
                for name in ("cycles_cpu", "connect_cpu"):
                    figures[name] = figures.get(name, 0.0) + got[name]
    for child in children.values():
        child.send(f"idle {args.idle}")
    for key, child in children.items():
        results[key] |= child.read(args.idle + 30.0)


def main() -> None:
    if sys.argv[1:] == ["--device-child"]:
        device_child()
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100 tickets, 40 cycles, 10 s idle")
    args = parser.parse_args()
    args.tickets, args.cycles, args.idle = (100, 40, 10.0) if args.quick else (300, 100, 30.0)
    args.connects = 20
    started = time.perf_counter()
    print("== Cherga: what a device costs with MQTT over TLS versus plain TCP ==")
    for line in machine():
        print(line)
    results: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="cherga-bench-tls-") as scratch,
            ExitStack() as stack,
        ):
            children: dict[tuple[str, str], Child] = {}
            for mode in MODES:
                specs = start_site(mode, Path(scratch) / mode, stack, args.cycles + WARMUP + 5)
                for role in ROLES:
                    child = children[(role, mode)] = Child(specs[role])
                    stack.callback(child.stop)
                    results[(role, mode)] = child.read(120.0) | {"trips": [], "cpu": 0.0}
            measure(children, results, args)
    except KeyboardInterrupt:
        print("interrupted; everything started here was stopped", file=sys.stderr)
        raise SystemExit(130) from None
    report(results, args)
    print(f"\n(whole run {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
