"""Screenshots of every kiosk screen in every language, for the docs and for human eyes.

The flow is walked through its own transitions (taps and replies), fed by a hub stand-in with
sample services, so each picture shows what a visitor would see at that step. This is a
documentation tool, not a test double: behaviour is tested against the real hub.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from firmware_config.i18n import Catalogue
from hub.protocol.base import Request
from hub.protocol.messages import KioskReply, ServiceInfo, TicketInfo
from kiosk.flow import KioskFlow, Screen
from kiosk.settings import KioskSettings, ScannerSettings

SAMPLE = {
    "uk": ["Паспортний стіл", "Реєстрація ФОП і ТОВ", "Консультація юриста", "Податкові питання"],
    "en": ["Passport office", "Business registration", "Legal advice", "Tax questions"],
}


@dataclass
class SampleHub:
    """Answers list_services with sample data at once; other requests are left unanswered."""

    connected: bool = True
    sent: list[Request] = field(default_factory=list)

    def request(
        self,
        request: Request,
        expect: type[KioskReply],
        on_reply: Callable[[KioskReply], None],
        on_failure: Callable[[str], None],
    ) -> None:
        """Record the request; list the sample services."""
        self.sent.append(request)
        if getattr(request, "type", "") == "list_services":
            names = SAMPLE.get(str(getattr(request, "lang", "uk")), SAMPLE["en"])
            services = [
                ServiceInfo(
                    id=n + 1,
                    name=name,
                    waiting=(3, 0, 7, 12)[n],
                    estimated_wait_s=(900, 0, 2400, 5400)[n],
                    estimated_wait_low_s=(540, 0, 1560, 3900)[n],
                    estimated_wait_high_s=(1260, 0, 3240, 6900)[n],
                )
                for n, name in enumerate(names)
            ]
            on_reply(KioskReply(request_id=request.request_id, ok=True, services=services))


def _ticket(printed: bool | None) -> KioskReply:
    return KioskReply(
        request_id=uuid.uuid4(),
        ok=True,
        ticket=TicketInfo(
            id=7,
            number="042",
            service_id=1,
            position=4,
            estimated_wait_s=1500,
            estimated_wait_low_s=940,
            estimated_wait_high_s=2050,
            printed=printed,
            page_url=PAGE_URL,
        ),
    )


def _sent(flow: KioskFlow, reply: KioskReply) -> None:
    """Answer the request the flow is waiting for with ``reply``'s content."""
    hub = flow.hub
    assert isinstance(hub, SampleHub)
    flow.answer(reply.model_copy(update={"request_id": hub.sent[-1].request_id}))


def _to_confirm(flow: KioskFlow) -> None:
    """Choose a service and pass its optional details untouched."""
    flow.choose_service(3)
    while flow.screen == Screen.DETAILS:
        flow.next()


def _details(flow: KioskFlow, detail: str) -> None:
    flow.choose_service(1)
    flow.detail_index = flow.details.index(detail)  # type: ignore[arg-type]
    if detail == "name":
        for char in "ОЛЕНА" if flow.lang == "uk" else "OLENA":
            flow.key(char)


Step = Callable[[KioskFlow], None]


def _typed(chars: str) -> Step:
    """Tap these keys."""

    def step(flow: KioskFlow) -> None:
        for char in chars:
            flow.key(char)

    return step


def _reply(make: Callable[[str], KioskReply]) -> Step:
    """The hub answers the request in flight (``make`` gets the hub language)."""
    return lambda flow: _sent(flow, make(flow.hub_lang))


def _retrying(flow: KioskFlow) -> None:
    flow.retrying = True  # what a timed-out request shows while it is resent


def _forgotten(flow: KioskFlow) -> None:
    flow.services = None  # as on a kiosk that started while the hub was away


def _foreign_scan(flow: KioskFlow) -> None:
    flow.scanned(None)  # a QR code that is not a booking code (a payment link, a product)


PAGE_URL = "https://cherga.example.org/t/Xq3vR8kLm2Tz9wYp4sBn7cJd5Fh6Ga1Wu0Ei_Ko-Lr8Ns"
"""A sample live ticket page (the hub makes a token like this one for every ticket)."""

_EARLY = {
    "uk": "Ще зарано: реєстрація на ваш запис відкриється 2026-11-20 о 09:30.",
    "en": "Too early: check-in for your booking opens on 2026-11-20 at 09:30.",
}
_OFF = {
    "uk": "Проект «Консультація юриста» не використовує електронну чергу.",
    "en": "The project 'Legal advice' does not use the electronic queue.",
}
_CODE = "K7Q2M9"

# name -> the taps and replies that lead there from the start screen.
SCENES: dict[str, list[Step]] = {
    "start": [],
    "details-name": [lambda f: _details(f, "name")],
    "details-phone": [lambda f: _details(f, "phone"), _typed("+38050"), KioskFlow.next],
    "details-companies": [lambda f: _details(f, "companies"), lambda f: f.companies(+2)],
    "confirm": [
        lambda f: _details(f, "name"),
        KioskFlow.next,
        _typed("+380501234567"),
        KioskFlow.next,
        KioskFlow.next,
    ],
    "sending": [_to_confirm, KioskFlow.confirm, _retrying],
    "ticket": [_to_confirm, KioskFlow.confirm, _reply(lambda _lang: _ticket(True))],
    "ticket-noprint": [_to_confirm, KioskFlow.confirm, _reply(lambda _lang: _ticket(False))],
    "checkin": [KioskFlow.start_check_in, _typed(_CODE)],
    "error-early": [
        KioskFlow.start_check_in,
        _typed(_CODE),
        KioskFlow.check_in,
        _reply(
            lambda lang: KioskReply.failure(uuid.uuid4(), "queue_booking_too_early", _EARLY[lang])
        ),
    ],
    "error-closed": [
        _to_confirm,
        KioskFlow.confirm,
        _reply(lambda lang: KioskReply.failure(uuid.uuid4(), "queue_service_off", _OFF[lang])),
    ],
    "offline": [lambda f: f.on_connection(False), _forgotten],
    # A kiosk with a QR scanner (HID or camera): the hints, and a scanned QR that is no booking.
    "scan-start": [],
    "scan-checkin": [KioskFlow.start_check_in],
    "scan-error-foreign": [_foreign_scan],
    "unreachable": [
        KioskFlow.start_check_in,
        _typed(_CODE),
        lambda f: f.on_connection(False),
        KioskFlow.check_in,
    ],
}


def take(out: Path, texts: Catalogue, *, size: tuple[int, int] = (1280, 800)) -> list[Path]:
    """Render every scene in every language to ``out``/kiosk-<scene>-<lang>.png."""
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from kiosk.app import KioskRoot

    out.mkdir(parents=True, exist_ok=True)
    settings = KioskSettings(ask=["name", "phone", "companies"], fullscreen=False)
    scanning = settings.model_copy(update={"scanner": ScannerSettings(hid=True)})
    portrait = (
        "start",
        "details-name",
        "ticket",
        "ticket-noprint",
        "checkin",
        "scan-start",
        "scan-checkin",
    )
    written: list[Path] = []
    shapes = [(size, ""), ((size[1], size[0]), "-portrait")]
    for (width, height), suffix in shapes:
        Window.size = (width, height)
        for scene, steps in SCENES.items():
            if suffix and scene not in portrait:
                continue
            for lang in texts.languages:
                own = scanning if scene.startswith("scan-") else settings
                flow = KioskFlow(SampleHub(), texts, own)
                flow.on_connection(True)
                flow.set_lang(lang)
                for step in steps:
                    step(flow)
                assert scene in ("start", "scan-start", "offline") or flow.screen != Screen.START
                root = KioskRoot(flow)
                Window.add_widget(root)
                for _ in range(4):
                    EventLoop.idle()
                path = out / f"kiosk-{scene}{suffix}-{lang}.png"
                root.export_to_png(str(path))
                written.append(path)
                root.shutdown()
    return written


__all__ = ["SCENES", "SampleHub", "take"]
