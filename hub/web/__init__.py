"""Web pages served by the hub: the public booking form and the back-office (with the hall
administrator's console)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from hub.web import console, office, public, ticket_page
from hub.web.common import HERE

STATIC = {
    "style.css": "text/css",
    "public.js": "text/javascript",
    "console.js": "text/javascript",
    "office.js": "text/javascript",
    "office_home.js": "text/javascript",
    "office_clients.js": "text/javascript",
    "office_projects.js": "text/javascript",
    "office_projects.css": "text/css",
    "office_tasks.js": "text/javascript",
    "office_tasks.css": "text/css",
    "office_stats.js": "text/javascript",
    "office_stats.css": "text/css",
    "task_card.css": "text/css",
    "task_card.js": "text/javascript",
    "ticket.css": "text/css",
    "ticket.js": "text/javascript",
}

router = APIRouter(include_in_schema=False)
router.include_router(public.router)
router.include_router(ticket_page.router)
router.include_router(console.router)
router.include_router(office.router)


@router.get("/web/static/{name}")
def static(name: str) -> Response:
    """The pages' few files (a fixed list: no path from the request reaches the disk)."""
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(
        HERE / "static" / name,
        media_type=STATIC[name],
        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )
