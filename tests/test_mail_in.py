"""Mail into events (EVT-7) from Debian's Dovecot on loopback (IMAPS and POP3S with a test
certificate, started and stopped by PID): letters with attachments, Ukrainian names and
subjects (RFC 2047), HTML with scripts, a duplicate, a wrong password; the corporate mailbox
spread over its receivers. Both databases."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Attachment, Event
from hub.db.models.mail import MailboxState, MailLetter, MailSecret
from hub.services.mail import inbox
from hub.services.mail.secrets import CORPORATE, mailbox_secret, set_secret
from hub.services.settings.parameters import update_global, update_user_parameters
from tests.mail_servers import Dovecot, client_context
from tests.test_mail_letters import client_with_contact
from tests.test_mail_out import employee_user

NOW = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
ANNA, BOHDAN, CORP = "anna@example.com", "bohdan@example.com", "office@example.com"
PASSWORDS = {ANNA: "anna-pass-1", BOHDAN: "bohdan-pass-1", CORP: "corp-pass-1"}

pytestmark = pytest.mark.skipif(
    Dovecot.binary() is None, reason="Debian's dovecot-imapd is not installed"
)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot(PASSWORDS).start()
    yield server
    server.stop()


def deliver(server: Dovecot, user: str, letter: EmailMessage) -> None:
    """Put a letter into a mailbox through IMAP APPEND."""
    with imaplib.IMAP4_SSL(
        "127.0.0.1", server.imaps, ssl_context=client_context(server.cert)
    ) as imap:
        imap.login(user, PASSWORDS[user])
        imap.append("INBOX", "", imaplib.Time2Internaldate(NOW), letter.as_bytes())


def clear(server: Dovecot, user: str) -> None:
    with imaplib.IMAP4_SSL(
        "127.0.0.1", server.imaps, ssl_context=client_context(server.cert)
    ) as imap:
        imap.login(user, PASSWORDS[user])
        _status, count = imap.select("INBOX")
        if count and count[0] not in (b"0", None):
            imap.store("1:*", "+FLAGS", "(\\Deleted)")
            imap.expunge()


def letter(sender: str, to: str, subject: str, *, message_id: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Олена Петрук <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.net")
    message["Date"] = "Sun, 10 Mar 2030 11:00:00 +0200"
    return message


@pytest.fixture
def office(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], dovecot: Dovecot
) -> Iterator[dict[str, int]]:
    anna = employee_user(client, admin_headers, "anna", ANNA)
    bohdan = employee_user(client, admin_headers, "bohdan", BOHDAN)
    client_id, contact_id = client_with_contact(
        client,
        admin_headers,
        "ТОВ Ромашка",
        "info@romashka.example.net",
        ("Олена Петрук", "olena@romashka.example.net"),
    )
    with transaction(hub.sessions) as session:
        update_global(
            session,
            {"mail": {"incoming_host": "127.0.0.1", "incoming_port": dovecot.imaps}},
        )
        set_secret(session, hub.sealer, mailbox_secret(anna), PASSWORDS[ANNA])
        set_secret(session, hub.sealer, mailbox_secret(bohdan), "wrong-password")
    yield {"anna": anna, "bohdan": bohdan, "client": client_id, "contact": contact_id}
    for user in PASSWORDS:
        clear(dovecot, user)


def test_letters_become_events_once_and_a_wrong_password_stops_only_its_mailbox(
    hub: Hub, dovecot: Dovecot, office: dict[str, int]
) -> None:
    first = letter("olena@romashka.example.net", ANNA, "Рахунок за березень № 15")
    first.set_content("Добрий день!\nНадсилаю рахунок.")
    first.add_attachment("звіт".encode(), "text", "plain", filename="Звіт за березень.txt")
    first.add_attachment(b"%PDF-1.4 test", "application", "pdf", filename="рахунок.pdf")
    deliver(dovecot, ANNA, first)
    hostile = letter("info@romashka.example.net", ANNA, "Пропозиція")
    hostile.set_content(
        "<html><head><style>p{}</style><script>alert('x')</script></head>"
        '<body><p onclick="steal()">Ціна: 100&nbsp;грн</p><img src=x onerror=alert(1)>'
        "<script>document.cookie</script></body></html>",
        subtype="html",
    )
    deliver(dovecot, ANNA, hostile)
    deliver(dovecot, ANNA, first)  # the same letter again (same Message-ID)
    stranger = letter("nobody@else.example.org", ANNA, "Hello")
    stranger.set_content("Plain English.")
    deliver(dovecot, ANNA, stranger)

    result = inbox.fetch(hub, now=NOW, context=client_context(dovecot.cert))
    assert result[f"user:{office['anna']}"] == 3
    assert result[f"user:{office['bohdan']}"] == "login refused"

    with hub.sessions() as session:
        events = session.scalars(select(Event).order_by(Event.id)).all()
        assert len(events) == 3
        invoice, offer, other = events
        assert invoice.content == "Рахунок за березень № 15\n\nДобрий день!\nНадсилаю рахунок."
        assert (invoice.client_id, invoice.contact_id) == (office["client"], office["contact"])
        assert invoice.responsible_id == office["anna"]
        assert invoice.starts_at == datetime(2030, 3, 10, 9, 0, tzinfo=UTC)
        files = session.scalars(
            select(Attachment).where(Attachment.event_id == invoice.id).order_by(Attachment.id)
        ).all()
        assert [(f.original_filename, f.content_type) for f in files] == [
            ("Звіт за березень.txt", "text/plain"),
            ("рахунок.pdf", "application/pdf"),
        ]
        assert hub.files.path(files[0].stored_name).read_bytes() == "звіт".encode()
        assert offer.client_id == office["client"] and offer.contact_id is None
        assert offer.content is not None and "Ціна: 100\xa0грн" in offer.content
        for dangerous in ("<", "script", "alert", "onclick", "cookie", "p{}"):
            assert dangerous not in offer.content
        assert other.client_id is None and other.email == "nobody@else.example.org"
        states = {row.mailbox: row for row in session.scalars(select(MailboxState))}
        assert states[f"user:{office['anna']}"].last_error is None
        failed = states[f"user:{office['bohdan']}"]
        assert failed.last_error == "login refused" and failed.failures == 1
        assert failed.next_try_at is not None and failed.next_try_at > NOW
        # The password is sealed: it is nowhere in the database in clear.
        sealed = session.scalars(select(MailSecret.sealed)).all()
        assert all(PASSWORDS[ANNA] not in value and "wrong" not in value for value in sealed)

    # Fetched again (letters flagged \Seen, or met again unseen): nothing is stored twice.
    again = letter(
        "olena@romashka.example.net",
        ANNA,
        "Рахунок за березень № 15",
        message_id=str(first["Message-ID"]),
    )
    again.set_content("Копія")
    deliver(dovecot, ANNA, again)
    assert (
        inbox.fetch(hub, now=NOW, context=client_context(dovecot.cert))[f"user:{office['anna']}"]
        == 0
    )
    with hub.sessions() as session:
        assert len(session.scalars(select(MailLetter)).all()) == 3


def test_the_corporate_mailbox_is_spread_one_letter_each_over_its_receivers(
    hub: Hub, dovecot: Dovecot, office: dict[str, int]
) -> None:
    with transaction(hub.sessions) as session:
        update_global(session, {"mail": {"corporate_login": CORP, "incoming_protocol": "imap"}})
        set_secret(session, hub.sealer, CORPORATE, PASSWORDS[CORP])
        set_secret(session, hub.sealer, mailbox_secret(office["bohdan"]), None)
        for user in (office["anna"], office["bohdan"]):
            update_user_parameters(
                session, user, {"receive_corporate_mail": True, "corporate_mail_delivery": "one"}
            )
    for number in range(4):
        message = letter("olena@romashka.example.net", CORP, f"Запит {number}")
        message.set_content("Текст")
        deliver(dovecot, CORP, message)
    result = inbox.fetch(hub, now=NOW, context=client_context(dovecot.cert))
    assert result["corporate"] == 4
    with hub.sessions() as session:
        owners = session.scalars(select(Event.responsible_id)).all()
    assert sorted(owners) == sorted([office["anna"], office["bohdan"]] * 2)


def test_pop3_reads_and_removes_the_letters(
    hub: Hub, dovecot: Dovecot, office: dict[str, int]
) -> None:
    with transaction(hub.sessions) as session:
        update_global(
            session, {"mail": {"incoming_protocol": "pop3", "incoming_port": dovecot.pop3s}}
        )
    message = letter("olena@romashka.example.net", ANNA, "Через POP3")
    message.set_content("Текст листа")
    deliver(dovecot, ANNA, message)
    context = client_context(dovecot.cert)
    assert inbox.fetch(hub, now=NOW, context=context)[f"user:{office['anna']}"] == 1
    assert inbox.fetch(hub, now=NOW, context=context)[f"user:{office['anna']}"] == 0
    with hub.sessions() as session:
        [event] = session.scalars(select(Event)).all()
    assert event.content == "Через POP3\n\nТекст листа"


def test_html_is_reduced_to_text() -> None:
    assert inbox.html_to_text("<b>Так</b><script>x()</script> &amp; ні") == "Так & ні"
