"""The Clients section (CLI): the registry in its three views (standard, tree, contact persons),
the client's card, the parent picker and the birthdays list. Changes live in ``clients_edit``,
the settlement documents entered by hand in ``clients_documents``, an event or task for the
client in ``clients_work``, the import in ``clients_import``.

Every page reads through the same services as the API (``hub.services.clients``, events,
tasks) and pages by their keyset cursors; what the user may not do is not shown, and the
handlers of the changes check the same rights again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.db.models import User
from hub.db.models.clients import Client
from hub.services.clients import clients, contacts, documents
from hub.services.clients.clients import TreeNode
from hub.services.common.paging import Page
from hub.services.events import views as event_views
from hub.services.events.registry import EventFilter, list_events
from hub.services.mail import letters
from hub.services.phone import call_work
from hub.services.settings.parameters import get_user_parameters
from hub.services.tasks import tasks as task_service
from hub.services.tasks.registry import TaskFilter, list_tasks
from hub.web.common import hub_of, page_lang
from hub.web.office import (
    clients_documents,
    clients_edit,
    clients_import,
    clients_letter,
    clients_work,
)
from hub.web.office.clients_common import BASE, rights, show
from hub.web.office.session import Staff

router = APIRouter()

PAGE = 50
CARD_ROWS = 10
# At most this many branches opened at once by plain links (the query string carries them).
MAX_OPEN = 40
# What a redirect after a change may announce on the next page (whitelisted: never free text).
DONE = {
    "saved": "form_saved",
    "deleted": "cli_deleted_done",
    "restored": "cli_restored_done",
    "event": "cli_created_event",
    "task": "cli_created_task",
    "dialled": "cli_dialled",
    "letter": "letter_sent_done",
}

Text = Annotated[str | None, Query(max_length=200)]
Cursor = Annotated[str | None, Query(max_length=1000)]


def done_message(request: Request) -> str:
    """The line a change's redirect asked this page to show ("" when none)."""
    from hub.web.common import text

    key = DONE.get(request.query_params.get("done", ""))
    if key is None:
        return ""
    value = request.query_params.get("n", "")[:300]
    return text(page_lang(request), key, name=value, number=value)


def _open_ids(raw: str | None) -> list[int]:
    ids: list[int] = []
    for part in (raw or "").split(","):
        if part.isdigit() and 0 < int(part) < 2**31 and int(part) not in ids:
            ids.append(int(part))
    return ids[:MAX_OPEN]


@dataclass(frozen=True)
class Tree:
    """The tree view: the top level and the levels of the branches opened by links."""

    top: Page[TreeNode]
    children: dict[int, Page[TreeNode]]
    opened: list[int]

    def toggled(self, client_id: int) -> str:
        """The ``open`` list with ``client_id`` opened or closed (the plain link's target)."""
        ids = [i for i in self.opened if i != client_id]
        if client_id not in self.opened:
            ids.append(client_id)
        return ",".join(str(i) for i in ids)


@router.get(BASE, response_model=None)
def registry(
    request: Request,
    view: Annotated[str, Query(pattern="^(standard|tree|contacts)$")] = "standard",
    q: Text = None,
    deleted: bool = False,
    cursor: Cursor = None,
    open: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The registry: the standard list, the tree or the contact persons (CLI-1, CLI-6)."""

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        values: dict[str, Any] = {
            "view": view,
            "q": q or "",
            "deleted": deleted,
            "may": rights(staff.profile),
            "done": done_message(request),
        }
        if view == "contacts":
            values["page"] = contacts.list_contacts(
                session, q=q, show_deleted=deleted, cursor=cursor, limit=PAGE
            )
        elif view == "tree":
            opened = _open_ids(open)
            top = clients.list_level(
                session, parent_id=None, show_deleted=deleted, cursor=cursor, limit=PAGE
            )
            children = {}
            for client_id in opened:
                if session.get(Client, client_id) is not None:
                    children[client_id] = clients.list_level(
                        session, parent_id=client_id, show_deleted=deleted, limit=PAGE
                    )
            values["tree"] = Tree(top, children, [i for i in opened if i in children])
            values["page"] = top
        else:
            values["page"] = clients.list_clients(
                session, q=q, show_deleted=deleted, cursor=cursor, limit=PAGE
            )
        return values

    return show(request, "office/clients.html", build)


@router.get(BASE + "/tree/{parent_id:int}", response_model=None)
def branch(
    request: Request,
    parent_id: int,
    deleted: bool = False,
    cursor: Cursor = None,
    fragment: bool = False,
) -> Response:
    """One branch of the tree: a fragment the tree view inserts, or a page of its own."""

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        level = clients.list_level(
            session, parent_id=parent_id, show_deleted=deleted, cursor=cursor, limit=PAGE
        )
        return {
            "parent": clients.get_client(session, parent_id),
            "level": level,
            "deleted": deleted,
            "may": rights(staff.profile),
        }

    template = "office/clients_tree_level.html" if fragment else "office/clients_branch.html"
    return show(request, template, build)


@router.get(BASE + "/pick", response_model=None)
def pick(request: Request, q: Text = None) -> Response:
    """The parent picker's choices (F3 on a reference field): a fragment of ``[data-pick]``."""

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        return {"page": clients.list_clients(session, q=q, limit=20)}

    return show(request, "office/clients_pick.html", build)


def _period(raw_from: str | None, raw_to: str | None, today: date) -> tuple[date, date, str]:
    """The card's period: the one asked for, else this month so far (and which field was bad)."""
    start, end, bad = today.replace(day=1), today, ""
    try:
        if raw_from:
            start = date.fromisoformat(raw_from)
    except ValueError:
        bad = "from"
    try:
        if raw_to:
            end = date.fromisoformat(raw_to)
    except ValueError:
        bad = bad or "to"
    if not bad and end < start:
        bad = "to"
    return start, end, bad


@router.get(BASE + "/{client_id:int}", response_model=None)
def card(
    request: Request,
    client_id: int,
    date_from: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=20)] = None,
    deleted: bool = False,
) -> Response:
    """The client's card: details, legal details, contacts, balance and documents for a period,
    its events and tasks (CLI-2, CLI-3, CLI-5)."""
    hub = hub_of(request)
    start, end, bad_period = _period(date_from, date_to, hub.today())

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        client = clients.get_client(session, client_id)
        parent = clients.get_client(session, client.parent_id) if client.parent_id else None
        balance = documents.client_balance(
            session, client_id=client_id, date_from=start, date_to=end
        )
        docs = documents.list_documents(
            session, client_id=client_id, date_from=start, date_to=end, limit=PAGE
        )
        people = contacts.list_client_contacts(
            session, client_id=client_id, show_deleted=deleted, limit=PAGE
        )
        found = list_events(session, EventFilter(client_id=client_id), limit=CARD_ROWS).items
        work = list_tasks(session, flt=TaskFilter(client_id=client_id), limit=CARD_ROWS).items
        user = session.get(User, staff.user_id)
        agent = call_work.agent_of(session, user, hub.settings.site) if user else None
        return {
            "client": client,
            "parent": parent,
            "balance": balance,
            "documents": docs,
            "contacts": people,
            "events": event_views.rows(session, found),
            "addressees": bool(letters.addressees(session, client_id)),
            "tasks": task_service.describe(session, work),
            "period": {"from": start, "to": end, "bad": bad_period},
            "deleted": deleted,
            "has_agent": agent is not None,
            "may": rights(staff.profile),
            "done": done_message(request),
        }

    return show(request, "office/clients_card.html", build)


@router.get(BASE + "/birthdays", response_model=None)
def birthdays(
    request: Request,
    days: Annotated[int | None, Query(ge=0, le=366)] = None,
    cursor: Cursor = None,
) -> Response:
    """Contact persons whose birthday is near (CLI-4): the user's own number of days ahead."""
    hub = hub_of(request)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        ahead = days
        if ahead is None:
            ahead = get_user_parameters(session, staff.user_id).birthday_days_ahead
        page = contacts.upcoming_birthdays(
            session, today=hub.today(), days=ahead, cursor=cursor, limit=PAGE
        )
        return {"page": page, "days": ahead, "may": rights(staff.profile)}

    return show(request, "office/clients_birthdays.html", build)


router.include_router(clients_edit.router)
router.include_router(clients_documents.router)
router.include_router(clients_work.router)
router.include_router(clients_letter.router)
router.include_router(clients_import.router)
