"""The demo's scripted visitors and operators, so the board and the console come alive alone.

They act over MQTT exactly as a kiosk and a panel do, through the device client every appliance
uses, each as a device of its own with its own credentials (``hub.demo.devices.SCRIPTED``): the
visitors take tickets (and check in today's bookings) at the kiosk ``kiosk-2``, whose tickets
the hall's printer prints; the operators at windows 2 and 3 log in, press Free, serve a while
and finish. Pressing the buttons of the kiosk and panel programs themselves is not done: their
Kivy screens cannot be driven from outside without a display, and a second connection under a
running program's login would throw that program off the broker. The programs still show what
happens (the kiosk its waiting counts, the board every call), and a person may log in at the
panel program (window 1) and work beside the scripted operators.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from firmware_config.device_config import DeviceConfig
from hub.protocol import topics
from hub.protocol.base import ClientInfo, Reply, Request
from hub.protocol.client import DeviceClient, RequestTimeout
from hub.protocol.errors import ProtocolError
from hub.protocol.messages import (
    AssignedTicket,
    CheckIn,
    Finish,
    IssueTicket,
    KioskReply,
    Login,
    PanelAssignment,
    PanelReply,
    SetStatus,
)

logger = logging.getLogger(__name__)

VERSION = "demo"
REQUEST_TIMEOUT = 15.0
VISITORS = (
    "Іван Петренко",
    "Наталія Кравчук",
    "Богдан Лисенко",
    "Юлія Савчук",
    "Mark Williams",
    "Степан Олійник",
    "Ганна Мороз",
)


@dataclass(frozen=True)
class Pace:
    """How fast the script goes: a visitor about every ``visitor_s``, served in about
    ``serve_s`` (each drawn at random between half and one and a half times that)."""

    visitor_s: float = 8.0
    serve_s: float = 12.0

    def draw(self, rng: random.Random, mean: float) -> float:
        """A random time around ``mean``."""
        return mean * rng.uniform(0.5, 1.5)


def _client(config: DeviceConfig) -> DeviceClient:
    return DeviceClient(
        **config.mqtt.client_options(),
        site=config.site,
        device=config.device_id,
        role=config.role,
        version=VERSION,
    )


def _ask(
    client: DeviceClient, request: Request, expect: type[Reply], *, quiet: bool = False
) -> Reply | None:
    """One request as the device; None (logged, ``quiet``: only when debugging) when it fails
    or is refused."""
    kiosk = expect is KioskReply
    req = topics.kiosk_req if kiosk else topics.panel_req
    rep = topics.kiosk_reply if kiosk else topics.panel_reply
    try:
        reply = client.request(
            req(client.site, client.device),
            rep(client.site, client.device),
            request,
            timeout=REQUEST_TIMEOUT,
            expect=expect,
        )
    except (RequestTimeout, ProtocolError) as exc:
        logger.warning("%s: %s", client.device, exc)
        return None
    if not reply.ok:
        message = reply.error.message if reply.error is not None else "refused"
        logger.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s: %s refused: %s",
            client.device,
            getattr(request, "type", "?"),
            message,
        )
        return None
    return reply


def _rid() -> uuid.UUID:
    return uuid.uuid4()


class _Actor(ABC):
    """One scripted device: its MQTT client and a thread that runs ``_run`` until stopped."""

    def __init__(self, config: DeviceConfig, stop: threading.Event, rng: random.Random) -> None:
        self.client = _client(config)
        self.stop = stop
        self.rng = rng
        self.thread = threading.Thread(target=self._main, name=f"demo-{config.device_id}")

    def _main(self) -> None:
        try:
            self.client.start()
            self._run()
        except Exception:
            logger.exception("the demo's %s stopped", self.client.device)

    @abstractmethod
    def _run(self) -> None:
        """What the device does until ``stop`` is set."""

    def wake(self) -> None:  # noqa: B027 (a hook: only an actor that waits on more overrides it)
        """Cut short any wait (``stop`` is set)."""

    def close(self) -> None:
        """Wait for the thread (``stop`` is already set) and disconnect."""
        self.thread.join(REQUEST_TIMEOUT + 5)
        self.client.close()


class Visitors(_Actor):
    """Walk-in visitors at the kiosk, and the booked ones checking in when their time comes."""

    def __init__(
        self,
        config: DeviceConfig,
        stop: threading.Event,
        rng: random.Random,
        *,
        services: Sequence[int],
        bookings: Sequence[str],
        pace: Pace,
    ) -> None:
        super().__init__(config, stop, rng)
        self.services = list(services)
        self.bookings = list(bookings)
        self.pace = pace
        self.issued: list[str] = []

    def _run(self) -> None:
        while not self.stop.wait(self.pace.draw(self.rng, self.pace.visitor_s)):
            if self.bookings and self.rng.random() < 0.3 and self._check_in(self.bookings[0]):
                self.bookings.pop(0)
                continue
            self._walk_in()

    def _walk_in(self) -> None:
        # The first service draws the most people, as a passport desk does.
        weights = [len(self.services) - i for i in range(len(self.services))]
        service = self.rng.choices(self.services, weights)[0]
        lang: Literal["uk", "en"] = "en" if self.rng.random() < 0.2 else "uk"
        name = self.rng.choice(VISITORS) if self.rng.random() < 0.5 else None
        request = IssueTicket(
            request_id=_rid(),
            service_id=service,
            lang=lang,
            client=ClientInfo(name=name) if name else None,
        )
        reply = _ask(self.client, request, KioskReply)
        if isinstance(reply, KioskReply) and reply.ticket is not None:
            self.issued.append(reply.ticket.number)
            logger.info("a visitor took ticket %s", reply.ticket.number)

    def _check_in(self, code: str) -> bool:
        reply = _ask(self.client, CheckIn(request_id=_rid(), booking_code=code), KioskReply)
        if isinstance(reply, KioskReply) and reply.ticket is not None:
            logger.info("a booked visitor checked in: ticket %s", reply.ticket.number)
            return True
        return False


class Operator(_Actor):
    """An operator at a panel: logs in, presses Free, serves the visitor, finishes, again."""

    def __init__(
        self,
        config: DeviceConfig,
        stop: threading.Event,
        rng: random.Random,
        *,
        username: str,
        password: str,
        pace: Pace,
    ) -> None:
        super().__init__(config, stop, rng)
        self.username, self.password, self.pace = username, password, pace
        self._assigned: AssignedTicket | None = None
        self._news = threading.Event()
        self.served: list[str] = []
        topic = topics.panel_assignment(config.site, config.device_id)
        self.client.subscribe(topic, self._on_assignment)

    def wake(self) -> None:
        """Cut short the wait for an assignment."""
        self._news.set()

    def _on_assignment(self, _topic: topics.Topic, message: object) -> None:
        if isinstance(message, PanelAssignment):
            self._assigned = message.ticket
            self._news.set()

    def _run(self) -> None:
        login = Login(request_id=_rid(), username=self.username, password=self.password)
        while _ask(self.client, login, PanelReply) is None:
            if self.stop.wait(2.0):
                return
        logger.info("%s logged in at %s", self.username, self.client.device)
        while not self.stop.is_set():
            ticket = self._assigned or self._free()
            if ticket is None:
                self._news.wait(self.pace.visitor_s)
                self._news.clear()
                continue
            if self.stop.wait(self.pace.draw(self.rng, self.pace.serve_s)):
                return
            done = _ask(self.client, Finish(request_id=_rid(), ticket_id=ticket.id), PanelReply)
            if done is not None:
                self.served.append(ticket.number)
                logger.info("%s served %s", self.username, ticket.number)
            if self._assigned is not None and self._assigned.id == ticket.id:
                self._assigned = None

    def _free(self) -> AssignedTicket | None:
        # Refused when the hub has just given this operator a visitor (the assignment is on
        # its way): the next turn of the loop serves them.
        free = SetStatus(request_id=_rid(), status="free")
        reply = _ask(self.client, free, PanelReply, quiet=True)
        if isinstance(reply, PanelReply) and reply.assignment is not None:
            return reply.assignment.ticket
        return None


class Script:
    """The whole scripted crowd; ``start()`` it, ``stop()`` it."""

    def __init__(self, actors: Sequence[_Actor]) -> None:
        self.actors = list(actors)

    @classmethod
    def build(
        cls,
        config: Callable[[str], DeviceConfig],
        *,
        kiosk: str,
        operators: Sequence[tuple[str, str]],
        password: str,
        services: Sequence[int],
        bookings: Sequence[str],
        pace: Pace,
        seed: int | None = None,
    ) -> Script:
        """Visitors at ``kiosk`` and one operator per (panel device, username)."""
        stop = threading.Event()
        rng = random.Random(seed)
        actors: list[_Actor] = [
            Visitors(config(kiosk), stop, rng, services=services, bookings=bookings, pace=pace)
        ]
        for device, username in operators:
            actors.append(
                Operator(config(device), stop, rng, username=username, password=password, pace=pace)
            )
        return cls(actors)

    def start(self) -> None:
        """Connect every actor and let them go."""
        for actor in self.actors:
            actor.thread.start()

    def stop(self) -> None:
        """Stop every actor and disconnect (each publishes ``offline``)."""
        for actor in self.actors:
            actor.stop.set()
        for actor in self.actors:
            actor.wake()
        for actor in self.actors:
            actor.close()
