""" "My work" on the home page (WEB-3, TSK-3, TSK-7, TSK-14) in headless Chromium against the real
hub: an executor sees their own open tasks (not another's) coloured by their status, and their
due reminders; a reminder that falls due while the page is open appears without a reload and is
announced; Dismiss and Remind again put it away for good or for a while.

The pages are served by the hub's own app (uvicorn on loopback); records are made through the
API. Screenshots go to the scratch folder (CHERGA_SCREENSHOTS=docs/screenshots refreshes docs/)
as office-my-work-<lang>-<size>.png. On SQLite (the services are tested on both databases in
tests/test_my_work.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import TaskReminder
from tests.accessibility import assert_accessible
from tests.browser import PHONE, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory
from tests.test_office_clients import web_login
from tests.test_office_tasks import BLUE, RED, TABLET, api, colour_of, log_in, new_task, shot

pytestmark = [pytest.mark.timeout(600), pytest.mark.parametrize("backend", ["sqlite"])]
PASSWORD = "user-password-1"
# The page asks every 20 s; a reminder due in a few seconds is there within two rounds.
POLL_DEADLINE = 60.0
Headers = dict[str, str]


@pytest.fixture
def base(hub: Hub) -> Iterator[str]:
    """The hub's app served on a loopback port."""
    with serve(create_app(hub)) as url:
        yield url


def task_names(driver: WebDriver) -> list[str]:
    return [
        row.find_element(By.TAG_NAME, "a").text
        for row in driver.find_elements(By.CSS_SELECTOR, "#my-tasks-table tbody tr")
    ]


def reminder_ids(driver: WebDriver) -> list[int]:
    found = driver.execute_script(
        "return Array.from(document.querySelectorAll('#reminders-list li[data-reminder]'),"
        " e => Number(e.dataset.reminder))"
    )
    return [int(n) for n in found]


def remind(client: TestClient, headers: Headers, task_id: int, user_id: int, at: datetime) -> int:
    made = api(
        client,
        headers,
        "POST",
        f"/tasks/{task_id}/reminders",
        user_id=user_id,
        remind_at=at.isoformat(),
        text="Передзвонити до обіду",
    )
    return int(made["id"])


def test_an_executor_sees_own_work_and_a_reminder_appears_without_a_reload(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory, base: str
) -> None:
    me, _ = make_user("olena", rights={"task": "cu"})
    other, _ = make_user("taras", rights={"task": "cu"})
    now = datetime.now(UTC)
    late = new_task(
        client,
        admin_headers,
        "Звіт за місяць",
        now - timedelta(days=2),
        now - timedelta(days=1),
        executor_ids=[me],
    )
    soon = new_task(
        client,
        admin_headers,
        "Дзвінок клієнту",
        now + timedelta(hours=1),
        now + timedelta(hours=2),
        executor_ids=[me, other],
    )
    finished = new_task(
        client, admin_headers, "Нарада", now, now + timedelta(hours=3), executor_ids=[me]
    )
    api(client, admin_headers, "PATCH", f"/tasks/{finished['id']}/executors/{me}", status="done")
    new_task(
        client, admin_headers, "Чужа задача", now, now + timedelta(hours=4), executor_ids=[other]
    )
    due = remind(client, admin_headers, soon["id"], me, now - timedelta(minutes=5))
    remind(client, admin_headers, soon["id"], other, now - timedelta(minutes=5))  # another's

    with browser() as driver:
        log_in(driver, base, "olena", PASSWORD, then="/office")
        # Own open tasks, overdue first, in their colours; another's and a finished part not.
        late_name, soon_name = f"{late['number']} Звіт за місяць", f"{soon['number']} Дзвінок"
        names = task_names(driver)
        assert names == [late_name, f"{soon_name} клієнту"]
        assert colour_of(driver, f"tr[data-task='{late['id']}'] a") == RED
        assert colour_of(driver, f"tr[data-task='{soon['id']}'] a") == BLUE
        everything = driver.find_element(By.ID, "my-tasks-all").get_attribute("href") or ""
        assert everything.endswith(f"/office/tasks?executor={me}")
        assert reminder_ids(driver) == [due]
        assert "Передзвонити до обіду" in text_of(driver, f"#reminder-{due}")

        # A reminder falling due in a few seconds appears on the open page by itself.
        driver.execute_script("window.notReloaded = true")
        fresh = remind(
            client, admin_headers, late["id"], me, datetime.now(UTC) + timedelta(seconds=3)
        )
        wait_for(
            driver, lambda d: reminder_ids(d) == [due, fresh], "the new reminder", POLL_DEADLINE
        )
        assert driver.execute_script("return window.notReloaded === true")
        announced = text_of(driver, "#reminders-announce") or driver.execute_script(
            "return document.getElementById('reminders-announce').textContent"
        )
        assert late["number"] in announced and "Звіт за місяць" in announced
        assert driver.find_element(By.ID, "reminders-announce").get_attribute("aria-live") == (
            "polite"
        )
        assert_accessible(driver, "my work with a new reminder (uk)")
        shot(driver, "my-work", "uk", "desktop")

        # Dismiss the new one: gone, and still gone after a reload.
        driver.find_element(By.CSS_SELECTOR, f"#reminder-{fresh} [data-dismiss]").click()
        wait_for(driver, lambda d: "done=dismissed" in d.current_url, "the dismissal")
        assert reminder_ids(driver) == [due]
        driver.refresh()
        wait_for(driver, lambda d: d.find_elements(By.ID, "my-work"), "the home page")
        assert reminder_ids(driver) == [due]
        with hub.sessions() as session:
            kept = session.get(TaskReminder, fresh)
            assert kept is not None and kept.dismissed_at is not None

        # Remind again in 10 min: gone from the page until then.
        driver.find_element(By.CSS_SELECTOR, f"#reminder-{due} [data-snooze='10']").click()
        wait_for(driver, lambda d: "done=snoozed" in d.current_url, "the reminder put off")
        assert reminder_ids(driver) == []
        assert driver.find_element(By.ID, "no-reminders").is_displayed()
        with hub.sessions() as session:
            row = session.get(TaskReminder, due)
            assert row is not None and row.remind_at > datetime.now(UTC) + timedelta(minutes=9)

        driver.get(f"{base}/office?lang=en")
        wait_for(driver, lambda d: d.find_elements(By.ID, "my-work"), "the home page (en)")
        assert text_of(driver, "#my-work-title") == "My work"
        assert_accessible(driver, "my work (en)")
        shot(driver, "my-work", "en", "desktop")

    # Smaller screens: nothing runs off to the side.
    for size_name, size in (("tablet", TABLET), ("phone", PHONE)):
        with browser(size) as driver:
            log_in(driver, base, "olena", PASSWORD, then="/office")
            for lang in ("uk", "en"):
                driver.get(f"{base}/office?lang={lang}")
                wait_for(driver, lambda d: d.find_elements(By.ID, "my-work"), "the home page")
                assert not driver.execute_script(
                    "return document.documentElement.scrollWidth > window.innerWidth"
                ), f"the home page runs off the {size_name}'s screen ({lang})"
                shot(driver, "my-work", lang, size_name)


def test_reminders_fragment_and_actions_need_the_reminders_own_user(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    me, _ = make_user("olena")
    now = datetime.now(UTC)
    task = new_task(client, admin_headers, "Лист", now, now + timedelta(hours=1), executor_ids=[me])
    reminder = remind(client, admin_headers, task["id"], me, now - timedelta(minutes=1))
    assert client.get("/office/my-work/reminders").status_code == 401
    # The administrator is logged in to the office: another user's reminder is not theirs.
    token = web_login(client, "admin", ADMIN_PASSWORD)
    assert client.get("/office/my-work/reminders").text.strip() == ""
    for action in ("dismiss", "snooze"):
        refused = client.post(
            f"/office/my-work/reminders/{reminder}/{action}",
            data={"csrf": token, "minutes": "10"},
            follow_redirects=False,
        )
        assert refused.status_code == 404, refused.text
    # The reminder's own user sees it in the fragment and dismisses it.
    client.cookies.clear()
    token = web_login(client, "olena", PASSWORD)
    assert f'id="reminder-{reminder}"' in client.get("/office/my-work/reminders").text
    done = client.post(
        f"/office/my-work/reminders/{reminder}/dismiss",
        data={"csrf": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "done=dismissed" in done.headers["location"]
    assert client.get("/office/my-work/reminders").text.strip() == ""
    # It stays on the task's card, marked dismissed.
    card = client.get(f"/office/tasks/{task['id']}?tab=extra")
    assert card.status_code == 200 and "data-dismissed" in card.text
