"""The hub's MQTT coordinator: device requests in, replies and the outbox out (DESIGN.md).

Phone agents' call reports and device states are folded into calls and events
(``hub.services.phone.calls``, PH-8); like printer results they get no reply.

Threads: paho's network thread only hands messages over; one worker per shard handles the
requests of the devices hashed to it, in order (a panel's login is done before its Free), while
different devices are served in parallel (on PostgreSQL; SQLite has one writer and one worker).
Requests that put a call on the display go first (``hub.coordinator.lanes``).
A worker publishes the outbox messages it committed as soon as it has replied; the sender
thread publishes the rest (changes made through the web, a board held back, what was left on
start or after a reconnect). Messages are marked sent only once the broker acknowledged them: a
hub killed between commit and publish sends them when it starts again. The housekeeper ends
overdue bookings and unanswered calls, forgets old requests, and raises and clears the
service-level alerts (``hub.services.stats.watch``).

Several hub processes may share one PostgreSQL and one broker: requests arrive through a shared
subscription (each goes to one hub) and the outbox is claimed with SKIP LOCKED.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, NamedTuple, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import bindparam, delete, event, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.broker.embedded import hub_tls_context
from hub.broker.urls import MqttEndpoint
from hub.clock import ControlledClock
from hub.coordinator import handlers
from hub.coordinator import lines as line_handler
from hub.coordinator.handlers import Speaker
from hub.coordinator.lanes import Lanes, is_urgent
from hub.coordinator.sender import BATCH, OutboxSender
from hub.db.base import core_connection, insert_row, table_of, utcnow
from hub.db.engine import checkpoint, hold_loaded, transaction
from hub.db.models import Device, DeviceRequest
from hub.db.models.queue import QueueOperator
from hub.errors import DomainError
from hub.i18n import translate
from hub.protocol import topics
from hub.protocol.base import Reply
from hub.protocol.client import no_delay
from hub.protocol.devices import DeviceState, PhoneCall, PhoneRecording, PrinterResult
from hub.protocol.errors import ProtocolError
from hub.protocol.lines import LineReply
from hub.protocol.messages import (
    AnyMessage,
    KioskReply,
    PanelReply,
    decode,
    max_payload,
    request_id_of,
)
from hub.protocol.topics import Topic, TopicKind
from hub.protocol.waits import say_wait
from hub.services.common import outbox
from hub.services.devices import devices
from hub.services.phone import call_work, calls
from hub.services.queue import calls as queue_calls
from hub.services.queue import links
from hub.services.queue import operators as queue_operators
from hub.services.queue import publish as queue_publish
from hub.services.queue.core import QueueContext
from hub.services.stats import watch

T = TypeVar("T")
logger = logging.getLogger(__name__)

SHARE_GROUP = "cherga-hub"
"""The shared subscription's group when the hub has no broker password (an open test broker)."""
REQUEST_KINDS = {
    TopicKind.KIOSK_REQ: "kiosk",
    TopicKind.PANEL_REQ: "panel",
    TopicKind.LINE_REQ: "line",
}
REPLY_MODELS: dict[TopicKind, type[Reply]] = {
    TopicKind.KIOSK_REQ: KioskReply,
    TopicKind.PANEL_REQ: PanelReply,
    TopicKind.LINE_REQ: LineReply,
}
REPLY_TOPICS = {
    TopicKind.KIOSK_REQ: topics.kiosk_reply,
    TopicKind.PANEL_REQ: topics.panel_reply,
    TopicKind.LINE_REQ: topics.line_reply,
}
ATTEMPTS = 4
KEEP_REQUESTS = timedelta(days=1)
KEEP_SENT = timedelta(days=1)
PURGE_EVERY = 600.0
CHECKPOINT_EVERY = 0.5
ALERTS_EVERY = 2.0
WAITS_EVERY = 30.0
"""How often the board's waits are redrawn as time passes (bookings falling due, visits
running long); the board is published again only when a wait as said to visitors changed."""
"""Seconds between two checks of the service-level alerts (STAT-3)."""
"""Seconds between two checkpoints of SQLite's write-ahead log (a few MB at most under load)."""
SHARDS = 4
"""Request workers on PostgreSQL, where transactions run side by side. SQLite has one writer at
a time, and several workers there only take turns at it and at the interpreter lock: one worker
serves the same number of requests with a shorter tail (bench/queue.py, Free -> display p99)."""


LINK_GRACE = 15.0
"""Seconds the broker link may be down (a reconnect, the broker restarting) before /healthz
says so."""


def share_group(endpoint: MqttEndpoint, site: str) -> str:
    """The group of the hub's shared subscriptions: derived from the hub's broker password, so
    every hub of the site joins the same group and no device can guess it. A device that joined
    the hub's group would be handed a share of the requests, which the broker then drops because
    the device may not read them (an outside test lost 80 of 100 kiosk requests to four such
    subscribers): Mosquitto grants any subscription and filters only at delivery."""
    if not endpoint.password:
        return SHARE_GROUP
    digest = hmac.new(endpoint.password.encode(), f"share:{site}".encode(), hashlib.sha256)
    return f"{SHARE_GROUP}-{digest.hexdigest()[:24]}"


class Answered(NamedTuple):
    """A request answered before: by which device, and what it was told."""

    device_id: str
    reply: dict[str, Any]


_DR = table_of(DeviceRequest).c
_ANSWERED = select(_DR.device_id, _DR.reply).where(_DR.request_id == bindparam("request"))


def _answered(session: Session, request_id: uuid.UUID) -> Answered | None:
    """The remembered answer to ``request_id``, if it was answered (one prebuilt statement:
    every request asks)."""
    row = core_connection(session).execute(_ANSWERED, {"request": str(request_id)}).first()
    return Answered(row.device_id, row.reply) if row is not None else None


@dataclass
class _Periodic:
    """A job of the housekeeping thread run every ``every`` seconds; its failure is logged."""

    what: str
    every: float
    run: Callable[[], object]
    due: float = 0.0

    def run_if_due(self) -> None:
        """Run the job when its time has come (then not again for ``every`` seconds)."""
        if time.monotonic() < self.due:
            return
        self.due = time.monotonic() + self.every
        try:
            self.run()
        except Exception:
            logger.exception("%s failed; will retry", self.what)


class Coordinator:
    """Serves the site's devices over MQTT for as long as it runs; ``start()``, ``stop()``."""

    def __init__(
        self,
        hub: Hub,
        endpoint: MqttEndpoint,
        *,
        shards: int | None = None,
        tick: float = 2.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.hub = hub
        self.site = hub.settings.site
        self._board_topic = topics.display_board(self.site)
        self._endpoint = endpoint
        self._clock = clock or hub.clock.now
        self._unfollow: Callable[[], None] | None = None
        self._tick = tick
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"cherga-hub-{self.site}-{os.getpid()}-{uuid.uuid4().hex[:6]}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        if endpoint.username is not None:
            self._client.username_pw_set(endpoint.username, endpoint.password)
        if endpoint.tls:
            self._client.tls_set_context(hub_tls_context(hub.settings))
        self._client.reconnect_delay_set(1, 10)
        # Our callbacks catch everything themselves; should anything still escape one, paho logs
        # it instead of ending its network thread (and with it every device's service).
        self._client.suppress_exceptions = True
        self._share = share_group(endpoint, self.site)
        self._client.on_socket_open = no_delay
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._connected = threading.Event()
        self._down_since = time.monotonic()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._moved = threading.Event()  # a controlled clock moved: housekeep now
        self._waits_said: dict[int, str | None] | None = None
        # One thread at a time publishes the outbox: the sender, or a worker that just committed.
        self._sending = threading.Lock()
        self._worker = threading.local()
        if shards is None:
            shards = 1 if hub.engine.dialect.name == "sqlite" else SHARDS
        self._queues: list[Lanes[tuple[str, bytes] | None]] = [
            Lanes() for _ in range(max(1, shards))
        ]
        self._threads: list[threading.Thread] = []
        self._sender = OutboxSender(
            hub,
            self.site,
            lambda topic, body, retain: self._client.publish(topic, body, qos=1, retain=retain),
            self.context,
        )
        self._resync = threading.Event()
        self.handled = 0
        self.rejected = 0
        self.oversize = 0
        self.link_grace = LINK_GRACE
        self._stalled: str | None = None

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self, wait: float | None = None) -> bool:
        """Connect (retrying in the background), start the workers; optionally wait to connect."""
        event.listen(self.hub.sessions, "after_commit", self._after_commit)
        event.listen(self.hub.sessions, "after_rollback", self._after_rollback)
        for index, work in enumerate(self._queues):
            self._spawn(f"cherga-coordinator-{index}", partial(self._work, work))
        self._spawn("cherga-outbox", self._send_loop)
        self._spawn("cherga-housekeeper", self._housekeep_loop)
        if self.hub.engine.dialect.name == "sqlite":
            self._spawn("cherga-checkpoint", self._checkpoint_loop)
        self._client.connect_async(self._endpoint.host, self._endpoint.port, keepalive=30)
        self._client.loop_start()
        self.hub.probes["mqtt"] = self.health
        if isinstance(self.hub.clock, ControlledClock):
            # The work due at the new time is done before the bench moves on (its next event).
            self._unfollow = self.hub.clock.on_set(self._clock_moved)
        logger.info("coordinator connecting to %s", self._endpoint.safe_url)
        return self._connected.wait(wait) if wait is not None else self._connected.is_set()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Finish the requests in hand, send what is committed, disconnect."""
        if self._stopping.is_set() or not self._threads:
            return
        if self._unfollow is not None:
            self._unfollow()
        for work in self._queues:
            work.put(None)
        for thread in self._threads[: len(self._queues)]:
            thread.join(timeout=10)
        self._stopping.set()
        self._wake.set()
        self._moved.set()
        for thread in self._threads[len(self._queues) :]:
            thread.join(timeout=10)
        self._client.disconnect()
        self._client.loop_stop()
        if self.hub.probes.get("mqtt") == self.health:
            del self.hub.probes["mqtt"]
        event.remove(self.hub.sessions, "after_commit", self._after_commit)
        event.remove(self.hub.sessions, "after_rollback", self._after_rollback)

    @property
    def workers(self) -> int:
        """How many threads serve device requests."""
        return len(self._queues)

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up."""
        return self._connected.is_set()

    def health(self) -> dict[str, Any]:
        """The link to the broker and the outbox, for /healthz: ``ok`` false when the link is
        down past ``link_grace``, paho's network thread is gone, or the oldest unsent message
        is older than the setting ``health_outbox_max_age_s``."""
        # paho keeps its network thread in ``_thread`` and offers no public way to ask for it.
        network = getattr(self._client, "_thread", None)
        alive = network is not None and network.is_alive()
        connected = self._connected.is_set() and alive
        down_for = 0.0 if connected else time.monotonic() - self._down_since
        with self.hub.read_sessions() as session:
            waiting = outbox.backlog(session)
        age = waiting.age_s(utcnow())
        stale = age >= self.hub.settings.health_outbox_max_age_s
        ok = alive and down_for < self.link_grace and not stale
        return {
            "ok": ok,
            "connected": connected,
            "network_thread": "alive" if alive else "stopped",
            "down_for_s": round(down_for, 1),
            "outbox_depth": waiting.depth,
            "outbox_oldest_unsent_s": round(age, 1),
            "handled": self.handled,
            "rejected": self.rejected,
        }

    def context(self) -> QueueContext:
        """Now, at this site."""
        return QueueContext(
            now=self._clock(),
            tz=self.hub.settings.tz,
            site=self.site,
            office_url=self.hub.settings.office_url,
            visitor_url=self.hub.settings.ticket_page_url,
        )

    # ---- paho callbacks (network thread: hand over, never block) ---------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: Any,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            logger.error("broker refused the hub: %s", reason)
            return
        base = f"{topics.PREFIX}/{self.site}"
        share = f"$share/{self._share}/{base}"
        client.subscribe(
            [
                (f"{share}/kiosk/+/req", 1),
                (f"{share}/panel/+/req", 1),
                (f"{share}/line/+/req", 1),
                (f"{share}/printer/+/result", 1),
                (f"{share}/phone/+/call", 1),
                (f"{share}/phone/+/recording", 1),
                (f"{base}/devices/+/state", 1),
            ]
        )
        self._connected.set()
        self._resync.set()
        self._wake.set()
        logger.info("coordinator connected to the broker")

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: Any,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if self._connected.is_set():
            self._down_since = time.monotonic()
        self._connected.clear()
        if not self._stopping.is_set():
            logger.warning("coordinator lost the broker (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        # Nothing may escape into paho: its network thread serves every device.
        try:
            self._take(msg.topic, msg.payload)
        except Exception:
            logger.exception("could not take a message on %s", msg.topic)

    def _take(self, topic: str, payload: bytes | bytearray) -> None:
        """Hand a message to its device's worker. Bounded work only: the topic's shape, the
        payload's size against its kind's limit (an oversize one is dropped unread), and for a
        panel's request a recursion-safe look at its type."""
        try:
            where = topics.parse(topic)
        except ProtocolError as exc:
            self._reject(topic, exc.code, exc.message)
            return
        if len(payload) > max_payload(where.kind):
            self.oversize += 1
            self._reject(topic, "invalid", f"payload of {len(payload)} bytes is too large")
            return
        # One device's messages go to one worker, in order.
        device = where.device or ""
        shard = zlib.crc32(device.encode()) % len(self._queues)
        urgent = where.kind == TopicKind.PANEL_REQ and is_urgent(payload)
        self._queues[shard].put((topic, bytes(payload)), device=device, urgent=urgent)

    def _after_commit(self, session: Session) -> None:
        written: set[str] | None = session.info.pop(outbox.DIRTY, None)
        if written:
            if getattr(self._worker, "serving", False):
                # The worker publishes it once the message is handled.
                board_only = written == {self._board_topic} and self._worker.dirty is not True
                self._worker.dirty = "board" if board_only else True
            else:
                self._wake.set()

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(outbox.DIRTY, None)

    # ---- requests -------------------------------------------------------------------------

    def _work(self, work: Lanes[tuple[str, bytes] | None]) -> None:
        self._worker.serving = True
        self._worker.dirty = False  # True, or "board" when only the board was marked
        while (item := work.get()) is not None:
            topic, payload = item
            try:
                self.handle(topic, payload)
            except Exception:
                logger.exception("could not handle a message on %s", topic)
            dirty = self._worker.dirty
            if dirty:
                self._worker.dirty = False
                if dirty != "board" or not self._board_pending():
                    self._send_now()

    def handle(self, topic: str, payload: bytes) -> None:
        """Handle one message from the broker (called by the workers; public for tests)."""
        try:
            where = topics.parse(topic)
        except ProtocolError as exc:
            self._reject(topic, exc.code, exc.message)
            return
        if where.site != self.site:
            self._reject(topic, "bad_topic", f"site {where.site} is not {self.site}")
            return
        if where.kind in REQUEST_KINDS:
            self._request(where, payload)
        elif where.kind == TopicKind.DEVICE_STATE:
            self._state(where, payload)
        elif where.kind == TopicKind.PRINTER_RESULT:
            self._print_result(where, payload)
        elif where.kind == TopicKind.PHONE_CALL:
            self._phone_call(where, payload)
        elif where.kind == TopicKind.PHONE_RECORDING:
            self._phone_recording(where, payload)
        else:
            self._reject(topic, "bad_topic", "the hub does not take messages on this topic")

    def _decoded(self, where: Topic, kind: TopicKind, payload: bytes) -> AnyMessage | None:
        """The payload as the contract's message of ``kind``, or None (rejected and logged)."""
        try:
            return decode(kind, payload)
        except ProtocolError as exc:
            self._reject(str(where), exc.code, exc.message)
            return None

    def _reject(self, topic: str, code: str, why: str) -> None:
        # The payload is never logged: a login carries a password.
        self.rejected += 1
        logger.warning("rejected a message on %s: %s (%s)", topic, why, code)

    def _speaker(self, session: Session, where: Topic, role: str) -> Speaker:
        device = handlers.registered(session, str(where.device)) if where.device else None
        if device is None or device.site != self.site:
            raise DomainError("device_unknown", device=where.device)
        if device.role != role:
            raise DomainError("device_wrong_role", device=device.id, role=device.role)
        return device

    def _request(self, where: Topic, payload: bytes) -> None:
        kind = where.kind
        model = REPLY_MODELS[kind]
        reply_topic = REPLY_TOPICS[kind](self.site, str(where.device))
        try:
            request: Any = decode(kind, payload)
        except ProtocolError as exc:
            self._reject(str(where), exc.code, exc.message)
            request_id = request_id_of(payload)
            if request_id is not None:
                self._reply(reply_topic, model.failure(request_id, exc.code, exc.message))
            return
        request_id = request.request_id
        lang = getattr(request, "lang", None)
        for attempt in range(ATTEMPTS):
            try:
                reply = self._serve(where, request, model, lang)
                break
            except OperationalError as exc:
                # SQLite "database is locked", a PostgreSQL deadlock: try again shortly.
                logger.warning("request %s: %s (attempt %d)", request_id, exc.orig, attempt + 1)
                time.sleep(0.05 * (attempt + 1))
            except Exception:
                logger.exception("request %s on %s failed", request_id, where)
                reply = model.failure(
                    request_id, "internal", translate("hub_internal_error", lang or "uk")
                )
                break
        else:
            reply = model.failure(request_id, "busy", translate("hub_busy", lang or "uk"))
        self.handled += 1
        self._reply(reply_topic, reply)

    def _serve(self, where: Topic, request: Any, model: type[Reply], lang: str | None) -> Reply:
        """Answer ``request`` once: the change and the remembered reply commit together."""
        request_id = request.request_id
        device_id = str(where.device)
        role = REQUEST_KINDS[where.kind]
        ctx = self.context()
        try:
            with transaction(self.hub.sessions) as session:
                hold_loaded(session)
                # A repeated request gets its first answer. Looked up in the transaction that
                # would serve it: one session per request, and on SQLite nothing slips between.
                known = _answered(session, request_id)
                if known is not None:
                    return self._repeat(known, device_id, model, request_id, lang)
                speaker = self._speaker(session, where, role)
                if role == "kiosk":
                    reply: Reply = handlers.handle_kiosk(session, ctx, speaker, request)
                elif role == "line":
                    reply = line_handler.handle_line(session, ctx, speaker.id, request)
                else:
                    reply = handlers.handle_panel(
                        session, ctx, speaker, request, hasher=self.hub.hasher
                    )
                self._remember(session, request_id, device_id, request.type, reply)
            return reply
        except DomainError as exc:
            failure = self._failure(model, request_id, exc, lang, where)
        except IntegrityError:
            # The same request_id was answered meanwhile (a duplicate delivered in parallel).
            with self.hub.sessions() as session:
                known = _answered(session, request_id)
                if known is None:
                    raise
                return self._repeat(known, device_id, model, request_id, lang)
        try:
            with transaction(self.hub.sessions) as session:
                self._remember(session, request_id, device_id, request.type, failure)
        except IntegrityError:
            with self.hub.sessions() as session:
                known = _answered(session, request_id)
                if known is not None:
                    return self._repeat(known, device_id, model, request_id, lang)
        return failure

    def _failure(
        self,
        model: type[Reply],
        request_id: uuid.UUID,
        exc: DomainError,
        lang: str | None,
        where: Topic,
    ) -> Reply:
        if lang is None and where.kind == TopicKind.PANEL_REQ:
            with self.hub.read_sessions() as session:
                lang = handlers.panel_language(
                    session, Speaker(str(where.device), "panel", self.site)
                )
        text = translate(exc.code, lang or "uk", **exc.params)[:500]
        if exc.code in ("device_unknown", "device_wrong_role"):
            self._reject(str(where), exc.code, text)
        return model.failure(request_id, exc.code[:64], text)

    @staticmethod
    def _remember(
        session: Session, request_id: uuid.UUID, device_id: str, kind: str, reply: Reply
    ) -> None:
        insert_row(
            session,
            DeviceRequest,
            request_id=str(request_id),
            device_id=device_id,
            kind=kind,
            reply=reply.model_dump(mode="json", exclude_none=True),
        )

    def _repeat(
        self,
        known: Answered,
        device_id: str,
        model: type[Reply],
        request_id: uuid.UUID,
        lang: str | None,
    ) -> Reply:
        if known.device_id != device_id:
            return model.failure(
                request_id, "request_id_reused", translate("request_id_reused", lang or "uk")
            )
        return model.model_validate_json(json.dumps(known.reply))

    def _reply(self, topic: str, reply: Reply) -> None:
        self._client.publish(
            topic, reply.__pydantic_serializer__.to_json(reply, exclude_none=True), qos=1
        )

    # ---- device state and printer results ----------------------------------------------------

    def _state(self, where: Topic, payload: bytes) -> None:
        if not payload:
            return  # a retained state cleared by an administrator
        state = self._decoded(where, TopicKind.DEVICE_STATE, payload)
        if not isinstance(state, DeviceState):
            return
        ctx = self.context()
        with transaction(self.hub.sessions) as session:
            known = session.get(Device, str(where.device))
            was_on = known is not None and calls.phone_registered(known)
            device = devices.record_state(
                session, site=self.site, device_id=str(where.device), state=state
            )
            if device is not None and device.role == "phone":
                # PH-8: the phone switched on or off (registered to the SIP server or not).
                calls.record_phone_state(
                    session, agent=device, was_on=was_on, state=state, today=ctx.today, now=ctx.now
                )
        if device is None:
            self._reject(str(where), "device_unknown", "state of an unregistered device")

    def _print_result(self, where: Topic, payload: bytes) -> None:
        result = self._decoded(where, TopicKind.PRINTER_RESULT, payload)
        if not isinstance(result, PrinterResult):
            return
        try:
            with transaction(self.hub.sessions) as session:
                printer = self._speaker(session, where, "printer")
                known = handlers.record_print_result(session, self.context(), printer, result)
        except DomainError as exc:
            self._reject(str(where), exc.code, str(exc))
            return
        if not known:
            self._reject(str(where), "invalid", f"no job {result.job_id} for this printer")
        elif not result.ok and result.error is not None:
            logger.warning(
                "printer %s failed job %s: %s", where.device, result.job_id, result.error.code
            )

    def _phone_call(self, where: Topic, payload: bytes) -> None:
        report = self._decoded(where, TopicKind.PHONE_CALL, payload)
        if not isinstance(report, PhoneCall):
            return

        def record(session: Session, device: Device) -> calls.CallResult:
            ctx = self.context()
            return calls.record_call(
                session, agent=device, report=report, today=ctx.today, now=ctx.now, tz=ctx.tz
            )

        result = self._from_agent(where, f"call {report.call_id!r}", record)
        if result is not None and result.created:
            logger.info(
                "call %r on %s became event %s (%s)",
                report.call_id,
                where,
                result.event_id,
                result.outcome,
            )

    def _phone_recording(self, where: Topic, payload: bytes) -> None:
        message = self._decoded(where, TopicKind.PHONE_RECORDING, payload)
        if not isinstance(message, PhoneRecording):
            return

        def attach(session: Session, device: Device) -> int:
            attachment = call_work.attach_recording(
                session,
                store=self.hub.files,
                agent=device,
                call_id=message.call_id,
                name=message.name,
                data=message.data,
                sha256=message.sha256,
            )
            return attachment.id

        attached = self._from_agent(where, f"recording {message.name}", attach)
        if attached is not None:
            logger.info("recording %s from %s is attachment %s", message.name, where, attached)

    def _from_agent(
        self, where: Topic, what: str, work: Callable[[Session, Device], T]
    ) -> T | None:
        """Run a phone agent's message in a transaction, again when the database is busy;
        None when it was refused (logged) or the database stayed busy."""
        for attempt in range(ATTEMPTS):
            try:
                with transaction(self.hub.sessions) as session:
                    agent = self._speaker(session, where, "phone")
                    device = session.get(Device, agent.id)
                    assert device is not None
                    result = work(session, device)
            except DomainError as exc:
                self._reject(str(where), exc.code, str(exc))
                return None
            except (OperationalError, IntegrityError) as exc:
                # SQLite "database is locked", a deadlock, two hubs on one call: again.
                logger.warning("%s on %s: %s (attempt %d)", what, where, exc.orig, attempt + 1)
                time.sleep(0.05 * (attempt + 1))
                continue
            self.handled += 1
            return result
        logger.error("%s on %s not recorded: the database stayed busy", what, where)
        return None

    # ---- the outbox -----------------------------------------------------------------------

    def _board_pending(self) -> bool:
        """Whether a drawing of the board is already due and waits for its time: a change that
        only marked the board is then on it when it is drawn, and needs no sending of its own
        (a kiosk's ticket while tickets keep coming: the outbox is not even read)."""
        with self._sending:  # no drawing under way, which could have read the outbox too early
            wait = self._sender.board_wait()
            return wait is not None and wait > 0

    def _send_now(self) -> None:
        """Publish what this worker just committed, in outbox order, without waiting for the
        sender thread to be woken and scheduled (a call reaches the display sooner under load:
        bench/queue.py, leg 4). Whatever is left (no broker, a failure, a board held back) is
        the sender thread's."""
        if not self._connected.is_set() or self._resync.is_set():
            self._wake.set()
            return
        try:
            with self._sending:
                held_back = self._sender.board_wait() is not None
                while self.send_pending(wait=False) == BATCH:
                    pass
        except ConnectionError as exc:
            self._outbox_stalled(exc)
            self._wake.set()
            return
        except Exception:
            logger.exception("sending the outbox failed; the sender will retry")
            self._wake.set()
            return
        if not held_back and self._sender.board_wait() is not None:
            self._wake.set()  # a board is held back now: the sender draws it when it is due

    def _send_loop(self) -> None:
        while True:
            board = self._sender.board_wait()
            self._wake.wait(timeout=1.0 if board is None else min(1.0, board))
            self._wake.clear()
            if not self._connected.is_set():
                if self._stopping.is_set():
                    with self._sending:
                        self._sender.flush()
                    return
                continue
            try:
                with self._sending:
                    if self._resync.is_set():
                        self._resync.clear()
                        self.resynchronise()
                    while self.send_pending() == BATCH:
                        pass
                self._stalled = None
            except ConnectionError as exc:
                self._outbox_stalled(exc)
                time.sleep(0.5)
            except Exception:
                logger.exception("sending the outbox failed; will retry")
                time.sleep(0.5)
            if self._stopping.is_set():
                with self._sending:
                    self._sender.flush()
                return

    def _outbox_stalled(self, exc: ConnectionError) -> None:
        """The broker did not take the outbox (it is gone, or restarting): said once per
        outage, without a traceback; the sender sends it again once the link is back."""
        if self._stalled is None:
            logger.warning("the outbox waits for the broker: %s", exc)
        self._stalled = str(exc)

    def send_pending(self, *, wait: bool = True) -> int:
        """Publish the next batch of the outbox (see ``hub.coordinator.sender``)."""
        return self._sender.send_pending(wait=wait)

    def resynchronise(self) -> None:
        """After (re)connecting: the board and every panel's assignment again (retained)."""
        ctx = self.context()
        with transaction(self.hub.sessions) as session:
            queue_publish.publish_board(session, ctx)
            rows = session.scalars(
                select(QueueOperator).where(QueueOperator.device_id.is_not(None))
            )
            for row in rows:
                queue_publish.publish_assignment(session, ctx, row)

    # ---- housekeeping ---------------------------------------------------------------------

    def _checkpoint_loop(self) -> None:
        """SQLite: fold the write-ahead log into the database every CHECKPOINT_EVERY seconds,
        here rather than in whichever request's commit SQLite would pick (``engine.checkpoint``)."""
        while not self._stopping.wait(CHECKPOINT_EVERY):
            try:
                checkpoint(self.hub.engine)
            except Exception:
                logger.exception("checkpointing the database failed; will retry")

    def _housekeep_loop(self) -> None:
        next_purge = time.monotonic()
        periodic = [
            _Periodic("checking the service-level alerts", ALERTS_EVERY, self.check_alerts),
            _Periodic("redrawing the waits", WAITS_EVERY, self.refresh_waits),
        ]
        while True:
            self._moved.wait(self._tick)
            self._moved.clear()
            if self._stopping.is_set():
                return
            try:
                purge = time.monotonic() >= next_purge
                self.housekeep(purge=purge)
                if purge:
                    next_purge = time.monotonic() + PURGE_EVERY
            except Exception:
                logger.exception("housekeeping failed; will retry")
            for job in periodic:
                job.run_if_due()

    def refresh_waits(self) -> bool:
        """Publish the board again when the wait of some service, as said to visitors, changed
        since the last look (time passing changes waits without any request: a booking falls
        due, a visit runs long). Changes made by requests publish the board themselves."""
        ctx = self.context()
        with transaction(self.hub.sessions) as session:
            said = {
                service: say_wait(wait.s, "en", wait.low_s, wait.high_s)
                for service, wait in queue_publish.board_waits(session, ctx).items()
            }
            changed = self._waits_said is not None and said != self._waits_said
            if changed:
                queue_publish.publish_board(session, ctx)
        self._waits_said = said
        if changed:
            self._wake.set()
        return changed

    def check_alerts(self) -> None:
        """Raise and clear the service-level alerts (STAT-3); the panels of the operators of a
        service whose alerts changed get their assignment again, which carries them."""
        ctx = self.context()
        with transaction(self.hub.sessions) as session:
            changes = watch.check(session, now=ctx.now, day=ctx.today)
            queue_publish.publish_alerts(session, ctx, changes.services)
        if changes.services:
            self._wake.set()

    def _clock_moved(self, now: datetime) -> None:
        """A controlled clock moved: the housekeeper looks at the new time at once (in its own
        thread: the mover may hold SQLite's writer lock through its request's session)."""
        self._moved.set()

    def housekeep(self, *, purge: bool = False) -> None:
        """End overdue bookings and unanswered calls, abandon the callers of a line offline past
        its grace; now and then end calls whose agent was lost mid-call and forget old records."""
        now = self._clock()
        with transaction(self.hub.sessions) as session:
            queue_operators.expire_overdue(session, now, site=self.site, tz=self.hub.settings.tz)
            # Callers of a line gone too long; a device's last_seen_at is the wall clock's.
            seen_before = utcnow() - queue_calls.LINE_OFFLINE_GRACE
            queue_calls.abandon_offline_lines(session, self.context(), seen_before=seen_before)
        if purge:
            with transaction(self.hub.sessions) as session:
                calls.expire_lost(session, now=now, today=self.context().today)
            with transaction(self.hub.sessions) as session:
                links.forget_expired(session, self.context())
            with transaction(self.hub.sessions) as session:
                outbox.purge_sent(session, now - KEEP_SENT)
                session.execute(
                    delete(DeviceRequest).where(DeviceRequest.created_at < now - KEEP_REQUESTS)
                )
