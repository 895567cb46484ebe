"""Reference books (SET-1..SET-5): seeded system entries, the CRUD pattern and its protections."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from hub.bootstrap import Hub, prepare_database
from hub.db.engine import transaction
from hub.db.models import EventType, JournalRight
from hub.services.settings.seed import ensure_reference_data
from tests.conftest import UserFactory

Headers = dict[str, str]

BOOKS = ("event-types", "task-statuses", "user-statuses", "history-groups", "journals")
STATUS_BOOKS = ("task-statuses", "user-statuses")
BOOKS_WITH_SYSTEM = ("event-types", "task-statuses", "user-statuses")

# SET-1, in the manual's order (15.2, tab "Довідники / Типи подій"), with the manual's spelling.
MANUAL_EVENT_TYPES: list[tuple[str, str, str]] = [
    ("incoming_call", "Вхідний дзвінок", "Incoming call"),
    ("outgoing_call", "Вихідний дзвінок", "Outgoing call"),
    ("incoming_letter", "Вхідний лист", "Incoming letter"),
    ("outgoing_letter", "Вихідний лист", "Outgoing letter"),
    ("incoming_email", "Вхідний електронний лист", "Incoming e-mail"),
    ("outgoing_email", "Вихідний електронний лист", "Outgoing e-mail"),
    ("survey", "Опитування", "Survey"),
    ("visit", "Виїзд", "Visit"),
    ("phone_on", "Ввімкнення телефону", "Phone switched on"),
    ("phone_off", "Відключення телефону", "Phone switched off"),
    ("missed_incoming_call", "Неприйнятий вхідний дзвінок", "Missed incoming call"),
    ("missed_outgoing_call", "Неприйнятий вихідний дзвінок", "Missed outgoing call"),
    ("missed_call_answer", "Відповідь на неприйнятий дзвінок", "Answer to a missed call"),
    ("callback", "Зворотній дзвінок", "Callback"),
    ("call_forwarding", "Переадресація дзвінка", "Call forwarding"),
    ("queue", "Черга", "Queue"),
    ("electronic_queue", "Електронна черга", "Electronic queue"),
]

# SET-3, as the manual lists them on the tab "Довідники / Статуси задач".
MANUAL_TASK_STATUSES: list[tuple[str, str]] = [
    ("assigned", "Поставлена задача"),
    ("overdue", "Прострочено"),
    ("done", "Виконана"),
    ("accepted", "Прийнято"),
    ("suspended", "Призупинено"),
]

SYSTEM_USER_STATUS_CODES = ("free", "busy", "break", "offline")

_codes = itertools.count(1)


def new_code(prefix: str = "user") -> str:
    """A code no seeded entry uses."""
    return f"{prefix}_{next(_codes)}"


def listing(client: TestClient, headers: Headers, book: str, **params: str) -> list[dict[str, Any]]:
    reply = client.get(f"/api/v1/{book}", headers=headers, params=params)
    assert reply.status_code == 200, reply.text
    entries = reply.json()
    assert isinstance(entries, list)
    return entries


def by_code(client: TestClient, headers: Headers, book: str) -> dict[str, dict[str, Any]]:
    return {entry["code"]: entry for entry in listing(client, headers, book)}


def create(client: TestClient, headers: Headers, book: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": new_code(),
        "name_uk": "Запис користувача",
        "name_en": "User entry",
        **fields,
    }
    reply = client.post(f"/api/v1/{book}", headers=headers, json=body)
    assert reply.status_code == 201, reply.text
    entry: dict[str, Any] = reply.json()
    return entry


def rgb(colour: str) -> tuple[int, int, int]:
    assert len(colour) == 7 and colour.startswith("#"), colour
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def error_of(reply: Any) -> dict[str, Any]:
    body = reply.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error


# --- reference data after a fresh start -------------------------------------------------------


def test_seventeen_system_event_types_as_the_manual_names_them(
    client: TestClient, admin_headers: Headers
) -> None:
    entries = listing(client, admin_headers, "event-types")
    system = [entry for entry in entries if entry["system"]]
    assert len(system) == 17
    assert [(e["code"], e["name_uk"], e["name_en"]) for e in system] == MANUAL_EVENT_TYPES
    assert len({e["code"] for e in system}) == 17
    assert len({e["name_en"] for e in system}) == 17
    assert [e["sort_order"] for e in system] == sorted(e["sort_order"] for e in system)
    assert all(e["description"] is None for e in system)
    # A fresh start has no user-defined event types.
    assert len(entries) == 17


def test_event_type_codes_are_stable_ids(client: TestClient, admin_headers: Headers) -> None:
    """Each system type can be read by its id and keeps its code."""
    for entry in listing(client, admin_headers, "event-types", system="true"):
        reply = client.get(f"/api/v1/event-types/{entry['id']}", headers=admin_headers)
        assert reply.status_code == 200, reply.text
        assert reply.json() == entry


def test_default_task_statuses_with_their_colours(
    client: TestClient, admin_headers: Headers
) -> None:
    statuses = listing(client, admin_headers, "task-statuses")
    assert [(s["code"], s["name_uk"]) for s in statuses] == MANUAL_TASK_STATUSES
    assert all(s["system"] for s in statuses)
    assert all(s["name_en"] for s in statuses)
    colours = {s["code"]: s["color"] for s in statuses}
    red, green, blue = rgb(colours["assigned"])
    assert blue > red and blue > green, colours["assigned"]
    assert rgb(colours["done"]) == (0, 0, 0)
    red, green, blue = rgb(colours["overdue"])
    assert red > green and red > blue, colours["overdue"]


def test_system_user_statuses(client: TestClient, admin_headers: Headers) -> None:
    statuses = by_code(client, admin_headers, "user-statuses")
    assert set(SYSTEM_USER_STATUS_CODES) <= set(statuses)
    for code in SYSTEM_USER_STATUS_CODES:
        assert statuses[code]["system"] is True
        assert statuses[code]["name_uk"] and statuses[code]["name_en"]
    assert statuses["free"]["name_uk"] == "Вільний"
    assert statuses["offline"]["name_en"] == "Offline"


@pytest.mark.parametrize("book", ["history-groups", "journals"])
def test_optional_books_start_empty(client: TestClient, admin_headers: Headers, book: str) -> None:
    assert listing(client, admin_headers, book) == []


def test_books_need_authentication(client: TestClient) -> None:
    for book in BOOKS:
        reply = client.get(f"/api/v1/{book}")
        assert reply.status_code == 401
        assert error_of(reply)["code"] == "not_authenticated"
        reply = client.post(f"/api/v1/{book}", json={"code": "x", "name_uk": "x", "name_en": "x"})
        assert reply.status_code == 401


# --- the CRUD pattern, for each book ---------------------------------------------------------


@pytest.mark.parametrize("book", BOOKS)
def test_add_change_delete_user_entry(
    client: TestClient, admin_headers: Headers, book: str
) -> None:
    before = listing(client, admin_headers, book)
    extra = {"color": "#123abc"} if book in STATUS_BOOKS else {}
    code = new_code("vip")
    entry = create(
        client,
        admin_headers,
        book,
        code=code,
        name_uk="  Важливий клієнт  ",
        name_en="VIP",
        description="Опис",
        sort_order=100,
        **extra,
    )
    assert entry["code"] == code
    assert entry["name_uk"] == "Важливий клієнт"  # trimmed
    assert entry["name_en"] == "VIP"
    assert entry["description"] == "Опис"
    assert entry["system"] is False
    assert entry["sort_order"] == 100
    if book in STATUS_BOOKS:
        assert entry["color"] == "#123abc"
    else:
        assert "color" not in entry
    entry_id = entry["id"]

    reply = client.get(f"/api/v1/{book}/{entry_id}", headers=admin_headers)
    assert reply.status_code == 200
    assert reply.json() == entry
    assert listing(client, admin_headers, book) == [*before, entry]

    changes: dict[str, Any] = {
        "code": code + "_x",
        "name_uk": "Дуже важливий",
        "name_en": "Very important",
        "description": None,
        "sort_order": -5,
    }
    if book in STATUS_BOOKS:
        changes["color"] = "#ABCDEF"
    reply = client.patch(f"/api/v1/{book}/{entry_id}", headers=admin_headers, json=changes)
    assert reply.status_code == 200, reply.text
    changed = reply.json()
    for field, value in changes.items():
        assert changed[field] == value, field
    assert changed["system"] is False
    assert changed["created_at"] == entry["created_at"]
    reply = client.get(f"/api/v1/{book}/{entry_id}", headers=admin_headers)
    assert reply.json() == changed
    # sort_order -5 puts it first
    assert listing(client, admin_headers, book)[0]["id"] == entry_id

    # PATCH changes only what is sent
    reply = client.patch(
        f"/api/v1/{book}/{entry_id}", headers=admin_headers, json={"name_en": "VIP"}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {**changed, "name_en": "VIP", "updated_at": reply.json()["updated_at"]}

    reply = client.delete(f"/api/v1/{book}/{entry_id}", headers=admin_headers)
    assert reply.status_code == 204
    assert reply.content == b""
    reply = client.get(f"/api/v1/{book}/{entry_id}", headers=admin_headers)
    assert reply.status_code == 404
    assert error_of(reply)["code"] == "not_found"
    reply = client.delete(f"/api/v1/{book}/{entry_id}", headers=admin_headers)
    assert reply.status_code == 404
    reply = client.patch(f"/api/v1/{book}/{entry_id}", headers=admin_headers, json={"name_en": "x"})
    assert reply.status_code == 404
    assert listing(client, admin_headers, book) == before


@pytest.mark.parametrize("book", BOOKS)
def test_duplicate_code_is_409(client: TestClient, admin_headers: Headers, book: str) -> None:
    first = create(client, admin_headers, book, code="dup")
    second = create(client, admin_headers, book, code="other")
    count = len(listing(client, admin_headers, book))

    reply = client.post(
        f"/api/v1/{book}",
        headers=admin_headers,
        json={"code": "dup", "name_uk": "Б", "name_en": "B"},
    )
    assert reply.status_code == 409, reply.text
    error = error_of(reply)
    assert error["code"] == "duplicate_code"
    assert "dup" in error["message"]
    # surrounding spaces are trimmed, so this is the same code
    reply = client.post(
        f"/api/v1/{book}",
        headers=admin_headers,
        json={"code": " dup ", "name_uk": "Б", "name_en": "B"},
    )
    assert reply.status_code == 409, reply.text

    reply = client.patch(
        f"/api/v1/{book}/{second['id']}", headers=admin_headers, json={"code": "dup"}
    )
    assert reply.status_code == 409, reply.text
    assert error_of(reply)["code"] == "duplicate_code"
    assert client.get(f"/api/v1/{book}/{second['id']}", headers=admin_headers).json() == second
    assert client.get(f"/api/v1/{book}/{first['id']}", headers=admin_headers).json() == first
    assert len(listing(client, admin_headers, book)) == count

    # an entry may be saved with its own code
    reply = client.patch(
        f"/api/v1/{book}/{first['id']}", headers=admin_headers, json={"code": "dup"}
    )
    assert reply.status_code == 200, reply.text

    # the same code is fine in another book
    other_book = "journals" if book != "journals" else "event-types"
    create(client, admin_headers, other_book, code="dup")


@pytest.mark.parametrize("book", BOOKS_WITH_SYSTEM)
def test_code_of_a_system_entry_is_taken(
    client: TestClient, admin_headers: Headers, book: str
) -> None:
    system_code = listing(client, admin_headers, book, system="true")[0]["code"]
    reply = client.post(
        f"/api/v1/{book}",
        headers=admin_headers,
        json={"code": system_code, "name_uk": "Копія", "name_en": "Copy"},
    )
    assert reply.status_code == 409
    assert error_of(reply)["code"] == "duplicate_code"
    assert len(listing(client, admin_headers, book, system="false")) == 0


@pytest.mark.parametrize("book", BOOKS)
def test_filter_system_entries(client: TestClient, admin_headers: Headers, book: str) -> None:
    seeded = listing(client, admin_headers, book)
    mine = [create(client, admin_headers, book, sort_order=1000 + i) for i in range(2)]
    everything = listing(client, admin_headers, book)
    assert everything == [*seeded, *mine]
    system = listing(client, admin_headers, book, system="true")
    user_defined = listing(client, admin_headers, book, system="false")
    assert system == seeded
    assert all(entry["system"] for entry in system)
    assert user_defined == mine
    assert len(system) == {"event-types": 17, "task-statuses": 5, "user-statuses": 4}.get(book, 0)
    reply = client.get(f"/api/v1/{book}", headers=admin_headers, params={"system": "perhaps"})
    assert reply.status_code == 422
    assert error_of(reply)["fields"][0]["field"] == "system"


# --- system entries are protected ------------------------------------------------------------


@pytest.mark.parametrize("book", BOOKS_WITH_SYSTEM)
def test_deleting_a_system_entry_is_refused(
    client: TestClient, admin_headers: Headers, book: str
) -> None:
    for entry in listing(client, admin_headers, book, system="true"):
        reply = client.delete(f"/api/v1/{book}/{entry['id']}", headers=admin_headers)
        assert reply.status_code == 409, reply.text
        error = error_of(reply)
        assert error["code"] == "system_entry_delete"
        assert entry["name_uk"] in error["message"]
        assert "системн" in error["message"]
        assert "видалити" in error["message"]

        reply = client.delete(
            f"/api/v1/{book}/{entry['id']}", headers={**admin_headers, "Accept-Language": "en"}
        )
        assert reply.status_code == 409
        # The administrator's own language (uk) wins over the header.
        assert error_of(reply)["code"] == "system_entry_delete"
        assert "системн" in error_of(reply)["message"]

        reply = client.get(f"/api/v1/{book}/{entry['id']}", headers=admin_headers)
        assert reply.status_code == 200
        assert reply.json() == entry


def test_system_delete_message_in_english(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    queue = by_code(client, admin_headers, "event-types")["electronic_queue"]
    _, english = make_user(rights={"settings": "cud"}, lang="en")
    reply = client.delete(f"/api/v1/event-types/{queue['id']}", headers=english)
    assert reply.status_code == 409
    message = error_of(reply)["message"]
    assert "system entry" in message
    assert "cannot be deleted" in message
    assert "Electronic queue" in message
    assert "Електронна" not in message

    # Without a logged-in language, Accept-Language decides; Ukrainian is the default.
    _, ukrainian = make_user(rights={"settings": "cud"}, lang="uk")
    reply = client.delete(f"/api/v1/event-types/{queue['id']}", headers=ukrainian)
    assert "Електронна черга" in error_of(reply)["message"]
    assert (
        client.get(f"/api/v1/event-types/{queue['id']}", headers=admin_headers).status_code == 200
    )


@pytest.mark.parametrize("book", BOOKS_WITH_SYSTEM)
@pytest.mark.parametrize("field", ["code", "name_uk", "name_en"])
def test_renaming_a_system_entry_is_refused(
    client: TestClient, admin_headers: Headers, book: str, field: str
) -> None:
    before = listing(client, admin_headers, book)
    entry = before[0]
    assert entry["system"]
    for body in (
        {field: entry[field] + "x"},
        {field: entry[field] + "x", "sort_order": 99, "description": "змінено"},
    ):
        reply = client.patch(f"/api/v1/{book}/{entry['id']}", headers=admin_headers, json=body)
        assert reply.status_code == 409, reply.text
        error = error_of(reply)
        assert error["code"] == "system_entry_rename"
        assert entry["name_uk"] in error["message"]
    assert listing(client, admin_headers, book) == before


@pytest.mark.parametrize("book", BOOKS_WITH_SYSTEM)
def test_null_name_of_a_system_entry_is_refused(
    client: TestClient, admin_headers: Headers, book: str
) -> None:
    before = listing(client, admin_headers, book)
    entry = before[0]
    for field in ("code", "name_uk", "name_en"):
        reply = client.patch(
            f"/api/v1/{book}/{entry['id']}", headers=admin_headers, json={field: None}
        )
        assert reply.status_code == 422, reply.text
        fields = error_of(reply)["fields"]
        assert [(f["field"], f["type"]) for f in fields] == [(field, "null_forbidden")]
    assert listing(client, admin_headers, book) == before


@pytest.mark.parametrize("book", BOOKS_WITH_SYSTEM)
def test_system_entry_keeps_code_and_names_but_may_change_the_rest(
    client: TestClient, admin_headers: Headers, book: str
) -> None:
    entry = listing(client, admin_headers, book, system="true")[-1]
    changes: dict[str, Any] = {"sort_order": 500, "description": "Пояснення для операторів"}
    if book in STATUS_BOOKS:
        changes["color"] = "#00ff00"
    # sending the unchanged code and names along is not a rename
    body = {
        **changes,
        "code": entry["code"],
        "name_uk": entry["name_uk"],
        "name_en": entry["name_en"],
    }
    reply = client.patch(f"/api/v1/{book}/{entry['id']}", headers=admin_headers, json=body)
    assert reply.status_code == 200, reply.text
    changed = reply.json()
    for field, value in changes.items():
        assert changed[field] == value
    assert changed["system"] is True
    for field in ("code", "name_uk", "name_en"):
        assert changed[field] == entry[field]
    assert client.get(f"/api/v1/{book}/{entry['id']}", headers=admin_headers).json() == changed
    # a PATCH cannot make an entry user-defined
    reply = client.patch(
        f"/api/v1/{book}/{entry['id']}", headers=admin_headers, json={"system": False}
    )
    assert reply.status_code == 422
    assert error_of(reply)["fields"][0]["field"] == "system"
    if book in STATUS_BOOKS:
        reply = client.patch(
            f"/api/v1/{book}/{entry['id']}", headers=admin_headers, json={"color": None}
        )
        assert reply.status_code == 200
        assert reply.json()["color"] is None


@pytest.mark.parametrize("book", BOOKS)
def test_system_flag_cannot_be_sent_on_create(
    client: TestClient, admin_headers: Headers, book: str
) -> None:
    reply = client.post(
        f"/api/v1/{book}",
        headers=admin_headers,
        json={"code": "sneaky", "name_uk": "Х", "name_en": "X", "system": True},
    )
    assert reply.status_code == 422
    assert [f["field"] for f in error_of(reply)["fields"]] == ["system"]
    assert listing(client, admin_headers, book, system="false") == []


# --- invalid input on the books --------------------------------------------------------------


@pytest.mark.parametrize("book", BOOKS)
def test_invalid_entries_are_422_and_store_nothing(
    client: TestClient, admin_headers: Headers, book: str
) -> None:
    before = listing(client, admin_headers, book)
    good = {"code": "good", "name_uk": "Добре", "name_en": "Good"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "code": "with space"}, "code"),
        ({**good, "code": "x" * 33}, "code"),
        ({**good, "code": ""}, "code"),
        ({**good, "name_uk": "   "}, "name_uk"),
        ({**good, "name_en": "n" * 201}, "name_en"),
        ({**good, "description": "d" * 4001}, "description"),
        ({**good, "sort_order": "first"}, "sort_order"),
        ({**good, "sort_order": 1.5}, "sort_order"),
        ({**good, "sort_order": 10**20}, "sort_order"),
        ({**good, "sort_order": None}, "sort_order"),
        ({**good, "name_uk": None}, "name_uk"),
        ({"name_uk": "Добре", "name_en": "Good"}, "code"),
    ]
    if book in STATUS_BOOKS:
        cases.append(({**good, "color": "blue"}, "color"))
        cases.append(({**good, "color": "#12345"}, "color"))
    else:
        cases.append(({**good, "color": "#123456"}, "color"))
    for body, field in cases:
        reply = client.post(f"/api/v1/{book}", headers=admin_headers, json=body)
        assert reply.status_code == 422, (body, reply.text)
        fields = [f["field"] for f in error_of(reply)["fields"]]
        assert fields == [field], (body, fields)
    assert listing(client, admin_headers, book) == before


@pytest.mark.parametrize("book", BOOKS)
def test_invalid_changes_are_422_and_change_nothing(
    client: TestClient, admin_headers: Headers, book: str
) -> None:
    entry = create(client, admin_headers, book, sort_order=7)
    url = f"/api/v1/{book}/{entry['id']}"
    for body, field in (
        ({"code": None}, "code"),
        ({"name_uk": None}, "name_uk"),
        ({"name_en": None}, "name_en"),
        ({"sort_order": None}, "sort_order"),
        ({"sort_order": 2**31}, "sort_order"),
        ({"name_uk": "ok", "name_en": "x" * 201}, "name_en"),
        ({"name_uk": "ok", "bogus": 1}, "bogus"),
    ):
        reply = client.patch(url, headers=admin_headers, json=body)
        assert reply.status_code == 422, (body, reply.text)
        assert [f["field"] for f in error_of(reply)["fields"]] == [field], body
    assert client.get(url, headers=admin_headers).json() == entry
    # An empty change is allowed and changes nothing.
    reply = client.patch(url, headers=admin_headers, json={})
    assert reply.status_code == 200
    assert {k: v for k, v in reply.json().items() if k != "updated_at"} == {
        k: v for k, v in entry.items() if k != "updated_at"
    }


def test_ids_of_one_book_are_not_found_in_another(
    client: TestClient, admin_headers: Headers
) -> None:
    journal = create(client, admin_headers, "journals")
    event_ids = {e["id"] for e in listing(client, admin_headers, "event-types")}
    missing = max(event_ids | {journal["id"]}) + 1000
    for book in BOOKS:
        reply = client.get(f"/api/v1/{book}/{missing}", headers=admin_headers)
        assert reply.status_code == 404
        error = error_of(reply)
        assert error["code"] == "not_found"
        assert str(missing) in error["message"]
    for huge in ("2147483648", "99999999999999999999", "-1", "0"):
        reply = client.get(f"/api/v1/journals/{huge}", headers=admin_headers)
        assert reply.status_code in (404, 422), (huge, reply.text)
        reply = client.delete(f"/api/v1/journals/{huge}", headers=admin_headers)
        assert reply.status_code in (404, 422), (huge, reply.text)


def test_unicode_and_special_characters_round_trip(
    client: TestClient, admin_headers: Headers
) -> None:
    names = {"name_uk": "Ґанок «Їжак» — ʼєдність 🙂", "name_en": "Quote ' \" \\ % _ {x}"}
    entry = create(client, admin_headers, "event-types", code="код.1-ї", **names)
    assert {k: entry[k] for k in names} == names
    assert entry["code"] == "код.1-ї"
    reply = client.get(f"/api/v1/event-types/{entry['id']}", headers=admin_headers)
    assert reply.json() == entry
    # NUL cannot be stored by PostgreSQL: refused as invalid input on both databases.
    reply = client.post(
        "/api/v1/event-types",
        headers=admin_headers,
        json={"code": "nul", "name_uk": "a\u0000b", "name_en": "x"},
    )
    assert reply.status_code == 422, reply.text
    assert error_of(reply)["fields"][0]["field"] == "name_uk"


# --- rights on the books ---------------------------------------------------------------------


def test_changing_a_book_needs_the_settings_right_and_the_tab(
    client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    entry = create(client, admin_headers, "journals")
    before = listing(client, admin_headers, "journals")
    _, reader = make_user()
    _, creator = make_user(rights={"settings": "c"})
    _, wrong_tab = make_user(rights={"settings": "cud"}, tabs=["references.event_types"])
    body = {"code": "new", "name_uk": "Новий", "name_en": "New"}
    url = f"/api/v1/journals/{entry['id']}"

    assert listing(client, reader, "journals") == before
    for headers in (reader, wrong_tab):
        reply = client.post("/api/v1/journals", headers=headers, json=body)
        assert reply.status_code == 403, reply.text
        assert error_of(reply)["right"]
    for headers in (reader, creator, wrong_tab):
        assert client.patch(url, headers=headers, json={"name_en": "x"}).status_code == 403
        assert client.delete(url, headers=headers).status_code == 403
    reply = client.patch(url, headers=creator, json={"name_en": "x"})
    assert error_of(reply)["right"] == "settings:change"
    assert "Налаштування" in error_of(reply)["message"]
    reply = client.post("/api/v1/journals", headers=wrong_tab, json=body)
    assert error_of(reply)["right"] == "tab:references.journals"
    assert "Журнали" in error_of(reply)["message"]
    assert listing(client, admin_headers, "journals") == before

    reply = client.post("/api/v1/journals", headers=creator, json=body)
    assert reply.status_code == 201, reply.text


# --- journals referenced by rights -----------------------------------------------------------


def test_deleting_a_journal_removes_the_rights_in_it(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    journal = create(client, admin_headers, "journals", code="sales")
    kept = create(client, admin_headers, "journals", code="support")
    user_id, _ = make_user()
    for journal_id in (journal["id"], kept["id"]):
        reply = client.put(
            f"/api/v1/users/{user_id}/access/journals/{journal_id}",
            headers=admin_headers,
            json={"create": True, "change": True, "delete": False},
        )
        assert reply.status_code == 200, reply.text
    rights = client.get(f"/api/v1/users/{user_id}/access", headers=admin_headers).json()["journals"]
    assert set(rights) == {str(journal["id"]), str(kept["id"])}

    reply = client.delete(f"/api/v1/journals/{journal['id']}", headers=admin_headers)
    assert reply.status_code == 204, reply.text
    assert client.get(f"/api/v1/journals/{journal['id']}", headers=admin_headers).status_code == 404
    rights = client.get(f"/api/v1/users/{user_id}/access", headers=admin_headers).json()["journals"]
    assert rights == {str(kept["id"]): {"create": True, "change": True, "delete": False}}
    with transaction(hub.sessions) as session:
        rows = session.scalars(select(JournalRight).where(JournalRight.user_id == user_id)).all()
        assert [row.journal_id for row in rows] == [kept["id"]]
    # rights cannot be granted in a deleted journal
    reply = client.put(
        f"/api/v1/users/{user_id}/access/journals/{journal['id']}",
        headers=admin_headers,
        json={"create": True, "change": False, "delete": False},
    )
    assert reply.status_code == 404


# --- seeding is idempotent -------------------------------------------------------------------


def snapshot(client: TestClient, headers: Headers) -> dict[str, list[dict[str, Any]]]:
    return {book: listing(client, headers, book) for book in BOOKS}


def test_seeding_again_changes_nothing(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    for book in BOOKS:
        create(client, admin_headers, book, code=f"mine_{book}", sort_order=50)
    done = by_code(client, admin_headers, "task-statuses")["done"]
    reply = client.patch(
        f"/api/v1/task-statuses/{done['id']}",
        headers=admin_headers,
        json={"color": "#333333", "description": "Готово", "sort_order": 40},
    )
    assert reply.status_code == 200
    before = snapshot(client, admin_headers)

    with transaction(hub.sessions) as session:
        ensure_reference_data(session)
    assert snapshot(client, admin_headers) == before

    # A colour the administrator cleared stays cleared.
    overdue = by_code(client, admin_headers, "task-statuses")["overdue"]
    reply = client.patch(
        f"/api/v1/task-statuses/{overdue['id']}", headers=admin_headers, json={"color": None}
    )
    assert reply.status_code == 200
    before = snapshot(client, admin_headers)
    with transaction(hub.sessions) as session:
        ensure_reference_data(session)
        ensure_reference_data(session)
    prepare_database(hub, announce=lambda _message: pytest.fail("no second administrator"))
    assert snapshot(client, admin_headers) == before
    with transaction(hub.sessions) as session:
        assert session.scalar(select(func.count()).select_from(EventType)) == 18


def test_seeding_restores_tampered_system_entries(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    before = by_code(client, admin_headers, "event-types")
    with transaction(hub.sessions) as session:
        session.execute(
            text("UPDATE event_types SET name_uk = 'Зламано', system = :no WHERE code = 'queue'"),
            {"no": False},
        )
        session.execute(text("DELETE FROM event_types WHERE code = 'callback'"))
    damaged = by_code(client, admin_headers, "event-types")
    assert damaged["queue"]["name_uk"] == "Зламано"
    assert "callback" not in damaged

    prepare_database(hub, announce=lambda _message: None)
    restored = by_code(client, admin_headers, "event-types")
    assert set(restored) == set(before)
    assert restored["queue"]["name_uk"] == "Черга"
    assert restored["queue"]["system"] is True
    assert restored["callback"]["name_uk"] == "Зворотній дзвінок"
    assert restored["callback"]["system"] is True
