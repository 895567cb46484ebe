"""The task card of the back-office (TSK-2..TSK-10, TSK-15) in headless Chromium against the
real hub; what the server refuses and the PDFs' text over HTTP are in
``tests/test_office_task_card_http.py``, which shares the helpers here.

The pages are served by the hub's own app (uvicorn on loopback); records are made through the
REST API and read back from the database. PDFs are read with pypdf's text extraction and drawn
to pictures with Poppler's pdftoppm. Screenshots go to the scratch folder of the other office
tests (CHERGA_SCREENSHOTS=docs/screenshots refreshes docs/) as office-<page>-<lang>-<size>.png.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import Task, TaskReminder, TaskTemplate
from tests import browser as browsers
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory

pytestmark = [pytest.mark.timeout(300), pytest.mark.parametrize("backend", ["sqlite"])]
TABLET = (1024, 768)
TASKS = "/api/v1/tasks"
TABS = (
    "details",
    "executors",
    "dependencies",
    "history",
    "documents",
    "extra",
    "discussion",
    "fields",
    "attachments",
)
LATER = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def base(hub: Hub) -> Iterator[str]:
    """The hub's app served on a loopback port."""
    with serve(create_app(hub)) as url:
        yield url


def api(client: TestClient, headers: dict[str, str], method: str, url: str, **body: Any) -> Any:
    """One API call that must succeed; its JSON (None for 204)."""
    reply = client.request(method, f"/api/v1{url}", headers=headers, json=body or None)
    assert reply.status_code in (200, 201, 204), reply.text
    return reply.json() if reply.content else None


def make_task(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A task made through the API (two hours from LATER unless told otherwise)."""
    body: dict[str, Any] = {
        "name": "Підготувати договір",
        "starts_at": LATER.isoformat(),
        "ends_at": (LATER + timedelta(hours=2)).isoformat(),
        **fields,
    }
    result: dict[str, Any] = api(client, headers, "POST", "/tasks", **body)
    return result


def task_of(hub: Hub, task_id: int) -> Task | None:
    """The task as stored now (with its executors)."""
    with hub.sessions() as session:
        task = session.get(Task, task_id)
        if task is not None:
            _ = list(task.executors)
        return task


def count(hub: Hub, model: Any, *where: Any) -> int:
    """How many rows of ``model`` match."""
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def status_of(hub: Hub, task_id: int) -> str:
    """The code of the task's status now."""
    from hub.db.models import TaskStatus

    with hub.sessions() as session:
        task = session.get(Task, task_id)
        assert task is not None
        entry = session.get(TaskStatus, task.status_id)
        assert entry is not None
        return entry.code


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
    again = re.search(r'name="csrf" value="([^"]+)"', web.get("/office/tasks/new").text)
    assert again
    return again.group(1)


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF (pypdf's extraction), spaces squeezed."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def log_in(
    driver: WebDriver,
    base: str,
    then: str,
    *,
    user: str = "admin",
    lang: str = "uk",
    password: str = ADMIN_PASSWORD,
) -> None:
    """The back-office's login, coming back to ``then``."""
    browsers.office_log_in(driver, base, then, user, password, lang)


flash = browsers.office_flash


def summary(driver: WebDriver) -> str:
    """The error summary at the top, once there is one."""
    return wait_for(driver, lambda d: text_of(d, "#error-summary"), "the error summary")


def card_id(driver: WebDriver) -> int:
    """The id of the task whose card the browser shows."""
    found = re.search(r"/office/tasks/(\d+)", driver.current_url)
    assert found, driver.current_url
    return int(found.group(1))


def set_value(driver: WebDriver, element_id: str, value: str) -> None:
    """Fill a date/time field (typing into one depends on the browser's locale)."""
    driver.execute_script(
        "document.getElementById(arguments[0]).value = arguments[1]", element_id, value
    )


shot = browsers.office_shot


def pdf_picture(content: bytes, name: str) -> Path:
    """The first page of a PDF drawn to office-NAME.png by Poppler's pdftoppm."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.skip("pdftoppm is needed to draw a PDF (Debian: poppler-utils)")
    browsers.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = browsers.SCREENSHOTS / f"office-{name}"
    with tempfile.TemporaryDirectory(prefix="cherga-pdf-") as scratch:
        source = Path(scratch) / "form.pdf"
        source.write_bytes(content)
        subprocess.run(
            [tool, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(source), str(stem)],
            check=True,
            timeout=60,
        )
    picture = stem.with_suffix(".png")
    assert picture.stat().st_size > 5000
    return picture


# --- in the browser: accessibility and screenshots of every tab, both languages -------------------


PAGES = {
    "task-new": "/office/tasks/new",
    "task-multiply": "/office/tasks/{id}/multiply",
    "task-sheet": "/office/tasks/{id}/print",
    "task-registry-print": "/office/tasks/print?ids={first},{id}",
}


def test_card_tabs_are_accessible_in_both_languages_with_screenshots_and_pdf_pictures(
    hub: Hub,
    client: TestClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    base: str,
) -> None:
    worker, _ = make_user("olena", rights={"task": "cud"})
    api(
        client,
        admin_headers,
        "POST",
        "/task-fields",
        code="budget",
        name_uk="Бюджет",
        name_en="Budget",
        value_type="number",
    )
    client_id = api(client, admin_headers, "POST", "/clients", name="ТОВ Ромашка")["id"]
    first = make_task(client, admin_headers, name="Зібрати підписи", executor_ids=[worker])
    task = make_task(
        client,
        admin_headers,
        name="Відправити договір",
        client_id=client_id,
        content="Надіслати «Новою поштою» до п'ятниці",
        executor_ids=[worker, 1],
        starts_at=(LATER + timedelta(hours=3)).isoformat(),
        ends_at=(LATER + timedelta(hours=4)).isoformat(),
        custom_fields={"budget": 1200},
    )
    api(client, admin_headers, "PUT", f"/tasks/{task['id']}/dependencies/{first['id']}")
    api(client, admin_headers, "POST", f"/tasks/{task['id']}/messages", text="Чекаю на підпис")
    api(
        client,
        admin_headers,
        "POST",
        f"/tasks/{task['id']}/reminders",
        user_id=worker,
        remind_at=LATER.isoformat(),
        text="Не забути печатку",
    )
    with browser(DESKTOP) as driver:
        log_in(driver, base, f"/office/tasks/{task['id']}")
        for lang in ("uk", "en"):
            for tab in TABS:
                driver.get(f"{base}/office/tasks/{task['id']}?tab={tab}&lang={lang}")
                wait_for(driver, lambda d: d.find_elements(By.ID, "tab-title"), tab)
                assert_accessible(driver, f"the card's {tab} tab ({lang})")
                shot(driver, f"task-card-{tab}", lang, "desktop")
            for name, path in PAGES.items():
                url = path.format(id=task["id"], first=first["id"])
                joiner = "&" if "?" in url else "?"
                driver.get(f"{base}{url}{joiner}lang={lang}")
                wait_for(driver, lambda d: d.find_elements(By.TAG_NAME, "h1"), name)
                assert_accessible(driver, f"{name} ({lang})")
                shot(driver, name, lang, "desktop")
            # The keyboard alone goes through the tabs: each is a link in the tab order.
            driver.get(f"{base}/office/tasks/{task['id']}?lang={lang}")
            driver.execute_script("document.getElementById('tab-executors').focus()")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_for(driver, lambda d: "tab=executors" in d.current_url, "the executors tab")
            assert "Працівник olena" in text_of(driver, "#executors")
        cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
    with browser(TABLET) as driver:
        log_in(driver, base, f"/office/tasks/{task['id']}")
        for lang in ("uk", "en"):
            driver.get(f"{base}/office/tasks/{task['id']}?lang={lang}")
            wait_for(driver, lambda d: d.find_elements(By.ID, "tab-title"), "the card")
            shot(driver, "task-card-details", lang, "tablet")
    # The PDFs as a person sees them, asked with the browser's own session (last: drawing them
    # needs Poppler).
    for lang in ("uk", "en"):
        sheet = httpx.get(
            f"{base}/office/tasks/{task['id']}/sheet.pdf?lang={lang}", cookies=cookies
        )
        assert sheet.status_code == 200
        pdf_picture(sheet.content, f"task-sheet-pdf-{lang}")
        printed = httpx.get(
            f"{base}/office/tasks/print.pdf?ids={first['id']},{task['id']}&lang={lang}",
            cookies=cookies,
        )
        assert printed.status_code == 200
        pdf_picture(printed.content, f"task-registry-pdf-{lang}")


# --- in the browser: the card's work ----------------------------------------------------------


def choose_many(driver: WebDriver, element_id: str, *values: int) -> None:
    """Choose these options of a multiple select (and only them)."""
    chooser = Select(driver.find_element(By.ID, element_id))
    chooser.deselect_all()
    for value in values:
        chooser.select_by_value(str(value))


def test_a_task_with_two_executors_is_done_only_when_both_are(
    hub: Hub, base: str, make_user: UserFactory
) -> None:
    olena, _ = make_user("olena", rights={"task": "cud"})
    petro, _ = make_user("petro", rights={"task": "cud"})
    with browser(DESKTOP) as driver:
        log_in(driver, base, "/office/tasks/new")
        driver.find_element(By.ID, "f-name").send_keys("Перевірити склад")
        set_value(driver, "f-starts_at", "2031-03-10T09:00")
        set_value(driver, "f-ends_at", "2031-03-10T12:00")
        choose_many(driver, "f-executor_ids", olena, petro)
        driver.find_element(By.ID, "save").click()
        assert "створено" in flash(driver, "створено")
        task_id = card_id(driver)
        stored = task_of(hub, task_id)
        assert stored is not None and {e.user_id for e in stored.executors} == {olena, petro}

        # Olena is done; the task is not.
        driver.find_element(By.ID, "tab-executors").click()
        Select(driver.find_element(By.ID, f"status-{olena}")).select_by_value("done")
        minutes = driver.find_element(By.ID, f"f-minutes-{olena}")
        minutes.clear()
        minutes.send_keys("45")
        driver.find_element(By.ID, f"save-executor-{olena}").click()
        assert "Виконавця збережено" in flash(driver, "Виконавця збережено")
        assert status_of(hub, task_id) == "assigned"

        # Setting the task Done by hand is refused while Petro is not done: the domain says why.
        driver.find_element(By.ID, "tab-details").click()
        Select(driver.find_element(By.ID, "f-status")).select_by_value("done")
        driver.find_element(By.ID, "save").click()
        assert "1 з 2 виконавців" in summary(driver)
        assert status_of(hub, task_id) == "assigned"

        # Petro is done too, and asks to complete the task with it.
        driver.get(f"{base}/office/tasks/{task_id}?tab=executors")
        Select(driver.find_element(By.ID, f"status-{petro}")).select_by_value("done")
        driver.find_element(By.ID, f"complete-{petro}").click()
        driver.find_element(By.ID, f"save-executor-{petro}").click()
        assert "Виконавця збережено" in flash(driver, "Виконавця збережено")
        assert status_of(hub, task_id) == "done"
        assert "Виконана" in text_of(driver, ".task-status")
        stored = task_of(hub, task_id)
        assert stored is not None
        assert {e.user_id: e.time_spent_minutes for e in stored.executors}[olena] == 45


def pick(driver: WebDriver, field: str, typed: str, choice: str) -> None:
    """Type into a reference field, open its picker with F3 and choose ``choice`` by keyboard."""
    box = driver.find_element(By.ID, f"f-{field}")
    box.clear()
    box.send_keys(typed)
    box.send_keys(Keys.F3)
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


def test_a_dependency_is_added_with_the_picker_and_a_cycle_is_refused(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    first = make_task(client, admin_headers, name="Отримати рахунок")
    later = make_task(
        client,
        admin_headers,
        name="Оплатити рахунок",
        starts_at=(LATER + timedelta(hours=3)).isoformat(),
        ends_at=(LATER + timedelta(hours=4)).isoformat(),
    )
    with browser(DESKTOP) as driver:
        log_in(driver, base, f"/office/tasks/{later['id']}?tab=dependencies", lang="en")
        pick(driver, "depends_on_id", "Отримати", "Отримати рахунок")
        driver.find_element(By.ID, "add-dependency").click()
        assert "dependency was added" in flash(driver, "dependency was added")
        assert "Отримати рахунок" in text_of(driver, "#depends-on")

        # The earlier task cannot now depend on the later one: the domain's cycle message.
        driver.get(f"{base}/office/tasks/{first['id']}?tab=dependencies")
        assert "Оплатити рахунок" in text_of(driver, "#dependents")
        box = driver.find_element(By.ID, "f-depends_on_id")
        box.send_keys(f"№{later['number']}")
        driver.find_element(By.ID, "add-dependency").click()
        told = summary(driver)
        assert "cycle" in told, told
        assert "cycle" in text_of(driver, "#f-depends_on_id-error")
        assert driver.find_element(By.ID, "f-depends_on_id").get_attribute("value") == (
            f"№{later['number']}"
        )
        assert_accessible(driver, "a refused dependency (en)")


def test_a_recurring_task_set_done_makes_the_next_one(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    task = make_task(client, admin_headers, name="Щотижневий звіт")
    with browser(DESKTOP) as driver:
        log_in(driver, base, f"/office/tasks/{task['id']}?tab=extra")
        Select(driver.find_element(By.ID, "f-recurrence")).select_by_value("weekly")
        driver.find_element(By.ID, "save-recurrence").click()
        assert "Повторення збережено" in flash(driver, "Повторення збережено")
        driver.find_element(By.ID, "tab-details").click()
        Select(driver.find_element(By.ID, "f-status")).select_by_value("done")
        driver.find_element(By.ID, "save").click()
        told = flash(driver, "створено наступну")
        assert "створено наступну" in told, told
        following = driver.find_element(By.ID, "following")
        following.click()
        wait_for(driver, lambda d: card_id(d) != task["id"], "the next task's card")
        next_task = task_of(hub, card_id(driver))
        assert next_task is not None and next_task.previous_id == task["id"]
        assert next_task.starts_at == LATER + timedelta(days=7)
        assert next_task.recurrence == "weekly"
        assert status_of(hub, next_task.id) == "assigned"


def test_save_as_a_template_and_create_from_it_then_copy_and_multiply_over_two_clients(
    hub: Hub,
    client: TestClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    base: str,
) -> None:
    worker, _ = make_user("olena", rights={"task": "cud"})
    alpha = api(client, admin_headers, "POST", "/clients", name="ТОВ Альфа")["id"]
    beta = api(client, admin_headers, "POST", "/clients", name="ТОВ Бета")["id"]
    api(client, admin_headers, "POST", "/clients", name="ТОВ Гамма")
    task = make_task(
        client, admin_headers, name="Звірка розрахунків", priority="high", executor_ids=[worker]
    )
    with browser(DESKTOP) as driver:
        log_in(driver, base, f"/office/tasks/{task['id']}", lang="en")
        driver.find_element(By.ID, "f-template_name").send_keys("Квартальна звірка")
        driver.find_element(By.ID, "save-template").click()
        assert "template “Квартальна звірка” was saved" in flash(
            driver, "template “Квартальна звірка” was saved"
        )
        assert count(hub, TaskTemplate) == 1

        driver.get(f"{base}/office/tasks/new")
        Select(driver.find_element(By.ID, "f-template_id")).select_by_visible_text(
            "Квартальна звірка"
        )
        set_value(driver, "f-template_starts_at", "2031-04-01T10:00")
        driver.find_element(By.ID, "from-template").click()
        assert "was created" in flash(driver, "was created")
        made = task_of(hub, card_id(driver))
        assert made is not None and made.id != task["id"]
        assert made.name == "Звірка розрахунків" and made.priority == "high"
        assert [e.user_id for e in made.executors] == [worker]
        assert made.ends_at - made.starts_at == timedelta(hours=2)

        # Copy (F5): the same details and executors in a new task.
        driver.get(f"{base}/office/tasks/{task['id']}")
        driver.find_element(By.ID, "copy").click()
        assert "A copy was made" in flash(driver, "A copy was made")
        copied = task_of(hub, card_id(driver))
        assert copied is not None and copied.name == "Звірка розрахунків"
        assert [e.user_id for e in copied.executors] == [worker]

        # Multiply over two of the three clients: one copy for each.
        driver.get(f"{base}/office/tasks/{task['id']}/multiply")
        for ident in (alpha, beta):
            driver.find_element(By.CSS_SELECTOR, f"input[name=client_ids][value='{ident}']").click()
        driver.find_element(By.ID, "multiply-go").click()
        assert "Tasks made" in flash(driver, "Tasks made")
    with hub.sessions() as session:
        clients = session.scalars(
            select(Task.client_id).where(
                Task.name == "Звірка розрахунків", Task.client_id.is_not(None)
            )
        )
        assert sorted(clients) == sorted([alpha, beta])
    assert count(hub, Task) == 5


def test_a_reminder_is_added_repeated_and_deleted(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory, base: str
) -> None:
    worker, _ = make_user("olena", rights={"task": "cud"})
    task = make_task(client, admin_headers, name="Нагадати про оплату", executor_ids=[worker])
    with browser(DESKTOP) as driver:
        log_in(driver, base, f"/office/tasks/{task['id']}?tab=extra")
        Select(driver.find_element(By.ID, "f-user_id")).select_by_value(str(worker))
        set_value(driver, "f-remind_at", "2031-03-10T08:30")
        Select(driver.find_element(By.ID, "f-channel")).select_by_value("email_and_system")
        driver.find_element(By.ID, "f-text").send_keys("Подзвонити в бухгалтерію")
        driver.find_element(By.ID, "add-reminder").click()
        assert "Нагадування додано" in flash(driver, "Нагадування додано")
        assert "Подзвонити в бухгалтерію" in text_of(driver, "#reminders")
        with hub.sessions() as session:
            (reminder,) = session.scalars(select(TaskReminder))
            assert reminder.user_id == worker and reminder.channel == "email_and_system"
            first = reminder.id

        set_value(driver, f"f-repeat-{first}", "2031-03-11T08:30")
        driver.find_element(
            By.CSS_SELECTOR, f"tr[data-reminder='{first}'] .repeat-form button"
        ).click()
        assert "повторено" in flash(driver, "повторено")
        assert count(hub, TaskReminder) == 2

        driver.find_element(By.ID, f"delete-reminder-{first}").click()
        wait_for(driver, lambda d: d.switch_to.alert, "the confirmation").accept()
        assert "видалено" in flash(driver, "видалено")
        assert count(hub, TaskReminder) == 1
        assert len(driver.find_elements(By.CSS_SELECTOR, "#reminders tbody tr")) == 1


def test_a_bad_form_shows_every_wrong_field_and_saves_nothing(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    api(client, admin_headers, "POST", "/clients", name="ТОВ Альфа")
    with browser(DESKTOP) as driver:
        log_in(driver, base, "/office/tasks/new", lang="en")
        driver.find_element(By.ID, "f-name").clear()
        set_value(driver, "f-starts_at", "")
        driver.find_element(By.ID, "f-percent_done").send_keys("150")
        driver.find_element(By.ID, "f-email").send_keys("not-an-address")
        driver.find_element(By.ID, "f-client_id").send_keys("No such client")
        driver.find_element(By.ID, "save").click()
        told = summary(driver)
        for field, words in (
            ("name", "Fill in this field"),
            ("starts_at", "Fill in this field"),
            ("percent_done", "from 0 to 100"),
            ("email", "name@example.com"),
            ("client_id", "Choose from the list"),
        ):
            assert words in told, (field, told)
            assert words in text_of(driver, f"#f-{field}-error"), field
            assert driver.find_element(By.ID, f"f-{field}").get_attribute("aria-invalid") == "true"
        assert driver.find_element(By.ID, "f-email").get_attribute("value") == "not-an-address"
        assert_accessible(driver, "the new task's form with errors (en)")
        assert count(hub, Task) == 0

        # A rule of the domain (the end before the start) is told beside its field, in Ukrainian.
        driver.get(f"{base}/office/tasks/new?lang=uk")
        driver.find_element(By.ID, "f-name").send_keys("Навпаки")
        set_value(driver, "f-starts_at", "2031-03-02T10:00")
        set_value(driver, "f-ends_at", "2031-03-01T10:00")
        driver.find_element(By.ID, "save").click()
        summary(driver)
        assert "раніше за його початок" in text_of(driver, "#f-ends_at-error")
        assert count(hub, Task) == 0


def test_two_people_editing_one_task_the_second_save_is_refused(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], base: str
) -> None:
    task = make_task(client, admin_headers, content="Як було")
    here = f"/office/tasks/{task['id']}"
    with browser(DESKTOP) as one, browser(DESKTOP) as two:
        log_in(one, base, here, lang="en")
        log_in(two, base, here, lang="en")
        for driver, words in ((one, "First"), (two, "Second")):
            box = driver.find_element(By.ID, "f-content")
            box.clear()
            box.send_keys(words)
        one.find_element(By.ID, "save").click()
        assert "saved" in flash(one)
        two.find_element(By.ID, "save").click()
        assert "changed" in summary(two).lower()
        assert two.find_element(By.ID, "f-content").get_attribute("value") == "Second"
    stored = task_of(hub, task["id"])
    assert stored is not None and stored.content == "First"


def test_what_a_user_may_not_do_is_not_offered_and_a_forged_form_is_refused(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory, base: str
) -> None:
    make_user("reader", rights={"task": "c"})
    task = make_task(client, admin_headers, name="Чуже завдання")
    here = f"/office/tasks/{task['id']}"
    with browser(DESKTOP) as driver:
        log_in(driver, base, here, user="reader", password="user-password-1")
        assert "Чуже завдання" in text_of(driver, "#facts")
        assert not driver.find_elements(By.ID, "save")
        assert not driver.find_elements(By.ID, "delete")
        assert driver.find_elements(By.ID, "copy")  # creating is allowed
        driver.get(f"{base}{here}?tab=extra")
        assert not driver.find_elements(By.ID, "add-reminder")
        # A forged form with this browser's own valid token.
        driver.execute_script(
            "const f = document.createElement('form'); f.method = 'post';"
            "f.action = arguments[0];"
            "const c = document.querySelector('input[name=csrf]').cloneNode();"
            "f.appendChild(c); document.body.appendChild(f); f.submit();",
            f"{here}/delete",
        )
        assert "Немає права" in summary(driver)
    assert task_of(hub, task["id"]) is not None
