"""REST routes of contact persons (CLI-1) and their upcoming birthdays (CLI-4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires
from hub.api.schemas.clients import (
    BirthdayPage,
    BirthdayRead,
    ContactCreate,
    ContactPage,
    ContactRead,
    ContactUpdate,
    ContactWithClient,
)
from hub.api.schemas.common import PathId
from hub.db.models.clients import Contact
from hub.services.access.rights import Action, DocType
from hub.services.clients import contacts
from hub.services.clients.contacts import PhoneData
from hub.services.common.paging import DEFAULT_LIMIT, MAX_LIMIT
from hub.services.settings.parameters import get_user_parameters

router = APIRouter(tags=["clients"])

Cursor = Annotated[str | None, Query(max_length=1000, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")]
ShowDeleted = Annotated[bool, Query(description="include deleted records (CLI-6)")]
Creator = Annotated[Principal, Depends(requires(Action.CREATE, DocType.CONTACT))]
Changer = Annotated[Principal, Depends(requires(Action.CHANGE, DocType.CONTACT))]
Deleter = Annotated[Principal, Depends(requires(Action.DELETE, DocType.CONTACT))]


def contact_view(contact: Contact) -> ContactWithClient:
    """A contact person with the client's name."""
    base = ContactRead.model_validate(contact).model_dump()
    return ContactWithClient(**base, client_name=contact.client.name)


def _phones(body: ContactCreate | ContactUpdate) -> list[PhoneData] | None:
    if body.phones is None:
        return None
    return [PhoneData(phone=item.phone, kind=item.kind) for item in body.phones]


@router.get("/contacts/birthdays", summary="Contact persons with a birthday soon (CLI-4)")
def upcoming_birthdays(
    hub: HubDep,
    session: SessionDep,
    principal: CrmUser,
    days: Annotated[
        int | None, Query(ge=0, le=366, description="days ahead; default: the user's parameter")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> BirthdayPage:
    """Birthdays from today to ``days`` ahead, soonest first, across the New Year."""
    if days is None:
        days = get_user_parameters(session, principal.user.id).birthday_days_ahead
    page = contacts.upcoming_birthdays(
        session, today=hub.today(), days=days, cursor=cursor, limit=limit
    )
    items = [
        BirthdayRead(
            **contact_view(item.contact).model_dump(),
            next_birthday=item.next_birthday,
            days_left=item.days_left,
        )
        for item in page.items
    ]
    return BirthdayPage(items=items, next_cursor=page.next_cursor)


@router.get("/contacts", summary="The contacts-only view (CLI-1)")
def list_contacts(
    session: SessionDep,
    principal: CrmUser,
    q: Annotated[
        str | None, Query(max_length=200, description="name or e-mail fragment, phone number")
    ] = None,
    show_deleted: ShowDeleted = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ContactPage:
    """Contact persons of all clients in name order."""
    page = contacts.list_contacts(
        session, q=q, show_deleted=show_deleted, cursor=cursor, limit=limit
    )
    return ContactPage(items=[contact_view(c) for c in page.items], next_cursor=page.next_cursor)


@router.get("/clients/{client_id:int}/contacts", summary="A client's contact persons")
def list_client_contacts(
    session: SessionDep,
    principal: CrmUser,
    client_id: PathId,
    show_deleted: ShowDeleted = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ContactPage:
    """The client's contact persons in name order."""
    page = contacts.list_client_contacts(
        session, client_id=client_id, show_deleted=show_deleted, cursor=cursor, limit=limit
    )
    return ContactPage(items=[contact_view(c) for c in page.items], next_cursor=page.next_cursor)


@router.post("/clients/{client_id:int}/contacts", status_code=201, summary="Add a contact person")
def create_contact(
    session: SessionDep, principal: Creator, client_id: PathId, body: ContactCreate
) -> ContactWithClient:
    """A new contact person with phones."""
    data = body.model_dump(exclude={"phones"})
    contact = contacts.create_contact(
        session, client_id=client_id, data=data, phones=_phones(body) or []
    )
    return contact_view(contact)


@router.get("/clients/{client_id:int}/contacts/{contact_id:int}", summary="One contact person")
def get_contact(
    session: SessionDep, principal: CrmUser, client_id: PathId, contact_id: PathId
) -> ContactWithClient:
    """A contact person of the client."""
    return contact_view(contacts.get_contact(session, client_id=client_id, contact_id=contact_id))


@router.patch(
    "/clients/{client_id:int}/contacts/{contact_id:int}", summary="Change a contact person"
)
def update_contact(
    session: SessionDep,
    principal: Changer,
    client_id: PathId,
    contact_id: PathId,
    body: ContactUpdate,
) -> ContactWithClient:
    """Change fields; ``phones`` replaces the list of phones.

    A deleted contact person (or one of a deleted client) is refused 409 (`contact_deleted`,
    `client_deleted`): restore it first.
    """
    changes = body.model_dump(exclude_unset=True, exclude={"phones"})
    contact = contacts.update_contact(
        session, client_id=client_id, contact_id=contact_id, changes=changes, phones=_phones(body)
    )
    return contact_view(contact)


@router.delete(
    "/clients/{client_id:int}/contacts/{contact_id:int}",
    status_code=204,
    summary="Delete a contact",
)
def delete_contact(
    session: SessionDep, principal: Deleter, client_id: PathId, contact_id: PathId
) -> Response:
    """Mark the contact person deleted (CLI-6)."""
    contacts.delete_contact(session, client_id=client_id, contact_id=contact_id)
    return Response(status_code=204)


@router.post(
    "/clients/{client_id:int}/contacts/{contact_id:int}/restore",
    summary="Restore a deleted contact",
)
def restore_contact(
    session: SessionDep, principal: Deleter, client_id: PathId, contact_id: PathId
) -> ContactWithClient:
    """Bring a deleted contact person back."""
    contact = contacts.restore_contact(session, client_id=client_id, contact_id=contact_id)
    return contact_view(contact)
