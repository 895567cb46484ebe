"""The line agent: the office's number, its callers waiting in the services' queues.

A role of the phone agent on the same SIP adapter (``VoipPhone``). It answers every caller up to
``max_callers``, greets them (espeak-ng, in the configured language), offers the menu when
several services take calls, and asks the hub for the caller's phone ticket (``line/{d}/req``
``join``). While the caller waits they hear silence and now and then their place and estimated
wait. When the hub gives the caller to an operator (``line/{d}/job``), the agent dials the
operator's phone agent and, once it answers, bridges the two calls; it reports that
(``connected``), and a caller who hangs up while waiting (``left``). Each time it connects to the
broker it tells the hub which calls it holds (``held``), so callers a crash or a lost ``left``
took away are abandoned; joins wait until the hub has that list. Its device state carries the
phone part of an operator's phone agent: registered, the number, callers held of ``max_callers``.

Threads: SIP events, hub jobs and replies go through one worker queue (the state needs no lock
but the media's); hub requests run on a small pool so a slow reply never stalls the worker; the
media thread moves 20 ms of audio for every call.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from firmware_config.device_config import DeviceConfig
from hub.protocol import topics
from hub.protocol.base import Request
from hub.protocol.devices import Fault, PhoneStatus
from hub.protocol.lines import (
    LineCallback,
    LineConnected,
    LineHeld,
    LineJob,
    LineJoin,
    LineLeft,
    LinePlace,
    LineReply,
    LineTicket,
)
from hub.protocol.messages import AnyMessage
from operator_panel.phone import line_texts as texts
from operator_panel.phone.device import SipDevice
from operator_panel.phone.jobs import run_jobs
from operator_panel.phone.line_media import LineMedia
from operator_panel.phone.line_settings import LineSettings
from operator_panel.phone.sip import EndReason, SipCall, SipError, SipPhone
from operator_panel.phone.speech import Speech

logger = logging.getLogger(__name__)

HOUSEKEEPING = 0.25
REQUEST_TIMEOUT = 10.0


@dataclass
class Caller:
    """One caller on the line, as the worker sees them."""

    call: SipCall
    answered_at: float
    state: str = "menu"  # menu, joining, waiting, connecting, bridged, ended
    service_id: int | None = None
    ticket: LineTicket | None = None
    next_place: float = 0.0
    operator: SipCall | None = None
    dialled_at: float = 0.0
    job: LineJob | None = None
    digits: list[str] = field(default_factory=list)
    callback: bool = False


class LineAgent(SipDevice):
    """The office's number: ``start()`` it, ``stop()`` it."""

    def __init__(
        self,
        config: DeviceConfig,
        settings: LineSettings,
        sip: SipPhone,
        *,
        speech: Speech | None = None,
    ) -> None:
        super().__init__(config, "line", "line-agent")
        self.settings, self.sip = settings, sip
        self.speech = speech or Speech()
        self.media = LineMedia()
        self.req_topic = topics.line_req(config.site, config.device_id)
        self.reply_topic = topics.line_reply(config.site, config.device_id)
        self.job_topic = topics.line_job(config.site, config.device_id)
        self.callers: dict[str, Caller] = {}
        self._operators: dict[str, str] = {}  # operator leg id -> caller id
        self.rejected_busy = 0
        self.ring_to_answer: list[float] = []
        """Seconds from a job to the operator's phone answering (the bench)."""
        self.job_to_ring: list[float] = []
        """Seconds from a job arriving to the dial to the operator going out (the bench)."""
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="line-hub")
        # ``held`` lists sent and not answered yet; joins of callers who came meanwhile wait
        # for the answer, so the hub never sees a join before a list that leaves it out.
        self._held_pending = 0
        self._deferred: list[str] = []

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self, wait: float | None = None) -> bool:
        """Connect to the broker, start the worker, the media and the SIP registration."""
        self.client.subscribe(self.job_topic, self._on_job)
        self.client.on_connection_change(self._on_connection)
        self._worker.start()
        self.media.start()
        self._publish_phone()
        self.sip.start(self)
        self._report_faults()
        return self.client.start(wait=wait)

    def stop(self) -> None:
        """Hang up every call, unregister, publish ``offline`` and disconnect."""
        self._stop_worker()
        self.media.stop()
        self.sip.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.client.close()

    # ---- MQTT (network thread) ----------------------------------------------------------------

    def _on_job(self, topic: topics.Topic, message: AnyMessage) -> None:
        if topic.device != self.config.device_id or not isinstance(message, LineJob):
            logger.warning("ignoring %s on %s", type(message).__name__, topic)
            return
        received = time.monotonic()
        self._jobs.put(lambda: self._job(message, received))

    def _on_connection(self, connected: bool) -> None:
        if connected:
            self._jobs.put(self._send_held)

    # ---- worker -----------------------------------------------------------------------------

    def _work(self) -> None:
        run_jobs(self._jobs, self._housekeeping, HOUSEKEEPING, "line agent")
        for caller in list(self.callers.values()):
            self._hang_up(caller.call)
            if caller.operator is not None:
                self._hang_up(caller.operator)

    def _say(self, caller: Caller, key: str, **values: object) -> None:
        lang = self.settings.lang
        self.media.play(
            caller.call.id, self.speech.say(lang, texts.TEXTS[key][lang].format(**values))
        )

    def _incoming(self, call: SipCall) -> None:
        if len(self.callers) >= self.settings.max_callers:
            self.rejected_busy += 1
            logger.info("%d callers on the line: refusing %s", len(self.callers), call.remote)
            try:
                call.reject(busy=True)
            except SipError as exc:
                logger.warning("refusing call %s failed: %s", call.id, exc)
            return
        try:
            call.answer()
        except SipError as exc:
            logger.warning("answering call %s failed: %s", call.id, exc)
            return
        caller = Caller(call, time.monotonic())
        self.callers[call.id] = caller
        self.media.add(call)
        lang, menu = self.settings.lang, self.settings.menu
        names = [entry.name for entry in menu] if len(menu) > 1 else []
        text = texts.welcome(lang, self.settings.greeting, names)
        self.media.play(call.id, self.speech.say(lang, text))
        logger.info("caller %s from %s answered", call.id, call.remote)
        if len(self.settings.menu) == 1:
            self._choose(caller, self.settings.menu[0].service_id)

    def _dtmf(self, call_id: str, digit: str) -> None:
        caller = self.callers.get(call_id)
        if caller is None:
            return
        if caller.state == "waiting" and digit == self.settings.callback_key:
            self._ask(
                LineCallback(request_id=uuid.uuid4(), call_id=call_id),
                lambda reply: self._called_back(call_id, reply),
            )
            return
        if caller.state != "menu":
            return
        caller.digits.append(digit)
        if digit.isdigit() and 1 <= int(digit) <= len(self.settings.menu):
            self._choose(caller, self.settings.menu[int(digit) - 1].service_id)

    def _choose(self, caller: Caller, service_id: int) -> None:
        caller.state, caller.service_id = "joining", service_id
        if self._held_pending:
            self._deferred.append(caller.call.id)
        else:
            self._send_join(caller)

    def _send_join(self, caller: Caller) -> None:
        assert caller.service_id is not None
        join = LineJoin(
            request_id=uuid.uuid4(),
            call_id=caller.call.id,
            service_id=caller.service_id,
            remote=caller.call.remote[:128],
            lang=self.settings.lang,
        )
        self._ask(join, lambda reply: self._joined(caller.call.id, reply))

    def _send_held(self) -> None:
        """Tell the hub which calls the line holds (on every connection to the broker)."""
        self._held_pending += 1
        held = LineHeld(request_id=uuid.uuid4(), call_ids=list(self.callers))
        self._ask(held, self._held_answered)

    def _held_answered(self, reply: LineReply | None) -> None:
        if reply is not None and reply.ok and reply.abandoned:
            logger.info("the hub abandoned %d callers this line no longer holds", reply.abandoned)
        self._held_pending = max(0, self._held_pending - 1)
        if self._held_pending:
            return
        deferred, self._deferred = self._deferred, []
        for call_id in deferred:
            caller = self.callers.get(call_id)
            if caller is not None and caller.state == "joining":
                self._send_join(caller)

    def _joined(self, call_id: str, reply: LineReply | None) -> None:
        caller = self.callers.get(call_id)
        if caller is None:
            return
        if reply is None or not reply.ok or reply.ticket is None:
            logger.warning("caller %s could not join: %s", call_id, reply and reply.error)
            self._say(caller, "unavailable")
            caller.state = "ended"
            return
        caller.ticket = reply.ticket
        if caller.state == "joining":
            caller.state = "waiting"
            self._announce(caller)

    def _called_back(self, call_id: str, reply: LineReply | None) -> None:
        caller = self.callers.get(call_id)
        if caller is None or caller.state != "waiting":
            return
        if reply is None or not reply.ok:
            self._say(caller, "callback_unavailable")
            return
        # They keep their place; the line says goodbye and hangs up (housekeeping).
        caller.callback, caller.state = True, "ended"
        self._say(caller, "callback")

    def _announce(self, caller: Caller) -> None:
        ticket = caller.ticket
        caller.next_place = time.monotonic() + self.settings.place_every_s
        if ticket is None or ticket.position is None:
            return
        lang = self.settings.lang
        text = texts.place(
            lang, ticket.position, ticket.estimated_wait_s or 0, self.settings.callback_key
        )
        self.media.play(caller.call.id, self.speech.say(lang, text))

    def _job(self, job: LineJob, received: float) -> None:
        caller = self.callers.get(job.call_id)
        if caller is None or caller.state in ("connecting", "bridged", "ended"):
            if caller is None or caller.state == "ended":
                self._report(job.call_id, ok=False, reason="caller_gone")
            return
        caller.job, caller.state = job, "connecting"
        self._say(caller, "connecting")
        try:
            leg = self.sip.dial(job.target)
        except SipError as exc:
            logger.warning("dialling operator %s failed: %s", job.target, exc)
            caller.state = "waiting"
            self._report(job.call_id, ok=False, reason="failed")
            return
        caller.operator, caller.dialled_at = leg, time.monotonic()
        self.job_to_ring.append(caller.dialled_at - received)
        self._operators[leg.id] = caller.call.id
        logger.info("caller %s: ringing operator %s (%s)", caller.call.id, job.target, leg.id)

    def _answered(self, leg: SipCall) -> None:
        caller = self.callers.get(self._operators.get(leg.id, ""))
        if caller is None or caller.state != "connecting":
            self._hang_up(leg)
            return
        caller.state = "bridged"
        self.ring_to_answer.append(time.monotonic() - caller.dialled_at)
        self.media.bridge(caller.call, leg)
        logger.info("caller %s bridged to the operator (%s)", caller.call.id, leg.id)
        self._report(caller.call.id, ok=True, reason=None)

    def _registration(self, registered: bool) -> None:
        self._report_faults()
        self._publish_phone()

    def _publish_phone(self) -> None:
        """The device state's phone part, as an operator's phone agent has it."""
        self._set_phone(
            PhoneStatus(
                registered=self.sip.registered,
                number=self.settings.sip.user[:64],
                lines=self.settings.max_callers,
                busy=len(self.callers),
            )
        )

    def _call_ended(self, call: SipCall, reason: EndReason) -> None:
        self.media.remove(call.id)
        caller_id = self._operators.pop(call.id, None)
        if caller_id is not None:
            caller = self.callers.get(caller_id)
            if caller is None:
                return
            if caller.state == "bridged":  # the operator hung up: the call is over
                self._hang_up(caller.call)
                self._forget(caller)
            elif caller.state == "connecting":
                caller.operator, caller.state = None, "waiting"
                self._report(caller_id, ok=False, reason="no_answer")
            return
        caller = self.callers.get(call.id)
        if caller is None:
            return
        logger.info("caller %s hung up (%s, %s)", call.id, caller.state, reason)
        if caller.operator is not None:
            self._operators.pop(caller.operator.id, None)
            self.media.remove(caller.operator.id)
            self._hang_up(caller.operator)
        gone = caller.state in ("joining", "waiting", "connecting") or caller.ticket is not None
        if gone and not caller.callback:
            self._ask(LineLeft(request_id=uuid.uuid4(), call_id=call.id), lambda _reply: None)
        self._forget(caller)

    def _forget(self, caller: Caller) -> None:
        caller.state = "ended"
        self.callers.pop(caller.call.id, None)
        self.media.remove(caller.call.id)

    def _housekeeping(self) -> None:
        self._publish_phone()
        now = time.monotonic()
        for caller in list(self.callers.values()):
            if caller.state == "ended" and not self.media.playing(caller.call.id):
                # Told that the call cannot be taken now: the line hangs up.
                self._hang_up(caller.call)
                self._forget(caller)
            elif caller.state == "menu" and now - caller.answered_at > self.settings.menu_timeout_s:
                self._choose(caller, self.settings.menu[0].service_id)
            elif caller.state == "waiting" and now >= caller.next_place:
                if not self.media.playing(caller.call.id):
                    call_id = caller.call.id
                    self._ask(
                        LinePlace(request_id=uuid.uuid4(), call_id=call_id),
                        lambda reply, c=call_id: self._placed(c, reply),  # type: ignore[misc]
                    )
                caller.next_place = now + self.settings.place_every_s
            elif (
                caller.state == "connecting"
                and caller.operator is not None
                and now - caller.dialled_at > self.settings.connect_timeout_s
            ):
                leg = caller.operator
                self._operators.pop(leg.id, None)
                self._hang_up(leg)
                caller.operator, caller.state = None, "waiting"
                self._report(caller.call.id, ok=False, reason="no_answer")

    def _placed(self, call_id: str, reply: LineReply | None) -> None:
        caller = self.callers.get(call_id)
        if caller is None or reply is None or not reply.ok or reply.ticket is None:
            return
        caller.ticket = reply.ticket
        if caller.state == "waiting":
            self._announce(caller)

    # ---- the hub ------------------------------------------------------------------------------

    def _ask(self, request: Request, then: Callable[[LineReply | None], None]) -> None:
        """Send ``request`` from the pool; its reply (None: none came) goes to the worker."""

        def run() -> None:
            try:
                reply: LineReply | None = self.client.request(
                    self.req_topic, self.reply_topic, request, REQUEST_TIMEOUT, expect=LineReply
                )
            except Exception as exc:
                logger.warning("request %s failed: %s", getattr(request, "type", "?"), exc)
                reply = None
            self._jobs.put(lambda: then(reply))

        self._pool.submit(run)

    def _report(self, call_id: str, *, ok: bool, reason: str | None) -> None:
        message = LineConnected(request_id=uuid.uuid4(), call_id=call_id, ok=ok, reason=reason)
        self._ask(message, lambda _reply: None)

    def _report_faults(self) -> None:
        faults = []
        if not self.sip.registered:
            line = self.sip.fault
            faults.append(
                Fault(code="sip_not_registered", message="The office number is not registered.")
                if line is None
                else Fault(code=line.code, message=line.message)
            )
        self._set_faults(faults)

    @staticmethod
    def _hang_up(call: SipCall) -> None:
        try:
            call.hangup()
        except SipError as exc:
            logger.warning("hanging up %s failed: %s", call.id, exc)
