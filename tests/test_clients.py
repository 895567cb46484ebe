"""Clients (CLI-1..CLI-6): the tree and its cycles, legal details, soft delete, contacts,
birthdays, settlement documents and balances; every refusal changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.services.clients.contacts import upcoming_birthdays
from tests.conftest import UserFactory

Headers = dict[str, str]
EDRPOU = "14360570"  # valid check digit
EDRPOU_2 = "00032129"
INDIVIDUAL = "2245134075"


def add_client(client: TestClient, headers: Headers, name: str, **extra: Any) -> dict[str, Any]:
    reply = client.post("/api/v1/clients", headers=headers, json={"name": name, **extra})
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def get(client: TestClient, headers: Headers, url: str, **params: Any) -> Any:
    reply = client.get(url, headers=headers, params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


# --- clients, tree and cycles ----------------------------------------------------------------


def test_create_read_update_client(client: TestClient, admin_headers: Headers) -> None:
    made = add_client(
        client, admin_headers, "  ТОВ Ромашка ", phone="+38 (050) 123-45-67", tax_number=EDRPOU
    )
    assert made["name"] == "ТОВ Ромашка" and made["vat_status"] == "unknown"
    assert made["tax_number"] == EDRPOU
    reply = client.patch(
        f"/api/v1/clients/{made['id']}", headers=admin_headers, json={"note": "важливий"}
    )
    assert reply.status_code == 200 and reply.json()["note"] == "важливий"
    assert reply.json()["name"] == "ТОВ Ромашка"
    # null where a name is required, unknown fields, and a missing client
    assert (
        client.patch(
            f"/api/v1/clients/{made['id']}", headers=admin_headers, json={"name": None}
        ).status_code
        == 422
    )
    assert (
        client.post("/api/v1/clients", headers=admin_headers, json={"name": "x", "bogus": 1})
    ).status_code == 422
    assert client.get("/api/v1/clients/999999", headers=admin_headers).status_code == 404


def test_parent_cycles_are_refused_even_deep(client: TestClient, admin_headers: Headers) -> None:
    a = add_client(client, admin_headers, "A")
    b = add_client(client, admin_headers, "B", parent_id=a["id"])
    c = add_client(client, admin_headers, "C", parent_id=b["id"])
    d = add_client(client, admin_headers, "D", parent_id=c["id"])
    for parent in (d, c, b):  # A under any of its descendants
        reply = client.patch(
            f"/api/v1/clients/{a['id']}", headers=admin_headers, json={"parent_id": parent["id"]}
        )
        assert reply.status_code == 409, reply.text
        assert reply.json()["error"]["code"] == "client_parent_cycle"
    reply = client.patch(
        f"/api/v1/clients/{a['id']}", headers=admin_headers, json={"parent_id": a["id"]}
    )
    assert reply.status_code == 409
    assert get(client, admin_headers, f"/api/v1/clients/{a['id']}")["parent_id"] is None
    # a missing parent is 404 naming the field; moving within the tree is fine
    reply = client.post(
        "/api/v1/clients", headers=admin_headers, json={"name": "E", "parent_id": 999999}
    )
    assert reply.status_code == 404 and reply.json()["error"]["fields"][0]["field"] == "parent_id"
    reply = client.patch(
        f"/api/v1/clients/{d['id']}", headers=admin_headers, json={"parent_id": a["id"]}
    )
    assert reply.status_code == 200 and reply.json()["parent_id"] == a["id"]


def test_tree_is_lazy_one_level_with_has_children(
    client: TestClient, admin_headers: Headers
) -> None:
    root = add_client(client, admin_headers, "Холдинг")
    branch = add_client(client, admin_headers, "Філія", parent_id=root["id"])
    add_client(client, admin_headers, "Відділ", parent_id=branch["id"])
    add_client(client, admin_headers, "Окремий")
    top = get(client, admin_headers, "/api/v1/clients/tree", parent="root")
    assert names(top) == ["Окремий", "Холдинг"]
    assert [item["has_children"] for item in top["items"]] == [False, True]
    level = get(client, admin_headers, "/api/v1/clients/tree", parent=str(root["id"]))
    assert names(level) == ["Філія"] and level["items"][0]["has_children"] is True
    assert (
        client.get(
            "/api/v1/clients/tree", headers=admin_headers, params={"parent": "abc"}
        ).status_code
        == 422
    )
    assert (
        client.get(
            "/api/v1/clients/tree", headers=admin_headers, params={"parent": "999999"}
        ).status_code
        == 404
    )


def test_registry_search_and_keyset_paging(client: TestClient, admin_headers: Headers) -> None:
    for index in range(7):
        add_client(client, admin_headers, f"Клієнт {index:02d}")
    add_client(client, admin_headers, "ПАТ Дніпро", tax_number=EDRPOU, phone="050 111 22 33")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = get(client, admin_headers, "/api/v1/clients", **params)
        seen += names(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 8
    assert names(get(client, admin_headers, "/api/v1/clients", q="дніпро")) == ["ПАТ Дніпро"]
    assert names(get(client, admin_headers, "/api/v1/clients", q=EDRPOU)) == ["ПАТ Дніпро"]
    assert names(get(client, admin_headers, "/api/v1/clients", q="+380501112233")) == ["ПАТ Дніпро"]
    reply = client.get("/api/v1/clients", headers=admin_headers, params={"cursor": "garbage"})
    assert reply.status_code == 422


def test_legal_details_and_tax_number_validation(
    client: TestClient, admin_headers: Headers
) -> None:
    made = add_client(client, admin_headers, "ФОП Петренко")
    url = f"/api/v1/clients/{made['id']}/legal"
    body = {
        "full_name": "Фізична особа-підприємець Петренко Петро",
        "tax_number": INDIVIDUAL,
        "vat_certificate": "123456789",
        "vat_status": "non_payer",
    }
    reply = client.put(url, headers=admin_headers, json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["tax_number"] == INDIVIDUAL and reply.json()["vat_status"] == "non_payer"
    for bad in ("1234567", "123456789", "14360571", "12345abc", "2245134076"):
        reply = client.put(url, headers=admin_headers, json={**body, "tax_number": bad})
        assert reply.status_code == 422, bad
        assert reply.json()["error"]["fields"][0]["field"] == "tax_number"
    reply = client.put(url, headers=admin_headers, json={**body, "vat_status": "maybe"})
    assert reply.status_code == 422
    stored = get(client, admin_headers, f"/api/v1/clients/{made['id']}")
    assert stored["tax_number"] == INDIVIDUAL  # refused changes left it as it was
    reply = client.post(
        "/api/v1/clients", headers=admin_headers, json={"name": "X", "tax_number": "14360571"}
    )
    assert reply.status_code == 422


def test_soft_delete_hide_and_restore(client: TestClient, admin_headers: Headers) -> None:
    parent = add_client(client, admin_headers, "Батько")
    child = add_client(client, admin_headers, "Дитина", parent_id=parent["id"])
    reply = client.delete(f"/api/v1/clients/{parent['id']}", headers=admin_headers)
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "client_has_children"
    assert client.delete(f"/api/v1/clients/{child['id']}", headers=admin_headers).status_code == 204
    assert names(get(client, admin_headers, "/api/v1/clients")) == ["Батько"]
    assert sorted(names(get(client, admin_headers, "/api/v1/clients", show_deleted="true"))) == [
        "Батько",
        "Дитина",
    ]
    top = get(client, admin_headers, "/api/v1/clients/tree")
    assert top["items"][0]["has_children"] is False
    kept = get(client, admin_headers, f"/api/v1/clients/{child['id']}")
    assert kept["deleted_at"] is not None
    # a deleted client cannot be changed or become a parent
    reply = client.patch(
        f"/api/v1/clients/{child['id']}", headers=admin_headers, json={"note": "x"}
    )
    assert reply.status_code == 409
    reply = client.post(
        "/api/v1/clients", headers=admin_headers, json={"name": "Y", "parent_id": child["id"]}
    )
    assert reply.status_code == 409
    reply = client.post(f"/api/v1/clients/{child['id']}/restore", headers=admin_headers)
    assert reply.status_code == 200 and reply.json()["deleted_at"] is None
    assert len(get(client, admin_headers, "/api/v1/clients")["items"]) == 2


def test_rights_are_checked_and_refusals_change_nothing(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    made = add_client(client, admin_headers, "Без змін")
    _, reader = make_user()
    _, no_crm = make_user(crm_access=False)
    _, creator = make_user(rights={"client": "c", "contact": "c"})
    assert client.get("/api/v1/clients", headers=reader).status_code == 200
    assert client.get("/api/v1/clients", headers=no_crm).status_code == 403
    assert client.get("/api/v1/clients").status_code == 401
    url = f"/api/v1/clients/{made['id']}"
    attempts = [
        client.post("/api/v1/clients", headers=reader, json={"name": "Новий"}),
        client.patch(url, headers=reader, json={"name": "Змінений"}),
        client.patch(url, headers=creator, json={"name": "Змінений"}),
        client.put(f"{url}/legal", headers=creator, json={"tax_number": EDRPOU}),
        client.delete(url, headers=creator),
        client.post(f"{url}/contacts", headers=reader, json={"full_name": "К"}),
        client.post(
            f"{url}/documents",
            headers=creator,
            json={
                "kind": "invoice",
                "number": "1",
                "doc_date": "2024-01-01",
                "direction": "in",
                "amount": "1.00",
            },
        ),
    ]
    for reply in attempts:
        assert reply.status_code == 403, reply.text
    assert client.get(url, headers=reader).json()["name"] == "Без змін"
    assert client.get(url, headers=reader).json()["tax_number"] is None
    assert len(get(client, admin_headers, "/api/v1/clients")["items"]) == 1
    assert get(client, admin_headers, f"{url}/contacts")["items"] == []
    assert get(client, admin_headers, f"{url}/documents")["items"] == []
    assert client.post("/api/v1/clients", headers=creator, json={"name": "Так"}).status_code == 201


# --- contacts and birthdays ------------------------------------------------------------------


def test_contacts_with_phones_and_contacts_view(client: TestClient, admin_headers: Headers) -> None:
    firm = add_client(client, admin_headers, "ТОВ Контакт")
    url = f"/api/v1/clients/{firm['id']}/contacts"
    reply = client.post(
        url,
        headers=admin_headers,
        json={
            "full_name": "Олена Іваненко",
            "email": "olena@example.com",
            "birthday": "1990-03-15",
            "phones": [
                {"phone": "+380 (67) 555-12-34", "kind": "mobile"},
                {"phone": "044 200 00 00"},
            ],
        },
    )
    assert reply.status_code == 201, reply.text
    contact = reply.json()
    assert [p["digits"] for p in contact["phones"]] == ["675551234", "442000000"]
    assert contact["client_name"] == "ТОВ Контакт"
    for q in ("іваненко", "OLENA@", "0675551234", "555-12"):
        page = get(client, admin_headers, "/api/v1/contacts", q=q)
        assert [c["full_name"] for c in page["items"]] == ["Олена Іваненко"], q
    assert get(client, admin_headers, "/api/v1/contacts", q="нікого")["items"] == []
    # phones replaced as a whole; a bad phone or e-mail is 422 and changes nothing
    curl = f"{url}/{contact['id']}"
    reply = client.patch(curl, headers=admin_headers, json={"phones": [{"phone": "0501234567"}]})
    assert reply.status_code == 200 and len(reply.json()["phones"]) == 1
    assert client.patch(curl, headers=admin_headers, json={"email": "nope"}).status_code == 422
    assert (
        client.patch(curl, headers=admin_headers, json={"phones": [{"phone": "abc"}]}).status_code
        == 422
    )
    assert get(client, admin_headers, curl)["email"] == "olena@example.com"
    # the client search finds a contact's phone too
    assert names(get(client, admin_headers, "/api/v1/clients", q="050 123 45 67")) == [
        "ТОВ Контакт"
    ]
    assert client.delete(curl, headers=admin_headers).status_code == 204
    assert get(client, admin_headers, "/api/v1/contacts")["items"] == []
    assert len(get(client, admin_headers, "/api/v1/contacts", show_deleted="true")["items"]) == 1
    other = add_client(client, admin_headers, "Інший")
    assert (
        client.get(f"/api/v1/clients/{other['id']}/contacts/{contact['id']}", headers=admin_headers)
    ).status_code == 404


def _contact(client: TestClient, headers: Headers, client_id: int, name: str, born: str) -> int:
    reply = client.post(
        f"/api/v1/clients/{client_id}/contacts",
        headers=headers,
        json={"full_name": name, "birthday": born},
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def test_birthdays_across_new_year(client: TestClient, admin_headers: Headers, hub: Hub) -> None:
    firm = add_client(client, admin_headers, "Іменинники")
    for name, born in [
        ("Грудень 28", "1980-12-28"),
        ("Грудень 31", "1985-12-31"),
        ("Січень 1", "1990-01-01"),
        ("Січень 5", "1991-01-05"),
        ("Січень 20", "1992-01-20"),
        ("Листопад", "1975-11-01"),
    ]:
        _contact(client, admin_headers, firm["id"], name, born)
    with transaction(hub.sessions) as session:
        page = upcoming_birthdays(session, today=date(2024, 12, 27), days=10)
        got = [(b.contact.full_name, b.next_birthday, b.days_left) for b in page.items]
        assert got == [
            ("Грудень 28", date(2024, 12, 28), 1),
            ("Грудень 31", date(2024, 12, 31), 4),
            ("Січень 1", date(2025, 1, 1), 5),
            ("Січень 5", date(2025, 1, 5), 9),
        ]
        # paging by two crosses the year boundary without losing or repeating anyone
        first = upcoming_birthdays(session, today=date(2024, 12, 27), days=10, limit=3)
        second = upcoming_birthdays(
            session, today=date(2024, 12, 27), days=10, limit=3, cursor=first.next_cursor
        )
        assert [b.contact.full_name for b in first.items + second.items] == [g[0] for g in got]
        assert second.next_cursor is None
        inside = upcoming_birthdays(session, today=date(2025, 1, 2), days=3)
        assert [b.contact.full_name for b in inside.items] == ["Січень 5"]
        assert upcoming_birthdays(session, today=date(2025, 1, 6), days=0).items == []


def test_leap_day_birthday_in_a_common_year(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    firm = add_client(client, admin_headers, "Високосні")
    _contact(client, admin_headers, firm["id"], "Лютий 29", "2000-02-29")
    _contact(client, admin_headers, firm["id"], "Березень 1", "1999-03-01")
    with transaction(hub.sessions) as session:

        def names(today: date, days: int) -> list[tuple[str, date, int]]:
            page = upcoming_birthdays(session, today=today, days=days)
            return [(b.contact.full_name, b.next_birthday, b.days_left) for b in page.items]

        # 2025 is a common year: the 29th is celebrated on the 28th, the window's last day.
        assert names(date(2025, 2, 25), 3) == [("Лютий 29", date(2025, 2, 28), 3)]
        assert names(date(2025, 2, 28), 0) == [("Лютий 29", date(2025, 2, 28), 0)]
        assert names(date(2025, 3, 1), 0) == [("Березень 1", date(2025, 3, 1), 0)]
        # 2028 is a leap year: the 28th is not the birthday, the 29th is.
        assert names(date(2028, 2, 28), 0) == []
        assert names(date(2028, 2, 28), 1) == [("Лютий 29", date(2028, 2, 29), 1)]
    # the default comes from the user's parameter birthday_days_ahead (7)
    reply = client.get("/api/v1/contacts/birthdays", headers=admin_headers)
    assert reply.status_code == 200
    assert all(item["days_left"] <= 7 for item in reply.json()["items"])
    assert (
        client.get(
            "/api/v1/contacts/birthdays", headers=admin_headers, params={"days": -1}
        ).status_code
        == 422
    )


# --- settlement documents and balances -------------------------------------------------------


def _doc(
    client: TestClient,
    headers: Headers,
    client_id: int,
    kind: str,
    number: str,
    on: str,
    direction: str,
    amount: str,
    currency: str = "UAH",
) -> Any:
    return client.post(
        f"/api/v1/clients/{client_id}/documents",
        headers=headers,
        json={
            "kind": kind,
            "number": number,
            "doc_date": on,
            "direction": direction,
            "amount": amount,
            "currency": currency,
        },
    )


def _balances(page: dict[str, Any]) -> dict[tuple[str, str], list[Decimal]]:
    return {
        (item["client_name"], c["currency"]): [
            Decimal(c[k]) for k in ("opening", "incoming", "outgoing", "closing")
        ]
        for item in page["items"]
        for c in item["currencies"]
    }


def test_balances_across_period_boundaries_and_currencies(
    client: TestClient, admin_headers: Headers
) -> None:
    a = add_client(client, admin_headers, "Альфа")
    b = add_client(client, admin_headers, "Бета")
    add_client(client, admin_headers, "Без документів")
    rows = [
        (a, "invoice", "1", "2024-03-31", "in", "1000.10", "UAH"),  # before: opening
        (a, "payment", "2", "2024-03-31", "out", "200.05", "UAH"),  # before: opening
        (a, "act", "3", "2024-04-01", "in", "300.33", "UAH"),  # first day
        (a, "payment", "4", "2024-06-30", "out", "0.01", "UAH"),  # last day
        (a, "waybill", "5", "2024-07-01", "in", "999.99", "UAH"),  # after: ignored
        (a, "contract", "6", "2024-04-15", "in", "50000.00", "UAH"),  # contract: ignored
        (a, "invoice", "7", "2024-02-01", "in", "100.00", "USD"),
        (a, "payment", "8", "2024-05-01", "out", "40.50", "USD"),
        (b, "tax_invoice", "1", "2024-05-05", "out", "10.00", "EUR"),
    ]
    for owner, *rest in rows:
        reply = _doc(client, admin_headers, owner["id"], *rest)
        assert reply.status_code == 201, reply.text
    assert reply.json()["affects_balance"] is True
    page = get(
        client,
        admin_headers,
        "/api/v1/clients/balances",
        date_from="2024-04-01",
        date_to="2024-06-30",
    )
    assert _balances(page) == {
        ("Альфа", "UAH"): [Decimal(x) for x in ("800.05", "300.33", "0.01", "1100.37")],
        ("Альфа", "USD"): [Decimal(x) for x in ("100.00", "0", "40.50", "59.50")],
        ("Бета", "EUR"): [Decimal(x) for x in ("0", "0", "10.00", "-10.00")],
    }
    one = get(
        client,
        admin_headers,
        f"/api/v1/clients/{a['id']}/balance",
        date_from="2024-07-01",
        date_to="2024-12-31",
    )
    assert _balances({"items": [one]})[("Альфа", "UAH")] == [
        Decimal(x) for x in ("1100.37", "999.99", "0", "2100.36")
    ]
    # keyset paging by client
    first = get(
        client,
        admin_headers,
        "/api/v1/clients/balances",
        date_from="2024-04-01",
        date_to="2024-06-30",
        limit=1,
    )
    assert [i["client_name"] for i in first["items"]] == ["Альфа"] and first["next_cursor"]
    # the documents behind the period's turnover
    docs = get(
        client,
        admin_headers,
        f"/api/v1/clients/{a['id']}/documents",
        date_from="2024-04-01",
        date_to="2024-06-30",
    )
    assert [d["number"] for d in docs["items"]] == ["3", "6", "8", "4"]
    contract = next(d for d in docs["items"] if d["kind"] == "contract")
    assert contract["affects_balance"] is False
    reply = client.get(
        "/api/v1/clients/balances",
        headers=admin_headers,
        params={"date_from": "2024-06-30", "date_to": "2024-04-01"},
    )
    assert reply.status_code == 422


def test_document_rules(client: TestClient, admin_headers: Headers) -> None:
    firm = add_client(client, admin_headers, "Документи")
    assert (
        _doc(client, admin_headers, firm["id"], "act", "A-1", "2024-01-10", "in", "5").status_code
        == 201
    )
    duplicate = _doc(client, admin_headers, firm["id"], "act", "A-1", "2024-01-10", "in", "7")
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "client_document_duplicate"
    for bad in [
        ("act", "A-2", "2024-01-10", "in", "-1"),
        ("act", "A-2", "2024-01-10", "in", "1.234"),
        ("act", "A-2", "2024-01-10", "sideways", "1"),
        ("receipt", "A-2", "2024-01-10", "in", "1"),
        ("act", "A-2", "2024-13-10", "in", "1"),
    ]:
        assert _doc(client, admin_headers, firm["id"], *bad).status_code == 422, bad
    assert (
        _doc(
            client, admin_headers, firm["id"], "act", "A-2", "2024-01-10", "in", "1", "uah"
        ).status_code
        == 422
    )
    docs = get(client, admin_headers, f"/api/v1/clients/{firm['id']}/documents")["items"]
    assert len(docs) == 1 and Decimal(docs[0]["amount"]) == Decimal("5.00")
    url = f"/api/v1/clients/{firm['id']}/documents/{docs[0]['id']}"
    reply = client.patch(url, headers=admin_headers, json={"kind": "contract"})
    assert reply.status_code == 200 and reply.json()["affects_balance"] is False
    assert client.delete(url, headers=admin_headers).status_code == 204
    assert client.get(url, headers=admin_headers).status_code == 404


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_refusals_speak_the_users_language(
    client: TestClient, make_user: UserFactory, admin_headers: Headers, lang: str
) -> None:
    _, headers = make_user(rights={"client": "cud"}, lang=lang)
    a = add_client(client, headers, "A")
    b = add_client(client, headers, "B", parent_id=a["id"])
    reply = client.patch(f"/api/v1/clients/{a['id']}", headers=headers, json={"parent_id": b["id"]})
    message = reply.json()["error"]["message"]
    assert ("цикл" in message) if lang == "uk" else ("cycle" in message)
