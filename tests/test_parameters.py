"""Global parameters (SET-8, SET-10..SET-12): typed, validated, persistent, guarded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub, build_hub
from hub.config import Settings
from hub.db.engine import transaction
from hub.db.models import GlobalParameter
from tests.conftest import ADMIN_PASSWORD, UserFactory, login

Headers = dict[str, str]
URL = "/api/v1/parameters"

DEFAULTS: dict[str, Any] = {
    "responsible_person_type": "employee",
    "task_notifications": {
        "author": "system",
        "executor": "system",
        "controller": "system",
        "responsible": "system",
    },
    "queue_create_task_on_save": False,
    "queue": {
        "early_checkin_minutes": 30,
        "late_checkin_minutes": 10,
        "late_booking_rule": "walk_in",
        "no_show_after_recalls": 3,
        "no_show_after_seconds": None,
        "running_late_minutes": 15,
        "default_service_minutes": 10,
        "wait_estimate_percent": 50,
        "service_level_alert_percent": 80,
    },
    "mail": {
        "smtp_host": None,
        "smtp_port": 587,
        "smtp_security": "starttls",
        "smtp_login": None,
        "sender": None,
        "incoming_host": None,
        "incoming_port": 993,
        "incoming_protocol": "imap",
        "incoming_tls": True,
        "corporate_login": None,
        "fetch_every_minutes": 5,
        "booking_reminder_hours": 24,
    },
    "audit_tasks_events": True,
    "telephony_load_missed_calls": False,
    "telephony_server_path": None,
    "telephony_min_number_length": 0,
}

NOTIFICATION_FIELDS = ("responsible_person_type", "task_notifications")


def current(client: TestClient, headers: Headers) -> dict[str, Any]:
    reply = client.get(URL, headers=headers)
    assert reply.status_code == 200, reply.text
    params: dict[str, Any] = reply.json()
    return params


def stored_rows(hub: Hub) -> dict[str, Any]:
    with transaction(hub.sessions) as session:
        return {row.key: row.value for row in session.scalars(select(GlobalParameter))}


def error_of(reply: Any) -> dict[str, Any]:
    body = reply.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert error["code"] and error["message"]
    return error


@pytest.fixture
def second_hub(settings: Settings) -> Iterator[TestClient]:
    """Another hub process (own engine and app) on the same database."""
    other = build_hub(settings)
    with TestClient(create_app(other), raise_server_exceptions=False) as test_client:
        yield test_client
    other.close()


def test_typed_defaults_on_a_fresh_start(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    params = current(client, admin_headers)
    assert params == DEFAULTS
    assert isinstance(params["queue_create_task_on_save"], bool)
    assert isinstance(params["telephony_min_number_length"], int)
    assert stored_rows(hub) == {}


def test_reading_needs_authentication_and_crm_access(
    client: TestClient, make_user: UserFactory
) -> None:
    reply = client.get(URL)
    assert reply.status_code == 401
    assert error_of(reply)["code"] == "not_authenticated"
    _, outsider = make_user(crm_access=False)
    reply = client.get(URL, headers=outsider)
    assert reply.status_code == 403
    assert error_of(reply)["right"] == "crm"
    _, plain = make_user()
    assert current(client, plain) == DEFAULTS


def test_patch_changes_only_what_is_sent(
    client: TestClient, admin_headers: Headers, second_hub: TestClient, hub: Hub
) -> None:
    reply = client.patch(URL, headers=admin_headers, json={"queue_create_task_on_save": True})
    assert reply.status_code == 200, reply.text
    expected = {**DEFAULTS, "queue_create_task_on_save": True}
    assert reply.json() == expected
    assert current(client, admin_headers) == expected
    assert stored_rows(hub) == {"queue_create_task_on_save": True}

    changes = {
        "responsible_person_type": "per_document",
        "audit_tasks_events": False,
        "telephony_load_missed_calls": True,
        "telephony_server_path": "pbx.asterisk_cdr",
        "telephony_min_number_length": 5,
    }
    reply = client.patch(URL, headers=admin_headers, json=changes)
    assert reply.status_code == 200, reply.text
    expected = {**expected, **changes}
    assert reply.json() == expected

    # Another hub on the same database reads what the first one stored.
    other_admin = login(second_hub, "admin", ADMIN_PASSWORD)
    assert current(second_hub, other_admin) == expected

    # Clearing an optional value, and an empty change.
    reply = second_hub.patch(URL, headers=other_admin, json={"telephony_server_path": None})
    assert reply.status_code == 200, reply.text
    expected = {**expected, "telephony_server_path": None}
    assert current(client, admin_headers) == expected
    reply = client.patch(URL, headers=admin_headers, json={})
    assert reply.status_code == 200
    assert current(second_hub, other_admin) == expected


def test_task_notifications_are_changed_per_person(
    client: TestClient, admin_headers: Headers, second_hub: TestClient
) -> None:
    reply = client.patch(
        URL, headers=admin_headers, json={"task_notifications": {"executor": "email"}}
    )
    assert reply.status_code == 200, reply.text
    expected_notes = {**DEFAULTS["task_notifications"], "executor": "email"}
    assert reply.json()["task_notifications"] == expected_notes

    # A second partial change keeps the first one.
    reply = client.patch(
        URL, headers=admin_headers, json={"task_notifications": {"controller": "none"}}
    )
    assert reply.status_code == 200, reply.text
    expected_notes = {**expected_notes, "controller": "none"}
    assert reply.json()["task_notifications"] == expected_notes
    assert current(client, admin_headers)["task_notifications"] == expected_notes

    full = {
        "author": "email_and_system",
        "executor": "system",
        "controller": "email",
        "responsible": "none",
    }
    reply = client.patch(URL, headers=admin_headers, json={"task_notifications": full})
    assert reply.status_code == 200, reply.text
    other_admin = login(second_hub, "admin", ADMIN_PASSWORD)
    assert current(second_hub, other_admin) == {**DEFAULTS, "task_notifications": full}


def test_values_at_the_limits(client: TestClient, admin_headers: Headers) -> None:
    for value in (0, 32):
        reply = client.patch(
            URL, headers=admin_headers, json={"telephony_min_number_length": value}
        )
        assert reply.status_code == 200, reply.text
        assert current(client, admin_headers)["telephony_min_number_length"] == value
    path = "s" * 200
    reply = client.patch(URL, headers=admin_headers, json={"telephony_server_path": path})
    assert reply.status_code == 200, reply.text
    for kind in ("employee", "responsibility_centre", "per_document"):
        reply = client.patch(URL, headers=admin_headers, json={"responsible_person_type": kind})
        assert reply.status_code == 200, reply.text
        assert reply.json()["responsible_person_type"] == kind


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"responsible_person_type": "boss"}, "responsible_person_type", "literal_error"),
    ({"responsible_person_type": None}, "responsible_person_type", "literal_error"),
    ({"telephony_min_number_length": -1}, "telephony_min_number_length", "greater_than_equal"),
    ({"telephony_min_number_length": 33}, "telephony_min_number_length", "less_than_equal"),
    # Strict, as the schema says: a string or a fraction is no integer, a string no boolean.
    ({"telephony_min_number_length": "abc"}, "telephony_min_number_length", "int_type"),
    ({"telephony_min_number_length": "4"}, "telephony_min_number_length", "int_type"),
    ({"telephony_min_number_length": 2.5}, "telephony_min_number_length", "int_type"),
    ({"telephony_min_number_length": True}, "telephony_min_number_length", "int_type"),
    ({"telephony_min_number_length": None}, "telephony_min_number_length", "int_type"),
    ({"telephony_min_number_length": 10**30}, "telephony_min_number_length", "less_than_equal"),
    ({"audit_tasks_events": "maybe"}, "audit_tasks_events", "bool_type"),
    ({"audit_tasks_events": 0}, "audit_tasks_events", "bool_type"),
    ({"audit_tasks_events": None}, "audit_tasks_events", "bool_type"),
    ({"queue_create_task_on_save": [True]}, "queue_create_task_on_save", "bool_type"),
    ({"telephony_server_path": "p" * 201}, "telephony_server_path", "string_too_long"),
    ({"telephony_server_path": 12}, "telephony_server_path", "string_type"),
    ({"unknown_switch": True}, "unknown_switch", "extra_forbidden"),
    ({"task_notifications": "email"}, "task_notifications", "model_attributes_type"),
    ({"task_notifications": {"author": "pigeon"}}, "task_notifications.author", "literal_error"),
    ({"task_notifications": {"boss": "email"}}, "task_notifications.boss", "extra_forbidden"),
]


@pytest.mark.parametrize(("bad", "field", "error_type"), INVALID, ids=[i[1] for i in INVALID])
def test_invalid_value_is_422_naming_the_field_and_stores_nothing(
    client: TestClient,
    admin_headers: Headers,
    hub: Hub,
    bad: dict[str, Any],
    field: str,
    error_type: str,
) -> None:
    reply = client.patch(URL, headers=admin_headers, json={"audit_tasks_events": False})
    assert reply.status_code == 200
    before = current(client, admin_headers)
    rows_before = stored_rows(hub)

    valid_too = {
        "queue_create_task_on_save": True,
        "telephony_min_number_length": 4,
        "task_notifications": {"executor": "email"},
    }
    body = {**valid_too, **bad}
    reply = client.patch(URL, headers=admin_headers, json=body)
    assert reply.status_code == 422, reply.text
    error = error_of(reply)
    assert error["code"] == "validation_error"
    assert [(f["field"], f["type"]) for f in error["fields"]] == [(field, error_type)]
    assert error["fields"][0]["message"]
    assert field in error["message"]
    assert current(client, admin_headers) == before
    assert stored_rows(hub) == rows_before


def test_invalid_value_message_in_english(client: TestClient, make_user: UserFactory) -> None:
    _, english = make_user(rights={"settings": "u"}, lang="en")
    reply = client.patch(URL, headers=english, json={"telephony_min_number_length": -3})
    assert reply.status_code == 422
    error = error_of(reply)
    assert error["message"].startswith("Invalid data: telephony_min_number_length")
    assert "0" in error["fields"][0]["message"]
    _, ukrainian = make_user(rights={"settings": "u"})
    reply = client.patch(URL, headers=ukrainian, json={"telephony_min_number_length": -3})
    error = error_of(reply)
    assert error["message"].startswith("Неправильні дані: telephony_min_number_length")
    assert error["fields"][0]["message"] == "має бути не менше 0"


def test_body_must_be_an_object(client: TestClient, admin_headers: Headers, hub: Hub) -> None:
    for body in ([], [{"audit_tasks_events": False}], "audit", 1, True):
        reply = client.patch(URL, headers=admin_headers, json=body)
        assert reply.status_code == 422, (body, reply.text)
        assert error_of(reply)["fields"][0]["field"] == "body"
    assert stored_rows(hub) == {}


# --- rights ----------------------------------------------------------------------------------


def test_changing_needs_the_settings_change_right(
    client: TestClient, make_user: UserFactory, admin_headers: Headers, hub: Hub
) -> None:
    change = {"queue_create_task_on_save": True}
    for letters in ("", "c", "d", "cd"):
        _, headers = make_user(rights={"settings": letters} if letters else None)
        reply = client.patch(URL, headers=headers, json=change)
        assert reply.status_code == 403, (letters, reply.text)
        error = error_of(reply)
        assert error["code"] == "right_missing"
        assert error["right"] == "settings:change"
        assert "Налаштування" in error["message"]
    _, other_document = make_user(rights={"task": "cud", "project": "cud"})
    assert client.patch(URL, headers=other_document, json=change).status_code == 403
    _, outsider = make_user(rights={"settings": "cud"}, crm_access=False)
    reply = client.patch(URL, headers=outsider, json=change)
    assert reply.status_code == 403
    assert error_of(reply)["right"] == "crm"
    assert client.patch(URL, json=change).status_code == 401
    assert stored_rows(hub) == {}
    assert current(client, admin_headers) == DEFAULTS

    _, allowed = make_user(rights={"settings": "u"})
    reply = client.patch(URL, headers=allowed, json=change)
    assert reply.status_code == 200, reply.text
    assert current(client, admin_headers)["queue_create_task_on_save"] is True


def test_changing_needs_the_parameters_tab(
    client: TestClient, make_user: UserFactory, admin_headers: Headers, hub: Hub
) -> None:
    settings_change = {"queue_create_task_on_save": True, "telephony_min_number_length": 3}
    notification_change = {"responsible_person_type": "responsibility_centre"}

    _, references_only = make_user(
        rights={"settings": "cud"}, tabs=["references.event_types", "numbering"]
    )
    for body in (settings_change, notification_change, {**settings_change, **notification_change}):
        reply = client.patch(URL, headers=references_only, json=body)
        assert reply.status_code == 403, reply.text
        assert error_of(reply)["code"] == "settings_tab_hidden"
    assert stored_rows(hub) == {}

    # Parameters / Settings (SET-10..SET-12), not Parameters / Notifications (SET-8).
    _, settings_tab = make_user(rights={"settings": "u"}, tabs=["parameters.settings"])
    reply = client.patch(URL, headers=settings_tab, json=notification_change)
    assert reply.status_code == 403
    error = error_of(reply)
    assert error["right"] == "tab:parameters.notifications"
    assert "Параметри / Сповіщення" in error["message"]
    reply = client.patch(URL, headers=settings_tab, json={**settings_change, **notification_change})
    assert reply.status_code == 403
    assert stored_rows(hub) == {}
    reply = client.patch(URL, headers=settings_tab, json=settings_change)
    assert reply.status_code == 200, reply.text

    # Parameters / Notifications: the responsible-person type and task notifications (SET-8).
    _, notifications_tab = make_user(rights={"settings": "u"}, tabs=["parameters.notifications"])
    reply = client.patch(URL, headers=notifications_tab, json={"audit_tasks_events": False})
    assert reply.status_code == 403
    assert error_of(reply)["right"] == "tab:parameters.settings"
    reply = client.patch(
        URL,
        headers=notifications_tab,
        json={**notification_change, "task_notifications": {"author": "email"}},
    )
    assert reply.status_code == 200, reply.text

    assert current(client, admin_headers) == {
        **DEFAULTS,
        **settings_change,
        **notification_change,
        "task_notifications": {**DEFAULTS["task_notifications"], "author": "email"},
    }

    # Every tab visible (none marked) with the change right: everything may be changed.
    _, all_tabs = make_user(rights={"settings": "u"})
    reply = client.patch(
        URL,
        headers=all_tabs,
        json={"audit_tasks_events": False, "responsible_person_type": "employee"},
    )
    assert reply.status_code == 200, reply.text


def test_forbidden_and_invalid_together_is_not_stored(
    client: TestClient, make_user: UserFactory, hub: Hub
) -> None:
    """The rights are checked before the body, so a reader learns nothing about the values."""
    _, reader = make_user()
    reply = client.patch(URL, headers=reader, json={"telephony_min_number_length": -1})
    assert reply.status_code == 403
    assert error_of(reply)["right"] == "settings:change"
    assert stored_rows(hub) == {}
