"""The ticket's live page on the kiosk's screen: shown when the hub sends one, absent otherwise.

The flow decides (``KioskFlow.follow``); the screen draws it. With a real hub the code is read
back from the screen in tests/test_kiosk_flow.py; here the hub is a stand-in that answers as an
older hub does (no ``page_url``) or as this one does, without a broker: the screenshots' sample
hub lists the services, and each test answers the ticket request itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.uix.label import Label
from PIL import Image

from firmware_config.i18n import Catalogue
from firmware_config.qr import QrCode
from hub.protocol.messages import KioskReply, TicketInfo
from kiosk.app import KioskRoot
from kiosk.cli import LOCALE
from kiosk.flow import FollowLink, KioskFlow, Screen
from kiosk.settings import KioskSettings
from kiosk.shots import SampleHub
from kiosk.widgets import all_widgets

PAGE = "https://queue.example.org/t/abcDEF123_-xyz"
CAPTIONS = {
    "uk": "Скануйте, щоб стежити за чергою з телефону",
    "en": "Scan to follow your place on your phone",
}


def ticket_reply(hub: SampleHub, page_url: str | None) -> KioskReply:
    """The hub's answer to the request in flight."""
    info = TicketInfo(id=5, number="007", service_id=1, position=1, page_url=page_url)
    return KioskReply(request_id=hub.sent[-1].request_id, ok=True, ticket=info)


def flow_for(lang: str) -> tuple[KioskFlow, SampleHub]:
    hub = SampleHub()
    flow = KioskFlow(hub, Catalogue(LOCALE), KioskSettings(fullscreen=False))
    flow.on_connection(True)
    flow.set_lang(lang)
    return flow, hub


def issued(lang: str, page_url: str | None) -> KioskFlow:
    flow, hub = flow_for(lang)
    flow.choose_service(1)
    flow.confirm()
    assert flow.follow is None  # nothing while the hub has not answered
    flow.answer(ticket_reply(hub, page_url))
    assert flow.screen == Screen.TICKET
    return flow


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_a_ticket_with_a_page_shows_it_in_the_visitors_language(lang: str) -> None:
    flow = issued(lang, PAGE)
    assert flow.follow == FollowLink(PAGE, CAPTIONS[lang])
    flow.reset()
    assert flow.follow is None


def test_a_checked_in_booking_shows_its_page_too() -> None:
    flow, hub = flow_for("en")
    flow.start_check_in()
    for char in "K7Q2M9":
        flow.key(char)
    flow.check_in()
    flow.answer(ticket_reply(hub, PAGE))
    assert flow.follow == FollowLink(PAGE, CAPTIONS["en"])


def test_an_older_hub_without_a_page_shows_nothing() -> None:
    flow = issued("uk", None)
    assert flow.follow is None


def test_the_printers_answer_keeps_the_page() -> None:
    flow = issued("en", PAGE)
    assert flow.ticket is not None
    printed = flow.ticket.model_copy(update={"printed": True, "page_url": None})
    flow.answer(KioskReply(request_id=flow._answered or uuid.uuid4(), ok=True, ticket=printed))
    assert flow.ticket.printed is True and flow.follow == FollowLink(PAGE, CAPTIONS["en"])


@pytest.fixture
def window() -> Iterator[list[KioskRoot]]:
    roots: list[KioskRoot] = []
    yield roots
    for root in roots:
        root.shutdown()
    Window.size = (1280, 800)


def shown(flow: KioskFlow, roots: list[KioskRoot], size: tuple[int, int]) -> KioskRoot:
    Window.size = size
    root = KioskRoot(flow)
    roots.append(root)
    Window.add_widget(root)
    for _ in range(4):
        EventLoop.idle()
    return root


def codes_on(root: KioskRoot, picture: Path) -> list[str]:
    import zxingcpp

    root.export_to_png(str(picture))
    with Image.open(picture) as image:
        return [str(found.text) for found in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.parametrize("size", [(1280, 800), (800, 1280)], ids=["landscape", "portrait"])
@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_screen_code_reads_as_the_page(
    lang: str, size: tuple[int, int], window: list[KioskRoot], tmp_path: Path
) -> None:
    root = shown(issued(lang, PAGE), window, size)
    assert codes_on(root, tmp_path / "ticket.png") == [PAGE]
    texts = [w.text for w in all_widgets(root) if isinstance(w, Label)]
    assert CAPTIONS[lang] in texts
    [code] = [w for w in all_widgets(root) if isinstance(w, QrCode)]
    # At least 30 % of the short side: 40 mm on a 10-inch screen (kiosk.widgets.QR_SIDE).
    assert min(code.size) >= 0.3 * min(size)
    right, top = code.to_window(code.right, code.top)
    assert code.to_window(code.x, code.y)[1] >= 0 and right <= size[0] and top <= size[1]


def test_the_screen_of_an_older_hub_has_no_code(window: list[KioskRoot], tmp_path: Path) -> None:
    root = shown(issued("en", None), window, (1280, 800))
    assert codes_on(root, tmp_path / "ticket.png") == []
    assert not [w for w in all_widgets(root) if isinstance(w, QrCode)]
    assert CAPTIONS["en"] not in [w.text for w in all_widgets(root) if isinstance(w, Label)]
