"""Writing to a client (an outgoing e-mail event) through the API, end to end with a real SMTP
server on loopback (aiosmtpd): the event and its letter are made in one transaction, the letter
arrives once with its Ukrainian subject, Reply-To and attachment, and the event's mail state
follows the outbox (queued, sent, failed). Refusals change nothing. Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.models import Event
from hub.db.models.mail import MailOutboxRow
from hub.services.mail.worker import MailWorker
from tests.conftest import UserFactory
from tests.mail_servers import SmtpServer, free_port
from tests.test_mail_out import SENDER, configure, employee_user

Headers = dict[str, str]
SUBJECT = "Рахунок за грудень — Ґанок і Їжак"
TEXT = "Добрий день!\nНадсилаємо рахунок.\n"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


def client_with_contact(
    client: TestClient,
    headers: Headers,
    name: str = "ТОВ «Сонях»",
    email: str = "office@sonyakh.example",
    contact: tuple[str, str] = ("Олена Коваль", "olena@sonyakh.example"),
) -> tuple[int, int]:
    """A client with its own address and a contact person (name, address) with another."""
    reply = client.post("/api/v1/clients", headers=headers, json={"name": name, "email": email})
    assert reply.status_code == 201, reply.text
    client_id = int(reply.json()["id"])
    reply = client.post(
        f"/api/v1/clients/{client_id}/contacts",
        headers=headers,
        json={"full_name": contact[0], "email": contact[1]},
    )
    assert reply.status_code == 201, reply.text
    return client_id, int(reply.json()["id"])


def writer(client: TestClient, admin: Headers, name: str, rights: dict[str, str]) -> Headers:
    """A user with an e-mail address and the given document rights."""
    user_id = employee_user(client, admin, name, f"{name}@office.example")
    for doc_type, letters in rights.items():
        reply = client.put(
            f"/api/v1/users/{user_id}/access/documents/{doc_type}",
            headers=admin,
            json={"create": "c" in letters, "change": "u" in letters, "delete": "d" in letters},
        )
        assert reply.status_code == 200, reply.text
    reply = client.post(
        "/api/v1/auth/token", data={"username": name, "password": "user-password-1"}
    )
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def write(
    client: TestClient, headers: Headers, client_id: int, files: Any = None, **fields: Any
) -> Any:
    data = {"to": "olena@sonyakh.example", "subject": SUBJECT, "text": TEXT, **fields}
    return client.post(
        f"/api/v1/clients/{client_id}/letters", headers=headers, data=data, files=files
    )


def counts(hub: Hub) -> tuple[int, int]:
    with hub.sessions() as session:
        events = session.scalar(select(func.count()).select_from(Event))
        letters = session.scalar(select(func.count()).select_from(MailOutboxRow))
        return int(events or 0), int(letters or 0)


def test_a_letter_to_a_contact_arrives_once_with_its_file_and_the_event_shows_sent(
    hub: Hub, client: TestClient, admin_headers: Headers, smtp: SmtpServer
) -> None:
    configure(hub, smtp.port)
    client_id, contact_id = client_with_contact(client, admin_headers)
    anna = writer(client, admin_headers, "anna", {"event": "c", "attachment": "c"})
    files = [("files", ("Рахунок №5.pdf", PDF, "application/pdf"))]

    reply = write(client, anna, client_id, files=files)
    assert reply.status_code == 201, reply.text
    made = reply.json()
    assert made["mail_state"] == "queued" and made["attachments"] == 1
    assert made["contact_id"] == contact_id  # found by the address

    event = client.get(f"/api/v1/events/{made['event_id']}", headers=anna).json()
    assert event["type_code"] == "outgoing_email"
    assert (event["client_id"], event["contact_id"]) == (client_id, contact_id)
    assert event["email"] == "olena@sonyakh.example"
    assert event["content"] == f"{SUBJECT}\n\n{TEXT.strip()}"
    assert event["mail_state"] == "queued"
    kept = client.get(f"/api/v1/events/{made['event_id']}/attachments", headers=anna).json()
    assert [a["original_filename"] for a in kept["items"]] == ["Рахунок №5.pdf"]

    worker = MailWorker(hub)
    worker.run_once()
    worker.run_once()  # a second pass sends nothing again
    assert len(smtp.sink.received) == 1
    sender, recipients, _raw = smtp.sink.received[0]
    assert (sender, recipients) == (SENDER, ["olena@sonyakh.example"])
    (letter,) = smtp.messages()
    assert letter["Subject"] == SUBJECT
    assert letter["Reply-To"] == "anna@office.example"
    assert "Олена Коваль" in str(letter["To"])
    body = letter.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().replace("\r\n", "\n").strip() == TEXT.strip()
    (attached,) = list(letter.iter_attachments())
    assert attached.get_filename() == "Рахунок №5.pdf"
    assert attached.get_payload(decode=True) == PDF

    event = client.get(f"/api/v1/events/{made['event_id']}", headers=anna).json()
    assert event["mail_state"] == "sent"
    listed = client.get(
        "/api/v1/events", headers=anna, params={"client": client_id, "type": "outgoing_email"}
    ).json()
    assert [(e["id"], e["mail_state"]) for e in listed["items"]] == [(made["event_id"], "sent")]


def test_a_refused_letter_shows_failed_on_its_event(
    hub: Hub, client: TestClient, admin_headers: Headers, smtp: SmtpServer
) -> None:
    configure(hub, smtp.port)
    smtp.sink.answer = "554 5.7.1 rejected by policy"
    client_id, _contact = client_with_contact(client, admin_headers)
    reply = write(client, admin_headers, client_id, to="office@sonyakh.example")
    assert reply.status_code == 201, reply.text
    MailWorker(hub).run_once()
    event = client.get(f"/api/v1/events/{reply.json()['event_id']}", headers=admin_headers)
    assert event.json()["mail_state"] == "failed"
    assert event.json()["email"] == "office@sonyakh.example"
    status = client.get("/api/v1/mail/status", headers=admin_headers).json()
    assert status["failed"] == 1 and "554" in status["last_error"]


def test_refusals_name_the_field_and_leave_nothing(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    client_id, contact_id = client_with_contact(client, admin_headers)
    reader = writer(client, admin_headers, "ivan", {})
    no_files = writer(client, admin_headers, "petro", {"event": "c"})
    other = client.post("/api/v1/clients", headers=admin_headers, json={"name": "Інший"})
    file = [("files", ("a.txt", b"x", "text/plain"))]
    cases: list[tuple[Any, int, str | None]] = [
        (write(client, reader, client_id), 403, None),
        (write(client, no_files, client_id, files=file), 403, None),
        (write(client, admin_headers, client_id, to="не адреса"), 422, "to"),
        (write(client, admin_headers, client_id, to="stranger@else.example"), 422, "to"),
        (write(client, admin_headers, client_id, subject="  "), 422, "subject"),
        (write(client, admin_headers, client_id, subject="a\nBcc: x@y.z"), 422, "subject"),
        (write(client, admin_headers, client_id, text=""), 422, "text"),
        (write(client, admin_headers, int(other.json()["id"])), 422, "to"),
        (write(client, admin_headers, client_id, contact_id=contact_id + 100), 422, "to"),
        (write(client, admin_headers, 999_999), 404, None),
        (client.post(f"/api/v1/clients/{client_id}/letters", data={"to": "x"}), 401, None),
    ]
    for reply, status, field in cases:
        assert reply.status_code == status, reply.text
        if field is not None:
            assert reply.json()["error"]["fields"][0]["field"] == field, reply.text
    _, english_user = make_user(rights={"event": "c"}, lang="en")
    english = write(client, english_user, client_id, to="stranger@else.example")
    assert "neither the client's" in english.json()["error"]["message"]
    assert counts(hub) == (0, 0)
