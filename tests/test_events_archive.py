"""The archive of events (EVT-5): by choice and by date, restore, delete, rights and the log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Event
from tests.conftest import UserFactory
from tests.test_events import (
    EVENTS,
    T0,
    Headers,
    add_journal,
    create_event,
    grant_journal,
    history,
    iso,
    load_event,
    set_parameters,
)

ARCHIVE = f"{EVENTS}/archive"


def post(client: TestClient, headers: Headers, url: str, body: Any, expect: int = 200) -> Any:
    """POST and check the status."""
    reply = client.post(url, headers=headers, json=body)
    assert reply.status_code == expect, reply.text
    return reply.json()


def archived_ids(hub: Hub) -> set[int]:
    """Ids of the events in the archive, read from the database."""
    with transaction(hub.sessions) as session:
        return set(session.scalars(select(Event.id).where(Event.archived_at.is_not(None))))


def registry_ids(client: TestClient, headers: Headers, url: str = EVENTS) -> set[int]:
    """Ids on the first page of a registry."""
    reply = client.get(url, headers=headers, params={"limit": 500})
    assert reply.status_code == 200, reply.text
    return {item["id"] for item in reply.json()["items"]}


def test_archive_chosen_restore_and_delete(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    first, second, third = (create_event(client, admin_headers)["id"] for _ in range(3))
    assert post(client, admin_headers, ARCHIVE, {"ids": [first, second]}) == {
        "done": 2,
        "skipped": 0,
    }
    assert post(client, admin_headers, ARCHIVE, {"ids": [first, third]}) == {
        "done": 1,
        "skipped": 1,
    }
    assert registry_ids(client, admin_headers) == set()
    assert registry_ids(client, admin_headers, ARCHIVE) == {first, second, third}
    archived = client.get(f"{EVENTS}/{first}", headers=admin_headers).json()
    assert archived["archived_at"] is not None
    # An archived card is read-only until restored.
    reply = client.patch(f"{EVENTS}/{first}", headers=admin_headers, json={"content": "x"})
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "event_archived"
    restored = post(client, admin_headers, f"{ARCHIVE}/restore", {"ids": [first]})
    assert restored == {"done": 1, "skipped": 0}
    assert registry_ids(client, admin_headers) == {first}
    # Only archived events are deleted from the archive; a refusal deletes none of them.
    refused = post(client, admin_headers, f"{ARCHIVE}/delete", {"ids": [first, second]}, 409)
    assert refused["error"]["code"] == "event_not_archived"
    assert load_event(hub, second) is not None
    assert post(client, admin_headers, f"{ARCHIVE}/delete", {"ids": [second, third]}) == {
        "done": 2,
        "skipped": 0,
    }
    assert load_event(hub, second) is None and load_event(hub, third) is None
    actions = [r["action"] for r in history(client, admin_headers, first)]
    assert actions == ["create", "archive", "restore"]
    assert [r["action"] for r in history(client, admin_headers, second)][-1] == "delete"
    # Unknown ids and empty lists are refused.
    post(client, admin_headers, ARCHIVE, {"ids": [first, 999999]}, 404)
    assert archived_ids(hub) == set()
    post(client, admin_headers, ARCHIVE, {"ids": []}, 422)
    post(client, admin_headers, ARCHIVE, {"ids": [0]}, 422)


def test_archive_before_a_date_in_one_update(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    cut = T0 + timedelta(days=10)
    ended = create_event(
        client, admin_headers, starts_at=iso(T0), ends_at=iso(cut - timedelta(seconds=1))
    )
    no_end = create_event(client, admin_headers, starts_at=iso(T0 + timedelta(days=1)))
    running = create_event(
        client, admin_headers, starts_at=iso(T0), ends_at=iso(cut + timedelta(hours=1))
    )
    at_cut = create_event(client, admin_headers, starts_at=iso(cut))
    later = create_event(client, admin_headers, starts_at=iso(cut + timedelta(days=1)))
    result = post(client, admin_headers, f"{EVENTS}/archive-before", {"before": iso(cut)})
    assert result == {"done": 2, "skipped": 0}
    assert archived_ids(hub) == {ended["id"], no_end["id"]}
    assert registry_ids(client, admin_headers) == {running["id"], at_cut["id"], later["id"]}
    assert [r["action"] for r in history(client, admin_headers, no_end["id"])] == [
        "create",
        "archive",
    ]
    again = post(client, admin_headers, f"{EVENTS}/archive-before", {"before": iso(cut)})
    assert again == {"done": 0, "skipped": 0}
    post(client, admin_headers, f"{EVENTS}/archive-before", {"before": "2025-01-01T00:00"}, 422)


def test_archive_writes_no_log_while_the_switch_is_off(
    client: TestClient, admin_headers: Headers
) -> None:
    set_parameters(client, admin_headers, audit_tasks_events=False)
    chosen = create_event(client, admin_headers)["id"]
    by_date = create_event(client, admin_headers, starts_at=iso(T0 - timedelta(days=400)))["id"]
    post(client, admin_headers, ARCHIVE, {"ids": [chosen]})
    before = iso(T0 - timedelta(days=1))
    assert post(client, admin_headers, f"{EVENTS}/archive-before", {"before": before}) == {
        "done": 1,
        "skipped": 0,
    }
    post(client, admin_headers, f"{ARCHIVE}/restore", {"ids": [chosen, by_date]})
    assert history(client, admin_headers, chosen) == []
    assert history(client, admin_headers, by_date) == []


def test_archive_rights(
    client: TestClient, admin_headers: Headers, hub: Hub, make_user: UserFactory
) -> None:
    journal = add_journal(hub)
    free = create_event(client, admin_headers)["id"]
    in_journal = create_event(client, admin_headers, journal_id=journal)["id"]
    _, reader = make_user(rights={"event": "c"})
    refused = post(client, reader, ARCHIVE, {"ids": [free]}, 403)
    assert refused["error"]["right"] == "event:change"
    post(client, reader, f"{EVENTS}/archive-before", {"before": iso(T0 + timedelta(days=1))}, 403)
    assert archived_ids(hub) == set()
    user_id, changer = make_user(rights={"event": "u"})
    refused = post(client, changer, ARCHIVE, {"ids": [free, in_journal]}, 403)
    assert refused["error"]["right"] == f"journal:{journal}:change"
    assert archived_ids(hub) == set()
    # By date, events in journals the user may not change stay and are counted as skipped.
    result = post(
        client, changer, f"{EVENTS}/archive-before", {"before": iso(T0 + timedelta(days=1))}
    )
    assert result == {"done": 1, "skipped": 1}
    assert archived_ids(hub) == {free}
    grant_journal(client, admin_headers, user_id, journal, "u")
    post(client, changer, ARCHIVE, {"ids": [in_journal]})
    assert archived_ids(hub) == {free, in_journal}
    # Restoring needs the change right, deleting the delete right.
    post(client, reader, f"{ARCHIVE}/restore", {"ids": [free]}, 403)
    refused = post(client, changer, f"{ARCHIVE}/delete", {"ids": [free]}, 403)
    assert refused["error"]["right"] == "event:delete"
    assert archived_ids(hub) == {free, in_journal}
    assert client.delete(f"{EVENTS}/{free}", headers=changer).status_code == 403
    _, deleter = make_user(rights={"event": "d"})
    post(client, deleter, f"{ARCHIVE}/delete", {"ids": [in_journal]}, 403)
    assert post(client, deleter, f"{ARCHIVE}/delete", {"ids": [free]})["done"] == 1
    assert archived_ids(hub) == {in_journal}
