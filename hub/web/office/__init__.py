"""The back-office: one login, one navigation and one look for everything the manual's people do
in a browser. Each section is a module with its own router, texts and templates
(``templates/office/``); pages call the same domain services as the API, with the same rights.
"""

from __future__ import annotations

from fastapi import APIRouter

from hub.web.office import home, texts  # noqa: F401 (texts: registers the section's words)

router = APIRouter(include_in_schema=False)
router.include_router(home.router)
