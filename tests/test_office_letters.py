"""Write a letter from the client card in headless Chromium against the hub served on loopback
and a real SMTP server (aiosmtpd): a refused form shows its messages beside the fields (axe-clean,
both languages), a good one makes the outgoing e-mail event, the letter with its Ukrainian
subject and file arrives once, and the card shows it queued, then sent. Also over HTTP: a
letter without the right to create events is refused and nothing is made."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.mail.worker import MailWorker
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, click_for_new_page, office_log_in, serve, text_of
from tests.conftest import ADMIN_PASSWORD, UserFactory
from tests.mail_servers import SmtpServer, free_port, wait_for
from tests.test_mail_letters import client_with_contact, counts
from tests.test_mail_out import configure
from tests.test_office_clients import errors_shown, web_login

pytestmark = [pytest.mark.timeout(300), pytest.mark.parametrize("backend", ["sqlite"])]
SUBJECT = "Договір на 2027 рік — підпис"
FILE_BYTES = "Додаток до договору\n".encode() * 50


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


def test_write_a_letter_from_the_contact_row(
    hub: Hub,
    client: TestClient,
    admin_headers: dict[str, str],
    smtp: SmtpServer,
    tmp_path: Path,
) -> None:
    configure(hub, smtp.port)
    client_id, contact_id = client_with_contact(client, admin_headers)
    attachment = tmp_path / "Додаток №1.txt"
    attachment.write_bytes(FILE_BYTES)
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        office_log_in(driver, base, f"/office/clients/{client_id}", "admin", ADMIN_PASSWORD, "en")
        click_for_new_page(driver, f"write-{contact_id}")
        assert driver.find_element(By.ID, "f-to").get_attribute("value") == (
            "olena@sonyakh.example"
        )
        assert_accessible(driver, "letter form (en)")
        # Refused: an address that is not the client's, no subject, no text.
        to = driver.find_element(By.ID, "f-to")
        to.clear()
        to.send_keys("stranger@else.example")
        click_for_new_page(driver, "send")
        assert set(errors_shown(driver)) == {"to", "subject", "text"}
        assert driver.find_elements(By.ID, "error-summary")
        assert "neither the client's" in errors_shown(driver)["to"]
        assert_accessible(driver, "letter form refused (en)")
        assert counts(hub) == (0, 0)

        to = driver.find_element(By.ID, "f-to")
        to.clear()
        to.send_keys("stranger@else.example")
        driver.find_element(By.ID, "f-subject").send_keys(SUBJECT)
        driver.find_element(By.ID, "f-text").send_keys("Добрий день!\nДоговір у додатку.")
        click_for_new_page(driver, "send")
        # The domain's refusal (not the client's address) beside the field; typed text kept.
        assert list(errors_shown(driver)) == ["to"]
        assert driver.find_element(By.ID, "f-subject").get_attribute("value") == SUBJECT

        to = driver.find_element(By.ID, "f-to")
        to.clear()
        to.send_keys("olena@sonyakh.example")
        driver.find_element(By.ID, "f-files").send_keys(str(attachment))
        click_for_new_page(driver, "send")
        assert "/office/clients/" in driver.current_url
        assert "queued" in text_of(driver, "#done")
        state = driver.find_element(By.CSS_SELECTOR, "#events [data-mail-state]")
        assert state.get_attribute("data-mail-state") == "queued"
        assert counts(hub) == (1, 1)

        MailWorker(hub).run_once()
        wait_for(lambda: smtp.sink.received, what="the letter")
        driver.refresh()
        state = driver.find_element(By.CSS_SELECTOR, "#events [data-mail-state]")
        assert state.get_attribute("data-mail-state") == "sent"
        assert state.text == "sent"
        # The events registry shows the same state.
        driver.get(f"{base}/office/events")
        registry = driver.find_element(By.CSS_SELECTOR, "[data-mail-state]")
        assert registry.get_attribute("data-mail-state") == "sent"

        driver.get(f"{base}/office/clients/{client_id}/letter?lang=uk")
        assert_accessible(driver, "letter form (uk)")
        click_for_new_page(driver, "send")
        assert errors_shown(driver)["subject"] == "Заповніть це поле."
        assert_accessible(driver, "letter form refused (uk)")

    (letter,) = smtp.messages()
    assert letter["Subject"] == SUBJECT
    (part,) = list(letter.iter_attachments())
    assert part.get_filename() == "Додаток №1.txt"
    assert part.get_payload(decode=True) == FILE_BYTES
    assert len(smtp.sink.received) == 1


def test_a_letter_needs_the_right_to_create_events(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    client_id, _contact = client_with_contact(client, admin_headers)
    make_user("reader", rights={})
    token = web_login(client, "reader", "user-password-1")
    card = client.get(f"/office/clients/{client_id}")
    assert card.status_code == 200 and 'id="write-letter"' not in card.text
    reply = client.post(
        f"/office/clients/{client_id}/letter",
        data={
            "csrf": token,
            "to": "olena@sonyakh.example",
            "subject": "Тема",
            "text": "Текст",
        },
        follow_redirects=False,
    )
    assert reply.status_code == 403, reply.text[:300]
    assert counts(hub) == (0, 0)
    assert re.search(r"<h1", reply.text)
