"""What the Projects section shows at a desk (PRJ-1..PRJ-8): registry rows with their names, the
card's choices and checks, a discussion's latest messages and the way an attachment is shown.

Reads only; every change goes through ``projects``, ``contracts``, ``discussion`` and
``attachments`` with the user's rights, exactly as the API's routes do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import (
    Attachment,
    Client,
    Employee,
    EventType,
    Journal,
    Message,
    Project,
    ProjectMember,
    User,
)
from hub.errors import DomainError, Invalid, NotFound
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.projects.projects import REFERENCES, check_reference, get_project

# A discussion tab shows this many of the latest messages; new ones arrive after them.
RECENT_MESSAGES = 100
# Media types a browser may show in the page (never HTML, SVG or script: those only download).
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
INLINE_PDF = "application/pdf"
# The first bytes each inline type starts with: a file declared as one type but holding another
# is downloaded, not shown.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    INLINE_PDF: (b"%PDF-",),
}
SIGNATURE_BYTES = 12
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

Shown = Literal["image", "pdf", "download"]


@dataclass(frozen=True)
class Named:
    """A choice of a select: an id and its names in both languages."""

    id: int
    name_uk: str
    name_en: str

    def name(self, lang: str) -> str:
        """The name in ``lang``."""
        return self.name_uk if lang == "uk" else self.name_en


@dataclass(frozen=True)
class ProjectRow:
    """A registry row: the project with its journal's and manager's names."""

    project: Project
    journal: Named | None
    manager_name: str | None


def person_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Users' employee names (their login where there is no employee), by id, in one query."""
    wanted = {ident for ident in user_ids if ident is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(User.id, User.username, Employee.full_name)
        .outerjoin(Employee, Employee.id == User.employee_id)
        .where(User.id.in_(wanted))
    )
    return {row.id: row.full_name or row.username for row in rows}


def journals(session: Session) -> list[Named]:
    """Every journal (SET-5), in the book's order: the registry's filter and the card's choices."""
    found = session.scalars(select(Journal).order_by(Journal.sort_order, Journal.id))
    return [Named(j.id, j.name_uk, j.name_en) for j in found]


def event_types(session: Session) -> list[Named]:
    """Every event type (SET-1), in the book's order."""
    found = session.scalars(select(EventType).order_by(EventType.sort_order, EventType.id))
    return [Named(t.id, t.name_uk, t.name_en) for t in found]


def journals_for(
    profile: AccessProfile, action: Action, doc_type: DocType, books: Sequence[Named]
) -> list[Named]:
    """The journals in which ``profile`` may do ``action`` to ``doc_type`` (ACC-2)."""
    return [j for j in books if profile.can(action, doc_type, j.id)]


def registry_rows(session: Session, projects: Sequence[Project]) -> list[ProjectRow]:
    """The registry's rows: each project with its journal and manager named (two queries)."""
    books = {j.id: j for j in journals(session)}
    managers = person_names(session, (p.manager_id for p in projects))
    return [
        ProjectRow(
            project=p,
            journal=books.get(p.journal_id) if p.journal_id is not None else None,
            manager_name=managers.get(p.manager_id) if p.manager_id is not None else None,
        )
        for p in projects
    ]


@dataclass(frozen=True)
class Person:
    """A user as a choice: the employee's name (or login) and the login."""

    id: int
    name: str
    username: str


def people(session: Session, *, exclude: Iterable[int] = ()) -> list[Person]:
    """Active users of the CRM by name: managers, controllers, work-group members to choose."""
    left_out = set(exclude)
    rows = session.execute(
        select(User.id, User.username, Employee.full_name)
        .outerjoin(Employee, Employee.id == User.employee_id)
        .where(User.is_active, User.crm_access | User.full_access | User.is_admin)
        .order_by(Employee.full_name, User.username, User.id)
    )
    return [
        Person(row.id, row.full_name or row.username, row.username)
        for row in rows
        if row.id not in left_out
    ]


def member_ids(session: Session, *, project_id: int) -> list[int]:
    """The users of the project's work group."""
    return list(
        session.scalars(select(ProjectMember.user_id).where(ProjectMember.project_id == project_id))
    )


def client_name(session: Session, client_id: int | None) -> str:
    """A client's name ("" when none or missing)."""
    client = session.get(Client, client_id) if client_id is not None else None
    return client.name if client is not None else ""


def client_names(session: Session, client_ids: Iterable[int | None]) -> dict[int, str]:
    """Clients' names by id, in one query (a contracts list's counterparties)."""
    wanted = {ident for ident in client_ids if ident is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Client.id, Client.name).where(Client.id.in_(wanted)))
    return {row.id: row.name for row in rows}


def card_problems(session: Session, values: Mapping[str, Any]) -> list[DomainError]:
    """Every rule a project card breaks, each naming its field (the services' own checks, run
    one by one so that a form can show them all at once)."""
    problems: list[DomainError] = []
    start, end = values.get("start_date"), values.get("end_date")
    if start is not None and end is not None and end < start:
        problems.append(Invalid("period_reversed", field="end_date"))
    for field in REFERENCES:
        try:
            check_reference(session, field, values.get(field))
        except DomainError as error:
            problems.append(error)
    return problems


@dataclass(frozen=True)
class Post:
    """A discussion message with its author's name."""

    message: Message
    author: str | None


@dataclass(frozen=True)
class Discussion:
    """The latest messages of a discussion, oldest first, and whether earlier ones exist."""

    posts: list[Post]
    earlier: bool

    @property
    def last_id(self) -> int:
        """The id after which new messages are asked for (0 when there is none)."""
        return self.posts[-1].message.id if self.posts else 0


def _posts(session: Session, messages: Sequence[Message]) -> list[Post]:
    names = person_names(session, (m.author_id for m in messages))
    return [Post(m, names.get(m.author_id) if m.author_id is not None else None) for m in messages]


def recent_messages(
    session: Session, *, project_id: int, limit: int = RECENT_MESSAGES
) -> Discussion:
    """The latest ``limit`` messages of the project's discussion (PRJ-6), oldest first."""
    get_project(session, project_id)
    newest = list(
        session.scalars(
            select(Message)
            .where(Message.project_id == project_id)
            .order_by(Message.id.desc())
            .limit(limit + 1)
        )
    )
    earlier = len(newest) > limit
    return Discussion(_posts(session, list(reversed(newest[:limit]))), earlier)


def messages_after(
    session: Session, *, project_id: int, after_id: int, limit: int = RECENT_MESSAGES
) -> list[Post]:
    """The project's messages posted after message ``after_id``, oldest first (a page's poll)."""
    get_project(session, project_id)
    found = session.scalars(
        select(Message)
        .where(Message.project_id == project_id, Message.id > after_id)
        .order_by(Message.id)
        .limit(limit)
    )
    return _posts(session, list(found))


def project_message(session: Session, *, project_id: int, message_id: int) -> Message:
    """A message of this project's discussion, or NotFound."""
    message = session.get(Message, message_id)
    if message is None or message.project_id != project_id:
        raise NotFound("not_found", what=f"message {message_id} of project {project_id}")
    return message


def project_attachment(session: Session, *, project_id: int, attachment_id: int) -> Attachment:
    """An attachment of this project, or NotFound (another owner's file is not reached here)."""
    get_project(session, project_id)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.project_id != project_id:
        raise NotFound("not_found", what=f"attachment {attachment_id} of project {project_id}")
    return attachment


def declared_view(content_type: str) -> Shown:
    """How a file of this declared type is offered: as an image, as a PDF, or for download."""
    if content_type in INLINE_IMAGES:
        return "image"
    if content_type == INLINE_PDF:
        return "pdf"
    return "download"


def inline_view(content_type: str, head: bytes) -> Shown:
    """How a file is served: inline only when its first bytes match its declared type."""
    shown = declared_view(content_type)
    if shown == "download":
        return shown
    if not head.startswith(_SIGNATURES[content_type]):
        return "download"
    if content_type == "image/webp" and head[8:12] != b"WEBP":
        return "download"
    return shown


def safe_color(value: str | None) -> str | None:
    """A status colour fit for a page (``#rgb`` or ``#rrggbb``), else None."""
    return value if value and _COLOR.match(value) else None
