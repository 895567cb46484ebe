"""The API keeps its own OpenAPI contract: every error answer is documented.

Every operation's error answers are decided in one place, from what the route depends on and
takes: a caller (401, 403), a path id or a referenced id (404), a change (409, 422), any input
(422), a body (400, and 413 from ``hub.api.limits``), login's own checks (401, 429). A route may
name more in its ``responses`` (the public booking limits' 429). Each is published with the one
error body of ``hub.api.errors``, so a client can rely on ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from hub.api.deps import get_principal
from hub.api.schemas.errors import ErrorBody

ERROR_SCHEMA = "ErrorBody"
CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Errors of operations that take no caller but check credentials themselves: login answers 401
# for a wrong password and 429 once throttled (hub/services/access/login_limits.py).
CREDENTIAL_CHECKS: dict[tuple[str, str], frozenset[int]] = {
    ("POST", "/api/v1/auth/token"): frozenset({401, 429}),
}

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The body could not be read (for example JSON nested too deeply)",
    401: "No valid bearer token or API key",
    403: "The caller lacks the right named in `error.right`",
    404: "A record named in the path or the body does not exist (or is no longer there)",
    409: "The change contradicts the current state: a deleted record (restore it first), "
    "a duplicate, a record still in use",
    413: "The body is larger than the hub accepts",
    422: "The request breaks a rule; `error.fields` names the wrong fields",
    429: "Too many tries; `Retry-After` says how many seconds to wait",
}


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependency_calls(sub)


def error_statuses(route: RouteContext) -> set[int]:
    """The error statuses ``route`` can answer, judged from its dependencies, inputs and method."""
    dependant: Dependant = route.dependant
    methods: set[str] = route.methods or set()
    has_body = route.body_field is not None
    has_input = has_body or bool(
        dependant.path_params or dependant.query_params or dependant.header_params
    )
    statuses: set[int] = set()
    if get_principal in set(_dependency_calls(dependant)):
        statuses |= {401, 403}
    if dependant.path_params or has_body:
        statuses.add(404)
    if methods & CHANGING_METHODS:
        statuses |= {409, 422}
    if has_input:
        statuses.add(422)
    if has_body:
        statuses |= {400, 413}
    for method in methods:
        statuses |= CREDENTIAL_CHECKS.get((method, route.path_format or ""), frozenset())
    # A route may name an error the rules above cannot see (e.g. a query id that must exist).
    statuses |= {int(code) for code in route.responses if str(code).isdigit() and int(code) >= 400}
    return statuses


def _error_response(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    description = (declared or {}).get("description") or ERROR_DESCRIPTIONS.get(status, "Error")
    schema_ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema_ref}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    return response


def api_routes(app: FastAPI) -> Iterator[RouteContext]:
    """Every API operation of ``app`` as published, with its full path."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            yield context


def document_errors(app: FastAPI, schema: dict[str, Any]) -> None:
    """Add every operation's error answers, with the one error body, to ``schema``."""
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(error_schema.pop("$defs", {}))
    components[ERROR_SCHEMA] = error_schema
    for route in api_routes(app):
        operations = schema["paths"].get(route.path_format, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(error_statuses(route)):
                declared = route.responses.get(status) or route.responses.get(str(status))
                if declared and ("model" in declared or "content" in declared):
                    continue  # the route publishes its own body for this answer
                responses[str(status)] = _error_response(status, declared)
    # FastAPI's own validation-error shapes are never sent: the handler answers ErrorBody.
    if "HTTPValidationError" not in str(schema["paths"]):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)


def install_contract(app: FastAPI) -> None:
    """Publish every error answer in the app's OpenAPI document; call after the routers."""
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        schema = build_schema()
        if first:
            document_errors(app, schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
