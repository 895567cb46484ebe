"""Check-in by QR code, end to end: the real kiosk app (offscreen), the real hub and Mosquitto.

A HID scanner is played as a keyboard would be: key events dispatched to Kivy's Window. The
camera is the one part that cannot exist here: its frames come from image files of the QR code
the hub serves for the booking, decoded by the real decoder in the real camera thread.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from kivy.base import EventLoop
from kivy.core.window import Window

from hub.db.engine import transaction
from hub.services.queue import tickets as queue_tickets
from kiosk.flow import Screen
from kiosk.scan_input import on_main_thread, open_scanners, scan_desk
from kiosk.scanner import CodeSource
from tests.test_coordinator import WAIT, Site, make_service
from tests.test_kiosk_flow import Kiosk, KioskFactory, backend, kiosk, site, tickets
from tests.test_kiosk_scanner import camera_photo

if TYPE_CHECKING:
    from kiosk.camera import CameraScanner

__all__ = ["backend", "kiosk", "site"]  # fixtures, shared with the keypad's tests

pytestmark = pytest.mark.timeout(120)

SHIFT, ENTER = 304, 13
FOREIGN = "https://example.org/pay?invoice=42"


def book(site: Site, service: int) -> str:
    """A booking made through the hub's booking service, with the hub's clock inside its window."""
    tz = site.hub.settings.tz
    day = site.now[0].astimezone(tz).date() + timedelta(days=1)
    booked_at = datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=10)
    site.now[0] = booked_at - timedelta(minutes=5)
    with transaction(site.hub.sessions) as session:
        ticket = queue_tickets.create_booking(
            session, site.ctx(), service_id=service, booked_at=booked_at
        )
    assert ticket.booking_code
    return ticket.booking_code


def state(site: Site, code: str) -> str:
    [ticket] = [t for t in tickets(site) if t.booking_code == code]
    return ticket.state


def press(char: str, *, text_events: bool) -> None:
    """One key of a US-layout keyboard (what a USB scanner pretends to be), as SDL reports it."""
    upper = char.isalpha() and char.isupper()
    modifiers = ["shift"] if upper else []
    if upper:
        Window.dispatch("on_key_down", SHIFT, 225, None, [])
    key = ord(char.lower())
    Window.dispatch("on_key_down", key, 0, char.lower(), modifiers)
    if text_events:
        Window.dispatch("on_textinput", char)
    Window.dispatch("on_key_up", key, 0)
    if upper:
        Window.dispatch("on_key_up", SHIFT, 225)


def scan(payload: str, *, gap: float = 0.003, text_events: bool = True) -> None:
    """A scanner types ``payload`` and Enter, a few milliseconds a key, frames running between."""
    for n, char in enumerate(payload):
        press(char, text_events=text_events)
        time.sleep(gap)
        if n % 4 == 3:
            EventLoop.idle()  # keys arrive over several frames, as on a real kiosk
    Window.dispatch("on_key_down", ENTER, 40, "\r", [])
    Window.dispatch("on_key_up", ENTER, 40)


@pytest.fixture
def scanners() -> Iterator[list[CodeSource]]:
    opened: list[CodeSource] = []
    yield opened
    for source in opened:
        source.stop()


def with_hid(k: Kiosk, scanners: list[CodeSource]) -> None:
    scanners.extend(open_scanners(k.flow.settings.scanner, scan_desk(k.flow)))


def test_a_hid_scan_checks_the_visitor_in(
    site: Site, kiosk: KioskFactory, scanners: list[CodeSource]
) -> None:
    service = make_service(site, "Консультація", ["olena"])
    code = book(site, service)
    k = kiosk("kiosk-1", scanner={"hid": True})
    with_hid(k, scanners)
    k.shows("Маєте QR-код запису? Піднесіть його до сканера")

    scan(code)  # on the start screen: no need to open the keypad first
    k.pump(lambda: k.flow.screen == Screen.TICKET, "the ticket after a scan")
    [ticket] = tickets(site)
    k.shows("Ваш номер", ticket.number, "Консультація")
    assert ticket.state == "waiting" and ticket.arrived_at is not None
    assert ticket.effective_at == ticket.booked_at

    # Another visitor, on the keypad screen, with a scanner whose window gives key codes only.
    second = book(site, service)
    k.tap("done")
    k.tap("booking")
    k.shows("Або піднесіть QR-код запису до сканера")
    k.type("AB")
    scan(second, text_events=False)
    k.pump(lambda: k.flow.screen == Screen.TICKET, "the second ticket")
    assert state(site, second) == "waiting"


def test_slow_typing_is_no_scan_and_a_foreign_code_says_so(
    site: Site, kiosk: KioskFactory, scanners: list[CodeSource]
) -> None:
    service = make_service(site, "Консультація", ["olena"])
    code = book(site, service)
    k = kiosk("kiosk-1", scanner={"hid": True})
    with_hid(k, scanners)
    k.tap("lang:en")

    # Someone types the code on a keyboard: not a scanner, nothing happens.
    for char in code:
        press(char, text_events=True)
        EventLoop.idle()
        time.sleep(0.12)
    Window.dispatch("on_key_down", ENTER, 40, "\r", [])
    for _ in range(5):
        EventLoop.idle()
    assert k.flow.screen == Screen.START
    assert state(site, code) == "booked"

    # A product's barcode, then a payment QR code: the mistyped-code message, nothing recorded.
    for foreign in ("4006381333931", FOREIGN):
        scan(foreign)
        k.pump(lambda: k.flow.screen == Screen.ERROR, f"the message for {foreign}")
        k.shows("Code not found", "There is no booking with this code", "Please check the code")
        k.tap("start")  # back to the start, in Ukrainian for the next visitor
        k.tap("lang:en")
    assert state(site, code) == "booked" and len(tickets(site)) == 1

    # A code of the right shape that the hub does not know: the hub's own answer, the same words.
    scan("ABCDEFGHJK")
    k.pump(lambda: k.flow.screen == Screen.ERROR, "the hub's answer")
    k.shows("Code not found", "There is no booking with this code. Check the code.")
    assert state(site, code) == "booked"


def camera(
    k: Kiosk, frames: list[Path], scanners: list[CodeSource], *, repeat: int
) -> CameraScanner:
    """The real camera thread on image files, handing codes to Kivy's main thread."""
    from kiosk.camera import CameraScanner, ImageFiles, ZxingDecoder

    source = CameraScanner(
        ImageFiles(frames, repeat=repeat, interval_s=0.0),
        ZxingDecoder(),
        on_main_thread,
        fps=25,
    )
    scanners.append(source)
    source.start(scan_desk(k.flow))
    return source


def test_a_booking_qr_shown_to_the_camera_checks_in_once(
    site: Site, kiosk: KioskFactory, scanners: list[CodeSource], tmp_path: Path
) -> None:
    pytest.importorskip("cv2", reason="the kiosk extra: opencv-python-headless")
    pytest.importorskip("zxingcpp", reason="the kiosk extra: zxing-cpp")
    service = make_service(site, "Консультація", ["olena"])
    code = book(site, service)
    k = kiosk("kiosk-1", scanner={"camera": "/dev/video0"})  # the hint; frames come from files
    k.shows("Маєте QR-код запису?")
    hall = camera_photo(tmp_path / "hall.png", None)
    shown = camera_photo(tmp_path / "code.png", code, angle=-8)
    # The visitor holds the phone up for about three seconds (25 frames a second).
    source = camera(k, [hall, shown], scanners, repeat=75)
    k.pump(lambda: k.flow.screen == Screen.TICKET, "the ticket from the camera")
    [ticket] = tickets(site)
    assert ticket.state == "waiting" and ticket.number in k.text()
    k.tap("done")  # the visitor is done while the phone is still in view
    deadline = time.monotonic() + WAIT
    while source.running:
        assert time.monotonic() < deadline, "the camera files never ended"
        EventLoop.idle()
    for _ in range(5):
        EventLoop.idle()
    assert k.flow.screen == Screen.START, k.text()  # no second check-in, no "already" message
    assert [t.state for t in tickets(site)] == ["waiting"]


def test_a_foreign_qr_on_the_camera_shows_the_message_and_records_nothing(
    site: Site, kiosk: KioskFactory, scanners: list[CodeSource], tmp_path: Path
) -> None:
    pytest.importorskip("cv2", reason="the kiosk extra: opencv-python-headless")
    pytest.importorskip("zxingcpp", reason="the kiosk extra: zxing-cpp")
    service = make_service(site, "Консультація", ["olena"])
    code = book(site, service)
    k = kiosk("kiosk-1", scanner={"camera": 0})
    camera(k, [camera_photo(tmp_path / "pay.png", FOREIGN)], scanners, repeat=10)
    k.pump(lambda: k.flow.screen == Screen.ERROR, "the message")
    k.shows("Код не знайдено", "Запису з таким кодом немає. Перевірте код.")
    assert k.flow.code == ""
    assert state(site, code) == "booked" and len(tickets(site)) == 1


def test_the_device_config_opens_its_scanners(site: Site, kiosk: KioskFactory) -> None:
    pytest.importorskip("cv2", reason="the kiosk extra: opencv-python-headless")
    pytest.importorskip("zxingcpp", reason="the kiosk extra: zxing-cpp")
    from kiosk.camera import CameraScanner
    from kiosk.scan_input import HidScanner

    k = kiosk("kiosk-1", scanner={"hid": True, "camera": "/dev/video-cherga-absent"})
    sources = open_scanners(k.flow.settings.scanner, scan_desk(k.flow))
    try:
        hid, cam = sources
        assert isinstance(hid, HidScanner) and isinstance(cam, CameraScanner)
        time.sleep(0.2)
        assert cam.running  # no camera: it keeps trying, the kiosk goes on
        scan("NOT-A-BOOKING")
        k.pump(lambda: k.flow.screen == Screen.ERROR, "the HID scanner working meanwhile")
    finally:
        for source in sources:
            source.stop()
    assert not cam.running
