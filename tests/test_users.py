"""Users: creation, listing (ACC-6), changes, disabling, administrators and parameters (SET-9)."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.models import AuthToken, User, UserParameter
from hub.errors import Conflict
from hub.services.access import users
from tests.conftest import ADMIN_PASSWORD, UserFactory, login

USERS = "/api/v1/users"
SIP_SECRET = "sip-Secret-7731"


def error_of(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error object of a reply, after checking its status and code."""
    assert reply.status_code == status, reply.text
    error: dict[str, Any] = reply.json()["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    return error


def user_count(hub: Hub) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0)


def admin_id(client: TestClient, admin_headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/me", headers=admin_headers).json()["id"])


def new_user_body(username: str, **extra: Any) -> dict[str, Any]:
    return {"username": username, "password": "good-password-1", **extra}


# --- creating and reading ----------------------------------------------------------------------


def test_create_user_with_employee_record(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    body = new_user_body(
        "maria",
        employee={
            "full_name": "Марія Коваленко",
            "email": "maria@example.com",
            "phone": "+380 44 123-45-67",
            "sip_number": "201",
            "position": "Оператор",
        },
        lang="en",
    )
    reply = client.post(USERS, headers=admin_headers, json=body)
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert created["username"] == "maria"
    assert created["is_active"] is True
    assert created["is_admin"] is False
    assert created["crm_access"] is True
    assert created["full_access"] is False
    assert created["deny_task_status_change"] is False
    assert created["lang"] == "en"
    assert created["employee"]["full_name"] == "Марія Коваленко"
    assert created["employee"]["email"] == "maria@example.com"
    assert created["employee"]["sip_number"] == "201"
    assert "password" not in reply.text
    assert "password_hash" not in created

    fetched = client.get(f"{USERS}/{created['id']}", headers=admin_headers)
    assert fetched.status_code == 200
    assert fetched.json() == created
    # The new user can log in and sees themselves.
    headers = login(client, "maria", "good-password-1")
    assert client.get("/api/v1/me", headers=headers).json()["id"] == created["id"]


def test_create_user_without_employee_record(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    reply = client.post(USERS, headers=admin_headers, json=new_user_body("bare"))
    assert reply.status_code == 201, reply.text
    assert reply.json()["employee"] is None
    assert reply.json()["lang"] == "uk"


def test_list_users_in_username_order(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    make_user("zenon")
    make_user("bohdan")
    reply = client.get(USERS, headers=admin_headers)
    assert reply.status_code == 200
    names = [user["username"] for user in reply.json()]
    assert names == ["admin", "bohdan", "zenon"]
    assert "password_hash" not in reply.text


def test_ordinary_user_can_read_users(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    _, headers = make_user("reader")
    assert client.get(USERS, headers=headers).status_code == 200
    assert (
        client.get(f"{USERS}/{admin_id(client, admin_headers)}", headers=headers).status_code == 200
    )


def test_unknown_user_is_404(client: TestClient, admin_headers: dict[str, str]) -> None:
    error_of(client.get(f"{USERS}/99999", headers=admin_headers), 404, "not_found")
    error_of(
        client.patch(f"{USERS}/99999", headers=admin_headers, json={"lang": "en"}), 404, "not_found"
    )
    error_of(client.delete(f"{USERS}/99999", headers=admin_headers), 404, "not_found")
    error_of(client.get(f"{USERS}/99999/parameters", headers=admin_headers), 404, "not_found")
    # Ids match digits only: "abc" is no address at all, 0 is an id out of range.
    error_of(client.get(f"{USERS}/abc", headers=admin_headers), 404, "route_not_found")
    reply = client.get(f"{USERS}/0", headers=admin_headers)
    assert error_of(reply, 422, "validation_error")["fields"][0]["field"] == "user_id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "good-password-1"}, "username"),
        ({"username": "nopass"}, "password"),
        (new_user_body("has space"), "username"),
        (new_user_body("x" * 65), "username"),
        (new_user_body(""), "username"),
        (new_user_body("extra", role="root"), "role"),
        (
            new_user_body("mail", employee={"full_name": "A", "email": "not-an-email"}),
            "employee.email",
        ),
        (new_user_body("phone", employee={"full_name": "A", "phone": "call me"}), "employee.phone"),
        (new_user_body("noname", employee={}), "employee.full_name"),
        (new_user_body("lang", lang="de"), "lang"),
        (new_user_body("flag", is_admin="perhaps"), "is_admin"),
        ({"username": "longpass", "password": "p" * 257}, "password"),
    ],
)
def test_create_user_invalid_input(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    before = user_count(hub)
    reply = client.post(USERS, headers=admin_headers, json=body)
    error = error_of(reply, 422, "validation_error")
    assert field in [f["field"] for f in error["fields"]]
    assert user_count(hub) == before
    # A refused password is never echoed back.
    if body.get("password"):
        assert body["password"] not in reply.text


def test_create_user_password_too_short(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    before = user_count(hub)
    reply = client.post(
        USERS, headers=admin_headers, json={"username": "shorty", "password": "1234567"}
    )
    error = error_of(reply, 422, "password_too_short")
    assert error["fields"][0]["field"] == "password"
    assert user_count(hub) == before


def test_create_user_malformed_json(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    before = user_count(hub)
    reply = client.post(
        USERS,
        headers=admin_headers | {"Content-Type": "application/json"},
        content=b'{"username": "broken", ',
    )
    error_of(reply, 422, "validation_error")
    assert user_count(hub) == before


def test_duplicate_username_is_409(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    make_user("andriy")
    before = user_count(hub)
    for name in ("andriy", "Andriy", "ANDRIY", "admin"):
        reply = client.post(USERS, headers=admin_headers, json=new_user_body(name))
        error = error_of(reply, 409, "duplicate_username")
        assert name in error["message"]
    assert user_count(hub) == before
    # The original keeps its password.
    login(client, "andriy", "user-password-1")


# --- changing ----------------------------------------------------------------------------------


def test_change_user(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, _ = make_user("stepan")
    reply = client.patch(
        f"{USERS}/{user_id}",
        headers=admin_headers,
        json={
            "lang": "en",
            "crm_access": False,
            "employee": {"email": "stepan@example.com", "position": "Касир", "sip_number": "305"},
        },
    )
    assert reply.status_code == 200, reply.text
    changed = reply.json()
    assert changed["lang"] == "en"
    assert changed["crm_access"] is False
    assert changed["employee"]["full_name"] == "Працівник stepan"
    assert changed["employee"]["email"] == "stepan@example.com"
    assert changed["employee"]["position"] == "Касир"
    assert changed["employee"]["sip_number"] == "305"
    assert client.get(f"{USERS}/{user_id}", headers=admin_headers).json() == changed

    # Sending null clears an optional field; omitted fields stay.
    reply = client.patch(
        f"{USERS}/{user_id}", headers=admin_headers, json={"employee": {"email": None}}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["employee"]["email"] is None
    assert reply.json()["employee"]["position"] == "Касир"
    assert reply.json()["lang"] == "en"


def test_change_user_without_employee_creates_record(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    user_id = client.post(USERS, headers=admin_headers, json=new_user_body("noemp")).json()["id"]
    reply = client.patch(
        f"{USERS}/{user_id}", headers=admin_headers, json={"employee": {"phone": "+380501112233"}}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["employee"]["phone"] == "+380501112233"
    assert reply.json()["employee"]["full_name"] == "noemp"


@pytest.mark.parametrize(
    "body",
    [
        {"username": "renamed"},
        {"lang": "fr"},
        {"is_active": "maybe"},
        {"employee": {"email": "broken"}},
        {"password": ""},
    ],
)
def test_change_user_invalid_input_changes_nothing(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory, body: dict[str, Any]
) -> None:
    user_id, _ = make_user("stable")
    before = client.get(f"{USERS}/{user_id}", headers=admin_headers).json()
    reply = client.patch(f"{USERS}/{user_id}", headers=admin_headers, json=body)
    error_of(reply, 422, "validation_error")
    assert client.get(f"{USERS}/{user_id}", headers=admin_headers).json() == before
    login(client, "stable", "user-password-1")


def test_change_password_too_short_changes_nothing(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("keeper")
    reply = client.patch(
        f"{USERS}/{user_id}", headers=admin_headers, json={"password": "short", "lang": "en"}
    )
    error_of(reply, 422, "password_too_short")
    assert client.get(f"{USERS}/{user_id}", headers=admin_headers).json()["lang"] == "uk"
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    login(client, "keeper", "user-password-1")


def test_me_language(client: TestClient, make_user: UserFactory) -> None:
    _, headers = make_user("linguist")
    denied = client.get(USERS + "/99999", headers=headers)
    assert "Не знайдено" in error_of(denied, 404, "not_found")["message"]
    reply = client.patch("/api/v1/me", headers=headers, json={"lang": "en"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["lang"] == "en"
    assert reply.json()["access"]["crm_access"] is True
    # Messages now come in English, whatever the browser asks for.
    again = client.get(USERS + "/99999", headers=headers | {"Accept-Language": "uk"})
    assert error_of(again, 404, "not_found")["message"].startswith("Not found")
    error_of(
        client.patch("/api/v1/me", headers=headers, json={"lang": "xx"}), 422, "validation_error"
    )
    error_of(
        client.patch("/api/v1/me", headers=headers, json={"lang": "en", "is_admin": True}),
        422,
        "validation_error",
    )
    assert client.get("/api/v1/me", headers=headers).json()["is_admin"] is False


# --- disabling ---------------------------------------------------------------------------------


def test_disable_user_ends_sessions_and_keeps_the_record(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("departing")
    second = login(client, "departing", "user-password-1")
    key = client.post(f"{USERS}/{user_id}/api-keys", headers=headers, json={"name": "k"}).json()[
        "key"
    ]
    reply = client.delete(f"{USERS}/{user_id}", headers=admin_headers)
    assert reply.status_code == 204, reply.text

    for auth in (headers, second, {"X-API-Key": key}):
        refused = client.get("/api/v1/me", headers=auth)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
    with hub.sessions() as session:
        tokens = session.scalar(
            select(func.count()).select_from(AuthToken).where(AuthToken.user_id == user_id)
        )
        assert tokens == 0
    record = client.get(f"{USERS}/{user_id}", headers=admin_headers)
    assert record.status_code == 200
    assert record.json()["is_active"] is False
    assert record.json()["employee"]["full_name"] == "Працівник departing"
    refused_login = client.post(
        "/api/v1/auth/token", data={"username": "departing", "password": "user-password-1"}
    )
    error_of(refused_login, 401, "user_inactive")

    # Enabling again lets them log in; the old sessions stay ended.
    reply = client.patch(f"{USERS}/{user_id}", headers=admin_headers, json={"is_active": True})
    assert reply.status_code == 200
    assert reply.json()["is_active"] is True
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    login(client, "departing", "user-password-1")


def test_disable_by_patch_ends_sessions(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("patched")
    reply = client.patch(f"{USERS}/{user_id}", headers=admin_headers, json={"is_active": False})
    assert reply.status_code == 200, reply.text
    assert reply.json()["is_active"] is False
    error_of(client.get("/api/v1/me", headers=headers), 401, "token_invalid")


# --- ACC-6: all users or only those with access to this system --------------------------------


def test_list_scope_all_and_crm(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    make_user("crm-user")
    outsider_id, _ = make_user("outsider", crm_access=False)
    promoted_id, _ = make_user("promoted", crm_access=False)
    gone_id, _ = make_user("gone")
    assert (
        client.post(f"{USERS}/{promoted_id}/access/full", headers=admin_headers).status_code == 200
    )
    assert client.delete(f"{USERS}/{gone_id}", headers=admin_headers).status_code == 204

    every = client.get(USERS, headers=admin_headers, params={"scope": "all"})
    assert every.status_code == 200
    assert {u["username"] for u in every.json()} == {
        "admin",
        "crm-user",
        "outsider",
        "promoted",
        "gone",
    }
    default = client.get(USERS, headers=admin_headers)
    assert default.json() == every.json()

    crm = client.get(USERS, headers=admin_headers, params={"scope": "crm"})
    assert crm.status_code == 200
    assert [u["username"] for u in crm.json()] == ["admin", "crm-user", "promoted"]
    assert outsider_id not in {u["id"] for u in crm.json()}

    error_of(
        client.get(USERS, headers=admin_headers, params={"scope": "some"}), 422, "validation_error"
    )


# --- administrators ----------------------------------------------------------------------------


def test_only_admins_create_admins(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    _, creator = make_user("creator", rights={"user": "cud"})
    full_id, full = make_user("fulluser")
    assert client.post(f"{USERS}/{full_id}/access/full", headers=admin_headers).status_code == 200
    before = user_count(hub)
    for headers in (creator, full):
        reply = client.post(USERS, headers=headers, json=new_user_body("boss", is_admin=True))
        assert error_of(reply, 403, "admin_required")["right"] == "admin"
    assert user_count(hub) == before
    # They may create ordinary users.
    reply = client.post(USERS, headers=creator, json=new_user_body("plain"))
    assert reply.status_code == 201, reply.text
    assert reply.json()["is_admin"] is False

    reply = client.post(USERS, headers=admin_headers, json=new_user_body("boss", is_admin=True))
    assert reply.status_code == 201, reply.text
    assert reply.json()["is_admin"] is True
    boss = login(client, "boss", "good-password-1")
    assert client.get("/api/v1/me", headers=boss).json()["access"]["is_admin"] is True


def test_only_admins_change_is_admin(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    changer_id, changer = make_user("changer", rights={"user": "cud"})
    target_id, _ = make_user("target")
    for user_id in (changer_id, target_id):
        for value in (True, False):
            reply = client.patch(f"{USERS}/{user_id}", headers=changer, json={"is_admin": value})
            assert error_of(reply, 403, "admin_required")["right"] == "admin"
            assert (
                client.get(f"{USERS}/{user_id}", headers=admin_headers).json()["is_admin"] is False
            )

    reply = client.patch(f"{USERS}/{target_id}", headers=admin_headers, json={"is_admin": True})
    assert reply.status_code == 200, reply.text
    assert reply.json()["is_admin"] is True


def test_non_admins_cannot_touch_administrators(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    _, manager = make_user("manager", rights={"user": "cud"})
    the_admin = admin_id(client, admin_headers)
    before = client.get(f"{USERS}/{the_admin}", headers=admin_headers).json()
    for reply in (
        client.patch(f"{USERS}/{the_admin}", headers=manager, json={"password": "taken-over-1"}),
        client.patch(f"{USERS}/{the_admin}", headers=manager, json={"lang": "en"}),
        client.delete(f"{USERS}/{the_admin}", headers=manager),
    ):
        assert error_of(reply, 403, "admin_required")["right"] == "admin"
    assert client.get(f"{USERS}/{the_admin}", headers=admin_headers).json() == before
    login(client, "admin", ADMIN_PASSWORD)


def test_non_admins_cannot_take_over_full_access_users(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    """Resetting the password of a user with full access would give that access away."""
    _, manager = make_user("manager", rights={"user": "cud"})
    full_id, full = make_user("trusted")
    assert client.post(f"{USERS}/{full_id}/access/full", headers=admin_headers).status_code == 200
    before = client.get(f"{USERS}/{full_id}", headers=admin_headers).json()
    for reply in (
        client.patch(f"{USERS}/{full_id}", headers=manager, json={"password": "taken-over-1"}),
        client.delete(f"{USERS}/{full_id}", headers=manager),
    ):
        assert error_of(reply, 403, "admin_required")["right"] == "admin"
    assert client.get(f"{USERS}/{full_id}", headers=admin_headers).json() == before
    assert client.get("/api/v1/me", headers=full).status_code == 200
    login(client, "trusted", "user-password-1")


def test_last_active_admin_cannot_be_disabled_or_demoted(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    the_admin = admin_id(client, admin_headers)
    for reply in (
        client.delete(f"{USERS}/{the_admin}", headers=admin_headers),
        client.patch(f"{USERS}/{the_admin}", headers=admin_headers, json={"is_admin": False}),
        client.patch(f"{USERS}/{the_admin}", headers=admin_headers, json={"is_active": False}),
        client.patch(
            f"{USERS}/{the_admin}",
            headers=admin_headers,
            json={"is_active": False, "is_admin": False, "lang": "en"},
        ),
    ):
        error_of(reply, 409, "last_admin")
    after = client.get(f"{USERS}/{the_admin}", headers=admin_headers).json()
    assert (after["is_admin"], after["is_active"], after["lang"]) == (True, True, "uk")
    assert client.get("/api/v1/me", headers=admin_headers).status_code == 200


def test_second_admin_allows_demotion_until_one_is_left(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    the_admin = admin_id(client, admin_headers)
    second = client.post(USERS, headers=admin_headers, json=new_user_body("deputy", is_admin=True))
    second_id = second.json()["id"]
    deputy = login(client, "deputy", "good-password-1")

    reply = client.patch(f"{USERS}/{the_admin}", headers=deputy, json={"is_admin": False})
    assert reply.status_code == 200, reply.text
    assert reply.json()["is_admin"] is False
    # Now the deputy is the last active administrator.
    error_of(client.delete(f"{USERS}/{second_id}", headers=deputy), 409, "last_admin")
    error_of(
        client.patch(f"{USERS}/{second_id}", headers=deputy, json={"is_admin": False}),
        409,
        "last_admin",
    )
    # A disabled administrator does not count.
    third = client.post(USERS, headers=deputy, json=new_user_body("third", is_admin=True)).json()
    assert client.delete(f"{USERS}/{third['id']}", headers=deputy).status_code == 204
    error_of(client.delete(f"{USERS}/{second_id}", headers=deputy), 409, "last_admin")
    assert client.get("/api/v1/me", headers=deputy).json()["is_admin"] is True


# --- CRM access (ACC-6) ------------------------------------------------------------------------


def test_user_without_crm_access(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("visitor", crm_access=False, rights={"user": "cud"})
    for method, url, body in (
        ("GET", USERS, None),
        ("GET", f"{USERS}/{user_id}", None),
        ("POST", USERS, new_user_body("sneaky")),
        ("GET", "/api/v1/event-types", None),
        ("GET", "/api/v1/access/catalog", None),
        ("GET", f"{USERS}/{user_id}/access", None),
        ("GET", f"{USERS}/{user_id}/parameters", None),
        ("GET", f"{USERS}/{user_id}/api-keys", None),
        ("GET", "/api/v1/parameters", None),
    ):
        reply = client.request(method, url, headers=headers, json=body)
        error = error_of(reply, 403, "no_crm_access")
        assert error["right"] == "crm"
    names = [u["username"] for u in client.get(USERS, headers=admin_headers).json()]
    assert "sneaky" not in names

    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["crm_access"] is False
    assert me.json()["access"]["crm_access"] is False
    assert client.patch("/api/v1/me", headers=headers, json={"lang": "en"}).status_code == 200
    reply = client.put(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": "user-password-1", "new_password": "new-password-1"},
    )
    assert reply.status_code == 204

    # Giving access back opens the CRM endpoints.
    client.patch(f"{USERS}/{user_id}", headers=admin_headers, json={"crm_access": True})
    again = login(client, "visitor", "new-password-1")
    assert client.get(USERS, headers=again).status_code == 200


# --- user parameters (SET-9) -------------------------------------------------------------------


def test_own_parameters_have_defaults(client: TestClient, make_user: UserFactory) -> None:
    user_id, headers = make_user("paramuser")
    reply = client.get(f"{USERS}/{user_id}/parameters", headers=headers)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["sip_password_set"] is False
    assert "sip_password" not in body["values"]
    assert body["values"]["corporate_mail_delivery"] == "all"
    assert body["values"]["birthday_days_ahead"] == 7
    assert body["values"]["use_user_statuses"] is False


def test_sip_password_is_write_only(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("phoneuser")
    reply = client.patch(
        f"{USERS}/{user_id}/parameters",
        headers=admin_headers,
        json={"sip_password": SIP_SECRET, "auto_start_phone": True, "telephony_unit": "Каса 1"},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["sip_password_set"] is True
    assert reply.json()["values"]["auto_start_phone"] is True
    assert reply.json()["values"]["telephony_unit"] == "Каса 1"
    assert SIP_SECRET not in reply.text
    assert "sip_password" not in reply.json()["values"]

    replies = [
        client.get(f"{USERS}/{user_id}/parameters", headers=admin_headers),
        client.get(f"{USERS}/{user_id}/parameters", headers=headers),
        client.get(f"{USERS}/{user_id}", headers=admin_headers),
        client.get(USERS, headers=admin_headers),
        client.get("/api/v1/me", headers=headers),
        client.get(f"{USERS}/{user_id}/access", headers=headers),
        client.get("/openapi.json"),
    ]
    for read in replies:
        assert read.status_code == 200, read.text
        assert SIP_SECRET not in read.text
    assert replies[0].json()["sip_password_set"] is True
    assert replies[1].json() == replies[0].json()

    # Stored for the phone agent, and changing another parameter keeps it.
    reply = client.patch(
        f"{USERS}/{user_id}/parameters", headers=admin_headers, json={"use_user_statuses": True}
    )
    assert reply.json()["sip_password_set"] is True
    with hub.sessions() as session:
        stored = session.scalar(
            select(UserParameter.value).where(
                UserParameter.user_id == user_id, UserParameter.key == "sip_password"
            )
        )
    assert stored == SIP_SECRET

    # Clearing it.
    reply = client.patch(
        f"{USERS}/{user_id}/parameters", headers=admin_headers, json={"sip_password": None}
    )
    assert reply.status_code == 200
    assert reply.json()["sip_password_set"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"sip_password": SIP_SECRET, "birthday_days_ahead": 61},
        {"sip_password": SIP_SECRET, "corporate_mail_delivery": "some"},
        {"sip_password": SIP_SECRET, "telephony_project_id": 0},
        {"sip_password": SIP_SECRET, "auto_start_phone": "often"},
        {"sip_password": SIP_SECRET, "no_such_parameter": 1},
        {"sip_password": SIP_SECRET + "x" * 200},
    ],
)
def test_invalid_parameters_store_nothing(
    client: TestClient,
    hub: Hub,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    body: dict[str, Any],
) -> None:
    user_id, _ = make_user("validated")
    before = client.get(f"{USERS}/{user_id}/parameters", headers=admin_headers).json()
    reply = client.patch(f"{USERS}/{user_id}/parameters", headers=admin_headers, json=body)
    error = error_of(reply, 422, "validation_error")
    assert error["fields"]
    assert SIP_SECRET not in reply.text
    assert client.get(f"{USERS}/{user_id}/parameters", headers=admin_headers).json() == before
    with hub.sessions() as session:
        rows = session.scalar(
            select(func.count()).select_from(UserParameter).where(UserParameter.user_id == user_id)
        )
    assert rows == 0


def test_parameters_of_unknown_user(client: TestClient, admin_headers: dict[str, str]) -> None:
    reply = client.patch(
        f"{USERS}/99999/parameters", headers=admin_headers, json={"auto_start_phone": True}
    )
    error_of(reply, 404, "not_found")


def test_reading_others_parameters_needs_the_users_tab(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    target_id, _ = make_user("target")
    client.patch(
        f"{USERS}/{target_id}/parameters", headers=admin_headers, json={"auto_start_phone": True}
    )
    own_id, narrow = make_user("narrow", tabs=["references.journals"])
    _, wide = make_user("wide", tabs=["parameters.users"])
    _, unmarked = make_user("unmarked")

    error = error_of(
        client.get(f"{USERS}/{target_id}/parameters", headers=narrow), 403, "settings_tab_hidden"
    )
    assert error["right"] == "tab:parameters.users"
    assert "Параметри / Користувачі" in error["message"]
    # Their own parameters are always readable.
    assert client.get(f"{USERS}/{own_id}/parameters", headers=narrow).status_code == 200
    for headers in (wide, unmarked, admin_headers):
        reply = client.get(f"{USERS}/{target_id}/parameters", headers=headers)
        assert reply.status_code == 200, reply.text
        assert reply.json()["values"]["auto_start_phone"] is True


def test_changing_parameters_needs_the_tab_and_the_settings_right(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    target_id, _ = make_user("target")
    _, no_right = make_user("noright")
    _, hidden = make_user("hidden", rights={"settings": "cud"}, tabs=["numbering"])
    _, allowed = make_user("allowed", rights={"settings": "u"}, tabs=["parameters.users"])
    url = f"{USERS}/{target_id}/parameters"
    body = {"sip_password": SIP_SECRET}

    assert (
        error_of(client.patch(url, headers=no_right, json=body), 403, "right_missing")["right"]
        == "settings:change"
    )
    assert (
        error_of(client.patch(url, headers=hidden, json=body), 403, "settings_tab_hidden")["right"]
        == "tab:parameters.users"
    )
    assert client.get(url, headers=admin_headers).json()["sip_password_set"] is False

    reply = client.patch(url, headers=allowed, json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["sip_password_set"] is True
    assert SIP_SECRET not in reply.text


def test_two_admins_demoting_each_other_at_once_leave_one(hub: Hub) -> None:
    """The last-administrator rule holds when two demotions run in parallel transactions."""
    with hub.sessions() as session, session.begin():
        deputy = users.create_user(
            session, hasher=hub.hasher, username="deputy", password="deputy-pass-1", is_admin=True
        )
        admin = users.find_user(session, "admin")
        assert admin is not None
        ids = (admin.id, deputy.id)

    first_flushed = threading.Event()
    release_first = threading.Event()
    outcomes: dict[int, str] = {}

    def demote(user_id: int, hold: bool) -> None:
        try:
            with hub.sessions() as session, session.begin():
                user = users.get_user(session, user_id)
                users.update_user(
                    session, hasher=hub.hasher, user=user, changes={"is_admin": False}
                )
                if hold:
                    first_flushed.set()
                    release_first.wait(timeout=10)
            outcomes[user_id] = "demoted"
        except Conflict as exc:
            outcomes[user_id] = exc.code
        finally:
            first_flushed.set()

    first = threading.Thread(target=demote, args=(ids[0], True))
    second = threading.Thread(target=demote, args=(ids[1], False))
    first.start()
    assert first_flushed.wait(timeout=10)
    second.start()
    # Give the second demotion every chance to run ahead of the first one's commit.
    second.join(timeout=0.5)
    release_first.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not first.is_alive() and not second.is_alive()

    assert outcomes == {ids[0]: "demoted", ids[1]: "last_admin"}
    with hub.sessions() as session:
        admins = session.scalars(select(User.username).where(User.is_admin, User.is_active)).all()
    assert list(admins) == ["deputy"]
