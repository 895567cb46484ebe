"""Every error leaves the API as JSON with a message a person can read, in their language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.errors import DomainError, Unauthenticated
from hub.i18n import negotiate, translate, validation_message

logger = logging.getLogger(__name__)

# Message codes of the HTTP errors the framework raises by itself.
HTTP_ERROR_CODES: dict[int, str] = {
    400: "body_unreadable",
    401: "not_authenticated",
    404: "route_not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


def request_language(request: Request) -> str:
    """The user's language once known, else the best match of ``Accept-Language``."""
    lang = getattr(request.state, "lang", None)
    if lang:
        return str(lang)
    default = request.app.state.hub.settings.default_lang
    return negotiate(request.headers.get("accept-language"), default)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON shape of every error reply."""
    return {"error": {"code": code, "message": message, **extra}}


def _field_name(error_type: str, loc: tuple[Any, ...]) -> str:
    if error_type == "json_invalid":
        return "body"  # FastAPI puts the character position where a field name would be
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or str(loc[0] if loc else "body")


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    lang = request_language(request)
    params = {key: value for key, value in exc.params.items() if key not in ("right", "field")}
    extra: dict[str, Any] = {}
    if "right" in exc.params:
        extra["right"] = exc.params["right"]
    if "field" in exc.params:
        message = translate(exc.code, lang, **params)
        extra["fields"] = [{"field": exc.params["field"], "message": message}]
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    if exc.status == 429 and "seconds" in exc.params:
        # A rate limit says when to come back, for programs as well as in the message.
        headers = {"Retry-After": str(exc.params["seconds"])}
    return JSONResponse(
        error_body(exc.code, translate(exc.code, lang, **params), **extra),
        status_code=exc.status,
        headers=headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = request_language(request)
    fields = []
    for error in exc.errors():
        ctx = {key: value for key, value in (error.get("ctx") or {}).items()}
        if "error" in ctx:
            ctx["error"] = str(ctx["error"])
        error_type = str(error.get("type", "value_error"))
        loc = tuple(error.get("loc", ()))
        fields.append(
            {
                "field": _field_name(error_type, loc),
                "location": str(loc[0] if loc else "body"),
                "type": error_type,
                "message": validation_message(error_type, lang, str(error.get("msg", "")), ctx),
            }
        )
    details = "; ".join(f"{field['field']}: {field['message']}" for field in fields[:5])
    message = translate("validation_error", lang, details=details)
    return JSONResponse(error_body("validation_error", message, fields=fields), status_code=422)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes on this request's path."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and route.methods and regex.match(request.url.path):
            methods |= route.methods
    return sorted(methods)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    lang = request_language(request)
    code = HTTP_ERROR_CODES.get(exc.status_code)
    message = translate(code, lang) if code else str(exc.detail)
    extra: dict[str, Any] = {}
    if exc.status_code == 400:
        # FastAPI could not read the body at all (for example JSON nested too deeply).
        extra["fields"] = [{"field": "body", "location": "body", "type": code, "message": message}]
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        # Starlette names only the first route on the path; /events/{id} has three.
        headers["Allow"] = ", ".join(allowed_methods(request))
    return JSONResponse(
        error_body(code or f"http_{exc.status_code}", message, **extra),
        status_code=exc.status_code,
        headers=headers or None,
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(
        error_body("internal_error", translate("internal_error", request_language(request))),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that shape every error reply."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
