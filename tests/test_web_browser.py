"""The booking form and the hall console in headless Chromium against the real hub.

The hub's app is served over TCP by uvicorn; with devices, the hub's Mosquitto, the MQTT
coordinator and real device clients run too (the ``site`` fixture). Screenshots of what a
person sees go to a scratch folder (CHERGA_SCREENSHOTS=docs/screenshots refreshes docs/).
"""

from __future__ import annotations

from datetime import datetime, time

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Project, ProjectMember
from hub.db.models.queue import QueueTicket
from hub.protocol.devices import Fault
from hub.protocol.messages import CheckIn, IssueTicket, KioskReply
from tests.browser import (
    DESKTOP,
    PHONE,
    browser,
    screenshot,
    serve,
    text_of,
    wait_for,
    wait_for_flash,
)
from tests.conftest import ADMIN_PASSWORD
from tests.test_booking import next_workday
from tests.test_coordinator import Site, ask, make_service, rid
from tests.test_coordinator import site as site  # the fixture


def add_service(hub: Hub, name: str, members: list[int]) -> int:
    with transaction(hub.sessions) as session:
        project = Project(number=name[:8], name=name, uses_queue=True)
        session.add(project)
        session.flush()
        for user_id in members:
            session.add(ProjectMember(project_id=project.id, user_id=user_id))
        return project.id


def choose_day(driver: WebDriver, base: str, day: str, companies: int = 1) -> None:
    """Step one through the form: the day and the number of companies, then "show times"."""
    date_input = driver.find_element(By.ID, "date")
    driver.execute_script("arguments[0].value = arguments[1]", date_input, day)
    size = driver.find_element(By.ID, "companies")
    size.clear()
    size.send_keys(str(companies))
    driver.find_element(By.ID, "show-slots").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "step2"), "the free times")


def fill_contact(driver: WebDriver, name: str, phone: str, slot: int = 0) -> str:
    """Pick the ``slot``-th free time and type the contact; returns the time picked."""
    label = driver.find_elements(By.CSS_SELECTOR, "label.slot")[slot]
    label.click()
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "phone").send_keys(phone)
    return str(label.find_element(By.TAG_NAME, "input").get_attribute("value"))


def errors(driver: WebDriver) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".error")]


def tickets(hub: Hub) -> list[QueueTicket]:
    with hub.sessions() as session:
        return list(session.scalars(select(QueueTicket).order_by(QueueTicket.id)))


def test_a_visitor_books_on_a_phone_prints_and_cancels(hub: Hub) -> None:
    service = add_service(hub, "Паспортний стіл", [1])
    day = next_workday(hub.today()).isoformat()
    with serve(create_app(hub)) as base, browser(PHONE) as phone:
        phone.get(f"{base}/book?lang=uk")
        assert phone.find_element(By.TAG_NAME, "h1").text == "Запис на прийом"
        screenshot(phone, "book-phone-uk")
        choose_day(phone, base, day, companies=2)
        first = phone.find_elements(By.CSS_SELECTOR, "label.slot")[0].text
        assert first == "09:00–09:20"  # two companies: two 10-minute units
        picked = fill_contact(phone, "Олена Петрук-Коваль", "+380501234567")
        screenshot(phone, "book-phone-slots-uk", full=True)
        phone.find_element(By.ID, "book").click()
        wait_for(phone, lambda d: d.find_elements(By.ID, "booking"), "the confirmation")
        code = phone.find_element(By.ID, "code").text
        assert phone.find_element(By.ID, "when-time").text == "09:00"
        assert phone.find_element(By.CSS_SELECTOR, ".qrbox svg")
        # The print button appears only with scripts, which this browser runs.
        assert phone.find_element(By.CSS_SELECTOR, "[data-print]").is_displayed()
        screenshot(phone, "booked-phone-uk", full=True)
        [ticket] = tickets(hub)
        assert (ticket.booking_code, ticket.state, ticket.project_id) == (code, "booked", service)
        assert ticket.booked_at == datetime.fromisoformat(picked)
        # Cancelling asks once more, naming the booking, before anything changes.
        phone.find_element(By.ID, "cancel").click()
        wait_for(phone, lambda d: d.find_elements(By.ID, "confirm-cancel"), "the question")
        assert phone.find_element(By.ID, "code").get_attribute("value") == code
        assert tickets(hub)[0].state == "booked"
        screenshot(phone, "cancel-phone-uk", full=True)
        phone.find_element(By.ID, "cancel").click()
        wait_for(phone, lambda d: d.find_elements(By.ID, "cancelled"), "the cancellation")
        assert tickets(hub)[0].state == "cancelled"
        # The same form in English on a desktop.
        with browser(DESKTOP) as desk:
            desk.get(f"{base}/book?lang=en")
            choose_day(desk, base, day)
            # The cancelled booking's time is free again.
            assert desk.find_elements(By.CSS_SELECTOR, "label.slot")[0].text == "09:00–09:10"
            fill_contact(desk, "Olena", "+380501234567", slot=3)
            screenshot(desk, "book-desktop-en", full=True)
            desk.get(f"{base}/book?lang=uk")
            screenshot(desk, "book-desktop-uk")


def test_two_browsers_want_the_last_place_and_one_gets_it(hub: Hub) -> None:
    add_service(hub, "Податки", [1])  # one operator: one seat per slot
    day = next_workday(hub.today()).isoformat()
    with serve(create_app(hub)) as base, browser(PHONE) as one, browser(PHONE) as two:
        for driver, name in ((one, "Олена"), (two, "Ігор")):
            driver.get(f"{base}/book?lang=en")
            choose_day(driver, base, day)
            fill_contact(driver, name, "+38050123456" + str(len(name)))
        # Both pages offer 09:00; both press "Book".
        one.find_element(By.ID, "book").click()
        two.find_element(By.ID, "book").click()
        wait_for(one, lambda d: d.find_elements(By.ID, "booking"), "the first confirmation")
        wait_for(two, lambda d: errors(d), "the second visitor's message")
        assert "This time has just been taken. Choose another one." in errors(two)
        screenshot(two, "slot-taken-phone-en", full=True)
        # The refreshed list no longer offers the taken time.
        assert two.find_elements(By.CSS_SELECTOR, "label.slot")[0].text == "09:10–09:20"
        assert [t.client_name for t in tickets(hub)] == ["Олена"]


def test_bad_input_on_the_form_is_explained_and_nothing_is_stored(hub: Hub) -> None:
    add_service(hub, "Довідки", [1])
    day = next_workday(hub.today()).isoformat()
    with serve(create_app(hub)) as base, browser(PHONE) as phone:
        phone.get(f"{base}/book?lang=en")
        choose_day(phone, base, day)
        fill_contact(phone, "<script>document.title='pwned'</script>", "12-34")
        phone.find_element(By.ID, "book").click()
        wait_for(phone, lambda d: d.find_elements(By.ID, "err-name"), "the name's message")
        assert phone.title != "pwned"
        name_error = phone.find_element(By.ID, "err-name").text
        assert "letters, spaces, apostrophes, hyphens and dots only" in name_error
        # The typed text comes back as text, not markup.
        value = phone.find_element(By.ID, "name").get_attribute("value")
        assert value == "<script>document.title='pwned'</script>"
        screenshot(phone, "book-error-phone-en", full=True)
        phone.find_element(By.ID, "name").clear()
        phone.find_element(By.ID, "name").send_keys("Petro")
        phone.find_element(By.CSS_SELECTOR, "label.slot").click()
        phone.find_element(By.ID, "book").click()
        wait_for(phone, lambda d: d.find_elements(By.ID, "err-phone"), "the phone's message")
        assert "10 to 15 digits" in phone.find_element(By.ID, "err-phone").text
        phone.get(f"{base}/book?lang=en&service=1&date=2020-01-01")
        assert "This date has passed" in " ".join(errors(phone))
        assert tickets(hub) == []


def console_login(driver: WebDriver, base: str, lang: str = "uk") -> None:
    driver.get(f"{base}/console/login?lang={lang}")
    driver.find_element(By.ID, "username").send_keys("admin")
    driver.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
    driver.find_element(By.ID, "login").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "live"), "the console")
    driver.execute_script("window.notReloaded = true")


def not_reloaded(driver: WebDriver) -> bool:
    return bool(driver.execute_script("return window.notReloaded === true"))


def row(driver: WebDriver, number: str) -> list[object]:
    return driver.find_elements(By.CSS_SELECTOR, f'tr.ticket-row[data-number="{number}"]')


def focus(driver: WebDriver, number: str, selector: str) -> WebElement:
    """Focus an element in a ticket's row (the live part then holds still) and return it."""
    element = driver.find_element(
        By.CSS_SELECTOR, f'tr.ticket-row[data-number="{number}"] {selector}'
    )
    driver.execute_script("arguments[0].focus()", element)
    return element


def test_the_console_follows_a_booking_from_the_form_to_the_call(site: Site) -> None:
    hub = site.hub
    day = next_workday(hub.today())
    # The hub's pages and its coordinator share one clock: 08:40 on a working day.
    site.now[0] = datetime.combine(day, time(8, 40), tzinfo=hub.settings.tz)
    service = make_service(site, "Паспорти", ["olena"])
    app = create_app(hub)
    app.state.clock = lambda: site.now[0]
    with serve(app) as base, browser(DESKTOP) as console, browser(PHONE) as visitor:
        console_login(console, base)
        section = f"service-{service}"
        wait_for(console, lambda d: d.find_elements(By.ID, section), "the service on the console")
        assert "Ніхто не чекає" in text_of(console, f"#{section}")

        # 1. A visitor books 09:00 today on the public form.
        visitor.get(f"{base}/book?lang=uk")
        choose_day(visitor, base, day.isoformat())
        fill_contact(visitor, "Олена", "+380501234567")
        visitor.find_element(By.ID, "book").click()
        wait_for(visitor, lambda d: d.find_elements(By.ID, "booking"), "the confirmation")
        code = visitor.find_element(By.ID, "code").text
        number = visitor.find_element(By.ID, "number").text
        wait_for(
            console,
            lambda d: "Ще записані на сьогодні: 1" in text_of(d, f"#{section}"),
            "the booking on the console",
        )

        # 2. The visitor checks in at the kiosk 5 minutes early (a real kiosk over MQTT).
        site.now[0] = datetime.combine(day, time(8, 55), tzinfo=hub.settings.tz)
        kiosk = site.device("kiosk-2", "kiosk")
        checked = ask(kiosk, CheckIn(request_id=rid(), booking_code=code), KioskReply)
        assert checked.ok, checked.error
        wait_for(console, lambda d: row(d, number), "the checked-in booking in the line")
        kind = console.execute_script(
            "return document.querySelector(`tr.ticket-row[data-number='${arguments[0]}']`)"
            ".dataset.kind",
            number,
        )
        assert kind == "booking"
        # 3. A walk-in takes a ticket at 08:55: ahead of the booking, which waits for 09:00.
        walk_in = ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply)
        assert walk_in.ok, walk_in.error
        wait_for(console, lambda d: row(d, walk_in.ticket.number), "the walk-in in the line")
        numbers = console.execute_script(
            "return [...document.querySelectorAll(`#${arguments[0]} tr.ticket-row`)]"
            ".map(r => r.dataset.number)",
            section,
        )
        assert numbers == [walk_in.ticket.number, number]
        assert not_reloaded(console)
        screenshot(console, "console-desktop-uk", full=True)

        # 4. The administrator calls the booking to window 5 by hand.
        # Focus inside the live part stops its refresh, as for a person typing there.
        window = wait_for(console, lambda d: focus(d, number, "[name=window]"), "the window field")
        window.clear()
        window.send_keys("5")
        console.find_element(
            By.CSS_SELECTOR, f'tr.ticket-row[data-number="{number}"] button.call'
        ).click()
        wait_for_flash(console, f"Талон {number} викликано до вікна 5.", "the call's outcome")
        console.execute_script("window.notReloaded = true")
        operators = text_of(console, "#operators")
        assert number in operators
        with hub.sessions() as session:
            called = session.scalar(select(QueueTicket).where(QueueTicket.number == number))
            assert called is not None and (called.state, called.window) == ("called", "5")
        assert not row(console, number)

        # 5. The walk-in is cancelled from elsewhere (the REST API): the console follows.
        token = console.get_cookie("cherga_console")
        assert token is not None
        reply = httpx.post(
            f"{base}/console/tickets/{walk_in.ticket.id}/cancel",
            cookies={"cherga_console": token["value"], "cherga_csrf": "0" * 32},
            data={"csrf": "bad"},
        )
        assert reply.status_code == 422  # no valid CSRF token: refused
        assert row(console, walk_in.ticket.number)
        button = wait_for(
            console, lambda d: focus(d, walk_in.ticket.number, "button.danger"), "cancel"
        )
        button.click()
        wait_for_flash(console, "скасовано", "the cancellation", exact=False)
        counts = text_of(console, "#counts")
        assert "1\nвикликані" in counts and "1\nскасовані" in counts
        console.get(f"{base}/console?lang=en")
        screenshot(console, "console-desktop-en", full=True)


def test_the_devices_page_shows_state_version_and_faults_live(site: Site) -> None:
    hub = site.hub
    with serve(create_app(hub)) as base, browser(DESKTOP) as console:
        console_login(console, base, lang="en")
        console.get(f"{base}/console/devices")
        console.execute_script("window.notReloaded = true")

        def state(device: str) -> str | None:
            found = console.execute_script(
                "const r = document.querySelector(`tr[data-device='${arguments[0]}']`);"
                "return r ? r.dataset.state : null;",
                device,
            )
            return None if found is None else str(found)

        def row_text(device: str) -> str:
            return text_of(console, f"tr[data-device='{device}']")

        assert state("printer-1") == "offline"
        printer = site.device("printer-1", "printer")
        wait_for(console, lambda d: state("printer-1") == "online", "the printer online")
        printer.set_faults([Fault(code="paper_out", message="Немає паперу")])
        # A known fault in the page's language (the device's own words in the tooltip).
        wait_for(console, lambda d: "out of paper" in row_text("printer-1"), "the printer's fault")
        assert "test" in row_text("printer-1")  # the version the device reported
        assert not_reloaded(console)
        screenshot(console, "devices-desktop-en", full=True)
        printer.close()
        wait_for(console, lambda d: state("printer-1") == "offline", "the printer offline")
