"""The display board app end to end: real Kivy widgets offscreen, the real hub and Mosquitto.

A ticket is issued at a kiosk and called by an operator pressing Free: the board shows it large
and the call is announced (a WAV file with a chime and speech); a recall is announced again; a
display that connects late draws the same board from the retained message; the screenshot
command draws every screen.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from display_board.app import Display
from display_board.board import catalogue
from display_board.settings import parse_settings
from firmware_config.device_config import DeviceConfig, MqttConfig, write_config
from hub.db.models.queue import QueueTicket
from hub.protocol.messages import IssueTicket, KioskReply, PanelReply, Recall, SetStatus
from tests.office_time import utc_system  # noqa: F401
from tests.test_coordinator import Site, ask, login, make_service, rid, site  # noqa: F401

WAIT = 15.0
ROOT = Path(__file__).resolve().parents[1]


def pump(until: Callable[[], bool], what: str) -> None:
    """Step Kivy's loop (clock, callbacks from the hub link, drawing) until ``until()``."""
    from kivy.base import EventLoop

    deadline = time.monotonic() + WAIT
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        EventLoop.idle()


def display_config(site: Site, device_id: str, out: Path) -> DeviceConfig:  # noqa: F811
    return DeviceConfig(
        device_id=device_id,
        role="display",
        site="main",
        name=device_id,
        mqtt=site.mqtt_config(device_id),
        settings={
            "languages": ["uk", "en"],
            "language_seconds": 0,
            "ticker": {"uk": "Ласкаво просимо", "en": "Welcome"},
            "announce": {"audio": "none", "out_dir": str(out), "volume": 70},
        },
    )


@pytest.fixture
def displays(tmp_path: Path) -> Iterator[Callable[[DeviceConfig], Display]]:
    """Builds displays on the shared Window, and stops and removes every one afterwards."""
    from kivy.base import EventLoop

    EventLoop.ensure_window()
    made: list[Display] = []

    def build(config: DeviceConfig) -> Display:
        settings = parse_settings(dict(config.settings))
        display = Display(config, settings, catalogue())
        EventLoop.window.add_widget(display.screen)
        display.start()
        made.append(display)
        return display

    yield build
    for display in made:
        display.stop()
    EventLoop.idle()


def _texts(widget: Any) -> list[str]:
    """The texts of a widget's labels in reading order (Kivy keeps children last first)."""
    if not widget.children:
        return [widget.text]
    return [text for child in reversed(widget.children) for text in _texts(child)]


def shown(display: Display) -> dict[str, Any]:
    """What a visitor reads on the screen, taken from the widgets themselves."""
    screen = display.screen
    recent = [
        [child.text for child in reversed(row.children)] for row in reversed(screen.recent.children)
    ]
    waiting = [_texts(cell) for cell in reversed(screen.waiting.children)]
    return {
        "number": screen.number.text,
        "window": screen.window.text,
        "caption": screen.now_label.text,
        "recent": recent,
        "waiting": waiting,
        "status": screen.status.text,
        "ticker": screen.ticker.label.text,
    }


def duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.mark.usefixtures("utc_system")
def test_a_call_is_shown_and_announced_and_a_late_display_agrees(
    site: Site,  # noqa: F811
    displays: Callable[[DeviceConfig], Display],
    tmp_path: Path,
) -> None:
    service = make_service(site, "Паспорти", ["olena"])
    first = displays(display_config(site, "display-1", tmp_path / "one"))
    pump(lambda: first.model.connected and first.model.board is not None, "the retained board")
    assert shown(first)["number"] == "Очікуйте виклику"
    assert shown(first)["status"] == ""
    assert shown(first)["ticker"] == "Ласкаво просимо"

    kiosk, panel = site.device("kiosk-2", "kiosk"), site.device("panel-1", "panel")
    issued = ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply)
    assert issued.ok
    pump(lambda: [row[:2] for row in shown(first)["waiting"]] == [["Паспорти", "1"]], "one waiting")
    # Nobody is at work yet: the wait for the one visitor is still said, with no false precision.
    (waiting,) = shown(first)["waiting"]
    assert len(waiting) == 3 and waiting[2].startswith("близько"), waiting

    login(panel, "olena")
    free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert free.ok and free.assignment.ticket.number == issued.ticket.number
    number = issued.ticket.number
    pump(lambda: shown(first)["number"] == number, "the call on the board")
    screen = shown(first)
    assert screen["window"] == "Вікно 1" and screen["caption"] == "Запрошуємо"
    assert screen["waiting"] == [["Паспорти", "0"]]
    assert screen["recent"] == [["Ще нікого не викликали"]]
    with site.hub.sessions() as session:
        ticket = session.get(QueueTicket, issued.ticket.id)
        assert ticket is not None and (ticket.state, ticket.window) == ("called", "1")

    # The chime and the speech, in Ukrainian then English, rendered to one WAV file.
    pump(lambda: len(first.announced) == 1, "the announcement")
    call, wav = first.announced[0]
    spoken = " ".join(number)
    assert call.sentences == (
        ("uk", f"Талон {spoken}, вікно 1."),
        ("en", f"Ticket {spoken}, window 1."),
    )
    assert wav is not None and wav.exists() and 3.0 < duration(wav) < 15.0

    # A recall is announced again, marked as a repeat; the board does not change.
    assert ask(panel, Recall(request_id=rid(), ticket_id=issued.ticket.id), PanelReply).ok
    pump(lambda: len(first.announced) == 2, "the repeated announcement")
    again, again_wav = first.announced[1]
    assert again.recall and again.sentences[0] == (
        "uk",
        f"Повторний виклик. Талон {spoken}, вікно 1.",
    )
    assert again_wav is not None and duration(again_wav) > duration(wav)
    assert shown(first)["number"] == number

    # The clock shows the office's time (the board's zone), whatever this machine's zone:
    # 00:09 UTC on a winter night is 02:09 in Kyiv.
    assert first.model.board is not None and first.model.board.tz == "Europe/Kyiv"
    first._now = lambda: datetime(2026, 12, 6, 0, 9, tzinfo=UTC)
    pump(lambda: first.screen.clock.text == "02:09", "the office's time on the clock")
    assert first.screen.date.text == "06.12.2026"

    # A second display, provisioned now, connects late: the same board at once, no replay.
    site.add("display", "display-2")
    late = displays(display_config(site, "display-2", tmp_path / "two"))
    pump(lambda: late.model.board is not None and late.model.connected, "the late board")
    pump(lambda: shown(late)["waiting"] == shown(first)["waiting"], "the same counts")
    assert shown(late) == shown(first)
    assert late.announced == [] and (late.announcer is not None and late.announcer.pending() == 0)
    from hub.db.models import Device

    def online(device_id: str) -> bool:
        # The board is retained by the broker, so it can reach the display before the hub has
        # handled the display's own "online" status: wait for that separately.
        with site.hub.sessions() as session:
            device = session.get(Device, device_id)
            assert device is not None
            return device.online

    for device_id in ("display-1", "display-2"):
        pump(functools.partial(online, device_id), f"{device_id} marked online")


def test_the_screenshot_command_draws_every_screen_in_both_languages(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "display", "screenshots", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    names = sorted(path.name for path in out.glob("*.png"))
    assert names == sorted(
        f"display-{screen}-{lang}.png"
        for screen in ("board-landscape", "board-portrait", "offline-landscape", "start-portrait")
        for lang in ("uk", "en")
    )
    from kivy.core.image import Image as CoreImage

    for name, size in (("board-landscape-uk", (1920, 1080)), ("board-portrait-en", (1080, 1920))):
        image = CoreImage(str(out / f"display-{name}.png"))
        assert (image.width, image.height) == size
    # Different languages draw different pictures (no text left untranslated on the board).
    assert (out / "display-board-landscape-uk.png").read_bytes() != (
        out / "display-board-landscape-en.png"
    ).read_bytes()


def test_the_config_is_checked_with_one_line_naming_the_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from display_board.cli import main

    config = DeviceConfig(
        device_id="display-1",
        role="display",
        site="main",
        name="Табло",
        mqtt=MqttConfig(host="127.0.0.1", username="display-1", password=SecretStr("x")),
        settings={"announce": {"volume": 180}},
    )
    path = tmp_path / "display.toml"
    write_config(config, path)
    assert main(["--config", str(path), "--validate-config"]) == 2
    assert "settings.announce.volume" in capsys.readouterr().out
    write_config(config.model_copy(update={"settings": {"recent": 3}}), path)
    assert main(["--config", str(path), "--validate-config"]) == 0
