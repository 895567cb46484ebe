"""Liveness and readiness: ``GET /healthz`` checks the database and the hub's MQTT link."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub import __version__
from hub.api.deps import HubDep
from hub.db.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)


def _probe(check: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = check()
    except SQLAlchemyError:
        return {"ok": False, "error": "database unavailable"}
    except Exception:
        logger.exception("a health probe failed")
        return {"ok": False, "error": "the check failed"}
    return result


@router.get(
    "/healthz",
    summary="Health of the hub, its database and its MQTT link",
    responses={
        503: {
            "description": "Not healthy: the same body as 200, saying which part is not",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def healthz(hub: HubDep) -> JSONResponse:
    """200 when the database answers and is migrated and, where this process serves devices,
    the broker link is up and the outbox moves; 503 otherwise, saying which."""
    try:
        with hub.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(hub.engine)
    except SQLAlchemyError:
        return JSONResponse(
            {"status": "error", "database": "unavailable", "version": __version__}, status_code=503
        )
    migrated = revision == head_revision()
    links = {name: _probe(check) for name, check in list(hub.probes.items())}
    healthy = migrated and all(link.get("ok") for link in links.values())
    body: dict[str, Any] = {
        "status": "ok" if healthy else "error",
        "database": "ok" if migrated else f"at revision {revision}, expected {head_revision()}",
        "version": __version__,
        "site": hub.settings.site,
    }
    body.update(links)
    return JSONResponse(body, status_code=200 if healthy else 503)
