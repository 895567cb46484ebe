"""The client's card on the operator's panel (issue 7, Q-5): who the visitor is in the CRM, with
the client's recent events and open tasks, bounded and only as far as the operator may see them.
Real SQLite and PostgreSQL; the payload is checked against the MQTT contract's model."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import (
    Client,
    Contact,
    ContactPhone,
    DocRight,
    Event,
    EventType,
    ProjectMember,
    Task,
    TaskStatus,
    User,
)
from hub.protocol.cards import CARD_EVENTS, CARD_TEXT
from hub.protocol.messages import PanelAssignment, decode
from hub.protocol.topics import TopicKind
from hub.services.access.rights import load_profile
from hub.services.queue import operators as queue_operators
from tests.test_queue import T0, at, drain, issue, make_operator, make_service, press_free


def _client(session: Session, name: str, contacts: list[tuple[str, list[str]]]) -> Client:
    client = Client(name=name)
    session.add(client)
    session.flush()
    for full_name, phones in contacts:
        contact = Contact(client_id=client.id, full_name=full_name)
        contact.phones = [ContactPhone(phone=phone) for phone in phones]
        session.add(contact)
    session.flush()
    session.refresh(client)
    return client


def _event(session: Session, client_id: int, code: str, minutes: int, content: str) -> Event:
    kind = session.scalars(select(EventType).where(EventType.code == code)).one()
    event = Event(
        number=f"E{minutes}",
        type_id=kind.id,
        starts_at=T0 + timedelta(minutes=minutes),
        client_id=client_id,
        content=content,
    )
    session.add(event)
    session.flush()
    return event


def _task(session: Session, client_id: int, name: str, days: int, status: str) -> Task:
    row = session.scalars(select(TaskStatus).where(TaskStatus.code == status)).one()
    task = Task(
        number=name[:8],
        name=name,
        starts_at=T0 + timedelta(days=days - 1),
        ends_at=T0 + timedelta(days=days),
        status_id=row.id,
        client_id=client_id,
    )
    session.add(task)
    session.flush()
    return task


def _assignment(hub: Hub, device: str) -> dict[str, Any]:
    """The last retained assignment of ``device`` the sender would publish, checked by the model."""
    found = [m for m in drain(hub) if m.topic.endswith(f"/panel/{device}/assignment")]
    assert found, "no assignment was published"
    payload = found[-1].payload
    decoded = decode(TopicKind.PANEL_ASSIGNMENT, _json(payload))
    assert isinstance(decoded, PanelAssignment)
    return payload


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def test_a_ticket_of_a_known_client_carries_its_card(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
        client = _client(session, "ТОВ «Зелений Гай»", [("Ігор Шевчук", ["+380 50 123 45 67"])])
        for minute in range(7):  # seven older events: the card shows the newest five
            _event(session, client.id, "incoming_call", -600 + minute, f"Дзвінок {minute}\nдеталі")
        archived = _event(session, client.id, "visit", -1, "В архіві")
        archived.archived_at = T0
        _task(session, client.id, "Підготувати договір", 3, "assigned")
        _task(session, client.id, "Прострочена довідка", -2, "assigned")
        _task(session, client.id, "Вже зроблено", 1, "done")
        client_id = client.id
    issued = issue(hub, service, 0, name="Ігор", phone="050 123 45 67", client_id=client_id)
    drain(hub)
    got = press_free(hub, olena, 1, window="3", device="panel-1")
    assert got.assignment is not None and got.assignment.ticket.id == issued.ticket.id
    card = _assignment(hub, "panel-1")["ticket"]["card"]
    assert card["client_id"] == client_id and card["name"] == "ТОВ «Зелений Гай»"
    # The only contact, with the phone as it was typed in the registry.
    assert card["contact"] == "Ігор Шевчук" and card["contact_phone"] == "+380 50 123 45 67"
    assert card["matched_by"] == "event"
    # Newest first, the queue event itself and archived events left out; first line only.
    assert [e["subject"] for e in card["events"]] == [f"Дзвінок {m}" for m in (6, 5, 4, 3, 2)]
    assert len(card["events"]) == CARD_EVENTS
    assert {e["type"] for e in card["events"]} == {"Вхідний дзвінок"}
    # Open tasks only, by deadline; the task made by Free for this visit is not history.
    tasks = card["tasks"]
    assert [t["title"] for t in tasks] == ["Прострочена довідка", "Підготувати договір"]
    assert tasks[0]["overdue"] is True and tasks[1]["overdue"] is False
    assert got.assignment.task_id not in {t["id"] for t in tasks}
    with transaction(hub.sessions) as session:
        names = {row.code: row.name_uk for row in session.scalars(select(TaskStatus))}
    assert tasks[0]["state"] == names["overdue"] and tasks[1]["state"] == names["assigned"]


def test_the_phone_finds_the_client_and_names_come_in_the_operators_language(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Довідки")
        petro = make_operator(session, "petro", [service])
        user = session.get(User, petro.user_id)
        assert user is not None
        user.lang = "en"
        long_name = "ФОП " + "Дуже Довга Назва " * 12
        client = _client(
            session,
            long_name,
            [("Марія Бондар", ["067-765-43-21"]), ("Олег Бондар", ["+380 44 000 00 00"])],
        )
        _event(session, client.id, "outgoing_call", -30, "  Передзвонити щодо ліцензії  ")
    issue(hub, service, 0, name="Марія", phone="+380677654321")  # no client named: by phone
    drain(hub)
    press_free(hub, petro, 1, window="2", device="panel-2")
    card = _assignment(hub, "panel-2")["ticket"]["card"]
    assert card["matched_by"] == "phone"
    # Two contacts: the one whose phone the visitor gave.
    assert card["contact"] == "Марія Бондар" and card["contact_phone"] == "067-765-43-21"
    assert len(card["name"]) == CARD_TEXT and card["name"].endswith("…")
    [event] = card["events"]
    assert (event["type"], event["subject"]) == ("Outgoing call", "Передзвонити щодо ліцензії")
    assert datetime.fromisoformat(event["at"]) == T0 - timedelta(minutes=30)


def test_an_ambiguous_phone_or_an_unknown_visitor_gives_no_card(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Дозволи")
        ivan = make_operator(session, "ivan", [service])
        _client(session, "Перший", [("А", ["0501112233"])])
        _client(session, "Другий", [("Б", ["+380501112233"])])
    issue(hub, service, 0, name="Хтось", phone="050 111 22 33")
    issue(hub, service, 1, name="Ніхто", phone="0990000000")
    drain(hub)
    for minute in (2, 3):
        press_free(hub, ivan, minute, window="4", device="panel-4")
        ticket = _assignment(hub, "panel-4")["ticket"]
        assert "card" not in ticket and ticket["client"]["phone"]
        with transaction(hub.sessions) as session:
            queue_operators.done(
                session, at(minute), profile=ivan, ticket_id=ticket["id"], note=None
            )


def test_an_operator_without_crm_access_gets_no_card(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Каса")
        user = User(username="kasa", crm_access=False)
        session.add(user)
        session.flush()
        session.add(ProjectMember(project_id=service, user_id=user.id))
        session.add(DocRight(user_id=user.id, doc_type="task", can_create=True, can_change=True))
        session.flush()
        profile = load_profile(session, user)
        client = _client(session, "Таємний клієнт", [])
        _event(session, client.id, "visit", -5, "Конфіденційно")
        client_id = client.id
    issue(hub, service, 0, name="Гість", client_id=client_id)
    drain(hub)
    got = press_free(hub, profile, 1, window="5", device="panel-5")
    assert got.assignment is not None
    ticket = _assignment(hub, "panel-5")["ticket"]
    assert ticket["client"]["name"] == "Гість" and "card" not in ticket
