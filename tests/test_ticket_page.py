"""The visitor's live ticket page (issue 23) in headless Chromium at a phone's size.

Tickets are taken by a kiosk over the hub's real broker; the page is opened at the address in the
QR code decoded from the printed ticket's picture (the printer agent's own layout, drawn by the
preview); an operator's panel presses Free, Done and Recall over MQTT; the page follows by itself,
rings when called, and the visitor's cancel and "running late" reach the panel's assignment.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import tests.fake_printer  # noqa: F401 (first: imports python-escpos without litter)

# isort: split
import httpx
from fastapi import FastAPI
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.protocol import topics
from hub.protocol.devices import PrinterJob
from hub.protocol.messages import Finish, IssueTicket, KioskReply, PanelReply, Recall, SetStatus
from printers.agent import ticket_data
from printers.layout import render_ticket
from printers.preview import render_png
from printers.settings import TicketLayout
from tests.browser import PHONE, SCREENSHOTS, browser, serve, text_of, wait_for
from tests.coordinator_site import running_site
from tests.office_time import office_now
from tests.test_coordinator import WAIT, Inbox, Site, ask, login, make_service, rid
from tests.test_web_browser import console_login

PUBLIC = "https://queue.example.org"
SPECS = [
    ("printer", "printer-1", {}),
    ("kiosk", "kiosk-1", {"printer_id": "printer-1"}),
    ("panel", "panel-1", {"window": 1}),
]
# Records what the page asks of the phone (a headless browser has no motor or speaker).
RECORDER = """
window.__vibrations = [];
Object.defineProperty(navigator, "vibrate", {value: function (p) {
  window.__vibrations.push(p); return true; }});
"""


@pytest.fixture
def phone_site(hub: Hub) -> Iterator[tuple[Site, str]]:
    """The hub's broker and coordinator, a kiosk with its printer, a panel, and the web pages
    served on loopback; the hub publishes its visitors' pages at ``PUBLIC``."""
    hub.settings = hub.settings.model_copy(update={"visitor_url": PUBLIC})
    with running_site(hub, SPECS) as (site, _coordinators):
        site.now[0] = office_now(hub.settings.tz)  # the tests move the clock on by minutes
        app: FastAPI = create_app(site.hub)
        app.state.clock = lambda: site.now[0]
        with serve(app) as base:
            yield site, base


def printed_qr(job: PrinterJob, folder: Path) -> str:
    """The text of the QR code on the ticket as the printer agent lays it out."""
    import zxingcpp

    picture = folder / f"ticket-{job.ticket.number}.png"
    render_png(render_ticket(ticket_data(job), TicketLayout()), picture)
    with Image.open(picture) as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    assert len(found) == 1, f"one QR code on the ticket, found {len(found)}"
    return str(found[0].text)


def take(site: Site, service: int, lang: str = "en") -> Any:
    kiosk = next(c for c in site.clients if c.device == "kiosk-1")
    reply: KioskReply = ask(
        kiosk, IssueTicket(request_id=rid(), service_id=service, lang=lang), KioskReply
    )
    assert reply.ok and reply.ticket is not None, reply.error
    return reply.ticket


def opened(driver: WebDriver, base: str, url: str, lang: str) -> None:
    """Open the page of a public link on the test server (the proxy's part, played here)."""
    assert url.startswith(f"{PUBLIC}/t/"), url
    driver.get(f"{base}{urlsplit(url).path}?lang={lang}")
    wait_for(driver, lambda d: d.find_elements(By.ID, "tpage"), "the ticket page")


def says(driver: WebDriver, css: str, expected: str) -> None:
    wait_for(driver, lambda d: expected in text_of(d, css), f"{css} saying {expected!r}")


def alerts(driver: WebDriver) -> int:
    return int(driver.execute_script("return +document.getElementById('tpage').dataset.alerts"))


def shot(driver: WebDriver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"ticket-page-{name}.png"
    assert driver.get_screenshot_as_file(str(path))
    with Image.open(path) as image:
        # A palette keeps each picture small (docs/screenshots: under 200 KB).
        image.convert("RGB").quantize(colors=64).save(path, optimize=True)
    return path


def test_the_visitor_follows_the_ticket_from_the_printed_qr_code(
    phone_site: tuple[Site, str], tmp_path: Path
) -> None:
    pytest.importorskip("zxingcpp", reason="the kiosk extra: zxing-cpp")
    site, base = phone_site
    service = make_service(site, "Паспорти", ["olena"])
    site.device("kiosk-1", "kiosk")
    printer = site.device("printer-1", "printer")
    panel = site.device("panel-1", "panel")
    jobs, held = Inbox(), Inbox()
    printer.subscribe(topics.printer_job("main", "printer-1"), jobs, wait=WAIT)
    panel.subscribe(topics.panel_assignment("main", "panel-1"), held, wait=WAIT)

    first, second, mine = (take(site, service) for _ in range(3))
    job = jobs.next(lambda t, m: m.ticket.number == mine.number)
    link = printed_qr(job, tmp_path)
    assert link == mine.page_url and link.startswith(f"{PUBLIC}/t/")
    token = urlsplit(link).path.rsplit("/", 1)[1]
    assert len(token) == 43 and mine.number not in token

    with browser(PHONE) as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
        opened(driver, base, link, "en")
        assert text_of(driver, "#number") == mine.number
        assert text_of(driver, "#service") == "Паспорти"
        says(driver, "#headline", "You are number 3 in line (2 ahead of you)")
        says(driver, "#detail", "Estimated wait:")
        shot(driver, "waiting-en")

        # The operator serves the two ahead; the page moves by itself.
        login(panel, "olena")
        free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
        assert free.assignment.ticket.number == first.number
        says(driver, "#headline", "You are number 2 in line")
        ask(panel, Finish(request_id=rid(), ticket_id=first.id), PanelReply)
        free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
        assert free.assignment.ticket.number == second.number
        says(driver, "#headline", "You are next in line")
        assert alerts(driver) == 0

        # Called: the window in large type, the phone vibrates (and beeps, where allowed).
        ask(panel, Finish(request_id=rid(), ticket_id=second.id), PanelReply)
        free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
        assert free.assignment.ticket.number == mine.number
        says(driver, "#headline", "Please go to window 1")
        assert text_of(driver, "#window") == "1"
        assert driver.find_element(By.ID, "callbox").is_displayed()
        wait_for(driver, lambda d: alerts(d) == 1, "one alert")
        assert driver.execute_script("return window.__vibrations.length") == 1
        shot(driver, "called-en")
        # The panel sees that the visitor follows remotely.
        remote = held.next(lambda t, m: m.ticket is not None and m.ticket.remote)
        assert remote.ticket.number == mine.number

        # A recall alerts again.
        ask(panel, Recall(request_id=rid(), ticket_id=mine.id), PanelReply)
        wait_for(driver, lambda d: alerts(d) == 2, "a second alert on the recall")
        says(driver, "#detail", "Called again (1)")

        # "I am running late": the panel's card says until when; then the visitor cancels.
        driver.find_element(By.ID, "running-late").click()
        says(driver, ".flash", "We know you are running late.")
        says(driver, "#late", "We keep your place until")
        late = held.next(lambda t, m: m.ticket is not None and m.ticket.late_until is not None)
        assert late.ticket.late_until == site.now[0] + timedelta(minutes=15)
        driver.find_element(By.ID, "cancel").click()
        driver.find_element(By.ID, "cancel-yes").click()
        says(driver, ".flash", "The ticket is cancelled.")
        says(driver, "#headline", "The ticket is cancelled")
        assert held.next(lambda t, m: m.ticket is None).ticket is None  # the operator's hands
        assert not driver.find_element(By.ID, "cancel-box").is_displayed()


def test_ukrainian_page_console_mark_and_refused_tokens(phone_site: tuple[Site, str]) -> None:
    site, base = phone_site
    service = make_service(site, "Паспорти", ["olena"])
    site.device("kiosk-1", "kiosk")
    panel = site.device("panel-1", "panel")
    first, mine = take(site, service, "uk"), take(site, service, "uk")
    with browser(PHONE) as driver:
        opened(driver, base, mine.page_url, "uk")
        says(driver, "#headline", "Ви 2-й у черзі (перед вами: 1)")
        shot(driver, "waiting-uk")
        # "Running late" while waiting: Free passes the ticket over until the time is up.
        driver.find_element(By.ID, "running-late").click()
        says(driver, ".flash", "Ми знаємо, що ви запізнюєтеся.")
        with browser() as console:
            console_login(console, base, "en")
            mark = f'tr.ticket-row[data-number="{mine.number}"] .remote'
            wait_for(console, lambda d: "following remotely" in text_of(d, mark), "the mark")
            late = f'tr.ticket-row[data-number="{mine.number}"] .late'
            assert "running late until" in text_of(console, late)
        login(panel, "olena")
        free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
        assert free.assignment.ticket.number == first.number
        ask(panel, Finish(request_id=rid(), ticket_id=first.id), PanelReply)
        free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
        assert free.assignment.ticket is None  # the late visitor keeps the place, nobody else waits
        site.now[0] += timedelta(minutes=16)
        site.coordinator.housekeep()  # the time is up: the ticket goes to the free operator
        says(driver, "#headline", "Підійдіть до вікна 1")
        shot(driver, "called-uk")

    # Wrong, malformed and expired tokens: one and the same 404.
    path = urlsplit(mine.page_url).path
    with httpx.Client(base_url=base, timeout=WAIT) as client:
        assert client.get(f"{path}/state").status_code == 200
        wrong = client.get(f"/t/{secrets.token_urlsafe(32)}/state")
        short = client.get("/t/abc/state")
        assert wrong.status_code == short.status_code == 404 and wrong.text == short.text
        page = client.get(f"/t/{secrets.token_urlsafe(32)}")
        assert page.status_code == 404
        number = client.get(f"/t/{first.number}")
        assert number.status_code == 404
        site.now[0] += timedelta(days=1)
        expired = client.get(f"{path}/state")
        assert expired.status_code == 404 and expired.text == wrong.text
        cancelled = client.post(f"{path}/cancel", data={"csrf": "x"})
        assert cancelled.status_code in (404, 422)
