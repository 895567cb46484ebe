"""The back-office's Clients section (CLI) in headless Chromium against the real hub, and over
HTTP for what the server refuses.

The pages are served by the hub's own app (uvicorn on loopback); the records are read back from
the database. Screenshots go to a scratch folder (CHERGA_SCREENSHOTS=docs/screenshots refreshes
docs/) as office-<page>-<lang>-<size>.png.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models.clients import Client, Contact
from tests import browser as browsers
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
TABLET = (1024, 768)
SIZES = {"desktop": DESKTOP, "tablet": TABLET}
pytestmark = pytest.mark.timeout(300)


# --- helpers ------------------------------------------------------------------------------------


def log_in(driver: WebDriver, base: str, username: str, password: str, lang: str = "uk") -> None:
    """The back-office's login, coming back to the clients' registry."""
    browsers.office_log_in(driver, base, "/office/clients", username, password, lang)


shot = browsers.office_shot


def clients_named(hub: Hub, name: str) -> list[Client]:
    with hub.sessions() as session:
        return list(session.scalars(select(Client).where(Client.name == name)))


def count_clients(hub: Hub) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Client)) or 0)


def errors_shown(driver: WebDriver) -> dict[str, str]:
    """The messages beside the fields, by field id."""
    found = {}
    for element in driver.find_elements(By.CSS_SELECTOR, "p.error[id$='-error']"):
        found[str(element.get_attribute("id"))[2:-6]] = element.text
    return found


def api_client(client: TestClient, headers: dict[str, str], **body: object) -> int:
    reply = client.post("/api/v1/clients", headers=headers, json=body)
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def web_login(client: TestClient, username: str, password: str) -> str:
    """Log a TestClient in to the back-office; returns a form token of its session."""
    page = client.get("/console/login?lang=en")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    reply = client.post(
        "/console/login",
        data={"csrf": token.group(1), "username": username, "password": password},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    again = re.search(r'name="csrf" value="([^"]+)"', client.get("/office/clients/import").text)
    assert again
    return again.group(1)


# --- in the browser -----------------------------------------------------------------------------


def test_create_find_open_by_keyboard_and_edit(hub: Hub) -> None:
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, "admin", ADMIN_PASSWORD, "en")
        # Ins on the registry opens the form of a new client.
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.INSERT)
        wait_for(driver, lambda d: d.current_url.endswith("/office/clients/new"), "the form")
        # Bad input: every wrong field at once, in a summary and beside the field; nothing saved.
        driver.find_element(By.ID, "f-tax_number").send_keys("12345670")
        driver.find_element(By.ID, "f-email").send_keys("not-an-address")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "the error summary")
        shown = errors_shown(driver)
        assert shown["name"] == "Fill in this field."
        assert "check digit" in shown["tax_number"]
        assert shown["email"] == "This value is not valid."
        summary = driver.find_element(By.ID, "error-summary")
        assert len(summary.find_elements(By.CSS_SELECTOR, "a[href^='#f-']")) == 3
        assert driver.switch_to.active_element == summary  # read first by a screen reader
        assert driver.find_element(By.ID, "f-email").get_attribute("value") == "not-an-address"
        assert count_clients(hub) == 0
        # Corrected, it is saved and its card opens.
        tax = driver.find_element(By.ID, "f-tax_number")
        tax.clear()
        tax.send_keys("14360570")
        driver.find_element(By.ID, "f-email").clear()
        driver.find_element(By.ID, "f-name").send_keys("ТОВ Альфа-Сервіс")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "client-name"), "the card")
        assert driver.find_element(By.ID, "done").text == "Saved."
        [client] = clients_named(hub, "ТОВ Альфа-Сервіс")
        assert client.tax_number == "14360570"
        # A contact person with a phone, from the card.
        driver.find_element(By.ID, "new-contact").click()
        driver.find_element(By.ID, "f-full_name").send_keys("Ірина Коваль")
        driver.find_element(By.ID, "f-phone_1").send_keys("050 111 22 33")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "done"), "the contact saved")
        with hub.sessions() as session:
            [contact] = session.scalars(select(Contact).where(Contact.client_id == client.id))
            assert [p.phone for p in contact.phones] == ["050 111 22 33"]
        assert "Ірина Коваль" in driver.find_element(By.ID, f"contact-{contact.id}").text
        # Found by a phone number, opened by Enter on its row.
        driver.get(f"{base}/office/clients")
        driver.find_element(By.ID, "q").send_keys("050-111-22-33")
        driver.find_element(By.ID, "find").click()
        wait_for(driver, lambda d: "q=050" in d.current_url, "the search")
        rows = wait_for(
            driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#registry tr[data-href]"), "rows"
        )
        assert len(rows) == 1 and "ТОВ Альфа-Сервіс" in rows[0].text
        rows[0].send_keys(Keys.ENTER)
        wait_for(driver, lambda d: d.current_url.endswith(f"/office/clients/{client.id}"), "card")
        # Edited: a new address.
        driver.find_element(By.ID, "edit").click()
        address = driver.find_element(By.ID, "f-address")
        address.send_keys("Київ, вул. Хрещатик, 1")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "done"), "saved")
        assert clients_named(hub, "ТОВ Альфа-Сервіс")[0].address == "Київ, вул. Хрещатик, 1"


@SQLITE_ONLY
def test_two_people_editing_one_client_the_second_save_is_refused(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    client_id = api_client(client, admin_headers, name="ПАТ Бета", phone="044 000 00 01")
    with serve(create_app(hub)) as base, browser(DESKTOP) as first, browser(DESKTOP) as second:
        for driver in (first, second):
            log_in(driver, base, "admin", ADMIN_PASSWORD, "uk")
            driver.get(f"{base}/office/clients/{client_id}/edit")
        first.find_element(By.ID, "f-phone").clear()
        first.find_element(By.ID, "f-phone").send_keys("044 111 11 11")
        first.find_element(By.ID, "save").click()
        wait_for(first, lambda d: d.find_elements(By.ID, "done"), "the first save")
        second.find_element(By.ID, "f-address").send_keys("Львів")
        second.find_element(By.ID, "save").click()
        summary = wait_for(second, lambda d: d.find_elements(By.ID, "error-summary"), "refusal")
        assert "щойно змінив інший користувач" in summary[0].text
        assert second.find_element(By.ID, "f-address").get_attribute("value") == "Львів"
        [saved] = clients_named(hub, "ПАТ Бета")
        assert (saved.phone, saved.address) == ("044 111 11 11", None)


def _import_file(folder: Path) -> Path:
    path = folder / "clients.csv"
    path.write_text(
        "Назва;Код;Телефон\n"
        "ПАТ Гамма;00032129;067 555 44 33\n"
        "ТОВ Погана;12345670;067 555 44 34\n"
        "ТОВ Дельта;;067 555 44 35\n",
        encoding="utf-8",
    )
    return path


def test_import_reports_the_rejected_row_keeps_the_good_ones_and_downloads(
    hub: Hub, tmp_path: Path
) -> None:
    path = _import_file(tmp_path)
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, "admin", ADMIN_PASSWORD, "en")
        driver.get(f"{base}/office/clients/import")
        driver.find_element(By.ID, "f-file").send_keys(str(path))
        driver.find_element(By.ID, "f-valid_only").click()
        driver.find_element(By.ID, "start-import").click()
        # The job page shows the progress bar until the import is done, then the report.
        # (Read once the page has finished loading: it may be reloading into the report.)
        # A background import on a busy machine: a generous deadline.
        wait_for(driver, lambda d: text_of(d, "#count-rows") == "3", "the report", 60)
        assert driver.find_elements(By.ID, "import-outcome")
        assert driver.find_element(By.ID, "count-imported").text == "2"
        assert driver.find_element(By.ID, "count-rejected").text == "1"
        cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#rejected td")]
        assert cells[:2] == ["3", "Tax number (EDRPOU or individual)"]
        assert "check digit" in cells[2]
        assert [len(clients_named(hub, n)) for n in ("ПАТ Гамма", "ТОВ Дельта")] == [1, 1]
        assert clients_named(hub, "ТОВ Погана") == []
        # The report downloads as CSV (asked with the browser's own session).
        link = str(driver.find_element(By.ID, "download").get_attribute("href"))
        cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
        reply = httpx.get(link, cookies=cookies, timeout=10)
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/csv")
        lines = reply.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "row;column;code;reason"
        assert lines[1].startswith("3;tax_number;client_tax_number_checksum;")
        # Another user cannot read it.
        assert httpx.get(link, timeout=10, follow_redirects=False).status_code == 303


@SQLITE_ONLY
def test_an_all_or_nothing_import_stores_nothing(hub: Hub, tmp_path: Path) -> None:
    path = _import_file(tmp_path)
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "admin", ADMIN_PASSWORD)
        with path.open("rb") as stream:
            reply = web.post(
                "/office/clients/import",
                data={"csrf": token, "kind": "clients"},
                files={"file": ("clients.csv", stream, "text/csv")},
                follow_redirects=False,
            )
        assert reply.status_code == 303, reply.text
        job = reply.headers["location"]
        deadline = time.monotonic() + 10
        while True:
            status = web.get(f"{job}/status").json()
            if status["finished"]:
                break
            assert time.monotonic() < deadline, "the import did not finish"
            time.sleep(0.05)
        page = web.get(job).text
        assert "Nothing was stored" in page
        assert count_clients(hub) == 0


@SQLITE_ONLY
def test_without_client_rights_no_actions_shown_and_forged_posts_refused(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    client_id = api_client(client, admin_headers, name="ТОВ Тета")
    make_user("reader", rights={"event": "c"})
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, "reader", "user-password-1", "uk")
        assert "ТОВ Тета" in driver.find_element(By.ID, "registry").text
        for absent in ("create-client",):
            assert driver.find_elements(By.ID, absent) == []
        assert driver.find_elements(By.CSS_SELECTOR, "form[data-key='delete']") == []
        driver.get(f"{base}/office/clients/{client_id}")
        assert driver.find_elements(By.ID, "edit") == []
        assert driver.find_elements(By.ID, "delete") == []
        assert driver.find_elements(By.ID, "new-contact") == []
        assert driver.find_elements(By.ID, "new-event")  # the right the user has
        assert driver.find_elements(By.ID, "new-task") == []
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "reader", "user-password-1")
        forged = {
            "/office/clients/new": {"name": "Підроблений"},
            f"/office/clients/{client_id}/edit": {"name": "Підроблений"},
            f"/office/clients/{client_id}/delete": {},
            f"/office/clients/{client_id}/contacts/new": {"full_name": "Підроблений"},
            f"/office/clients/{client_id}/tasks/new": {"name": "x"},
        }
        for path, data in forged.items():
            reply = web.post(path, data={"csrf": token, **data}, follow_redirects=False)
            assert reply.status_code == 403, path
        assert [c.name for c in clients_named(hub, "ТОВ Тета")] == ["ТОВ Тета"]
        assert clients_named(hub, "Підроблений") == []
        assert clients_named(hub, "ТОВ Тета")[0].deleted_at is None
        # Without the form token even an administrator's post is refused.
        admin = TestClient(create_app(hub))
        with admin:
            web_login(admin, "admin", ADMIN_PASSWORD)
            reply = admin.post(f"/office/clients/{client_id}/delete", data={"csrf": "x.y"})
            assert reply.status_code == 422
        assert clients_named(hub, "ТОВ Тета")[0].deleted_at is None


@SQLITE_ONLY
def test_soft_delete_restore_and_the_tree_opening_a_branch(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    parent = api_client(client, admin_headers, name="Холдинг Омега")
    child = api_client(client, admin_headers, name="Філія Омега-Київ", parent_id=parent)
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, "admin", ADMIN_PASSWORD, "en")
        # The tree: a branch opens by a fetched fragment and closes again.
        driver.get(f"{base}/office/clients?view=tree")
        toggle = driver.find_element(By.CSS_SELECTOR, f"a[data-branch*='/tree/{parent}?']")
        assert toggle.get_attribute("aria-expanded") == "false"
        assert "Філія Омега-Київ" not in driver.find_element(By.ID, "tree").text
        toggle.click()
        wait_for(driver, lambda d: "Філія Омега-Київ" in d.find_element(By.ID, "tree").text, "+")
        assert toggle.get_attribute("aria-expanded") == "true"
        assert driver.current_url.endswith("view=tree")  # in place, no page load
        toggle.click()
        wait_for(driver, lambda d: "Філія" not in d.find_element(By.ID, "tree").text, "closed")
        # Without scripts the same toggle is a plain link that opens the branch.
        driver.get(str(toggle.get_attribute("href")))
        assert "Філія Омега-Київ" in driver.find_element(By.ID, "tree").text
        # Soft delete from the registry: Del on the row, after the confirmation.
        driver.get(f"{base}/office/clients?q=Філія")
        row = driver.find_element(By.CSS_SELECTOR, "#registry tr[data-href]")
        row.send_keys(Keys.DELETE)
        alert = wait_for(driver, lambda d: d.switch_to.alert, "the confirmation")
        assert "Філія Омега-Київ" in alert.text
        alert.accept()
        wait_for(driver, lambda d: d.find_elements(By.ID, "done"), "deleted")
        assert "Філія" not in driver.find_element(By.ID, "registry").text
        assert clients_named(hub, "Філія Омега-Київ")[0].deleted_at is not None
        # Kept: shown with "show deleted", and restored from its card.
        driver.get(f"{base}/office/clients?q=Філія&deleted=1")
        assert "deleted" in driver.find_element(By.ID, "registry").text
        driver.get(f"{base}/office/clients/{child}")
        assert driver.find_element(By.ID, "deleted-notice")
        driver.find_element(By.ID, "restore").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "done"), "restored")
        assert clients_named(hub, "Філія Омега-Київ")[0].deleted_at is None
        # The parent cannot be deleted while the branch under it is alive: a clear refusal.
        driver.get(f"{base}/office/clients/{parent}")
        driver.find_element(By.ID, "delete").click()
        wait_for(driver, lambda d: d.switch_to.alert, "the confirmation").accept()
        refused = wait_for(driver, lambda d: d.find_elements(By.ID, "refused"), "the refusal")
        assert "Філія Омега-Київ" in refused[0].text


# --- every main page: accessibility, both languages, screenshots --------------------------------


def _fill_for_pictures(client: TestClient, headers: dict[str, str]) -> int:
    holding = api_client(
        client,
        headers,
        name="ТОВ Альфа",
        full_name="Товариство з обмеженою відповідальністю «Альфа»",
        tax_number="14360570",
        vat_status="payer",
        phone="+380 44 123 45 67",
        address="Київ, вул. Хрещатик, 22",
    )
    for name in ("Альфа-Захід", "Альфа-Схід"):
        api_client(client, headers, name=name, parent_id=holding)
    api_client(client, headers, name="ПАТ Бета", tax_number="00032129", phone="067 555 44 33")
    for name, born in (("Ірина Коваль", "1990-03-15"), ("Петро Шевчук", "1985-11-02")):
        reply = client.post(
            f"/api/v1/clients/{holding}/contacts",
            headers=headers,
            json={
                "full_name": name,
                "position": "бухгалтер",
                "birthday": born,
                "phones": [{"phone": "050 111 22 33", "kind": "mobile"}],
            },
        )
        assert reply.status_code == 201, reply.text
    for kind, number, day, direction, amount in (
        ("invoice", "INV-1", "2026-03-02", "out", "1200.00"),
        ("payment", "PAY-1", "2026-03-10", "in", "700.00"),
    ):
        reply = client.post(
            f"/api/v1/clients/{holding}/documents",
            headers=headers,
            json={
                "kind": kind,
                "number": number,
                "doc_date": day,
                "direction": direction,
                "amount": amount,
            },
        )
        assert reply.status_code == 201, reply.text
    return holding


@SQLITE_ONLY
def test_main_pages_are_accessible_in_both_languages_with_screenshots(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    holding = _fill_for_pictures(client, admin_headers)
    pages = {
        "clients": "/office/clients",
        "clients-tree": f"/office/clients?view=tree&open={holding}",
        "clients-contacts": "/office/clients?view=contacts",
        "client-card": f"/office/clients/{holding}?from=2026-03-01&to=2026-03-31",
        "client-form": f"/office/clients/{holding}/edit",
        "contact-form": f"/office/clients/{holding}/contacts/new",
        "client-task": f"/office/clients/{holding}/tasks/new",
        "birthdays": "/office/clients/birthdays?days=366",
        "clients-import": "/office/clients/import",
    }
    with serve(create_app(hub)) as base:
        for size_name, size in SIZES.items():
            with browser(size) as driver:
                log_in(driver, base, "admin", ADMIN_PASSWORD, "uk")
                for lang in ("uk", "en"):
                    for name, path in pages.items():
                        joiner = "&" if "?" in path else "?"
                        driver.get(f"{base}{path}{joiner}lang={lang}")
                        assert (
                            driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
                        ), name
                        if size_name == "desktop":
                            assert_accessible(driver, f"{name} ({lang})")
                        shot(driver, name, lang, size_name)
                    # A refused form: the summary and the messages beside the fields.
                    driver.get(f"{base}/office/clients/new?lang={lang}")
                    driver.find_element(By.ID, "f-tax_number").send_keys("1234")
                    driver.find_element(By.ID, "save").click()
                    wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "errors")
                    if size_name == "desktop":
                        assert_accessible(driver, f"client form with errors ({lang})")
                    shot(driver, "client-form-errors", lang, size_name)
                    # The import's report with a rejected row.
                    driver.get(f"{base}/office/clients/import?lang={lang}")
                    driver.find_element(By.ID, "f-file").send_keys(str(_import_file(tmp_path)))
                    driver.find_element(By.ID, "start-import").click()
                    wait_for(driver, lambda d: d.find_elements(By.ID, "import-outcome"), "report")
                    if size_name == "desktop":
                        assert_accessible(driver, f"import report ({lang})")
                    shot(driver, "clients-import-report", lang, size_name)
