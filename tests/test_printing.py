"""Print jobs at the hub: a failed print is recorded, the kiosk is told, the hall reprints it."""

from __future__ import annotations

import json
import queue
import time
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.app import create_app
from hub.db.engine import transaction
from hub.db.models import PrintJob
from hub.protocol import topics
from hub.protocol.base import ErrorInfo
from hub.protocol.devices import PrinterJob, PrinterResult
from hub.protocol.messages import CheckIn, IssueTicket, KioskReply
from hub.services.queue import tickets as queue_tickets
from tests.conftest import ADMIN_PASSWORD, login
from tests.test_coordinator import WAIT, Inbox, Site, ask, make_service, rid, site  # noqa: F401


def test_failed_print_reaches_the_kiosk_and_the_hall_reprints(site: Site) -> None:  # noqa: F811
    service = make_service(site, "Паспорти", [])
    site.add("printer", "printer-2")
    kiosk = site.device("kiosk-1", "kiosk")
    printer = site.device("printer-1", "printer")
    jobs, spare_jobs = Inbox(), Inbox()
    printer.subscribe(topics.printer_job("main", "printer-1"), jobs, wait=WAIT)
    other = site.device("printer-2", "printer")
    other.subscribe(topics.printer_job("main", "printer-2"), spare_jobs, wait=WAIT)
    replies: queue.Queue[dict[str, Any]] = queue.Queue()
    kiosk.subscribe_raw(
        topics.kiosk_reply("main", "kiosk-1"),
        lambda topic, payload: replies.put(json.loads(payload)),
        wait=WAIT,
    )

    request = IssueTicket(request_id=rid(), service_id=service, lang="en")
    issued = ask(kiosk, request, KioskReply)
    assert issued.ok and issued.ticket.printed is None
    assert replies.get(timeout=WAIT)["ticket"].get("printed") is None  # the answer itself
    job = jobs.next()
    assert isinstance(job, PrinterJob) and job.ticket.lang == "en"
    failure = PrinterResult(
        job_id=job.job_id, ok=False, error=ErrorInfo(code="paper_out", message="Paper out")
    )
    printer.publish(topics.printer_result("main", "printer-1"), failure)

    # The kiosk hears again about its request: the ticket did not print.
    told = replies.get(timeout=WAIT)
    assert told["request_id"] == str(request.request_id) and told["ok"] is True
    assert told["ticket"]["number"] == "001" and told["ticket"]["printed"] is False
    # A repeated answer from the printer changes nothing and tells nobody twice.
    printer.publish(topics.printer_result("main", "printer-1"), failure)

    with TestClient(create_app(site.hub), raise_server_exceptions=False) as client:
        admin = login(client, "admin", ADMIN_PASSWORD)
        failed = client.get("/api/v1/queue/prints/failed", headers=admin).json()
        assert [(f["number"], f["error_code"], f["printer_id"]) for f in failed] == [
            ("001", "paper_out", "printer-1")
        ]
        reprint = client.post(
            f"/api/v1/queue/tickets/{issued.ticket.id}/print",
            headers=admin,
            json={"printer": "printer-2", "copies": 2},
        )
        assert reprint.status_code == 201, reprint.text
        again = spare_jobs.next()
        assert again.ticket.number == "001" and again.copies == 2
        assert again.ticket.issued_at == job.ticket.issued_at  # when it was taken, not reprinted
        other.publish(
            topics.printer_result("main", "printer-2"), PrinterResult(job_id=again.job_id, ok=True)
        )
        deadline = time.monotonic() + WAIT
        while True:
            with site.hub.sessions() as session:
                states = dict(session.execute(select(PrintJob.printer_id, PrintJob.state)).all())
            if states.get("printer-2") != "pending" or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert states == {"printer-1": "failed", "printer-2": "printed"}
        assert client.get("/api/v1/queue/prints/failed", headers=admin).json() == []
        prints = client.get(f"/api/v1/queue/tickets/{issued.ticket.id}/prints", headers=admin)
        assert [p["state"] for p in prints.json()] == ["failed", "printed"]
        # Bad input: an unknown printer, too many copies; nothing is sent.
        for body, code in (
            ({"printer": "printer-9"}, 422),
            ({"printer": "printer-2", "copies": 9}, 422),
        ):
            refused = client.post(
                f"/api/v1/queue/tickets/{issued.ticket.id}/print", headers=admin, json=body
            )
            assert refused.status_code == code, refused.text
        assert (
            client.post(
                f"/api/v1/queue/tickets/{issued.ticket.id}/print", json={"printer": "printer-2"}
            ).status_code
            == 401
        )
    assert replies.empty()  # nothing more for the kiosk: the hall's reprint is not its request
    assert uuid.UUID(told["request_id"]) == request.request_id


def test_a_checked_in_booking_prints_its_code(site: Site) -> None:  # noqa: F811
    service = make_service(site, "Консультація", [])
    with transaction(site.hub.sessions) as session:
        booked = queue_tickets.create_booking(
            session, site.ctx(), service_id=service, booked_at=site.now[0] + timedelta(minutes=10)
        )
    kiosk = site.device("kiosk-1", "kiosk")
    printer = site.device("printer-1", "printer")
    jobs = Inbox()
    printer.subscribe(topics.printer_job("main", "printer-1"), jobs, wait=WAIT)
    assert booked.booking_code is not None
    checked_in = ask(kiosk, CheckIn(request_id=rid(), booking_code=booked.booking_code), KioskReply)
    assert checked_in.ok, checked_in.error
    job = jobs.next()
    assert isinstance(job, PrinterJob)
    assert job.ticket.booking_code == booked.booking_code
    assert job.ticket.issued_at == site.now[0]  # the check-in, not the day it was booked
