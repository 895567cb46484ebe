"""Liveness and readiness: ``GET /healthz`` checks the database."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub import __version__
from hub.api.deps import HubDep
from hub.db.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Health of the hub and its database")
def healthz(hub: HubDep) -> JSONResponse:
    """200 when the database answers and is migrated, 503 otherwise."""
    try:
        with hub.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(hub.engine)
    except SQLAlchemyError:
        return JSONResponse(
            {"status": "error", "database": "unavailable", "version": __version__}, status_code=503
        )
    migrated = revision == head_revision()
    return JSONResponse(
        {
            "status": "ok" if migrated else "error",
            "database": "ok" if migrated else f"at revision {revision}, expected {head_revision()}",
            "version": __version__,
            "site": hub.settings.site,
        },
        status_code=200 if migrated else 503,
    )
