"""Authentication: login, bearer tokens, logout, passwords, API keys and the first administrator."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub, build_hub, prepare_database
from hub.config import ConfigError, Settings
from hub.db.base import utcnow
from hub.db.models import ApiKey, AuthToken, User
from hub.errors import Unauthenticated
from hub.services.access import users
from hub.services.common import security
from hub.services.common.security import API_KEY_PREFIX, Hasher, digest
from tests.conftest import ADMIN_PASSWORD, UserFactory, login, make_settings

TOKEN_URL = "/api/v1/auth/token"


def error_of(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error object of a reply, after checking its status and code."""
    assert reply.status_code == status, reply.text
    error: dict[str, Any] = reply.json()["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    return error


def assert_unauthenticated(reply: httpx.Response, code: str) -> None:
    """401 with a JSON error and the Bearer challenge."""
    error_of(reply, 401, code)
    assert reply.headers["www-authenticate"] == "Bearer"


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def user_row(hub: Hub, username: str) -> User:
    with hub.sessions() as session:
        user = users.find_user(session, username)
        assert user is not None
        return user


def token_hashes(hub: Hub, user_id: int) -> list[str]:
    with hub.sessions() as session:
        return list(
            session.scalars(select(AuthToken.token_hash).where(AuthToken.user_id == user_id))
        )


# --- login -------------------------------------------------------------------------------------


def test_login_gives_a_working_bearer_token(client: TestClient, hub: Hub) -> None:
    reply = client.post(TOKEN_URL, data={"username": "admin", "password": ADMIN_PASSWORD})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == hub.settings.token_ttl_minutes * 60
    token = body["access_token"]
    assert isinstance(token, str) and len(token) >= 32

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "admin"
    assert me.json()["is_admin"] is True
    assert "password_hash" not in me.json()


def test_login_username_is_case_insensitive(client: TestClient) -> None:
    headers = login(client, "ADMIN", ADMIN_PASSWORD)
    assert client.get("/api/v1/me", headers=headers).json()["username"] == "admin"


def test_each_login_gives_a_new_token(client: TestClient, hub: Hub) -> None:
    first = login(client, "admin", ADMIN_PASSWORD)
    second = login(client, "admin", ADMIN_PASSWORD)
    assert first != second
    assert client.get("/api/v1/me", headers=first).status_code == 200
    assert client.get("/api/v1/me", headers=second).status_code == 200
    assert len(token_hashes(hub, user_row(hub, "admin").id)) == 2


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong-password"), ("nobody", ADMIN_PASSWORD), ("admin", "")],
)
def test_login_refused(client: TestClient, hub: Hub, username: str, password: str) -> None:
    reply = client.post(TOKEN_URL, data={"username": username, "password": password})
    if password == "":
        # An empty password is a malformed form, not a wrong one.
        error_of(reply, 422, "validation_error")
    else:
        assert_unauthenticated(reply, "bad_credentials")
        assert "access_token" not in reply.text
    assert token_hashes(hub, user_row(hub, "admin").id) == []


def test_unknown_user_and_wrong_password_look_the_same(client: TestClient) -> None:
    unknown = client.post(TOKEN_URL, data={"username": "nobody", "password": "x-password"})
    wrong = client.post(TOKEN_URL, data={"username": "admin", "password": "x-password"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_login_message_follows_accept_language(client: TestClient) -> None:
    data = {"username": "admin", "password": "nope-nope"}
    english = client.post(TOKEN_URL, data=data, headers={"Accept-Language": "en-GB,en;q=0.9"})
    ukrainian = client.post(TOKEN_URL, data=data, headers={"Accept-Language": "uk-UA"})
    assert error_of(english, 401, "bad_credentials")["message"] == "Wrong username or password."
    assert "пароль" in error_of(ukrainian, 401, "bad_credentials")["message"]


def test_disabled_user_cannot_log_in(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, _ = make_user("olena")
    assert client.delete(f"/api/v1/users/{user_id}", headers=admin_headers).status_code == 204
    reply = client.post(TOKEN_URL, data={"username": "olena", "password": "user-password-1"})
    assert_unauthenticated(reply, "user_inactive")


def test_login_without_form_fields_is_422(client: TestClient) -> None:
    reply = client.post(TOKEN_URL, data={"username": "admin"})
    error = error_of(reply, 422, "validation_error")
    assert [f["field"] for f in error["fields"]] == ["password"]


# --- bearer tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"X-API-Key": "chk_not-a-real-key"},
        {"X-API-Key": "not-even-a-key"},
    ],
)
def test_requests_without_valid_credentials_are_401(
    client: TestClient, headers: dict[str, str]
) -> None:
    reply = client.get("/api/v1/me", headers=headers)
    assert reply.status_code == 401, reply.text
    assert reply.headers["www-authenticate"] == "Bearer"
    assert reply.json()["error"]["code"] in {"not_authenticated", "token_invalid"}


def test_expired_token_is_refused(client: TestClient, hub: Hub) -> None:
    now = utcnow()
    with hub.sessions() as session, session.begin():
        admin = users.find_user(session, "admin")
        assert admin is not None
        expired = users.issue_token(
            session, user=admin, ttl=timedelta(minutes=10), now=now - timedelta(hours=1)
        )
        fresh = users.issue_token(session, user=admin, ttl=timedelta(minutes=10), now=now)

    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    reply = client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert_unauthenticated(reply, "token_invalid")


def test_token_expires_at_its_time(hub: Hub) -> None:
    issued = utcnow()
    with hub.sessions() as session, session.begin():
        admin = users.find_user(session, "admin")
        assert admin is not None
        token = users.issue_token(session, user=admin, ttl=timedelta(minutes=30), now=issued)
    with hub.sessions() as session:
        assert (
            users.user_for_secret(session, token, now=issued + timedelta(minutes=29)).username
            == "admin"
        )
        with pytest.raises(Unauthenticated):
            users.user_for_secret(session, token, now=issued + timedelta(minutes=30))
        with pytest.raises(Unauthenticated):
            users.user_for_secret(session, token + "x", now=issued)


def test_login_clears_out_expired_tokens(client: TestClient, hub: Hub) -> None:
    with hub.sessions() as session, session.begin():
        admin = users.find_user(session, "admin")
        assert admin is not None
        expired = users.issue_token(
            session, user=admin, ttl=timedelta(minutes=1), now=utcnow() - timedelta(days=2)
        )
    admin_id = user_row(hub, "admin").id
    assert sha256(expired) in token_hashes(hub, admin_id)
    login(client, "admin", ADMIN_PASSWORD)
    hashes = token_hashes(hub, admin_id)
    assert sha256(expired) not in hashes
    assert len(hashes) == 1


def test_token_that_looks_like_an_api_key_still_works(client: TestClient, hub: Hub) -> None:
    """A random token may begin with the API key prefix; it must still be accepted as a token."""
    token = API_KEY_PREFIX + "A" * 40
    with hub.sessions() as session, session.begin():
        admin = users.find_user(session, "admin")
        assert admin is not None
        now = utcnow()
        session.add(
            AuthToken(
                user_id=admin.id,
                token_hash=digest(token),
                created_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
    reply = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    assert client.delete(TOKEN_URL, headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# --- logout ------------------------------------------------------------------------------------


def test_logout_ends_only_that_session(client: TestClient, hub: Hub) -> None:
    first = login(client, "admin", ADMIN_PASSWORD)
    second = login(client, "admin", ADMIN_PASSWORD)
    reply = client.delete(TOKEN_URL, headers=first)
    assert reply.status_code == 204
    assert reply.content == b""
    assert_unauthenticated(client.get("/api/v1/me", headers=first), "token_invalid")
    assert client.get("/api/v1/me", headers=second).status_code == 200
    assert len(token_hashes(hub, user_row(hub, "admin").id)) == 1
    # Logging out twice with the same token is refused: it no longer exists.
    assert_unauthenticated(client.delete(TOKEN_URL, headers=first), "token_invalid")


def test_logout_needs_credentials(client: TestClient) -> None:
    assert_unauthenticated(client.delete(TOKEN_URL), "not_authenticated")


# --- password change ---------------------------------------------------------------------------


def test_change_own_password(client: TestClient, hub: Hub, make_user: UserFactory) -> None:
    user_id, headers = make_user("petro", password="old-password-1")
    other_session = login(client, "petro", "old-password-1")
    reply = client.put(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": "old-password-1", "new_password": "new-password-2"},
    )
    assert reply.status_code == 204, reply.text
    # Every session of the user ended, the one used for the change included.
    assert_unauthenticated(client.get("/api/v1/me", headers=headers), "token_invalid")
    assert_unauthenticated(client.get("/api/v1/me", headers=other_session), "token_invalid")
    assert token_hashes(hub, user_id) == []
    old = client.post(TOKEN_URL, data={"username": "petro", "password": "old-password-1"})
    assert_unauthenticated(old, "bad_credentials")
    new_headers = login(client, "petro", "new-password-2")
    assert client.get("/api/v1/me", headers=new_headers).json()["id"] == user_id


def test_change_password_with_wrong_current_password(
    client: TestClient, hub: Hub, make_user: UserFactory
) -> None:
    user_id, headers = make_user("ivan", password="old-password-1")
    hash_before = user_row(hub, "ivan").password_hash
    reply = client.put(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": "not-my-password", "new_password": "new-password-2"},
    )
    error = error_of(reply, 422, "wrong_current_password")
    assert error["fields"][0]["field"] == "current_password"
    assert user_row(hub, "ivan").password_hash == hash_before
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    login(client, "ivan", "old-password-1")
    assert len(token_hashes(hub, user_id)) == 2


def test_change_password_too_short(client: TestClient, hub: Hub, make_user: UserFactory) -> None:
    _, headers = make_user("oksana", password="old-password-1")
    hash_before = user_row(hub, "oksana").password_hash
    reply = client.put(
        "/api/v1/me/password",
        headers=headers | {"Accept-Language": "en"},
        json={"current_password": "old-password-1", "new_password": "short"},
    )
    error = error_of(reply, 422, "password_too_short")
    assert error["fields"][0]["field"] == "new_password"
    assert "8" in error["message"]
    assert user_row(hub, "oksana").password_hash == hash_before
    assert client.get("/api/v1/me", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"current_password": "old-password-1"},
        {"current_password": "old-password-1", "new_password": "x" * 300},
        {"current_password": "old-password-1", "new_password": "new-password-2", "extra": 1},
    ],
)
def test_change_password_malformed_body(
    client: TestClient, hub: Hub, make_user: UserFactory, body: dict[str, Any]
) -> None:
    _, headers = make_user("taras", password="old-password-1")
    hash_before = user_row(hub, "taras").password_hash
    reply = client.put("/api/v1/me/password", headers=headers, json=body)
    error_of(reply, 422, "validation_error")
    assert user_row(hub, "taras").password_hash == hash_before


def test_admin_password_reset_ends_sessions(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("roman", password="old-password-1")
    reply = client.patch(
        f"/api/v1/users/{user_id}", headers=admin_headers, json={"password": "reset-password-3"}
    )
    assert reply.status_code == 200, reply.text
    assert_unauthenticated(client.get("/api/v1/me", headers=headers), "token_invalid")
    login(client, "roman", "reset-password-3")


# --- storage of secrets ------------------------------------------------------------------------


def test_passwords_tokens_and_keys_are_stored_hashed(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("marta", password="marta-password-1")
    token = headers["Authorization"].removeprefix("Bearer ")
    created = client.post(
        f"/api/v1/users/{user_id}/api-keys", headers=headers, json={"name": "ERP"}
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]

    with hub.sessions() as session:
        user = session.scalars(select(User).where(User.id == user_id)).one()
        assert user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
        assert "marta-password-1" not in user.password_hash
        assert hub.hasher.verify(user.password_hash, "marta-password-1")
        assert not hub.hasher.verify(user.password_hash, "marta-password-2")
        admin = users.find_user(session, "admin")
        assert admin is not None and admin.password_hash is not None
        assert admin.password_hash.startswith("$argon2id$")
        assert ADMIN_PASSWORD not in admin.password_hash

        token_rows = list(session.scalars(select(AuthToken).where(AuthToken.user_id == user_id)))
        assert [row.token_hash for row in token_rows] == [sha256(token)]
        key_rows = list(session.scalars(select(ApiKey).where(ApiKey.user_id == user_id)))
        assert [row.key_hash for row in key_rows] == [sha256(key)]
        assert key_rows[0].prefix == key[: len(key_rows[0].prefix)]
        assert len(key_rows[0].prefix) < len(key) - 20
        # No column of any of these rows holds a secret in plain text.
        for row in [user, *token_rows, *key_rows]:
            for column in row.__table__.columns:
                value = str(getattr(row, column.key))
                for secret in ("marta-password-1", token, key):
                    assert secret not in value


def test_salted_hashes_differ_for_one_password(
    client: TestClient, hub: Hub, make_user: UserFactory
) -> None:
    make_user("same1", password="same-password-1")
    make_user("same2", password="same-password-1")
    assert user_row(hub, "same1").password_hash != user_row(hub, "same2").password_hash


# --- API keys ----------------------------------------------------------------------------------


def test_api_key_is_shown_once_and_works(
    client: TestClient, hub: Hub, make_user: UserFactory
) -> None:
    user_id, headers = make_user("integration")
    reply = client.post(f"/api/v1/users/{user_id}/api-keys", headers=headers, json={"name": "ERP"})
    assert reply.status_code == 201, reply.text
    created = reply.json()
    key = created["key"]
    assert key.startswith(API_KEY_PREFIX)
    assert created["name"] == "ERP"
    assert created["revoked_at"] is None
    assert key.startswith(created["prefix"])

    listed = client.get(f"/api/v1/users/{user_id}/api-keys", headers=headers)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [created["id"]]
    assert "key" not in listed.json()[0]
    assert key not in listed.text
    assert listed.json()[0]["prefix"] == created["prefix"]

    for auth in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        me = client.get("/api/v1/me", headers=auth)
        assert me.status_code == 200, me.text
        assert me.json()["id"] == user_id
    # The key keeps working after its user logs out of a session.
    assert client.delete(TOKEN_URL, headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200


def test_api_key_acts_with_its_users_rights(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("bot")
    key = client.post(
        f"/api/v1/users/{user_id}/api-keys", headers=headers, json={"name": "bot"}
    ).json()["key"]
    body = {"username": "made-by-key", "password": "made-password-1"}
    denied = client.post("/api/v1/users", headers={"X-API-Key": key}, json=body)
    assert error_of(denied, 403, "right_missing")["right"] == "user:create"
    client.put(
        f"/api/v1/users/{user_id}/access/documents/user",
        headers=admin_headers,
        json={"create": True},
    )
    allowed = client.post("/api/v1/users", headers={"X-API-Key": key}, json=body)
    assert allowed.status_code == 201, allowed.text


def test_revoked_api_key_is_refused(client: TestClient, hub: Hub, make_user: UserFactory) -> None:
    user_id, headers = make_user("erp")
    first = client.post(f"/api/v1/users/{user_id}/api-keys", headers=headers, json={"name": "a"})
    second = client.post(f"/api/v1/users/{user_id}/api-keys", headers=headers, json={"name": "b"})
    first_key, second_key = first.json()["key"], second.json()["key"]
    assert first_key != second_key

    reply = client.delete(f"/api/v1/users/{user_id}/api-keys/{first.json()['id']}", headers=headers)
    assert reply.status_code == 204, reply.text
    assert_unauthenticated(
        client.get("/api/v1/me", headers={"X-API-Key": first_key}), "token_invalid"
    )
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {first_key}"})
    assert_unauthenticated(refused, "token_invalid")
    assert client.get("/api/v1/me", headers={"X-API-Key": second_key}).status_code == 200

    listed = client.get(f"/api/v1/users/{user_id}/api-keys", headers=headers).json()
    revoked = {row["id"]: row["revoked_at"] for row in listed}
    assert revoked[first.json()["id"]] is not None
    assert revoked[second.json()["id"]] is None
    # Revoking again is harmless; an unknown key is 404.
    again = client.delete(f"/api/v1/users/{user_id}/api-keys/{first.json()['id']}", headers=headers)
    assert again.status_code == 204
    error_of(
        client.delete(f"/api/v1/users/{user_id}/api-keys/999999", headers=headers), 404, "not_found"
    )


def test_api_key_of_disabled_user_is_refused(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("leaver")
    key = client.post(
        f"/api/v1/users/{user_id}/api-keys", headers=headers, json={"name": "k"}
    ).json()["key"]
    assert client.delete(f"/api/v1/users/{user_id}", headers=admin_headers).status_code == 204
    assert_unauthenticated(client.get("/api/v1/me", headers={"X-API-Key": key}), "user_inactive")


def test_only_self_or_admin_manage_api_keys(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    owner_id, owner = make_user("owner")
    _, stranger = make_user("stranger", rights={"user": "cud"})
    key = client.post(
        f"/api/v1/users/{owner_id}/api-keys", headers=owner, json={"name": "k"}
    ).json()

    for reply in (
        client.get(f"/api/v1/users/{owner_id}/api-keys", headers=stranger),
        client.post(f"/api/v1/users/{owner_id}/api-keys", headers=stranger, json={"name": "evil"}),
        client.delete(f"/api/v1/users/{owner_id}/api-keys/{key['id']}", headers=stranger),
    ):
        assert error_of(reply, 403, "admin_required")["right"] == "admin"
    listed = client.get(f"/api/v1/users/{owner_id}/api-keys", headers=owner).json()
    assert [(row["id"], row["revoked_at"]) for row in listed] == [(key["id"], None)]
    assert client.get("/api/v1/me", headers={"X-API-Key": key["key"]}).status_code == 200

    # A key cannot be revoked through another user's address either.
    stranger_id = client.get("/api/v1/me", headers=stranger).json()["id"]
    wrong_owner = client.delete(
        f"/api/v1/users/{stranger_id}/api-keys/{key['id']}", headers=stranger
    )
    error_of(wrong_owner, 404, "not_found")
    assert client.get("/api/v1/me", headers={"X-API-Key": key["key"]}).status_code == 200

    # An administrator may manage anyone's keys.
    assert (
        client.get(f"/api/v1/users/{owner_id}/api-keys", headers=admin_headers).status_code == 200
    )
    made = client.post(
        f"/api/v1/users/{owner_id}/api-keys", headers=admin_headers, json={"name": "a"}
    )
    assert made.status_code == 201
    assert (
        client.get("/api/v1/me", headers={"X-API-Key": made.json()["key"]}).json()["id"] == owner_id
    )
    reply = client.delete(f"/api/v1/users/{owner_id}/api-keys/{key['id']}", headers=admin_headers)
    assert reply.status_code == 204
    assert client.get("/api/v1/me", headers={"X-API-Key": key["key"]}).status_code == 401


def test_api_key_name_is_validated(client: TestClient, make_user: UserFactory) -> None:
    user_id, headers = make_user("named")
    for body in ({}, {"name": ""}, {"name": "x" * 201}, {"name": "ok", "extra": True}):
        reply = client.post(f"/api/v1/users/{user_id}/api-keys", headers=headers, json=body)
        error_of(reply, 422, "validation_error")
    assert client.get(f"/api/v1/users/{user_id}/api-keys", headers=headers).json() == []


# --- the first administrator -------------------------------------------------------------------


def _settings(url: str, data_dir: Path, password: str | None) -> Settings:
    return Settings(
        database_url=url,
        data_dir=data_dir,
        admin_password=SecretStr(password) if password is not None else None,
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
    )


def _admin_count(hub: Hub) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(User).where(User.is_admin)) or 0)


def test_first_start_with_configured_admin_password(empty_db_url: str, tmp_path: Path) -> None:
    messages: list[str] = []
    hub = build_hub(make_settings(empty_db_url, tmp_path))
    try:
        prepare_database(hub, announce=messages.append)
        assert messages == []
        with TestClient(create_app(hub), raise_server_exceptions=False) as client:
            headers = login(client, "admin", ADMIN_PASSWORD)
            me = client.get("/api/v1/me", headers=headers).json()
            assert me["is_admin"] is True
            assert me["is_active"] is True
        prepare_database(hub, announce=messages.append)
        assert messages == []
        assert _admin_count(hub) == 1
    finally:
        hub.close()


def test_first_start_generates_and_announces_a_password_once(
    empty_db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    messages: list[str] = []
    hub = build_hub(_settings(empty_db_url, tmp_path, None))
    try:
        with caplog.at_level(logging.DEBUG):
            prepare_database(hub, announce=messages.append)
        assert len(messages) == 1
        generated = messages[0]
        assert len(generated) >= 12
        # The secret goes to ``announce`` only, never to the log.
        assert generated not in caplog.text
        with TestClient(create_app(hub), raise_server_exceptions=False) as client:
            headers = login(client, "admin", generated)
            assert client.get("/api/v1/me", headers=headers).json()["username"] == "admin"
            refused = client.post(TOKEN_URL, data={"username": "admin", "password": ""})
            assert refused.status_code == 422
        with hub.sessions() as session:
            admin = users.find_user(session, "admin")
            assert admin is not None and admin.password_hash is not None
            assert generated not in admin.password_hash
            hash_before = admin.password_hash

        # A second start neither creates another administrator nor shows a password again.
        prepare_database(hub, announce=messages.append)
        assert len(messages) == 1
        assert _admin_count(hub) == 1
        assert user_row(hub, "admin").password_hash == hash_before
    finally:
        hub.close()


def test_generated_passwords_differ_between_installations(tmp_path: Path) -> None:
    passwords: list[str] = []
    for name in ("one", "two"):
        messages: list[str] = []
        hub = build_hub(_settings(f"sqlite:///{tmp_path / name}.db", tmp_path, None))
        try:
            prepare_database(hub, announce=messages.append)
        finally:
            hub.close()
        assert len(messages) == 1
        passwords.append(messages[0])
    assert passwords[0] != passwords[1]


def test_configured_admin_password_that_is_too_short_stops_start(
    empty_db_url: str, tmp_path: Path
) -> None:
    messages: list[str] = []
    hub = build_hub(_settings(empty_db_url, tmp_path, "short"))
    try:
        with pytest.raises(ConfigError, match="admin_password"):
            prepare_database(hub, announce=messages.append)
        assert messages == []
        assert _admin_count(hub) == 0
    finally:
        hub.close()


def test_no_default_password(empty_db_url: str, tmp_path: Path) -> None:
    messages: list[str] = []
    hub = build_hub(_settings(empty_db_url, tmp_path, None))
    try:
        prepare_database(hub, announce=messages.append)
        with TestClient(create_app(hub), raise_server_exceptions=False) as client:
            for guess in ("admin", "password", "", "cherga", "12345678", ADMIN_PASSWORD):
                reply = client.post(TOKEN_URL, data={"username": "admin", "password": guess})
                assert reply.status_code in (401, 422), guess
    finally:
        hub.close()


def test_hasher_runs_at_most_parallel_hashes_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each Argon2 hash holds 64 MiB and lets go of the interpreter lock: a rush of logins waits
    its turn (same answers) instead of taking a 1 GB Pi's memory all at once."""
    lock = threading.Lock()
    running, peak = [0], [0]

    class Counting:
        def __init__(self, **_options: Any) -> None:
            pass

        def verify(self, password_hash: str, password: str) -> bool:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1
            return password == "right-password"

        def hash(self, password: str) -> str:
            self.verify("", password)
            return "hashed"

    monkeypatch.setattr(security, "PasswordHasher", Counting)
    hasher = Hasher(parallel=2)
    answers: list[bool] = []
    calls = [("stored", "right-password")] * 4 + [("stored", "wrong-password")] * 3 + [(None, "x")]
    threads = [
        threading.Thread(target=lambda h=h, p=p: answers.append(hasher.verify(h, p)))
        for h, p in calls
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(answers) == [False] * 4 + [True] * 4
    assert peak[0] == 2
    with pytest.raises(ValueError, match="parallel"):
        Hasher(parallel=0)
