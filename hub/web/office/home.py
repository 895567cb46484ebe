"""The back-office's home: the sections this user may open."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.web.office.session import Staff, page

router = APIRouter()


@router.get("/office", response_model=None)
def home(request: Request) -> Response:
    """Every section the user's rights open, with a line on what it holds."""

    def build(_session: Session, staff: Staff) -> dict[str, Any]:
        return {}

    return page(request, "office/home.html", build)
