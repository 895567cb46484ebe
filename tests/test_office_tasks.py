"""The tasks section's registry, calendars and Gantt chart (TSK-1, TSK-11..TSK-14, PRJ-5) in
headless Chromium against the real hub.

The pages are served by the hub's own app (uvicorn on loopback); records are made through the
API and read back from the database. A task is dragged in the month view with real mouse input
(Selenium's ActionChains: the calendar moves a task on pointer events, which Chromium's input
pipeline produces from those actions, where the HTML5 drag-and-drop events would need synthetic
events). Screenshots go to the scratch folder (CHERGA_SCREENSHOTS=docs/screenshots refreshes
docs/) as office-<page>-<lang>-<size>.png. The main path (drag and drop) runs on SQLite and
PostgreSQL, the rest on SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import Task, TaskExecutor, TaskStatus
from hub.services.settings.parameters import get_user_parameters
from tests import browser as browsers
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory
from tests.test_office_task_card import web_login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
TABLET = (1024, 768)
SIZES = {"desktop": DESKTOP, "tablet": TABLET}
PASSWORD = "user-password-1"
Headers = dict[str, str]
pytestmark = pytest.mark.timeout(600)
BLUE, BLACK, RED = "rgb(31, 95, 191)", "rgb(0, 0, 0)", "rgb(198, 40, 40)"


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def base(hub: Hub) -> Iterator[str]:
    """The hub's app served on a loopback port."""
    with serve(create_app(hub)) as url:
        yield url


def log_in(
    driver: WebDriver,
    base: str,
    username: str = "admin",
    password: str = ADMIN_PASSWORD,
    lang: str = "uk",
    then: str = "/office/tasks",
) -> None:
    """The back-office's login, landing on ``then``."""
    browsers.office_log_in(driver, base, then, username, password, lang)


shot = browsers.office_shot


def api(client: TestClient, headers: Headers, method: str, url: str, **body: Any) -> Any:
    """One API call that must succeed; its JSON (None for 204)."""
    reply = client.request(method, f"/api/v1{url}", headers=headers, json=body or None)
    assert reply.status_code in (200, 201, 204), reply.text
    return reply.json() if reply.status_code != 204 else None


def at(hub: Hub, day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of the site's day."""
    return datetime.combine(day, time(hour, minute), tzinfo=hub.settings.tz)


def new_task(
    client: TestClient,
    headers: Headers,
    name: str,
    starts: datetime,
    ends: datetime,
    **fields: Any,
) -> dict[str, Any]:
    """A task made through the API."""
    body = {"name": name, "starts_at": starts.isoformat(), "ends_at": ends.isoformat(), **fields}
    found: dict[str, Any] = api(client, headers, "POST", "/tasks", **body)
    return found


def task_of(hub: Hub, task_id: int) -> Task | None:
    """The task as stored now."""
    with hub.sessions() as session:
        return session.get(Task, task_id)


def count(hub: Hub, model: Any, *where: Any) -> int:
    """How many rows of ``model`` match."""
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def status_code(hub: Hub, task_id: int) -> str:
    """The stored status code of a task."""
    with hub.sessions() as session:
        found = session.scalar(
            select(TaskStatus.code)
            .join(Task, Task.status_id == TaskStatus.id)
            .where(Task.id == task_id)
        )
    return str(found)


def executors_of(hub: Hub, task_id: int) -> list[tuple[int, str]]:
    """(user, status code) of each executor of a task."""
    with hub.sessions() as session:
        found = session.execute(
            select(TaskExecutor.user_id, TaskStatus.code)
            .join(TaskStatus, TaskStatus.id == TaskExecutor.status_id)
            .where(TaskExecutor.task_id == task_id)
            .order_by(TaskExecutor.id)
        )
        return [(row[0], row[1]) for row in found]


def numbers(driver: WebDriver) -> list[str]:
    """The numbers of the registry's rows, in order."""
    return [
        str(row.get_attribute("data-number"))
        for row in driver.find_elements(By.CSS_SELECTOR, "#registry tr[data-href]")
    ]


def colour_of(driver: WebDriver, css: str) -> str:
    """The computed text colour of the first element matching ``css``."""
    return str(
        driver.execute_script(
            "return getComputedStyle(document.querySelector(arguments[0])).color", css
        )
    )


flash = browsers.office_flash


def summary(driver: WebDriver) -> str:
    """The error summary at the top, once there is one."""
    return wait_for(driver, lambda d: text_of(d, "#error-summary"), "the error summary")


def forged(driver: WebDriver, action: str, fields: dict[str, str]) -> int:
    """POST a form the page does not offer, with this browser's own session and CSRF token;
    the answer's status."""
    return int(
        driver.execute_async_script(
            "const [action, fields, done] = arguments;"
            "const body = new URLSearchParams(fields);"
            "body.set('csrf', document.querySelector('input[name=csrf]').value);"
            "fetch(action, {method: 'POST', body: body, credentials: 'same-origin',"
            " redirect: 'manual'}).then(r => done(r.status));",
            action,
            fields,
        )
    )


def drag(driver: WebDriver, chip_css: str, day: str) -> None:
    """Drag the chip to the day's cell with the mouse (press, move, release)."""
    chip = driver.find_element(By.CSS_SELECTOR, chip_css)
    target = driver.find_element(By.CSS_SELECTOR, f"#calendar td[data-day='{day}']")
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'start'})", driver.find_element(By.ID, "calendar")
    )
    ActionChains(driver).drag_and_drop(chip, target).perform()


# --- the registry -------------------------------------------------------------------------------


@SQLITE_ONLY
def test_registry_filters_chosen_columns_colours_and_keys(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory, base: str
) -> None:
    olena, _ = make_user("olena", rights={"task": "cud"})
    project = api(client, admin_headers, "POST", "/projects", name="Ремонт офісу")["id"]
    today = hub.today()
    soon, later = today + timedelta(days=3), today + timedelta(days=40)
    mine = new_task(
        client,
        admin_headers,
        "Фарбування",
        at(hub, soon, 9),
        at(hub, soon, 17),
        project_id=project,
        executor_ids=[olena],
    )
    centre = new_task(
        client,
        admin_headers,
        "Звіт бухгалтерії",
        at(hub, soon, 10),
        at(hub, soon, 12),
        responsibility_centre="Бухгалтерія",
    )
    done = new_task(
        client,
        admin_headers,
        "Закупівля фарби",
        at(hub, today - timedelta(days=5), 9),
        at(hub, today - timedelta(days=4), 9),
        project_id=project,
    )
    api(
        client,
        admin_headers,
        "POST",
        "/tasks/group/status",
        task_ids=[done["id"]],
        status="done",
        with_executors=False,
    )
    late = new_task(
        client,
        admin_headers,
        "Прострочена",
        at(hub, today - timedelta(days=3), 9),
        at(hub, today - timedelta(days=2), 9),
    )
    far = new_task(client, admin_headers, "Далека", at(hub, later, 9), at(hub, later, 10))
    with browser(DESKTOP) as driver:
        log_in(driver, base)
        assert numbers(driver) == [x["number"] for x in (done, late, mine, centre, far)]
        # TSK-14: assigned blue, done black, overdue (derived from the end) red.
        assert colour_of(driver, f"tr[data-number='{mine['number']}']") == BLUE
        assert colour_of(driver, f"tr[data-number='{done['number']}']") == BLACK
        assert colour_of(driver, f"tr[data-number='{late['number']}'] a") == RED
        assert "прострочено" in text_of(driver, f"tr[data-number='{late['number']}']")

        # Filters: a project, none, an employee, a responsibility centre, overdue, a period.
        Select(driver.find_element(By.ID, "f-project")).select_by_visible_text("Ремонт офісу")
        driver.find_element(By.ID, "show").click()
        wait_for(driver, lambda d: numbers(d) == [done["number"], mine["number"]], "one project")
        Select(driver.find_element(By.ID, "f-project")).select_by_visible_text("Без проекту")
        driver.find_element(By.ID, "show").click()
        wait_for(
            driver,
            lambda d: numbers(d) == [late["number"], centre["number"], far["number"]],
            "no project",
        )
        # The filters applied are kept for the user: the registry opens with them (TSK-1).
        driver.get(f"{base}/office/tasks")
        assert numbers(driver) == [late["number"], centre["number"], far["number"]]
        chosen = Select(driver.find_element(By.ID, "f-project")).first_selected_option
        assert chosen.text == "Без проекту"
        driver.find_element(By.ID, "reset-filters").click()
        wait_for(driver, lambda d: len(numbers(d)) == 5, "every task again")
        Select(driver.find_element(By.ID, "f-executor")).select_by_visible_text("Працівник olena")
        driver.find_element(By.ID, "show").click()
        wait_for(driver, lambda d: numbers(d) == [mine["number"]], "an employee's tasks")
        Select(driver.find_element(By.ID, "f-executor")).select_by_visible_text("Бухгалтерія")
        driver.find_element(By.ID, "show").click()
        wait_for(driver, lambda d: numbers(d) == [centre["number"]], "a centre's tasks")
        driver.get(f"{base}/office/tasks?status=overdue")
        assert numbers(driver) == [late["number"]]
        driver.get(f"{base}/office/tasks?from={later.isoformat()}")
        assert numbers(driver) == [far["number"]]
        driver.get(f"{base}/office/tasks?from=2030-02-01&to=2030-01-01")
        assert "раніше за початок" in summary(driver)

        # The columns chosen are kept for the user: after a reload and a new login.
        driver.get(f"{base}/office/tasks")
        assert numbers(driver) == [centre["number"]]  # the centre's, kept from its filter
        driver.find_element(By.ID, "reset-filters").click()
        wait_for(driver, lambda d: len(numbers(d)) == 5, "every task again")
        driver.find_element(By.CSS_SELECTOR, "#columns summary").click()
        for code in ("client", "priority", "percent"):
            driver.find_element(By.ID, f"col-{code}").click()
        driver.find_element(By.ID, "save-columns").click()
        flash(driver, "Колонки збережено")
        wanted = [
            "number",
            "name",
            "status",
            "priority",
            "starts",
            "ends",
            "executors",
            "client",
            "project",
        ]

        def headers(d: WebDriver) -> list[str]:
            return [
                str(th.get_attribute("data-column"))
                for th in d.find_elements(By.CSS_SELECTOR, "#registry th[data-column]")
            ]

        assert headers(driver) == wanted
        driver.refresh()
        assert headers(driver) == wanted
    with hub.sessions() as session:
        assert get_user_parameters(session, 1).task_registry_columns == wanted
    with browser(DESKTOP) as driver:
        log_in(driver, base, lang="en")
        assert headers(driver) == wanted
        assert "Priority" in text_of(driver, "#registry thead")

        # The manual's keys: Down and Up between rows, Enter opens, Ins creates, Del deletes.
        rows = driver.find_elements(By.CSS_SELECTOR, "#registry tr[data-href]")
        driver.execute_script("arguments[0].focus()", rows[0])
        driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
        assert driver.switch_to.active_element.get_attribute("data-number") == late["number"]
        driver.switch_to.active_element.send_keys(Keys.DELETE)
        wait_for(driver, lambda d: d.switch_to.alert, "the confirmation").accept()
        flash(driver, "Tasks deleted: 1")
        assert task_of(hub, late["id"]) is None
        rows = driver.find_elements(By.CSS_SELECTOR, "#registry tr[data-href]")
        driver.execute_script("arguments[0].focus()", rows[1])
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait_for(driver, lambda d: d.current_url.endswith(f"/office/tasks/{mine['id']}"), "card")
        driver.get(f"{base}/office/tasks")
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.INSERT)
        wait_for(driver, lambda d: d.current_url.endswith("/office/tasks/new"), "a new task")

        # F5 copies the focused row's task, Ctrl+F5 multiplies it over clients (the manual's
        # keys); with no row focused, F5 is the browser's own reload.
        driver.get(f"{base}/office/tasks")
        row = driver.find_element(By.CSS_SELECTOR, f"tr[data-number='{centre['number']}']")
        driver.execute_script("arguments[0].focus()", row)
        before = count(hub, Task)
        driver.switch_to.active_element.send_keys(Keys.F5)
        copied = wait_for(
            driver, lambda d: re.search(r"/office/tasks/(\d+)\?", d.current_url), "the copy"
        )
        assert int(copied.group(1)) != centre["id"] and count(hub, Task) == before + 1
        made = task_of(hub, int(copied.group(1)))
        assert made is not None and made.name == "Звіт бухгалтерії"
        driver.get(f"{base}/office/tasks")
        row = driver.find_element(By.CSS_SELECTOR, f"tr[data-number='{centre['number']}']")
        driver.execute_script("arguments[0].focus()", row)
        ActionChains(driver).key_down(Keys.CONTROL).send_keys(Keys.F5).key_up(
            Keys.CONTROL
        ).perform()
        wait_for(
            driver,
            lambda d: d.current_url.endswith(f"/office/tasks/{centre['id']}/multiply"),
            "the multiply form",
        )
        assert count(hub, Task) == before + 1


@SQLITE_ONLY
def test_group_status_change_and_assigning_executors_to_chosen_tasks(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory, base: str
) -> None:
    anna, _ = make_user("anna", rights={"task": "cu"})
    boris, _ = make_user("boris", rights={"task": "cu"})
    day = hub.today() + timedelta(days=2)
    tasks = [
        new_task(
            client,
            admin_headers,
            f"Задача {n}",
            at(hub, day, 9 + n),
            at(hub, day, 10 + n),
            executor_ids=[anna] if n < 3 else [],
        )
        for n in range(4)
    ]
    with browser(DESKTOP) as driver:
        log_in(driver, base)
        # TSK-11: done for two tasks and their executors.
        for task in tasks[:2]:
            driver.find_element(By.CSS_SELECTOR, f"input[name=ids][value='{task['id']}']").click()
        Select(driver.find_element(By.ID, "g-status")).select_by_visible_text("Виконана")
        driver.find_element(By.ID, "g-with-executors").click()
        driver.find_element(By.ID, "group-status").click()
        flash(driver, "Статус змінено задачам: 2")
        for task in tasks[:2]:
            assert status_code(hub, task["id"]) == "done"
            assert executors_of(hub, task["id"]) == [(anna, "done")]
        assert colour_of(driver, f"tr[data-number='{tasks[0]['number']}']") == BLACK

        # Done without the executors' statuses, while an executor is not done: all refused.
        for task in tasks[2:]:
            driver.find_element(By.CSS_SELECTOR, f"input[name=ids][value='{task['id']}']").click()
        Select(driver.find_element(By.ID, "g-status")).select_by_visible_text("Виконана")
        driver.find_element(By.ID, "group-status").click()
        assert "Статус не змінено жодній задачі" in summary(driver)
        assert [status_code(hub, task["id"]) for task in tasks[2:]] == ["assigned", "assigned"]
        driver.find_element(By.ID, "back").click()

        # TSK-12: executors spread over the chosen tasks, replacing those they had.
        wait_for(driver, lambda d: d.find_elements(By.ID, "g-people"), "the registry")
        for task in tasks[1:]:
            driver.find_element(By.CSS_SELECTOR, f"input[name=ids][value='{task['id']}']").click()
        people = Select(driver.find_element(By.ID, "g-people"))
        people.select_by_visible_text("Працівник anna")
        people.select_by_visible_text("Працівник boris")
        driver.find_element(By.ID, "g-replace").click()
        driver.find_element(By.ID, "g-distribute").click()
        driver.find_element(By.ID, "group-executors").click()
        flash(driver, "Виконавців призначено задачам: 3")
        assert [u for u, _ in executors_of(hub, tasks[1]["id"])] == [anna]
        assert [u for u, _ in executors_of(hub, tasks[2]["id"])] == [boris]
        assert [u for u, _ in executors_of(hub, tasks[3]["id"])] == [anna]
        # The same executors added to every chosen task.
        for task in tasks[2:]:
            driver.find_element(By.CSS_SELECTOR, f"input[name=ids][value='{task['id']}']").click()
        Select(driver.find_element(By.ID, "g-people")).select_by_visible_text("Працівник boris")
        driver.find_element(By.ID, "group-executors").click()
        flash(driver, "Виконавців призначено задачам: 2")
        assert [u for u, _ in executors_of(hub, tasks[3]["id"])] == [anna, boris]

        # Deleting the chosen ones asks on a page first.
        driver.find_element(By.CSS_SELECTOR, f"input[name=ids][value='{tasks[0]['id']}']").click()
        driver.find_element(By.ID, "delete-chosen").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "delete-for-good"), "the confirmation")
        assert task_of(hub, tasks[0]["id"]) is not None
        assert_accessible(driver, "the deletion's confirmation (uk)")
        driver.find_element(By.ID, "delete-for-good").click()
        flash(driver, "Видалено задач: 1")
        assert task_of(hub, tasks[0]["id"]) is None


# --- the calendars: TSK-13 ----------------------------------------------------------------------


def test_a_task_dragged_to_another_day_in_the_month_moves_its_period(
    hub: Hub, client: TestClient, admin_headers: Headers, base: str
) -> None:
    first = date(2030, 3, 10)
    task = new_task(
        client,
        admin_headers,
        "Інвентаризація",
        at(hub, first, 9),
        at(hub, first + timedelta(days=1), 17),
    )
    month = "/office/tasks/calendar?view=month&date=2030-03-10"
    with browser(DESKTOP) as driver:
        log_in(driver, base, then=month)
        chip = f"#calendar td[data-day='2030-03-10'] [data-move='{task['id']}']"
        assert driver.find_elements(
            By.CSS_SELECTOR, f"#calendar td[data-day='2030-03-11'] [data-move='{task['id']}']"
        )
        drag(driver, chip, "2030-03-20")
        flash(driver, f"Задачу № {task['number']} перенесено")
        stored = task_of(hub, task["id"])
        assert stored is not None
        assert stored.starts_at == at(hub, date(2030, 3, 20), 9)
        assert stored.ends_at == at(hub, date(2030, 3, 21), 17)  # the length is kept
        for day, there in (("2030-03-10", False), ("2030-03-20", True), ("2030-03-21", True)):
            found = driver.find_elements(
                By.CSS_SELECTOR, f"#calendar td[data-day='{day}'] [data-move='{task['id']}']"
            )
            assert bool(found) is there, day

        # Without a mouse: the day's list offers "move to the date".
        driver.get(f"{base}/office/tasks/calendar?view=month&date=2030-03-20")
        box = driver.find_element(By.ID, f"move-{task['id']}")
        driver.execute_script("arguments[0].value = '2030-03-25'", box)
        box.send_keys(Keys.ENTER)
        flash(driver, "перенесено")
        stored = task_of(hub, task["id"])
        assert stored is not None and stored.starts_at == at(hub, date(2030, 3, 25), 9)

        # Today is highlighted; a plain click on a task still opens it.
        driver.get(f"{base}/office/tasks/calendar")
        today = driver.find_element(By.CSS_SELECTOR, "#calendar td.today")
        assert today.get_attribute("data-day") == hub.today().isoformat()
        assert (
            driver.execute_script("return getComputedStyle(arguments[0]).backgroundColor", today)
            == "rgb(255, 243, 176)"
        )


@SQLITE_ONLY
def test_a_drag_a_dependency_forbids_is_refused_and_nothing_changes(
    hub: Hub, client: TestClient, admin_headers: Headers, base: str
) -> None:
    first = new_task(
        client,
        admin_headers,
        "Демонтаж",
        at(hub, date(2030, 3, 10), 9),
        at(hub, date(2030, 3, 12), 17),
    )
    second = new_task(
        client,
        admin_headers,
        "Монтаж",
        at(hub, date(2030, 3, 13), 9),
        at(hub, date(2030, 3, 14), 12),
    )
    api(client, admin_headers, "PUT", f"/tasks/{second['id']}/dependencies/{first['id']}")
    month = "/office/tasks/calendar?view=month&date=2030-03-01"
    with browser(DESKTOP) as driver:
        log_in(driver, base, then=month)
        drag(
            driver,
            f"#calendar td[data-day='2030-03-13'] [data-move='{second['id']}']",
            "2030-03-05",
        )
        told = summary(driver)
        assert "Задачу не перенесено" in told and "не може початися раніше" in told
        assert first["number"] in told
        stored = task_of(hub, second["id"])
        assert stored is not None and stored.starts_at == at(hub, date(2030, 3, 13), 9)
        assert driver.find_elements(
            By.CSS_SELECTOR, f"#calendar td[data-day='2030-03-13'] [data-move='{second['id']}']"
        )
        assert not driver.find_elements(
            By.CSS_SELECTOR, f"#calendar td[data-day='2030-03-05'] [data-move='{second['id']}']"
        )
        # The earlier task cannot end after the later one starts either.
        drag(
            driver, f"#calendar td[data-day='2030-03-10'] [data-move='{first['id']}']", "2030-03-12"
        )
        assert "залежної від неї задачі" in summary(driver)
        stored = task_of(hub, first["id"])
        assert stored is not None and stored.starts_at == at(hub, date(2030, 3, 10), 9)


# --- the Gantt chart ----------------------------------------------------------------------------


@SQLITE_ONLY
def test_the_gantt_chart_of_a_project_has_a_bar_per_task_and_an_arrow_per_dependency(
    hub: Hub, client: TestClient, admin_headers: Headers, base: str
) -> None:
    project = api(client, admin_headers, "POST", "/projects", name="Новий склад")["id"]
    other = api(client, admin_headers, "POST", "/projects", name="Інший")["id"]
    start = hub.today() - timedelta(days=4)
    tasks = [
        new_task(
            client,
            admin_headers,
            f"Етап {n}",
            at(hub, start + timedelta(days=2 * n), 9),
            at(hub, start + timedelta(days=2 * n + 1), 17),
            project_id=project,
            percent_done=min(100, 30 * n),
        )
        for n in range(5)
    ]
    new_task(client, admin_headers, "Чужа", at(hub, start, 9), at(hub, start, 10), project_id=other)
    pairs = {
        (tasks[1]["id"], tasks[0]["id"]),
        (tasks[2]["id"], tasks[1]["id"]),
        (tasks[4]["id"], tasks[2]["id"]),
    }
    for later, earlier in pairs:
        api(client, admin_headers, "PUT", f"/tasks/{later}/dependencies/{earlier}")
    with browser(DESKTOP) as driver:
        log_in(driver, base, then=f"/office/tasks/gantt?project={project}")
        bars = driver.find_elements(By.CSS_SELECTOR, "svg.gantt-body .gantt-bar")
        assert sorted(int(b.get_attribute("data-task") or 0) for b in bars) == sorted(
            t["id"] for t in tasks
        )
        arrows = driver.find_elements(By.CSS_SELECTOR, "svg.gantt-body path.gantt-arrow")
        assert {
            (int(a.get_attribute("data-to") or 0), int(a.get_attribute("data-from") or 0))
            for a in arrows
        } == pairs
        assert len(arrows) == len(pairs)
        names = driver.find_elements(By.CSS_SELECTOR, ".gantt-names a")
        assert [n.text for n in names] == [f"№{t['number']} {t['name']}" for t in tasks]
        assert driver.find_elements(By.CSS_SELECTOR, "svg.gantt-body rect.gantt-today")
        # The progress is the filled part of the bar.
        done = driver.find_element(
            By.CSS_SELECTOR, f".gantt-bar[data-task='{tasks[2]['id']}'] rect.gantt-done"
        )
        whole = driver.find_element(
            By.CSS_SELECTOR, f".gantt-bar[data-task='{tasks[2]['id']}'] rect:not(.gantt-done)"
        )
        ratio = float(done.get_attribute("width") or 0) / float(whole.get_attribute("width") or 1)
        assert abs(ratio - 0.6) < 0.01
        assert "Етап 2" in (
            driver.find_element(
                By.CSS_SELECTOR, f".gantt-bar[data-task='{tasks[2]['id']}'] title"
            ).get_attribute("textContent")
            or ""
        )
        # The other views keep the project's filter.
        driver.find_element(By.ID, "view-month").click()
        wait_for(
            driver, lambda d: f"project={project}" in d.current_url, "the month of the project"
        )


@SQLITE_ONLY
def test_a_gantt_chart_of_hundreds_of_tasks_scrolls_with_its_scale_and_names_in_view(
    hub: Hub, client: TestClient, admin_headers: Headers, base: str
) -> None:
    project = api(client, admin_headers, "POST", "/projects", name="Великий проект")["id"]
    start = hub.today() - timedelta(days=60)
    for n in range(300):
        begin = start + timedelta(days=n // 3)
        new_task(
            client,
            admin_headers,
            f"Робота {n + 1}",
            at(hub, begin, 9),
            at(hub, begin + timedelta(days=n % 5), 17),
            project_id=project,
        )
    with browser(DESKTOP) as driver:
        log_in(driver, base, then=f"/office/tasks/gantt?project={project}")
        assert len(driver.find_elements(By.CSS_SELECTOR, "svg.gantt-body .gantt-bar")) == 300
        assert driver.find_element(By.CSS_SELECTOR, ".gantt").get_attribute("data-scale") == "week"
        region = driver.find_element(By.CSS_SELECTOR, ".gantt")
        driver.execute_script(
            "arguments[0].scrollIntoView(); arguments[0].scrollTo(600, 4000)", region
        )

        def top(css: str) -> float:
            return float(
                driver.execute_script(
                    "return document.querySelector(arguments[0]).getBoundingClientRect().top", css
                )
            )

        def left(css: str) -> float:
            return float(
                driver.execute_script(
                    "return document.querySelector(arguments[0]).getBoundingClientRect().left", css
                )
            )

        # The scale stays at the top of the scrolled region, the names at its left.
        assert abs(top(".gantt-scale") - top(".gantt")) <= 2
        assert abs(left(".gantt-names") - left(".gantt")) <= 2
        assert driver.execute_script("return arguments[0].scrollTop", region) > 3000
        shot(driver, "tasks-gantt-scrolled", "uk", "desktop")


# --- rights -------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_what_a_user_may_not_do_is_not_offered_and_a_forged_post_is_refused(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory, base: str
) -> None:
    make_user("reader", rights={"task": "c"})
    careful, _ = make_user("careful", rights={"task": "cud"})
    api(
        client,
        admin_headers,
        "PUT",
        f"/users/{careful}/access/task-status-prohibition",
        prohibited=True,
    )
    day = date(2030, 3, 10)
    task = new_task(client, admin_headers, "Чужа задача", at(hub, day, 9), at(hub, day, 11))
    month = "/office/tasks/calendar?view=month&date=2030-03-10"
    with browser(DESKTOP) as driver:
        log_in(driver, base, "reader", PASSWORD)
        assert numbers(driver) == [task["number"]]  # every CRM user reads every task
        assert driver.find_elements(By.CSS_SELECTOR, "[data-key='create']")
        for css in ("input[name=ids]", "#chosen", "form[data-key='delete']"):
            assert not driver.find_elements(By.CSS_SELECTOR, css), css
        driver.get(f"{base}{month}")
        assert driver.find_elements(By.CSS_SELECTOR, "#calendar .tsk-chip")
        for css in ("[data-move]", "#move-form", "form.tsk-move"):
            assert not driver.find_elements(By.CSS_SELECTOR, css), css
        ident = str(task["id"])
        assert forged(driver, "/office/tasks/move", {"task_id": ident, "day": "2030-03-20"}) == 403
        assert forged(driver, "/office/tasks/group/status", {"ids": ident, "status": "done"}) == 403
        assert (
            forged(driver, "/office/tasks/group/executors", {"ids": ident, "user_ids": "1"}) == 403
        )
        assert forged(driver, "/office/tasks/delete", {"ids": ident, "confirmed": "1"}) == 403
        # A form without this browser's token is refused too, whatever the rights.
        driver.get(f"{base}/office/tasks")
        driver.execute_script("document.querySelector('input[name=csrf]').value = 'x.y'")
        assert forged(driver, "/office/tasks/columns", {"columns": "name"}) == 422
    with browser(DESKTOP) as driver:
        # ACC-3: the user who may not change statuses is not offered it, and is refused.
        log_in(driver, base, "careful", PASSWORD)
        assert driver.find_elements(By.ID, "g-people")
        assert not driver.find_elements(By.ID, "g-status")
        ident = str(task["id"])
        assert forged(driver, "/office/tasks/group/status", {"ids": ident, "status": "done"}) == 403
    stored = task_of(hub, task["id"])
    assert stored is not None and stored.starts_at == at(hub, day, 9)
    assert status_code(hub, task["id"]) == "assigned"
    assert count(hub, TaskExecutor) == 0


# --- every page: accessibility, both languages, screenshots ------------------------------------


PAGES = {
    "tasks": "/office/tasks",
    "tasks-month": "/office/tasks/calendar?view=month",
    "tasks-week": "/office/tasks/calendar?view=week",
    "tasks-day": "/office/tasks/calendar?view=day",
    "tasks-gantt": "/office/tasks/gantt?project={project}",
}


@SQLITE_ONLY
def test_main_pages_are_accessible_in_both_languages_with_screenshots(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory, base: str
) -> None:
    people = [make_user(name, rights={"task": "cu"})[0] for name in ("ira", "petro", "oksana")]
    project = api(client, admin_headers, "POST", "/projects", name="Ремонт офісу")["id"]
    today = hub.today()
    start = today - timedelta(days=today.weekday() + 3)
    steps = (
        "Обмір приміщень",
        "Кошторис",
        "Закупівля матеріалів",
        "Демонтаж",
        "Електрика",
        "Фарбування стін",
        "Монтаж меблів",
        "Прибирання",
        "Здача замовнику",
    )
    made = []
    for n, name in enumerate(steps):
        begin = start + timedelta(days=2 * n)
        made.append(
            new_task(
                client,
                admin_headers,
                name,
                at(hub, begin, 9),
                at(hub, begin + timedelta(days=1), 17),
                project_id=project,
                percent_done=[100, 100, 80, 60, 30, 0, 0, 0, 0][n],
                executor_ids=[people[n % 3]],
            )
        )
    for n in range(1, len(made)):
        api(
            client, admin_headers, "PUT", f"/tasks/{made[n]['id']}/dependencies/{made[n - 1]['id']}"
        )
    api(
        client,
        admin_headers,
        "POST",
        "/tasks/group/status",
        task_ids=[made[0]["id"], made[1]["id"]],
        status="done",
        with_executors=True,
    )
    for hour, name in ((9, "Дзвінок клієнту"), (11, "Нарада"), (15, "Звіт за тиждень")):
        new_task(
            client,
            admin_headers,
            name,
            at(hub, today, hour),
            at(hub, today, hour + 1),
            executor_ids=[people[0]],
        )
    for size_name, size in SIZES.items():
        with browser(size) as driver:
            log_in(driver, base)
            for lang in ("uk", "en"):
                for name, path in PAGES.items():
                    url = path.format(project=project)
                    joiner = "&" if "?" in url else "?"
                    driver.get(f"{base}{url}{joiner}lang={lang}")
                    wait_for(driver, lambda d: d.find_elements(By.TAG_NAME, "h1"), name)
                    if size_name == "desktop":
                        assert_accessible(driver, f"{name} ({lang})")
                    shot(driver, name, lang, size_name)
            driver.get(f"{base}/office/tasks?from=2030-02-01&to=2030-01-01&lang=en")
            summary(driver)
            if size_name == "desktop":
                assert_accessible(driver, "the registry with a wrong filter (en)")


@SQLITE_ONLY
def test_filters_are_kept_per_user_across_the_views_and_the_chosen_are_printed(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    make_user("olena", rights={"task": "cud"})
    project = api(client, admin_headers, "POST", "/projects", name="Ремонт офісу")["id"]
    soon = hub.today() + timedelta(days=2)
    inside = new_task(
        client,
        admin_headers,
        "Фарбування",
        at(hub, soon, 9),
        at(hub, soon, 17),
        project_id=project,
    )
    outside = new_task(client, admin_headers, "Звіт", at(hub, soon, 10), at(hub, soon, 12))

    def shown(web: TestClient, path: str) -> set[str]:
        reply = web.get(path)
        assert reply.status_code == 200, reply.text[:2000]
        return {name for name in ("Фарбування", "Звіт") if name in reply.text}

    with TestClient(create_app(hub)) as web, TestClient(create_app(hub)) as other:
        web_login(web, "admin", ADMIN_PASSWORD)
        web_login(other, "olena", PASSWORD)
        assert shown(web, "/office/tasks") == {"Фарбування", "Звіт"}
        # A link that carries filters (a project's plan, the views' tabs) keeps nothing.
        assert shown(web, f"/office/tasks/gantt?project={project}") == {"Фарбування"}
        assert shown(web, "/office/tasks") == {"Фарбування", "Звіт"}
        # The filter form's submission is kept, and every view opens with it.
        assert shown(web, f"/office/tasks?project={project}&remember=1") == {"Фарбування"}
        month = f"/office/tasks/calendar?view=month&date={soon.isoformat()}"
        for path in ("/office/tasks", "/office/tasks/gantt", month):
            assert shown(web, path) == {"Фарбування"}, path
        with hub.sessions() as session:
            kept = get_user_parameters(session, 1).task_registry_filters or {}
            assert {name: value for name, value in kept.items() if value} == {
                "project": str(project)
            }
        # ...for that user alone.
        assert shown(other, "/office/tasks") == {"Фарбування", "Звіт"}
        # A wrong filter is named beside its field and not kept.
        wrong = web.get("/office/tasks?from=2030-02-01&to=2030-01-01&remember=1")
        assert "before its start" in wrong.text
        assert shown(web, "/office/tasks") == {"Фарбування"}
        # The reset link keeps "every task".
        assert shown(web, "/office/tasks?remember=1&project=all") == {"Фарбування", "Звіт"}
        assert shown(web, "/office/tasks") == {"Фарбування", "Звіт"}
        with hub.sessions() as session:
            kept = get_user_parameters(session, 1).task_registry_filters or {}
            assert {name: value for name, value in kept.items() if value} == {"project": "all"}

        # TSK-15: the chosen tasks' print form, reached from the registry's group form.
        page = web.get("/office/tasks")
        assert f"/office/tasks/print?ids={inside['id']},{outside['id']}" in page.text
        sent = web.post(
            "/office/tasks/print-chosen", data={"ids": [outside["id"]]}, follow_redirects=False
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/office/tasks/print?ids={outside['id']}"
        printed = web.get(sent.headers["location"])
        assert printed.status_code == 200 and "Звіт" in printed.text
        assert "Фарбування" not in printed.text
        assert web.post("/office/tasks/print-chosen", data={}).status_code == 422
