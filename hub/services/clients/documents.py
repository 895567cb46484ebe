"""Settlement documents of clients and their balances for a period (CLI-2).

A document with direction "in" adds to the client's balance and "out" takes from it; contracts
carry amounts but never move the balance. Balances are summed by the database (GROUP BY client
and currency with conditional sums), in whole kopecks so that SQLite adds exactly too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.models.clients import Client, SettlementDocument
from hub.errors import Conflict, Invalid, NotFound
from hub.services.clients.clients import get_client
from hub.services.common.paging import DEFAULT_LIMIT, Page, SortKey, paginate

DOCUMENT_KINDS = ("contract", "invoice", "payment", "act", "waybill", "tax_invoice", "other")
DIRECTIONS = ("in", "out")
DOCUMENT_FIELDS = ("kind", "number", "doc_date", "direction", "amount", "currency", "description")
CENT = Decimal("0.01")


def affects_balance(kind: str) -> bool:
    """Whether documents of this kind move the balance (contracts do not)."""
    return kind != "contract"


def get_document(session: Session, *, client_id: int, document_id: int) -> SettlementDocument:
    """A settlement document of the client."""
    document = session.get(SettlementDocument, document_id)
    if document is None or document.client_id != client_id:
        raise NotFound("client_document_not_found", id=document_id)
    return document


def find_duplicate(
    session: Session, *, client_id: int, kind: str, number: str, doc_date: date
) -> SettlementDocument | None:
    """The document with the same natural key (client, kind, number, date), if any."""
    return session.scalar(
        select(SettlementDocument).where(
            SettlementDocument.client_id == client_id,
            SettlementDocument.kind == kind,
            SettlementDocument.number == number,
            SettlementDocument.doc_date == doc_date,
        )
    )


def _flush_unique(session: Session, document: SettlementDocument, *, exclude: int | None) -> None:
    duplicate = find_duplicate(
        session,
        client_id=document.client_id,
        kind=document.kind,
        number=document.number,
        doc_date=document.doc_date,
    )
    if duplicate is not None and duplicate.id != exclude and duplicate is not document:
        raise Conflict(
            "client_document_duplicate", number=document.number, date=document.doc_date.isoformat()
        )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent request stored the same document first
        raise Conflict(
            "client_document_duplicate", number=document.number, date=document.doc_date.isoformat()
        ) from None


def create_document(
    session: Session, *, client_id: int, data: Mapping[str, Any]
) -> SettlementDocument:
    """Add a settlement document to a client that is not deleted."""
    get_client(session, client_id, for_change=True)
    values = {key: data[key] for key in DOCUMENT_FIELDS if key in data}
    values["amount"] = Decimal(values["amount"]).quantize(CENT)
    document = SettlementDocument(
        client_id=client_id, affects_balance=affects_balance(values["kind"]), **values
    )
    with session.no_autoflush:
        session.add(document)
        _flush_unique(session, document, exclude=None)
    return document


def update_document(
    session: Session, *, client_id: int, document_id: int, changes: Mapping[str, Any]
) -> SettlementDocument:
    """Change a settlement document."""
    get_client(session, client_id, for_change=True)
    document = get_document(session, client_id=client_id, document_id=document_id)
    with session.no_autoflush:
        for key in DOCUMENT_FIELDS:
            if key in changes:
                value = changes[key]
                setattr(document, key, Decimal(value).quantize(CENT) if key == "amount" else value)
        document.affects_balance = affects_balance(document.kind)
        _flush_unique(session, document, exclude=document.id)
    return document


def delete_document(session: Session, *, client_id: int, document_id: int) -> None:
    """Remove a settlement document."""
    get_client(session, client_id, for_change=True)
    session.delete(get_document(session, client_id=client_id, document_id=document_id))
    session.flush()


def list_documents(
    session: Session,
    *,
    client_id: int,
    date_from: date | None = None,
    date_to: date | None = None,
    currency: str | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[SettlementDocument]:
    """A client's documents in date order, optionally those behind a period's turnover."""
    _check_period(date_from, date_to)
    get_client(session, client_id)
    query = select(SettlementDocument).where(SettlementDocument.client_id == client_id)
    if date_from is not None:
        query = query.where(SettlementDocument.doc_date >= date_from)
    if date_to is not None:
        query = query.where(SettlementDocument.doc_date <= date_to)
    if currency is not None:
        query = query.where(SettlementDocument.currency == currency)
    if kind is not None:
        query = query.where(SettlementDocument.kind == kind)
    keys = [SortKey(SettlementDocument.doc_date), SortKey(SettlementDocument.id)]
    return paginate(session, query, keys, cursor=cursor, limit=limit)


# --- balances --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrencyBalance:
    """One currency of a client's settlements over a period."""

    currency: str
    opening: Decimal
    incoming: Decimal
    outgoing: Decimal
    closing: Decimal


@dataclass(frozen=True)
class ClientBalance:
    """A client and its balances per currency."""

    client: Client
    currencies: list[CurrencyBalance]


def _check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None and date_to < date_from:
        raise Invalid("period_reversed", field="date_to")


def _sums(
    session: Session, client_ids: list[int], date_from: date, date_to: date
) -> dict[int, list[CurrencyBalance]]:
    """Opening balance and turnovers per client and currency, summed by the database."""
    doc = SettlementDocument
    cents = cast(func.round(doc.amount * 100), BigInteger)
    before = doc.doc_date < date_from
    inside = doc.doc_date >= date_from
    zero = cast(0, BigInteger)

    def total(condition: Any, value: Any) -> Any:
        return func.coalesce(func.sum(case((condition, value), else_=zero)), 0)

    query = (
        select(
            doc.client_id,
            doc.currency,
            total(and_(before, doc.direction == "in"), cents)
            - total(and_(before, doc.direction == "out"), cents),
            total(and_(inside, doc.direction == "in"), cents),
            total(and_(inside, doc.direction == "out"), cents),
        )
        .where(doc.client_id.in_(client_ids), doc.affects_balance, doc.doc_date <= date_to)
        .group_by(doc.client_id, doc.currency)
        .order_by(doc.client_id, doc.currency)
    )
    result: dict[int, list[CurrencyBalance]] = {}
    for client_id, currency, opening, incoming, outgoing in session.execute(query):
        o, i, u = (Decimal(int(value)) * CENT for value in (opening, incoming, outgoing))
        balance = CurrencyBalance(currency, o, i, u, o + i - u)
        result.setdefault(client_id, []).append(balance)
    return result


def balances(
    session: Session,
    *,
    date_from: date,
    date_to: date,
    client_id: int | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[ClientBalance]:
    """Per client (in name order) and currency: opening balance, turnovers, closing balance.

    Only clients with documents that move the balance up to ``date_to`` are listed.
    """
    _check_period(date_from, date_to)
    has_documents = exists(
        select(SettlementDocument.id).where(
            SettlementDocument.client_id == Client.id,
            SettlementDocument.affects_balance,
            SettlementDocument.doc_date <= date_to,
        )
    )
    query = select(Client).where(has_documents)
    if client_id is not None:
        query = query.where(Client.id == client_id)
    else:
        query = query.where(Client.deleted_at.is_(None))
    page = paginate(
        session, query, [SortKey(Client.name), SortKey(Client.id)], cursor=cursor, limit=limit
    )
    sums = _sums(session, [client.id for client in page.items], date_from, date_to)
    items = [ClientBalance(client, sums.get(client.id, [])) for client in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


def client_balance(
    session: Session, *, client_id: int, date_from: date, date_to: date
) -> ClientBalance:
    """One client's balances for the period (empty currencies when it has no documents)."""
    _check_period(date_from, date_to)
    client = get_client(session, client_id)
    sums = _sums(session, [client.id], date_from, date_to)
    return ClientBalance(client, sums.get(client.id, []))
