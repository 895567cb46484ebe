"""Mail out through a real SMTP server on loopback (aiosmtpd): task reminders (TSK-7) sent
exactly once across an SMTP outage, executors told of a new task (SET-8), the durable outbox's
claim, backoff and failure record, birthday reminders (CLI-4). Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models.mail import MailOutboxRow, Notification
from hub.services.mail import outbox
from hub.services.mail.worker import MailWorker
from hub.services.settings.parameters import update_global
from tests.mail_servers import SmtpServer, free_port
from tests.test_my_work import NOW, remind, task_for

SENDER = "office@example.org"


def configure(hub: Hub, port: int, **extra: Any) -> None:
    """Point the hub's mail at the test server."""
    with transaction(hub.sessions) as session:
        mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}
        update_global(session, {"mail": {**mail, "sender": SENDER, **extra}})


def employee_user(client: TestClient, headers: dict[str, str], name: str, email: str | None) -> int:
    reply = client.post(
        "/api/v1/users",
        headers=headers,
        json={
            "username": name,
            "password": "user-password-1",
            "employee": {"full_name": f"Працівник {name}", "email": email},
            "crm_access": True,
            "lang": "uk",
        },
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp(smtp_port: int) -> Iterator[SmtpServer]:
    server = SmtpServer(smtp_port)
    yield server
    server.stop()


def rows(hub: Hub) -> list[MailOutboxRow]:
    with hub.sessions() as session:
        found = list(session.scalars(select(MailOutboxRow).order_by(MailOutboxRow.id)))
        session.expunge_all()
        return found


def test_a_reminder_waits_out_an_smtp_outage_and_is_sent_exactly_once(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], smtp: SmtpServer
) -> None:
    configure(hub, smtp.port)
    anna = employee_user(client, admin_headers, "anna", "anna@example.com")
    task = task_for(client, admin_headers, [anna], "Подзвонити клієнту", ends_in_hours=5)
    remind(client, admin_headers, task, anna, NOW - timedelta(minutes=1), channel="email")
    worker = MailWorker(hub, backoff_base=timedelta(seconds=30))

    # The server is down: the letter is queued with the reminder's mark, then waits.
    down = worker.run_once(NOW)
    assert (down.queued, down.sent, down.failed) == (1, 0, 1)
    [row] = rows(hub)
    assert row.state == "pending" and row.attempts == 1 and row.last_error
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    assert row.next_attempt_at == NOW + timedelta(seconds=30)
    assert worker.health()["smtp"] == "failing" and worker.health()["pending"] == 1
    # Not yet due: nothing is tried while the backoff runs.
    assert worker.run_once(NOW + timedelta(seconds=10)).failed == 0

    smtp.start()
    later = worker.run_once(NOW + timedelta(minutes=1))
    assert (later.queued, later.sent) == (0, 1)
    for minutes in (2, 3, 60):  # more passes, the reminder scan included: nothing more
        assert worker.run_once(NOW + timedelta(minutes=minutes)).sent == 0
    [letter] = smtp.messages()
    assert letter["To"].addresses[0].addr_spec == "anna@example.com"
    assert "Нагадування" in str(letter["Subject"])
    assert "Подзвонити клієнту" in letter.get_body().get_content()  # type: ignore[union-attr]
    [row] = rows(hub)
    assert row.state == "sent" and row.sent_at is not None and row.last_error is None
    assert str(letter["Message-ID"]) == row.message_id
    assert worker.health()["smtp"] == "ok"


def test_claimed_letters_are_sent_by_one_sender_and_a_dead_claim_comes_back(hub: Hub) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    letter = outbox.Letter(to="a@example.com", subject="Тема", text="Текст")
    with transaction(hub.sessions) as session:
        first = outbox.enqueue(session, letter, key="k1", kind="test", sender=SENDER, now=now)
        again = outbox.enqueue(session, letter, key="k1", kind="test", sender=SENDER, now=now)
    assert first is not None and again is None  # one key, one letter
    with transaction(hub.sessions) as session:
        assert [row.id for row in outbox.claim(session, now)] == [first]
    with transaction(hub.sessions) as session:
        assert outbox.claim(session, now) == []  # claimed: nobody else takes it
        assert outbox.recover(session, now + timedelta(minutes=5)) == 0
        # Its sender died mid-send: after the lease it goes back to the queue (at-least-once).
        assert outbox.recover(session, now + outbox.CLAIM_LEASE + timedelta(seconds=1)) == 1
    with transaction(hub.sessions) as session:
        [claimed] = outbox.claim(session, now + timedelta(hours=1))
        assert claimed.attempts == 2
        outbox.mark_failed(
            session,
            claimed,
            error="SMTP 550 no such user",
            permanent=True,
            now=now,
            base=timedelta(minutes=1),
        )
    with hub.sessions() as session:
        state = outbox.health(session)
    assert (state.pending, state.failed, state.last_error) == (0, 1, "SMTP 550 no such user")
    assert outbox.backoff(1, timedelta(minutes=1)) == timedelta(minutes=1)
    assert outbox.backoff(3, timedelta(minutes=1)) == timedelta(minutes=4)
    assert outbox.backoff(30, timedelta(minutes=1)) == outbox.LONGEST_WAIT


def test_new_executors_are_told_by_email_or_in_the_system(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], smtp: SmtpServer
) -> None:
    configure(hub, smtp.port)
    with transaction(hub.sessions) as session:
        update_global(session, {"task_notifications": {"executor": "email"}})
    anna = employee_user(client, admin_headers, "anna", "anna@example.com")
    bohdan = employee_user(client, admin_headers, "bohdan", None)  # no e-mail: in the system
    task_for(client, admin_headers, [anna, bohdan], "Зустріч з клієнтом", ends_in_hours=3)
    smtp.start()
    assert MailWorker(hub).run_once(NOW).sent == 1
    [letter] = smtp.messages()
    assert "Зустріч з клієнтом" in letter.get_body().get_content()  # type: ignore[union-attr]
    with hub.sessions() as session:
        notes = session.scalars(select(Notification)).all()
        assert [(note.user_id, note.kind) for note in notes] == [(bohdan, "task_assigned")]
        assert session.scalar(select(func.count()).select_from(MailOutboxRow)) == 1


def test_a_booking_is_confirmed_with_its_code_qr_and_calendar_entry_and_its_cancel_noticed(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], smtp: SmtpServer
) -> None:
    import icalendar
    import zxingcpp
    from PIL import Image

    from tests.test_booking import API, make_service, next_workday, slots

    configure(hub, smtp.port)
    service = make_service(client, admin_headers, "Довідки", [1])
    first = slots(client, service, next_workday(hub.today()))[0]
    reply = client.post(
        f"{API}/bookings",
        json={
            "service_id": service,
            "starts_at": first["starts_at"],
            "name": "Олена Петрук-Коваль",
            "email": "olena@example.com",
            "lang": "en",
        },
    )
    assert reply.status_code == 201, reply.text
    code = reply.json()["booking_code"]
    smtp.start()
    worker = MailWorker(hub)
    assert worker.run_once().sent == 1
    [letter] = smtp.messages()
    assert str(letter["Subject"]).startswith("Your booking: Довідки")
    assert letter["To"].addresses[0].display_name == "Олена Петрук-Коваль"
    text = letter.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert code in text and "Booking code" in text
    html_part = letter.get_body(preferencelist=("html",))
    assert html_part is not None and "cid:booking-qr@cherga" in html_part.get_content()
    parts = {part.get_filename(): part for part in letter.walk() if part.get_filename()}
    png = parts["qr.png"].get_payload(decode=True)
    import io

    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert decoded.text == code
    calendar = icalendar.Calendar.from_ical(parts["booking.ics"].get_payload(decode=True))
    [entry] = calendar.walk("VEVENT")
    assert entry.decoded("DTSTART") == datetime.fromisoformat(first["starts_at"])
    assert entry.decoded("DTEND") == datetime.fromisoformat(first["ends_at"])
    assert code in str(entry["DESCRIPTION"])

    starts = datetime.fromisoformat(first["starts_at"])
    assert worker.run_once(starts - timedelta(hours=2)).sent == 1  # within the 24 h
    reminder = smtp.messages()[1]
    assert str(reminder["Subject"]).startswith("Reminder: Довідки")
    assert code in reminder.get_body().get_content()  # type: ignore[union-attr]
    assert worker.run_once(starts - timedelta(hours=1)).sent == 0  # reminded once

    assert client.post(f"{API}/bookings/{code}/cancel").status_code == 200
    assert worker.run_once().sent == 1
    notice = smtp.messages()[2]
    assert str(notice["Subject"]).startswith("Booking cancelled")
    assert code in notice.get_body().get_content()  # type: ignore[union-attr]


def test_the_api_shows_the_outbox_and_keeps_passwords_write_only(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], smtp_port: int
) -> None:
    configure(hub, smtp_port, smtp_login="office")
    reply = client.put(
        "/api/v1/mail/passwords/smtp", headers=admin_headers, json={"password": "s3cret-pass"}
    )
    assert reply.status_code == 204, reply.text
    with transaction(hub.sessions) as session:
        letter = outbox.Letter(to="a@example.com", subject="Тема", text="Текст")
        outbox.enqueue(session, letter, key="k", kind="test", sender=SENDER, now=NOW)
    MailWorker(hub).run_once(NOW)  # nobody listens: the error is recorded
    status = client.get("/api/v1/mail/status", headers=admin_headers)
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["pending"] == 1 and body["passwords_set"] == ["smtp"]
    assert body["last_error"] and "s3cret" not in status.text
    assert "s3cret" not in client.get("/api/v1/parameters", headers=admin_headers).text
    assert client.get("/api/v1/mail/notifications", headers=admin_headers).json() == []
