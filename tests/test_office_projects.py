"""The back-office's Projects section (PRJ) in headless Chromium against the real hub, and over
HTTP for what the server refuses.

The pages are served by the hub's own app (uvicorn on loopback); records are made through the
API and read back from the database. Screenshots go to the scratch folder
(CHERGA_SCREENSHOTS=docs/screenshots refreshes docs/) as office-<page>-<lang>-<size>.png.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import (
    Attachment,
    Event,
    Message,
    Project,
    ProjectContract,
    ProjectMember,
    Task,
)
from tests import browser as browsers
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
TABLET = (1024, 768)
SIZES = {"desktop": DESKTOP, "tablet": TABLET}
PASSWORD = "user-password-1"
Headers = dict[str, str]
pytestmark = pytest.mark.timeout(600)


# --- helpers ------------------------------------------------------------------------------------


def log_in(
    driver: WebDriver,
    base: str,
    username: str = "admin",
    password: str = ADMIN_PASSWORD,
    lang: str = "uk",
    then: str = "/office/projects",
) -> None:
    """The back-office's login, landing on ``then``."""
    browsers.office_log_in(driver, base, then, username, password, lang)


shot = browsers.office_shot


def api(client: TestClient, headers: Headers, method: str, url: str, **body: Any) -> Any:
    """One API call that must succeed; its JSON (None for 204)."""
    reply = client.request(method, f"/api/v1{url}", headers=headers, json=body or None)
    assert reply.status_code in (200, 201, 204), reply.text
    return reply.json() if reply.status_code != 204 else None


def journal(client: TestClient, headers: Headers, code: str, uk: str, en: str) -> int:
    """A journal (SET-5) made through the API."""
    return int(api(client, headers, "POST", "/journals", code=code, name_uk=uk, name_en=en)["id"])


def project(client: TestClient, headers: Headers, name: str, **fields: Any) -> int:
    """A project made through the API."""
    return int(api(client, headers, "POST", "/projects", name=name, **fields)["id"])


def grant_journal(
    client: TestClient, headers: Headers, user_id: int, journal_id: int, letters: str
) -> None:
    """Rights in one journal (ACC-2): c(reate), u(pdate), d(elete)."""
    api(
        client,
        headers,
        "PUT",
        f"/users/{user_id}/access/journals/{journal_id}",
        create="c" in letters,
        change="u" in letters,
        delete="d" in letters,
    )


def rows_of(hub: Hub, model: Any, *where: Any) -> list[Any]:
    """The stored rows of ``model`` that match."""
    with hub.sessions() as session:
        return list(session.scalars(select(model).where(*where)))


def count(hub: Hub, model: Any, *where: Any) -> int:
    """How many rows of ``model`` match."""
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def errors_shown(driver: WebDriver) -> dict[str, str]:
    """The messages beside the fields, by field name."""
    found = {}
    for element in driver.find_elements(By.CSS_SELECTOR, "p.error[id$='-error']"):
        found[str(element.get_attribute("id"))[2:-6]] = element.text
    return found


def done(driver: WebDriver) -> str:
    """The outcome line of the page, once there is one."""
    return wait_for(driver, lambda d: text_of(d, "#done"), "the outcome line")


def arrived(path: str) -> Callable[[WebDriver], bool]:
    """A check that the browser shows ``path`` (without its query)."""
    return lambda d: d.current_url.split("?")[0].split("#")[0].endswith(path)


def set_value(driver: WebDriver, element_id: str, value: str) -> None:
    """Set a field's value as typed (a date field's widget differs between locales)."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event('change', {bubbles: true}));",
        element_id,
        value,
    )


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
    again = re.search(r'name="csrf" value="([^"]+)"', client.get("/office/projects").text)
    assert again
    return again.group(1)


def png(width: int = 24, height: int = 16) -> bytes:
    """A small real PNG picture (a blue rectangle)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x1f\x5f\xbf" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    """A one-page PDF."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def attach(
    client: TestClient, headers: Headers, project_id: int, name: str, data: bytes, kind: str
) -> int:
    """A file attached to the project through the API."""
    reply = client.post(
        f"/api/v1/projects/{project_id}/attachments",
        headers=headers,
        files={"file": (name, data, kind)},
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def moment(hours: float) -> str:
    """Now plus ``hours``, as the API takes it."""
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


# --- over HTTP: rights and files ----------------------------------------------------------------


@SQLITE_ONLY
def test_without_the_rights_nothing_is_offered_and_forged_posts_are_refused(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    shared = journal(client, admin_headers, "sales", "Продажі", "Sales")
    other = journal(client, admin_headers, "secret", "Таємний", "Secret")
    pid = project(client, admin_headers, "Проект Тета", journal_id=shared)
    contract = api(client, admin_headers, "POST", f"/projects/{pid}/contracts", number="Д-1")["id"]
    reader_id, _ = make_user("reader", rights={"event": "c"})
    api(client, admin_headers, "PUT", f"/projects/{pid}/members/{reader_id}")
    file_id = attach(client, admin_headers, pid, "note.txt", b"hello", "text/plain")
    # A clerk may create projects, but only in the shared journal (ACC-2).
    clerk_id, _ = make_user("clerk", rights={"project": "c"})
    grant_journal(client, admin_headers, clerk_id, shared, "c")
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "reader", PASSWORD)
        registry = web.get("/office/projects").text
        assert "Проект Тета" in registry
        assert 'id="create-project"' not in registry
        assert 'data-key="delete"' not in registry
        card = web.get(f"/office/projects/{pid}").text
        assert 'id="read-only"' in card and 'id="project-form"' not in card
        assert 'id="delete"' not in card
        assert 'id="new-contract"' not in web.get(f"/office/projects/{pid}/contracts").text
        assert 'id="add-members"' not in web.get(f"/office/projects/{pid}/group").text
        files = web.get(f"/office/projects/{pid}/attachments").text
        assert 'id="upload-form"' not in files and 'data-key="delete"' not in files
        assert 'id="new-task"' not in web.get(f"/office/projects/{pid}/tasks").text
        forged: dict[str, dict[str, str]] = {
            "/office/projects/new": {"name": "Підроблений"},
            f"/office/projects/{pid}": {"name": "Підроблений"},
            f"/office/projects/{pid}/delete": {},
            f"/office/projects/{pid}/contracts/new": {"number": "Д-2"},
            f"/office/projects/{pid}/contracts/{contract}": {"number": "Д-3"},
            f"/office/projects/{pid}/contracts/{contract}/delete": {},
            f"/office/projects/{pid}/group/add": {"users": str(clerk_id)},
            f"/office/projects/{pid}/group/{reader_id}/remove": {},
            f"/office/projects/{pid}/attachments/{file_id}/delete": {},
            f"/office/projects/{pid}/tasks/new": {"name": "x"},
        }
        for path, data in forged.items():
            reply = web.post(path, data={"csrf": token, **data}, follow_redirects=False)
            assert reply.status_code == 403, path
            assert 'id="refused"' in reply.text, path
        upload = web.post(
            f"/office/projects/{pid}/attachments",
            data={"csrf": token},
            files={"file": ("x.txt", b"x", "text/plain")},
            follow_redirects=False,
        )
        assert upload.status_code == 403
        # Every CRM user may post to a discussion, as through the API.
        posted = web.post(
            f"/office/projects/{pid}/discussion",
            data={"csrf": token, "text": "Читаю"},
            follow_redirects=False,
        )
        assert posted.status_code == 303
    assert [p.name for p in rows_of(hub, Project)] == ["Проект Тета"]
    assert [c.number for c in rows_of(hub, ProjectContract)] == ["Д-1"]
    assert [m.user_id for m in rows_of(hub, ProjectMember)] == [reader_id]
    assert count(hub, Attachment) == 1 and count(hub, Task) == 0
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "clerk", PASSWORD)
        form = web.get("/office/projects/new").text
        choices = re.search(r'<select id="f-journal_id".*?</select>', form, re.S)
        assert choices is not None
        assert re.findall(r'<option value="(\d*)"', choices.group(0)) == ["", str(shared)]
        refused = web.post(
            "/office/projects/new",
            data={"csrf": token, "name": "Чужий журнал", "journal_id": str(other)},
            follow_redirects=False,
        )
        assert refused.status_code == 403 and "Таємний" in refused.text
        made = web.post(
            "/office/projects/new",
            data={"csrf": token, "name": "Свій журнал", "journal_id": str(shared)},
            follow_redirects=False,
        )
        assert made.status_code == 303
    assert [p.journal_id for p in rows_of(hub, Project, Project.name == "Свій журнал")] == [shared]
    assert rows_of(hub, Project, Project.name == "Чужий журнал") == []
    # Without the form token even an administrator's post is refused.
    with TestClient(create_app(hub)) as admin:
        web_login(admin, "admin", ADMIN_PASSWORD)
        reply = admin.post(f"/office/projects/{pid}/delete", data={"csrf": "x.y"})
        assert reply.status_code == 422
    assert count(hub, Project, Project.id == pid) == 1


@SQLITE_ONLY
def test_files_are_shown_inline_only_when_safe_and_otherwise_downloaded(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    pid = project(client, admin_headers, "Файли")
    picture = attach(client, admin_headers, pid, "plan.png", png(), "image/png")
    document = attach(client, admin_headers, pid, "act.pdf", pdf(), "application/pdf")
    page = attach(client, admin_headers, pid, "evil.html", b"<script>1</script>", "text/html")
    vector = attach(client, admin_headers, pid, "logo.svg", b"<svg/>", "image/svg+xml")
    fake = attach(client, admin_headers, pid, "fake.png", b"<html>hi</html>", "image/png")
    elsewhere = project(client, admin_headers, "Інший")
    with TestClient(create_app(hub)) as web:
        web_login(web, "admin", ADMIN_PASSWORD)
        base = f"/office/projects/{pid}/attachments"
        shown = web.get(f"{base}/{picture}/inline")
        assert shown.status_code == 200 and shown.content == png()
        assert shown.headers["content-type"] == "image/png"
        assert shown.headers["content-disposition"].startswith("inline;")
        assert shown.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in shown.headers["content-security-policy"]
        viewer = web.get(f"{base}/{document}/inline")
        assert viewer.headers["content-type"] == "application/pdf"
        assert viewer.headers["content-disposition"].startswith("inline;")
        assert viewer.headers["x-frame-options"] == "SAMEORIGIN"
        assert viewer.headers["content-security-policy"] == "frame-ancestors 'self'"
        for never in (page, vector, fake):
            served = web.get(f"{base}/{never}/inline")
            assert served.headers["content-disposition"].startswith("attachment;"), never
            assert served.headers["content-security-policy"] == "sandbox"
        listed = web.get(base).text
        assert f'src="{base}/{picture}/inline"' in listed
        assert f'src="{base}/{fake}/inline"' in listed  # declared a picture: the server decides
        view = web.get(f"{base}/{document}").text
        assert f'<iframe class="prj-pdf" id="preview" src="{base}/{document}/inline"' in view
        # Another project's path does not reach this project's files.
        assert (
            web.get(f"/office/projects/{elsewhere}/attachments/{picture}/inline").status_code == 404
        )
        # An upload beyond the 1 MiB of other requests gets the attachments' limit.
        token = re.search(r'name="csrf" value="([^"]+)"', listed)
        assert token is not None
        big = b"x" * int(1.5 * 2**20)
        reply = web.post(
            base,
            data={"csrf": token.group(1)},
            files={"file": ("big.bin", big, "application/octet-stream")},
            follow_redirects=False,
        )
        assert reply.status_code == 303, reply.text[:300]
        [stored] = rows_of(hub, Attachment, Attachment.original_filename == "big.bin")
        assert stored.size == len(big)
        # Logged out, nothing is served.
        web.cookies.clear()
        assert web.get(f"{base}/{picture}/inline", follow_redirects=False).status_code == 303


@SQLITE_ONLY
def test_the_registry_pages_by_keyset_finds_by_name_and_the_poll_gives_only_new_messages(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    names = [f"Об'єкт {i:03d}" for i in range(55)]
    for name in names:
        project(client, admin_headers, name)
    project(client, admin_headers, "ЩОДЕННИЙ звіт")
    with TestClient(create_app(hub)) as web:
        web_login(web, "admin", ADMIN_PASSWORD)
        first = web.get("/office/projects?q=об'єкт").text
        shown = re.findall(
            r'<tr data-href="/office/projects/\d+" tabindex="0" id="project-\d+">'
            r'\s*<td class="nowrap">\d+</td>\s*<td><a [^>]*>([^<]+)</a>',
            first,
        )
        assert len(shown) == 50
        later = re.search(r'<a href="([^"]+)" id="next-page"', first)
        assert later is not None
        second = web.get(later.group(1).replace("&amp;", "&")).text
        rest = re.findall(r'<td><a href="/office/projects/\d+" tabindex="-1">([^<]+)</a>', second)
        assert [n.replace("&#39;", "'") for n in shown + rest] == names
        assert 'id="next-page"' not in second
        found = web.get("/office/projects?q=щоденний").text
        assert "ЩОДЕННИЙ звіт" in found and "Об&#39;єкт" not in found
        assert web.get("/office/projects?journal=abc").status_code == 422
        # The discussion's poll: only what came after the last message shown.
        pid = project(client, admin_headers, "Чат")
        ids = [
            api(client, admin_headers, "POST", f"/projects/{pid}/messages", text=f"№{i}")["id"]
            for i in range(3)
        ]
        poll = f"/office/projects/{pid}/discussion/messages"
        newer = web.get(f"{poll}?after={ids[0]}").text
        assert re.findall(r'data-id="(\d+)"', newer) == [str(i) for i in ids[1:]]
        assert web.get(f"{poll}?after={ids[-1]}").text.strip() == ""
        assert web.get("/office/projects/999999/discussion/messages").status_code == 404
        web.cookies.clear()
        assert web.get(f"{poll}?after=0").status_code == 401


# --- in the browser -----------------------------------------------------------------------------


def press_insert(driver: WebDriver) -> None:
    """The manual's Ins, with the focus on the page (not in a field)."""
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.INSERT)


def tab(driver: WebDriver, key: str) -> None:
    """Open one of the card's tabs by its link."""
    link = driver.find_element(By.ID, f"tab-{key}")
    link.click()
    wait_for(
        driver,
        lambda d: d.find_element(By.ID, f"tab-{key}").get_attribute("aria-current") == "page",
        f"the {key} tab",
    )


def totals(driver: WebDriver, currency: str = "UAH") -> tuple[str, str]:
    """The contracts' planned and actual totals in ``currency`` as the page shows them."""
    row = driver.find_element(By.ID, f"total-{currency}")
    planned = row.find_element(By.CSS_SELECTOR, "[data-planned]").text
    actual = row.find_element(By.CSS_SELECTOR, "[data-actual]").text
    return planned, actual


def new_contract(driver: WebDriver, number: str, planned: str, actual: str) -> None:
    """Ins on the contracts tab, the form filled in and saved."""
    press_insert(driver)
    wait_for(driver, arrived("/contracts/new"), "the contract form")
    driver.find_element(By.ID, "f-number").send_keys(number)
    driver.find_element(By.ID, "f-planned_amount").send_keys(planned)
    driver.find_element(By.ID, "f-actual_amount").send_keys(actual)
    driver.find_element(By.ID, "save").click()
    wait_for(driver, arrived("/contracts"), "the contracts tab")
    assert done(driver) == "The contract is saved."


def test_a_project_with_a_journal_contracts_and_a_work_group(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    sales = journal(client, admin_headers, "sales", "Продажі", "Sales")
    journal(client, admin_headers, "service", "Сервіс", "Service")
    olena, _ = make_user("olena")
    petro, _ = make_user("petro")
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, lang="en")
        # Ins on the registry opens the card of a new project.
        press_insert(driver)
        wait_for(driver, arrived("/office/projects/new"), "the new project's card")
        driver.find_element(By.ID, "f-name").send_keys("Запуск філії")
        Select(driver.find_element(By.ID, "f-journal_id")).select_by_visible_text("Sales")
        set_value(driver, "f-start_date", "2026-03-01")
        set_value(driver, "f-end_date", "2026-06-30")
        Select(driver.find_element(By.ID, "f-manager_id")).select_by_value(str(olena))
        driver.find_element(By.ID, "f-description").send_keys("Відкриття філії на Подолі")
        driver.find_element(By.ID, "f-uses_queue").click()
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "tab-details"), "the card")
        assert "is created" in done(driver)
        [made] = rows_of(hub, Project)
        assert (made.name, made.journal_id, made.uses_queue) == ("Запуск філії", sales, True)
        assert (made.start_date.isoformat(), made.manager_id) == ("2026-03-01", olena)
        # Contracts with planned and actual amounts, totalled.
        tab(driver, "contracts")
        new_contract(driver, "Д-101", "1 200,50", "1000")
        new_contract(driver, "Д-102", "2000", "500.25")
        assert totals(driver) == ("3200.50", "1500.25")
        # Changed by Enter on its row; deleted by Del on its row, after the confirmation.
        [first, second] = rows_of(hub, ProjectContract)
        driver.find_element(By.ID, f"contract-{first.id}").send_keys(Keys.ENTER)
        wait_for(driver, arrived(f"/contracts/{first.id}"), "the contract's form")
        actual = driver.find_element(By.ID, "f-actual_amount")
        actual.clear()
        actual.send_keys("1100")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, arrived("/contracts"), "the contracts tab")
        assert totals(driver) == ("3200.50", "1600.25")
        driver.find_element(By.ID, f"contract-{second.id}").send_keys(Keys.DELETE)
        alert = wait_for(driver, lambda d: d.switch_to.alert, "the confirmation")
        assert "Д-102" in alert.text
        alert.accept()
        assert "is deleted" in done(driver)
        assert totals(driver) == ("1200.50", "1100.00")
        [kept] = rows_of(hub, ProjectContract)
        assert (kept.planned_amount, kept.actual_amount) == (Decimal("1200.50"), Decimal("1100"))
        # The work group: Ins opens the "choose employees" window; two marked, one taken out.
        tab(driver, "group")
        press_insert(driver)
        wait_for(driver, arrived("/group/add"), "the choice of employees")
        driver.find_element(By.ID, f"user-{olena}").click()
        driver.find_element(By.ID, f"user-{petro}").click()
        driver.find_element(By.ID, "f-role").send_keys("оператор")
        driver.find_element(By.ID, "save").click()
        assert done(driver) == "Added to the work group: 2."
        members = {m.user_id: m.role for m in rows_of(hub, ProjectMember)}
        assert members == {olena: "оператор", petro: "оператор"}
        driver.find_element(By.ID, f"member-{petro}").send_keys(Keys.DELETE)
        wait_for(driver, lambda d: d.switch_to.alert, "the confirmation").accept()
        assert "taken out" in done(driver)
        assert [m.user_id for m in rows_of(hub, ProjectMember)] == [olena]
        # The registry by journal: the project is in Sales, not in Service.
        driver.get(f"{base}/office/projects")
        Select(driver.find_element(By.ID, "journal")).select_by_visible_text("Service")
        driver.find_element(By.ID, "find").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "nothing"), "an empty journal")
        Select(driver.find_element(By.ID, "journal")).select_by_visible_text("Sales")
        driver.find_element(By.ID, "find").click()
        row = wait_for(driver, lambda d: d.find_elements(By.ID, f"project-{made.id}"), "the row")
        assert "Запуск філії" in row[0].text


@SQLITE_ONLY
def test_a_message_appears_in_another_users_open_page_without_a_reload(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    pid = project(client, admin_headers, "Обговорюваний")
    make_user("olena")
    with serve(create_app(hub)) as base, browser(DESKTOP) as admin, browser(DESKTOP) as olena:
        discussion = f"/office/projects/{pid}/discussion"
        log_in(admin, base, lang="en", then=discussion)
        log_in(olena, base, "olena", PASSWORD, then=discussion)
        assert admin.find_elements(By.ID, "no-messages")
        admin.execute_script("window.stayed = 42")  # gone if the page were loaded again
        olena.find_element(By.ID, "f-text").send_keys("Зустріч о 10:00 у вівторок")
        olena.find_element(By.ID, "send").click()
        assert done(olena) == "Повідомлення надіслано."
        [message] = rows_of(hub, Message)
        item = wait_for(
            admin, lambda d: d.find_elements(By.ID, f"message-{message.id}"), "the new message"
        )
        assert "Зустріч о 10:00 у вівторок" in item[0].text
        assert "Працівник olena" in item[0].text
        assert admin.execute_script("return window.stayed") == 42
        assert not admin.find_elements(By.ID, "no-messages")
        # The answer goes the other way too, and each sees both, oldest first.
        admin.find_element(By.ID, "f-text").send_keys("Буду")
        admin.find_element(By.ID, "send").click()
        assert done(admin) == "The message is sent."
        wait_for(
            olena,
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#messages li[data-id]")) == 2,
            "the answer",
        )
        texts = [e.text for e in olena.find_elements(By.CSS_SELECTOR, "#messages .prj-text")]
        assert texts == ["Зустріч о 10:00 у вівторок", "Буду"]


@SQLITE_ONLY
def test_a_picture_is_shown_in_the_page_and_a_text_file_is_downloaded(
    hub: Hub, client: TestClient, admin_headers: Headers, tmp_path: Path
) -> None:
    pid = project(client, admin_headers, "З вкладеннями")
    picture = tmp_path / "floor.png"
    picture.write_bytes(png(40, 30))
    notes = tmp_path / "notes.txt"
    notes.write_text("Нотатки наради\n", encoding="utf-8")
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, lang="en", then=f"/office/projects/{pid}/attachments")
        assert driver.find_element(By.ID, "f-file").get_attribute("data-max-bytes") == str(
            int(hub.settings.attachment_max_mb * 2**20)
        )
        driver.find_element(By.ID, "f-file").send_keys(str(picture))
        driver.find_element(By.ID, "f-name").send_keys("План поверху")
        driver.find_element(By.ID, "upload").click()
        assert done(driver) == "The file “План поверху” is attached."
        [stored] = rows_of(hub, Attachment)
        assert (stored.project_id, stored.content_type) == (pid, "image/png")
        thumb = driver.find_element(By.CSS_SELECTOR, f"#file-{stored.id} img.prj-thumb")
        wait_for(driver, lambda d: d.execute_script("return arguments[0].complete", thumb), "load")
        assert driver.execute_script("return arguments[0].naturalWidth", thumb) == 40
        # Its own page shows it large.
        driver.find_element(By.ID, f"file-{stored.id}").send_keys(Keys.ENTER)
        preview = wait_for(driver, lambda d: d.find_elements(By.ID, "preview"), "the preview")[0]
        wait_for(driver, lambda d: d.execute_script("return arguments[0].complete", preview), "+")
        assert driver.execute_script("return arguments[0].naturalHeight", preview) == 30
        # A text file is offered for download, with its name, never shown as a page.
        driver.get(f"{base}/office/projects/{pid}/attachments")
        driver.find_element(By.ID, "f-file").send_keys(str(notes))
        driver.find_element(By.ID, "upload").click()
        assert done(driver) == "The file “notes.txt” is attached."
        [text_file] = rows_of(hub, Attachment, Attachment.original_filename == "notes.txt")
        row = driver.find_element(By.ID, f"file-{text_file.id}")
        assert not row.find_elements(By.TAG_NAME, "img")
        link = str(row.find_element(By.ID, f"download-{text_file.id}").get_attribute("href"))
        cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
        reply = httpx.get(link, cookies=cookies, timeout=10)
        assert reply.status_code == 200
        assert reply.headers["content-disposition"].startswith('attachment; filename="notes.txt"')
        assert reply.content.decode("utf-8") == "Нотатки наради\n"
        # Deleted from its row (Del, after the confirmation).
        driver.find_element(By.ID, f"file-{text_file.id}").send_keys(Keys.DELETE)
        wait_for(driver, lambda d: d.switch_to.alert, "the confirmation").accept()
        assert done(driver) == "The file “notes.txt” is deleted."
        assert [a.id for a in rows_of(hub, Attachment)] == [stored.id]


@SQLITE_ONLY
def test_a_bad_form_shows_every_wrong_field_and_saves_nothing(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    pid = project(client, admin_headers, "Для договорів")
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, lang="en", then="/office/projects/new")
        set_value(driver, "f-start_date", "2026-05-10")
        set_value(driver, "f-end_date", "2026-05-01")
        driver.find_element(By.ID, "save").click()
        summary = wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "errors")[0]
        assert errors_shown(driver) == {
            "name": "Fill in this field.",
            "end_date": errors_shown(driver)["end_date"],
        }
        assert "end" in errors_shown(driver)["end_date"].lower()
        assert len(summary.find_elements(By.CSS_SELECTOR, "a[href^='#f-']")) == 2
        assert driver.switch_to.active_element == summary
        assert driver.find_element(By.ID, "f-start_date").get_attribute("value") == "2026-05-10"
        assert count(hub, Project) == 1
        # A contract: no number, an amount that is not one, a currency of two letters.
        driver.get(f"{base}/office/projects/{pid}/contracts/new")
        driver.find_element(By.ID, "f-planned_amount").send_keys("багато")
        currency = driver.find_element(By.ID, "f-currency")
        currency.clear()
        currency.send_keys("US")
        driver.find_element(By.ID, "save").click()
        summary = wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "errors")[0]
        assert set(errors_shown(driver)) == {"number", "planned_amount", "currency"}
        assert len(summary.find_elements(By.CSS_SELECTOR, "a[href^='#f-']")) == 3
        assert driver.find_element(By.ID, "f-planned_amount").get_attribute("value") == "багато"
        assert count(hub, ProjectContract) == 0


@SQLITE_ONLY
def test_two_people_editing_one_project_the_second_save_is_refused(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    pid = project(client, admin_headers, "Спільний", description="Початковий опис")
    with serve(create_app(hub)) as base, browser(DESKTOP) as first, browser(DESKTOP) as second:
        for driver in (first, second):
            log_in(driver, base, then=f"/office/projects/{pid}")
        name = first.find_element(By.ID, "f-name")
        name.clear()
        name.send_keys("Спільний проект")
        first.find_element(By.ID, "save").click()
        assert done(first) == "Проект збережено."
        second.find_element(By.ID, "f-uses_queue").click()
        second.find_element(By.ID, "save").click()
        summary = wait_for(second, lambda d: d.find_elements(By.ID, "error-summary"), "refusal")
        assert "щойно змінив інший користувач" in summary[0].text
        assert second.find_element(By.ID, "f-uses_queue").is_selected()
        [saved] = rows_of(hub, Project)
        assert (saved.name, saved.uses_queue) == ("Спільний проект", False)


@SQLITE_ONLY
def test_the_registry_by_keys_up_down_enter_and_delete(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    ids = [project(client, admin_headers, name) for name in ("Альфа", "Бета", "Гамма")]
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, lang="en")
        rows = driver.find_elements(By.CSS_SELECTOR, "#registry tr[data-href]")
        assert [r.get_attribute("id") for r in rows] == [f"project-{i}" for i in ids]
        rows[0].send_keys(Keys.DOWN)
        assert driver.switch_to.active_element.get_attribute("id") == f"project-{ids[1]}"
        driver.switch_to.active_element.send_keys(Keys.DOWN)
        driver.switch_to.active_element.send_keys(Keys.UP)
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait_for(driver, arrived(f"/office/projects/{ids[1]}"), "the card of Бета")
        assert driver.find_element(By.ID, "f-name").get_attribute("value") == "Бета"
        # Del on a row asks first; refused, nothing happens; accepted, the project goes.
        driver.get(f"{base}/office/projects")
        driver.find_element(By.ID, f"project-{ids[2]}").send_keys(Keys.DELETE)
        wait_for(driver, lambda d: d.switch_to.alert, "the confirmation").dismiss()
        assert count(hub, Project) == 3
        driver.find_element(By.ID, f"project-{ids[2]}").send_keys(Keys.DELETE)
        alert = wait_for(driver, lambda d: d.switch_to.alert, "the confirmation")
        assert "Гамма" in alert.text
        alert.accept()
        assert done(driver) == "Project “Гамма” is deleted."
        assert [p.name for p in rows_of(hub, Project)] == ["Альфа", "Бета"]


@SQLITE_ONLY
def test_events_and_tasks_of_the_project_coloured_by_status_and_made_from_it(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    pid = project(client, admin_headers, "З роботою")
    event = api(
        client,
        admin_headers,
        "POST",
        "/events",
        type="incoming_call",
        starts_at=moment(-2),
        project_id=pid,
        content="Дзвінок замовника",
    )
    soon = api(
        client,
        admin_headers,
        "POST",
        "/tasks",
        name="Підготувати кошторис",
        starts_at=moment(1),
        ends_at=moment(5),
        project_id=pid,
    )
    late = api(
        client,
        admin_headers,
        "POST",
        "/tasks",
        name="Погодити договір",
        starts_at=moment(-30),
        ends_at=moment(-3),
        project_id=pid,
    )
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, lang="en", then=f"/office/projects/{pid}/tasks")
        fresh = driver.find_element(By.ID, f"task-{soon['id']}")
        overdue = driver.find_element(By.ID, f"task-{late['id']}")
        swatch = "svg.prj-swatch rect"
        assert fresh.find_element(By.CSS_SELECTOR, swatch).get_attribute("fill") == "#1f5fbf"
        assert overdue.find_element(By.CSS_SELECTOR, swatch).get_attribute("fill") == "#c62828"
        assert "prj-overdue-row" in str(overdue.get_attribute("class"))
        assert "overdue" in overdue.text and "overdue" not in fresh.text
        red = driver.execute_script(
            "return getComputedStyle(arguments[0].querySelector('.prj-overdue')).color", overdue
        )
        assert red == "rgb(179, 38, 30)"
        link = fresh.find_element(By.TAG_NAME, "a").get_attribute("href")
        assert str(link).endswith(f"/office/tasks/{soon['id']}")
        # The plan-schedule: the Tasks section's Gantt chart of this project.
        tab(driver, "plan")
        gantt = driver.find_element(By.ID, "open-gantt").get_attribute("href")
        assert str(gantt).endswith(f"/office/tasks/gantt?project={pid}")
        bars = driver.find_elements(By.CSS_SELECTOR, "#plan .gantt-bar[data-task]")
        assert {b.get_attribute("data-task") for b in bars} == {str(soon["id"]), str(late["id"])}
        # Events open in the event card; Ins makes a new one in the project.
        tab(driver, "events")
        row = driver.find_element(By.ID, f"event-{event['id']}")
        assert str(row.get_attribute("data-href")).endswith(f"/office/events/{event['id']}")
        press_insert(driver)
        wait_for(driver, arrived("/events/new"), "the event form")
        Select(driver.find_element(By.ID, "f-type")).select_by_visible_text("Visit")
        driver.find_element(By.ID, "f-content").send_keys("Зустріч на об'єкті")
        driver.find_element(By.ID, "save").click()
        assert "is created" in done(driver)
        made = rows_of(hub, Event, Event.content == "Зустріч на об'єкті")
        assert [e.project_id for e in made] == [pid]
        assert driver.find_elements(By.ID, f"event-{made[0].id}")
        # And a task, with a wrong end first.
        tab(driver, "tasks")
        press_insert(driver)
        wait_for(driver, arrived("/tasks/new"), "the task form")
        driver.find_element(By.ID, "f-name").send_keys("Замовити обладнання")
        set_value(driver, "f-ends_at", "")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "the refusal")
        assert errors_shown(driver) == {"ends_at": "Fill in this field."}
        set_value(driver, "f-ends_at", "2031-01-01T10:00")
        driver.find_element(By.ID, "save").click()
        assert "is created" in done(driver)
        [task] = rows_of(hub, Task, Task.name == "Замовити обладнання")
        assert task.project_id == pid


# --- every page: accessibility, both languages, screenshots -------------------------------------


def _fill_for_pictures(
    client: TestClient, headers: Headers, make_user: UserFactory
) -> dict[str, int]:
    sales = journal(client, headers, "sales", "Продажі", "Sales")
    olena, _ = make_user("olena")
    petro, _ = make_user("petro")
    customer = api(client, headers, "POST", "/clients", name="ТОВ Альфа-Сервіс")["id"]
    pid = project(
        client,
        headers,
        "Відкриття філії на Подолі",
        journal_id=sales,
        start_date="2026-03-01",
        end_date="2026-06-30",
        manager_id=olena,
        customer_id=customer,
        description="Оренда, ремонт, обладнання і найм персоналу.",
        uses_queue=True,
    )
    contract = api(
        client,
        headers,
        "POST",
        f"/projects/{pid}/contracts",
        number="Д-101",
        contract_date="2026-03-02",
        client_id=customer,
        subject="Ремонт приміщення",
        planned_amount="120000.00",
        actual_amount="45000.50",
    )["id"]
    api(
        client,
        headers,
        "POST",
        f"/projects/{pid}/contracts",
        number="Д-102",
        subject="Обладнання",
        planned_amount="80000",
        actual_amount="0",
    )
    for user, role in ((olena, "керівник зміни"), (petro, "оператор")):
        api(client, headers, "PUT", f"/projects/{pid}/members/{user}", role=role)
    api(
        client,
        headers,
        "POST",
        "/events",
        type="incoming_call",
        starts_at=moment(-5),
        project_id=pid,
        client_id=customer,
        content="Замовник питає про терміни",
    )
    for name, start, end, status in (
        ("Погодити кошторис", -72, -24, "assigned"),
        ("Закупити обладнання", -10, 48, "assigned"),
        ("Підписати договір оренди", -200, -150, "done"),
    ):
        api(
            client,
            headers,
            "POST",
            "/tasks",
            name=name,
            starts_at=moment(start),
            ends_at=moment(end),
            project_id=pid,
            status=status,
        )
    for text in ("Ремонт починаємо в понеділок.", "Обладнання замовлено, доставка 20-го."):
        api(client, headers, "POST", f"/projects/{pid}/messages", text=text)
    picture = attach(client, headers, pid, "plan.png", png(160, 90), "image/png")
    attach(client, headers, pid, "act.pdf", pdf(), "application/pdf")
    attach(client, headers, pid, "notes.txt", "Нотатки".encode(), "text/plain")
    return {"project": pid, "contract": contract, "picture": picture}


@SQLITE_ONLY
def test_every_page_is_accessible_in_both_languages_with_screenshots(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    made = _fill_for_pictures(client, admin_headers, make_user)
    card = f"/office/projects/{made['project']}"
    pages = {
        "projects": "/office/projects",
        "project-new": "/office/projects/new",
        "project-details": card,
        "project-contracts": f"{card}/contracts",
        "project-contract-form": f"{card}/contracts/{made['contract']}",
        "project-events": f"{card}/events",
        "project-event-new": f"{card}/events/new",
        "project-tasks": f"{card}/tasks",
        "project-task-new": f"{card}/tasks/new",
        "project-group": f"{card}/group",
        "project-group-add": f"{card}/group/add",
        "project-plan": f"{card}/plan",
        "project-discussion": f"{card}/discussion",
        "project-attachments": f"{card}/attachments",
        "project-attachment": f"{card}/attachments/{made['picture']}",
    }
    with serve(create_app(hub)) as base:
        for size_name, size in SIZES.items():
            with browser(size) as driver:
                log_in(driver, base)
                for lang in ("uk", "en"):
                    for name, path in pages.items():
                        joiner = "&" if "?" in path else "?"
                        driver.get(f"{base}{path}{joiner}lang={lang}")
                        html = driver.find_element(By.TAG_NAME, "html")
                        assert html.get_attribute("lang") == lang, name
                        assert not driver.find_elements(By.ID, "refused"), name
                        if size_name == "desktop":
                            assert_accessible(driver, f"{name} ({lang})")
                        shot(driver, name, lang, size_name)
                    # A refused card: the summary and the messages beside the fields.
                    driver.get(f"{base}/office/projects/new?lang={lang}")
                    set_value(driver, "f-start_date", "2026-05-10")
                    set_value(driver, "f-end_date", "2026-05-01")
                    driver.find_element(By.ID, "save").click()
                    wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "errors")
                    if size_name == "desktop":
                        assert_accessible(driver, f"project form with errors ({lang})")
                    shot(driver, "project-form-errors", lang, size_name)
