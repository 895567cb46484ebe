"""The real appliance programs, started from a device config file, seen from the outside.

``cherga kiosk|panel|display --config FILE`` run as subprocesses (Kivy offscreen) against the hub's
own Mosquitto and the real coordinator (the ``site`` fixture of tests/test_coordinator.py). The
tests only look where an administrator could: the hub's device registry (online, version, offline
after a stop), the requests the hub answered, the files a display writes, the exit code and the
two output streams. A wrong config must stop a program with one line naming the setting, and the
device's MQTT password must never be printed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from firmware_config.device_config import (
    DeviceConfig,
    MqttConfig,
    ScreenConfig,
    to_toml,
    write_config,
)
from hub import __version__ as HUB_VERSION
from hub.db.models import Device, DeviceRequest
from hub.protocol.messages import IssueTicket, KioskReply, PanelReply, SetStatus
from kiosk.cli import VERSION as KIOSK_VERSION
from tests.test_coordinator import Site, ask, login, make_service, rid, site  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
START_WAIT = 90.0  # failure guards only: a cold Kivy start under load can take a while
STOP_WAIT = 20.0
SCREEN = ScreenConfig(width=800, height=480)
# The panel's version as it reports it (operator_panel.app.VERSION; not imported here so this
# process does not load the panel's Kivy widgets).
PANEL_VERSION = "0.1.0"


def device_config(
    the_site: Site, device_id: str, role: str, settings: dict[str, Any] | None = None, **extra: Any
) -> DeviceConfig:
    """The config ``cherga device add --config-out`` would write for a registered device."""
    return DeviceConfig(
        device_id=device_id,
        role=role,  # type: ignore[arg-type]
        site="main",
        name=device_id,
        mqtt=the_site.mqtt_config(device_id),
        screen=SCREEN,
        settings=settings or {},
        **extra,
    )


def program_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment for a Kivy program: offscreen, its own Kivy home and temp folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CHERGA_CONFIG", "CHERGA_DEVICE_CONFIG", "KIVY_NO_CONSOLELOG")
    }
    kivy_home = tmp_path / "kivy-home"
    temp = tmp_path / "tmp"
    kivy_home.mkdir(exist_ok=True)
    temp.mkdir(exist_ok=True)
    env.update(
        SDL_VIDEODRIVER="offscreen",
        KIVY_NO_ARGS="1",
        KIVY_HOME=str(kivy_home),
        KIVY_USE_DEFAULTCONFIG="1",
        TMPDIR=str(temp),
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Program:
    """One appliance process, its output in files (no pipe can fill up and block it)."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path
    kivy_home: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stdout(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def describe(self) -> str:
        return (
            f"exit code {self.process.poll()}\n--- stdout\n{self.stdout()[-4000:]}"
            f"\n--- stderr\n{self.stderr()[-4000:]}"
        )

    def terminate(self) -> int:
        """SIGTERM to this PID, as systemd stops a service; the exit code."""
        assert self.alive, f"the program died before it was stopped:\n{self.describe()}"
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"no exit {STOP_WAIT:.0f} s after SIGTERM:\n{self.describe()}")


@contextmanager
def started(
    tmp_path: Path,
    name: str,
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    graceful: bool = False,
) -> Iterator[Program]:
    """``cherga ARGS`` as a subprocess (``env``: else ``program_env``); stopped by its PID on the
    way out if still running: killed, or with ``graceful`` asked first (SIGTERM)."""
    out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", *args],
            cwd=ROOT,
            env=env if env is not None else program_env(tmp_path),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
    program = Program(process, out, err, tmp_path / "kivy-home")
    try:
        yield program
    finally:
        if process.poll() is None and graceful:
            process.terminate()
            with suppress(subprocess.TimeoutExpired):
                process.wait(STOP_WAIT)
        if process.poll() is None:
            process.kill()
        process.wait(STOP_WAIT)


def run_to_end(tmp_path: Path, name: str, args: list[str]) -> Program:
    """A program expected to exit by itself (a refused config)."""
    with started(tmp_path, name, args) as program:
        try:
            program.process.wait(START_WAIT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"cherga {' '.join(args)} kept running:\n{program.describe()}")
        return program


def wait_for(program: Program, what: str, check: Callable[[], bool]) -> None:
    """Wait until ``check()`` holds while ``program`` keeps running."""
    deadline = time.monotonic() + START_WAIT
    while not check():
        assert program.alive, f"the program exited while waiting for {what}:\n{program.describe()}"
        assert time.monotonic() < deadline, f"never saw {what}:\n{program.describe()}"
        time.sleep(0.05)


def device(the_site: Site, device_id: str) -> Device:
    with the_site.hub.sessions() as session:
        row = session.get(Device, device_id)
        assert row is not None
        return row


def wait_online(the_site: Site, program: Program, device_id: str) -> Device:
    wait_for(program, f"{device_id} online in the hub", lambda: device(the_site, device_id).online)
    return device(the_site, device_id)


def stop_and_check_offline(the_site: Site, program: Program, device_id: str) -> None:
    """SIGTERM ends the program cleanly (code 0) and the hub then records the device offline."""
    code = program.terminate()
    assert code == 0, f"SIGTERM should end the program with 0:\n{program.describe()}"
    deadline = time.monotonic() + START_WAIT
    while device(the_site, device_id).online:
        assert time.monotonic() < deadline, f"the hub still has {device_id} online"
        time.sleep(0.05)


def assert_no_secret(program: Program, password: str) -> None:
    """Neither output stream nor Kivy's own log file shows the MQTT password."""
    assert password not in program.stdout()
    assert password not in program.stderr()
    for log in program.kivy_home.rglob("*.txt"):
        assert password not in log.read_text(encoding="utf-8", errors="replace"), log


def assert_no_traceback(program: Program) -> None:
    for text in (program.stdout(), program.stderr()):
        assert "Traceback" not in text, program.describe()


# ---- running programs --------------------------------------------------------------------


def test_the_kiosk_starts_from_its_config_asks_for_services_and_stops_on_sigterm(
    site: Site,  # noqa: F811
    tmp_path: Path,
) -> None:
    service = make_service(site, "Паспорти", [])
    config = tmp_path / "kiosk-2.toml"
    write_config(device_config(site, "kiosk-2", "kiosk", {"fullscreen": False}), config)
    assert config.stat().st_mode & 0o777 == 0o600
    assert not device(site, "kiosk-2").online

    with started(tmp_path, "kiosk", ["kiosk", "--config", str(config)]) as kiosk:
        row = wait_online(site, kiosk, "kiosk-2")
        assert row.version == KIOSK_VERSION and row.last_seen_at is not None

        def listed() -> list[DeviceRequest]:
            with site.hub.sessions() as session:
                return list(
                    session.scalars(
                        select(DeviceRequest).where(
                            DeviceRequest.device_id == "kiosk-2",
                            DeviceRequest.kind == "list_services",
                        )
                    )
                )

        wait_for(kiosk, "the kiosk's list_services at the hub", lambda: bool(listed()))
        reply = listed()[0].reply
        assert reply["ok"] is True
        assert [s["id"] for s in reply["services"]] == [service]
        assert kiosk.alive, kiosk.describe()

        stop_and_check_offline(site, kiosk, "kiosk-2")
        assert_no_traceback(kiosk)
        assert_no_secret(kiosk, site.passwords["kiosk-2"])


def test_the_panel_starts_from_its_config_connects_and_stops_on_sigterm(
    site: Site,  # noqa: F811
    tmp_path: Path,
) -> None:
    make_service(site, "Паспорти", ["olena"])
    config = tmp_path / "panel-1.toml"
    write_config(device_config(site, "panel-1", "panel", window=1), config)
    assert not device(site, "panel-1").online

    # "run" is the panel's default action: ``cherga panel --config FILE`` must start it.
    with started(tmp_path, "panel", ["panel", "--config", str(config)]) as panel:
        row = wait_online(site, panel, "panel-1")
        assert row.version == PANEL_VERSION and row.last_seen_at is not None
        # The program stays up while the hub serves the site (an operator logs in at panel-2).
        other = site.device("panel-2", "panel")
        login(other, "olena")
        assert panel.alive, panel.describe()
        assert device(site, "panel-1").online

        stop_and_check_offline(site, panel, "panel-1")
        assert_no_traceback(panel)
        assert_no_secret(panel, site.passwords["panel-1"])


def test_the_display_announces_a_call_made_at_a_panel_and_stops_on_sigterm(
    site: Site,  # noqa: F811
    tmp_path: Path,
) -> None:
    service = make_service(site, "Паспорти", ["olena"])
    wavs = tmp_path / "announcements"
    settings = {
        "language_seconds": 0,
        "announce": {"audio": "none", "out_dir": str(wavs), "languages": ["uk", "en"]},
    }
    config = tmp_path / "display-1.toml"
    write_config(device_config(site, "display-1", "display", settings), config)
    assert not device(site, "display-1").online

    with started(tmp_path, "display", ["display", "--config", str(config)]) as display:
        row = wait_online(site, display, "display-1")
        assert row.version == HUB_VERSION and row.last_seen_at is not None
        wait_for(
            display, "the display's 'hub link up' log line", lambda: "link up" in display.stdout()
        )

        # A visitor takes a ticket; the operator at window 1 presses Free and is given it.
        kiosk = site.device("kiosk-2", "kiosk")
        issued = ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply)
        assert issued.ok, issued.error
        panel = site.device("panel-1", "panel")
        login(panel, "olena")
        free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
        assert free.ok and free.assignment.ticket.number == issued.ticket.number

        # The display program renders the announcement of that call to its WAV folder.
        number = issued.ticket.number
        wait_for(
            display,
            f"an announcement WAV of {number} in {wavs}",
            lambda: any(wavs.glob(f"announce-*-{number}.wav")),
        )
        [path] = wavs.glob(f"announce-*-{number}.wav")
        with wave.open(str(path), "rb") as wav:
            assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
            # Chime and speech in two languages: seconds of sound, not an empty file.
            assert wav.getnframes() > 2 * wav.getframerate()
        assert display.alive, display.describe()

        stop_and_check_offline(site, display, "display-1")
        assert_no_traceback(display)
        assert_no_secret(display, site.passwords["display-1"])
    # The configured folder is the display's: what it said stays there after a stop.
    assert path.exists()


# ---- refused configs -----------------------------------------------------------------------

SECRET = "never-print-me-7Qx"


def _config(role: str, **extra: Any) -> DeviceConfig:
    return DeviceConfig(
        device_id=f"{role}-1",
        role=role,  # type: ignore[arg-type]
        site="main",
        name=f"{role} 1",
        mqtt=MqttConfig(
            host="127.0.0.1", port=1883, username=f"{role}-1", password=SecretStr(SECRET)
        ),
        screen=SCREEN,
        window=1 if role == "panel" else None,
        **extra,
    )


def _without_window(text: str) -> str:
    assert "window = 1\n" in text
    return text.replace("window = 1\n", "")


def _port(value: int) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert "port = 1883\n" in text
        return text.replace("port = 1883\n", f"port = {value}\n")

    return change


def _settings(line: str) -> Callable[[str], str]:
    return lambda text: text + f"\n[settings]\n{line}\n"


COMMANDS = {"kiosk": ["kiosk"], "panel": ["panel"], "display": ["display"]}
# Where each program says what is wrong: the kiosk and panel print to standard error; the display
# logs everything (errors too) to standard output like the hub (hub.logs, for journald).
ERROR_STREAM = {"kiosk": "stderr", "panel": "stderr", "display": "stdout"}


@pytest.mark.parametrize(
    ("role", "change", "setting"),
    [
        ("panel", _without_window, "window"),
        ("panel", _port(70000), "mqtt.port"),
        ("kiosk", _port(0), "mqtt.port"),
        ("display", _port(70000), "mqtt.port"),
        ("kiosk", _settings("idle_timeout_s = -1"), "settings.idle_timeout_s"),
        ("panel", _settings('lang = "de"'), "settings.lang"),
        ("display", _settings("recent = 99"), "settings.recent"),
    ],
)
def test_a_wrong_setting_stops_the_program_with_one_line_naming_it(
    tmp_path: Path, role: str, change: Callable[[str], str], setting: str
) -> None:
    path = tmp_path / f"{role}.toml"
    path.write_text(change(to_toml(_config(role))), encoding="utf-8")
    path.chmod(0o600)
    program = run_to_end(tmp_path, role, [*COMMANDS[role], "--config", str(path)])
    assert program.process.returncode not in (0, None), program.describe()
    assert program.process.returncode > 0, program.describe()  # an exit, not a crash by signal
    said = program.stderr() if ERROR_STREAM[role] == "stderr" else program.stdout()
    other = program.stdout() if ERROR_STREAM[role] == "stderr" else program.stderr()
    lines = [line for line in said.splitlines() if line.strip()]
    assert len(lines) == 1, program.describe()
    assert setting in lines[0], program.describe()
    assert other.strip() == "", program.describe()  # no Kivy banner, no window opened
    assert_no_secret(program, SECRET)


@pytest.mark.parametrize("role", ["kiosk", "panel", "display"])
def test_a_good_config_is_accepted_by_validate_config(tmp_path: Path, role: str) -> None:
    path = tmp_path / f"{role}.toml"
    write_config(_config(role), path)
    program = run_to_end(
        tmp_path, role, [*COMMANDS[role], "--config", str(path), "--validate-config"]
    )
    assert program.process.returncode == 0, program.describe()
    assert_no_secret(program, SECRET)
    assert "Traceback" not in program.stderr()
