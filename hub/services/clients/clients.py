"""Clients (CLI-1, CLI-5, CLI-6): the tree of counterparties, legal details, soft delete."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, or_, select, text
from sqlalchemy.orm import Session, aliased

from hub.db.base import utcnow
from hub.db.models.clients import Client, Contact, ContactPhone
from hub.errors import Conflict, Invalid, NotFound
from hub.services.common.paging import DEFAULT_LIMIT, Page, SortKey, paginate
from hub.services.phone.numbers import digits

VAT_STATUSES = ("payer", "non_payer", "unknown")
CLIENT_FIELDS = ("name", "parent_id", "address", "phone", "email", "note")
LEGAL_FIELDS = ("full_name", "tax_number", "vat_certificate", "vat_status")
# A tree deeper than this is surely a damaged one; walking stops instead of looping forever.
MAX_DEPTH = 1000
# Any constant: the key of the PostgreSQL advisory lock that orders changes of the tree.
_TREE_LOCK_KEY = 0x434C49

_EDRPOU = re.compile(r"^\d{8}$")
_INDIVIDUAL = re.compile(r"^\d{10}$")
_EDRPOU_WEIGHTS = ((1, 2, 3, 4, 5, 6, 7), (3, 4, 5, 6, 7, 8, 9))
_EDRPOU_WEIGHTS_HIGH = ((7, 1, 2, 3, 4, 5, 6), (9, 3, 4, 5, 6, 7, 8))
_INDIVIDUAL_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)


def _edrpou_valid(code: str) -> bool:
    # The check digit of the State Register code (ЄДРПОУ): weights depend on the code's range;
    # a remainder of 10 is recomputed with weights shifted by two.
    first, second = (
        _EDRPOU_WEIGHTS_HIGH if 30_000_000 <= int(code) <= 60_000_000 else _EDRPOU_WEIGHTS
    )
    numbers = [int(char) for char in code[:7]]
    check = sum(w * n for w, n in zip(first, numbers, strict=True)) % 11
    if check == 10:
        check = sum(w * n for w, n in zip(second, numbers, strict=True)) % 11 % 10
    return check == int(code[7])


def _individual_valid(code: str) -> bool:
    # The individual taxpayer number (РНОКПП): a weighted sum of the first nine digits.
    total = sum(w * int(char) for w, char in zip(_INDIVIDUAL_WEIGHTS, code[:9], strict=True))
    return total % 11 % 10 == int(code[9])


def normalise_tax_number(value: str | None) -> str | None:
    """A valid EDRPOU (8 digits) or individual tax number (10 digits), or None; else Invalid."""
    if value is None:
        return None
    code = value.strip().replace(" ", "")
    if not code:
        return None
    if _EDRPOU.match(code):
        if _edrpou_valid(code):
            return code
    elif _INDIVIDUAL.match(code):
        if _individual_valid(code):
            return code
    else:
        raise Invalid("client_tax_number_format", field="tax_number", value=value)
    raise Invalid("client_tax_number_checksum", field="tax_number", value=value)


def get_client(session: Session, client_id: int, *, for_change: bool = False) -> Client:
    """A client by id (deleted ones too); with ``for_change`` a deleted one is refused."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound("client_not_found", id=client_id)
    if for_change and client.deleted_at is not None:
        raise Conflict("client_deleted", name=client.name)
    return client


def _lock_tree(session: Session) -> None:
    # Two concurrent moves (A under B, B under A) must not both pass the cycle check. SQLite's
    # BEGIN IMMEDIATE already lets one writer at a time; PostgreSQL needs an explicit lock.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _TREE_LOCK_KEY})


def _check_parent(session: Session, client_id: int | None, parent_id: int | None) -> None:
    """The parent exists, is not deleted and is not the client itself or one of its descendants."""
    if parent_id is None:
        return
    _lock_tree(session)
    parent = session.get(Client, parent_id)
    if parent is None:
        raise NotFound("client_parent_not_found", field="parent_id", id=parent_id)
    if parent.deleted_at is not None:
        raise Conflict("client_parent_deleted", name=parent.name)
    if client_id is None:
        return
    current: int | None = parent_id
    for _ in range(MAX_DEPTH):
        if current is None:
            return
        if current == client_id:
            raise Conflict("client_parent_cycle", name=parent.name)
        current = session.scalar(select(Client.parent_id).where(Client.id == current))
    raise Conflict("client_parent_cycle", name=parent.name)


def create_client(session: Session, *, data: Mapping[str, Any]) -> Client:
    """Add a client; ``data`` holds CLIENT_FIELDS and optionally LEGAL_FIELDS."""
    _check_parent(session, None, data.get("parent_id"))
    values = {key: data[key] for key in (*CLIENT_FIELDS, *LEGAL_FIELDS) if key in data}
    if "tax_number" in values:
        values["tax_number"] = normalise_tax_number(values["tax_number"])
    if values.get("vat_status") is None:
        values["vat_status"] = "unknown"
    client = Client(**values)
    session.add(client)
    session.flush()
    return client


def update_client(session: Session, *, client_id: int, changes: Mapping[str, Any]) -> Client:
    """Change a client's general fields (name, parent, address, phone, e-mail, note)."""
    client = get_client(session, client_id, for_change=True)
    if "parent_id" in changes and changes["parent_id"] != client.parent_id:
        _check_parent(session, client.id, changes["parent_id"])
    for key in CLIENT_FIELDS:
        if key in changes:
            setattr(client, key, changes[key])
    session.flush()
    return client


def update_legal(session: Session, *, client_id: int, details: Mapping[str, Any]) -> Client:
    """Replace a client's legal details (CLI-5): full name, tax number, VAT certificate, status."""
    client = get_client(session, client_id, for_change=True)
    client.full_name = details.get("full_name")
    client.tax_number = normalise_tax_number(details.get("tax_number"))
    client.vat_certificate = details.get("vat_certificate")
    client.vat_status = details.get("vat_status") or "unknown"
    session.flush()
    return client


def delete_client(session: Session, *, client_id: int) -> Client:
    """Mark a client deleted (CLI-6); refused while it has clients under it that are not."""
    client = get_client(session, client_id)
    if client.deleted_at is not None:
        return client
    child = session.scalar(
        select(Client.name)
        .where(Client.parent_id == client.id, Client.deleted_at.is_(None))
        .limit(1)
    )
    if child is not None:
        raise Conflict("client_has_children", name=client.name, child=child)
    client.deleted_at = utcnow()
    session.flush()
    return client


def restore_client(session: Session, *, client_id: int) -> Client:
    """Bring a deleted client back; refused while its parent is deleted."""
    client = get_client(session, client_id)
    if client.deleted_at is None:
        return client
    if client.parent_id is not None:
        parent = get_client(session, client.parent_id)
        if parent.deleted_at is not None:
            raise Conflict("client_parent_deleted", name=parent.name)
    client.deleted_at = None
    session.flush()
    return client


def _search(query: Any, q: str) -> Any:
    """Match a name fragment, a tax number or a phone number (the client's or a contact's)."""
    needle = q.strip()
    if not needle:
        return query
    conditions = [Client.name_folded.contains(needle.casefold(), autoescape=True)]
    if needle.isdigit():
        conditions.append(Client.tax_number == needle)
    phone = digits(needle)
    if phone and len(phone) >= 5:
        phone_of_contact = (
            select(ContactPhone.id)
            .join(Contact, Contact.id == ContactPhone.contact_id)
            .where(Contact.client_id == Client.id, ContactPhone.digits == phone)
        )
        conditions += [Client.phone_digits == phone, exists(phone_of_contact)]
    return query.where(or_(*conditions))


def list_clients(
    session: Session,
    *,
    q: str | None = None,
    show_deleted: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Client]:
    """The standard registry (CLI-1): clients in name order, deleted ones hidden by default."""
    query = select(Client)
    if not show_deleted:
        query = query.where(Client.deleted_at.is_(None))
    if q:
        query = _search(query, q)
    return paginate(
        session, query, [SortKey(Client.name), SortKey(Client.id)], cursor=cursor, limit=limit
    )


@dataclass(frozen=True)
class TreeNode:
    """A client in the hierarchical view and whether it has clients under it."""

    client: Client
    has_children: bool


def list_level(
    session: Session,
    *,
    parent_id: int | None,
    show_deleted: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[TreeNode]:
    """One level of the hierarchical view (CLI-1): the clients right under ``parent_id``."""
    if parent_id is not None:
        get_client(session, parent_id)
    child = aliased(Client)
    query = select(Client).where(
        Client.parent_id.is_(None) if parent_id is None else Client.parent_id == parent_id
    )
    if not show_deleted:
        query = query.where(Client.deleted_at.is_(None))
    page = paginate(
        session, query, [SortKey(Client.name), SortKey(Client.id)], cursor=cursor, limit=limit
    )
    ids = [client.id for client in page.items]
    with_children: set[int] = set()
    if ids:
        parents = select(child.parent_id).where(child.parent_id.in_(ids))
        if not show_deleted:
            parents = parents.where(child.deleted_at.is_(None))
        with_children = set(session.scalars(parents.distinct()))
    nodes = [TreeNode(client, client.id in with_children) for client in page.items]
    return Page(items=nodes, next_cursor=page.next_cursor)
