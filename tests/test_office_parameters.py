"""Issue 16's parameters in the back-office, in headless Chromium against the hub's own app:
the birthday reminder on the home page (CLI-4), a task made when the event card saves a queue
event (SET-10), the history groups' card and the event card's history by group (SET-2).

Data is made through the API; the pages are the same on either database, so SQLite only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import HistoryGroup, Task
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.test_office_events import count, log_in

BOOK = "/office/settings/books/history-groups"


@pytest.fixture
def backend() -> str:
    """The pages are the same on either database: the browser tests run on SQLite."""
    return "sqlite"


@pytest.fixture
def base(hub: Hub) -> Iterator[str]:
    """The hub's app served on a loopback port."""
    with serve(create_app(hub)) as url:
        yield url


def api(client: TestClient, headers: dict[str, str], method: str, url: str, **body: Any) -> Any:
    """One API call that must succeed; its JSON."""
    reply = client.request(method, f"/api/v1{url}", headers=headers, json=body or None)
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def _born(day: date) -> str:
    """A birthday on ``day``'s month and day (1980 is a leap year: 29 February exists)."""
    return date(1980, day.month, day.day).isoformat()


def test_birthdays_soon_on_the_home_page_only_for_who_keeps_the_reminder(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    today = hub.today()
    holding = api(client, admin_headers, "POST", "/clients", name="ТОВ Альфа")["id"]
    for name, day in (
        ("Ірина Коваль", today + timedelta(days=3)),
        ("Олег Бойко", today),
        ("Петро Шевчук", today + timedelta(days=10)),  # beyond the 7 days ahead
    ):
        api(
            client,
            admin_headers,
            "POST",
            f"/clients/{holding}/contacts",
            full_name=name,
            birthday=_born(day),
        )
    admin = api(client, admin_headers, "GET", "/me")["id"]

    with browser(DESKTOP) as driver:
        # Off (the default): no panel.
        log_in(driver, base, then="/office")
        assert not driver.find_elements(By.ID, "birthdays-soon")

        api(
            client,
            admin_headers,
            "PATCH",
            f"/users/{admin}/parameters",
            birthday_reminders=True,
            birthday_days_ahead=7,
        )
        driver.get(f"{base}/office?lang=uk")
        panel = text_of(driver, "#birthdays-soon")
        assert "Незабаром дні народження" in panel and "7 дн." in panel
        rows = driver.find_elements(By.CSS_SELECTOR, "#birthdays-soon tbody tr")
        shown = [row.text for row in rows]
        # Soonest first: today's, then in three days; nobody outside the window.
        assert "Олег Бойко" in shown[0] and "сьогодні" in shown[0]
        assert "Ірина Коваль" in shown[1] and "ТОВ Альфа" in shown[1] and "3 дн." in shown[1]
        assert (today + timedelta(days=3)).strftime("%d.%m") in shown[1]
        assert len(shown) == 2 and "Петро Шевчук" not in panel
        link = driver.find_element(By.ID, "birthdays-all")
        assert link.get_attribute("href").endswith("/office/clients/birthdays")
        assert_accessible(driver, "the home page with birthdays soon (uk)")
        driver.get(f"{base}/office?lang=en")
        assert "Birthdays soon" in text_of(driver, "#birthdays-soon")
        assert "3 days" in text_of(driver, "#birthdays-soon tbody")
        assert_accessible(driver, "the home page with birthdays soon (en)")

        # A wider window takes in the third; switched off, the panel is gone.
        api(client, admin_headers, "PATCH", f"/users/{admin}/parameters", birthday_days_ahead=14)
        driver.get(f"{base}/office?lang=uk")
        assert "Петро Шевчук" in text_of(driver, "#birthdays-soon")
        api(client, admin_headers, "PATCH", f"/users/{admin}/parameters", birthday_reminders=False)
        driver.get(f"{base}/office")
        assert not driver.find_elements(By.ID, "birthdays-soon")


def test_saving_a_queue_event_on_its_card_makes_one_task(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    event = api(
        client,
        admin_headers,
        "POST",
        "/events",
        type="queue",
        starts_at=datetime.now(UTC).isoformat(),
        content="Консультація",
    )
    assert count(hub, Task, Task.event_id == event["id"]) == 0  # made while it was off
    api(client, admin_headers, "PATCH", "/parameters", queue_create_task_on_save=True)
    edit = f"/office/events/{event['id']}/edit"
    with browser(DESKTOP) as driver:
        log_in(driver, base, then=edit)
        for words in ("Перше збереження", "Друге збереження"):
            driver.get(f"{base}{edit}")
            box = driver.find_element(By.ID, "f-content")
            box.clear()
            box.send_keys(words)
            driver.find_element(By.ID, "save").click()
            wait_for(driver, lambda d: "done=saved" in d.current_url, "the saved card")
            assert "Черга" in text_of(driver, "#tasks")
            assert count(hub, Task, Task.event_id == event["id"]) == 1


def test_history_groups_card_and_the_event_history_by_group(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    event = api(client, admin_headers, "POST", "/events", type="visit", starts_at=start.isoformat())
    later = (start + timedelta(hours=1)).isoformat()
    api(client, admin_headers, "PATCH", f"/events/{event['id']}", content="Так", ends_at=later)
    with browser(DESKTOP) as driver:
        # With no groups the event's history is one list per record, as before.
        log_in(driver, base, then=f"/office/events/{event['id']}")
        history = text_of(driver, "#history")
        assert "Створено" in history and "Змінено" in history and "Зміст: — → Так" in history
        assert not driver.find_elements(By.CSS_SELECTOR, "#history [data-group]")

        driver.get(f"{base}{BOOK}/new")
        for name, value in (("code", "terms"), ("name_uk", "Терміни"), ("name_en", "Terms")):
            driver.find_element(By.ID, f"f-{name}").send_keys(value)
        for name in ("starts_at", "ends_at"):
            driver.find_element(By.ID, f"f-field-{name}").click()
        assert_accessible(driver, "the history group's card (uk)")
        # A forged field the change log does not keep is refused beside the fields.
        driver.execute_script(
            "const box = document.getElementById('f-field-ends_at').cloneNode();"
            "box.id = 'forged'; box.value = 'no_such_field'; box.checked = true;"
            "document.getElementById('f-fields').appendChild(box);"
        )
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "f-fields-error"), "the error")
        assert "no_such_field" in text_of(driver, "#error-summary")
        assert driver.find_element(By.ID, "f-field-starts_at").is_selected()
        assert count(hub, HistoryGroup) == 0
        driver.execute_script("document.getElementById('forged')?.remove()")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: "saved=1" in d.current_url, "the saved book")
        assert "Початок, Кінець" in text_of(driver, "tr[data-code='terms']")
        with hub.sessions() as session:
            stored = session.query(HistoryGroup).one()
            assert stored.fields == ["starts_at", "ends_at"]

        driver.get(f"{base}/office/events/{event['id']}")
        groups = driver.find_elements(
            By.CSS_SELECTOR, "#history tbody tr:nth-child(2) [data-group]"
        )
        assert [g.get_attribute("data-group") for g in groups] == ["Терміни", "Інше"]
        assert "Кінець" in groups[0].text and "Зміст" in groups[1].text
        assert "Зміст" not in groups[0].text
        assert_accessible(driver, "the event card with its history by group (uk)")
        driver.get(f"{base}/office/events/{event['id']}?lang=en")
        groups = driver.find_elements(
            By.CSS_SELECTOR, "#history tbody tr:nth-child(2) [data-group]"
        )
        assert [g.get_attribute("data-group") for g in groups] == ["Terms", "Other"]
        assert "End:" in groups[0].text and "Content: — → Так" in groups[1].text
        assert_accessible(driver, "the event card with its history by group (en)")


def test_every_queue_parameter_is_on_the_parameters_page() -> None:
    """A queue parameter the page leaves out can be set only through the API: every one of
    them has its field, a label and a hint or none, in both languages."""
    from hub.services.settings.parameters import QueueParameters
    from hub.web.office import settings_texts  # noqa: F401 (registers the words)
    from hub.web.office.settings_parameters import SETTINGS
    from hub.web.texts import TEXTS

    shown = {
        param.name.removeprefix("queue.")
        for _title, params in SETTINGS
        for param in params
        if param.name.startswith("queue.")
    }
    assert shown == set(QueueParameters.model_fields)
    for param in (p for _title, params in SETTINGS for p in params):
        if param.name.startswith("queue."):
            assert all(TEXTS[f"set_p_{param.name}"])
            assert not param.hint or all(TEXTS[f"set_h_{param.name}"])
