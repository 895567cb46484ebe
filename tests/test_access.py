"""Access control (ACC-1..ACC-6): rights per document and journal, tabs, full access, 401, 403."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.errors import AccessDenied
from hub.i18n import translate
from hub.services.access import rights as access
from hub.services.access.rights import (
    AccessProfile,
    Action,
    DocType,
    Rights,
    SettingsTab,
    require,
    require_admin,
    require_settings_change,
    require_tab,
    require_task_status_change,
)
from hub.services.access.users import get_user
from tests.conftest import UserFactory

USERS = "/api/v1/users"
JOURNALS = "/api/v1/journals"
EVENT_TYPES = "/api/v1/event-types"
BOOKS = ("event-types", "history-groups", "task-statuses", "user-statuses", "journals")
BOOK_TABS = {
    "event-types": "references.event_types",
    "history-groups": "references.history_groups",
    "task-statuses": "references.task_statuses",
    "user-statuses": "references.user_statuses",
    "journals": "references.journals",
}


def error_of(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error object of a reply, after checking its status and code."""
    assert reply.status_code == status, reply.text
    error: dict[str, Any] = reply.json()["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    return error


def denied(reply: httpx.Response, right: str) -> dict[str, Any]:
    """A 403 naming ``right``."""
    assert reply.status_code == 403, reply.text
    error: dict[str, Any] = reply.json()["error"]
    assert error["right"] == right, error
    assert error["message"]
    return error


def profile(**fields: Any) -> AccessProfile:
    return AccessProfile(user_id=7, username="tester", **fields)


def load(hub: Hub, user_id: int) -> AccessProfile:
    with hub.sessions() as session:
        return access.load_profile(session, get_user(session, user_id))


def make_journal(client: TestClient, headers: dict[str, str], code: str) -> dict[str, Any]:
    reply = client.post(
        JOURNALS, headers=headers, json={"code": code, "name_uk": f"Журнал {code}", "name_en": code}
    )
    assert reply.status_code == 201, reply.text
    result: dict[str, Any] = reply.json()
    return result


def users_snapshot(client: TestClient, admin_headers: dict[str, str]) -> Any:
    return client.get(USERS, headers=admin_headers).json()


def access_of(client: TestClient, admin_headers: dict[str, str], user_id: int) -> dict[str, Any]:
    reply = client.get(f"{USERS}/{user_id}/access", headers=admin_headers)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def is_public(path: str) -> bool:
    """The booking form's JSON API (issue 8) is for anonymous visitors: rate-limited, tested in
    test_web_pages, and never a way into the staff API."""
    return path.startswith("/api/v1/public/")


def api_operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) the app serves under /api/v1.

    ``app.routes`` holds included routers unflattened (FastAPI >= 0.137), so the route table is
    walked with ``iter_route_contexts`` and cross-checked with the OpenAPI schema, so that this
    never quietly shrinks to nothing.
    """
    # path_format: a template as documented, without the ":int" that makes ids match digits only.
    served = {
        (method, str(route.path_format))
        for route in iter_route_contexts(app.routes)
        if route.path_format and route.path_format.startswith("/api/v1")
        for method in route.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/v1")
        for method in item
    }
    assert served == documented
    assert len(served) >= 30
    return sorted(served)


def concrete(path: str, user_id: int = 1) -> str:
    """A path template with its parameters filled in."""
    path = path.replace("{user_id}", str(user_id)).replace("{doc_type}", "user")
    path = path.replace("{kind}", "clients")
    return re.sub(r"\{[^}]+\}", "1", path)


# --- the pure checks, without a database ------------------------------------------------------


def test_nobody_may_do_anything_by_default() -> None:
    nobody = profile()
    for doc_type in DocType:
        for action in Action:
            assert not nobody.can(action, doc_type)
            with pytest.raises(AccessDenied) as caught:
                require(nobody, action, doc_type)
            assert caught.value.code == "right_missing"
            assert caught.value.params["right"] == f"{doc_type.value}:{action.value}"
            assert caught.value.status == 403


def test_rights_are_per_document_type_and_action() -> None:
    user = profile(
        doc_rights={"project": Rights(create=True, change=True), "task": Rights(delete=True)}
    )
    assert user.can(Action.CREATE, DocType.PROJECT)
    assert user.can(Action.CHANGE, DocType.PROJECT)
    assert not user.can(Action.DELETE, DocType.PROJECT)
    assert user.can(Action.DELETE, DocType.TASK)
    assert not user.can(Action.CREATE, DocType.TASK)
    assert not user.can(Action.CREATE, DocType.CLIENT)
    require(user, Action.CREATE, DocType.PROJECT)
    with pytest.raises(AccessDenied) as caught:
        require(user, Action.DELETE, DocType.PROJECT)
    assert caught.value.params["right"] == "project:delete"


def test_missing_right_message_names_it() -> None:
    with pytest.raises(AccessDenied) as caught:
        require(profile(), Action.DELETE, DocType.CONTRACT)
    params = {k: v for k, v in caught.value.params.items() if k != "right"}
    assert str(caught.value) == "Missing right 'delete' on document type 'contract'."
    assert translate("right_missing", "uk", **params) == (
        "Немає права «видалення» для документа «Договір»."
    )


def test_administrators_and_full_access_pass_everything() -> None:
    for user in (profile(is_admin=True), profile(full_access=True)):
        assert user.unrestricted
        for doc_type in DocType:
            for action in Action:
                assert user.can(action, doc_type)
                assert user.can(action, doc_type, journal_id=99)
                require(user, action, doc_type, journal_id=99)
        restricted_tabs = AccessProfile(
            user_id=1,
            username="x",
            is_admin=user.is_admin,
            full_access=user.full_access,
            visible_tabs=frozenset({"numbering"}),
            deny_task_status_change=True,
        )
        assert restricted_tabs.tabs() == list(SettingsTab)
        require_task_status_change(restricted_tabs)


def test_journal_rights_need_both_the_document_and_the_journal_right() -> None:
    user = profile(
        doc_rights={"event": Rights(create=True, change=True)},
        journal_rights={1: Rights(create=True), 2: Rights(create=True, change=True, delete=True)},
    )
    assert user.can(Action.CREATE, DocType.EVENT, 1)
    assert not user.can(Action.CHANGE, DocType.EVENT, 1)
    assert user.can(Action.CHANGE, DocType.EVENT, 2)
    # The journal allows deleting, the document type does not.
    assert not user.can(Action.DELETE, DocType.EVENT, 2)
    # No rights in journal 3 at all.
    assert not user.can(Action.CREATE, DocType.EVENT, 3)
    # Journal rights alone give nothing on another document type.
    assert not user.can(Action.CREATE, DocType.TASK, 2)

    require(user, Action.CREATE, DocType.EVENT, journal_id=1)
    with pytest.raises(AccessDenied) as caught:
        require(user, Action.CHANGE, DocType.EVENT, journal_id=1, journal_name="Вхідні")
    assert caught.value.code == "journal_right_missing"
    assert caught.value.params["right"] == "journal:1:change"
    assert "Вхідні" in str(caught.value)
    with pytest.raises(AccessDenied) as caught:
        require(user, Action.DELETE, DocType.EVENT, journal_id=2)
    assert caught.value.params["right"] == "event:delete"


def test_no_marked_tabs_means_every_tab() -> None:
    assert profile().tabs() == list(SettingsTab)
    for tab in SettingsTab:
        assert profile().sees_tab(tab)
        require_tab(profile(), tab)


def test_marked_tabs_are_the_only_visible_ones() -> None:
    user = profile(visible_tabs=frozenset({"references.journals", "numbering"}))
    assert user.tabs() == [SettingsTab.JOURNALS, SettingsTab.NUMBERING]
    require_tab(user, SettingsTab.JOURNALS)
    with pytest.raises(AccessDenied) as caught:
        require_tab(user, SettingsTab.EVENT_TYPES, "en")
    assert caught.value.code == "settings_tab_hidden"
    assert caught.value.params["right"] == "tab:references.event_types"
    assert caught.value.params["tab"] == "References / Event types"
    with pytest.raises(AccessDenied) as caught:
        require_tab(user, SettingsTab.EVENT_TYPES, "uk")
    assert caught.value.params["tab"] == "Довідники / Типи подій"


def test_settings_change_needs_the_tab_and_the_right() -> None:
    hidden = profile(
        doc_rights={"settings": Rights(True, True, True)}, visible_tabs=frozenset({"numbering"})
    )
    with pytest.raises(AccessDenied) as caught:
        require_settings_change(hidden, SettingsTab.EVENT_TYPES, Action.CHANGE, "uk")
    assert caught.value.params["right"] == "tab:references.event_types"
    require_settings_change(hidden, SettingsTab.NUMBERING, Action.DELETE, "uk")

    visible = profile(doc_rights={"settings": Rights(create=True)})
    require_settings_change(visible, SettingsTab.EVENT_TYPES, Action.CREATE, "uk")
    with pytest.raises(AccessDenied) as caught:
        require_settings_change(visible, SettingsTab.EVENT_TYPES, Action.CHANGE, "uk")
    assert caught.value.params["right"] == "settings:change"


def test_task_status_prohibition_pure() -> None:
    require_task_status_change(profile())
    with pytest.raises(AccessDenied) as caught:
        require_task_status_change(profile(deny_task_status_change=True))
    assert caught.value.code == "task_status_change_denied"
    assert caught.value.params["right"] == "task:status"
    # Even with every task right the prohibition holds.
    rights = {"task": Rights(True, True, True)}
    with pytest.raises(AccessDenied):
        require_task_status_change(profile(deny_task_status_change=True, doc_rights=rights))


def test_require_admin_pure() -> None:
    require_admin(profile(is_admin=True))
    for user in (profile(), profile(full_access=True)):
        with pytest.raises(AccessDenied) as caught:
            require_admin(user)
        assert caught.value.params["right"] == "admin"


def test_rights_allows() -> None:
    assert Rights(create=True).allows(Action.CREATE)
    assert not Rights(create=True).allows(Action.CHANGE)
    assert not Rights().allows(Action.DELETE)
    assert Rights(True, True, True).allows(Action.DELETE)


# --- ACC-1: user rights over HTTP --------------------------------------------------------------


def test_user_create_right(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    _, without = make_user("without", rights={"user": "ud"}, lang="en")
    _, with_right = make_user("withright", rights={"user": "c"})
    before = users_snapshot(client, admin_headers)
    body = {"username": "newbie", "password": "newbie-password"}
    error = denied(client.post(USERS, headers=without, json=body), "user:create")
    assert error["code"] == "right_missing"
    assert error["message"] == "Missing right 'create' on document type 'user'."
    assert users_snapshot(client, admin_headers) == before

    reply = client.post(USERS, headers=with_right, json=body)
    assert reply.status_code == 201, reply.text


def test_user_change_right(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    target_id, _ = make_user("target")
    _, without = make_user("without", rights={"user": "cd"})
    _, with_right = make_user("withright", rights={"user": "u"})
    before = users_snapshot(client, admin_headers)
    for body in ({"lang": "en"}, {"password": "changed-password"}, {"crm_access": False}):
        error = denied(
            client.patch(f"{USERS}/{target_id}", headers=without, json=body), "user:change"
        )
        assert error["message"] == "Немає права «зміна» для документа «Користувач»."
    assert users_snapshot(client, admin_headers) == before
    client.post("/api/v1/auth/token", data={"username": "target", "password": "user-password-1"})

    reply = client.patch(f"{USERS}/{target_id}", headers=with_right, json={"lang": "en"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["lang"] == "en"


def test_user_delete_right(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    target_id, target = make_user("target")
    _, without = make_user("without", rights={"user": "cu"})
    _, with_right = make_user("withright", rights={"user": "d"})
    before = users_snapshot(client, admin_headers)
    denied(client.delete(f"{USERS}/{target_id}", headers=without), "user:delete")
    assert users_snapshot(client, admin_headers) == before
    assert client.get("/api/v1/me", headers=target).status_code == 200

    assert client.delete(f"{USERS}/{target_id}", headers=with_right).status_code == 204
    assert client.get(f"{USERS}/{target_id}", headers=admin_headers).json()["is_active"] is False


def test_rights_are_read_fresh_on_every_request(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("fresh", rights={"user": "c"})
    body = {"username": "first", "password": "first-password"}
    assert client.post(USERS, headers=headers, json=body).status_code == 201
    client.put(
        f"{USERS}/{user_id}/access/documents/user", headers=admin_headers, json={"create": False}
    )
    body = {"username": "second", "password": "second-password"}
    denied(client.post(USERS, headers=headers, json=body), "user:create")


# --- ACC-1: settings rights on the reference books ---------------------------------------------


@pytest.mark.parametrize("book", BOOKS)
def test_settings_rights_on_reference_books(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory, book: str
) -> None:
    url = f"/api/v1/{book}"
    entry = client.post(
        url, headers=admin_headers, json={"code": "mine", "name_uk": "Моє", "name_en": "Mine"}
    ).json()
    _, nobody = make_user("nobody")
    _, creator = make_user("creator", rights={"settings": "c"})
    _, changer = make_user("changer", rights={"settings": "u"})
    _, deleter = make_user("deleter", rights={"settings": "d"})
    before = client.get(url, headers=admin_headers).json()
    new = {"code": "other", "name_uk": "Інше", "name_en": "Other"}

    for headers in (nobody, changer, deleter):
        denied(client.post(url, headers=headers, json=new), "settings:create")
    for headers in (nobody, creator, deleter):
        denied(
            client.patch(f"{url}/{entry['id']}", headers=headers, json={"name_en": "Changed"}),
            "settings:change",
        )
    for headers in (nobody, creator, changer):
        denied(client.delete(f"{url}/{entry['id']}", headers=headers), "settings:delete")
    assert client.get(url, headers=admin_headers).json() == before

    assert client.post(url, headers=creator, json=new).status_code == 201
    reply = client.patch(f"{url}/{entry['id']}", headers=changer, json={"name_en": "Changed"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["name_en"] == "Changed"
    assert client.delete(f"{url}/{entry['id']}", headers=deleter).status_code == 204
    error_of(client.get(f"{url}/{entry['id']}", headers=admin_headers), 404, "not_found")


def test_settings_rights_on_global_parameters(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    _, nobody = make_user("nobody", rights={"settings": "cd"})
    _, hidden = make_user("hidden", rights={"settings": "u"}, tabs=["references.journals"])
    _, allowed = make_user("allowed", rights={"settings": "u"}, tabs=["parameters.settings"])
    before = client.get("/api/v1/parameters", headers=admin_headers).json()
    body = {"queue_create_task_on_save": not before["queue_create_task_on_save"]}
    denied(client.patch("/api/v1/parameters", headers=nobody, json=body), "settings:change")
    denied(client.patch("/api/v1/parameters", headers=hidden, json=body), "tab:parameters.settings")
    assert client.get("/api/v1/parameters", headers=admin_headers).json() == before
    reply = client.patch("/api/v1/parameters", headers=allowed, json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["queue_create_task_on_save"] is body["queue_create_task_on_save"]


def test_every_changing_route_is_guarded(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    """A user with CRM access but no rights is refused by every route that changes something.

    Only the caller's own session, language and password are theirs to change.
    """
    _, nobody = make_user("nobody")
    the_admin = client.get("/api/v1/me", headers=admin_headers).json()["id"]
    self_service = {
        ("DELETE", "/api/v1/auth/token"),
        ("POST", "/api/v1/auth/token"),
        ("PATCH", "/api/v1/me"),
        ("PUT", "/api/v1/me/password"),
        # One's own operator status (break, offline...); "free" takes a task, checked inside.
        ("PUT", "/api/v1/queue/operators/me/status"),
        # The discussion (PRJ-6) is open to every CRM user; only one's own message may be deleted.
        ("POST", "/api/v1/projects/{project_id}/messages"),
        ("POST", "/api/v1/tasks/{task_id}/messages"),
        ("DELETE", "/api/v1/messages/{message_id}"),
        # Dialling rings one's own phone (PH-6); another's needs admin (tested in test_calls_api).
        ("POST", "/api/v1/calls/dial"),
        # One's own reminders (TSK-7); another's answers 404 (tested in test_my_work).
        ("POST", "/api/v1/tasks/mine/reminders/{reminder_id}/dismiss"),
        ("POST", "/api/v1/tasks/mine/reminders/{reminder_id}/snooze"),
        # One's own mailbox (its password, fetching it now) and one's own notifications (EVT-7,
        # SET-8); the office's mail settings need the settings right (tested in test_mail_*).
        ("POST", "/api/v1/mail/fetch"),
        ("PUT", "/api/v1/mail/mailbox-password"),
        ("POST", "/api/v1/mail/notifications/read"),
    }
    before = users_snapshot(client, admin_headers)
    checked = 0
    unguarded = []
    for method, path in api_operations(client.app):  # type: ignore[arg-type]
        if method == "GET" or (method, path) in self_service or is_public(path):
            continue
        reply = client.request(method, concrete(path, the_admin), headers=nobody)
        if reply.status_code != 403 or not reply.json()["error"].get("right"):
            unguarded.append(f"{method} {path}: {reply.status_code} {reply.text[:120]}")
        checked += 1
    assert not unguarded, "\n".join(unguarded)
    assert checked >= 20
    assert users_snapshot(client, admin_headers) == before


# --- ACC-4: settings tabs ----------------------------------------------------------------------


def test_hidden_tab_refuses_changes_even_with_settings_rights(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    _, headers = make_user("journalist", rights={"settings": "cud"}, tabs=["references.journals"])
    event_type = client.post(
        EVENT_TYPES,
        headers=admin_headers,
        json={"code": "mine", "name_uk": "Моя", "name_en": "Mine"},
    ).json()
    before = client.get(EVENT_TYPES, headers=admin_headers).json()

    new = {"code": "sneaky", "name_uk": "Хитрий", "name_en": "Sneaky"}
    for reply in (
        client.post(EVENT_TYPES, headers=headers, json=new),
        client.patch(f"{EVENT_TYPES}/{event_type['id']}", headers=headers, json={"name_en": "X"}),
        client.delete(f"{EVENT_TYPES}/{event_type['id']}", headers=headers),
    ):
        error = denied(reply, "tab:references.event_types")
        assert error["code"] == "settings_tab_hidden"
        assert "Довідники / Типи подій" in error["message"]
    assert client.get(EVENT_TYPES, headers=admin_headers).json() == before
    # Reading the book is not a settings change.
    assert client.get(EVENT_TYPES, headers=headers).status_code == 200

    # The visible tab works.
    journal = make_journal(client, headers, "mine")
    reply = client.patch(f"{JOURNALS}/{journal['id']}", headers=headers, json={"name_en": "Mine 2"})
    assert reply.status_code == 200, reply.text
    assert client.delete(f"{JOURNALS}/{journal['id']}", headers=headers).status_code == 204


def test_hidden_tab_message_in_english(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    _, headers = make_user("english", rights={"settings": "cud"}, tabs=["numbering"], lang="en")
    reply = client.post(
        "/api/v1/task-statuses", headers=headers, json={"code": "x", "name_uk": "X", "name_en": "X"}
    )
    error = denied(reply, "tab:references.task_statuses")
    assert (
        error["message"] == "The settings tab 'References / Task statuses' is not available to you."
    )


def test_me_shows_effective_tabs(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    all_tabs = [tab.value for tab in SettingsTab]
    user_id, headers = make_user("tabby")
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["access"]["visible_tabs"] == []
    assert me["access"]["effective_tabs"] == all_tabs

    reply = client.put(
        f"{USERS}/{user_id}/access/settings-tabs",
        headers=admin_headers,
        json={"tabs": ["references.journals", "numbering", "references.journals"]},
    )
    assert reply.status_code == 200, reply.text
    assert sorted(reply.json()["visible_tabs"]) == ["numbering", "references.journals"]
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["access"]["effective_tabs"] == ["references.journals", "numbering"]

    # No tabs marked: every tab again.
    reply = client.put(
        f"{USERS}/{user_id}/access/settings-tabs", headers=admin_headers, json={"tabs": []}
    )
    assert reply.json()["visible_tabs"] == []
    assert client.get("/api/v1/me", headers=headers).json()["access"]["effective_tabs"] == all_tabs

    # An administrator sees every tab even when some are marked.
    admin_me = client.get("/api/v1/me", headers=admin_headers).json()
    assert admin_me["access"]["effective_tabs"] == all_tabs


def test_unknown_tab_is_refused(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, _ = make_user("tabby", tabs=["numbering"])
    bodies: list[dict[str, Any]] = [
        {"tabs": ["references.nothing"]},
        {"tabs": "numbering"},
        {"tab": []},
    ]
    for body in bodies:
        reply = client.put(
            f"{USERS}/{user_id}/access/settings-tabs", headers=admin_headers, json=body
        )
        error_of(reply, 422, "validation_error")
    assert access_of(client, admin_headers, user_id)["visible_tabs"] == ["numbering"]


# --- ACC-3: prohibit changing a task's status --------------------------------------------------


def test_task_status_prohibition(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("worker", rights={"task": "cud"})
    require_task_status_change(load(hub, user_id))
    url = f"{USERS}/{user_id}/access/task-status-prohibition"

    reply = client.put(url, headers=admin_headers, json={"prohibited": True})
    assert reply.status_code == 200, reply.text
    assert reply.json()["deny_task_status_change"] is True
    assert client.get(f"{USERS}/{user_id}", headers=admin_headers).json()["deny_task_status_change"]
    assert client.get("/api/v1/me", headers=headers).json()["access"]["deny_task_status_change"]
    with pytest.raises(AccessDenied) as caught:
        require_task_status_change(load(hub, user_id))
    assert caught.value.params["right"] == "task:status"
    # The other task rights stay.
    assert load(hub, user_id).can(Action.CHANGE, DocType.TASK)

    reply = client.put(url, headers=admin_headers, json={"prohibited": False})
    assert reply.json()["deny_task_status_change"] is False
    require_task_status_change(load(hub, user_id))

    for body in ({}, {"prohibited": "sometimes"}, {"prohibited": True, "why": "x"}):
        error_of(client.put(url, headers=admin_headers, json=body), 422, "validation_error")
    assert access_of(client, admin_headers, user_id)["deny_task_status_change"] is False


# --- ACC-5: full access ------------------------------------------------------------------------


def test_grant_and_revoke_full_access(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    journal = make_journal(client, admin_headers, "sales")
    user_id, headers = make_user("rising", rights={"user": "c"}, tabs=["numbering"])
    client.put(
        f"{USERS}/{user_id}/access/journals/{journal['id']}",
        headers=admin_headers,
        json={"create": True},
    )
    new_journal = {"code": "new", "name_uk": "Новий", "name_en": "New"}
    denied(client.post(JOURNALS, headers=headers, json=new_journal), "tab:references.journals")

    reply = client.post(f"{USERS}/{user_id}/access/full", headers=admin_headers)
    assert reply.status_code == 200, reply.text
    assert reply.json()["full_access"] is True
    assert reply.json()["effective_tabs"] == [tab.value for tab in SettingsTab]
    granted = load(hub, user_id)
    for doc_type in DocType:
        for action in Action:
            assert granted.can(action, doc_type, journal["id"])
    # Now the user may do everything a document right covers...
    made = client.post(JOURNALS, headers=headers, json=new_journal)
    assert made.status_code == 201, made.text
    assert client.delete(f"{JOURNALS}/{made.json()['id']}", headers=headers).status_code == 204
    reply = client.post(
        USERS, headers=headers, json={"username": "hired", "password": "hired-pass1"}
    )
    assert reply.status_code == 201
    assert client.delete(f"{USERS}/{reply.json()['id']}", headers=headers).status_code == 204
    # ...but managing rights stays with administrators.
    denied(client.post(f"{USERS}/{user_id}/access/full", headers=headers), "admin")

    reply = client.delete(f"{USERS}/{user_id}/access/full", headers=admin_headers)
    assert reply.status_code == 200, reply.text
    revoked = reply.json()
    assert revoked["full_access"] is False
    assert revoked["documents"] == {}
    assert revoked["journals"] == {}
    assert revoked["effective_tabs"] == ["numbering"]
    profile_after = load(hub, user_id)
    assert not profile_after.unrestricted
    for doc_type in DocType:
        for action in Action:
            assert not profile_after.can(action, doc_type)
    denied(
        client.post(USERS, headers=headers, json={"username": "late", "password": "late-pass-1"}),
        "user:create",
    )
    assert client.get(f"{USERS}/{user_id}", headers=admin_headers).json()["full_access"] is False


def test_full_access_opens_the_crm(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("outside", crm_access=False)
    error_of(client.get(USERS, headers=headers), 403, "no_crm_access")
    reply = client.post(f"{USERS}/{user_id}/access/full", headers=admin_headers)
    assert reply.json()["crm_access"] is True
    assert client.get(USERS, headers=headers).status_code == 200


def test_full_access_of_unknown_user(client: TestClient, admin_headers: dict[str, str]) -> None:
    error_of(client.post(f"{USERS}/99999/access/full", headers=admin_headers), 404, "not_found")
    error_of(client.delete(f"{USERS}/99999/access/full", headers=admin_headers), 404, "not_found")


# --- ACC-2: rights per journal -----------------------------------------------------------------


def test_journal_rights(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    inbox = make_journal(client, admin_headers, "inbox")
    archive = make_journal(client, admin_headers, "archive")
    user_id, _ = make_user("clerk", rights={"event": "cu"})
    url = f"{USERS}/{user_id}/access/journals"

    reply = client.put(
        f"{url}/{inbox['id']}", headers=admin_headers, json={"create": True, "change": True}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["journals"] == {
        str(inbox["id"]): {"create": True, "change": True, "delete": False}
    }
    clerk = load(hub, user_id)
    assert clerk.can(Action.CREATE, DocType.EVENT, inbox["id"])
    assert clerk.can(Action.CHANGE, DocType.EVENT, inbox["id"])
    assert not clerk.can(Action.DELETE, DocType.EVENT, inbox["id"])
    assert not clerk.can(Action.CREATE, DocType.EVENT, archive["id"])
    with pytest.raises(AccessDenied) as caught:
        require(clerk, Action.CREATE, DocType.EVENT, journal_id=archive["id"])
    assert caught.value.params["right"] == f"journal:{archive['id']}:create"

    # Setting again replaces the rights.
    reply = client.put(f"{url}/{inbox['id']}", headers=admin_headers, json={"delete": True})
    assert reply.json()["journals"][str(inbox["id"])] == {
        "create": False,
        "change": False,
        "delete": True,
    }
    assert not load(hub, user_id).can(Action.CREATE, DocType.EVENT, inbox["id"])

    error_of(
        client.put(f"{url}/99999", headers=admin_headers, json={"create": True}), 404, "not_found"
    )
    error_of(
        client.put(f"{url}/{inbox['id']}", headers=admin_headers, json={"read": True}),
        422,
        "validation_error",
    )
    assert list(access_of(client, admin_headers, user_id)["journals"]) == [str(inbox["id"])]

    # Deleting a journal takes its rights with it.
    assert client.delete(f"{JOURNALS}/{inbox['id']}", headers=admin_headers).status_code == 204
    assert access_of(client, admin_headers, user_id)["journals"] == {}


def test_document_rights_endpoint(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, _ = make_user("documented")
    url = f"{USERS}/{user_id}/access/documents"
    reply = client.put(
        f"{url}/contract", headers=admin_headers, json={"create": True, "delete": True}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["documents"] == {
        "contract": {"create": True, "change": False, "delete": True}
    }
    assert load(hub, user_id).can(Action.DELETE, DocType.CONTRACT)
    error_of(
        client.put(f"{url}/spaceship", headers=admin_headers, json={}), 422, "validation_error"
    )
    error_of(
        client.put(f"{url}/contract", headers=admin_headers, json={"create": "yes please"}),
        422,
        "validation_error",
    )
    error_of(
        client.put(f"{USERS}/99999/access/documents/task", headers=admin_headers, json={}),
        404,
        "not_found",
    )
    assert access_of(client, admin_headers, user_id)["documents"] == {
        "contract": {"create": True, "change": False, "delete": True}
    }


def test_catalog_lists_rights(client: TestClient, make_user: UserFactory) -> None:
    _, headers = make_user("curious")
    catalog = client.get("/api/v1/access/catalog", headers=headers).json()
    assert {doc["code"] for doc in catalog["document_types"]} == {doc.value for doc in DocType}
    assert catalog["actions"] == ["create", "change", "delete"]
    tabs = {tab["code"]: tab for tab in catalog["settings_tabs"]}
    assert set(tabs) == {tab.value for tab in SettingsTab}
    assert tabs["references.event_types"]["name_uk"] == "Довідники / Типи подій"


# --- only administrators manage rights ---------------------------------------------------------


def test_only_admins_manage_rights(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    journal = make_journal(client, admin_headers, "secret")
    target_id, _ = make_user("target")
    manager_id, manager = make_user("manager", rights={"user": "cud", "settings": "cud"})
    full_id, full = make_user("full")
    client.post(f"{USERS}/{full_id}/access/full", headers=admin_headers)
    snapshot = {
        uid: access_of(client, admin_headers, uid) for uid in (target_id, manager_id, full_id)
    }

    for headers in (manager, full):
        for user_id in (target_id, manager_id, full_id):
            base = f"{USERS}/{user_id}/access"
            for reply in (
                client.put(f"{base}/documents/user", headers=headers, json={"create": True}),
                client.put(
                    f"{base}/journals/{journal['id']}", headers=headers, json={"create": True}
                ),
                client.put(f"{base}/settings-tabs", headers=headers, json={"tabs": ["numbering"]}),
                client.put(
                    f"{base}/task-status-prohibition", headers=headers, json={"prohibited": True}
                ),
                client.post(f"{base}/full", headers=headers),
                client.delete(f"{base}/full", headers=headers),
            ):
                error = error_of(reply, 403, "admin_required")
                assert error["right"] == "admin"
    after = {uid: access_of(client, admin_headers, uid) for uid in (target_id, manager_id, full_id)}
    assert after == snapshot


def test_reading_rights(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user_id, headers = make_user("reader", rights={"project": "c"})
    other_id, _ = make_user("other")
    own = client.get(f"{USERS}/{user_id}/access", headers=headers)
    assert own.status_code == 200
    assert own.json()["documents"] == {
        "project": {"create": True, "change": False, "delete": False}
    }
    assert own.json() == client.get("/api/v1/me", headers=headers).json()["access"]
    denied(client.get(f"{USERS}/{other_id}/access", headers=headers), "admin")
    assert client.get(f"{USERS}/{other_id}/access", headers=admin_headers).status_code == 200


# --- authentication on every route -------------------------------------------------------------


def test_every_api_route_needs_credentials(client: TestClient) -> None:
    checked: list[str] = []
    for method, path in api_operations(client.app):  # type: ignore[arg-type]
        if (method, path) == ("POST", "/api/v1/auth/token"):
            continue
        if is_public(path):
            assert method in {"GET", "POST"}, f"{method} {path}"
            continue
        for headers in ({}, {"Authorization": "Bearer nonsense"}, {"X-API-Key": "chk_nonsense"}):
            reply = client.request(method, concrete(path), headers=headers)
            assert reply.status_code == 401, f"{method} {path} {headers}: {reply.text}"
            assert reply.headers["www-authenticate"] == "Bearer"
            assert reply.json()["error"]["code"] in {"not_authenticated", "token_invalid"}
        checked.append(f"{method} {path}")
    assert "GET /api/v1/me" in checked
    assert "POST /api/v1/users" in checked
    assert "DELETE /api/v1/auth/token" in checked
    assert "PUT /api/v1/users/{user_id}/access/journals/{journal_id}" in checked
    assert len(checked) >= 30


def test_token_endpoint_needs_no_credentials(client: TestClient) -> None:
    reply = client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "bad_credentials"
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200
