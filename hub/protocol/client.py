"""The device-side MQTT client every Cherga appliance uses (paho-mqtt 2.x).

It keeps the availability convention (retained ``online``, last will ``offline``, explicit
``offline`` on a clean stop), reconnects with capped exponential backoff and resubscribes,
correlates requests with replies by ``request_id``, and never lets a bad handler or a malformed
payload stop the network thread.
"""

from __future__ import annotations

import itertools
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload
from uuid import UUID

import paho.mqtt.client as mqtt
from paho.mqtt.client import topic_matches_sub
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from hub.protocol import topics
from hub.protocol.base import DeviceRole, Message, Reply, Request
from hub.protocol.devices import DeviceState, Fault, PhoneStatus
from hub.protocol.errors import ProtocolError
from hub.protocol.messages import AnyMessage, decode, encode, request_id_of
from hub.protocol.tls import (
    ClientTls,
    client_context,
    describe_handshake_error,
    report_handshake_errors,
)

logger = logging.getLogger(__name__)

Handler = Callable[[topics.Topic, AnyMessage], None]
RawHandler = Callable[[str, bytes], None]
ConnectionListener = Callable[[bool], None]
R = TypeVar("R", bound=Reply)


def no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """paho's on_socket_open: send small packets at once (paho 2.2 leaves Nagle on).

    Without it a QoS 1 request/reply waits on Nagle plus delayed ACK, about 44 ms (STACK_NOTES).
    """
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        logger.debug("TCP_NODELAY not available on this socket")


class RequestTimeout(TimeoutError):
    """No reply came in time; the request may still be carried out (requests are idempotent)."""


@dataclass(frozen=True, slots=True)
class _Subscription:
    filter: str
    decoded: Handler | None = None
    raw: RawHandler | None = None


class DeviceClient:
    """One appliance's link to the hub; build it, ``start()`` it, ``close()`` it."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        site: str,
        device: str,
        role: DeviceRole,
        username: str | None = None,
        password: str | None = None,
        version: str | None = None,
        protocol: Literal["5", "3.1.1"] = "5",
        keepalive: int = 30,
        backoff_min: float = 0.5,
        backoff_max: float = 30.0,
        client_id: str | None = None,
        tls: ClientTls | None = None,
    ) -> None:
        self.site = topics.check_id(site, "site")
        self.device = topics.check_id(device, "device")
        self.role: DeviceRole = role
        self.version = version
        self.state_topic = topics.device_state(site, device)
        self._host, self._port, self._keepalive = host, port, keepalive
        self._v5 = protocol == "5"
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"{site}.{device}",
            protocol=MQTTProtocolVersion.MQTTv5 if self._v5 else MQTTProtocolVersion.MQTTv311,
            clean_session=None if self._v5 else True,
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        self._tls_error: ssl.SSLError | None = None
        self._tls = tls is not None
        self._refused = False
        if tls is not None:
            # Over TLS the broker takes the device's identity from its certificate.
            context = report_handshake_errors(client_context(tls), self._tls_failed)
            self._client.tls_set_context(context)
        # paho annotates the delays as int, but its arithmetic is float-safe.
        self._client.reconnect_delay_set(backoff_min, backoff_max)  # type: ignore[arg-type]
        self._faults: list[Fault] = []
        self._phone: PhoneStatus | None = None
        self._client.will_set(self.state_topic, self._state_payload("offline"), qos=1, retain=True)
        self._client.on_socket_open = no_delay
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._client.on_subscribe = self._on_subscribe
        self._suback_lock = threading.Lock()
        self._subacks: dict[int, threading.Event] = {}
        self._resubscribed: threading.Event | None = None
        self._lock = threading.RLock()
        self._subs: dict[int, _Subscription] = {}
        self._ids = itertools.count(1)
        self._pending: dict[UUID, Future[Reply]] = {}
        self._reply_topics: set[str] = set()
        self._listeners: dict[int, ConnectionListener] = {}
        self._connected = threading.Event()
        self._last_problem: str | None = None
        self._started = False
        self._closed = False

    # ---- lifecycle ------------------------------------------------------------------

    def start(self, wait: float | None = None) -> bool:
        """Connect in the background (retrying until it works); optionally wait for it."""
        with self._lock:
            if self._started:
                raise RuntimeError("the client is already started")
            self._started = True
        kwargs: dict[str, Any] = {"clean_start": True} if self._v5 else {}
        self._client.connect_async(self._host, self._port, self._keepalive, **kwargs)
        self._client.loop_start()
        return self.wait_connected(wait) if wait is not None else self.connected

    def close(self, timeout: float = 5.0) -> None:
        """Publish ``offline``, disconnect cleanly (no last will) and stop the network thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self.connected:
            info = self._client.publish(
                self.state_topic, self._state_payload("offline"), qos=1, retain=True
            )
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                logger.warning("could not publish offline state before closing")
        self._client.disconnect()
        self._client.loop_stop()
        self._set_connected(False)
        for future in self._take_pending():
            future.set_exception(RequestTimeout("the client was closed before the reply came"))

    def __enter__(self) -> DeviceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- connection state -------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True only between a successful CONNACK and the loss of the connection."""
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Block until connected or ``timeout`` passes; returns whether connected."""
        return self._connected.wait(timeout)

    def on_connection_change(self, listener: ConnectionListener) -> Callable[[], None]:
        """Call ``listener(connected)`` on every change (in the network thread); returns an
        unsubscribe function. UIs use it to show "hub unreachable"."""
        key = next(self._ids)
        with self._lock:
            self._listeners[key] = listener

        def remove() -> None:
            with self._lock:
                self._listeners.pop(key, None)

        return remove

    def set_faults(self, faults: list[Fault]) -> None:
        """Report the device's current faults in its retained state (empty when all is well)."""
        with self._lock:
            self._faults = list(faults)
        self._republish_state()

    def set_phone(self, status: PhoneStatus) -> None:
        """Report a phone agent's registration and busy lines in its retained state."""
        with self._lock:
            self._phone = status
        self._republish_state()

    def _republish_state(self) -> None:
        if self.connected:
            self._client.publish(
                self.state_topic, self._state_payload("online"), qos=1, retain=True
            )

    # ---- publish / subscribe ----------------------------------------------------------

    def publish(
        self, topic: str, model: Message, retain: bool = False, qos: int = 1
    ) -> mqtt.MQTTMessageInfo:
        """Publish a message; with QoS 1 paho retries it after a reconnect."""
        topics.parse(topic)  # only topics of the contract
        return self._client.publish(topic, encode(model), qos=qos, retain=retain)

    def subscribe(
        self, topic_filter: str, handler: Handler, wait: float | None = None
    ) -> Callable[[], None]:
        """Deliver decoded messages matching ``topic_filter`` to ``handler(topic, message)``;
        returns an unsubscribe function. Malformed payloads are logged and dropped. Made
        before ``start()`` (or with ``wait``), the subscription is active once connected."""
        return self._add(_Subscription(topic_filter, decoded=handler), wait)

    def subscribe_raw(
        self, topic_filter: str, handler: RawHandler, wait: float | None = None
    ) -> Callable[[], None]:
        """Like ``subscribe`` but hands over the topic string and undecoded bytes."""
        return self._add(_Subscription(topic_filter, raw=handler), wait)

    def _subscribe(self, filters: list[str]) -> threading.Event | None:
        """Send one SUBSCRIBE; the event is set when its SUBACK arrives."""
        done = threading.Event()
        # Registered under the lock so the SUBACK cannot be handled before we know its mid.
        with self._suback_lock:
            _rc, mid = self._client.subscribe([(f, 1) for f in filters])
            if mid is None:
                return None
            self._subacks[mid] = done
        return done

    def _in_network_thread(self) -> bool:
        return threading.current_thread() is getattr(self._client, "_thread", None)

    def _add(self, sub: _Subscription, wait: float | None = None) -> Callable[[], None]:
        if not sub.filter.startswith(topics.PREFIX + "/"):
            raise ProtocolError("bad_topic", f"{sub.filter!r} is not under {topics.PREFIX}/")
        key = next(self._ids)
        with self._lock:
            first = all(s.filter != sub.filter for s in self._subs.values())
            self._subs[key] = sub
        if first and self.connected:
            done = self._subscribe([sub.filter])
            if done is not None and wait is not None and not self._in_network_thread():
                done.wait(wait)

        def remove() -> None:
            with self._lock:
                gone = self._subs.pop(key, None)
                last = gone is not None and all(
                    s.filter != gone.filter for s in self._subs.values()
                )
            if gone is not None and last and self.connected:
                self._client.unsubscribe(gone.filter)

        return remove

    # ---- request / reply --------------------------------------------------------------

    @overload
    def request(
        self, topic: str, reply_topic: str, model: Request, timeout: float = ...
    ) -> Reply: ...

    @overload
    def request(
        self, topic: str, reply_topic: str, model: Request, timeout: float = ..., *, expect: type[R]
    ) -> R: ...

    def request(
        self,
        topic: str,
        reply_topic: str,
        model: Request,
        timeout: float = 5.0,
        *,
        expect: type[Reply] = Reply,
    ) -> Reply:
        """Send ``model`` and wait for the reply with its ``request_id``.

        Raises RequestTimeout when no reply comes within ``timeout`` (a late reply is dropped),
        and ProtocolError when the reply is malformed or not an ``expect``.
        """
        if self._in_network_thread():
            raise RuntimeError("request() would block the MQTT thread: call it from another one")
        what = str(getattr(model, "type", type(model).__name__))
        deadline = time.monotonic() + timeout
        self._ensure_reply_subscription(reply_topic)
        # Publishing only once connected keeps the reply subscription ahead of the request.
        if not self.wait_connected(timeout):
            raise RequestTimeout(f"{what}: the broker is unreachable")
        future: Future[Reply] = Future()
        with self._lock:
            if model.request_id in self._pending:
                raise ValueError(f"request {model.request_id} is already waiting for a reply")
            self._pending[model.request_id] = future
        try:
            self._client.publish(topic, encode(model), qos=1)
            try:
                reply = future.result(max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                link = "" if self.connected else " (the broker is unreachable)"
                raise RequestTimeout(f"no reply to {what} within {timeout:g} s{link}") from None
        finally:
            with self._lock:
                self._pending.pop(model.request_id, None)
        if not isinstance(reply, expect):
            raise ProtocolError(
                "invalid", f"expected {expect.__name__}, got {type(reply).__name__}"
            )
        return reply

    def _ensure_reply_subscription(self, reply_topic: str) -> None:
        kind = topics.parse(reply_topic).kind
        replies = (
            topics.TopicKind.KIOSK_REPLY,
            topics.TopicKind.PANEL_REPLY,
            topics.TopicKind.LINE_REPLY,
        )
        if kind not in replies:
            raise ProtocolError("bad_topic", f"{reply_topic!r} is not a reply topic")
        with self._lock:
            if reply_topic in self._reply_topics:
                return
            self._reply_topics.add(reply_topic)
        self._add(_Subscription(reply_topic, raw=self._on_reply))

    def _on_reply(self, topic: str, payload: bytes) -> None:
        try:
            reply = decode(topics.parse(topic).kind, payload)
        except ProtocolError as exc:
            # Fail the waiting request at once rather than let it time out, when we can tell.
            future = self._pending_for(request_id_of(payload))
            if future is not None:
                future.set_exception(exc)
            logger.warning("malformed reply on %s dropped: %s", topic, exc)
            return
        if not isinstance(reply, Reply):
            logger.warning("non-reply on %s dropped", topic)
            return
        future = self._pending_for(reply.request_id)
        if future is None:
            logger.info("late or unknown reply %s on %s dropped", reply.request_id, topic)
            return
        future.set_result(reply)

    def _pending_for(self, request_id: UUID | None) -> Future[Reply] | None:
        if request_id is None:
            return None
        with self._lock:
            future = self._pending.pop(request_id, None)
        return future if future is not None and not future.done() else None

    def _take_pending(self) -> list[Future[Reply]]:
        with self._lock:
            futures = list(self._pending.values())
            self._pending.clear()
        return [f for f in futures if not f.done()]

    # ---- paho callbacks (network thread) ------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if reason.is_failure:
            self._refused = True
            self._problem(f"broker refused the connection: {reason}")
            return
        self._last_problem = None
        with self._lock:
            filters = sorted({s.filter for s in self._subs.values()})
        client.publish(self.state_topic, self._state_payload("online"), qos=1, retain=True)
        logger.info("connected to %s:%s as %s", self._host, self._port, self.device)
        # "connected" waits for the SUBACK, so nothing sent after it is missed by a handler.
        done = self._subscribe(filters) if filters else None
        if done is None:
            self._set_connected(True)
        else:
            self._resubscribed = done

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: list[ReasonCode], props: Any
    ) -> None:
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            logger.warning("broker refused a subscription: %s", ", ".join(refused))
        with self._suback_lock:
            done = self._subacks.pop(mid, None)
        if done is not None:
            done.set()
            if done is self._resubscribed:
                self._resubscribed = None
                self._set_connected(True)

    def _tls_failed(self, exc: ssl.SSLError) -> None:
        self._tls_error = exc

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        failed, self._tls_error = self._tls_error, None
        if failed is not None:
            where = f"{self._host}:{self._port}"
            self._problem(
                f"cannot connect to the broker at {where}: " + describe_handshake_error(failed)
            )
        else:
            self._problem(f"cannot reach the broker at {self._host}:{self._port}")

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if self.connected and not self._closed:
            logger.warning("connection to the broker lost (%s); reconnecting", reason)
        elif self._refused:
            self._refused = False  # its CONNACK said why (_on_connect)
        elif not self._closed and not self.connected:
            failed, self._tls_error = self._tls_error, None
            where = f"the broker at {self._host}:{self._port}"
            if failed is not None:
                self._problem(f"{where} refused the connection: {describe_handshake_error(failed)}")
            else:
                self._problem(
                    f"{where} closed the connection before accepting it ({reason}): does it "
                    f"speak {'TLS' if self._tls else 'plain MQTT'} as the device's config says?"
                )
        self._set_connected(False)
        # SUBACKs of the lost connection will never come: release anyone waiting for them.
        with self._suback_lock:
            stale = list(self._subacks.values())
            self._subacks.clear()
            self._resubscribed = None
        for done in stale:
            done.set()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode, props: Any
    ) -> None:
        # MQTT 5 reports a refused publish (ACL) here; 3.1.1 brokers drop it silently.
        if reason.is_failure:
            logger.warning("broker refused publish %s: %s", mid, reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        payload = bytes(msg.payload)
        with self._lock:
            matching = [s for s in self._subs.values() if topic_matches_sub(s.filter, msg.topic)]
        parsed: tuple[topics.Topic, AnyMessage] | None = None
        malformed = False
        for sub in matching:
            try:
                if sub.raw is not None:
                    sub.raw(msg.topic, payload)
                    continue
                if parsed is None and not malformed:
                    try:
                        where = topics.parse(msg.topic)
                        parsed = (where, decode(where.kind, payload))
                    except ProtocolError as exc:
                        malformed = True
                        logger.warning("malformed message on %s dropped: %s", msg.topic, exc)
                if parsed is not None and sub.decoded is not None:
                    sub.decoded(*parsed)
            except Exception:
                logger.exception("handler for %s failed", msg.topic)

    # ---- helpers -----------------------------------------------------------------------

    def _state_payload(self, state: Literal["online", "offline"]) -> bytes:
        if state == "offline":
            return encode(DeviceState(state=state, role=self.role, version=self.version))
        with self._lock:
            faults, phone = list(self._faults), self._phone
        message = DeviceState(
            state=state, role=self.role, version=self.version, faults=faults, phone=phone
        )
        return encode(message)

    def _set_connected(self, value: bool) -> None:
        if value == self._connected.is_set():
            return
        if value:
            self._connected.set()
        else:
            self._connected.clear()
        with self._lock:
            listeners = list(self._listeners.values())
        for listener in listeners:
            try:
                listener(value)
            except Exception:
                logger.exception("connection listener failed")

    def _problem(self, text: str) -> None:
        # A broker that stays down would otherwise fill the log with one line per retry.
        if text != self._last_problem:
            logger.warning("%s; retrying with backoff", text)
            self._last_problem = text


__all__ = ["DeviceClient", "RequestTimeout"]
