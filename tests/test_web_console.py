"""The hall console's actions in headless Chromium against the real hub, broker and devices.

A reprint on a chosen printer reaches the real printer agent (printers/agent.py, with its own
broker login) and comes out of a TCP printer on 127.0.0.1; a desk ticket is issued for a client
found by phone or name; tickets are moved between and within lines; a queue is switched off and
on. Each change that arrives over MQTT shows on the open console without a reload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

import tests.fake_printer  # noqa: F401 (first: imports python-escpos without litter)

# isort: split
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Client, Event, Project
from hub.db.models.queue import QueueTicket
from hub.protocol.messages import IssueTicket, KioskReply, ListServices
from hub.services.clients import clients
from printers.preview import interpret
from tests.browser import DESKTOP, browser, screenshot, serve, text_of, wait_for, wait_for_flash
from tests.coordinator_site import running_site
from tests.fake_printer import FakeNetworkPrinter
from tests.test_coordinator import Site, ask, make_service, rid
from tests.test_coordinator import site as site  # the fixture
from tests.test_printer_agent import agent_for
from tests.test_web_browser import console_login, focus, not_reloaded, row

PRINTER_SITE = [
    ("printer", "printer-1", {}),
    ("printer", "printer-2", {}),
    ("kiosk", "kiosk-1", {"printer_id": "printer-1"}),
]


PRINTED_ON_TWO = ("printer-2", "printed")


@pytest.fixture
def print_site(hub: Hub) -> Iterator[Site]:
    """The hub's broker and coordinator with two printers and a kiosk printing on the first."""
    with running_site(hub, PRINTER_SITE) as (built, _coordinators):
        yield built


@pytest.fixture
def jammed() -> Iterator[FakeNetworkPrinter]:
    """A network printer whose paper runs out in the middle of the first ticket."""
    with FakeNetworkPrinter() as fake:
        fake.model.paper_out_after = 200
        yield fake


@pytest.fixture
def switched_off() -> Iterator[FakeNetworkPrinter]:
    """A network printer that is off until the test switches it on (at the same port)."""
    fake = FakeNetworkPrinter()
    fake.on()
    fake.off()
    try:
        yield fake
    finally:
        fake.off()


def take_ticket(site: Site, kiosk: str, service: int) -> str:
    client = next((c for c in site.clients if c.device == kiosk), None) or site.device(
        kiosk, "kiosk"
    )
    reply: KioskReply = ask(client, IssueTicket(request_id=rid(), service_id=service), KioskReply)
    assert reply.ok and reply.ticket is not None, reply.error
    return reply.ticket.number


def badge_is(service: int, text: str) -> Callable[[WebDriver], bool]:
    """A wait_for check: the service's queue badge on the console says ``text``."""

    def check(driver: WebDriver) -> bool:
        return bool(text_of(driver, f"#service-{service} .badge") == text)

    return check


def live_rows(driver: WebDriver, selector: str, attribute: str) -> list[str]:
    found = driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])]"
        ".map(r => r.getAttribute(arguments[1]))",
        selector,
        attribute,
    )
    return [str(value) for value in found]


def print_states(driver: WebDriver, number: str) -> list[tuple[str, str]]:
    """(printer, state) of the ticket's prints in the console's "prints today", newest first."""
    found = driver.execute_script(
        "return [...document.querySelectorAll("
        "`#prints tr.print-row[data-number='${arguments[0]}']`)]"
        ".map(r => [r.dataset.printer, r.dataset.state])",
        number,
    )
    return [(str(printer), str(state)) for printer, state in found]


def test_a_reprint_on_a_chosen_printer_reaches_the_printer_agent(
    print_site: Site,
    jammed: FakeNetworkPrinter,
    switched_off: FakeNetworkPrinter,
    tmp_path: Path,
) -> None:
    site = print_site
    hub = site.hub
    service = make_service(site, "Довідки", [])
    app = create_app(hub)
    app.state.clock = lambda: site.now[0]
    with (
        agent_for(site, jammed, tmp_path / "one", retry_for_s=0.5, device_id="printer-1"),
        agent_for(site, switched_off, tmp_path / "two", retry_for_s=60, device_id="printer-2"),
        serve(app) as base,
        browser(DESKTOP) as console,
    ):
        console_login(console, base, lang="en")
        assert "Nothing printed today yet." in text_of(console, "#prints")

        # A visitor takes a ticket at the kiosk; its printer runs out of paper mid-ticket.
        number = take_ticket(site, "kiosk-1", service)
        wait_for(
            console,
            lambda d: live_rows(d, "#failed-prints tr.failed-row", "data-number") == [number],
            "the failed print in the console's list",
        )
        assert print_states(console, number) == [("printer-1", "failed")]
        assert "out of paper" in text_of(console, "#failed-prints")
        assert not_reloaded(console)
        assert jammed.model.jobs == [] and len(jammed.model.spoiled) == 1

        # A minute later the administrator reprints it on the other printer (off for now).
        site.now[0] += timedelta(minutes=1)
        chooser = wait_for(
            console,
            lambda d: d.find_element(
                By.CSS_SELECTOR, f'#failed-prints tr[data-number="{number}"] select'
            ),
            "the failed print's printer list",
        )
        console.execute_script("arguments[0].focus()", chooser)
        assert Select(chooser).first_selected_option.get_attribute("value") == "printer-1"
        Select(chooser).select_by_value("printer-2")
        console.find_element(
            By.CSS_SELECTOR, f'#failed-prints tr[data-number="{number}"] button.reprint'
        ).click()
        wait_for_flash(console, f"Ticket {number} sent to the printer.", "the reprint's outcome")
        console.execute_script("window.notReloaded = true")
        assert print_states(console, number)[0] == ("printer-2", "pending")
        screenshot(console, "console-prints-desktop-en", full=True)

        # The printer comes on: the agent prints, the hub records it, the console follows.
        switched_off.on()
        wait_for(
            console,
            lambda d: (
                print_states(d, number) == [("printer-2", "printed"), ("printer-1", "failed")]
            ),
            "the reprint shown as printed",
        )
        assert live_rows(console, "#failed-prints tr.failed-row", "data-number") == []
        assert not_reloaded(console)
        assert switched_off.model.printed_count() == 1
        paper = interpret(switched_off.model.jobs[0], "TM-T20II")
        assert number in paper.text and "Довідки" in paper.text and "?" not in paper.text

        # A print from the line itself, on the printer chosen there.
        site.now[0] += timedelta(minutes=1)
        chooser = wait_for(console, lambda d: focus(d, number, "select[name=printer]"), "printers")
        Select(chooser).select_by_value("printer-2")
        console.find_element(
            By.CSS_SELECTOR, f'tr.ticket-row[data-number="{number}"] button.print'
        ).click()
        wait_for(console, lambda d: d.find_elements(By.ID, "flash"), "the print's outcome")
        wait_for(
            console,
            lambda d: [s for _p, s in print_states(d, number)] == ["printed", "printed", "failed"],
            "the second print shown as printed",
        )
        assert switched_off.model.printed_count() == 2
        assert number in interpret(switched_off.model.jobs[1], "TM-T20II").text


def add_client(hub: Hub, name: str, phone: str) -> int:
    with transaction(hub.sessions) as session:
        return clients.create_client(session, data={"name": name, "phone": phone}).id


def test_a_desk_ticket_for_a_client_found_by_phone_or_name(site: Site) -> None:
    hub = site.hub
    service = make_service(site, "Реєстрація", [])
    first = add_client(hub, "ТОВ Ромашка", "+380441234567")
    second = add_client(hub, "ТОВ Ромашка Плюс", "+380442223344")
    add_client(hub, "ФОП Кравець", "+380501112233")
    app = create_app(hub)
    app.state.clock = lambda: site.now[0]
    with serve(app) as base, browser(DESKTOP) as console:
        console_login(console, base, lang="uk")

        # By phone: one card found, already chosen; its name and phone fill the form.
        console.find_element(By.ID, "q").send_keys("+380441234567")
        console.find_element(By.ID, "find").click()
        wait_for(console, lambda d: d.find_elements(By.ID, "found"), "the clients found")
        found = console.find_elements(By.CSS_SELECTOR, "label.found-client input")
        assert [f.get_attribute("value") for f in found] == [str(first)]
        assert found[0].is_selected()
        assert console.find_element(By.ID, "issue-name").get_attribute("value") == "ТОВ Ромашка"
        assert console.find_element(By.ID, "issue-phone").get_attribute("value") == "+380441234567"

        # By name: two cards; the administrator picks the second and says three companies.
        query = console.find_element(By.ID, "q")
        query.clear()
        query.send_keys("ромашка")
        console.find_element(By.ID, "find").click()
        wait_for(
            console,
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "label.found-client")) == 2,
            "two clients found",
        )
        pick = console.find_element(By.CSS_SELECTOR, f'#found input[value="{second}"]')
        pick.click()
        assert console.find_element(By.ID, "issue-name").get_attribute("value") == (
            "ТОВ Ромашка Плюс"
        )
        Select(console.find_element(By.ID, "issue-service")).select_by_value(str(service))
        companies = console.find_element(By.ID, "issue-companies")
        companies.clear()
        companies.send_keys("3")
        screenshot(console, "console-desk-desktop-uk", full=True)
        console.find_element(By.ID, "issue").click()
        wait_for(console, lambda d: d.find_elements(By.ID, "flash"), "the issued ticket")
        with hub.sessions() as session:
            ticket = session.scalars(select(QueueTicket)).one()
            event = session.get(Event, ticket.event_id)
            assert event is not None
            assert (ticket.client_name, ticket.phone, ticket.companies, ticket.project_id) == (
                "ТОВ Ромашка Плюс",
                "+380442223344",
                3,
                service,
            )
            assert event.client_id == second
            number = ticket.number
        assert text_of(console, "#flash") == f"Видано талон {number}."
        wait_for(console, lambda d: row(d, number), "the desk ticket in the line")
        assert "ТОВ Ромашка Плюс" in text_of(console, f'tr.ticket-row[data-number="{number}"]')


def test_tickets_are_moved_and_a_queue_is_switched_off_and_on(site: Site) -> None:
    hub = site.hub
    taxes = make_service(site, "Податки", [])
    permits = make_service(site, "Дозволи", [])
    app = create_app(hub)
    app.state.clock = lambda: site.now[0]
    with serve(app) as base, browser(DESKTOP) as console:
        console_login(console, base, lang="en")

        def line(service: int) -> list[str]:
            return live_rows(console, f"#service-{service} tr.ticket-row", "data-number")

        # Three visitors take tickets at a kiosk over the broker: the open console shows them.
        numbers = [take_ticket(site, "kiosk-2", taxes) for _ in range(3)]
        wait_for(console, lambda d: line(taxes) == numbers, "the kiosk's tickets in the line")
        assert not_reloaded(console)

        # "Move" to the same line without "first" is refused with a reason; nothing changes.
        wait_for(console, lambda d: focus(d, numbers[1], "button.move"), "move").click()
        wait_for(console, lambda d: d.find_elements(By.ID, "action-error"), "the refusal")
        assert "Say where to transfer" in text_of(console, "#action-error")
        assert line(taxes) == numbers

        # The third goes to the front of the same line.
        wait_for(console, lambda d: focus(d, numbers[2], "input[name=front]"), "first").click()
        console.find_element(
            By.CSS_SELECTOR, f'tr.ticket-row[data-number="{numbers[2]}"] button.move'
        ).click()
        wait_for_flash(console, f"Ticket {numbers[2]} moved.", "the move's outcome")
        assert line(taxes) == [numbers[2], numbers[0], numbers[1]]

        # The first goes to the other service, keeping its number.
        chooser = wait_for(console, lambda d: focus(d, numbers[0], "select.move-to"), "services")
        Select(chooser).select_by_value(str(permits))
        console.find_element(
            By.CSS_SELECTOR, f'tr.ticket-row[data-number="{numbers[0]}"] button.move'
        ).click()
        wait_for(console, lambda d: line(permits) == [numbers[0]], "the moved ticket")
        assert line(taxes) == [numbers[2], numbers[1]]
        with hub.sessions() as session:
            moved = session.scalar(select(QueueTicket).where(QueueTicket.number == numbers[0]))
            assert moved is not None and moved.project_id == permits
            event = session.get(Event, moved.event_id)
            assert event is not None and event.project_id == permits

        # "Permits" is switched off: the kiosk no longer offers it; then on again.
        kiosk = next(c for c in site.clients if c.device == "kiosk-2")

        def offered() -> set[int]:
            reply = ask(kiosk, ListServices(request_id=rid()), KioskReply)
            assert reply.ok, reply.error
            return {service.id for service in reply.services}

        assert permits in offered()
        for on in (False, True):
            button = console.find_element(
                By.CSS_SELECTOR, f"#service-{permits} .service-head button"
            )
            assert button.text == ("Turn off" if not on else "Turn on")
            button.click()
            badge = "queue on" if on else "queue off"
            wait_for(console, badge_is(permits, badge), f"the badge '{badge}'")
            with hub.sessions() as session:
                project = session.get(Project, permits)
                assert project is not None and project.uses_queue is on
            assert (permits in offered()) is on
        # Back on, the moved ticket is still waiting in its new line.
        wait_for(console, lambda d: line(permits) == [numbers[0]], "the line after the switch")


def test_the_client_card_chosen_is_checked(site: Site) -> None:
    """A deleted or unknown client card cannot be put on a desk ticket (server-side check)."""
    hub = site.hub
    service = make_service(site, "Реєстрація", [])
    gone = add_client(hub, "ТОВ Минуле", "+380441112200")
    with transaction(hub.sessions) as session:
        clients.delete_client(session, client_id=gone)
        assert session.get(Client, gone) is not None
    app = create_app(hub)
    with serve(app) as base, browser(DESKTOP) as console:
        console_login(console, base, lang="en")
        console.execute_script(
            "const f = document.querySelector('form[action=\"/console/issue\"]');"
            "const i = document.createElement('input'); i.type = 'hidden'; i.name = 'client_id';"
            "i.value = arguments[0]; f.appendChild(i);",
            str(gone),
        )
        Select(console.find_element(By.ID, "issue-service")).select_by_value(str(service))
        console.find_element(By.ID, "issue").click()
        wait_for(console, lambda d: d.find_elements(By.ID, "action-error"), "the refusal")
        with hub.sessions() as session:
            assert session.scalars(select(QueueTicket)).all() == []


def test_a_ticket_for_a_later_time_prints_at_once_and_is_checked_in_at_the_desk(
    print_site: Site, tmp_path: Path
) -> None:
    """Q-2b, the hall administrator's day: a ticket for a chosen time printed in the same step,
    the day's later bookings listed, and the visitor checked in at the desk on arrival."""
    site = print_site
    tz = site.hub.settings.tz
    morning = datetime.combine(site.now[0].astimezone(tz).date(), time(9, 0), tzinfo=tz)
    site.now[0] = morning.astimezone(UTC)
    service = make_service(site, "Довідки", [])
    app = create_app(site.hub)
    app.state.clock = lambda: site.now[0]
    with (
        FakeNetworkPrinter() as paper,
        agent_for(site, paper, tmp_path / "agent", retry_for_s=5, device_id="printer-2"),
        serve(app) as base,
        browser(DESKTOP) as console,
    ):
        console_login(console, base, lang="en")
        assert "No more bookings today." in text_of(console, "#later")
        Select(console.find_element(By.ID, "issue-service")).select_by_value(str(service))
        console.find_element(By.ID, "issue-name").send_keys("Марія")
        console.execute_script(
            "arguments[0].value = '10:30'", console.find_element(By.ID, "issue-time")
        )
        Select(console.find_element(By.ID, "issue-printer")).select_by_value("printer-2")
        console.find_element(By.ID, "issue").click()
        flash = wait_for_flash(console, "issued for 10:30", "the desk ticket", exact=False)
        number = flash.split()[1]
        # Printed in the same step, with the booking's code (the kiosk can check it in too).
        wait_for(console, lambda d: paper.model.printed_count() == 1, "the printed ticket")
        printed = interpret(paper.model.jobs[0], "TM-T20II").text
        with site.hub.sessions() as session:
            ticket = session.scalars(select(QueueTicket).where(QueueTicket.number == number)).one()
            code = ticket.booking_code
        assert number in printed and code is not None and code in printed.replace(" ", "")
        assert live_rows(console, "#later tr.later-row", "data-number") == [number]

        # Too early (the window opens 30 minutes before): refused in words, nothing changes.
        console.find_element(By.CSS_SELECTOR, f'#later tr[data-number="{number}"] button').click()
        wait_for(console, lambda d: "10:00" in text_of(d, "#action-error"), "the refusal")
        assert live_rows(console, "#later tr.later-row", "data-number") == [number]

        # The visitor comes at 10:20 and is checked in at the desk: in the line, off the list.
        site.now[0] = (morning + timedelta(minutes=80)).astimezone(UTC)
        console.get(f"{base}/console")
        console.find_element(By.CSS_SELECTOR, f'#later tr[data-number="{number}"] button').click()
        wait_for_flash(console, f"Ticket {number} checked in.", "the check-in")
        assert live_rows(console, "#later tr.later-row", "data-number") == []
        wait_for(console, lambda d: row(d, number), "the ticket in the line")
        screenshot(console, "console-later-bookings-desktop-en", full=True)
