"""The API keeps its own OpenAPI contract.

First one plain test per defect an outside schemathesis run found (each failed before its fix),
then the standing check: schemathesis over the whole OpenAPI document, in process, as the
administrator, bounded and derandomized. ``bench/contract.py`` is the long version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api.contract import ERROR_SCHEMA
from hub.api.schemas.errors import ErrorBody
from tests.contract_run import contract_app, run_contract

Headers = dict[str, str]
pytestmark = pytest.mark.usefixtures("sqlite_only")
ERROR_REF = f"#/components/schemas/{ERROR_SCHEMA}"
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def sqlite_only(backend: str) -> None:
    """These tests are about HTTP and the published document, not the database."""
    if backend != "sqlite":
        pytest.skip("the API contract does not depend on the database")


@pytest.fixture
def openapi(client: TestClient, sqlite_only: None) -> dict[str, Any]:
    """The hub's published OpenAPI document."""
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def properties(openapi: dict[str, Any], schema: str) -> dict[str, Any]:
    """The properties of a component schema."""
    props: dict[str, Any] = openapi["components"]["schemas"][schema]["properties"]
    return props


def allows_null(prop: dict[str, Any]) -> bool:
    """Whether a property's schema admits null."""
    options = prop.get("anyOf", [prop])
    return any(option.get("type") == "null" for option in options)


def error_of(reply: Any, status: int) -> dict[str, Any]:
    """The error object of a reply, checked against the published error body."""
    assert reply.status_code == status, reply.text
    error: dict[str, Any] = ErrorBody.model_validate(reply.json()).model_dump()["error"]
    return error


def new(client: TestClient, headers: Headers, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a record and return it."""
    reply = client.post(url, headers=headers, json=body)
    assert reply.status_code == 201, reply.text
    record: dict[str, Any] = reply.json()
    return record


# --- one test per defect -------------------------------------------------------------------


def test_patch_fields_the_schema_calls_nullable_accept_null(
    client: TestClient, admin_headers: Headers, openapi: dict[str, Any]
) -> None:
    """PATCH fields that must not be null no longer say "nullable" (they were refused)."""
    event = properties(openapi, "EventUpdate")
    assert not allows_null(event["starts_at"]) and not allows_null(event["type"])
    assert allows_null(event["ends_at"])
    for schema, field in (
        ("ReferenceUpdate", "name_uk"),
        ("TaskUpdate", "name"),
        ("ProjectUpdate", "uses_queue"),
        ("RuleUpdate", "daily_reset"),
        ("ContractUpdate", "currency"),
    ):
        assert not allows_null(properties(openapi, schema)[field]), (schema, field)
    created = new(
        client,
        admin_headers,
        "/api/v1/events",
        {"starts_at": "2025-01-10T09:00:00+02:00", "type": "incoming_call"},
    )
    url = f"/api/v1/events/{created['id']}"
    # What the schema admits is taken; what it does not is refused, naming the field.
    assert client.patch(url, headers=admin_headers, json={"ends_at": None}).status_code == 200
    error = error_of(client.patch(url, headers=admin_headers, json={"starts_at": None}), 422)
    assert [(f["field"], f["type"]) for f in error["fields"]] == [("starts_at", "null_forbidden")]


def test_booleans_and_integers_are_strict_as_the_schema_says(
    client: TestClient, admin_headers: Headers, openapi: dict[str, Any]
) -> None:
    """0 and 1 are no booleans and true is no integer (both used to be taken)."""
    assert properties(openapi, "RuleCreate")["daily_reset"]["type"] == "boolean"
    rule = {"doc_type": "contract_x", "prefix": "K-"}
    for bad in ({"daily_reset": 0}, {"per_project": 1}, {"start": True}, {"width": "4"}):
        reply = client.post("/api/v1/numbering/rules", headers=admin_headers, json=rule | bad)
        error = error_of(reply, 422)
        assert [f["field"] for f in error["fields"]] == list(bad), error
    # JSON Schema's integer includes 4.0, so the server takes it too.
    reply = client.post(
        "/api/v1/numbering/rules", headers=admin_headers, json=rule | {"width": 4.0}
    )
    assert reply.status_code == 201 and reply.json()["width"] == 4, reply.text
    project = new(client, admin_headers, "/api/v1/projects", {"name": "Проєкт"})
    url = f"/api/v1/projects/{project['id']}"
    error_of(client.patch(url, headers=admin_headers, json={"uses_queue": 1}), 422)
    reply = client.patch(url, headers=admin_headers, json={"uses_queue": True})
    assert reply.status_code == 200 and reply.json()["uses_queue"] is True
    # A date or a moment is ISO 8601 text, never a number read as Unix time.
    reply = client.get("/api/v1/events", headers=admin_headers, params={"to": "0.5"})
    assert [f["field"] for f in error_of(reply, 422)["fields"]] == ["to"]
    body = {"before": 0}
    error_of(client.post("/api/v1/events/archive-before", headers=admin_headers, json=body), 422)


def test_deleted_clients_and_contacts_are_not_editable(
    client: TestClient, admin_headers: Headers, openapi: dict[str, Any]
) -> None:
    """A soft-deleted client or contact person is refused 409 until restored (was editable)."""
    firm = new(client, admin_headers, "/api/v1/clients", {"name": "ТОВ Ромашка"})
    person = new(
        client, admin_headers, f"/api/v1/clients/{firm['id']}/contacts", {"full_name": "Олена"}
    )
    contact_url = f"/api/v1/clients/{firm['id']}/contacts/{person['id']}"
    assert client.delete(contact_url, headers=admin_headers).status_code == 204
    reply = client.patch(contact_url, headers=admin_headers, json={"position": "директор"})
    assert error_of(reply, 409)["code"] == "contact_deleted"
    assert client.post(f"{contact_url}/restore", headers=admin_headers).status_code == 200
    reply = client.patch(contact_url, headers=admin_headers, json={"position": "директор"})
    assert reply.status_code == 200

    client_url = f"/api/v1/clients/{firm['id']}"
    assert client.delete(client_url, headers=admin_headers).status_code == 204
    for method, url, body in (
        ("PATCH", client_url, {"note": "x"}),
        ("PUT", f"{client_url}/legal", {"full_name": "x"}),
        ("PATCH", contact_url, {"position": "x"}),
    ):
        reply = client.request(method, url, headers=admin_headers, json=body)
        assert error_of(reply, 409)["code"] == "client_deleted", (method, url)
    for path in (
        "/api/v1/clients/{client_id}",
        "/api/v1/clients/{client_id}/contacts/{contact_id}",
    ):
        assert "409" in openapi["paths"][path]["patch"]["responses"]


def test_opening_hours_match_their_schema(
    client: TestClient, admin_headers: Headers, openapi: dict[str, Any]
) -> None:
    """``opens`` was "09:00:00" against ``format: time``, which needs an offset."""
    opens = properties(openapi, "PublicService")["opens"]
    assert "format" not in opens and opens["type"] == "string"
    project = {"name": "Довідки", "uses_queue": True, "start_date": "2025-01-01"}
    service = new(client, admin_headers, "/api/v1/projects", project)
    reply = client.put(f"/api/v1/projects/{service['id']}/members/1", headers=admin_headers)
    assert reply.status_code in (200, 201), reply.text
    listed = client.get("/api/v1/public/services").json()
    assert [item["opens"] for item in listed] == ["09:00:00"]
    assert all(re.fullmatch(opens["pattern"], item["closes"]) for item in listed)


def test_an_unknown_method_on_a_fixed_path_is_405(
    client: TestClient, admin_headers: Headers
) -> None:
    """PATCH /events/archive reached PATCH /events/{event_id} and was refused 422."""
    for method, path, allowed in (
        ("PATCH", "/api/v1/events/archive", "GET, POST"),
        ("DELETE", "/api/v1/clients/tree", "GET"),
        ("PUT", "/api/v1/events/5", "DELETE, GET, PATCH"),
    ):
        reply = client.request(method, path, headers=admin_headers)
        assert error_of(reply, 405)["code"] == "method_not_allowed", (method, path)
        assert reply.headers["allow"] == allowed


def test_removing_an_executor_twice_is_a_documented_404(
    client: TestClient, admin_headers: Headers, openapi: dict[str, Any]
) -> None:
    """The second removal answers 404, now in the document with the error body."""
    task = new(
        client,
        admin_headers,
        "/api/v1/tasks",
        {
            "name": "Передзвонити",
            "starts_at": "2025-01-10T09:00:00+02:00",
            "ends_at": "2025-01-10T10:00:00+02:00",
            "executor_ids": [1],
        },
    )
    url = f"/api/v1/tasks/{task['id']}/executors/1"
    assert client.delete(url, headers=admin_headers).status_code == 204
    assert error_of(client.delete(url, headers=admin_headers), 404)["code"] == "not_found"
    documented = openapi["paths"]["/api/v1/tasks/{task_id}/executors/{user_id}"]["delete"]
    assert documented["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": ERROR_REF
    }


def test_every_error_answer_is_documented_with_the_error_body(
    client: TestClient, openapi: dict[str, Any]
) -> None:
    """401/403/404/409/422 (413, 429 where they apply) on the operations that can give them."""
    checked = 0
    for path, operations in openapi["paths"].items():
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            checked += 1
            responses = operation["responses"]
            # 4xx: the caller's mistakes, in the one error body (/healthz's 503 has its own).
            errors = {code for code in responses if code.isdigit() and 400 <= int(code) < 500}
            for code in errors:
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, (method, path, code)
            secured = bool(operation.get("security"))
            assert secured == ({"401", "403"} <= errors), (method, path)
            if "{" in path:
                assert "404" in errors, (method, path)
            if method != "get":
                assert {"409", "422"} <= errors, (method, path)
            if "requestBody" in operation:
                assert "413" in errors, (method, path)
    assert checked > 100
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    login = openapi["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert {"401", "429"} <= set(login) and "Retry-After" in login["429"]["headers"]
    # A real 401 has the documented shape.
    error_of(client.get("/api/v1/clients"), 401)


# --- the standing contract check -------------------------------------------------------------


@pytest.fixture(scope="module")
def contract_target(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, str, str]]:
    """The hub's app on a seeded SQLite copy, with the administrator's tokens."""
    with contract_app(tmp_path_factory.mktemp("contract"), sqlite_template) as target:
        yield target


@pytest.mark.timeout(300)
def test_the_whole_api_keeps_its_openapi_contract(contract_target: tuple[Any, str, str]) -> None:
    """Schemathesis over every operation: no 5xx, no contract violation of any checked kind."""
    app, token, logout_token = contract_target
    run = run_contract(app, token=token, logout_token=logout_token, max_examples=8)
    assert not run.errors, "\n".join(run.errors)
    assert run.server_errors == 0, run.report()
    assert not run.failures, run.report()
    operations = sum(
        method in METHODS for operations in app.openapi()["paths"].values() for method in operations
    )
    assert len(run.operations) == operations
    assert run.cases > 20 * operations
    # The run stayed logged in: it tested the API, not its 401 page.
    with TestClient(app) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
