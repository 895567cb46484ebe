"""Clients (counterparties), their contact persons and settlement documents (CLI-1..CLI-6)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from hub.db.base import Base, TimestampMixin, utcnow
from hub.services.phone.numbers import digits

MONEY = Numeric(16, 2)


class Client(TimestampMixin, Base):
    """A counterparty; ``parent_id`` builds the hierarchical view (CLI-1)."""

    __tablename__ = "clients"
    __table_args__ = (
        # Partial indexes give the name order of active rows straight from the index on both
        # databases (PostgreSQL cannot order by an index after an "IS NULL" column).
        Index("ix_clients_name", "name", "id"),
        Index(
            "ix_clients_active_name",
            "name",
            "id",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # One level of the lazy tree: children of a parent, active ones, in name order; the top
        # level (no parent) has its own.
        Index(
            "ix_clients_parent_tree",
            "parent_id",
            "name",
            "id",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_clients_roots",
            "name",
            "id",
            sqlite_where=text("parent_id IS NULL AND deleted_at IS NULL"),
            postgresql_where=text("parent_id IS NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(300))
    # The name case-folded in Python: SQLite's lower() leaves Cyrillic letters as they are.
    name_folded: Mapped[str | None] = mapped_column(String(300))
    # Legal details (CLI-5).
    full_name: Mapped[str | None] = mapped_column(String(500))
    tax_number: Mapped[str | None] = mapped_column(String(20), index=True)
    vat_certificate: Mapped[str | None] = mapped_column(String(40))
    vat_status: Mapped[str] = mapped_column(String(16), default="unknown")
    address: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(32))
    phone_digits: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    note: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None]

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="client", order_by="Contact.id", lazy="selectin"
    )

    @validates("name")
    def _fold_name(self, _key: str, value: str) -> str:
        self.name_folded = value.casefold() if value is not None else None
        return value

    @validates("phone")
    def _phone_digits(self, _key: str, value: str | None) -> str | None:
        self.phone_digits = digits(value)
        return value


class Contact(TimestampMixin, Base):
    """A contact person of a client (CLI-1, CLI-4)."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_birthday_md", "birth_month", "birth_day"),
        Index("ix_contacts_name", "full_name", "id"),
        Index(
            "ix_contacts_active_name",
            "full_name",
            "id",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(300))
    full_name_folded: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    birthday: Mapped[date | None]
    # Month and day apart, so "birthdays in the next N days" is an index range, not a scan.
    birth_month: Mapped[int | None]
    birth_day: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None]

    client: Mapped[Client] = relationship(back_populates="contacts")
    phones: Mapped[list[ContactPhone]] = relationship(
        back_populates="contact",
        order_by="ContactPhone.id",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    @validates("full_name")
    def _fold_name(self, _key: str, value: str) -> str:
        self.full_name_folded = value.casefold() if value is not None else None
        return value

    @validates("birthday")
    def _birth_month_day(self, _key: str, value: date | None) -> date | None:
        self.birth_month = value.month if value else None
        self.birth_day = value.day if value else None
        return value


class ContactPhone(Base):
    """A phone number of a contact; ``digits`` is the number reduced to digits for look-ups."""

    __tablename__ = "contact_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str] = mapped_column(String(32))
    digits: Mapped[str] = mapped_column(String(32), index=True)  # kept in step with ``phone``
    kind: Mapped[str] = mapped_column(String(16), default="work")

    contact: Mapped[Contact] = relationship(back_populates="phones")

    @validates("phone")
    def _digits(self, _key: str, value: str) -> str:
        self.digits = digits(value) or ""
        return value


class SettlementDocument(TimestampMixin, Base):
    """A contract, invoice, payment, act, waybill, tax invoice... of a client (CLI-2).

    ``direction`` "in" adds to the client's balance, "out" takes from it; contracts carry
    amounts but do not move the balance.
    """

    __tablename__ = "settlement_documents"
    __table_args__ = (
        Index("ix_settlement_documents_client_date", "client_id", "doc_date", "id"),
        Index("ix_settlement_documents_date", "doc_date"),
        Index(
            "uq_settlement_documents_natural",
            "client_id",
            "kind",
            "number",
            "doc_date",
            unique=True,
        ),
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(24))
    number: Mapped[str] = mapped_column(String(64))
    doc_date: Mapped[date]
    direction: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3), default="UAH")
    affects_balance: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(Text)


class ImportJob(Base):
    """One import of clients, contacts or settlement documents started from the back-office: its
    progress while it runs and its report (rejections as message codes) when it is done, kept
    so that a reload, another page or a restart of the hub still finds it (CLI-2)."""

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_user", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    valid_only: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(8), default="running")
    total: Mapped[int | None]
    done: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
