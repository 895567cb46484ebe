"""REST routes of settlement documents and a client's balance (CLI-2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from hub.api.deps import CrmUser, Principal, SessionDep, requires
from hub.api.schemas.clients import (
    ClientBalanceRead,
    CurrencyBalanceRead,
    DocumentCreate,
    DocumentKind,
    DocumentPage,
    DocumentRead,
    DocumentUpdate,
)
from hub.api.schemas.common import IsoDate, PathId
from hub.services.access.rights import Action, DocType
from hub.services.clients import documents
from hub.services.clients.documents import ClientBalance
from hub.services.common.paging import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(tags=["clients"])

Cursor = Annotated[str | None, Query(max_length=1000, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")]
Creator = Annotated[Principal, Depends(requires(Action.CREATE, DocType.SETTLEMENT_DOCUMENT))]
Changer = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.SETTLEMENT_DOCUMENT))]
Deleter = Annotated[Principal, Depends(requires(Action.DELETE, DocType.SETTLEMENT_DOCUMENT))]


def balance_view(item: ClientBalance, date_from: date, date_to: date) -> ClientBalanceRead:
    """A client's balances as a reply."""
    return ClientBalanceRead(
        client_id=item.client.id,
        client_name=item.client.name,
        date_from=date_from,
        date_to=date_to,
        currencies=[CurrencyBalanceRead.model_validate(c) for c in item.currencies],
    )


@router.get("/clients/{client_id:int}/balance", summary="A client's balance for a period (CLI-2)")
def client_balance(
    session: SessionDep,
    principal: CrmUser,
    client_id: PathId,
    date_from: IsoDate,
    date_to: IsoDate,
) -> ClientBalanceRead:
    """Opening balance, incoming and outgoing turnover and closing balance per currency."""
    item = documents.client_balance(
        session, client_id=client_id, date_from=date_from, date_to=date_to
    )
    return balance_view(item, date_from, date_to)


@router.get("/clients/{client_id:int}/documents", summary="A client's settlement documents")
def list_documents(
    session: SessionDep,
    principal: CrmUser,
    client_id: PathId,
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    kind: DocumentKind | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> DocumentPage:
    """Documents in date order; with a period, the documents behind its turnover."""
    page = documents.list_documents(
        session,
        client_id=client_id,
        date_from=date_from,
        date_to=date_to,
        currency=currency,
        kind=kind,
        cursor=cursor,
        limit=limit,
    )
    items = [DocumentRead.model_validate(document) for document in page.items]
    return DocumentPage(items=items, next_cursor=page.next_cursor)


@router.post("/clients/{client_id:int}/documents", status_code=201, summary="Add a document")
def create_document(
    session: SessionDep, principal: Creator, client_id: PathId, body: DocumentCreate
) -> DocumentRead:
    """A new settlement document; 409 when the same kind, number and date exist."""
    document = documents.create_document(session, client_id=client_id, data=body.model_dump())
    return DocumentRead.model_validate(document)


@router.get(
    "/clients/{client_id:int}/documents/{document_id:int}", summary="One settlement document"
)
def get_document(
    session: SessionDep, principal: CrmUser, client_id: PathId, document_id: PathId
) -> DocumentRead:
    """A settlement document of the client."""
    document = documents.get_document(session, client_id=client_id, document_id=document_id)
    return DocumentRead.model_validate(document)


@router.patch("/clients/{client_id:int}/documents/{document_id:int}", summary="Change a document")
def update_document(
    session: SessionDep,
    principal: Changer,
    client_id: PathId,
    document_id: PathId,
    body: DocumentUpdate,
) -> DocumentRead:
    """Change a settlement document."""
    document = documents.update_document(
        session,
        client_id=client_id,
        document_id=document_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return DocumentRead.model_validate(document)


@router.delete(
    "/clients/{client_id:int}/documents/{document_id:int}",
    status_code=204,
    summary="Delete a document",
)
def delete_document(
    session: SessionDep, principal: Deleter, client_id: PathId, document_id: PathId
) -> Response:
    """Remove a settlement document."""
    documents.delete_document(session, client_id=client_id, document_id=document_id)
    return Response(status_code=204)
