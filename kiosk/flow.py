"""The kiosk's view-model: taps and the hub's replies in, what the screen shows out.

No Kivy here: the widgets call these methods when a finger touches them and redraw when
``on_change`` fires, so every rule (never invent a number, resend a lost request with the same
request_id, return to the start after a pause) can be read and tested without a window.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from firmware_config.i18n import Catalogue
from hub.protocol.base import ClientInfo, Lang, Request
from hub.protocol.messages import (
    CheckIn,
    IssueTicket,
    KioskReply,
    ListServices,
    ServiceInfo,
    TicketInfo,
)
from hub.protocol.waits import say_wait
from kiosk.settings import Detail, KioskSettings

logger = logging.getLogger(__name__)

NAME_MAX = 60
CODE_MAX = 16
COMPANIES_MAX = 10  # the contract carries at most 10 company names
PHONE_DIGITS = (9, 15)  # a national number without its 0 up to the longest E.164 number
HUB_LANGS: tuple[Lang, ...] = ("uk", "en")
# Hub error codes for which the catalogue has a specific title and advice (error.<code>.*).
EXPLAINED = frozenset(
    {
        "queue_booking_too_early",
        "queue_booking_too_late",
        "queue_booking_checked_in",
        "queue_booking_unknown",
        "queue_booking_cancelled",
        "queue_service_off",
        "queue_service_unknown",
        "queue_client_phone_invalid",
        "unreachable",
        "invalid_reply",
    }
)


class Screen(StrEnum):
    """The kiosk's screens, in the order a visitor meets them."""

    START = "start"
    DETAILS = "details"
    CONFIRM = "confirm"
    CHECKIN = "checkin"
    SENDING = "sending"
    TICKET = "ticket"
    ERROR = "error"


# Where a scanned code checks in: not in the middle of taking a ticket, nor over a ticket shown.
SCAN_SCREENS = frozenset({Screen.START, Screen.CHECKIN, Screen.ERROR})


class HubPort(Protocol):
    """What the flow needs from the hub link (HubLink in the app)."""

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up."""
        ...

    def request(
        self,
        request: Request,
        expect: type[KioskReply],
        on_reply: Callable[[KioskReply], None],
        on_failure: Callable[[str], None],
    ) -> None:
        """Send without blocking; the outcome comes back on the UI thread."""
        ...


@dataclass
class Visitor:
    """The optional details a visitor typed."""

    name: str = ""
    phone: str = ""
    companies: int = 1


@dataclass(frozen=True)
class Problem:
    """Why the visitor did not get a ticket: the hub's own sentence, or a kiosk catalogue text."""

    code: str
    message: str | None = None  # None: the catalogue's error.<code>.message
    back_to: Screen | None = None  # where "try again" leads


@dataclass
class _Sending:
    request: IssueTicket | CheckIn
    attempts: int = 1
    waiting_for_link: bool = False


@dataclass(frozen=True)
class FollowLink:
    """The ticket's live page, shown as a QR code with a line saying what it is for."""

    url: str
    caption: str


RESCAN_QUIET_S = 30.0
"""Seconds in which a scan of the booking code just checked in is ignored."""


@dataclass
class KioskFlow:
    """State of one kiosk screen and the rules that move it."""

    hub: HubPort
    texts: Catalogue
    settings: KioskSettings
    clock: Callable[[], float] = time.monotonic
    on_change: Callable[[], None] = lambda: None

    screen: Screen = Screen.START
    lang: str = "uk"
    connected: bool = False
    services: list[ServiceInfo] | None = None
    service: ServiceInfo | None = None
    details: list[Detail] = field(default_factory=list)
    detail_index: int = 0
    visitor: Visitor = field(default_factory=Visitor)
    field_error: str | None = None  # catalogue key of a problem with what was typed
    keyboard_lang: str = "uk"
    code: str = ""
    ticket: TicketInfo | None = None
    ticket_service: str = ""
    problem: Problem | None = None
    retrying: bool = False

    def __post_init__(self) -> None:
        self.lang = self.keyboard_lang = self.texts.languages[0]
        self._last_touch = self.clock()
        self._shown_at = self.clock()
        self._listing: str | None = None  # the language of a list_services in flight
        # The booking code checked in last and when: the same code seen again soon after (the
        # visitor still holds the phone up to the camera) is no new request.
        self._checked_in: tuple[str, float] | None = None
        self._listed_at: float | None = None
        self._listed_lang: str | None = None
        self._sending: _Sending | None = None
        self._answered: uuid.UUID | None = None  # request of the ticket on screen

    # ---- texts ------------------------------------------------------------------------

    @property
    def languages(self) -> list[str]:
        """Languages the visitor can choose, the reference first."""
        return self.texts.languages

    def t(self, key: str, /, **params: object) -> str:
        """A text of the catalogue in the visitor's language."""
        return self.texts.text(self.lang, key, **params)

    def wait_text(self, shown: ServiceInfo | TicketInfo) -> str:
        """The estimated wait of a service or a ticket as a person says it, with its range
        ("about 25 min (15–35)", ``hub.protocol.waits``); a wait of nothing is "no wait"."""
        said = say_wait(
            shown.estimated_wait_s,
            self.lang,
            shown.estimated_wait_low_s,
            shown.estimated_wait_high_s,
        )
        if said is None:
            return self.t("wait.unknown")
        return self.t("wait.none") if shown.estimated_wait_s == 0 else said

    def service_name(self, service_id: int) -> str:
        """The name of a service the kiosk knows, else its number."""
        for service in self.services or []:
            if service.id == service_id:
                return service.name
        return self.t("ticket.service_number", id=service_id)

    @property
    def follow(self) -> FollowLink | None:
        """The live page of the ticket on screen, for the visitor's phone.

        None off the ticket screen and when the hub sent no ``page_url`` (an older hub): the
        screen then shows no code and no line at all rather than an empty frame.
        """
        info = self.ticket
        if self.screen != Screen.TICKET or info is None or not info.page_url:
            return None
        return FollowLink(info.page_url, self.t("ticket.follow"))

    @property
    def hub_lang(self) -> Lang:
        """The language the hub is asked to answer in (it speaks Ukrainian and English)."""
        return "uk" if self.lang == "uk" else "en"

    @property
    def detail(self) -> Detail | None:
        """The detail being typed on the details screen."""
        return self.details[self.detail_index] if self.screen == Screen.DETAILS else None

    @property
    def can_take(self) -> bool:
        """Tickets are given only while the hub is reachable: a number never comes from here."""
        return self.connected and self.services is not None

    # ---- time and the link -------------------------------------------------------------

    def _show(self, screen: Screen) -> None:
        self.screen = screen
        self._shown_at = self.clock()

    def touched(self) -> None:
        """A finger touched the screen: the visitor is still here."""
        self._last_touch = self.clock()

    def tick(self) -> None:
        """Called every second or so: timeouts, the printer's patience, refreshing counts."""
        now = self.clock()
        idle = now - self._last_touch
        if self.screen == Screen.TICKET:
            waited = now - self._shown_at > self.settings.print_wait_s
            if self.ticket is not None and self.ticket.printed is None and waited:
                self.ticket = self.ticket.model_copy(update={"printed": False})
                self.on_change()
            if idle > self.settings.ticket_timeout_s:
                self.reset()
        elif self.screen == Screen.SENDING:
            if idle > self.settings.idle_timeout_s:
                # The hub has not answered for a long time: say so rather than keep a visitor.
                self._sending = None
                self._fail(Problem("unreachable"))
        elif self.screen != Screen.START and idle > self.settings.idle_timeout_s:
            self.reset()
        stale = self._listed_at is None or now - self._listed_at > self.settings.refresh_s
        if self.screen == Screen.START and (stale or self._listed_lang != self.lang):
            self.refresh_services()

    def on_connection(self, up: bool) -> None:
        """The broker connection came up or went down."""
        self.connected = up
        if up:
            self.refresh_services(force=True)
            if self._sending is not None and self._sending.waiting_for_link:
                self._send()
        self.on_change()

    # ---- the start screen --------------------------------------------------------------

    def refresh_services(self, force: bool = False) -> None:
        """Ask the hub for the services and their lines (one request at a time)."""
        if not self.connected or (self._listing == self.lang and not force):
            return
        lang = self._listing = self.lang
        self.hub.request(
            ListServices(request_id=uuid.uuid4(), lang=self.hub_lang),
            KioskReply,
            lambda reply: self._listed(lang, reply),
            lambda why: self._list_failed(lang, why),
        )

    def _listed(self, lang: str, reply: KioskReply) -> None:
        if self._listing == lang:
            self._listing = None
        if not reply.ok or reply.services is None:
            logger.warning("list_services refused: %s", reply.error)
            return
        self.services = list(reply.services)
        self._listed_at, self._listed_lang = self.clock(), lang
        self.on_change()

    def _list_failed(self, lang: str, why: str) -> None:
        if self._listing == lang:
            self._listing = None
        logger.info("list_services failed (%s); will retry", why)

    def set_lang(self, lang: str) -> None:
        """The visitor chose a language: texts change at once, service names on the reply."""
        if lang not in self.languages or lang == self.lang:
            return
        self.lang = self.keyboard_lang = lang
        self.refresh_services()
        self.on_change()

    def choose_service(self, service_id: int) -> None:
        """The visitor tapped a service: ask for its details, or go straight to confirmation."""
        if not self.can_take:
            return
        found = [s for s in self.services or [] if s.id == service_id]
        if not found:
            return
        self.service = found[0]
        self.visitor = Visitor()
        self.field_error = None
        self.details = self.settings.details_for(service_id)
        self.detail_index = 0
        self._show(Screen.DETAILS if self.details else Screen.CONFIRM)
        self.on_change()

    def start_check_in(self) -> None:
        """The visitor has a booking code."""
        self.code = ""
        self.field_error = None
        self._show(Screen.CHECKIN)
        self.on_change()

    def reset(self) -> None:
        """Back to the start screen for the next visitor, in the first language."""
        self.screen, self.service, self.ticket, self.problem = Screen.START, None, None, None
        self.visitor, self.code, self.field_error, self.retrying = Visitor(), "", None, False
        self.lang = self.keyboard_lang = self.languages[0]
        self._answered = None
        self._show(Screen.START)
        self.refresh_services()
        self.on_change()

    # ---- typing --------------------------------------------------------------------------

    def key(self, char: str) -> None:
        """A key of the on-screen keyboard or keypad."""
        self.field_error = None
        if self.screen == Screen.CHECKIN:
            if len(self.code) < CODE_MAX and char.isalnum():
                self.code += char.upper()
        elif self.detail == "name":
            if len(self.visitor.name) < NAME_MAX and (self.visitor.name or char != " "):
                self.visitor.name += char
        elif self.detail == "phone":
            allowed = char.isdigit() or (char == "+" and not self.visitor.phone)
            if allowed and len(self.visitor.phone) < 20:
                self.visitor.phone += char
        self.on_change()

    def backspace(self) -> None:
        """Remove the last typed character."""
        self.field_error = None
        if self.screen == Screen.CHECKIN:
            self.code = self.code[:-1]
        elif self.detail == "name":
            self.visitor.name = self.visitor.name[:-1]
        elif self.detail == "phone":
            self.visitor.phone = self.visitor.phone[:-1]
        self.on_change()

    def switch_keyboard(self) -> None:
        """Letters of the next language on the name keyboard (a name may be in either)."""
        langs = self.languages
        self.keyboard_lang = langs[(langs.index(self.keyboard_lang) + 1) % len(langs)]
        self.on_change()

    def companies(self, delta: int) -> None:
        """One company more or fewer (1 to COMPANIES_MAX)."""
        self.visitor.companies = min(COMPANIES_MAX, max(1, self.visitor.companies + delta))
        self.on_change()

    def _detail_error(self, detail: Detail) -> str | None:
        if detail == "phone" and self.visitor.phone:
            digits = sum(ch.isdigit() for ch in self.visitor.phone)
            if not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
                return "details.phone_invalid"
        return None

    def next(self) -> None:
        """Accept the detail on screen and go on (the details are optional)."""
        detail = self.detail
        if detail is None:
            return
        self.field_error = self._detail_error(detail)
        if self.field_error is None:
            if self.detail_index + 1 < len(self.details):
                self.detail_index += 1
            else:
                self._show(Screen.CONFIRM)
        self.on_change()

    def skip(self) -> None:
        """Leave the detail on screen empty and go on."""
        if self.detail == "name":
            self.visitor.name = ""
        elif self.detail == "phone":
            self.visitor.phone = ""
        self.field_error = None
        self.next()

    def back(self) -> None:
        """One step back; from the first step, to the start screen."""
        self.field_error = None
        if self.screen == Screen.DETAILS and self.detail_index > 0:
            self.detail_index -= 1
        elif self.screen == Screen.CONFIRM and self.details:
            self.detail_index = len(self.details) - 1
            self._show(Screen.DETAILS)
        elif self.screen == Screen.ERROR and self.problem and self.problem.back_to:
            back_to = self.problem.back_to
            self.problem = None
            self._show(back_to)
        else:
            self.reset()
            return
        self.on_change()

    # ---- tickets ------------------------------------------------------------------------

    def _client(self) -> ClientInfo | None:
        asked = set(self.details)
        name = self.visitor.name.strip() if "name" in asked else ""
        phone = self.visitor.phone if "phone" in asked else ""
        companies = self.visitor.companies if "companies" in asked else None
        if not (name or phone or companies):
            return None
        return ClientInfo(name=name or None, phone=phone or None, companies=companies)

    def confirm(self) -> None:
        """Take the ticket."""
        if self.screen != Screen.CONFIRM or self.service is None or not self.can_take:
            return
        request = IssueTicket(
            request_id=uuid.uuid4(),
            service_id=self.service.id,
            lang=self.hub_lang,
            client=self._client(),
        )
        self._begin(request)

    def check_in(self) -> None:
        """Check in with the booking code typed."""
        if self.screen != Screen.CHECKIN or not self.code:
            return
        if not self.connected:
            self._fail(Problem("unreachable", back_to=Screen.CHECKIN))
            return
        self._begin(CheckIn(request_id=uuid.uuid4(), booking_code=self.code, lang=self.hub_lang))

    def scanned(self, code: str | None) -> bool:
        """A scanner read a booking code (None: something that is not one); False if ignored."""
        if self.screen not in SCAN_SCREENS:
            return False
        just = self._checked_in
        if just is not None and just[0] == code and self.clock() - just[1] < RESCAN_QUIET_S:
            return False  # just checked in with this code: the phone is still in view
        self.touched()
        self.field_error, self.problem = None, None
        if code is None:
            # What a mistyped code gets from the hub, without asking it: nothing to look up.
            self.code = ""
            self._fail(Problem("queue_booking_unknown", back_to=Screen.CHECKIN))
            return True
        self.code = code
        self._show(Screen.CHECKIN)
        self.check_in()
        return True

    def _begin(self, request: IssueTicket | CheckIn) -> None:
        self._sending = _Sending(request)
        self.retrying = False
        self._show(Screen.SENDING)
        self._send()
        self.on_change()

    def _send(self) -> None:
        sending = self._sending
        if sending is None:
            return
        if not self.hub.connected:
            sending.waiting_for_link = True  # resent by on_connection
            return
        sending.waiting_for_link = False
        self.hub.request(sending.request, KioskReply, self.answer, self._send_failed)

    def _send_failed(self, why: str) -> None:
        sending = self._sending
        if sending is None or self.screen != Screen.SENDING:
            return
        if why != "timeout":
            self._sending = None
            self._fail(Problem("invalid_reply"))
            return
        # The same request_id again: if the first one did arrive, the hub answers it again
        # instead of giving the visitor a second ticket.
        sending.attempts += 1
        self.retrying = True
        logger.info("no answer to %s; sending it again", sending.request.request_id)
        self._send()
        self.on_change()

    def answer(self, reply: KioskReply) -> None:
        """A reply on the kiosk's reply topic: the ticket, a refusal or the printer's outcome."""
        sending = self._sending
        if sending is not None and reply.request_id == sending.request.request_id:
            self._sending = None
            if reply.ok and reply.ticket is not None:
                if isinstance(sending.request, CheckIn):
                    self._checked_in = (sending.request.booking_code, self.clock())
                self.ticket = reply.ticket
                self.ticket_service = self.service_name(reply.ticket.service_id)
                self._answered = reply.request_id
                self._show(Screen.TICKET)
                self.refresh_services(force=True)
                self.on_change()
            else:
                self._refused(sending.request, reply)
            return
        if (
            self.screen == Screen.TICKET
            and self.ticket is not None
            and reply.request_id == self._answered
            and reply.ticket is not None
            and reply.ticket.printed is not None
            and self.ticket.printed is not False
        ):
            # The printer answered after the ticket was shown (printed, or failed).
            self.ticket = self.ticket.model_copy(update={"printed": reply.ticket.printed})
            self.on_change()

    def _refused(self, request: IssueTicket | CheckIn, reply: KioskReply) -> None:
        code = reply.error.code if reply.error else "invalid_reply"
        message = reply.error.message if reply.error else None
        back: Screen | None = None
        if isinstance(request, CheckIn):
            back = Screen.CHECKIN
        elif code == "queue_client_phone_invalid" and "phone" in self.details:
            self.detail_index = self.details.index("phone")
            back = Screen.DETAILS
        elif code in ("queue_service_off", "queue_service_unknown"):
            self.services = None  # the menu is out of date
            self._listed_at = None
        self._fail(Problem(code, message, back))

    def _fail(self, problem: Problem) -> None:
        self.problem = problem
        self._show(Screen.ERROR)
        self.on_change()

    # ---- what the error screen says ------------------------------------------------------

    def problem_texts(self) -> tuple[str, str, str]:
        """Title, what happened and what to do, for the error screen."""
        problem = self.problem
        if problem is None:
            return "", "", ""
        known = problem.code in EXPLAINED
        prefix = f"error.{problem.code}" if known else "error.other"
        message = problem.message or self.t(f"{prefix}.message")
        return self.t(f"{prefix}.title"), message, self.t(f"{prefix}.advice")
