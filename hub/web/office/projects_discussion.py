"""The card's discussion tab (PRJ-6): the project's chat, with each message's author and time.

Every user of the CRM may read and post, as through the API; an author (or an administrator)
may delete a message. New messages appear without a reload: the page asks a small fragment
endpoint for the messages after the last one it shows every few seconds
(``static/office_projects.js``); without scripts the "Refresh" link reloads the tab.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.api.schemas.projects import MessageCreate
from hub.errors import DomainError
from hub.services.projects import desk, discussion
from hub.web.common import hub_of, page_lang, render
from hub.web.office import session
from hub.web.office.forms import FormState, validated
from hub.web.office.projects_card import head
from hub.web.office.projects_common import (
    BASE,
    FormDep,
    form_failed,
    refusing,
    show,
)
from hub.web.office.session import Build, Staff, current_staff, with_query

router = APIRouter()

TEMPLATE = "office/projects_discussion.html"
After = Annotated[int, Query(ge=0, le=2**31 - 1)]


def _tab(request: Request, project_id: int, state: FormState | None) -> Build:
    def build(db: Session, staff: Staff) -> dict[str, Any]:
        values = head(request, db, staff, project_id, "discussion")
        values.update(
            discussion=desk.recent_messages(db, project_id=project_id),
            limit=desk.RECENT_MESSAGES,
            form=state or FormState(),
            me=staff.user_id,
            admin=staff.profile.is_admin,
        )
        return values

    return build


@router.get(BASE + "/{project_id:int}/discussion", response_model=None)
def discussion_tab(request: Request, project_id: int) -> Response:
    """The discussion: the latest messages, oldest first, and the form to send one."""
    return show(request, TEMPLATE, _tab(request, project_id, None))


@router.get(BASE + "/{project_id:int}/discussion/messages", response_model=None)
def messages_after(request: Request, project_id: int, after: After = 0) -> Response:
    """The messages after ``after`` as an HTML fragment of list items (the page's poll)."""
    with hub_of(request).sessions() as db:
        staff = current_staff(request, db)
        if staff is None:
            return Response(status_code=401)
        try:
            posts = desk.messages_after(db, project_id=project_id, after_id=after)
        except DomainError as error:
            return Response(status_code=error.status)
        values = {
            "posts": posts,
            "project_id": project_id,
            "me": staff.user_id,
            "admin": staff.profile.is_admin,
        }
    return render(request, "office/projects_messages.html", values)


@router.post(BASE + "/{project_id:int}/discussion", response_model=None)
def post(request: Request, project_id: int, form: FormDep) -> Response:
    """Send a message to the project's discussion (the manual's "Send")."""
    lang = page_lang(request)

    def change(db: Session, staff: Staff) -> str:
        shown = {"text": form.get("text", "")}
        body = validated(lang, MessageCreate, {"text": form.get("text") or None}, shown)
        message = discussion.post_message(
            db, author_id=staff.user_id, text=body.text, project_id=project_id
        )
        target = with_query(f"{BASE}/{project_id}/discussion", done="posted")
        return f"{target}#message-{message.id}"

    def again(state: FormState) -> Build:
        return _tab(request, project_id, state)

    back = f"{BASE}/{project_id}/discussion"
    failed = form_failed(request, TEMPLATE, again, {"text": form.get("text", "")}, back)
    return session.act(request, form.get("csrf"), change, failed=failed)


@router.post(BASE + "/{project_id:int}/discussion/{message_id:int}/delete", response_model=None)
def delete(request: Request, project_id: int, message_id: int, form: FormDep) -> Response:
    """Delete one's own message (an administrator: any)."""
    back = f"{BASE}/{project_id}/discussion"

    def change(db: Session, staff: Staff) -> str:
        desk.project_message(db, project_id=project_id, message_id=message_id)
        discussion.delete_message(db, profile=staff.profile, message_id=message_id)
        return with_query(back, done="message_deleted")

    return session.act(request, form.get("csrf"), change, failed=refusing(request, back))
