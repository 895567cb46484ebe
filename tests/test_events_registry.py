"""Registries of events (EVT-1, EVT-2): filters, keyset pages, phone groups, call views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Event
from tests.conftest import UserFactory
from tests.test_events import (
    EVENTS,
    T0,
    Headers,
    add_client,
    add_journal,
    add_project,
    create_event,
    iso,
    type_id,
)


def listing(http: TestClient, headers: Headers, url: str = EVENTS, **params: Any) -> Any:
    """GET a registry page and return its JSON."""
    reply = http.get(url, headers=headers, params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def ids(http: TestClient, headers: Headers, url: str = EVENTS, **params: Any) -> list[int]:
    """The ids on the first page of a registry."""
    return [item["id"] for item in listing(http, headers, url, **params)["items"]]


def test_paging_returns_each_event_once_in_order(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    visit = type_id(hub, "visit")
    with transaction(hub.sessions) as session:
        # Pairs share a start time, so the id decides their order.
        session.add_all(
            Event(number=f"N{i}", type_id=visit, starts_at=T0 + timedelta(minutes=i // 2))
            for i in range(120)
        )
    for order, newest_first in (("newest", True), ("oldest", False)):
        seen: list[dict[str, Any]] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 50, "order": order}
            if cursor:
                params["cursor"] = cursor
            page = listing(client, admin_headers, **params)
            seen.extend(page["items"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        keys = [(item["starts_at"], item["id"]) for item in seen]
        assert len({item["id"] for item in seen}) == 120 == len(seen)
        assert keys == sorted(keys, reverse=newest_first)
    bad = client.get(EVENTS, headers=admin_headers, params={"cursor": "garbage!"})
    assert bad.status_code == 422
    assert client.get(EVENTS, headers=admin_headers, params={"limit": 0}).status_code == 422


def test_registry_filters(
    client: TestClient, admin_headers: Headers, hub: Hub, make_user: UserFactory
) -> None:
    project = add_project(hub)
    journal = add_journal(hub)
    client_id, _ = add_client(hub)
    other_user, _ = make_user()
    in_project = create_event(client, admin_headers, project_id=project, type="visit")
    no_project = create_event(
        client, admin_headers, starts_at=iso(T0 + timedelta(days=1)), phone="+380 67 111 22 33"
    )
    of_client = create_event(
        client,
        admin_headers,
        client_id=client_id,
        type="survey",
        starts_at=iso(T0 + timedelta(days=2)),
    )
    responsible = create_event(
        client, admin_headers, responsible_id=other_user, starts_at=iso(T0 + timedelta(days=3))
    )
    journalled = create_event(
        client, admin_headers, journal_id=journal, starts_at=iso(T0 - timedelta(days=1))
    )
    everything = ids(client, admin_headers)
    assert set(everything) == {
        e["id"] for e in (in_project, no_project, of_client, responsible, journalled)
    }
    assert ids(client, admin_headers, project=project) == [in_project["id"]]
    assert in_project["id"] not in ids(client, admin_headers, project="none")
    assert no_project["id"] in ids(client, admin_headers, project="none")
    assert ids(client, admin_headers, project="all") == everything
    assert ids(client, admin_headers, type="visit") == [in_project["id"]]
    assert ids(client, admin_headers, type=str(type_id(hub, "survey"))) == [of_client["id"]]
    assert set(ids(client, admin_headers, type=["visit", "survey"])) == {
        in_project["id"],
        of_client["id"],
    }
    period = {"from": iso(T0 + timedelta(days=1)), "to": iso(T0 + timedelta(days=2))}
    assert ids(client, admin_headers, **period) == [of_client["id"], no_project["id"]]
    assert ids(client, admin_headers, client=client_id) == [of_client["id"]]
    assert ids(client, admin_headers, responsible=other_user) == [responsible["id"]]
    assert ids(client, admin_headers, journal=journal) == [journalled["id"]]
    for typed in ("0671112233", "+380671112233", "067-111-22-33"):
        assert ids(client, admin_headers, phone=typed) == [no_project["id"]]
    # Refusals name the parameter.
    for params, field in (
        ({"from": period["to"], "to": period["from"]}, "to"),
        ({"project": "some"}, "project"),
        ({"type": "no_such_type"}, "type"),
        ({"phone": "---"}, "phone"),
        ({"from": "yesterday"}, "from"),
    ):
        reply = client.get(EVENTS, headers=admin_headers, params=params)
        assert reply.status_code == 422, (params, reply.text)
        assert reply.json()["error"]["fields"][0]["field"] == field


def test_archived_events_are_not_in_the_registry(
    client: TestClient, admin_headers: Headers
) -> None:
    kept = create_event(client, admin_headers)
    archived = create_event(client, admin_headers)
    reply = client.post(f"{EVENTS}/archive", headers=admin_headers, json={"ids": [archived["id"]]})
    assert reply.status_code == 200, reply.text
    assert ids(client, admin_headers) == [kept["id"]]
    assert ids(client, admin_headers, url=f"{EVENTS}/archive") == [archived["id"]]


def test_views_by_phone_missed_and_answered(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    later = T0 + timedelta(hours=5)
    calls = [
        ("missed_incoming_call", "0501110000", T0),
        ("missed_incoming_call", "+380501110000", later),
        ("missed_outgoing_call", "0672220000", T0),
        ("incoming_call", "0501110000", T0),
        ("outgoing_call", "0933330000", T0),
        ("missed_call_answer", "0501110000", later),
        ("callback", "0672220000", T0),
        ("visit", "0991234567", T0),
    ]
    made = [
        create_event(client, admin_headers, type=code, phone=phone, starts_at=iso(moment))
        for code, phone, moment in calls
    ]
    create_event(client, admin_headers, type="visit")  # no phone: in no group
    by_code: dict[str, list[int]] = {code: [] for code, _, _ in calls}
    for (code, _, _), event in zip(calls, made, strict=True):
        by_code[code].append(event["id"])
    missed = set(by_code["missed_incoming_call"] + by_code["missed_outgoing_call"])
    assert set(ids(client, admin_headers, url=f"{EVENTS}/missed")) == missed
    answered = {
        event_id
        for code in ("incoming_call", "outgoing_call", "missed_call_answer", "callback")
        for event_id in by_code[code]
    }
    assert set(ids(client, admin_headers, url=f"{EVENTS}/answered")) == answered
    grouped = listing(client, admin_headers, f"{EVENTS}/missed", grouped="true")["items"]
    assert [(g["phone_digits"], g["count"]) for g in grouped] == [
        ("501110000", 2),
        ("672220000", 1),
    ]
    assert grouped[0]["last_at"].startswith(later.isoformat()[:19])
    # All events grouped by phone, paged by the number.
    first = listing(client, admin_headers, f"{EVENTS}/by-phone", limit=2)
    rest = listing(
        client, admin_headers, f"{EVENTS}/by-phone", limit=2, cursor=first["next_cursor"]
    )
    groups = first["items"] + rest["items"]
    assert rest["next_cursor"] is None
    assert [(g["phone_digits"], g["count"]) for g in groups] == [
        ("501110000", 4),
        ("672220000", 2),
        ("933330000", 1),
        ("991234567", 1),
    ]
    # The standard registry by one number.
    assert len(ids(client, admin_headers, phone="050 111 00 00")) == 4
    assert ids(client, admin_headers, url=f"{EVENTS}/missed", type="visit") == []
    assert set(ids(client, admin_headers, url=f"{EVENTS}/missed", phone="0501110000")) == set(
        by_code["missed_incoming_call"]
    )
    bad = client.get(f"{EVENTS}/by-phone", headers=admin_headers, params={"cursor": "e30"})
    assert bad.status_code == 422
