"""The choices of an event's reference fields (F3 pickers) and the names they show."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.db.models import Client, Contact, EventType, Project
from hub.services.access.rights import AccessProfile
from hub.services.events import events as service
from hub.services.events.views import names_of, open_journals

PICK_LIMIT = 20


@dataclass(frozen=True)
class Choice:
    """One choice of a picker."""

    id: int
    label: str
    hint: str = ""


def pick_clients(session: Session, q: str) -> list[Choice]:
    """Live clients whose name holds ``q`` (case-insensitively), by name."""
    query = select(Client).where(Client.deleted_at.is_(None))
    if q.strip():
        query = query.where(Client.name_folded.contains(q.strip().casefold(), autoescape=True))
    found = session.scalars(query.order_by(Client.name, Client.id).limit(PICK_LIMIT))
    return [Choice(c.id, c.name, c.tax_number or "") for c in found]


def pick_contacts(session: Session, q: str, client_id: int | None) -> list[Choice]:
    """Live contact persons (of ``client_id`` when given) whose name holds ``q``."""
    query = select(Contact).where(Contact.deleted_at.is_(None))
    if client_id is not None:
        query = query.where(Contact.client_id == client_id)
    if q.strip():
        folded = q.strip().casefold()
        query = query.where(Contact.full_name_folded.contains(folded, autoescape=True))
    found = session.scalars(query.order_by(Contact.full_name, Contact.id).limit(PICK_LIMIT))
    return [Choice(c.id, c.full_name, c.position or "") for c in found]


def pick_projects(session: Session, profile: AccessProfile, q: str) -> list[Choice]:
    """Projects in this user's reach whose name holds ``q``."""
    query = select(Project)
    if not profile.unrestricted:
        journals = open_journals(profile)
        query = query.where(or_(Project.journal_id.is_(None), Project.journal_id.in_(journals)))
    if q.strip():
        query = query.where(Project.name_folded.contains(q.strip().casefold(), autoescape=True))
    found = session.scalars(query.order_by(Project.name, Project.id).limit(PICK_LIMIT))
    return [Choice(p.id, p.name) for p in found]


def pick_types(session: Session, q: str, lang: str) -> list[Choice]:
    """Event types whose name (in either language) or code holds ``q``, in the book's order."""
    kinds = session.scalars(select(EventType).order_by(EventType.sort_order, EventType.id))
    needle = q.strip().casefold()
    found = []
    for kind in kinds:  # a small reference book (SET-1)
        name = kind.name_uk if lang == "uk" else kind.name_en
        if not needle or needle in f"{kind.name_uk} {kind.name_en} {kind.code}".casefold():
            found.append(Choice(kind.id, name, kind.code))
    return found[:PICK_LIMIT]


def reachable_projects(session: Session, profile: AccessProfile) -> list[Choice]:
    """The projects a registry's project filter offers (the first ones by name)."""
    return pick_projects(session, profile, "")


def label_of(session: Session, kind: str, ident: int | None, lang: str) -> str:
    """The name a reference field shows for ``ident``."""
    if ident is None:
        return ""
    if kind == "type":
        names = service.type_names(session, ident)
        return (names[0] if lang == "uk" else names[1]) if names else ""
    model, column = {
        "client": (Client, Client.name),
        "contact": (Contact, Contact.full_name),
        "project": (Project, Project.name),
    }[kind]
    return names_of(session, model, column, [ident]).get(ident, "")
