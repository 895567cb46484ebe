"""Settings and Access control in the back-office: reference books, parameters, users and rights.

Over HTTP (the app in process) for what the server refuses, and in headless Chromium against the
hub served by uvicorn for what people do: an administrator grants rights through the pages, the
user sees only what they allow, two people editing one record, the manual's keys, accessibility
in both languages and screenshots (CHERGA_SCREENSHOTS=docs/screenshots refreshes docs/).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import DocRight, EventType, User
from hub.services.access import rights as access
from hub.services.settings.parameters import get_global
from tests import browser as browsers
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory

TABLET = (1024, 768)
BOOK = "/office/settings/books/event-types"
USERS = "/office/access/users"


def token_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def log_in(client: TestClient, username: str, password: str) -> str:
    """Log ``client`` in to the back-office; returns a CSRF token of its pages."""
    page = client.get("/console/login?lang=en")
    answer = client.post(
        "/console/login",
        data={"csrf": token_of(page.text), "username": username, "password": password},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return token_of(client.get("/office/settings/mine?lang=en").text)


def event_types(hub: Hub) -> dict[str, tuple[str, str, bool]]:
    with hub.sessions() as session:
        rows = session.scalars(select(EventType))
        return {row.code: (row.name_uk, row.name_en, row.system) for row in rows}


def doc_rights(hub: Hub, user_id: int) -> set[tuple[str, bool, bool, bool]]:
    with hub.sessions() as session:
        rows = session.scalars(select(DocRight).where(DocRight.user_id == user_id))
        return {(r.doc_type, r.can_create, r.can_change, r.can_delete) for r in rows}


def profile_of(hub: Hub, username: str) -> access.AccessProfile:
    with hub.sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return access.load_profile(session, user)


# --- over HTTP: what the server refuses --------------------------------------------------------


def test_forged_posts_are_refused_and_change_nothing(
    hub: Hub, client: TestClient, make_user: UserFactory
) -> None:
    user_id, _headers = make_user("olena", rights={"event": "cud"}, lang="en")
    before_types = event_types(hub)
    with TestClient(create_app(hub)) as clerk:
        csrf = log_in(clerk, "olena", "user-password-1")
        # No settings right: no "Create" offered, and the server refuses a forged one.
        page = clerk.get(BOOK + "?lang=en")
        assert page.status_code == 200 and 'data-key="create"' not in page.text
        forged = clerk.post(
            BOOK + "/new",
            data={"csrf": csrf, "code": "x1", "name_uk": "Х", "name_en": "X", "sort_order": "0"},
        )
        assert forged.status_code == 403 and "Missing right" in forged.text
        # An administrator's actions: the rights grid, full access, a user's card.
        for path in (f"{USERS}/{user_id}/rights", f"{USERS}/{user_id}/full"):
            refused = clerk.post(path, data={"csrf": csrf, "doc": "settings.create"})
            assert refused.status_code == 403, path
            assert "Only an administrator may do this." in refused.text
        assert clerk.get(f"{USERS}/{user_id}/rights?lang=en").status_code == 403
        made_admin = clerk.post(
            f"{USERS}/new",
            data={
                "csrf": csrf,
                "username": "evil",
                "password": "long-enough-1",
                "employee.full_name": "Evil",
                "admin_field": "1",
                "is_admin": "on",
            },
        )
        assert made_admin.status_code == 403
    assert event_types(hub) == before_types
    assert doc_rights(hub, user_id) == {("event", True, True, True)}
    assert not profile_of(hub, "olena").full_access
    with hub.sessions() as session:
        assert session.scalar(select(User).where(User.username == "evil")) is None


def test_a_hidden_tab_is_refused_and_system_records_are_protected(
    hub: Hub, client: TestClient, make_user: UserFactory
) -> None:
    make_user("ihor", rights={"settings": "cud"}, tabs=["references.journals"], lang="en")
    with TestClient(create_app(hub)) as clerk:
        log_in(clerk, "ihor", "user-password-1")
        hidden = clerk.get(BOOK + "?lang=en")
        assert hidden.status_code == 403 and "is not available to you" in hidden.text
        menu = clerk.get("/office/settings?lang=en").text
        assert "/office/settings/books/journals" in menu and "event-types" not in menu
    with TestClient(create_app(hub)) as admin:
        csrf = log_in(admin, "admin", ADMIN_PASSWORD)
        with hub.sessions() as session:
            call = session.scalar(select(EventType).where(EventType.code == "incoming_call"))
            assert call is not None and call.system
            call_id = call.id
        card = admin.get(f"{BOOK}/{call_id}?lang=en").text
        assert 'name="name_uk"' not in card and "This is a system record" in card
        assert f"{BOOK}/{call_id}/delete" not in admin.get(BOOK + "?lang=en").text
        fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', card)
        assert fingerprint
        renamed = admin.post(
            f"{BOOK}/{call_id}",
            data={
                "csrf": csrf,
                "fingerprint": fingerprint.group(1),
                "name_en": "Renamed",
                "sort_order": "0",
            },
        )
        assert renamed.status_code == 409 and "is a system entry" in renamed.text
        deleted = admin.post(f"{BOOK}/{call_id}/delete", data={"csrf": csrf})
        assert deleted.status_code == 409 and "cannot be deleted" in deleted.text
    assert event_types(hub)["incoming_call"][1] != "Renamed"


def test_a_bad_form_shows_every_wrong_field_and_saves_nothing(hub: Hub, client: TestClient) -> None:
    before_types, before_queue = event_types(hub), None
    with hub.sessions() as session:
        before_queue = get_global(session).queue
    with TestClient(create_app(hub)) as admin:
        csrf = log_in(admin, "admin", ADMIN_PASSWORD)
        bad = admin.post(
            BOOK + "/new?lang=uk",
            data={
                "csrf": csrf,
                "code": "no spaces",
                "name_uk": "",
                "name_en": "X",
                "sort_order": "abc",
            },
        )
        assert bad.status_code == 422
        assert 'id="error-summary"' in bad.text and 'href="#f-name_uk"' in bad.text
        assert "Заповніть це поле." in bad.text and "Введіть число." in bad.text
        assert 'id="f-code" name="code" type="text" value="no spaces"' in bad.text
        page = admin.get("/office/settings/parameters/settings?lang=en").text
        fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', page)
        assert fingerprint
        wrong = admin.post(
            "/office/settings/parameters/settings?lang=en",
            data={
                "csrf": csrf,
                "fingerprint": fingerprint.group(1),
                "queue.early_checkin_minutes": "45",
                "queue.late_checkin_minutes": "-5",
                "queue.default_service_minutes": "x",
                "telephony_min_number_length": "3",
                "queue.late_booking_rule": "walk_in",
            },
        )
        assert wrong.status_code == 422 and 'href="#f-queue.late_checkin_minutes"' in wrong.text
        assert "Enter a number." in wrong.text
    assert event_types(hub) == before_types
    with hub.sessions() as session:
        assert get_global(session).queue == before_queue


# --- in real browsers ------------------------------------------------------------------------


def sign_in(
    driver: WebDriver, base: str, username: str, password: str, *, lang: str, page: str
) -> None:
    """Log in through the back-office's login and land on ``page``."""
    driver.get(f"{base}/console/login?lang={lang}&next={page}")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    wait_for(driver, lambda d: d.current_url.split("?")[0].endswith(page), f"{page} after login")


def fill(driver: WebDriver, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = driver.find_element(By.ID, f"f-{name}")
        field.clear()
        field.send_keys(value)


def submit(driver: WebDriver, what: str, expect: str) -> None:
    driver.find_element(By.ID, "save").click()
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, expect), what)


def forged_post(driver: WebDriver, path: str, data: dict[str, str]) -> int:
    """POST from the page as a forger would, with this browser's own cookie and CSRF token."""
    return int(
        driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const body = new URLSearchParams(arguments[1]);"
            "body.set('csrf', document.querySelector('input[name=csrf]').value);"
            "fetch(arguments[0], {method: 'POST', body, credentials: 'same-origin',"
            " redirect: 'manual'}).then(r => done(r.status)).catch(() => done(0));",
            path,
            data,
        )
    )


def test_an_administrator_grants_rights_and_the_user_sees_only_them(hub: Hub) -> None:
    with serve(create_app(hub)) as base, browser(DESKTOP) as admin:
        sign_in(admin, base, "admin", ADMIN_PASSWORD, lang="en", page=BOOK)
        # A record of the administrator's own, in blue beside the system ones in bold black.
        admin.find_element(By.ID, "create").click()
        fill(admin, {"code": "webinar", "name_uk": "Вебінар", "name_en": "Webinar"})
        submit(admin, "the book again", "#saved")
        own = admin.find_element(By.CSS_SELECTOR, 'tr[data-code="webinar"] td')
        system = admin.find_element(By.CSS_SELECTOR, 'tr[data-code="incoming_call"] td')
        assert own.value_of_css_property("color") == "rgba(31, 95, 191, 1)"
        assert system.value_of_css_property("font-weight") == "700"
        assert system.value_of_css_property("color") == "rgba(29, 35, 48, 1)"
        assert event_types(hub)["webinar"] == ("Вебінар", "Webinar", False)
        # A user, then their rights: settings on the event types tab only, users not at all.
        admin.get(f"{base}{USERS}/new")
        fill(
            admin,
            {
                "username": "maria",
                "password": "maria-password-1",
                "employee.full_name": "Марія Шевчук",
                "employee.email": "m@example.com",
            },
        )
        submit(admin, "the users' list", "#saved")
        admin.find_element(By.CSS_SELECTOR, 'tr[data-username="maria"] a.button').click()
        wait_for(admin, lambda d: d.find_elements(By.ID, "rights"), "the rights grid")
        for box in (
            "doc-settings-create",
            "doc-settings-change",
            "doc-event-create",
            "tab-references.event_types",
            "deny",
        ):
            admin.find_element(By.ID, box).click()
        submit(admin, "the grid saved", "#saved")
        maria = profile_of(hub, "maria")
        assert maria.can(access.Action.CREATE, access.DocType.SETTINGS)
        assert not maria.can(access.Action.DELETE, access.DocType.SETTINGS)
        assert maria.visible_tabs == {"references.event_types"}
        assert maria.deny_task_status_change
        # Full access granted, then revoked: the explicit rights go with it (ACC-5).
        admin.find_element(By.ID, "grant-full").click()
        wait_for(admin, lambda d: d.find_elements(By.ID, "full-on"), "full access")
        assert profile_of(hub, "maria").full_access
        admin.find_element(By.ID, "revoke-full").click()
        admin.switch_to.alert.accept()
        wait_for(admin, lambda d: d.find_elements(By.ID, "grant-full"), "full access revoked")
        assert doc_rights(hub, maria.user_id) == set()
        # The settings tabs and the prohibition are not rights; they stay as they were.
        assert profile_of(hub, "maria").visible_tabs == {"references.event_types"}
        for box in ("doc-settings-create", "doc-settings-change"):
            admin.find_element(By.ID, box).click()
        submit(admin, "the grid saved again", "#saved")

        with browser(DESKTOP) as user:
            sign_in(user, base, "maria", "maria-password-1", lang="uk", page="/office/settings")
            links = [
                str(a.get_attribute("href")) for a in user.find_elements(By.CSS_SELECTOR, "a.tile")
            ]
            assert any(link.endswith(BOOK) for link in links)
            assert not any("journals" in link for link in links)
            sections = text_of(user, "nav.sections")
            assert "Налаштування" in sections and "Користувачі" not in sections
            user.get(f"{base}{BOOK}")
            assert user.find_elements(By.ID, "create")  # create: granted
            assert not user.find_elements(By.CSS_SELECTOR, "form[data-key='delete']")
            user.get(f"{base}/office/settings/books/journals")
            assert "недоступна" in text_of(user, "#refused")
            # A forged POST to an administrator's action is refused and changes nothing.
            user.get(f"{base}/office/settings/mine")
            assert forged_post(user, f"/office/access/users/{maria.user_id}/full", {}) == 403
            assert forged_post(user, f"{BOOK}/{own_id(hub)}/delete", {}) == 403
            assert not profile_of(hub, "maria").full_access
            assert "webinar" in event_types(hub)


def own_id(hub: Hub) -> int:
    with hub.sessions() as session:
        found = session.scalar(select(EventType.id).where(EventType.code == "webinar"))
        assert found is not None
        return int(found)


def test_two_people_editing_one_record_the_second_is_refused(hub: Hub) -> None:
    with serve(create_app(hub)) as base, browser(DESKTOP) as one, browser(DESKTOP) as two:
        for driver in (one, two):
            sign_in(driver, base, "admin", ADMIN_PASSWORD, lang="en", page=BOOK)
        one.find_element(By.ID, "create").click()
        fill(one, {"code": "fair", "name_uk": "Ярмарок", "name_en": "Fair"})
        submit(one, "saved", "#saved")
        card = f"{base}{BOOK}/{entry_id(hub, 'fair')}"
        one.get(card)
        two.get(card)
        fill(one, {"description": "First"})
        submit(one, "the first save", "#saved")
        fill(two, {"description": "Second"})
        submit(two, "the refusal", "#error-summary")
        assert "Someone else has just changed «Fair»" in text_of(two, "#error-summary")
        assert two.switch_to.active_element.get_attribute("id") == "error-summary"
        with hub.sessions() as session:
            entry = session.get(EventType, entry_id(hub, "fair"))
            assert entry is not None and entry.description == "First"


def entry_id(hub: Hub, code: str) -> int:
    with hub.sessions() as session:
        found = session.scalar(select(EventType.id).where(EventType.code == code))
        assert found is not None
        return int(found)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_manuals_keys_work_on_a_registry(hub: Hub) -> None:
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        sign_in(driver, base, "admin", ADMIN_PASSWORD, lang="en", page=BOOK)
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.INSERT)
        wait_for(driver, lambda d: d.current_url.endswith("/new"), "Ins: a new card")
        fill(driver, {"code": "expo", "name_uk": "Виставка", "name_en": "Expo"})
        submit(driver, "saved", "#saved")
        row = driver.find_element(By.CSS_SELECTOR, 'tr[data-code="expo"]')
        driver.execute_script("arguments[0].focus()", row)
        row.send_keys(Keys.ENTER)
        wait_for(driver, lambda d: d.find_elements(By.ID, "f-name_en"), "Enter: the card")
        assert driver.find_element(By.ID, "f-name_en").get_attribute("value") == "Expo"
        driver.get(f"{base}{BOOK}")
        row = driver.find_element(By.CSS_SELECTOR, 'tr[data-code="expo"]')
        driver.execute_script("arguments[0].focus()", row)
        row.send_keys(Keys.DELETE)
        alert = driver.switch_to.alert
        assert "Expo" in alert.text
        alert.dismiss()  # asked, declined: nothing deleted
        assert "expo" in event_types(hub)
        row = driver.find_element(By.CSS_SELECTOR, 'tr[data-code="expo"]')
        driver.execute_script("arguments[0].focus()", row)
        row.send_keys(Keys.DELETE)
        driver.switch_to.alert.accept()
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "deleted")
        assert "expo" not in event_types(hub)
        # The users' registry: Ins opens a new user's card.
        driver.get(f"{base}{USERS}")
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.INSERT)
        wait_for(driver, lambda d: d.current_url.endswith(f"{USERS}/new"), "Ins: a new user")


@contextmanager
def pictures_of(hub: Hub) -> Iterator[tuple[str, int]]:
    """A served hub with a user and a record of their own, for the pictures."""
    with serve(create_app(hub)) as base:
        with TestClient(create_app(hub)) as admin:
            csrf = log_in(admin, "admin", ADMIN_PASSWORD)
            admin.post(
                BOOK + "/new",
                data={
                    "csrf": csrf,
                    "code": "webinar",
                    "name_uk": "Вебінар",
                    "name_en": "Webinar",
                    "sort_order": "100",
                },
            )
            admin.post(
                f"{USERS}/new",
                data={
                    "csrf": csrf,
                    "username": "maria",
                    "password": "maria-password-1",
                    "employee.full_name": "Марія Шевчук",
                    "employee.position": "Менеджер",
                    "crm_access": "on",
                    "lang": "uk",
                },
            )
        yield base, profile_of(hub, "maria").user_id


PAGES = {
    "reference": BOOK,
    "reference-card": BOOK + "/new",
    "parameters": "/office/settings/parameters/settings",
    "notifications": "/office/settings/parameters/notifications",
    "mine": "/office/settings/mine",
    "users": USERS,
    "user-card": USERS + "/{user}",
    "rights": USERS + "/{user}/rights",
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_page_is_accessible_in_both_languages_with_pictures(hub: Hub) -> None:
    with pictures_of(hub) as (base, user_id):
        for size, size_name in ((DESKTOP, "desktop"), (TABLET, "tablet")):
            with browser(size) as driver:
                sign_in(driver, base, "admin", ADMIN_PASSWORD, lang="uk", page="/office")
                for lang in ("uk", "en"):
                    for name, path in PAGES.items():
                        driver.get(f"{base}{path.format(user=user_id)}?lang={lang}")
                        assert (
                            driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
                        )
                        overflow = driver.execute_script(
                            "return document.documentElement.scrollWidth > window.innerWidth"
                        )
                        assert not overflow, f"{name} {lang} {size_name} is wider than the window"
                        if size_name == "desktop":
                            assert_accessible(driver, f"{name} ({lang})")
                        path_made = browsers.screenshot(driver, "x", full=True)
                        Path(path_made).rename(
                            path_made.with_name(f"office-{name}-{lang}-{size_name}.png")
                        )
                # A refused form, pictured and checked too.
                driver.get(f"{base}{BOOK}/new?lang=en")
                driver.find_element(By.ID, "save").click()
                wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "the summary")
                assert_accessible(driver, "reference card with errors")
                made = browsers.screenshot(driver, "x", full=True)
                made.rename(made.with_name(f"office-reference-errors-en-{size_name}.png"))
