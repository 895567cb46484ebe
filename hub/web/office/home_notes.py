"""The in-system notifications (SET-8's "system" channel) on the home page beside My work: the
user's unread ones, each with "Mark read", and "Mark all read"; ``office_home.js`` refreshes the
list with the same poll as the reminders. The reads and marks are ``hub.services.mail.inapp``'s,
the same as the API's ``/api/v1/mail/notifications``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models.mail import Notification
from hub.services.mail import inapp
from hub.web.common import hub_of, render
from hub.web.office import settings_mail_texts  # noqa: F401 (registers the words)
from hub.web.office.my_work import HOME, failed_home
from hub.web.office.session import Staff, act, current_staff, with_query

router = APIRouter()
BASE = "/office/notifications"
FRAGMENT = "office/home_notes.html"
SHOWN = 20
Optional = Annotated[str | None, Form()]


def _link(note: Notification) -> str:
    """The notification's link when it is a path of this site (never another site's)."""
    link = note.link or ""
    return link if link.startswith("/") and not link.startswith("//") else ""


def notes(session: Session, user_id: int) -> list[dict[str, Any]]:
    """The user's unread notifications, newest first, as the panel shows them."""
    rows = inapp.unread(session, user_id=user_id, limit=SHOWN)
    return [{"note": row, "link": _link(row)} for row in rows]


@router.get(BASE, response_model=None)
def unread(request: Request) -> Response:
    """The unread notifications as an HTML fragment (what the home page's poll puts in place)."""
    with hub_of(request).sessions() as session:
        staff = current_staff(request, session)
        if staff is None:
            return Response(status_code=401)
        values = {"notes": notes(session, staff.user_id)}
    answer = render(request, FRAGMENT, values)
    answer.headers["Cache-Control"] = "no-store"
    return answer


@router.post(BASE + "/{note_id:int}/read", response_model=None)
def mark_read(request: Request, note_id: int, csrf: Optional = None) -> Response:
    """Mark one of one's notifications read (another's is left alone)."""

    def change(session: Session, staff: Staff) -> str:
        inapp.mark_read(session, user_id=staff.user_id, ids=[note_id], now=utcnow())
        return with_query(HOME) + "#my-notes"

    return act(request, csrf, change, failed=failed_home(request))


@router.post(BASE + "/read", response_model=None)
def mark_all_read(request: Request, csrf: Optional = None) -> Response:
    """Mark every unread notification the panel can show read."""

    def change(session: Session, staff: Staff) -> str:
        inapp.mark_all_read(session, user_id=staff.user_id, now=utcnow())
        return with_query(HOME) + "#my-notes"

    return act(request, csrf, change, failed=failed_home(request))
