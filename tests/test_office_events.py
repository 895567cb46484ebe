"""The events section of the back-office (EVT) in a real browser: the hub's own app served over
loopback, headless Chromium driving it by keyboard and mouse, data made through the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import Event, Task
from tests import browser as browsers
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, SCREENSHOTS, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory

TABLET = (1024, 768)
SIZES = {"desktop": DESKTOP, "tablet": TABLET}


# The pages are the same on either database: the main paths run on both, the rest on SQLite.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def base(hub: Hub) -> Iterator[str]:
    """The hub's app served on a loopback port."""
    with serve(create_app(hub)) as url:
        yield url


def log_in(
    driver: WebDriver,
    base: str,
    *,
    user: str = "admin",
    password: str = ADMIN_PASSWORD,
    lang: str = "uk",
    then: str = "/office/events",
) -> None:
    """Log in at the back-office's login and land on ``then``."""
    browsers.office_log_in(driver, base, then, user, password, lang)


def api(client: TestClient, headers: dict[str, str], method: str, url: str, **body: Any) -> Any:
    """One API call that must succeed; its JSON."""
    reply = client.request(method, f"/api/v1{url}", headers=headers, json=body or None)
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def new_event(client: TestClient, headers: dict[str, str], **values: Any) -> dict[str, Any]:
    """An event made through the API (an incoming call now, unless told otherwise)."""
    body = {"type": "incoming_call", "starts_at": datetime.now(UTC).isoformat(), **values}
    result: dict[str, Any] = api(client, headers, "POST", "/events", **body)
    return result


def count(hub: Hub, model: Any, *where: Any) -> int:
    """How many rows of ``model`` match."""
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def event_of(hub: Hub, event_id: int) -> Event | None:
    """The event as stored now."""
    with hub.sessions() as session:
        return session.get(Event, event_id)


def pick(driver: WebDriver, field: str, typed: str, choice: str) -> None:
    """Type into a reference field, open its picker with F3 and choose ``choice`` by keyboard."""
    box = driver.find_element(By.ID, f"f-{field}")
    box.clear()
    box.send_keys(typed)
    box.send_keys(Keys.F3)
    wait_for(
        driver,
        lambda d: d.find_element(By.ID, "picker").get_attribute("open") is not None,
        f"the picker of {field}",
    )
    wanted = wait_for(
        driver,
        lambda d: [
            b for b in d.find_elements(By.CSS_SELECTOR, "#picker [data-pick]") if choice in b.text
        ],
        f"{choice} among the choices",
    )
    driver.execute_script("arguments[0].focus()", wanted[0])
    wanted[0].send_keys(Keys.ENTER)
    wait_for(
        driver,
        lambda d: d.find_element(By.ID, f"v-{field}").get_attribute("value"),
        f"{field} chosen",
    )


def arrived_at(path: str) -> Callable[[WebDriver], bool]:
    """A check that the browser shows ``path``."""
    return lambda driver: bool(driver.current_url.endswith(path))


flash = browsers.office_flash


def summary(driver: WebDriver) -> str:
    """The error summary at the top, once there is one."""
    return wait_for(driver, lambda d: text_of(d, "#error-summary"), "the error summary")


def test_create_with_the_picker_find_by_keyboard_and_make_a_task(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    client_id = api(client, admin_headers, "POST", "/clients", name="ТОВ Альфа")["id"]
    api(client, admin_headers, "POST", f"/clients/{client_id}/contacts", full_name="Ірина Коваль")
    earlier = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    new_event(client, admin_headers, starts_at=earlier, content="Давніша подія")
    with browser(DESKTOP) as driver:
        log_in(driver, base)
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.INSERT)
        wait_for(driver, lambda d: d.current_url.endswith("/office/events/new"), "the new form")
        pick(driver, "type_id", "Вхідний д", "Вхідний дзвінок")
        pick(driver, "client_id", "альф", "ТОВ Альфа")
        driver.find_element(By.ID, "f-phone").send_keys("050 111 22 33")
        driver.find_element(By.ID, "f-content").send_keys("Просить рахунок за березень")
        driver.find_element(By.ID, "save").click()
        assert "створено" in flash(driver, "створено")
        event_id = int(driver.current_url.split("/office/events/")[1].split("?")[0])
        stored = event_of(hub, event_id)
        assert stored is not None and stored.client_id == client_id
        assert stored.contact_id is not None  # the client's only contact, filled in by itself
        assert "Ірина Коваль" in text_of(driver, "dl.facts")

        # Found in the registry and opened with the keys alone.
        driver.get(f"{base}/office/events")
        search = driver.find_element(By.ID, "f-q")
        search.send_keys(stored.number, Keys.ENTER)
        wait_for(
            driver,
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-href]")) == 1,
            "only the event searched for",
        )
        driver.get(f"{base}/office/events")
        rows = driver.find_elements(By.CSS_SELECTOR, "tr[data-href]")
        assert len(rows) == 2
        driver.execute_script("arguments[0].focus()", rows[1])
        driver.switch_to.active_element.send_keys(Keys.ARROW_UP)
        assert driver.switch_to.active_element.get_attribute("data-number") == stored.number
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait_for(driver, lambda d: d.current_url.endswith(f"/office/events/{event_id}"), "card")

        # Ctrl+B on the card makes a task from it, and the card lists it.
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "b")
        assert "Задачу" in flash(driver, "Задачу")
        assert "Вхідний дзвінок" in text_of(driver, "#tasks")
        assert count(hub, Task, Task.event_id == event_id) == 1

        # Ctrl+B in a focused row of the registry does the same for that row's event.
        driver.get(f"{base}/office/events")
        first = driver.find_element(By.CSS_SELECTOR, "tr[data-href]")
        driver.execute_script("arguments[0].focus()", first)
        driver.switch_to.active_element.send_keys(Keys.CONTROL, "b")
        assert "Задачу" in flash(driver, "Задачу")
        assert count(hub, Task, Task.event_id == event_id) == 2


@sqlite_only
def test_bad_input_is_explained_and_nothing_is_saved(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    with browser(DESKTOP) as driver:
        log_in(driver, base, lang="en", then="/office/events/new")
        driver.find_element(By.ID, "f-type_id").send_keys("No such type")
        driver.find_element(By.ID, "f-email").send_keys("not-an-address")
        driver.find_element(By.ID, "save").click()
        told = summary(driver)
        assert "Choose from the list" in told and "name@example.com" in told
        assert "Choose from the list" in text_of(driver, "#f-type_id-error")
        assert "name@example.com" in text_of(driver, "#f-email-error")
        assert driver.find_element(By.ID, "f-email").get_attribute("aria-invalid") == "true"
        assert driver.find_element(By.ID, "f-email").get_attribute("value") == "not-an-address"
        assert_accessible(driver, "the event form with errors (en)")
        assert count(hub, Event) == 0

        # A rule of the domain (the end before the start) is told beside its field, in Ukrainian.
        driver.get(f"{base}/office/events/new?lang=uk")
        pick(driver, "type_id", "виїзд", "Виїзд")
        driver.execute_script(
            "document.getElementById('f-starts_at').value = '2026-03-02T10:00';"
            "document.getElementById('f-ends_at').value = '2026-03-01T10:00';"
        )
        driver.find_element(By.ID, "save").click()
        summary(driver)
        assert "раніше за його початок" in text_of(driver, "#f-ends_at-error")
        assert count(hub, Event) == 0


@sqlite_only
def test_two_people_editing_one_event_the_second_save_is_refused(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    event = new_event(client, admin_headers, content="Як було")
    edit = f"/office/events/{event['id']}/edit"
    with browser(DESKTOP) as one, browser(DESKTOP) as two:
        log_in(one, base, lang="en", then=edit)
        log_in(two, base, lang="en", then=edit)
        for driver, words in ((one, "First"), (two, "Second")):
            box = driver.find_element(By.ID, "f-content")
            box.clear()
            box.send_keys(words)
        one.find_element(By.ID, "save").click()
        assert "saved" in flash(one)
        two.find_element(By.ID, "save").click()
        assert "changed" in summary(two).lower()
        assert two.find_element(By.ID, "f-content").get_attribute("value") == "Second"
    stored = event_of(hub, event["id"])
    assert stored is not None and stored.content == "First"


def test_archive_chosen_restore_and_delete_from_the_archive(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    ids = [new_event(client, admin_headers, content=f"Подія {n}")["id"] for n in range(3)]
    with browser(DESKTOP) as driver:
        log_in(driver, base, lang="en")
        for ident in ids[:2]:
            driver.find_element(By.CSS_SELECTOR, f"input[name=ids][value='{ident}']").click()
        driver.find_element(By.ID, "archive-chosen").click()
        assert "Events archived: 2" in flash(driver, "Events archived: 2")
        assert len(driver.find_elements(By.CSS_SELECTOR, "tr[data-href]")) == 1

        driver.get(f"{base}/office/events/archive")
        assert len(driver.find_elements(By.CSS_SELECTOR, "tr[data-href]")) == 2
        driver.find_element(By.CSS_SELECTOR, f"input[name=ids][value='{ids[0]}']").click()
        driver.find_element(By.ID, "restore-chosen").click()
        assert "Events restored: 1" in flash(driver, "Events restored: 1")
        driver.find_element(By.CSS_SELECTOR, f"input[name=ids][value='{ids[1]}']").click()
        driver.find_element(By.ID, "delete-chosen").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "delete-for-good"), "the confirmation")
        assert_accessible(driver, "the deletion's confirmation (en)")
        driver.find_element(By.ID, "delete-for-good").click()
        assert "Events deleted: 1" in flash(driver, "Events deleted: 1")
        assert event_of(hub, ids[1]) is None
        restored = event_of(hub, ids[0])
        assert restored is not None and restored.archived_at is None

        # Everything that ended before tomorrow, after the page's confirmation.
        driver.get(f"{base}/office/events")
        tomorrow = (hub.today() + timedelta(days=1)).isoformat()
        driver.execute_script(f"document.getElementById('f-before').value = '{tomorrow}'")
        driver.find_element(By.ID, "archive-before").click()
        wait_for(driver, lambda d: d.switch_to.alert, "the confirmation").accept()
        assert "Events archived: 2" in flash(driver, "Events archived: 2")
        assert count(hub, Event, Event.archived_at.is_(None)) == 0


@sqlite_only
def test_a_missed_call_becomes_a_callback_task_from_the_missed_view(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    new_event(client, admin_headers, content="Прийнятий")
    missed = new_event(client, admin_headers, type="missed_incoming_call", phone="067 555 44 33")
    with browser(DESKTOP) as driver:
        log_in(driver, base, then="/office/events?view=missed")
        rows = driver.find_elements(By.CSS_SELECTOR, "tr[data-href]")
        assert len(rows) == 1 and rows[0].get_attribute("data-number") == missed["number"]
        driver.find_element(By.CSS_SELECTOR, f"[data-callback='{missed['id']}']").click()
        assert "передзвонити" in flash(driver, "ередзвонити").lower()
        assert "Передзвонити 067 555 44 33" in text_of(driver, "#tasks")
    assert count(hub, Task, Task.event_id == missed["id"]) == 1


@sqlite_only
def test_what_a_user_may_not_do_is_not_offered_and_a_forged_post_is_refused(
    hub: Hub,
    client: TestClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    base: str,
) -> None:
    journal = api(
        client,
        admin_headers,
        "POST",
        "/journals",
        code="secret",
        name_uk="Таємний",
        name_en="Secret",
    )
    project = api(
        client, admin_headers, "POST", "/projects", name="Закритий проект", journal_id=journal["id"]
    )
    hidden = new_event(client, admin_headers, project_id=project["id"], content="Таємне")
    shown = new_event(client, admin_headers, content="Відкрите")
    make_user("clerk", rights={"event": "cu", "task": "c"})
    with browser(DESKTOP) as driver:
        log_in(driver, base, user="clerk", password="user-password-1")
        # Every CRM user reads every event, as through the API (journal rights are to create,
        # change and delete); the user has no right to delete, so no Delete is offered.
        numbers = {
            r.get_attribute("data-number")
            for r in driver.find_elements(By.CSS_SELECTOR, "tr[data-href]")
        }
        assert numbers == {shown["number"], hidden["number"]}
        assert not driver.find_elements(By.CSS_SELECTOR, "form[data-key='delete']")  # no right
        # A forged form, with this browser's own valid token: a task in the journal the user has
        # no right in, and a deletion the user has no right to.
        driver.get(f"{base}/office/events")
        for action in (
            f"/office/events/{hidden['id']}/task",
            f"/office/events/{shown['id']}/delete",
        ):
            driver.execute_script(
                "const f = document.createElement('form'); f.method = 'post';"
                "f.action = arguments[0];"
                "const c = document.querySelector('input[name=csrf]').cloneNode();"
                "f.appendChild(c); document.body.appendChild(f); f.submit();",
                action,
            )
            wait_for(driver, arrived_at(action), "the refusal")
            assert summary(driver)
            driver.get(f"{base}/office/events")
    assert count(hub, Task) == 0
    assert event_of(hub, shown["id"]) is not None


PAGES = {
    "events": "/office/events",
    "events-missed": "/office/events?view=missed",
    "events-archive": "/office/events/archive",
    "event-card": "/office/events/{id}",
    "event-new": "/office/events/new",
}


@sqlite_only
def test_main_pages_are_accessible_in_both_languages_and_photographed(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    client_id = api(client, admin_headers, "POST", "/clients", name="ТОВ Альфа")["id"]
    event = new_event(
        client,
        admin_headers,
        client_id=client_id,
        phone="050 111 22 33",
        content="Просить рахунок за березень",
    )
    api(client, admin_headers, "POST", f"/events/{event['id']}/tasks", name="Виставити рахунок")
    new_event(client, admin_headers, type="missed_incoming_call", phone="067 555 44 33")
    old = new_event(client, admin_headers, content="Стара подія")
    api(client, admin_headers, "POST", "/events/archive", ids=[old["id"]])
    for size_name, size in SIZES.items():
        with browser(size) as driver:
            log_in(driver, base)
            for lang in ("uk", "en"):
                for name, path in PAGES.items():
                    url = path.format(id=event["id"])
                    joiner = "&" if "?" in url else "?"
                    driver.get(f"{base}{url}{joiner}lang={lang}")
                    wait_for(driver, lambda d: d.find_elements(By.TAG_NAME, "h1"), name)
                    if size_name == "desktop":
                        assert_accessible(driver, f"{name} ({lang})")
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    shot = SCREENSHOTS / f"office-{name}-{lang}-{size_name}.png"
                    assert driver.get_screenshot_as_file(str(shot))
