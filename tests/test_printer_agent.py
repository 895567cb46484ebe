"""The printer agent end to end: the hub's Mosquitto, the coordinator, a kiosk taking tickets,
and a network printer played by a real TCP server on 127.0.0.1 (tests/fake_printer.py).

A ticket taken at the kiosk comes out of the printer and the hub records it printed; an offline
printer, paper running out mid-ticket and a broker restart are answered or recovered; a job
delivered twice (or again after the agent restarts) prints once and is answered each time; a
printer cannot read another printer's jobs.
"""

from __future__ import annotations

import json
import queue
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

import tests.fake_printer  # noqa: F401 (first: imports python-escpos without litter)

# isort: split
from firmware_config.device_config import DeviceConfig, parse_config
from hub.bootstrap import Hub
from hub.db.models import Device, PrintJob
from hub.db.models.queue import QueueTicket
from hub.protocol import topics
from hub.protocol.devices import DeviceState, PrinterJob, PrintTicket
from hub.protocol.messages import IssueTicket, KioskReply
from printers.agent import PrinterAgent
from printers.drivers import EscposDriver, make_driver
from printers.preview import interpret
from printers.settings import parse_settings
from tests.coordinator_site import Inbox, running_site, wait_for
from tests.fake_printer import FakeNetworkPrinter, FakeUsbPrinter, PrinterModel
from tests.test_coordinator import WAIT, Site, ask, make_service, rid

PRINTERS = ("printer-1", "printer-2")
SPECS = [
    ("printer", "printer-1", {}),
    ("printer", "printer-2", {}),
    ("kiosk", "kiosk-1", {"printer_id": "printer-1"}),
]


@pytest.fixture
def backend() -> str:
    """The agent does not touch the database: one backend is enough here."""
    return "sqlite"


@pytest.fixture
def site(hub: Hub) -> Iterator[Site]:
    with running_site(hub, SPECS) as (built, _coordinators):
        yield built


@pytest.fixture
def printer() -> Iterator[FakeNetworkPrinter]:
    with FakeNetworkPrinter() as fake:
        yield fake


def device_config(site: Site, device_id: str, settings: dict[str, Any]) -> DeviceConfig:
    return parse_config(
        {
            "device_id": device_id,
            "role": "printer",
            "site": "main",
            "name": device_id,
            "mqtt": site.mqtt_config(device_id),
            "settings": settings,
        }
    )


@contextmanager
def agent_for(
    site: Site,
    fake: FakeNetworkPrinter,
    state_dir: Path,
    *,
    retry_for_s: float = 30.0,
    device_id: str = "printer-1",
) -> Iterator[PrinterAgent]:
    """The agent of ``device_id`` on the fake printer, with its own broker login."""
    settings = {
        "connection": {"kind": "network", "host": fake.host, "port": fake.port, "timeout_s": 2},
        # A printer left with the wrong zone: the hub's (Kyiv) must still be the one printed.
        "ticket": {"width_mm": 80, "profile": "TM-T20II", "codepage": "CP1125", "timezone": "UTC"},
        "retry_for_s": retry_for_s,
        "backoff_min_s": 0.05,
        "backoff_max_s": 0.2,
        "status_interval_s": 0.2,
    }
    config = device_config(site, device_id, settings)
    parsed = parse_settings(config.settings)
    agent = PrinterAgent(
        config, parsed, make_driver(parsed.connection, "TM-T20II"), state_dir=state_dir
    )
    try:
        assert agent.start(wait=WAIT)
        yield agent
    finally:
        agent.stop()


class HubSide:
    """A client with the hub's login: sends jobs by hand and hears results and states."""

    def __init__(self, site: Site) -> None:
        endpoint = site.broker.endpoint
        self.results: queue.Queue[dict[str, Any]] = queue.Queue()
        self.states: queue.Queue[dict[str, Any]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4()}")
        self.client.username_pw_set(endpoint.username, endpoint.password)
        self.client.on_message = self._message
        subscribed = queue.Queue[int]()
        self.client.on_subscribe = lambda *args: subscribed.put(1)
        self.client.connect(endpoint.host, endpoint.port)
        self.client.loop_start()
        self.client.subscribe([(topics.printer_result("main", d), 1) for d in PRINTERS])
        subscribed.get(timeout=WAIT)

    def _message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.results.put({"topic": msg.topic, **json.loads(msg.payload)})

    def send(self, device: str, job: PrinterJob) -> None:
        info = self.client.publish(
            topics.printer_job("main", device), job.model_dump_json(exclude_none=True), qos=1
        )
        info.wait_for_publish(WAIT)

    def next_result(self) -> dict[str, Any]:
        return self.results.get(timeout=WAIT)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def hub_side(site: Site) -> Iterator[HubSide]:
    side = HubSide(site)
    yield side
    side.close()


def a_job(number: str = "A-007", lang: str = "uk") -> PrinterJob:
    return PrinterJob(
        job_id=uuid.uuid4(),
        ticket=PrintTicket(
            id=7,
            number=number,
            service_id=1,
            service_name="Реєстрація місця проживання",
            issued_at=datetime.now(UTC),
            lang=lang,  # type: ignore[arg-type]
            position=2,
            estimated_wait_s=600,
        ),
    )


def job_state(site: Site) -> list[tuple[str, str | None]]:
    with site.hub.sessions() as session:
        rows = session.scalars(select(PrintJob).order_by(PrintJob.created_at)).all()
        return [(row.state, row.error_code) for row in rows]


def faults(site: Site, device: str = "printer-1") -> set[str] | None:
    """The device's faults as the hub recorded them from its retained state."""
    with site.hub.sessions() as session:
        row = session.get(Device, device)
        if row is None or not row.online:
            return None
        return {fault["code"] for fault in (row.faults or [])}


def take_ticket(site: Site, service: int, lang: str = "uk") -> KioskReply:
    kiosk = next((c for c in site.clients if c.device == "kiosk-1"), None)
    if kiosk is None:
        kiosk = site.device("kiosk-1", "kiosk")
    request = IssueTicket(request_id=rid(), service_id=service, lang=lang)  # type: ignore[arg-type]
    reply: KioskReply = ask(kiosk, request, KioskReply)
    assert reply.ok, reply.error
    return reply


# ---- the happy path -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_a_ticket_from_the_kiosk_comes_out_of_the_printer(
    site: Site, printer: FakeNetworkPrinter, tmp_path: Path, lang: str
) -> None:
    service = make_service(site, "Паспортний стіл", [])
    with agent_for(site, printer, tmp_path / "state"):
        reply = take_ticket(site, service, lang)
        wait_for("the ticket printed", lambda: printer.model.printed_count() == 1)
        wait_for("the hub recorded it", lambda: job_state(site) == [("printed", None)])
        assert faults(site) == set()
    paper = interpret(printer.model.jobs[0], "TM-T20II")
    assert paper.unknown == [] and paper.codepages == ["cp1125"] and paper.cuts
    assert reply.ticket is not None and reply.ticket.number in paper.text
    assert "Паспортний стіл" in paper.text
    assert ("Ваш номер" if lang == "uk" else "Your number") in paper.text
    assert "?" not in paper.text
    # The issue time is the office's (the job names the hub's zone), not the printer's.
    with site.hub.sessions() as session:
        ticket = session.get(QueueTicket, reply.ticket.id)
        assert ticket is not None
        issued = ticket.arrived_at or ticket.created_at
    if issued.tzinfo is None:  # SQLite hands UTC back without its zone
        issued = issued.replace(tzinfo=UTC)
    kyiv = issued.astimezone(ZoneInfo("Europe/Kyiv")).strftime("%d.%m.%Y %H:%M")
    assert f"{'Видано' if lang == 'uk' else 'Issued'}: {kyiv}" in paper.text


# ---- faults ------------------------------------------------------------------------------------


def test_offline_printer_is_reported_then_recovers(
    site: Site, hub_side: HubSide, tmp_path: Path
) -> None:
    fake = FakeNetworkPrinter()
    fake.on()
    fake.off()  # the port is known, nobody listens: a printer switched off
    try:
        with agent_for(site, fake, tmp_path / "state", retry_for_s=0.5):
            job = a_job()
            hub_side.send("printer-1", job)
            result = hub_side.next_result()
            assert result["job_id"] == str(job.job_id) and result["ok"] is False
            assert result["error"]["code"] == "offline" and result["error"]["message"]
            wait_for("offline in the state", lambda: faults(site) == {"offline"})
            fake.on()
            wait_for("the fault cleared", lambda: faults(site) == set())
            assert fake.model.printed_count() == 0  # a failed job is not printed later
    finally:
        fake.off()


def test_paper_out_mid_ticket_fails_the_job_and_the_state_says_so(
    site: Site, printer: FakeNetworkPrinter, tmp_path: Path
) -> None:
    service = make_service(site, "Податки", [])
    printer.model.paper_out_after = 200
    with agent_for(site, printer, tmp_path / "state", retry_for_s=0.5):
        take_ticket(site, service)
        wait_for("failed", lambda: job_state(site) == [("failed", "paper_out")])
        wait_for("paper_out in the state", lambda: faults(site) == {"paper_out"})
        assert printer.model.jobs == [] and len(printer.model.spoiled) == 1
        printer.model.paper = "low"  # a new roll... nearly used up
        wait_for("paper low reported", lambda: faults(site) == {"paper_low"})


def test_a_ticket_cut_short_is_printed_whole_once_the_paper_is_back(
    site: Site, printer: FakeNetworkPrinter, hub_side: HubSide, tmp_path: Path
) -> None:
    printer.model.paper_out_after = 300
    with agent_for(site, printer, tmp_path / "state"):
        job = a_job()
        hub_side.send("printer-1", job)
        wait_for("paper out seen", lambda: faults(site) == {"paper_out"})
        printer.model.paper = "ok"
        result = hub_side.next_result()
        assert result == {"topic": result["topic"], "v": 1, "job_id": str(job.job_id), "ok": True}
    assert len(printer.model.jobs) == 1 and len(printer.model.spoiled) == 1
    assert "A-007" in interpret(printer.model.jobs[0], "TM-T20II").text


def test_dropped_connection_is_retried(
    site: Site, printer: FakeNetworkPrinter, hub_side: HubSide, tmp_path: Path
) -> None:
    printer.model.drop_after = 100
    with agent_for(site, printer, tmp_path / "state"):
        job = a_job()
        hub_side.send("printer-1", job)
        assert hub_side.next_result()["ok"] is True
    assert len(printer.model.jobs) == 1


def test_cover_open_on_a_usb_printer(site: Site, hub_side: HubSide, tmp_path: Path) -> None:
    model = PrinterModel(cover_open=True)
    driver = EscposDriver(lambda: FakeUsbPrinter(model), name="USB 04b8:0e15")
    config = device_config(site, "printer-1", {"connection": {"kind": "usb", "vendor_id": 0x04B8,
                                                              "product_id": 0x0E15}})  # fmt: skip
    settings = parse_settings(
        {**config.settings, "retry_for_s": 0.3, "backoff_min_s": 0.05, "status_interval_s": 0.2}
    )
    agent = PrinterAgent(config, settings, driver, state_dir=tmp_path)
    try:
        assert agent.start(wait=WAIT)
        wait_for("cover open reported", lambda: faults(site) == {"cover_open"})
        hub_side.send("printer-1", a_job())
        assert hub_side.next_result()["error"]["code"] == "cover_open"
        model.cover_open = False
        wait_for("ready", lambda: faults(site) == set())
        hub_side.send("printer-1", a_job("B-1"))
        assert hub_side.next_result()["ok"] is True
    finally:
        agent.stop()
    assert len(model.jobs) == 1 and "B-1" in interpret(model.jobs[0]).text


def test_broker_restart_while_a_job_waits_for_the_printer(site: Site, tmp_path: Path) -> None:
    service = make_service(site, "Пенсії", [])
    fake = FakeNetworkPrinter()
    fake.on()
    fake.off()
    try:
        with agent_for(site, fake, tmp_path / "state") as agent:
            take_ticket(site, service)
            wait_for("the agent is retrying", lambda: faults(site) == {"offline"})
            site.broker.broker.restart()
            # The hub must be back too: a result sent while the hub is away is not kept for it
            # (its subscription is not persistent), which is the hub's side of this contract.
            wait_for(
                "both reconnected",
                lambda: site.coordinator.connected and agent.client.connected,
            )
            fake.on()
            wait_for("printed", lambda: fake.model.printed_count() == 1)
            wait_for("recorded after the restart", lambda: job_state(site) == [("printed", None)])
    finally:
        fake.off()


# ---- idempotency and isolation ------------------------------------------------------------


def test_a_job_delivered_twice_prints_once_and_is_answered_twice(
    site: Site, printer: FakeNetworkPrinter, hub_side: HubSide, tmp_path: Path
) -> None:
    job = a_job()
    with agent_for(site, printer, tmp_path / "state"):
        hub_side.send("printer-1", job)
        hub_side.send("printer-1", job)
        first, second = hub_side.next_result(), hub_side.next_result()
    assert first["job_id"] == second["job_id"] == str(job.job_id)
    assert first["ok"] is second["ok"] is True
    assert printer.model.printed_count() == 1
    # A restarted agent remembers it (its state folder), and a new job still prints.
    with agent_for(site, printer, tmp_path / "state"):
        hub_side.send("printer-1", job)
        assert hub_side.next_result()["ok"] is True
        hub_side.send("printer-1", a_job("A-008"))
        assert hub_side.next_result()["ok"] is True
    assert printer.model.printed_count() == 2


def test_a_printer_cannot_read_another_printers_jobs(
    site: Site, printer: FakeNetworkPrinter, hub_side: HubSide, tmp_path: Path
) -> None:
    spy_inbox = Inbox()
    spy = site.device("printer-1", "printer", client_id="printer-1-spy")
    spy.subscribe(topics.printer_job("main", "printer-2"), spy_inbox, wait=WAIT)
    with agent_for(site, printer, tmp_path / "two", device_id="printer-2"):
        hub_side.send("printer-2", a_job("C-5"))
        assert hub_side.next_result()["topic"].endswith("/printer-2/result")
    assert "C-5" in interpret(printer.model.jobs[0]).text
    assert spy_inbox.items.empty()
    state = DeviceState(state="online")
    assert state.faults == []
