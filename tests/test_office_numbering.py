"""Settings / Numbering in the back-office (SET-6): the rules, their next numbers, their cards.

In headless Chromium against the hub served by uvicorn: a rule for one project's events made
with the keys and the picker and seen giving its next number to a real event, a bad width
refused beside its field, two people on one rule, a user without the tab, axe-core in both
languages and pictures (CHERGA_SCREENSHOTS=docs/screenshots refreshes docs/).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import NumberingRule
from tests import browser as browsers
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory
from tests.test_events import add_project, create_event
from tests.test_office_settings import fill, forged_post, sign_in, submit

PAGE = "/office/settings/numbering"
TABLET = (1024, 768)
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def rules(hub: Hub) -> set[tuple[str, int | None, str, int]]:
    """(doc type, project, prefix, width) of every stored rule."""
    with hub.sessions() as session:
        rows = session.scalars(select(NumberingRule))
        return {(r.doc_type, r.project_id, r.prefix, r.width) for r in rows}


def rule_count(hub: Hub) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count(NumberingRule.id))) or 0)


def picture(driver: WebDriver, name: str, lang: str, size: str) -> None:
    """office-NAME-LANG-SIZE.png in the screenshots folder, as the other office pages."""
    made = browsers.screenshot(driver, "x", full=True)
    made.rename(made.with_name(f"office-{name}-{lang}-{size}.png"))


def focus_row(driver: WebDriver, css: str) -> None:
    row = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].focus()", row)


@sqlite_only
@pytest.mark.timeout(240)
def test_a_rule_for_one_projects_events_gives_its_next_number(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    project = add_project(hub)
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        sign_in(driver, base, "admin", ADMIN_PASSWORD, lang="en", page="/office/settings")
        # The Numbering tab is among the settings, beside the reference books.
        driver.find_element(By.CSS_SELECTOR, f"a.tile[href='{PAGE}']").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "rules"), "the numbering rules")
        assert text_of(driver, "tr[data-rule='event'] td.next") == "000001"
        # Ins: a new rule; the project is picked with F3 and Enter.
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.INSERT)
        wait_for(driver, lambda d: d.current_url.endswith(f"{PAGE}/new"), "Ins: a new rule")
        Select(driver.find_element(By.ID, "f-doc_type")).select_by_value("event")
        field = driver.find_element(By.ID, "f-project_id")
        field.send_keys("Проект")
        field.send_keys(Keys.F3)
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-pick]"), "the picker")
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        assert driver.find_element(By.ID, "v-project_id").get_attribute("value") == str(project)
        fill(driver, {"prefix": "ВК-", "width": "4", "start": "7"})
        Select(driver.find_element(By.ID, "f-reset")).select_by_value("daily")
        submit(driver, "the rule saved", "#saved")
        row = f"tr[data-rule='event-{project}']"
        assert text_of(driver, f"{row} td.next") == "ВК-0007"
        assert "every day" in text_of(driver, row)
        assert ("event", project, "ВК-", 4) in rules(hub)
        # An event of that project takes the number; the page shows the one after it.
        made = create_event(client, admin_headers, project_id=project)
        assert made["number"] == "ВК-0007"
        outside = create_event(client, admin_headers)
        assert not outside["number"].startswith("ВК-")
        driver.refresh()
        assert text_of(driver, f"{row} td.next") == "ВК-0008"

        # Enter opens the rule's card; two people save it, the second is refused.
        focus_row(driver, row)
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait_for(driver, lambda d: d.find_elements(By.ID, "f-width"), "Enter: the card")
        assert text_of(driver, "#next-number") == "ВК-0008"
        rule_id = driver.current_url.rsplit("/", 1)[1]
        changed = client.patch(
            f"/api/v1/numbering/rules/{rule_id}", headers=admin_headers, json={"prefix": "К-"}
        )
        assert changed.status_code == 200, changed.text
        fill(driver, {"width": "5"})
        submit(driver, "the conflict", "#error-summary")
        assert "Someone else has just changed «Events»" in text_of(driver, "#error-summary")
        assert ("event", project, "К-", 4) in rules(hub)
        driver.get(f"{base}{PAGE}/{rule_id}")
        fill(driver, {"width": "5"})
        submit(driver, "saved", "#saved")
        assert text_of(driver, f"{row} td.next") == "К-00008"

        # Del on a project's rule deletes it after the confirmation; a general rule has none.
        assert not driver.find_elements(
            By.CSS_SELECTOR, "tr[data-rule='event'] [data-key='delete']"
        )
        focus_row(driver, row)
        driver.switch_to.active_element.send_keys(Keys.DELETE)
        alert = wait_for(driver, lambda d: d.switch_to.alert, "the confirmation")
        assert "Events" in alert.text
        alert.accept()
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "deleted")
        assert not driver.find_elements(By.CSS_SELECTOR, row)
        assert not any(rule[1] == project for rule in rules(hub))


@sqlite_only
def test_a_bad_width_is_refused_beside_the_field_and_nothing_is_stored(hub: Hub) -> None:
    before = rules(hub)
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        sign_in(driver, base, "admin", ADMIN_PASSWORD, lang="uk", page=f"{PAGE}/new")
        Select(driver.find_element(By.ID, "f-doc_type")).select_by_value("task")
        fill(driver, {"project_id": "Такого проекту немає", "width": "13", "start": "-1"})
        submit(driver, "the error summary", "#error-summary")
        assert driver.switch_to.active_element.get_attribute("id") == "error-summary"
        beside = text_of(driver, "#f-width-error")
        assert beside == "Кількість цифр — від 1 до 12.", beside
        width = driver.find_element(By.ID, "f-width")
        assert width.get_attribute("aria-invalid") == "true"
        assert "f-width-error" in str(width.get_attribute("aria-describedby"))
        assert width.get_attribute("value") == "13"  # what was typed comes back
        assert driver.find_elements(By.ID, "f-start-error")
        assert driver.find_elements(By.CSS_SELECTOR, "#error-summary a[href='#f-width']")
        assert_accessible(driver, "the numbering card with errors (uk)")
        # Fixed width, but a project name no project has: refused beside the project.
        fill(driver, {"width": "3", "start": "1"})
        submit(driver, "the project refused", "#f-project_id-error")
        assert "Такого проекту немає" in text_of(driver, "#f-project_id-error")
        # A second general rule of a type is refused beside the type.
        fill(driver, {"project_id": ""})
        submit(driver, "the duplicate refused", "#f-doc_type-error")
        assert "уже є" in text_of(driver, "#f-doc_type-error")
    assert rules(hub) == before


@sqlite_only
def test_a_user_without_the_tab_neither_sees_it_nor_can_post(
    hub: Hub, make_user: UserFactory
) -> None:
    make_user("oksana", rights={"settings": "cud"}, tabs=["references.journals"])
    make_user("petro", rights={"event": "c"}, tabs=["numbering"])
    before = rule_count(hub)
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        sign_in(driver, base, "oksana", "user-password-1", lang="en", page="/office/settings")
        assert not driver.find_elements(By.CSS_SELECTOR, f"a[href='{PAGE}']")
        assert "Numbering" not in text_of(driver, "nav.side-menu, main")
        driver.get(f"{base}{PAGE}")
        assert "is not available to you" in text_of(driver, "#refused")
        driver.get(f"{base}/office/settings/mine")
        rule = {"doc_type": "event", "width": "3", "start": "1", "reset": "never"}
        assert forged_post(driver, f"{PAGE}/new", rule) == 403
        assert forged_post(driver, f"{PAGE}/1", {"width": "9", "fingerprint": "x"}) == 403
        assert forged_post(driver, f"{PAGE}/1/delete", {}) == 403
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        # The tab without the settings right: the rules are shown, no action is offered.
        sign_in(driver, base, "petro", "user-password-1", lang="en", page=PAGE)
        assert driver.find_elements(By.ID, "rules")
        assert not driver.find_elements(By.CSS_SELECTOR, "[data-key='create']")
        driver.get(f"{base}{PAGE}/1")
        assert driver.find_elements(By.ID, "read-only")
        assert not driver.find_elements(By.ID, "save")
        assert forged_post(driver, f"{PAGE}/new", rule) == 403
    assert rule_count(hub) == before


@sqlite_only
@pytest.mark.timeout(240)
def test_the_numbering_pages_are_accessible_in_both_languages_with_pictures(hub: Hub) -> None:
    project = add_project(hub)
    with TestClient(create_app(hub)) as api:
        token = api.post(
            "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        made = api.post(
            "/api/v1/numbering/rules",
            headers={"Authorization": f"Bearer {token}"},
            json={"doc_type": "queue_ticket", "project_id": project, "prefix": "А-", "width": 3},
        )
        assert made.status_code == 201, made.text
    pages = {"numbering": PAGE, "numbering-card": f"{PAGE}/{made.json()['id']}"}
    with serve(create_app(hub)) as base:
        for size, size_name in ((DESKTOP, "desktop"), (TABLET, "tablet")):
            with browser(size) as driver:
                sign_in(driver, base, "admin", ADMIN_PASSWORD, lang="uk", page="/office")
                for lang in ("uk", "en"):
                    for name, path in pages.items():
                        driver.get(f"{base}{path}?lang={lang}")
                        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == (
                            lang
                        )
                        overflow = driver.execute_script(
                            "return document.documentElement.scrollWidth > window.innerWidth"
                        )
                        assert not overflow, f"{name} {lang} {size_name} is wider than the window"
                        if size_name == "desktop":
                            assert_accessible(driver, f"{name} ({lang})")
                        picture(driver, name, lang, size_name)
                    driver.get(f"{base}{PAGE}/new?lang={lang}")
                    fill(driver, {"width": "0"})
                    submit(driver, "the summary", "#error-summary")
                    if size_name == "desktop":
                        assert_accessible(driver, f"numbering card with errors ({lang})")
                    picture(driver, "numbering-errors", lang, size_name)
    assert Path(browsers.SCREENSHOTS, "office-numbering-uk-desktop.png").is_file()
