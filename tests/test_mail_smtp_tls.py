"""The office's SMTP server secured and logged in to, for real: aiosmtpd on loopback with a test
certificate, requiring STARTTLS (or TLS from the first byte, SMTPS) and a login (AUTH LOGIN or
PLAIN, offered only over TLS). The hub sends with the password sealed in the database; a wrong
password, or a certificate the hub does not trust, is a visible failure (the letter waits, the
error is on the status) and the letter goes exactly once when it is put right. Both databases."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.engine import transaction
from hub.db.models.mail import MailOutboxRow, MailSecret
from hub.services.mail import outbox
from hub.services.mail.outbox import Letter
from hub.services.mail.worker import MailWorker
from tests.mail_servers import SmtpServer, client_context, free_port, make_certificate
from tests.test_mail_out import SENDER, configure

LOGIN, PASSWORD = "office@example.org", "Пароль-SMTP-42"
SUBJECT = "Перевірка STARTTLS і входу"


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path)


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def starttls(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    server = SmtpServer(free_port(), server_context(certificate), users={LOGIN: PASSWORD}).start()
    yield server
    server.stop()


def set_password(client: TestClient, headers: dict[str, str], password: str) -> None:
    reply = client.put("/api/v1/mail/passwords/smtp", headers=headers, json={"password": password})
    assert reply.status_code == 204, reply.text


def queue_letter(hub: Hub, key: str) -> int:
    with transaction(hub.sessions) as session:
        letter = Letter(to="olena@example.com", subject=SUBJECT, text="Лист через TLS.\n")
        row = outbox.enqueue(session, letter, key=key, kind="test", sender=SENDER, now=utcnow())
        assert row is not None
        return row


def state_of(hub: Hub, row_id: int) -> tuple[str, str | None]:
    with hub.sessions() as session:
        row = session.get(MailOutboxRow, row_id)
        assert row is not None
        return row.state, row.last_error


def test_starttls_and_login_with_the_sealed_password_and_a_wrong_one_is_seen(
    hub: Hub,
    client: TestClient,
    admin_headers: dict[str, str],
    starttls: SmtpServer,
    certificate: tuple[Path, Path],
) -> None:
    configure(hub, starttls.port, smtp_security="starttls", smtp_login=LOGIN)
    set_password(client, admin_headers, "не той пароль")
    with hub.sessions() as session:  # sealed: the password is nowhere in the database
        sealed = session.scalars(select(MailSecret.sealed)).one()
    assert "не той" not in sealed and "Пароль" not in sealed
    worker = MailWorker(hub, ssl_context=client_context(certificate[0]))
    row = queue_letter(hub, "tls:1")

    now = utcnow()
    refused = worker.run_once(now)
    assert (refused.sent, refused.failed) == (0, 1)
    state, error = state_of(hub, row)
    assert state == "pending" and error is not None and "login refused (535)" in error
    assert starttls.sink.received == [] and starttls.sink.logins == []
    assert worker.health()["smtp"] == "failing"
    status = client.get("/api/v1/mail/status", headers=admin_headers).json()
    assert status["pending"] == 1 and "login refused" in status["last_error"]
    assert "не той" not in str(status) and PASSWORD not in str(status)

    set_password(client, admin_headers, PASSWORD)
    sent = worker.run_once(now + timedelta(hours=1))  # past the backoff
    assert (sent.sent, sent.failed) == (1, 0)
    again = worker.run_once(now + timedelta(hours=2))
    assert again.sent == 0
    assert len(starttls.sink.received) == 1
    assert starttls.sink.logins in (["LOGIN:" + LOGIN], ["PLAIN:" + LOGIN])
    (letter,) = starttls.messages()
    assert letter["Subject"] == SUBJECT
    assert state_of(hub, row) == ("sent", None)
    assert worker.health()["smtp"] == "ok"


def test_a_certificate_the_hub_does_not_trust_is_a_visible_failure(
    hub: Hub,
    client: TestClient,
    admin_headers: dict[str, str],
    starttls: SmtpServer,
) -> None:
    configure(hub, starttls.port, smtp_security="starttls", smtp_login=LOGIN)
    set_password(client, admin_headers, PASSWORD)
    worker = MailWorker(hub)  # the system's trust store: the test certificate is not in it
    row = queue_letter(hub, "tls:2")
    done = worker.run_once()
    assert (done.sent, done.failed) == (0, 1)
    state, error = state_of(hub, row)
    assert state == "pending" and error is not None and "CERTIFICATE_VERIFY_FAILED" in error
    assert starttls.sink.received == [] and starttls.sink.logins == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtps_with_implicit_tls_and_an_ascii_login(
    hub: Hub,
    client: TestClient,
    admin_headers: dict[str, str],
    certificate: tuple[Path, Path],
) -> None:
    # An ASCII password goes through smtplib's own login (the other test's, as UTF-8 PLAIN).
    ascii_password = "ascii-Secret-7"
    server = SmtpServer(
        free_port(), server_context(certificate), users={LOGIN: ascii_password}, implicit_tls=True
    ).start()
    try:
        configure(hub, server.port, smtp_security="tls", smtp_login=LOGIN)
        set_password(client, admin_headers, ascii_password)
        worker = MailWorker(hub, ssl_context=client_context(certificate[0]))
        row = queue_letter(hub, "tls:3")
        done = worker.run_once()
        assert (done.sent, done.failed) == (1, 0)
        assert state_of(hub, row) == ("sent", None)
        assert len(server.sink.received) == 1
        assert server.sink.logins in (["LOGIN:" + LOGIN], ["PLAIN:" + LOGIN])
    finally:
        server.stop()
