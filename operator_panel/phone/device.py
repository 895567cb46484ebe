"""What the phone agent and the line agent share: the device's MQTT client for its role, one
worker thread that takes the SIP library's events in order, and the faults and the phone part
(registration, calls held) in the device state.

The SIP adapter calls ``SipListener``'s methods from its own threads; here each is queued to the
worker (``jobs.run_jobs``), so the agents' state is only ever touched by that one thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from abc import ABC, abstractmethod

from firmware_config.device_config import DeviceConfig
from hub.protocol.client import DeviceClient
from hub.protocol.devices import Fault, PhoneStatus
from operator_panel.phone.jobs import Job
from operator_panel.phone.sip import EndReason, SipCall

logger = logging.getLogger(__name__)

VERSION = "1"
STOP_WAIT = 10.0


class SipDevice(ABC):
    """A device of ``role`` on a SIP adapter: the client, the worker and the listener's queue."""

    def __init__(self, config: DeviceConfig, role: str, worker_name: str) -> None:
        if config.role != role:
            raise ValueError(f"{config.device_id} is a {config.role}, not a {role}")
        self.config = config
        self.client = DeviceClient(
            **config.mqtt.client_options(),
            site=config.site,
            device=config.device_id,
            role=role,
            version=VERSION,
        )
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._faults: list[Fault] | None = None
        self._phone: PhoneStatus | None = None
        self._worker = threading.Thread(target=self._work, name=worker_name, daemon=True)

    # ---- SipListener (library threads): queue to the worker -----------------------------------

    def incoming(self, call: SipCall) -> None:
        self._jobs.put(lambda: self._incoming(call))

    def answered(self, call: SipCall) -> None:
        self._jobs.put(lambda: self._answered(call))

    def ended(self, call: SipCall, reason: EndReason) -> None:
        self._jobs.put(lambda: self._call_ended(call, reason))

    def dtmf(self, call: SipCall, digit: str) -> None:
        self._jobs.put(lambda: self._dtmf(call.id, digit))

    def registration(self, registered: bool) -> None:
        self._jobs.put(lambda: self._registration(registered))

    # ---- shared by both agents ----------------------------------------------------------------

    def _stop_worker(self) -> None:
        """Let the worker finish its queue and its own clean-up, then return."""
        self._jobs.put(None)
        if self._worker.is_alive():
            self._worker.join(STOP_WAIT)

    def _set_faults(self, faults: list[Fault]) -> None:
        """Publish the device state's faults when they changed."""
        if faults != self._faults:
            self._faults = faults
            self.client.set_faults(faults)

    def _set_phone(self, status: PhoneStatus) -> None:
        """Publish the device state's phone part (registered, number, lines, busy) when it
        changed: the devices page shows it for an operator's phone and an office line alike."""
        if status != self._phone:
            self._phone = status
            self.client.set_phone(status)

    # ---- each agent's own (run on the worker) -------------------------------------------------

    @abstractmethod
    def _work(self) -> None:
        """The worker thread: run the jobs until None arrives, then clean up."""

    @abstractmethod
    def _incoming(self, call: SipCall) -> None:
        """A call rings."""

    @abstractmethod
    def _answered(self, call: SipCall) -> None:
        """An outgoing call was answered."""

    @abstractmethod
    def _call_ended(self, call: SipCall, reason: EndReason) -> None:
        """The call ended without us asking."""

    @abstractmethod
    def _dtmf(self, call_id: str, digit: str) -> None:
        """A DTMF digit arrived on the call."""

    @abstractmethod
    def _registration(self, registered: bool) -> None:
        """The SIP registration was won or lost."""
