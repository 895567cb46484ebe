"""Request and reply bodies of clients, contact persons and settlement documents (CLI-1..CLI-6)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from hub.api.schemas.common import MAX_DB_INT, Input, IsoDate, Lax, Output, Text, single_line

VatStatus = Literal["payer", "non_payer", "unknown"]
PhoneKind = Literal["work", "mobile", "home", "fax", "other"]
DocumentKind = Literal["contract", "invoice", "payment", "act", "waybill", "tax_invoice", "other"]
Direction = Literal["in", "out"]


ClientName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(single_line),
]
LongLine = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(single_line)
]
ShortLine = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(single_line)
]
Phone = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[0-9+()\-. ]+$"
    ),
]
TaxNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=20),
    Field(description="EDRPOU (8 digits) or individual tax number (10 digits)"),
]
ParentId = Annotated[int, Field(ge=1, le=MAX_DB_INT, description="Parent client, or null")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(examples=["UAH"])]
Amount = Annotated[
    Decimal,
    Lax,
    Field(ge=0, max_digits=16, decimal_places=2, description="Not below zero, 2 decimal places"),
]
DocNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(single_line),
]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]


class ClientCreate(Input):
    """A new client; legal details may be given at once (CLI-5)."""

    name: ClientName
    parent_id: ParentId | None = None
    address: LongLine | None = None
    phone: Phone | None = None
    email: Email | None = None
    note: Text | None = None
    full_name: LongLine | None = None
    tax_number: TaxNumber | None = None
    vat_certificate: ShortLine | None = None
    vat_status: VatStatus = "unknown"


class ClientUpdate(Input):
    """Changed general fields of a client (legal details have their own endpoint).

    Fields left out stay as they are; null is refused where the field cannot be empty.
    """

    name: ClientName = None  # type: ignore[assignment]
    parent_id: ParentId | None = None
    address: LongLine | None = None
    phone: Phone | None = None
    email: Email | None = None
    note: Text | None = None


class ClientLegal(Input):
    """A client's legal details (CLI-5), replaced as a whole."""

    full_name: LongLine | None = None
    tax_number: TaxNumber | None = None
    vat_certificate: ShortLine | None = None
    vat_status: VatStatus = "unknown"


class ClientRead(Output):
    """A client."""

    id: int
    parent_id: int | None
    name: str
    full_name: str | None
    tax_number: str | None
    vat_certificate: str | None
    vat_status: str
    address: str | None
    phone: str | None
    email: str | None
    note: str | None
    deleted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ClientPage(Output):
    """A page of the standard registry."""

    items: list[ClientRead]
    next_cursor: str | None


class TreeNodeRead(ClientRead):
    """A client in the hierarchical view."""

    has_children: bool


class TreePage(Output):
    """A page of one level of the hierarchical view."""

    items: list[TreeNodeRead]
    next_cursor: str | None


class PhoneIn(Input):
    """A phone number of a contact person."""

    phone: Phone
    kind: PhoneKind = "work"


class PhoneRead(Output):
    """A phone number of a contact person."""

    id: int
    phone: str
    digits: str
    kind: str


class ContactCreate(Input):
    """A new contact person."""

    full_name: ClientName
    position: LongLine | None = None
    email: Email | None = None
    birthday: IsoDate | None = None
    note: Text | None = None
    phones: list[PhoneIn] = Field(default_factory=list, max_length=20)


class ContactUpdate(Input):
    """Changed fields of a contact person; ``phones`` replaces the whole list."""

    full_name: ClientName = None  # type: ignore[assignment]
    position: LongLine | None = None
    email: Email | None = None
    birthday: IsoDate | None = None
    note: Text | None = None
    phones: Annotated[list[PhoneIn], Field(max_length=20)] = None  # type: ignore[assignment]


class ContactRead(Output):
    """A contact person."""

    id: int
    client_id: int
    full_name: str
    position: str | None
    email: str | None
    birthday: date | None
    note: str | None
    deleted_at: datetime | None
    phones: list[PhoneRead]


class ContactWithClient(ContactRead):
    """A contact person in the contacts-only view, with the client's name."""

    client_name: str


class ContactPage(Output):
    """A page of contact persons."""

    items: list[ContactWithClient]
    next_cursor: str | None


class BirthdayRead(ContactWithClient):
    """A contact person whose birthday is near."""

    next_birthday: date
    days_left: int


class BirthdayPage(Output):
    """A page of upcoming birthdays, soonest first."""

    items: list[BirthdayRead]
    next_cursor: str | None


class DocumentCreate(Input):
    """A new settlement document (CLI-2)."""

    kind: DocumentKind
    number: DocNumber
    doc_date: IsoDate
    direction: Direction
    amount: Amount
    currency: Currency = "UAH"
    description: Text | None = None


class DocumentUpdate(Input):
    """Changed fields of a settlement document."""

    kind: DocumentKind = None  # type: ignore[assignment]
    number: DocNumber = None  # type: ignore[assignment]
    doc_date: IsoDate = None  # type: ignore[assignment]
    direction: Direction = None  # type: ignore[assignment]
    amount: Amount = None  # type: ignore[assignment]
    currency: Currency = None  # type: ignore[assignment]
    description: Text | None = None


class DocumentRead(Output):
    """A settlement document."""

    id: int
    client_id: int
    kind: str
    number: str
    doc_date: IsoDate
    direction: str
    amount: Decimal
    currency: str
    affects_balance: bool
    description: str | None


class DocumentPage(Output):
    """A page of settlement documents."""

    items: list[DocumentRead]
    next_cursor: str | None


class CurrencyBalanceRead(Output):
    """One currency of a client's settlements for the period."""

    currency: str
    opening: Decimal
    incoming: Decimal
    outgoing: Decimal
    closing: Decimal


class ClientBalanceRead(Output):
    """A client's balances for the period, per currency."""

    client_id: int
    client_name: str
    date_from: date
    date_to: date
    currencies: list[CurrencyBalanceRead]


class BalancePage(Output):
    """A page of clients' balances."""

    items: list[ClientBalanceRead]
    next_cursor: str | None
