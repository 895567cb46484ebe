"""Settings / Parameters / Users (SET-9) in the back-office: an administrator picks a user and sets
their parameters; the SIP password is write-only; without the tab or the right nothing of another
user's is shown or changed, whatever a forged form says.

In headless Chromium against the hub served by uvicorn for what people do (with axe-core in both
languages), and over HTTP (the app in process) for what the server refuses.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.settings.parameters import UserParameters, get_user_parameters
from tests import browser as browsers
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, click_for_new_page, serve, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
USERS = "/office/settings/users"
SECRET = "s1p-Secret-77"
pytestmark = pytest.mark.timeout(300)


def params_of(hub: Hub, user_id: int) -> UserParameters:
    with hub.sessions() as session:
        return get_user_parameters(session, user_id)


def log_in(driver: WebDriver, base: str, username: str, password: str, lang: str) -> None:
    browsers.office_log_in(driver, base, "/office/settings", username, password, lang)


def web_login(web: TestClient, username: str, password: str) -> str:
    """Log a TestClient in to the back-office; returns a form token of its session."""
    page = web.get("/console/login?lang=en")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    reply = web.post(
        "/console/login",
        data={"csrf": token.group(1), "username": username, "password": password},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    again = re.search(r'name="csrf" value="([^"]+)"', web.get("/office/settings/mine").text)
    assert again
    return again.group(1)


def fingerprint_of(page: str) -> str:
    found = re.search(r'name="fingerprint" value="([^"]+)"', page)
    assert found
    return found.group(1)


def summary(driver: WebDriver) -> str:
    return str(
        wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "errors")[0].text
    )


@SQLITE_ONLY
def test_an_administrator_sets_a_users_parameters_and_the_password_stays_secret(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    olena, _headers = make_user("olena")
    reply = client.patch(
        f"/api/v1/users/{olena}", headers=admin_headers, json={"employee": {"sip_number": "201"}}
    )
    assert reply.status_code == 200, reply.text
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, "admin", ADMIN_PASSWORD, "en")
        driver.find_element(By.CSS_SELECTOR, f"a[href='{USERS}']").click()
        driver.find_element(By.ID, "q").send_keys("olena")
        driver.find_element(By.ID, "find").click()
        # Every user is listed before the search: wait for its page, not the old list's row.
        wait_for(driver, lambda d: "q=olena" in d.current_url, "the search")
        row = wait_for(
            driver, lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-username='olena']"), "row"
        )[0]
        row.send_keys(Keys.ENTER)  # the manual's Enter opens the chosen user
        wait_for(driver, lambda d: d.current_url.endswith(f"{USERS}/{olena}"), "her parameters")
        assert "Працівник olena" in driver.find_element(By.ID, "target-name").text
        assert driver.find_element(By.ID, "sip-number").text == "201"
        assert (
            driver.find_element(By.ID, "user-card")
            .get_attribute("href")
            .endswith(f"/office/access/users/{olena}")
        )
        assert driver.find_elements(By.ID, "f-clear_sip_password") == []  # nothing to remove
        driver.find_element(By.ID, "f-sip_password").send_keys(SECRET)
        driver.find_element(By.ID, "f-telephony_unit").send_keys("Call centre")
        driver.find_element(By.ID, "f-use_user_statuses").click()
        click_for_new_page(driver, "save")
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "saved")
        stored = params_of(hub, olena)
        assert (stored.sip_password, stored.telephony_unit) == (SECRET, "Call centre")
        assert stored.use_user_statuses
        # Never shown back: the field is empty, the page says one is set.
        assert SECRET not in driver.page_source
        assert driver.find_element(By.ID, "f-sip_password").get_attribute("value") == ""
        assert "A password is set" in driver.find_element(By.ID, "f-sip_password-hint").text
        # Saved again with the field empty: the password is kept.
        driver.find_element(By.ID, "f-birthday_reminders").click()
        click_for_new_page(driver, "save")
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "saved again")
        assert params_of(hub, olena).sip_password == SECRET
        assert params_of(hub, olena).birthday_reminders
        # A new password and "remove" at once: refused beside the field, nothing changed.
        driver.find_element(By.ID, "f-sip_password").send_keys("other-one")
        driver.find_element(By.ID, "f-clear_sip_password").click()
        driver.find_element(By.ID, "f-telephony_unit").clear()
        driver.find_element(By.ID, "save").click()
        assert "not both" in summary(driver)
        assert "not both" in driver.find_element(By.ID, "f-sip_password-error").text
        assert driver.find_element(By.ID, "f-clear_sip_password").is_selected()
        assert params_of(hub, olena).sip_password == SECRET
        assert params_of(hub, olena).telephony_unit == "Call centre"
        # "Remove" alone removes it.
        driver.get(f"{base}{USERS}/{olena}")
        driver.find_element(By.ID, "f-clear_sip_password").click()
        click_for_new_page(driver, "save")
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "removed")
        assert params_of(hub, olena).sip_password is None
        assert "No password is set" in driver.find_element(By.ID, "f-sip_password-hint").text
        # A wrong value: beside its field, nothing stored.
        days = driver.find_element(By.ID, "f-birthday_days_ahead")
        days.clear()
        days.send_keys("400")
        driver.find_element(By.ID, "save").click()
        summary(driver)
        assert driver.find_elements(By.ID, "f-birthday_days_ahead-error")
        assert params_of(hub, olena).birthday_days_ahead == 7


def test_without_the_tab_or_the_right_another_users_parameters_are_refused(
    hub: Hub, client: TestClient, make_user: UserFactory
) -> None:
    olena, _headers = make_user("olena")
    make_user("ihor", rights={"settings": "cud"}, tabs=["references.journals"], lang="en")
    make_user("vira", lang="en")  # every tab (none marked), but no settings right
    with TestClient(create_app(hub)) as admin:
        web_login(admin, "admin", ADMIN_PASSWORD)
        shown = fingerprint_of(admin.get(f"{USERS}/{olena}").text)
    forged = {
        "fingerprint": shown,
        "sip_password": "forged-1",
        "corporate_mail_delivery": "one",
        "birthday_days_ahead": "3",
    }
    with TestClient(create_app(hub)) as ihor:
        csrf = web_login(ihor, "ihor", "user-password-1")
        # No Users tab: neither the list nor another's form, nor a forged save.
        assert ihor.get(USERS).status_code == 403
        refused = ihor.get(f"{USERS}/{olena}?lang=en")
        assert refused.status_code == 403 and "is not available to you" in refused.text
        assert USERS not in ihor.get("/office/settings?lang=en").text
        reply = ihor.post(f"{USERS}/{olena}", data={"csrf": csrf, **forged})
        assert reply.status_code == 403
        # Even with wrong values: the right is checked first.
        bad = {**forged, "birthday_days_ahead": "x"}
        assert ihor.post(f"{USERS}/{olena}", data={"csrf": csrf, **bad}).status_code == 403
        # One's own are readable, and changing them needs the tab too (as in the API).
        assert ihor.get("/office/settings/mine").status_code == 200
        assert ihor.post("/office/settings/mine", data={"csrf": csrf, **forged}).status_code == 403
    with TestClient(create_app(hub)) as vira:
        csrf = web_login(vira, "vira", "user-password-1")
        # The tab without the right: read-only, no save offered, a forged save refused.
        page = vira.get(f"{USERS}/{olena}?lang=en")
        assert page.status_code == 200
        assert 'id="read-only"' in page.text and 'id="save"' not in page.text
        reply = vira.post(f"{USERS}/{olena}", data={"csrf": csrf, **forged})
        assert reply.status_code == 403
        assert vira.get(f"{USERS}/999999").status_code == 404
    with TestClient(create_app(hub)) as admin:
        web_login(admin, "admin", ADMIN_PASSWORD)
        # Without the form token even an administrator's save is refused.
        assert admin.post(f"{USERS}/{olena}", data={"csrf": "x.y", **forged}).status_code == 422
    assert params_of(hub, olena) == UserParameters()


def test_two_people_saving_one_users_parameters_the_second_is_refused(
    hub: Hub, client: TestClient, make_user: UserFactory
) -> None:
    olena, _headers = make_user("olena")
    with TestClient(create_app(hub)) as first, TestClient(create_app(hub)) as second:
        tokens = [web_login(web, "admin", ADMIN_PASSWORD) for web in (first, second)]
        shown = [fingerprint_of(web.get(f"{USERS}/{olena}").text) for web in (first, second)]
        body = {"corporate_mail_delivery": "all", "birthday_days_ahead": "7"}
        saved = first.post(
            f"{USERS}/{olena}",
            data={"csrf": tokens[0], "fingerprint": shown[0], **body, "mail_unit": "Sales"},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        stale = second.post(
            f"{USERS}/{olena}?lang=en",
            data={"csrf": tokens[1], "fingerprint": shown[1], **body, "mail_unit": "Support"},
        )
        assert stale.status_code == 409
        assert "Someone else has just changed «Працівник olena»" in stale.text
    assert params_of(hub, olena).mail_unit == "Sales"


@SQLITE_ONLY
def test_the_users_parameters_pages_are_accessible_in_both_languages(
    hub: Hub, client: TestClient, make_user: UserFactory
) -> None:
    olena, _headers = make_user("olena")
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, "admin", ADMIN_PASSWORD, "uk")
        for lang in ("uk", "en"):
            for name, path in (
                ("settings-users", USERS),
                ("settings-user", f"{USERS}/{olena}"),
                ("settings-mine", "/office/settings/mine"),
            ):
                driver.get(f"{base}{path}?lang={lang}")
                assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
                assert_accessible(driver, f"{name} ({lang})")
                browsers.screenshot(driver, f"office-{name}-{lang}", full=True)
            # With a password set (its "remove" box) and a refused value.
            driver.get(f"{base}{USERS}/{olena}?lang={lang}")
            driver.find_element(By.ID, "f-sip_password").send_keys(SECRET)
            driver.find_element(By.ID, "save").click()
            wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "saved")
            days = driver.find_element(By.ID, "f-birthday_days_ahead")
            days.clear()
            days.send_keys("-1")
            driver.find_element(By.ID, "save").click()
            summary(driver)
            assert driver.find_elements(By.ID, "f-clear_sip_password")
            assert_accessible(driver, f"settings-user with errors ({lang})")
            browsers.screenshot(driver, f"office-settings-user-errors-{lang}", full=True)
