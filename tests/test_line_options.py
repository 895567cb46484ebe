"""The per-service caller options (call-centre lines): callers first and the callers' share cap,
on the projects API (both databases) and on the service card in headless Chromium."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Project
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.test_office_queue import fill, login, sqlite_only
from tests.test_queue import issue
from tests.test_queue_calls import finish, join, taken
from tests.test_queue_calls import setup as calls_setup


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


@pytest.mark.parametrize("mode", ["nearest", "fair"])
@pytest.mark.parametrize(
    ("first", "share", "expected"),
    [
        # Visitors came first (v1 at 0, v2 at 1), callers after (c1 at 2, c2 at 3).
        (False, None, ["v1", "v2", "c1", "c2"]),
        (True, None, ["c1", "c2", "v1", "v2"]),
        # First, but only up to half of those called: a caller whenever that keeps them at
        # most half (1 of 2, 2 of 4), else the nearest visitor.
        (True, 50, ["v1", "c1", "v2", "c2"]),
    ],
)
def test_callers_first_and_a_share_together_in_either_calling_mode(
    hub: Hub, mode: str, first: bool, share: int | None, expected: list[str]
) -> None:
    service, anna, _bohdan = calls_setup(hub)
    with transaction(hub.sessions) as session:
        project = session.get(Project, service)
        assert project is not None
        project.callers_first, project.caller_share_percent = first, share
        project.calling_mode = mode
    names = {
        issue(hub, service, 0).ticket.id: "v1",
        issue(hub, service, 1).ticket.id: "v2",
        join(hub, service, 2, "call-1"): "c1",
        join(hub, service, 3, "call-2"): "c2",
    }
    order = []
    for minute in (4, 5, 6, 7):
        got = taken(hub, anna, minute, "1", "panel-1")
        assert got is not None
        order.append(names[got])
        finish(hub, anna, minute + 0.5, got)
    assert order == expected
