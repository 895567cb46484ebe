"""Events (EVT-3, EVT-4, SET-11): the card, its rules and refusals, linked documents, history."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import (
    Client,
    Contact,
    Event,
    EventType,
    Journal,
    Project,
    SettlementDocument,
)
from tests.conftest import UserFactory

Headers = dict[str, str]
EVENTS = "/api/v1/events"
T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
_seq = itertools.count(1)


# ---- helpers shared by the events tests ------------------------------------------------------


def iso(moment: datetime) -> str:
    """A datetime as the API takes it."""
    return moment.isoformat()


def add_client(hub: Hub, contacts: int = 0, deleted_contacts: int = 0) -> tuple[int, list[int]]:
    """A client with live and deleted contacts; returns (client id, live contact ids)."""
    with transaction(hub.sessions) as session:
        client = Client(name=f"ТОВ Клієнт {next(_seq)}")
        session.add(client)
        session.flush()
        live = []
        for index in range(contacts + deleted_contacts):
            contact = Contact(client_id=client.id, full_name=f"Особа {index}")
            if index >= contacts:
                contact.deleted_at = T0
            session.add(contact)
            session.flush()
            if index < contacts:
                live.append(contact.id)
        return client.id, live


def add_project(hub: Hub) -> int:
    """A project."""
    with transaction(hub.sessions) as session:
        project = Project(number=f"P{next(_seq)}", name=f"Проект {next(_seq)}")
        session.add(project)
        session.flush()
        return project.id


def add_journal(hub: Hub) -> int:
    """A journal."""
    with transaction(hub.sessions) as session:
        journal = Journal(code=f"j{next(_seq)}", name_uk="Журнал", name_en="Journal")
        session.add(journal)
        session.flush()
        return journal.id


def add_document(hub: Hub, client_id: int) -> int:
    """A settlement document of a client."""
    with transaction(hub.sessions) as session:
        doc = SettlementDocument(
            client_id=client_id,
            kind="invoice",
            number=f"INV-{next(_seq)}",
            doc_date=date(2025, 3, 1),
            direction="out",
            amount=Decimal("120.50"),
        )
        session.add(doc)
        session.flush()
        return doc.id


def type_id(hub: Hub, code: str) -> int:
    """The id of an event type by its code."""
    with transaction(hub.sessions) as session:
        found = session.scalar(select(EventType.id).where(EventType.code == code))
        assert found is not None
        return int(found)


def event_count(hub: Hub) -> int:
    """How many events exist."""
    with transaction(hub.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def load_event(hub: Hub, event_id: int) -> Event | None:
    """An event read straight from the database."""
    with transaction(hub.sessions) as session:
        return session.get(Event, event_id)


def create_event(
    client: TestClient, headers: Headers, expect: int = 201, **fields: Any
) -> dict[str, Any]:
    """POST an event (an incoming call at T0 unless told otherwise)."""
    body: dict[str, Any] = {"starts_at": iso(T0), "type": "incoming_call", **fields}
    reply = client.post(EVENTS, headers=headers, json=body)
    assert reply.status_code == expect, reply.text
    result: dict[str, Any] = reply.json()
    return result


def grant_journal(
    client: TestClient, admin: Headers, user_id: int, journal_id: int, letters: str
) -> None:
    """Give a user rights in a journal."""
    reply = client.put(
        f"/api/v1/users/{user_id}/access/journals/{journal_id}",
        headers=admin,
        json={"create": "c" in letters, "change": "u" in letters, "delete": "d" in letters},
    )
    assert reply.status_code == 200, reply.text


def set_parameters(client: TestClient, admin: Headers, **values: Any) -> None:
    """Change global parameters (SET-8, SET-11)."""
    reply = client.patch("/api/v1/parameters", headers=admin, json=values)
    assert reply.status_code == 200, reply.text


def history(client: TestClient, headers: Headers, event_id: int) -> list[dict[str, Any]]:
    """The change log of an event."""
    reply = client.get(f"{EVENTS}/{event_id}/history", headers=headers)
    assert reply.status_code == 200, reply.text
    records: list[dict[str, Any]] = reply.json()
    return records


def error_field(reply: Any) -> str:
    """The field a 422 reply names."""
    return str(reply.json()["error"]["fields"][0]["field"])


# ---- the card ---------------------------------------------------------------------------------


def test_create_event_fills_number_phone_digits_and_responsible(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    first = create_event(client, admin_headers, phone="+38 (067) 123-45-67", content="Дзвінок")
    second = create_event(client, admin_headers, type=type_id(hub, "visit"))
    assert first["type_code"] == "incoming_call"
    assert second["type_code"] == "visit"
    assert first["phone_digits"] == "671234567"
    assert first["responsible_type"] == "employee"
    assert first["responsible_id"] is not None  # the author, by default
    assert first["number"] and second["number"] and first["number"] != second["number"]
    card = client.get(f"{EVENTS}/{first['id']}", headers=admin_headers).json()
    assert card["content"] == "Дзвінок"
    assert card["documents"] == []


def test_numbering_per_project(client: TestClient, admin_headers: Headers, hub: Hub) -> None:
    project = add_project(hub)
    reply = client.post(
        "/api/v1/numbering/rules",
        headers=admin_headers,
        json={"doc_type": "event", "project_id": project, "prefix": "П-", "width": 3},
    )
    assert reply.status_code == 201, reply.text
    in_project = create_event(client, admin_headers, project_id=project)
    outside = create_event(client, admin_headers)
    assert in_project["number"] == "П-001"
    assert not outside["number"].startswith("П-")


def test_invalid_cards_are_refused_and_change_nothing(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    before = event_count(hub)
    reversed_period = create_event(
        client, admin_headers, 422, ends_at=iso(T0 - timedelta(minutes=1))
    )
    assert reversed_period["error"]["fields"][0]["field"] == "ends_at"
    assert create_event(client, admin_headers, 422, type="no_such_type")["error"]["code"] == (
        "event_type_unknown"
    )
    assert error_field_of(create_event(client, admin_headers, 422, client_id=999999)) == "client_id"
    assert error_field_of(create_event(client, admin_headers, 422, project_id=999999)) == (
        "project_id"
    )
    assert error_field_of(create_event(client, admin_headers, 422, journal_id=999999)) == (
        "journal_id"
    )
    naive = create_event(client, admin_headers, 422, starts_at="2025-03-10T09:00:00")
    assert error_field_of(naive) == "starts_at"
    assert error_field_of(create_event(client, admin_headers, 422, email="not-mail")) == "email"
    assert create_event(client, admin_headers, 422, content="a\x00b")["error"]["code"]
    assert create_event(client, admin_headers, 422, type=2**40)["error"]["code"]
    assert create_event(client, admin_headers, 422, type="²")["error"]["code"]
    assert event_count(hub) == before


def error_field_of(body: dict[str, Any]) -> str:
    """The field an error body names."""
    return str(body["error"]["fields"][0]["field"])


def test_contact_is_filled_when_the_client_has_exactly_one(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    one, (only,) = add_client(hub, contacts=1, deleted_contacts=1)
    two, pair = add_client(hub, contacts=2)
    none, _ = add_client(hub)
    assert create_event(client, admin_headers, client_id=one)["contact_id"] == only
    assert create_event(client, admin_headers, client_id=two)["contact_id"] is None
    assert create_event(client, admin_headers, client_id=none)["contact_id"] is None
    chosen = create_event(client, admin_headers, client_id=two, contact_id=pair[1])
    assert chosen["contact_id"] == pair[1]
    # A contact alone names its client.
    by_contact = create_event(client, admin_headers, contact_id=pair[0])
    assert by_contact["client_id"] == two
    # Changing the client fills the new client's only contact.
    changed = client.patch(
        f"{EVENTS}/{chosen['id']}", headers=admin_headers, json={"client_id": one}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["contact_id"] == only


def test_contact_of_another_client_is_refused(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    first, (contact_one,) = add_client(hub, contacts=1)
    _, (contact_two,) = add_client(hub, contacts=1)
    before = event_count(hub)
    reply = client.post(
        EVENTS,
        headers=admin_headers,
        json={
            "starts_at": iso(T0),
            "type": "visit",
            "client_id": first,
            "contact_id": contact_two,
        },
    )
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["code"] == "event_contact_of_other_client"
    assert error_field(reply) == "contact_id"
    assert event_count(hub) == before
    event = create_event(client, admin_headers, client_id=first)
    assert event["contact_id"] == contact_one
    reply = client.patch(
        f"{EVENTS}/{event['id']}", headers=admin_headers, json={"contact_id": contact_two}
    )
    assert reply.status_code == 422
    stored = load_event(hub, event["id"])
    assert stored is not None and stored.contact_id == contact_one


def test_responsible_person_type_follows_the_parameter(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    centre = {"responsible_type": "responsibility_centre", "responsibility_centre": "Відділ"}
    refused = create_event(client, admin_headers, 422, **centre)
    assert refused["error"]["code"] == "event_responsible_type_fixed"
    assert error_field_of(refused) == "responsible_type"
    set_parameters(client, admin_headers, responsible_person_type="per_document")
    made = create_event(client, admin_headers, **centre)
    assert made["responsible_type"] == "responsibility_centre"
    assert made["responsibility_centre"] == "Відділ"
    assert made["responsible_id"] is None
    missing = create_event(client, admin_headers, 422, responsible_type="responsibility_centre")
    assert error_field_of(missing) == "responsibility_centre"
    employee = create_event(client, admin_headers, responsible_type="employee")
    assert employee["responsible_type"] == "employee"
    bad_user = create_event(client, admin_headers, 422, responsible_id=999999)
    assert error_field_of(bad_user) == "responsible_id"
    # Back to "employee": an old centre event stays editable while its type is not touched.
    set_parameters(client, admin_headers, responsible_person_type="employee")
    reply = client.patch(f"{EVENTS}/{made['id']}", headers=admin_headers, json={"content": "x"})
    assert reply.status_code == 200, reply.text
    reply = client.patch(
        f"{EVENTS}/{made['id']}",
        headers=admin_headers,
        json={"responsible_type": "employee", "responsibility_centre": None},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["responsible_type"] == "employee"


def test_rights_are_checked_and_refusals_change_nothing(
    client: TestClient, admin_headers: Headers, hub: Hub, make_user: UserFactory
) -> None:
    _, reader = make_user(rights={})
    _, creator = make_user(rights={"event": "c"})
    before = event_count(hub)
    reply = client.post(EVENTS, headers=reader, json={"starts_at": iso(T0), "type": "visit"})
    assert reply.status_code == 403
    assert reply.json()["error"]["right"] == "event:create"
    assert event_count(hub) == before
    event = create_event(client, creator, content="спершу")
    # Reading needs only CRM access.
    assert client.get(f"{EVENTS}/{event['id']}", headers=reader).status_code == 200
    assert client.get(EVENTS, headers=reader).status_code == 200
    reply = client.patch(f"{EVENTS}/{event['id']}", headers=creator, json={"content": "потім"})
    assert reply.status_code == 403
    assert reply.json()["error"]["right"] == "event:change"
    assert client.delete(f"{EVENTS}/{event['id']}", headers=creator).status_code == 403
    stored = load_event(hub, event["id"])
    assert stored is not None and stored.content == "спершу"
    assert client.get(EVENTS).status_code == 401


def test_journal_rights_are_needed_for_events_in_a_journal(
    client: TestClient, admin_headers: Headers, hub: Hub, make_user: UserFactory
) -> None:
    journal = add_journal(hub)
    other = add_journal(hub)
    user_id, headers = make_user(rights={"event": "cud"})
    before = event_count(hub)
    refused = create_event(client, headers, 403, journal_id=journal)
    assert refused["error"]["right"] == f"journal:{journal}:create"
    assert event_count(hub) == before
    grant_journal(client, admin_headers, user_id, journal, "c")
    event = create_event(client, headers, journal_id=journal)
    reply = client.patch(f"{EVENTS}/{event['id']}", headers=headers, json={"content": "x"})
    assert reply.status_code == 403
    assert reply.json()["error"]["right"] == f"journal:{journal}:change"
    grant_journal(client, admin_headers, user_id, journal, "cu")
    assert (
        client.patch(f"{EVENTS}/{event['id']}", headers=headers, json={"content": "x"}).status_code
        == 200
    )
    # Moving the event to a journal without rights is refused.
    reply = client.patch(f"{EVENTS}/{event['id']}", headers=headers, json={"journal_id": other})
    assert reply.status_code == 403
    stored = load_event(hub, event["id"])
    assert stored is not None and stored.journal_id == journal
    assert client.delete(f"{EVENTS}/{event['id']}", headers=headers).status_code == 403
    grant_journal(client, admin_headers, user_id, journal, "cud")
    assert client.delete(f"{EVENTS}/{event['id']}", headers=headers).status_code == 204
    assert load_event(hub, event["id"]) is None


def test_odd_input_is_refused_never_a_server_error(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    event = create_event(client, admin_headers)
    bodies: list[dict[str, Any]] = [
        {"starts_at": iso(T0), "type": True},
        {"starts_at": iso(T0), "type": -1},
        {"starts_at": iso(T0), "type": ""},
        {"starts_at": iso(T0), "type": None},
        {"starts_at": iso(T0), "type": "visit", "contact_id": 2**40},
        {"starts_at": iso(T0), "type": "visit", "phone": "1" * 40},
        {"starts_at": iso(T0), "type": "visit", "responsible_type": "boss"},
        {"starts_at": "9999-12-31T23:59:59+14:00", "type": "visit", "unknown": 1},
        {"type": "visit"},
        {"starts_at": "0001-01-01T00:00:00+14:00", "type": "visit"},
        {"starts_at": iso(T0), "ends_at": "9999-12-31T23:59:59-14:00", "type": "visit"},
    ]
    before = event_count(hub)
    for body in bodies:
        reply = client.post(EVENTS, headers=admin_headers, json=body)
        assert reply.status_code == 422, (body, reply.text)
    for params in (
        {"client": 2**40},
        {"project": "0"},
        {"type": "x" * 100},
        {"phone": "٣"},
        {"cursor": "W1td"},
        {"order": "sideways"},
        {"from": "0001-01-01T00:00:00+14:00"},
    ):
        reply = client.get(EVENTS, headers=admin_headers, params=params)
        assert reply.status_code in (200, 422), (params, reply.text)
    for url in (f"{EVENTS}/{2**40}", f"{EVENTS}/0"):
        assert client.get(url, headers=admin_headers).status_code == 422
    # Ids match digits only (so /events/archive is never taken for an id): no such address.
    assert client.get(f"{EVENTS}/abc", headers=admin_headers).status_code == 404
    reply = client.patch(f"{EVENTS}/{event['id']}", headers=admin_headers, json={"type": None})
    assert reply.status_code == 422
    assert event_count(hub) == before
