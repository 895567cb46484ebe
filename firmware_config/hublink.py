"""The link between a Kivy app and the hub: MQTT in the background, results on the UI thread.

paho calls back on its network thread and a request waits for its reply; neither may touch a
widget or block the screen. ``HubLink`` runs requests on a small worker pool and hands every
result, message and connection change to a *dispatcher* (Kivy's ``Clock.schedule_once`` in the
apps; a direct call in plain tests), so app code stays single-threaded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from firmware_config.device_config import DeviceConfig
from hub.protocol import topics
from hub.protocol.base import Message, Reply, Request
from hub.protocol.client import DeviceClient, RequestTimeout
from hub.protocol.errors import ProtocolError

logger = logging.getLogger(__name__)

R = TypeVar("R", bound=Reply)
Dispatch = Callable[[Callable[[], None]], None]

REQUEST_TOPICS = {
    "kiosk": (topics.kiosk_req, topics.kiosk_reply),
    "panel": (topics.panel_req, topics.panel_reply),
}


def kivy_dispatch(call: Callable[[], None]) -> None:
    """Run ``call`` on Kivy's main thread at the next frame."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: call(), 0)


def new_request_id() -> uuid.UUID:
    """A fresh request id; keep it to resend the same request after a timeout."""
    return uuid.uuid4()


class HubLink:
    """One appliance's connection to the hub, safe to use from UI code."""

    def __init__(
        self,
        config: DeviceConfig,
        *,
        version: str | None = None,
        dispatch: Dispatch = kivy_dispatch,
        timeout: float = 8.0,
    ) -> None:
        self.config = config
        self.timeout = timeout
        self._dispatch = dispatch
        self.client = DeviceClient(
            **config.mqtt.client_options(),
            site=config.site,
            device=config.device_id,
            role=config.role,
            version=version,
        )
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"{config.role}-req")

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up now."""
        return self.client.connected

    def start(self, on_connection: Callable[[bool], None] | None = None) -> None:
        """Connect in the background; ``on_connection(up)`` runs on the UI thread on changes."""
        if on_connection is not None:
            self.client.on_connection_change(lambda up: self._dispatch(lambda: on_connection(up)))
        self.client.start()

    def close(self) -> None:
        """Say offline, disconnect and stop the workers."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()

    def subscribe(self, topic: str, handler: Callable[[Any], None]) -> Callable[[], None]:
        """Decoded messages of ``topic`` to ``handler(message)`` on the UI thread."""
        return self.client.subscribe(
            topic, lambda _topic, message: self._dispatch(lambda: handler(message))
        )

    def request(
        self,
        request: Request,
        expect: type[R],
        on_reply: Callable[[R], None],
        on_failure: Callable[[str], None],
    ) -> None:
        """Send ``request`` without blocking; the reply (or why there is none) on the UI thread.

        ``on_failure`` gets ``"timeout"`` when the hub did not answer in time (the request may
        be resent with the same request_id: the hub answers a repeat with its first answer) or
        ``"invalid"`` when the reply broke the contract.
        """
        build, answer = REQUEST_TOPICS[self.config.role]
        site, device = self.config.site, self.config.device_id

        def work() -> None:
            try:
                reply = self.client.request(
                    build(site, device), answer(site, device), request, self.timeout, expect=expect
                )
            except RequestTimeout:
                self._dispatch(lambda: on_failure("timeout"))
            except ProtocolError as exc:
                logger.warning("bad reply to %s: %s", request.request_id, exc)
                self._dispatch(lambda: on_failure("invalid"))
            else:
                self._dispatch(lambda: on_reply(reply))

        self._pool.submit(work)

    def publish(self, topic: str, message: Message, retain: bool = False) -> None:
        """Publish one message of the contract (QoS 1)."""
        self.client.publish(topic, message, retain=retain)
