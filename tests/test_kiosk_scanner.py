"""Scanned booking codes: what counts as a code, HID bursts, repeat suppression, the camera thread.

The camera tests decode real QR codes, drawn from the very SVG the hub serves for a booking
(``hub.web.qr.qr_svg``), with the real decoder; only the camera itself is replaced, by image
files, because this machine has none. The real V4L2 source is tried on a device that is absent.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from firmware_config.i18n import Catalogue
from hub.protocol.messages import KioskReply, TicketInfo
from hub.services.queue import tickets as queue_tickets
from hub.web.qr import qr_svg
from kiosk.cli import LOCALE
from kiosk.flow import KioskFlow, Screen
from kiosk.scanner import CODE_ALPHABET, CODE_LENGTH, HidBurst, ScanGate, as_booking_code
from kiosk.settings import KioskSettingsError, parse_settings
from kiosk.shots import SampleHub

if TYPE_CHECKING:
    from kiosk.camera import ZxingDecoder

pytestmark = pytest.mark.timeout(60)

CODE = "K7Q2MZXA9B"


# ---- images of the QR code the hub prints ---------------------------------------------------


def hub_qr_image(data: str, module_px: int = 8) -> object:
    """The hub's QR SVG for ``data`` drawn as a PIL image (its path is one square per module)."""
    from PIL import Image, ImageDraw

    svg = qr_svg(data)
    found = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert found, svg[:200]
    side = int(found.group(1))
    image = Image.new("L", (side * module_px, side * module_px), 255)
    draw = ImageDraw.Draw(image)
    squares = re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", svg)
    assert squares, "the hub's QR SVG is no longer drawn as squares: update this reader"
    for x0, y0, x1, y1 in squares:
        left, top = int(x0) * module_px, int(y0) * module_px
        right, bottom = int(x1) * module_px - 1, int(y1) * module_px - 1
        draw.rectangle((left, top, right, bottom), fill=0)
    return image


def camera_photo(path: Path, data: str | None, *, angle: float = 7.0, seed: int = 1) -> Path:
    """A 640×480 grey 'camera frame': ``data``'s hub QR on a phone held a little askew.

    ``data=None`` gives the same scene without a code (an empty hall).
    """
    from PIL import Image, ImageFilter

    rnd = random.Random(seed)
    frame = Image.effect_noise((640, 480), 24).point(lambda v: 90 + v // 3)
    if data is not None:
        code = hub_qr_image(data, module_px=7)
        phone = Image.new("L", (code.size[0] + 40, code.size[1] + 90), 235)  # type: ignore[attr-defined]
        phone.paste(code, (20, 45))  # type: ignore[arg-type]
        phone = phone.rotate(angle, expand=True, fillcolor=100)
        frame.paste(phone, (rnd.randint(60, 140), rnd.randint(10, 40)))
    frame = frame.filter(ImageFilter.GaussianBlur(0.8))
    frame.save(path)
    return path


# ---- what counts as a booking code -------------------------------------------------------------


def test_the_code_shape_is_the_hubs() -> None:
    assert (CODE_ALPHABET, CODE_LENGTH) == (queue_tickets.CODE_ALPHABET, queue_tickets.CODE_LENGTH)
    for _ in range(50):
        made = queue_tickets.booking_code()
        assert as_booking_code(made) == made


def test_only_what_the_hub_prints_is_a_code() -> None:
    assert as_booking_code(CODE) == CODE
    assert as_booking_code(CODE + "\r\n") == CODE  # a scanner's line end is not content
    assert as_booking_code("\t" + CODE) == CODE
    rejected = [
        "",
        "   ",
        CODE.lower(),
        CODE[:-1],
        CODE + "Q",
        "K7Q2MZXA0B",  # 0, O, 1, I, L are never in a code
        "K7Q2MZXAOB",
        "K7Q2MZXA1B",
        "K7Q2-ZXA9B",
        f"https://example.org/book/{CODE}",
        f"{CODE} {CODE}",
        "К7Q2MZXA9B",  # a Cyrillic К
        "WIFI:S:hall;T:WPA;P:secret;;",
        "4006381333931",
        "\x00" * 10,
        "A" * 10_000,
    ]
    for text in rejected:
        assert as_booking_code(text) is None, text


# ---- HID bursts ---------------------------------------------------------------------------------


def typed(burst: HidBurst, text: str, *, start: float = 100.0, gap: float = 0.004) -> float:
    """Press a key for each character ``gap`` apart, as key codes only; returns the time after."""
    now = start
    for char in text:
        burst.press(now, char)
        now += gap
    return now


def test_a_fast_burst_ending_in_enter_is_a_scan() -> None:
    burst = HidBurst()
    assert burst.enter(typed(burst, CODE)) == CODE
    assert burst.enter(200.0) is None  # Enter alone is nothing


def test_slow_typing_is_not_a_scan() -> None:
    burst = HidBurst()
    assert burst.enter(typed(burst, CODE, gap=0.12)) is None
    assert burst.enter(typed(burst, CODE, gap=0.06)) is None  # a fast typist, still a person
    assert burst.enter(typed(burst, CODE, start=300.0)) == CODE  # and then a scanner


def test_a_pause_starts_over_and_a_late_enter_is_nothing() -> None:
    burst = HidBurst()
    now = typed(burst, "XYZ")  # stray keys
    assert burst.enter(typed(burst, CODE, start=now + 1.0)) == CODE
    now = typed(burst, CODE, start=400.0)
    assert burst.enter(now + 1.0) is None


def test_one_slow_frame_in_the_middle_of_a_scan_still_counts() -> None:
    # Kivy stamps keys when a frame handles them: a 120 ms frame bunches the rest together.
    burst = HidBurst()
    now = typed(burst, CODE[:4], gap=0.0)
    assert burst.enter(typed(burst, CODE[4:], start=now + 0.12, gap=0.0)) == CODE


def test_text_input_wins_over_key_codes() -> None:
    burst = HidBurst()
    now = 50.0
    for char in CODE:
        burst.press(now)  # Shift
        burst.press(now + 0.001, char.lower())  # the key code is the unshifted letter
        burst.text(char)
        now += 0.004
    assert burst.enter(now) == CODE


def test_short_and_overlong_bursts_are_dropped() -> None:
    burst = HidBurst()
    assert burst.enter(typed(burst, "AB")) is None
    burst = HidBurst(max_len=16)
    now = typed(burst, "Z" * 40)
    assert burst.enter(typed(burst, CODE, start=now)) is None  # the burst went on too long
    assert burst.enter(typed(burst, CODE, start=now + 1)) == CODE


# ---- repeat suppression -------------------------------------------------------------------------


def test_gate_lets_a_code_through_once_while_it_stays_in_view() -> None:
    gate = ScanGate(hold_s=3.0)
    assert gate.admit(CODE, now=0.0)
    for t in (0.2, 0.4, 2.0, 4.5, 7.0):  # missed frames in between: still the same showing
        assert not gate.admit(CODE, now=t)
    assert gate.admit("OTHER", now=7.1)
    assert gate.admit(CODE, now=10.5)  # gone for 3.5 s, shown again: a new scan


# ---- the flow's rules ---------------------------------------------------------------------------


def make_flow(**settings: object) -> tuple[KioskFlow, SampleHub]:
    hub = SampleHub()
    flow = KioskFlow(hub, Catalogue(LOCALE), parse_settings(dict(settings)))
    flow.on_connection(True)
    return flow, hub


def test_a_scanned_code_checks_in_from_the_start_and_checkin_screens() -> None:
    flow, hub = make_flow()
    assert flow.scanned(CODE)
    assert flow.screen == Screen.SENDING
    assert getattr(hub.sent[-1], "booking_code", None) == CODE
    assert not flow.scanned(CODE)  # one request at a time
    flow.reset()
    flow.start_check_in()
    flow.key("Q")
    assert flow.scanned(CODE) and flow.code == CODE


def test_the_code_just_checked_in_is_not_checked_in_again_while_still_in_view() -> None:
    now = [100.0]
    hub = SampleHub()
    flow = KioskFlow(hub, Catalogue(LOCALE), parse_settings({}), clock=lambda: now[0])
    flow.on_connection(True)
    assert flow.scanned(CODE)
    request = hub.sent[-1]
    ticket = TicketInfo(id=1, number="001", service_id=1, position=1)
    flow.answer(KioskReply(request_id=request.request_id, ok=True, ticket=ticket))
    assert flow.screen == Screen.TICKET
    flow.reset()  # "done", the phone still in front of the camera
    sent = len(hub.sent)
    now[0] += 5
    assert not flow.scanned(CODE) and flow.screen == Screen.START and len(hub.sent) == sent
    assert flow.scanned("ABCDEFGHJK")  # another visitor's code is served at once
    flow.reset()
    now[0] += 30
    assert flow.scanned(CODE)  # much later: asked again (the hub says it is already in)


def test_a_scan_that_is_no_code_says_code_not_found_and_asks_nothing() -> None:
    flow, hub = make_flow()
    sent = len(hub.sent)
    assert flow.scanned(None)
    assert flow.screen == Screen.ERROR and len(hub.sent) == sent
    title, message, _advice = flow.problem_texts()
    assert (title, message) == ("Код не знайдено", "Запису з таким кодом немає. Перевірте код.")
    flow.back()
    assert flow.screen == Screen.CHECKIN and flow.code == ""
    assert flow.scanned(CODE)  # from the error screen too


def test_a_scan_does_not_interrupt_a_walk_in_or_a_ticket() -> None:
    flow, _hub = make_flow(ask=["name"])
    flow.choose_service(1)
    assert not flow.scanned(CODE) and flow.screen == Screen.DETAILS
    flow.next()
    assert not flow.scanned(None) and flow.screen == Screen.CONFIRM


def test_scanner_settings() -> None:
    scanner = parse_settings({"scanner": {"hid": True, "camera": "/dev/video0"}}).scanner
    assert scanner.enabled and scanner.camera == "/dev/video0"
    assert parse_settings({"scanner": {"camera": 0}}).scanner.camera == 0
    assert not parse_settings({}).scanner.enabled
    bad = [
        ({"camera": "video0"}, "settings.scanner.camera"),
        ({"camera": -1}, "settings.scanner.camera"),
        ({"camera": True}, "settings.scanner.camera"),
        ({"hdi": True}, "settings.scanner.hdi"),
        ({"camera_fps": 0}, "settings.scanner.camera_fps"),
    ]
    for table, where in bad:
        with pytest.raises(KioskSettingsError, match=re.escape(where)):
            parse_settings({"scanner": table})


# ---- the camera thread, with the real decoder ---------------------------------------------------


@pytest.fixture
def decoder() -> ZxingDecoder:
    pytest.importorskip("cv2", reason="the kiosk extra: opencv-python-headless")
    pytest.importorskip("zxingcpp", reason="the kiosk extra: zxing-cpp")
    from kiosk.camera import ZxingDecoder

    return ZxingDecoder()


class Posted:
    """Stands in for Clock.schedule_once: runs the handed function on the test's thread."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.done = threading.Event()

    def post(self, function: Callable[[], None]) -> None:
        function()

    def on_code(self, payload: str) -> None:
        self.codes.append(payload)


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_the_decoder_reads_the_qr_the_hub_prints(tmp_path: Path, decoder: ZxingDecoder) -> None:
    import cv2

    for angle in (0.0, 9.0, -14.0):
        code = queue_tickets.booking_code()
        path = camera_photo(tmp_path / f"{code}.png", code, angle=angle)
        frame = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        assert [as_booking_code(text) for text in decoder.decode(frame)] == [code]
    empty = cv2.imread(str(camera_photo(tmp_path / "empty.png", None)), cv2.IMREAD_GRAYSCALE)
    assert decoder.decode(empty) == []


def test_camera_hands_on_each_code_once_while_it_is_shown(
    tmp_path: Path, decoder: ZxingDecoder
) -> None:
    from kiosk.camera import CameraScanner, ImageFiles

    first, second = queue_tickets.booking_code(), queue_tickets.booking_code()
    scenes = [
        camera_photo(tmp_path / "0.png", None),
        camera_photo(tmp_path / "1.png", first),
        camera_photo(tmp_path / "2.png", first, angle=-5, seed=2),  # held a little differently
        camera_photo(tmp_path / "3.png", "https://example.org/not-ours"),
        camera_photo(tmp_path / "4.png", second),
    ]
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    posted = Posted()
    scanner = CameraScanner(
        ImageFiles(scenes, repeat=3), decoder, posted.post, gate=ScanGate(hold_s=60), fps=200
    )
    scanner.start(posted.on_code)
    wait_for(lambda: not scanner.running, "the camera thread to end with its files")
    scanner.stop()
    assert posted.codes == [first, "https://example.org/not-ours", second]
    assert scanner.frames_read == 15


class Exploding:
    """A decoder that fails on every other frame, like a library meeting a frame it chokes on."""

    def __init__(self, real: ZxingDecoder) -> None:
        self.real, self.calls = real, 0

    def decode(self, frame: object) -> list[str]:
        self.calls += 1
        if self.calls % 2:
            raise RuntimeError("bad frame")
        return self.real.decode(frame)


def test_bad_frames_and_a_missing_camera_never_stop_the_thread(
    tmp_path: Path, decoder: ZxingDecoder, caplog: pytest.LogCaptureFixture
) -> None:
    from kiosk.camera import CameraError, CameraScanner, ImageFiles, V4l2Camera

    code = queue_tickets.booking_code()
    photo = camera_photo(tmp_path / "code.png", code)
    posted = Posted()
    scanner = CameraScanner(ImageFiles([photo], repeat=4), Exploding(decoder), posted.post, fps=200)
    scanner.start(posted.on_code)
    wait_for(lambda: not scanner.running, "the files to end")
    assert posted.codes == [code]

    # The real V4L2 source on a device that does not exist: an error, retried, logged once.
    camera = V4l2Camera("/dev/video-cherga-absent")
    with pytest.raises(CameraError, match="cannot open"):
        next(camera.frames())
    caplog.set_level(logging.WARNING, logger="kiosk.camera")
    absent = CameraScanner(camera, Exploding(decoder), posted.post, retry_s=0.05)
    absent.start(posted.on_code)
    time.sleep(0.4)
    assert absent.running
    absent.stop()
    assert not absent.running
    warnings = [r for r in caplog.records if "video-cherga-absent" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]


def test_a_request_id_is_fresh_per_scan() -> None:
    flow, hub = make_flow()
    flow.scanned(CODE)
    flow.reset()
    flow.scanned(CODE)
    ids = [getattr(r, "request_id", None) for r in hub.sent if getattr(r, "type", "") == "check_in"]
    assert len(ids) == 2 and all(isinstance(i, uuid.UUID) for i in ids) and ids[0] != ids[1]
