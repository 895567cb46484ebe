"""The task card of the back-office over HTTP against the real hub (TSK-2..TSK-10, TSK-15):
every tab and print form in both languages, the PDFs read back with pypdf, a new card started
from an event, a client or a project, and what the server refuses (ACC-1..ACC-3: 403).

The browser's side of the card is in ``tests/test_office_task_card.py``.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import TaskReminder
from tests.conftest import ADMIN_PASSWORD, UserFactory
from tests.test_office_task_card import (
    LATER,
    TABS,
    api,
    count,
    make_task,
    pdf_text,
    status_of,
    task_of,
    web_login,
)

pytestmark = [pytest.mark.timeout(300), pytest.mark.parametrize("backend", ["sqlite"])]


# --- over HTTP: every tab, the print forms and PDFs, and what the server refuses -----------------


def test_every_tab_and_print_form_in_both_languages_and_the_pdf_reads_back(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    worker, _ = make_user("olena", rights={"task": "cud"})
    client_id = api(client, admin_headers, "POST", "/clients", name="ТОВ Ромашка")["id"]
    first = make_task(client, admin_headers, name="Зібрати підписи", executor_ids=[worker])
    second = make_task(
        client,
        admin_headers,
        name="Відправити договір",
        client_id=client_id,
        content="Надіслати «Новою поштою»",
        executor_ids=[worker],
        starts_at=(LATER + timedelta(hours=3)).isoformat(),
        ends_at=(LATER + timedelta(hours=4)).isoformat(),
    )
    api(client, admin_headers, "PUT", f"/tasks/{second['id']}/dependencies/{first['id']}")
    api(client, admin_headers, "POST", f"/tasks/{second['id']}/messages", text="Чекаю на підпис")
    api(
        client,
        admin_headers,
        "POST",
        f"/tasks/{second['id']}/reminders",
        user_id=worker,
        remind_at=LATER.isoformat(),
    )
    with TestClient(create_app(hub)) as web:
        web_login(web, "admin", ADMIN_PASSWORD)
        for lang, word in (("uk", "Виконавці"), ("en", "Executors")):
            for tab in TABS:
                reply = web.get(f"/office/tasks/{second['id']}?tab={tab}&lang={lang}")
                assert reply.status_code == 200, (tab, reply.text[:2000])
                assert word in reply.text
            sheet = web.get(f"/office/tasks/{second['id']}/print?lang={lang}")
            assert sheet.status_code == 200 and "Відправити договір" in sheet.text
            registry = web.get(f"/office/tasks/print?ids={first['id']},{second['id']}&lang={lang}")
            assert registry.status_code == 200 and "Зібрати підписи" in registry.text

        uk = web.get(f"/office/tasks/{second['id']}/sheet.pdf?lang=uk")
        assert uk.status_code == 200 and uk.headers["content-type"] == "application/pdf"
        words = pdf_text(uk.content)
        for expected in (
            f"Задача №{second['number']}",
            "Відправити договір",
            "ТОВ Ромашка",
            "Надіслати «Новою поштою»",
            "Працівник olena",
            "Поставлена задача",
            "Виконавці",
        ):
            assert expected in words, (expected, words)
        en = pdf_text(web.get(f"/office/tasks/{second['id']}/sheet.pdf?lang=en").content)
        for expected in (f"Task No. {second['number']}", "Executors", "Priority", "Normal"):
            assert expected in en, (expected, en)
        printed = web.get(f"/office/tasks/print.pdf?ids={first['id']}&ids={second['id']}&lang=en")
        assert printed.status_code == 200
        assert "Tasks registry" in pdf_text(printed.content)
        assert "Tasks in all: 2" in pdf_text(printed.content)
        # Nothing chosen, or a task that is not there, is explained, not a broken PDF.
        assert web.get("/office/tasks/print.pdf?ids=").status_code == 422
        assert web.get("/office/tasks/print?ids=999999").status_code == 404


def test_a_new_card_starts_from_an_event_a_client_or_a_project_and_every_tab_works(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    client_id = api(client, admin_headers, "POST", "/clients", name="ТОВ Альфа")["id"]
    contact = api(
        client, admin_headers, "POST", f"/clients/{client_id}/contacts", full_name="Ірина Коваль"
    )
    project = api(client, admin_headers, "POST", "/projects", name="Переїзд офісу")
    event = api(
        client,
        admin_headers,
        "POST",
        "/events",
        type="incoming_call",
        starts_at=LATER.isoformat(),
        client_id=client_id,
        content="Просить рахунок",
    )
    document = api(
        client,
        admin_headers,
        "POST",
        f"/clients/{client_id}/documents",
        kind="invoice",
        number="РФ-17",
        doc_date="2031-03-01",
        direction="out",
        amount="1500.00",
    )
    api(
        client,
        admin_headers,
        "POST",
        "/task-fields",
        code="vip",
        name_uk="Важливий клієнт",
        name_en="Important client",
        value_type="bool",
    )
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "admin", ADMIN_PASSWORD)
        from_event = web.get(f"/office/tasks/new?event={event['id']}&lang=uk").text
        assert "Просить рахунок" in from_event and "ТОВ Альфа" in from_event
        assert f'name="event_id" value="{event["id"]}"' in from_event
        assert "Ірина Коваль" in web.get(f"/office/tasks/new?client={client_id}").text
        assert "Переїзд офісу" in web.get(f"/office/tasks/new?project={project['id']}").text
        reply = web.post(
            "/office/tasks/new",
            data={
                "csrf": token,
                "event_id": str(event["id"]),
                "name": "Виставити рахунок",
                "starts_at": "2031-03-10T11:00",
                "ends_at": "2031-03-10T12:00",
                "client_id": str(client_id),
                "client_id_label": "ТОВ Альфа",
                "project_id_label": "Переїзд офісу",
                "priority": "high",
            },
            follow_redirects=False,
        )
        assert reply.status_code == 303, reply.text
        task_id = int(reply.headers["location"].split("/office/tasks/")[1].split("?")[0])
        made = task_of(hub, task_id)
        assert made is not None and made.event_id == event["id"]
        assert made.contact_id == contact["id"]  # the client's only contact
        assert made.project_id == project["id"]  # a name typed without the picker
        here = f"/office/tasks/{task_id}"

        def post(path: str, **data: str) -> str:
            answer = web.post(f"{here}{path}", data={"csrf": token, **data})
            assert answer.status_code == 200, (path, answer.text[:3000])
            return html.unescape(answer.text)

        page = post("/documents", document_id=str(document["id"]))
        assert "РФ-17" in page and "Документ прив'язано" in page
        page = post(f"/documents/{document['id']}/remove")
        assert "РФ-17" not in page.split('id="tab-title"')[1]
        page = post("/messages", message="Рахунок надіслано")
        assert "Рахунок надіслано" in page
        fingerprint = re.search(
            r'name="fingerprint" value="([^"]+)"', web.get(f"{here}?tab=fields").text
        )
        assert fingerprint
        post("/fields", fingerprint=fingerprint.group(1), **{"cf-vip": "1"})
        stored = task_of(hub, task_id)
        assert stored is not None and stored.custom_fields == {"vip": True}
        uploaded = web.post(
            f"{here}/attachments",
            data={"csrf": token, "name": "Рахунок"},
            files={"file": ("invoice.txt", b"1500 UAH", "text/plain")},
        )
        assert uploaded.status_code == 200 and "Рахунок" in uploaded.text
        link = re.search(r'href="(/office/tasks/attachments/\d+)"', uploaded.text)
        assert link and web.get(link.group(1)).content == b"1500 UAH"
        history = html.unescape(web.get(f"{here}?tab=history").text)
        assert "Прив'язано документ" in history and "Створено з події" in history
        # An empty message is explained beside its field; nothing is posted.
        refused = web.post(f"{here}/messages", data={"csrf": token, "message": "  "})
        assert refused.status_code == 422 and "Напишіть повідомлення" in refused.text


def test_without_a_cyrillic_font_no_pdf_is_made_and_the_page_says_what_to_install(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.web.office import task_pdf

    task = make_task(client, admin_headers)
    monkeypatch.setattr(task_pdf, "FONT_DIRS", (Path("/nonexistent/fonts"),))
    with TestClient(create_app(hub)) as web:
        web_login(web, "admin", ADMIN_PASSWORD)
        reply = web.get(f"/office/tasks/{task['id']}/sheet.pdf?lang=en")
        assert reply.status_code == 503
        assert (
            "fonts-dejavu-core" in reply.text and "/nonexistent/fonts/DejaVuSans.ttf" in reply.text
        )


def test_forged_posts_without_the_rights_are_refused_with_403(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    reader, _ = make_user("reader", rights={"task": "c"})
    task = make_task(client, admin_headers, name="Чуже завдання", executor_ids=[reader])
    here = f"/office/tasks/{task['id']}"
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "reader", "user-password-1")
        card = web.get(f"{here}?lang=en")
        assert card.status_code == 200
        # What the user may not do is not offered.
        assert 'id="save"' not in card.text and 'id="delete"' not in card.text
        assert 'action="' + here + '/executors"' not in web.get(f"{here}?tab=executors").text
        forged = {
            here: {
                "name": "Підроблено",
                "starts_at": "2031-03-10T09:00",
                "ends_at": "2031-03-10T10:00",
                "fingerprint": "",
            },
            f"{here}/delete": {},
            f"{here}/executors": {"user_ids": str(reader)},
            f"{here}/executors/{reader}": {"status": "done"},
            f"{here}/reminders": {
                "user_id": str(reader),
                "remind_at": "2031-03-10T08:00",
                "channel": "system",
            },
            f"{here}/recurrence": {"recurrence": "daily", "recurrence_interval": "1"},
        }
        for path, data in forged.items():
            reply = web.post(path, data={"csrf": token, **data}, follow_redirects=False)
            assert reply.status_code == 403, (path, reply.status_code)
            assert "error-summary" in reply.text
        # Without the form's token even an allowed action is refused.
        reply = web.post(f"{here}/copy", data={"csrf": "x.y"}, follow_redirects=False)
        assert reply.status_code == 422
    stored = task_of(hub, task["id"])
    assert stored is not None and stored.name == "Чуже завдання"
    assert stored.recurrence is None and count(hub, TaskReminder) == 0
    assert status_of(hub, task["id"]) == "assigned"


def test_a_user_prohibited_from_changing_statuses_is_not_offered_one_and_a_forged_one_is_403(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, _ = make_user("clerk", rights={"task": "cud"})
    api(
        client,
        admin_headers,
        "PUT",
        f"/users/{user_id}/access/task-status-prohibition",
        prohibited=True,
    )
    task = make_task(client, admin_headers, name="Без права на статус")
    here = f"/office/tasks/{task['id']}"
    with TestClient(create_app(hub)) as web:
        token = web_login(web, "clerk", "user-password-1")
        card = web.get(f"{here}?lang=en")
        assert 'name="status"' not in card.text and "not allowed to change" in card.text
        fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', card.text)
        assert fingerprint
        data = {
            "csrf": token,
            "fingerprint": fingerprint.group(1),
            "name": "Без права на статус",
            "starts_at": LATER.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (LATER + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "status": "done",
        }
        reply = web.post(here, data=data, follow_redirects=False)
        assert reply.status_code == 403
        assert "not allowed to change a task" in reply.text
    assert status_of(hub, task["id"]) == "assigned"
