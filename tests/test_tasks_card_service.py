"""The services behind the task card's page: linked documents (TSK-6) over the API and in the
domain, saving a card with its fingerprint, a new card's contact and journal, the history and
the printable registry's rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import User
from hub.errors import Conflict, Invalid, NotFound
from hub.services.access import rights
from hub.services.access.rights import AccessProfile
from hub.services.tasks import card, card_edit, card_history
from tests.conftest import UserFactory
from tests.test_tasks_support import TASKS, Headers, error_of, make_task

DOCUMENT = {
    "kind": "invoice",
    "number": "РФ-1",
    "doc_date": "2030-03-01",
    "direction": "out",
    "amount": "100.00",
}


def profile_of(session: Session, user_id: int) -> AccessProfile:
    """A user's rights as the pages load them."""
    user = session.get(User, user_id)
    assert user is not None
    return rights.load_profile(session, user)


def new_client(client: TestClient, headers: Headers, name: str) -> int:
    reply = client.post("/api/v1/clients", headers=headers, json={"name": name})
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def new_document(client: TestClient, headers: Headers, client_id: int, **extra: Any) -> int:
    reply = client.post(
        f"/api/v1/clients/{client_id}/documents", headers=headers, json={**DOCUMENT, **extra}
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def test_documents_are_linked_and_unlinked_through_the_api_with_rights_and_history(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    client_id = new_client(client, admin_headers, "ТОВ Альфа")
    document = new_document(client, admin_headers, client_id)
    task = make_task(client, admin_headers, client_id=client_id)
    url = f"{TASKS}/{task['id']}/documents"
    linked = client.put(f"{url}/{document}", headers=admin_headers)
    assert linked.status_code == 200 and [d["number"] for d in linked.json()] == ["РФ-1"]
    again = client.put(f"{url}/{document}", headers=admin_headers)  # linking twice: one link
    assert [d["id"] for d in again.json()] == [document]
    assert client.get(url, headers=admin_headers).json()[0]["kind"] == "invoice"
    error_of(client.put(f"{url}/999999", headers=admin_headers), 404)
    _, reader = make_user("reader", rights={"task": "c"})
    error_of(client.delete(f"{url}/{document}", headers=reader), 403)
    assert client.get(url, headers=reader).status_code == 200  # every CRM user reads
    assert client.delete(f"{url}/{document}", headers=admin_headers).json() == []
    history = client.get(f"{TASKS}/{task['id']}/history", headers=admin_headers).json()
    assert [row["action"] for row in history][-2:] == ["document_link", "document_unlink"]
    # A task deleted with a document linked takes only the link with it.
    assert client.put(f"{url}/{document}", headers=admin_headers).status_code == 200
    assert client.delete(f"{TASKS}/{task['id']}", headers=admin_headers).status_code == 204
    documents = client.get(f"/api/v1/clients/{client_id}/documents", headers=admin_headers)
    assert [d["id"] for d in documents.json()["items"]] == [document]


def test_document_choices_are_the_task_clients_newest_first(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    from hub.services.tasks import documents

    alpha = new_client(client, admin_headers, "ТОВ Альфа")
    beta = new_client(client, admin_headers, "ТОВ Бета")
    old = new_document(client, admin_headers, alpha, number="А-1", doc_date="2030-01-01")
    new = new_document(client, admin_headers, alpha, number="А-2", doc_date="2030-02-01")
    new_document(client, admin_headers, beta, number="Б-1")
    with hub.sessions() as session:
        found = documents.documents_to_link(session, q="", client_id=alpha)
        assert [d.id for d in found] == [new, old]
        assert [d.number for d in documents.documents_to_link(session, q="Б-", client_id=None)] == [
            "Б-1"
        ]


def test_a_card_saved_over_someone_elses_change_is_refused_and_a_done_recurring_one_says_its_next(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    task = make_task(client, admin_headers, recurrence="daily")
    tz = hub.settings.tz
    with hub.sessions() as session:
        shown = card.card_fingerprint(card.visible_task(session, task["id"]))
    patched = client.patch(f"{TASKS}/{task['id']}", headers=admin_headers, json={"name": "Інша"})
    assert patched.status_code == 200
    with pytest.raises(Conflict) as refused, transaction(hub.sessions) as session:
        card_edit.save_task(
            session,
            profile=profile_of(session, 1),
            task_id=task["id"],
            changes={"content": "Моє"},
            shown=shown,
            tz=tz,
        )
    assert refused.value.code == "edit_conflict"
    with transaction(hub.sessions) as session:
        fresh = card.card_fingerprint(card.visible_task(session, task["id"]))
        saved = card_edit.save_task(
            session,
            profile=profile_of(session, 1),
            task_id=task["id"],
            changes={"status": "done"},
            shown=fresh,
            tz=tz,
        )
        assert saved.successor is not None
        assert saved.successor.starts_at - saved.task.starts_at == timedelta(days=1)


def test_a_new_card_takes_the_clients_only_contact_and_the_projects_journal(
    hub: Hub, client: TestClient, admin_headers: Headers
) -> None:
    client_id = new_client(client, admin_headers, "ТОВ Альфа")
    reply = client.post(
        f"/api/v1/clients/{client_id}/contacts", headers=admin_headers, json={"full_name": "Ірина"}
    )
    contact = reply.json()["id"]
    journal = client.post(
        "/api/v1/journals",
        headers=admin_headers,
        json={"code": "j1", "name_uk": "Журнал", "name_en": "Journal"},
    ).json()["id"]
    project = client.post(
        "/api/v1/projects", headers=admin_headers, json={"name": "П", "journal_id": journal}
    ).json()["id"]
    start = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)
    with transaction(hub.sessions) as session:
        task = card_edit.new_task(
            session,
            profile=profile_of(session, 1),
            values={
                "name": "Нова",
                "starts_at": start,
                "ends_at": start + timedelta(hours=1),
                "client_id": client_id,
                "project_id": project,
            },
            executor_ids=[1],
            today=hub.today(),
        )
        assert task.contact_id == contact and task.journal_id == journal
        assert card_edit.from_client(session, client_id=client_id)["contact_id"] == contact
        # Another client: the old client's contact goes (the new one has none).
        moved = card_edit.save_task(
            session,
            profile=profile_of(session, 1),
            task_id=task.id,
            changes={"client_id": new_client_in(session), "contact_id": contact},
            shown=None,
            tz=hub.settings.tz,
        )
        assert moved.task.contact_id is None
        with pytest.raises(Invalid) as other:
            card_edit.save_task(
                session,
                profile=profile_of(session, 1),
                task_id=task.id,
                changes={"contact_id": contact},
                shown=None,
                tz=hub.settings.tz,
            )
        assert other.value.code == "event_contact_of_other_client"


def new_client_in(session: Session) -> int:
    """A client made in the session (for a check inside one transaction)."""
    from hub.db.models import Client

    row = Client(name="ТОВ Бета")
    session.add(row)
    session.flush()
    return int(row.id)


def test_history_names_people_and_statuses_newest_first_and_print_rows_keep_the_order(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    worker, _ = make_user("olena", rights={"task": "cud"})
    first = make_task(client, admin_headers, name="Перша", executor_ids=[worker])
    second = make_task(client, admin_headers, name="Друга")
    reply = client.patch(
        f"{TASKS}/{first['id']}/executors/{worker}?complete_task=true",
        headers=admin_headers,
        json={"status": "done"},
    )
    assert reply.status_code == 200, reply.text
    with hub.sessions() as session:
        rows = card_history.history_rows(session, first["id"], "uk", hub.settings.tz)
        assert [row.action for row in rows] == ["status", "executor_change", "create"]
        assert rows[0].user_name == "Адміністратор"
        status = {c.field: c for c in rows[0].changes}["status_id"]
        assert (status.old, status.new) == ("Поставлена задача", "Виконана")
        created = {c.field: c for c in rows[2].changes}
        assert created["executors"].new == "Працівник olena" and created["name"].old == ""
        printed = card.print_rows(session, [second["id"], first["id"]])
        assert [row.view.task.name for row in printed] == ["Друга", "Перша"]
        assert printed[1].executors == ["Працівник olena"]
        with pytest.raises(NotFound):
            card.print_rows(session, [first["id"], 999999])
