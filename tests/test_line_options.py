"""The per-service caller options (call-centre lines): callers first and the callers' share cap,
on the projects API (both databases) and on the service card in headless Chromium."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import Project
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.test_office_queue import fill, login, sqlite_only


def test_the_caller_options_on_the_api(client: TestClient, admin_headers: dict[str, str]) -> None:
    made = client.post(
        "/api/v1/projects", headers=admin_headers, json={"name": "Каса", "uses_queue": True}
    )
    assert made.status_code == 201, made.text
    assert (made.json()["callers_first"], made.json()["caller_share_percent"]) == (False, None)
    url = f"/api/v1/projects/{made.json()['id']}"
    # Both together: callers go first, but only up to their share of today's called tickets.
    both = {"callers_first": True, "caller_share_percent": 40}
    changed = client.patch(url, headers=admin_headers, json=both)
    assert changed.status_code == 200, changed.text
    read = client.get(url, headers=admin_headers).json()
    assert (read["callers_first"], read["caller_share_percent"]) == (True, 40)
    for wrong in (0, 101, -5, 12.5, "forty", True):
        refused = client.patch(url, headers=admin_headers, json={"caller_share_percent": wrong})
        assert refused.status_code == 422, (wrong, refused.text)
        assert "caller_share_percent" in refused.text
    assert client.patch(url, headers=admin_headers, json={"callers_first": None}).status_code == 422
    # Left out: kept; null: no cap.
    kept = client.patch(url, headers=admin_headers, json={"name": "Каса 2"}).json()
    assert (kept["callers_first"], kept["caller_share_percent"]) == (True, 40)
    cleared = client.patch(url, headers=admin_headers, json={"caller_share_percent": None})
    assert cleared.status_code == 200 and cleared.json()["caller_share_percent"] is None
    edge = client.patch(url, headers=admin_headers, json={"caller_share_percent": 100})
    assert edge.status_code == 200 and edge.json()["caller_share_percent"] == 100
    made = client.post(
        "/api/v1/projects",
        headers=admin_headers,
        json={"name": "Довідки", "uses_queue": True, "caller_share_percent": 1},
    )
    assert made.status_code == 201 and made.json()["caller_share_percent"] == 1
    wrong = client.post(
        "/api/v1/projects",
        headers=admin_headers,
        json={"name": "Інше", "uses_queue": True, "caller_share_percent": 0},
    )
    assert wrong.status_code == 422


def _stored(hub: Hub, service: int) -> tuple[bool, int | None]:
    with hub.sessions() as session:
        project = session.get(Project, service)
        assert project is not None
        return project.callers_first, project.caller_share_percent


@sqlite_only
@pytest.mark.timeout(240)
def test_the_caller_options_on_the_service_card(hub: Hub) -> None:
    app = create_app(hub)
    with serve(app) as base, browser(DESKTOP) as driver:
        login(driver, base, lang="uk")
        driver.get(f"{base}/office/services/new")
        fill(driver, "f-name", "Паспорти")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "a service")
        service = int(driver.current_url.split("/office/services/")[1].split("?")[0])
        assert _stored(hub, service) == (False, None)
        assert not driver.find_element(By.ID, "f-callers_first").is_selected()
        assert driver.find_element(By.ID, "f-caller_share_percent").get_attribute("value") == ""

        # A share out of range: said beside the field, in the summary, nothing saved.
        driver.find_element(By.ID, "f-callers_first").click()
        fill(driver, "f-caller_share_percent", "0")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "the summary")
        beside = text_of(driver, "#f-caller_share_percent-error")
        assert beside and beside in text_of(driver, "#error-summary")
        field = driver.find_element(By.ID, "f-caller_share_percent")
        assert field.get_attribute("aria-invalid") == "true"
        assert field.get_attribute("value") == "0"
        assert driver.find_element(By.ID, "f-callers_first").is_selected()
        assert_accessible(driver, "the service card with a wrong share (uk)")
        assert _stored(hub, service) == (False, None)
        driver.get(f"{base}/office/services/{service}?lang=en")
        driver.find_element(By.ID, "f-callers_first").click()
        fill(driver, "f-caller_share_percent", "101")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "the summary")
        assert "Callers' share" in text_of(driver, "label[for=f-caller_share_percent]")
        assert text_of(driver, "#f-caller_share_percent-error")
        assert_accessible(driver, "the service card with a wrong share (en)")
        assert _stored(hub, service) == (False, None)

        # Both options together are kept; then the cap cleared by emptying the field.
        fill(driver, "f-caller_share_percent", "40")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "saved")
        assert _stored(hub, service) == (True, 40)
        assert driver.find_element(By.ID, "f-callers_first").is_selected()
        assert driver.find_element(By.ID, "f-caller_share_percent").get_attribute("value") == "40"
        assert_accessible(driver, "the service card with caller options (en)")
        fill(driver, "f-caller_share_percent", "")
        driver.find_element(By.ID, "f-callers_first").click()
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "saved again")
        assert _stored(hub, service) == (False, None)
        driver.get(f"{base}/office/services/{service}?lang=uk")
        assert "Частка дзвінків" in text_of(driver, "label[for=f-caller_share_percent]")
        assert_accessible(driver, "the service card (uk)")
