"""Setting up the queue in the back-office, in headless Chromium against the real hub.

From an empty hub, only through pages: a service with its numbering and work group, a kiosk and
a panel registered, their config files downloaded once and started as real devices against the
hub's own Mosquitto (TLS); a ticket taken at that kiosk is called at that panel and shows on the
operators' page. Rights, bad input, a conflicting save, the keys, axe-core and both languages.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import func, select

from firmware_config.device_config import read_config
from firmware_config.hublink import HubLink
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import Project
from hub.db.models.devices import Device
from hub.protocol.base import Reply
from hub.protocol.messages import IssueTicket, KioskReply, Login, PanelReply, SetStatus
from hub.services.queue import hours
from tests import browser as web
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory
from tests.coordinator_site import running_site
from tests.test_coordinator import WAIT, Site, rid

TABLET = (1024, 768)
SIZES = {"desktop": DESKTOP, "tablet": TABLET}
# The browser tests run on SQLite: the pages' services are the API's, tested on both databases.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def empty_site(hub: Hub) -> Iterator[Site]:
    """The hub's own Mosquitto (TLS for devices) and coordinator, with no device registered."""
    with running_site(hub, []) as (built, _coordinators):
        yield built


def login(
    driver: WebDriver,
    base: str,
    username: str = "admin",
    password: str = ADMIN_PASSWORD,
    lang: str = "en",
) -> None:
    """Log in at the back-office's login and wait for the page it opens."""
    driver.get(f"{base}/console/login?lang={lang}&next=/office")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".tiles"), "the back-office's home")


def press(driver: WebDriver, key: str) -> None:
    """A key pressed where the focus is."""
    driver.switch_to.active_element.send_keys(key)


def set_time(driver: WebDriver, field_id: str, value: str) -> None:
    """A time field's value (typing into one depends on the browser's locale)."""
    element = driver.find_element(By.ID, field_id)
    driver.execute_script("arguments[0].value = arguments[1]", element, value)


def fill(driver: WebDriver, field_id: str, value: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def shot(driver: WebDriver, page: str, lang: str, size: str) -> None:
    """docs/screenshots/office-PAGE-LANG-SIZE.png (with CHERGA_SCREENSHOTS=docs/screenshots)."""
    path = web.screenshot(driver, f"office-{page}-{lang}-{size}", full=True)
    path.rename(path.with_name(path.name.removeprefix("web-")))


def downloads_to(driver: WebDriver, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )


def register_device(driver: WebDriver, base: str, folder: Path, **fields: str) -> Path:
    """Register a device on the page and download its config file; the file's path."""
    driver.get(f"{base}/office/devices/new")
    Select(driver.find_element(By.ID, "f-role")).select_by_value(fields.pop("role"))
    for name, value in fields.items():
        fill(driver, f"f-{name}", value)
    driver.find_element(By.ID, "register").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "download"), "the credentials page")
    assert text_of(driver, "#credentials code")  # the MQTT login
    driver.find_element(By.ID, "download").click()
    target = folder / f"{fields['device_id']}.toml"
    wait_for(driver, lambda d: target.is_file() and target.stat().st_size > 0, "the config file")
    return target


def ask(link: HubLink, request: Any, expect: type[Reply]) -> Any:
    """One request through the device's HubLink; its reply (fails on none within WAIT)."""
    answers: queue.Queue[Any] = queue.Queue()
    link.request(request, expect, answers.put, lambda why: answers.put(RuntimeError(why)))
    answer = answers.get(timeout=WAIT + 2)
    assert not isinstance(answer, Exception), answer
    return answer


def started(path: Path) -> HubLink:
    link = HubLink(read_config(path), version="test", dispatch=lambda call: call())
    link.start()
    deadline = time.monotonic() + WAIT
    while not link.connected:
        assert time.monotonic() < deadline, f"{path.name}: not connected"
        time.sleep(0.05)
    return link


def projects_count(hub: Hub) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count(Project.id))) or 0)


def test_an_office_is_set_up_in_the_browser_and_serves_a_visitor(
    empty_site: Site, tmp_path: Path
) -> None:
    site = empty_site
    app = create_app(site.hub)
    app.state.clock = lambda: site.now[0]
    folder = tmp_path / "downloads"
    links: list[HubLink] = []
    with serve(app) as base, browser(DESKTOP) as driver:
        downloads_to(driver, folder)
        login(driver, base)

        # 1. A service: Ins on the registry opens an empty card.
        driver.get(f"{base}/office/services")
        assert "Nothing found." in text_of(driver, "main")
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.INSERT)
        wait_for(driver, lambda d: d.current_url.endswith("/office/services/new"), "Ins: create")
        fill(driver, "f-name", "Passports")
        fill(driver, "f-prefix", "P-")
        fill(driver, "f-width", "2")
        driver.find_element(By.ID, "f-slot-graded").click()
        fill(driver, "f-step_1_companies", "1")
        fill(driver, "f-step_1_minutes", "15")
        fill(driver, "f-step_2_companies", "3")
        fill(driver, "f-step_2_minutes", "30")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "the service saved")
        assert text_of(driver, "#next-number").endswith("P-01.")
        service = int(driver.current_url.split("/office/services/")[1].split("?")[0])

        # 2. Its work group: F3 on the operator field opens the users' picker.
        field = driver.find_element(By.ID, "f-member")
        field.send_keys("adm")
        field.send_keys(Keys.F3)
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-pick]"), "the picker")
        press(driver, Keys.ENTER)
        assert field.get_attribute("value") == "admin"
        driver.find_element(By.ID, "add-member").click()
        wait_for(
            driver, lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-member='admin']"), "member"
        )

        # 3. A kiosk and a panel at window 3, each config file downloaded once.
        kiosk = register_device(
            driver, base, folder, role="kiosk", name="Hall kiosk", device_id="kiosk-1"
        )
        again = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const form = new FormData(document.getElementById('download-form'));"
            "fetch(form.get('token') ? '/office/devices/kiosk-1/config' : '', "
            "{method: 'POST', body: new URLSearchParams(form)})"
            ".then(r => r.text().then(t => done([r.status, t])));"
        )
        assert again[0] == 422 and "already downloaded" in again[1]
        panel = register_device(
            driver, base, folder, role="panel", name="Window 3", device_id="panel-3", window="3"
        )

        # 4. Both start from their files against the hub's Mosquitto over TLS.
        assert read_config(kiosk).mqtt.tls is not None
        assert read_config(panel).timezone == "Europe/Kyiv"  # the office's, for its times
        try:
            links.append(kiosk_link := started(kiosk))
            links.append(panel_link := started(panel))
            reply = ask(kiosk_link, IssueTicket(request_id=rid(), service_id=service), KioskReply)
            assert reply.ok, reply.error
            number = reply.ticket.number
            assert number == "P-01"
            logged = ask(
                panel_link,
                Login(request_id=rid(), username="admin", password=ADMIN_PASSWORD),
                PanelReply,
            )
            assert logged.ok, logged.error
            called = ask(panel_link, SetStatus(request_id=rid(), status="free"), PanelReply)
            assert called.ok, called.error
            assert called.assignment.ticket.number == number

            # 5. The operators' page shows who is at window 3 with that ticket.
            driver.get(f"{base}/office/operators")
            window = text_of(driver, "tr[data-window='3']")
            assert "Адміністратор" in window and "busy" in window, window
            assert number in text_of(driver, "#present")
            driver.get(f"{base}/office/devices")
            wait_for(
                driver,
                lambda d: (
                    d.find_element(By.CSS_SELECTOR, "tr[data-device='kiosk-1']").get_attribute(
                        "data-state"
                    )
                    == "online"
                ),
                "the kiosk online in the registry",
            )

            # 6. Keys on the registry: Enter opens a row, Del revokes after the confirmation.
            row = driver.find_element(By.CSS_SELECTOR, "tr[data-device='kiosk-1']")
            driver.execute_script("arguments[0].focus()", row)
            press(driver, Keys.ENTER)
            wait_for(driver, lambda d: d.current_url.endswith("/office/devices/kiosk-1"), "Enter")
            driver.back()
            row = wait_for(
                driver,
                lambda d: d.find_element(By.CSS_SELECTOR, "tr[data-device='kiosk-1']"),
                "the registry again",
            )
            driver.execute_script("arguments[0].focus()", row)
            press(driver, Keys.DELETE)
            alert = wait_for(driver, lambda d: d.switch_to.alert, "the confirmation")
            assert "Revoke" in alert.text
            alert.accept()
            wait_for(driver, lambda d: "revoked=1" in d.current_url, "revoked")
            # The broker cuts the revoked kiosk off, and it cannot log in again.
            deadline = time.monotonic() + WAIT
            while kiosk_link.connected:
                assert time.monotonic() < deadline, "the revoked kiosk is still connected"
                time.sleep(0.05)
        finally:
            for link in links:
                link.close()
    with site.hub.sessions() as session:
        revoked = session.get(Device, "kiosk-1")
        assert revoked is not None and revoked.revoked_at is not None


@sqlite_only
def test_rights_hide_actions_and_refuse_forged_requests(hub: Hub, make_user: UserFactory) -> None:
    make_user("viewer", rights={"device": "c"}, password="viewer-pass-1")
    app = create_app(hub)
    with serve(app) as base, browser(DESKTOP) as driver:
        login(driver, base, "viewer", "viewer-pass-1")
        # Services: no right on projects, so no Create, no Delete, no Save.
        driver.get(f"{base}/office/services")
        assert not driver.find_elements(By.CSS_SELECTOR, "[data-key='create']")
        forged = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const csrf = document.querySelector('input[name=csrf]').value;"
            "const body = new URLSearchParams({csrf, name: 'Forged', day_1_open: 'on', "
            "day_1_opens: '09:00', day_1_closes: '18:00', width: '3', start: '1', "
            "slot_minutes: '10', uses_queue: 'on'});"
            "fetch('/office/services/new', {method: 'POST', body})"
            ".then(r => r.text().then(t => done([r.status, t])));"
        )
        assert forged[0] == 403, forged
        assert projects_count(hub) == 0
        # Devices: may create, may neither revoke nor renew.
        driver.get(f"{base}/office/devices")
        assert driver.find_elements(By.CSS_SELECTOR, "[data-key='create']")
        driver.get(f"{base}/office/devices/new")
        Select(driver.find_element(By.ID, "f-role")).select_by_value("display")
        fill(driver, "f-name", "Board")
        fill(driver, "f-device_id", "display-1")
        driver.find_element(By.ID, "register").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "download"), "the credentials page")
        driver.get(f"{base}/office/devices/display-1")
        assert not driver.find_elements(By.ID, "revoke")
        assert not driver.find_elements(By.ID, "renew")
        forged = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const csrf = document.querySelector('input[name=csrf]').value;"
            "fetch('/office/devices/display-1/revoke', {method: 'POST', "
            "body: new URLSearchParams({csrf})})"
            ".then(r => done(r.status));"
        )
        assert forged == 403
    with hub.sessions() as session:
        device = session.get(Device, "display-1")
        assert device is not None and device.revoked_at is None


@sqlite_only
def test_bad_input_saves_nothing_and_a_conflicting_save_is_refused(hub: Hub) -> None:
    app = create_app(hub)
    with serve(app) as base, browser(DESKTOP) as driver:
        login(driver, base, lang="uk")
        driver.get(f"{base}/office/services/new")
        fill(driver, "f-name", " ")
        fill(driver, "f-width", "0")
        driver.find_element(By.ID, "save").click()
        summary = wait_for(driver, lambda d: text_of(d, "#error-summary"), "the error summary")
        assert "Заповніть це поле." in summary
        assert driver.find_element(By.ID, "f-name").get_attribute("aria-invalid") == "true"
        assert driver.find_element(By.ID, "f-width").get_attribute("aria-invalid") == "true"
        assert driver.switch_to.active_element.get_attribute("id") == "error-summary"
        # The rules of the domain, all at once: Monday's hours reversed, Tuesday's opening
        # time missing, a gradation going down.
        fill(driver, "f-name", "Довідки")
        fill(driver, "f-width", "3")
        set_time(driver, "f-day_1_opens", "18:00")
        set_time(driver, "f-day_1_closes", "09:00")
        set_time(driver, "f-day_2_opens", "")
        driver.find_element(By.ID, "f-slot-graded").click()
        fill(driver, "f-step_1_companies", "3")
        fill(driver, "f-step_1_minutes", "30")
        fill(driver, "f-step_2_companies", "2")
        fill(driver, "f-step_2_minutes", "40")
        driver.find_element(By.ID, "save").click()
        wait_for(
            driver,
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#error-summary li")) == 3,
            "three problems in the summary",
        )
        for name in ("day_1_closes", "day_2_opens", "step_2_companies"):
            assert driver.find_elements(By.ID, f"f-{name}-error"), name
        assert "Понеділок: час початку" in text_of(driver, "#error-summary")
        assert_accessible(driver, "the service card with errors (uk)")
        assert projects_count(hub) == 0

        # Two people on one card: the second save is refused, the first one kept.
        set_time(driver, "f-day_1_opens", "09:00")
        set_time(driver, "f-day_1_closes", "18:00")
        set_time(driver, "f-day_2_opens", "09:00")
        driver.find_element(By.ID, "f-slot-linear").click()
        driver.find_element(By.ID, "f-calling-fair").click()  # issue 20: fair calling
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "saved")
        assert driver.find_element(By.ID, "f-calling-fair").is_selected()
        service = driver.current_url.split("/office/services/")[1].split("?")[0]
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        changed = httpx.patch(
            f"{base}/api/v1/projects/{service}",
            json={"name": "Довідки і виписки"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert changed.status_code == 200, changed.text
        fill(driver, "f-description", "Мій опис")
        driver.find_element(By.ID, "save").click()
        summary = wait_for(driver, lambda d: text_of(d, "#error-summary"), "the conflict")
        assert "Довідки" in summary
    with hub.sessions() as session:
        project = session.get(Project, int(service))
        assert project is not None
        assert project.name == "Довідки і виписки" and not project.description
        assert project.calling_mode == "fair"


@sqlite_only
@pytest.mark.timeout(300)
def test_pages_are_accessible_in_both_languages_with_screenshots(
    empty_site: Site, tmp_path: Path
) -> None:
    site = empty_site
    app = create_app(site.hub)
    with serve(app) as base, browser(DESKTOP) as driver:
        downloads_to(driver, tmp_path)
        login(driver, base)
        driver.get(f"{base}/office/services/new")
        fill(driver, "f-name", "Паспортний стіл")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "a service")
        card = driver.current_url.split("?")[0]
        register_device(
            driver, base, tmp_path, role="panel", name="Вікно 1", device_id="panel-1", window="1"
        )
        pages = {
            "services": f"{base}/office/services",
            "service": card,
            "operators": f"{base}/office/operators",
            "devices": f"{base}/office/devices",
            "device-new": f"{base}/office/devices/new?role=panel",
            "device": f"{base}/office/devices/panel-1",
        }
        for lang in ("uk", "en"):
            for page, url in pages.items():
                driver.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
                assert_accessible(driver, f"{page} ({lang})")
                for size, (width, height) in SIZES.items():
                    web._viewport(driver, (width, height))
                    shot(driver, page, lang, size)
                web._viewport(driver, DESKTOP)


def week_of(hub: Hub, name: str) -> list[tuple[int, str, str]]:
    """The stored week of the service called ``name``: (weekday, opens, closes)."""
    with hub.sessions() as session:
        service = session.scalar(select(Project).where(Project.name == name))
        assert service is not None
        found = hours.opening_hours(session, service.id)
    return [(d.weekday, d.opens.strftime("%H:%M"), d.closes.strftime("%H:%M")) for d in found.days]


@sqlite_only
@pytest.mark.timeout(240)
def test_a_week_of_opening_hours_is_set_on_the_services_page(hub: Hub) -> None:
    app = create_app(hub)
    with serve(app) as base, browser(DESKTOP) as driver:
        login(driver, base)
        driver.get(f"{base}/office/services/new")
        fill(driver, "f-name", "Tax advice")
        # A new service starts with the default week: Monday to Friday, 09:00-18:00.
        for day in "1234567":
            box = driver.find_element(By.ID, f"f-day_{day}_open")
            assert box.is_selected() == (day in "12345"), day
        assert driver.find_element(By.ID, "f-day_1_opens").get_attribute("value") == "09:00"
        # By keyboard alone: Tuesday, Wednesday and Friday are closed with the space bar.
        for day in "235":
            box = driver.find_element(By.ID, f"f-day_{day}_open")
            driver.execute_script("arguments[0].focus()", box)
            press(driver, Keys.SPACE)
            assert not box.is_selected(), day
        # Every control of the week has a name that says its day.
        names = driver.execute_script(
            "return [...document.querySelectorAll('#f-hours input')]"
            ".map(i => i.labels[0].textContent.replace(/\\s+/g, ' ').trim())"
        )
        assert names[:3] == ["Monday: open", "Monday: Opens", "Monday: Closes"], names
        assert len(names) == 21
        set_time(driver, "f-day_1_closes", "13:00")
        set_time(driver, "f-day_4_opens", "12:00")
        set_time(driver, "f-day_4_closes", "20:00")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "the service saved")
        assert week_of(hub, "Tax advice") == [(1, "09:00", "13:00"), (4, "12:00", "20:00")]
        card = driver.current_url.split("?")[0]
        # The card shows the week as stored: closed days unticked and without times.
        assert not driver.find_element(By.ID, "f-day_2_open").is_selected()
        assert driver.find_element(By.ID, "f-day_2_opens").get_attribute("value") == ""
        assert driver.find_element(By.ID, "f-day_4_closes").get_attribute("value") == "20:00"
        assert_accessible(driver, "the service card with its week (en)")

        # A wrong day refuses the whole save: the new name is not kept either.
        fill(driver, "f-name", "Tax advice and more")
        set_time(driver, "f-day_4_closes", "11:00")
        driver.find_element(By.ID, "f-day_6_open").click()  # Saturday ticked, no times given
        driver.find_element(By.ID, "save").click()
        summary = wait_for(driver, lambda d: text_of(d, "#error-summary"), "the error summary")
        assert "Thursday: the opening time must come before the closing time." in summary
        assert "Saturday: give the opening time." in summary
        assert driver.switch_to.active_element.get_attribute("id") == "error-summary"
        beside = text_of(driver, "tr[data-day-errors='4'] #f-day_4_closes-error")
        assert beside.startswith("Thursday"), beside
        thursday = driver.find_element(By.ID, "f-day_4_closes")
        assert thursday.get_attribute("aria-invalid") == "true"
        assert thursday.get_attribute("aria-describedby") == "f-day_4_closes-error"
        # The summary's link takes the keyboard to the wrong time.
        driver.find_element(By.CSS_SELECTOR, "#error-summary a[href='#f-day_4_closes']").click()
        assert driver.switch_to.active_element.get_attribute("id") == "f-day_4_closes"
        assert_accessible(driver, "the service card with a wrong day (en)")
        shot(driver, "service-week-errors", "en", "desktop")
        assert week_of(hub, "Tax advice") == [(1, "09:00", "13:00"), (4, "12:00", "20:00")]

        # No open day at all is refused beside the week; Ukrainian names the days in Ukrainian.
        driver.get(f"{card}?lang=uk")
        for day in "14":
            driver.find_element(By.ID, f"f-day_{day}_open").click()
        driver.find_element(By.ID, "save").click()
        summary = wait_for(driver, lambda d: text_of(d, "#error-summary"), "the error summary")
        assert "Позначте хоча б один день" in summary
        assert driver.find_elements(By.CSS_SELECTOR, "#error-summary a[href='#f-hours']")
        assert text_of(driver, "#f-hours-error").startswith("Позначте")
        assert "Четвер: працює" in driver.execute_script(
            "return document.querySelector(\"label[for='f-day_4_open']\").textContent"
        ).replace("\n", " ")
        assert_accessible(driver, "the service card without an open day (uk)")
        shot(driver, "service-week-none", "uk", "desktop")
        assert week_of(hub, "Tax advice") == [(1, "09:00", "13:00"), (4, "12:00", "20:00")]
