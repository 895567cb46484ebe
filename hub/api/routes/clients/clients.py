"""REST routes of the clients module: clients, their tree, legal details and balances."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from hub.api.deps import CrmUser, Principal, SessionDep, requires
from hub.api.routes.clients.contacts import router as contacts_router
from hub.api.routes.clients.documents import balance_view
from hub.api.routes.clients.documents import router as documents_router
from hub.api.routes.clients.imports import router as imports_router
from hub.api.routes.clients.letters import router as letters_router
from hub.api.schemas.clients import (
    BalancePage,
    ClientCreate,
    ClientLegal,
    ClientPage,
    ClientRead,
    ClientUpdate,
    TreeNodeRead,
    TreePage,
)
from hub.api.schemas.common import MAX_DB_INT, IsoDate, PathId
from hub.errors import NotFound
from hub.services.access.rights import Action, DocType
from hub.services.clients import clients
from hub.services.clients import documents as clients_documents
from hub.services.common.paging import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/api/v1", tags=["clients"])

Cursor = Annotated[str | None, Query(max_length=1000, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")]
ShowDeleted = Annotated[bool, Query(description="include deleted records (CLI-6)")]
Search = Annotated[
    str | None, Query(max_length=200, description="name fragment, tax number or phone number")
]
Creator = Annotated[Principal, Depends(requires(Action.CREATE, DocType.CLIENT))]
Changer = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.CLIENT))]
Deleter = Annotated[Principal, Depends(requires(Action.DELETE, DocType.CLIENT))]


@router.get("/clients", summary="The standard registry of clients (CLI-1)")
def list_clients(
    session: SessionDep,
    principal: CrmUser,
    q: Search = None,
    show_deleted: ShowDeleted = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ClientPage:
    """Clients in name order; deleted ones hidden unless ``show_deleted``."""
    page = clients.list_clients(session, q=q, show_deleted=show_deleted, cursor=cursor, limit=limit)
    items = [ClientRead.model_validate(client) for client in page.items]
    return ClientPage(items=items, next_cursor=page.next_cursor)


@router.get(
    "/clients/tree",
    summary="One level of the hierarchical view (CLI-1)",
    responses={404: {"description": "No client with the id given as `parent`"}},
)
def client_tree(
    session: SessionDep,
    principal: CrmUser,
    parent: Annotated[
        str, Query(pattern=r"^(root|[1-9][0-9]{0,9})$", description="'root' or a client's id")
    ] = "root",
    show_deleted: ShowDeleted = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> TreePage:
    """The clients right under ``parent``, each with ``has_children`` for lazy expanding."""
    parent_id = None if parent == "root" else int(parent)
    if parent_id is not None and parent_id > MAX_DB_INT:
        raise NotFound("client_not_found", id=parent_id)
    page = clients.list_level(
        session, parent_id=parent_id, show_deleted=show_deleted, cursor=cursor, limit=limit
    )
    items = [
        TreeNodeRead(
            **ClientRead.model_validate(node.client).model_dump(), has_children=node.has_children
        )
        for node in page.items
    ]
    return TreePage(items=items, next_cursor=page.next_cursor)


@router.get("/clients/balances", summary="Balances and turnover of clients for a period (CLI-2)")
def list_balances(
    session: SessionDep,
    principal: CrmUser,
    date_from: IsoDate,
    date_to: IsoDate,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> BalancePage:
    """Per client and currency: opening balance, incoming, outgoing, closing balance."""
    page = clients_documents.balances(
        session, date_from=date_from, date_to=date_to, cursor=cursor, limit=limit
    )
    items = [balance_view(item, date_from, date_to) for item in page.items]
    return BalancePage(items=items, next_cursor=page.next_cursor)


@router.post("/clients", status_code=201, summary="Add a client")
def create_client(session: SessionDep, principal: Creator, body: ClientCreate) -> ClientRead:
    """A new client, optionally under a parent and with legal details."""
    client = clients.create_client(session, data=body.model_dump())
    return ClientRead.model_validate(client)


@router.get("/clients/{client_id:int}", summary="One client")
def get_client(session: SessionDep, principal: CrmUser, client_id: PathId) -> ClientRead:
    """A client by id (deleted ones too)."""
    return ClientRead.model_validate(clients.get_client(session, client_id))


@router.patch("/clients/{client_id:int}", summary="Change a client")
def update_client(
    session: SessionDep, principal: Changer, client_id: PathId, body: ClientUpdate
) -> ClientRead:
    """Change the name, parent, address, phone, e-mail or note.

    A deleted client is refused 409 (`client_deleted`): restore it first.
    """
    changes = body.model_dump(exclude_unset=True)
    client = clients.update_client(session, client_id=client_id, changes=changes)
    return ClientRead.model_validate(client)


@router.put("/clients/{client_id:int}/legal", summary="Update a client's legal details (CLI-5)")
def update_legal(
    session: SessionDep, principal: Changer, client_id: PathId, body: ClientLegal
) -> ClientRead:
    """Replace the full name, tax number, VAT certificate and VAT status (409 if deleted)."""
    client = clients.update_legal(session, client_id=client_id, details=body.model_dump())
    return ClientRead.model_validate(client)


@router.delete("/clients/{client_id:int}", status_code=204, summary="Delete a client (CLI-6)")
def delete_client(session: SessionDep, principal: Deleter, client_id: PathId) -> Response:
    """Mark the client deleted; it is kept and can be restored."""
    clients.delete_client(session, client_id=client_id)
    return Response(status_code=204)


@router.post("/clients/{client_id:int}/restore", summary="Restore a deleted client (CLI-6)")
def restore_client(session: SessionDep, principal: Deleter, client_id: PathId) -> ClientRead:
    """Bring a deleted client back."""
    return ClientRead.model_validate(clients.restore_client(session, client_id=client_id))


router.include_router(contacts_router)
router.include_router(documents_router)
router.include_router(imports_router)
router.include_router(letters_router)
