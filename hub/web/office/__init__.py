"""The back-office: one login, one navigation and one look for everything the manual's people do
in a browser. Each section is a module with its own router, texts and templates
(``templates/office/``); pages call the same domain services as the API, with the same rights.
"""

from __future__ import annotations

from fastapi import APIRouter

from hub.web.office import home, texts  # noqa: F401 (texts: registers the section's words)

router = APIRouter(include_in_schema=False)
router.include_router(home.router)
from hub.web.office import devices, queue_setup  # noqa: E402

router.include_router(queue_setup.router)
router.include_router(devices.router)
from hub.web.office import (  # noqa: E402
    access,
    access_rights,
    settings,
    settings_mail,
    settings_numbering,
    settings_parameters,
    settings_users,
)

router.include_router(settings.router)
router.include_router(settings_parameters.router)
router.include_router(settings_numbering.router)
router.include_router(settings_users.router)
router.include_router(settings_mail.router)
router.include_router(access.router)
router.include_router(access_rights.router)
from hub.web.office import events  # noqa: E402

router.include_router(events.router)
from hub.web.office import clients  # noqa: E402

router.include_router(clients.router)
from hub.web.office import projects  # noqa: E402

router.include_router(projects.router)
from hub.web.office import tasks  # noqa: E402

router.include_router(tasks.router)
from hub.web.office import task_card  # noqa: E402

router.include_router(task_card.router)
from hub.web.office import stats  # noqa: E402

router.include_router(stats.router)
