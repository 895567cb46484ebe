"""``cherga demo``: the whole office on one machine, seen from the outside.

The end-to-end test runs the real command headless on a fresh folder with the hub's own
Mosquitto and the real appliance programs, and looks only where a person could: the hub's API,
the pictures of the virtual printer, the board's spoken calls, the exit code and the process
table. The smaller tests cover the virtual printer and the guard that keeps the example office
out of a real one's data.
"""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from hub.bootstrap import build_hub, prepare_database
from hub.cli import main
from hub.db.models import Project, User
from hub.demo.folder import DemoFolder
from printers.drivers import make_driver
from printers.layout import TicketData, render_ticket
from printers.settings import parse_settings
from tests.conftest import make_settings
from tests.pg import free_port

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 120.0  # a failure guard: on an idle machine the loop is seen within some 20 s


# ---- the virtual printer -------------------------------------------------------------------


def test_the_virtual_printer_draws_each_ticket_as_a_png_named_by_its_number(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "tickets"
    settings = parse_settings({"connection": {"kind": "png", "folder": str(folder)}})
    driver = make_driver(settings.connection, settings.ticket.profile, settings.ticket.width_mm)
    assert driver.status().blocking is None and folder.is_dir()
    ticket = TicketData(
        number="П-007",
        service_name="Паспортні послуги",
        issued_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        lang="uk",
        ticket_id=7,
        people_ahead=2,
        estimated_wait_s=600,
        booking_code=None,
    )
    data = render_ticket(ticket, settings.ticket)
    driver.print_job(data)
    driver.print_job(data)  # a reprint keeps the first picture
    assert sorted(p.name for p in folder.iterdir()) == ["П-007-2.png", "П-007.png"]
    with Image.open(folder / "П-007.png") as picture:
        assert picture.width == 80 * 8 and picture.height > 300


def test_a_virtual_printer_folder_that_cannot_be_made_is_offline(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    settings = parse_settings({"connection": {"kind": "png", "folder": str(tmp_path / "file")}})
    driver = make_driver(settings.connection)
    with pytest.raises(Exception, match="offline"):
        driver.status()


# ---- the demo's own folder -----------------------------------------------------------------


def test_the_demo_refuses_a_folder_holding_a_real_office(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = tmp_path / "data"
    hub = build_hub(make_settings(f"sqlite:///{office / 'cherga.db'}", office))
    prepare_database(hub, announce=lambda _password: None)
    hub.close()
    assert main(["demo", "--data-dir", str(office), "--headless"]) == 2
    assert "not a demo's folder" in capsys.readouterr().err
    assert not (office / "demo").exists()
    # And a hub prepared without the demo has none of its office.
    hub = build_hub(make_settings(f"sqlite:///{office / 'cherga.db'}", office))
    with hub.sessions() as session:
        assert session.query(Project).count() == 0
        assert session.query(User).filter(User.username == "olena").count() == 0
    hub.close()


def test_a_hub_started_by_hand_refuses_a_demo_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    DemoFolder(tmp_path / "data-demo").claim()
    assert main(["hub", "--data-dir", str(tmp_path / "data-demo")]) == 2
    assert "folder of a demo office" in capsys.readouterr().err


# ---- the whole demo ------------------------------------------------------------------------


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (None once it is gone): a PID reused by another
    process later is not taken for ours."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def descendants(root: int) -> dict[int, str]:
    """Every process below ``root`` now, with its start time."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found: dict[int, str] = {}
    wanted = {root}
    while wanted:
        children = {pid for pid, parent in parents.items() if parent in wanted}
        wanted = children - found.keys()
        for pid in wanted:
            started = _start_time(pid)
            if started is not None:
                found[pid] = started
    return found


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``cherga demo --headless`` on a fresh folder with free ports, a brisk visitor pace."""
    data = tmp_path / "demo-office"
    ports = {"--port": free_port(), "--https-port": free_port(), "--mqtt-port": free_port()}
    out = tmp_path / "demo.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHERGA_", "KIVY_"))}
    env.pop("SDL_VIDEODRIVER", None)
    env["PYTHONUNBUFFERED"] = "1"
    args = [sys.executable, "-m", "hub.cli", "demo", "--data-dir", str(data), "--headless"]
    args += ["--pace", "0.5", *[str(x) for pair in ports.items() for x in pair]]
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
        )
    try:
        yield {"process": process, "data": data, "out": out, "https": ports["--https-port"]}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)


def _wait(demo: dict[str, Any], what: str, check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + DEADLINE
    while True:
        result = check()
        if result:
            return result
        process: subprocess.Popen[bytes] = demo["process"]
        output = demo["out"].read_text(encoding="utf-8", errors="replace")
        assert process.poll() is None, f"the demo ended while waiting for {what}:\n{output}"
        assert time.monotonic() < deadline, f"never saw {what}:\n{output[-6000:]}"
        time.sleep(0.2)


def test_the_demo_runs_the_office_loop_headless_and_stops_cleanly(
    demo: dict[str, Any],
) -> None:
    data: Path = demo["data"]
    process: subprocess.Popen[bytes] = demo["process"]
    _wait(demo, "the demo's 'where to look' lines", lambda: "Ctrl+C" in demo["out"].read_text())
    output = demo["out"].read_text(encoding="utf-8")
    password = re.search(r"admin / (\S+)", output)
    assert password is not None, output
    assert password.group(1) == (data / "demo" / "admin-password").read_text().strip()
    assert (data / "demo" / "admin-password").stat().st_mode & 0o777 == 0o600
    assert f"https://127.0.0.1:{demo['https']}/console" in output
    tickets = data / "demo" / "tickets"
    assert str(tickets) in output

    # Through the hub's API, as the demo's administrator: tickets issued, and some called.
    trust = ssl.create_default_context(cafile=str(data / "tls" / "ca.crt"))
    api = httpx.Client(base_url=f"https://127.0.0.1:{demo['https']}", verify=trust)
    token = api.post(
        "/api/v1/auth/token", data={"username": "admin", "password": password.group(1)}
    )
    assert token.status_code == 200, token.text
    api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def board_calls() -> list[dict[str, Any]]:
        reply = api.get("/api/v1/queue/board")
        assert reply.status_code == 200, reply.text
        return list(reply.json()["calls"])

    def pictures() -> list[Path]:
        return sorted(tickets.glob("*.png"))

    # A visitor's ticket printed on the virtual printer, called to a window, said on the board.
    def called_printed_and_announced() -> dict[str, Any] | None:
        names = {p.stem for p in pictures()}
        wavs = [p.name for p in (data / "demo" / "announcements").glob("announce-*.wav")]
        for call in board_calls():
            spoken = call["number"].replace("-", "")
            if call["number"] in names and any(w.endswith(f"-{spoken}.wav") for w in wavs):
                return call
        return None

    call = _wait(demo, "a ticket printed, called and announced", called_printed_and_announced)
    assert call["window"] in ("2", "3")
    with Image.open(tickets / f"{call['number']}.png") as picture:
        assert picture.width == 640 and picture.height > 300

    def ticket_states() -> dict[str, str]:
        states = {}
        for ticket_id in range(1, 40):
            reply = api.get(f"/api/v1/queue/tickets/{ticket_id}")
            if reply.status_code == 200:
                states[reply.json()["number"]] = reply.json()["state"]
        return states

    def three_tickets() -> dict[str, str] | None:
        states = ticket_states()
        return states if len(states) >= 3 else None

    # The scripted visitors keep coming: a third ticket appears, however busy the machine.
    states = _wait(demo, "three tickets in the office", three_tickets)
    assert states[call["number"]] in ("called", "serving", "done")
    # Every appliance program is online in the hub's device registry.
    devices = {d["device_id"]: d for d in api.get("/api/v1/devices").json()}
    for device_id in ("printer-1", "kiosk-1", "panel-1", "display-1", "kiosk-2", "panel-2"):
        assert devices[device_id]["online"], devices[device_id]
    api.close()

    # Ctrl+C: every program stops, the demo exits 0 and leaves no process behind.
    running = descendants(process.pid)
    assert len(running) >= 6, running  # hub, its broker, printer, kiosk, panel, board
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0, demo["out"].read_text()
    left = [pid for pid, started in running.items() if _start_time(pid) == started]
    assert left == [], f"still running after the demo stopped: {left}"
    assert "Traceback" not in demo["out"].read_text()
