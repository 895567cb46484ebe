"""Settlement documents entered by hand on the client's card (CLI-2) in headless Chromium against
the real hub, and over HTTP for what the server refuses: create, change and delete move the
card's balance; every wrong field at once; a save over someone else's change is refused; without
the settlement-document rights nothing is offered and a forged post is refused.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models.clients import SettlementDocument
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory
from tests.test_office_clients import api_client, errors_shown, log_in, shot, web_login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
MARCH = "from=2026-03-01&to=2026-03-31"
pytestmark = pytest.mark.timeout(300)


def documents_of(hub: Hub, client_id: int) -> list[tuple[str, str, str, Decimal]]:
    with hub.sessions() as session:
        rows = session.scalars(
            select(SettlementDocument)
            .where(SettlementDocument.client_id == client_id)
            .order_by(SettlementDocument.id)
        )
        return [(d.kind, d.number, d.direction, d.amount) for d in rows]


def closing(driver: WebDriver) -> str:
    """The closing balance of the first currency, as the card shows it."""
    return text_of(driver, "#balance tbody tr td:last-child")


def fill(driver: WebDriver, **values: str) -> None:
    for name, value in values.items():
        element = driver.find_element(By.ID, f"f-{name}")
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        elif element.get_attribute("type") == "date":  # typed as the browser's locale wants
            driver.execute_script("arguments[0].value = arguments[1]", element, value)
        else:
            element.clear()
            element.send_keys(value)


def api_document(client: TestClient, headers: dict[str, str], client_id: int, **body: str) -> int:
    reply = client.post(f"/api/v1/clients/{client_id}/documents", headers=headers, json=body)
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


@SQLITE_ONLY
def test_create_change_and_delete_by_hand_move_the_balance(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    client_id = api_client(client, admin_headers, name="ТОВ Сигма")
    card = f"/office/clients/{client_id}?{MARCH}"
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, "admin", ADMIN_PASSWORD, "en")
        driver.get(f"{base}{card}")
        assert driver.find_elements(By.ID, "balance") == []
        # Ins on the card opens the form of a new document, keeping the card's period.
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.INSERT)
        wait_for(driver, lambda d: "/documents/new" in d.current_url, "the form")
        # Bad input: every wrong field at once, beside the fields; nothing saved.
        fill(driver, amount="abc", currency="12")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "the error summary")
        shown = errors_shown(driver)
        assert set(shown) == {"number", "doc_date", "amount", "currency"}
        assert shown["number"] == "Fill in this field."
        assert driver.switch_to.active_element == driver.find_element(By.ID, "error-summary")
        assert driver.find_element(By.ID, "f-amount").get_attribute("value") == "abc"
        assert documents_of(hub, client_id) == []
        # Corrected: an outgoing invoice, typed as people here type amounts.
        fill(
            driver,
            kind="invoice",
            number="INV-7",
            doc_date="2026-03-05",
            direction="out",
            amount="1 200,50",
            currency="uah",
        )
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "done"), "the card")
        assert "from=2026-03-01" in driver.current_url and "to=2026-03-31" in driver.current_url
        assert closing(driver) == "-1200.50"
        assert documents_of(hub, client_id) == [("invoice", "INV-7", "out", Decimal("1200.50"))]
        # A payment in: the balance goes up.
        driver.find_element(By.ID, "new-document").click()
        fill(
            driver,
            kind="payment",
            number="PAY-1",
            doc_date="2026-03-10",
            direction="in",
            amount="400",
        )
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: closing(d) == "-800.50", "the payment counted")
        # The same document twice: refused, the message beside the number.
        driver.find_element(By.ID, "new-document").click()
        fill(
            driver,
            kind="payment",
            number="PAY-1",
            doc_date="2026-03-10",
            direction="in",
            amount="5",
        )
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "the duplicate")
        assert "already exists" in errors_shown(driver)["number"]
        # Changed from its row (Enter): the invoice is now 1000.
        driver.get(f"{base}{card}")
        with hub.sessions() as session:
            invoice = session.scalar(
                select(SettlementDocument).where(SettlementDocument.number == "INV-7")
            )
            assert invoice is not None
        row = driver.find_element(By.ID, f"document-{invoice.id}")
        row.send_keys(Keys.ENTER)
        wait_for(driver, lambda d: d.current_url.endswith(f"/{invoice.id}/edit?{MARCH}"), "edit")
        assert driver.find_element(By.ID, "f-amount").get_attribute("value") == "1200.50"
        fill(driver, amount="1000")
        driver.find_element(By.ID, "save").click()
        wait_for(driver, lambda d: closing(d) == "-600.00", "the change counted")
        # Deleted from its row (Del, after the confirmation): only the payment is left.
        driver.find_element(By.ID, f"document-{invoice.id}").send_keys(Keys.DELETE)
        alert = wait_for(driver, lambda d: d.switch_to.alert, "the confirmation")
        assert "INV-7" in alert.text
        alert.accept()
        wait_for(driver, lambda d: closing(d) == "400.00", "the deletion counted")
        assert driver.find_element(By.ID, "done").text == "“INV-7” deleted."
        assert documents_of(hub, client_id) == [("payment", "PAY-1", "in", Decimal("400.00"))]


@SQLITE_ONLY
def test_a_document_outside_the_period_opens_its_month_and_a_stale_save_is_refused(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    client_id = api_client(client, admin_headers, name="ТОВ Каппа")
    doc_id = api_document(
        client,
        admin_headers,
        client_id,
        kind="act",
        number="A-1",
        doc_date="2026-03-02",
        direction="out",
        amount="100",
    )
    form = f"/office/clients/{client_id}/documents/{doc_id}/edit?{MARCH}"
    with TestClient(create_app(hub)) as first, TestClient(create_app(hub)) as second:
        web_login(first, "admin", ADMIN_PASSWORD)
        web_login(second, "admin", ADMIN_PASSWORD)
        pages = [web.get(form + "&lang=en").text for web in (first, second)]
        fields = []
        for page in pages:
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            fp = re.search(r'name="fp" value="([^"]+)"', page)
            assert csrf and fp
            fields.append({"csrf": csrf.group(1), "fp": fp.group(1)})
        body = {
            "kind": "act",
            "number": "A-1",
            "doc_date": "2026-04-20",
            "direction": "out",
            "amount": "150",
            "currency": "UAH",
            "from": "2026-03-01",
            "to": "2026-03-31",
        }
        saved = first.post(form.split("?")[0], data={**body, **fields[0]}, follow_redirects=False)
        assert saved.status_code == 303
        # Moved to April: the card opens on April, where the document now is.
        assert saved.headers["location"] == (
            f"/office/clients/{client_id}?from=2026-04-01&to=2026-04-30&done=saved#documents"
        )
        stale = second.post(form.split("?")[0], data={**body, "amount": "999", **fields[1]})
        assert stale.status_code == 409
        assert "Someone else has just changed «A-1»" in stale.text
    assert documents_of(hub, client_id) == [("act", "A-1", "out", Decimal("150.00"))]


@SQLITE_ONLY
def test_without_the_rights_nothing_is_offered_and_forged_posts_are_refused(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    client_id = api_client(client, admin_headers, name="ТОВ Лямбда")
    doc_id = api_document(
        client,
        admin_headers,
        client_id,
        kind="invoice",
        number="L-1",
        doc_date="2026-03-02",
        direction="out",
        amount="10",
    )
    make_user("reader", rights={"client": "cud"})
    make_user("maker", rights={"settlement_document": "c"})
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, "reader", "user-password-1", "uk")
        driver.get(f"{base}/office/clients/{client_id}?{MARCH}")
        assert "L-1" in driver.find_element(By.ID, "documents-table").text
        assert driver.find_elements(By.ID, "new-document") == []
        assert driver.find_elements(By.CSS_SELECTOR, "#documents-table form") == []
        assert driver.find_elements(By.CSS_SELECTOR, "#documents-table [data-href]") == []
        driver.get(f"{base}/console/logout")
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, "maker", "user-password-1", "uk")
        driver.get(f"{base}/office/clients/{client_id}?{MARCH}")
        assert driver.find_elements(By.ID, "new-document")
        assert driver.find_elements(By.CSS_SELECTOR, "#documents-table form") == []
    body = {
        "kind": "payment",
        "number": "FORGED",
        "doc_date": "2026-03-03",
        "direction": "in",
        "amount": "1",
        "currency": "UAH",
    }
    base_path = f"/office/clients/{client_id}/documents"
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "reader", "user-password-1")
        # Not even the forms are offered.
        for path in (f"{base_path}/new", f"{base_path}/{doc_id}/edit"):
            assert web.get(path).status_code == 403, path
        for path in (
            f"{base_path}/new",
            f"{base_path}/{doc_id}/edit",
            f"{base_path}/{doc_id}/delete",
        ):
            reply = web.post(path, data={"csrf": token, **body}, follow_redirects=False)
            assert reply.status_code == 403, path
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "maker", "user-password-1")
        for path in (f"{base_path}/{doc_id}/edit", f"{base_path}/{doc_id}/delete"):
            reply = web.post(path, data={"csrf": token, **body}, follow_redirects=False)
            assert reply.status_code == 403, path
        # Without the form token even a permitted post is refused.
        assert web.post(f"{base_path}/new", data={"csrf": "x.y", **body}).status_code == 422
    assert documents_of(hub, client_id) == [("invoice", "L-1", "out", Decimal("10.00"))]


@SQLITE_ONLY
def test_the_document_pages_are_accessible_in_both_languages(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    client_id = api_client(client, admin_headers, name="ТОВ Омікрон")
    doc_id = api_document(
        client,
        admin_headers,
        client_id,
        kind="tax_invoice",
        number="ПН-12",
        doc_date="2026-03-12",
        direction="out",
        amount="240",
    )
    pages = {
        "client-card-documents": f"/office/clients/{client_id}?{MARCH}",
        "document-new": f"/office/clients/{client_id}/documents/new?{MARCH}",
        "document-edit": f"/office/clients/{client_id}/documents/{doc_id}/edit?{MARCH}",
    }
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        log_in(driver, base, "admin", ADMIN_PASSWORD, "uk")
        for lang in ("uk", "en"):
            for name, path in pages.items():
                driver.get(f"{base}{path}&lang={lang}")
                assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
                assert_accessible(driver, f"{name} ({lang})")
                shot(driver, name, lang, "desktop")
            driver.get(f"{base}{pages['document-new']}&lang={lang}")
            fill(driver, amount="-5")
            driver.find_element(By.ID, "save").click()
            wait_for(driver, lambda d: d.find_elements(By.ID, "error-summary"), "errors")
            assert_accessible(driver, f"document form with errors ({lang})")
            shot(driver, "document-form-errors", lang, "desktop")
