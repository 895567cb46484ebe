"""The printer agent: print jobs from the hub on one ticket printer, answer, report its state.

MQTT in (``printer/{device}/job``), python-escpos out, the answer on ``printer/{device}/result``
and the printer's faults (paper low or out, cover open, offline) in the device's retained state.
Jobs run one at a time in a worker thread, never in paho's network thread, so a slow printer
never stalls the MQTT link; between jobs the same thread polls the printer's status, so only one
connection to the printer is ever open (many network printers accept just one).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from paho.mqtt.client import MQTTMessageInfo

from firmware_config.device_config import DeviceConfig
from firmware_config.i18n import Catalogue
from hub.protocol import topics
from hub.protocol.base import ErrorInfo
from hub.protocol.client import DeviceClient
from hub.protocol.devices import Fault, PrinterJob, PrinterResult
from hub.protocol.messages import AnyMessage
from printers.drivers import Driver, PrinterFault, PrinterStatus
from printers.jobstore import JobStore
from printers.layout import TicketData, load_catalogue, render_ticket
from printers.settings import PrinterSettings

logger = logging.getLogger(__name__)

VERSION = "1"


def ticket_data(job: PrinterJob) -> TicketData:
    """The layout's view of a job's ticket (position 1 means nobody is ahead)."""
    t = job.ticket
    return TicketData(
        number=t.number,
        service_name=t.service_name,
        issued_at=t.issued_at,
        lang=t.lang,
        ticket_id=t.id,
        people_ahead=None if t.position is None else max(0, t.position - 1),
        estimated_wait_s=t.estimated_wait_s,
        estimated_wait_low_s=t.estimated_wait_low_s,
        estimated_wait_high_s=t.estimated_wait_high_s,
        booking_code=t.booking_code,
        page_url=t.page_url,
        zone=t.tz,
    )


def _acked(info: MQTTMessageInfo) -> bool:
    """True once the broker acknowledged the publish (False too when it was never sent)."""
    try:
        return info.is_published()
    except (RuntimeError, ValueError):  # paho raises for a publish made while disconnected
        return False


@dataclass
class _Unacked:
    topic: str
    result: PrinterResult
    info: MQTTMessageInfo


class PrinterAgent:
    """One printer's agent; ``start()`` it, ``stop()`` it."""

    def __init__(
        self,
        config: DeviceConfig,
        settings: PrinterSettings,
        driver: Driver,
        *,
        state_dir: Path,
        catalogue: Catalogue | None = None,
    ) -> None:
        if config.role != "printer":
            raise ValueError(f"{config.device_id} is a {config.role}, not a printer")
        self.config, self.settings, self.driver = config, settings, driver
        self.catalogue = catalogue or load_catalogue()
        self.store = JobStore(state_dir)
        self.client = DeviceClient(
            **config.mqtt.client_options(),
            site=config.site,
            device=config.device_id,
            role="printer",
            version=VERSION,
        )
        self.job_topic = topics.printer_job(config.site, config.device_id)
        self.result_topic = topics.printer_result(config.site, config.device_id)
        self._jobs: queue.Queue[PrinterJob | None] = queue.Queue()
        self._stop = threading.Event()
        self._faults: list[Fault] | None = None
        self._unacked: list[_Unacked] = []
        self._lock = threading.Lock()
        self._worker = threading.Thread(target=self._work, name="printer-agent", daemon=True)

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self, wait: float | None = None) -> bool:
        """Subscribe to this printer's jobs, connect, and start the worker."""
        self.client.subscribe(self.job_topic, self._on_job)
        self.client.on_connection_change(self._on_connection)
        self._worker.start()
        return self.client.start(wait=wait)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current attempt, publish ``offline`` and disconnect."""
        self._stop.set()
        self._jobs.put(None)
        if self._worker.is_alive():
            self._worker.join(timeout)
        self.client.close()

    # ---- MQTT side (network thread) ------------------------------------------------------

    def _on_job(self, topic: topics.Topic, message: AnyMessage) -> None:
        if topic.device != self.config.device_id or not isinstance(message, PrinterJob):
            logger.warning("ignoring %s on %s", type(message).__name__, topic)
            return
        self._jobs.put(message)

    def _on_connection(self, connected: bool) -> None:
        if not connected:
            return
        # Answers sent while the broker was away may be lost with its session: send them
        # again (the hub ignores a repeated answer).
        with self._lock:
            pending, self._unacked = self._unacked, []
        for item in pending:
            if not _acked(item.info):
                self._publish(item.result)
        if self._faults is not None:
            self.client.set_faults(self._faults)

    def _publish(self, result: PrinterResult) -> None:
        info = self.client.publish(self.result_topic, result)
        with self._lock:
            self._unacked = [u for u in self._unacked if not _acked(u.info)]
            self._unacked.append(_Unacked(self.result_topic, result, info))

    # ---- worker ---------------------------------------------------------------------------

    def _message(self, code: str) -> str:
        return self.catalogue.text(self.settings.ticket.language, f"error.{code}")

    def _report(self, status: PrinterStatus | None, fault: PrinterFault | None) -> None:
        """Put the printer's faults in the retained state, when they changed."""
        faults: list[Fault] = []
        if fault is not None:
            faults.append(Fault(code=fault.code, message=self._message(fault.code)))
        if status is not None and status.paper == "low":
            faults.append(Fault(code="paper_low", message=self._message("paper_low")))
        if faults != self._faults:
            self._faults = faults
            if faults:
                logger.warning("printer faults: %s", ", ".join(f.code for f in faults))
            else:
                logger.info("printer is ready")
            self.client.set_faults(faults)

    def _poll(self) -> None:
        try:
            status = self.driver.status()
        except PrinterFault as fault:
            self._report(None, fault)
            return
        self._report(status, status.blocking)

    def _work(self) -> None:
        self._poll()
        while not self._stop.is_set():
            try:
                job = self._jobs.get(timeout=self.settings.status_interval_s)
            except queue.Empty:
                self._poll()
                continue
            if job is None:
                break
            try:
                self._handle(job)
            except Exception:
                logger.exception("job %s failed unexpectedly", job.job_id)

    def _handle(self, job: PrinterJob) -> None:
        known, error = self.store.get(job.job_id)
        if known:
            logger.info("job %s was already done: answering again, not printing", job.job_id)
            self._publish(PrinterResult(job_id=job.job_id, ok=error is None, error=error))
            return
        data = render_ticket(ticket_data(job), self.settings.ticket, self.catalogue)
        # Stopped while retrying, the job is answered as failed too, so the hall can reprint it
        # at once instead of waiting for a ticket that nobody will print.
        fault = self._print(job, data * job.copies)
        error = None
        if fault is not None:
            error = ErrorInfo(code=fault.code, message=self._message(fault.code))
            logger.warning("job %s failed: %s", job.job_id, fault)
        self.store.put(job.job_id, error)
        self._publish(PrinterResult(job_id=job.job_id, ok=error is None, error=error))

    def _print(self, job: PrinterJob, data: bytes) -> PrinterFault | None:
        """Print, retrying with backoff until ``retry_for_s`` has passed; the last fault."""
        deadline = time.monotonic() + self.settings.retry_for_s
        delay = self.settings.backoff_min_s
        while True:
            try:
                status = self.driver.print_job(data)
            except PrinterFault as fault:
                self._report(None, fault)
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    return fault
                logger.info("job %s: %s; retrying in %.1f s", job.job_id, fault, delay)
                self._stop.wait(min(delay, left))
                delay = min(delay * 2, self.settings.backoff_max_s)
                continue
            self._report(status, None)
            logger.info("job %s printed (ticket %s)", job.job_id, job.ticket.number)
            return None
