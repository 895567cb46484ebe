"""Build the FastAPI application around a bootstrapped hub."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from hub import __version__
from hub.api.contract import install_contract
from hub.api.errors import install_error_handlers
from hub.api.headers import install_security_headers
from hub.api.limits import BodyLimitMiddleware, BodyLimits, known_secret
from hub.api.routes import health
from hub.api.routes.access import auth, users
from hub.api.routes.access import rights as access
from hub.api.routes.bench import clock as bench_clock
from hub.api.routes.clients import clients
from hub.api.routes.devices import devices
from hub.api.routes.events import events
from hub.api.routes.phone import calls
from hub.api.routes.projects import attachments, projects
from hub.api.routes.queue import hours, public, queue
from hub.api.routes.settings import mail, numbering, parameters, reference
from hub.api.routes.stats import metrics
from hub.api.routes.stats import stats as statistics
from hub.api.routes.tasks import tasks
from hub.bootstrap import Hub
from hub.clock import ControlledClock
from hub.web import router as web_router

DESCRIPTION = """
Cherga's hub: the customer-relations system (settings, access control, users...) and, in later
versions, the electronic queue and its appliances.

Authenticate with `POST /api/v1/auth/token` (OAuth2 password form) and send
`Authorization: Bearer <token>`, or send an integration's key as `X-API-Key`.
Errors are JSON `{"error": {"code", "message", ...}}` in the user's language
(or the request's `Accept-Language`: Ukrainian or English).
"""


def create_app(hub: Hub) -> FastAPI:
    """The HTTP API of ``hub``."""
    # The docs' scripts are served by the hub itself: a Pi in an office may have no internet.
    app = FastAPIOffline(
        title="Cherga hub",
        version=__version__,
        description=DESCRIPTION,
        license_info={"name": "GPL-3.0-or-later", "identifier": "GPL-3.0-or-later"},
    )
    app.state.hub = hub
    install_error_handlers(app)
    install_security_headers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        limits=BodyLimits.from_settings(hub.settings),
        default_lang=hub.settings.default_lang,
        verify=known_secret(hub),
    )
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(access.router)
    for router in reference.reference_routers():
        app.include_router(router)
    app.include_router(parameters.router)
    app.include_router(mail.router)
    app.include_router(numbering.router)
    app.include_router(devices.router)
    for module in (projects, clients, events, calls, tasks, attachments, queue, hours):
        app.include_router(module.router)
    app.include_router(statistics.router)
    app.include_router(metrics.router)
    app.include_router(public.router)
    if isinstance(hub.clock, ControlledClock):
        app.include_router(bench_clock.router)  # a bench hub only: never in service
    app.include_router(web_router)
    install_contract(app)
    return app
