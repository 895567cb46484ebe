"""Mail in the back-office in headless Chromium against the hub served on loopback: an
administrator sets the SMTP server on Settings / Mail (a real aiosmtpd on loopback), a letter
goes out and the status counts it; the notifications panel on the home page shows a notice that
comes while it is open and marks it read; axe-core in both languages. What the server refuses is
tested over HTTP in ``tests/test_office_mail_http.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import User
from hub.db.models.mail import Notification
from hub.services.mail import outbox
from hub.services.mail.worker import MailWorker
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, office_log_in, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD
from tests.mail_servers import SmtpServer, free_port

pytestmark = [pytest.mark.timeout(300), pytest.mark.parametrize("backend", ["sqlite"])]
MAIL = "/office/settings/mail"
# The home page asks every 20 s: a new notice is there within a few rounds.
POLL_DEADLINE = 90.0


@pytest.fixture
def base(hub: Hub) -> Iterator[str]:
    """The hub's app served on a loopback port."""
    with serve(create_app(hub)) as url:
        yield url


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


def _notice(hub: Hub, user_id: int, key: str, words: str) -> int:
    with transaction(hub.sessions) as session:
        note = Notification(user_id=user_id, key=key, kind="task", text=words, link="/office/tasks")
        session.add(note)
        session.flush()
        return note.id


def test_smtp_set_on_the_mail_page_sends_a_letter(hub: Hub, base: str, smtp: SmtpServer) -> None:
    with browser(DESKTOP) as driver:
        office_log_in(driver, base, MAIL, "admin", ADMIN_PASSWORD, "en")
        assert_accessible(driver, "settings mail (en)")
        host = driver.find_element(By.ID, "f-mail.smtp_host")
        host.clear()
        host.send_keys("127.0.0.1")
        port = driver.find_element(By.ID, "f-mail.smtp_port")
        port.clear()
        port.send_keys("99999")  # refused beside the field, nothing saved
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "the error summary")
        assert driver.find_element(By.ID, "f-mail.smtp_port-error").is_displayed()
        assert_accessible(driver, "settings mail refused (en)")
        port = driver.find_element(By.ID, "f-mail.smtp_port")
        port.clear()
        port.send_keys(str(smtp.port))
        Select(driver.find_element(By.ID, "f-mail.smtp_security")).select_by_value("none")
        driver.find_element(By.ID, "f-mail.sender").send_keys("office@example.test")
        driver.find_element(By.ID, "f-smtp_password").send_keys("not-used-without-login")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "saved"), "saved")
        assert "not-used-without-login" not in driver.page_source
        assert (
            driver.find_element(By.ID, "f-smtp_password-hint").get_attribute("data-secret") == "set"
        )

        now = datetime.now(UTC)
        with transaction(hub.sessions) as session:
            letter = outbox.Letter(to="client@example.test", subject="Вітаємо", text="Лист")
            outbox.enqueue(
                session, letter, key="test:office-mail", kind="test", sender="x@x.test", now=now
            )
        assert MailWorker(hub).run_once().sent == 1
        assert [m["Subject"] for m in smtp.messages()] == ["Вітаємо"]
        driver.get(f"{base}{MAIL}?lang=uk")
        wait_for(driver, lambda d: text_of(d, "#mail-sent-today") == "1", "sent today: 1")
        assert text_of(driver, "#mail-pending") == "0"
        assert_accessible(driver, "settings mail (uk)")


def test_a_notification_comes_while_the_home_page_is_open_and_is_marked_read(
    hub: Hub, base: str
) -> None:
    with hub.sessions() as session:
        admin = session.scalar(select(User.id).where(User.username == "admin"))
    assert admin is not None
    first = _notice(hub, admin, "test:1", "Вам призначено задачу З-1")
    with browser(DESKTOP) as driver:
        office_log_in(driver, base, "/office", "admin", ADMIN_PASSWORD, "uk")
        assert driver.find_elements(By.ID, f"note-{first}")
        assert_accessible(driver, "home with a notification (uk)")
        second = _notice(hub, admin, "test:2", "Нагадування: передзвонити")
        wait_for(
            driver,
            lambda d: d.find_elements(By.ID, f"note-{second}"),
            "the new notification without a reload",
            timeout=POLL_DEADLINE,
        )
        assert "передзвонити" in text_of(driver, "#notes-announce")
        driver.find_element(By.CSS_SELECTOR, f"#note-{first} button[data-read]").click()
        wait_for(driver, lambda d: not d.find_elements(By.ID, f"note-{first}"), "marked read")
        assert driver.find_elements(By.ID, f"note-{second}")
        driver.find_element(By.ID, "notes-read-all").click()
        wait_for(driver, lambda d: d.find_element(By.ID, "no-notes").is_displayed(), "none left")
        driver.get(f"{base}/office?lang=en")
        assert_accessible(driver, "home without notifications (en)")
        for lang in ("uk", "en"):  # My settings with My mailbox
            driver.get(f"{base}/office/settings/mine?lang={lang}")
            wait_for(driver, lambda d: d.find_elements(By.ID, "mailbox"), "my mailbox")
            assert_accessible(driver, f"my mailbox ({lang})")
    with hub.sessions() as session:
        notes = session.scalars(select(Notification).where(Notification.user_id == admin)).all()
        assert all(note.read_at is not None for note in notes)
