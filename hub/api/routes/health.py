"""Liveness and readiness: ``GET /healthz`` checks the database, the hub's MQTT link and the
outbox."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub import __version__
from hub.api.deps import HubDep
from hub.db.base import utcnow
from hub.db.migrate import current_revision, head_revision
from hub.services.common import outbox

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


def _broker(link: dict[str, Any] | None) -> str:
    if link is None:
        return "not served by this process"
    return "connected" if link.get("connected") else "disconnected"


@router.get(
    "/healthz",
    summary="Health of the hub, its database, its MQTT link and its outbox",
    responses={
        503: {
            "description": (
                "Not healthy: the same body as 200 with status 'error' (the database) or "
                "'degraded' (the broker link or the outbox), saying which part is not"
            ),
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def healthz(hub: HubDep) -> JSONResponse:
    """200 ``ok`` when the database answers and is migrated and, where this process serves
    devices, the broker link is up and the outbox moves; 503 ``error`` when the database does
    not, 503 ``degraded`` when the link is down or the oldest unsent message is older than
    ``health_outbox_max_age_s``. No secret in it: it answers without a login."""
    try:
        with hub.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(hub.engine)
        migrated = revision == head_revision()
        waiting = None
        if migrated:  # before that the outbox may not be there
            with hub.read_sessions() as session:
                waiting = outbox.backlog(session)
    except SQLAlchemyError:
        return JSONResponse(
            {"status": "error", "database": "unavailable", "version": __version__}, status_code=503
        )
    links = {name: _probe(check) for name, check in list(hub.probes.items())}
    link = links.get("mqtt")
    status = "ok"
    if not migrated:
        status = "error"
    elif not all(each.get("ok") for each in links.values()):
        status = "degraded"
    body: dict[str, Any] = {
        "status": status,
        "database": "ok" if migrated else f"at revision {revision}, expected {head_revision()}",
        "version": __version__,
        "site": hub.settings.site,
        "broker": _broker(link),
    }
    if waiting is not None:
        body["outbox"] = {
            "depth": waiting.depth,
            "oldest_unsent_s": round(waiting.age_s(utcnow()), 1),
            "max_age_s": hub.settings.health_outbox_max_age_s,
        }
    body.update(links)
    return JSONResponse(body, status_code=200 if status == "ok" else 503)
