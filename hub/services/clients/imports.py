"""Import of clients, contact persons and settlement documents from other systems (CLI-2).

The first row names the columns, in English or Ukrainian, in any order and letter case; unknown
columns are ignored; a required column that is missing refuses the whole file.

clients:   name / назва (required); full_name / повна назва; tax_number / код, єдрпоу, іпн;
           vat_certificate / свідоцтво пдв; vat_status / статус пдв (payer, non_payer, unknown,
           платник, неплатник); address / адреса; phone / телефон; email / e-mail, ел. пошта;
           note / примітка; parent_id / id батька; parent_tax_number / код батька.
contacts:  client_id / id клієнта or client_tax_number / код клієнта (one is required);
           full_name / піб, ім'я (required); position / посада; email / e-mail, ел. пошта;
           birthday / дата народження; phones / телефони, телефон (several split by "," or ";");
           note / примітка.
documents: client_id / id клієнта or client_tax_number / код клієнта (one is required);
           kind / вид (contract, invoice, payment, act, waybill, tax_invoice, other, or договір,
           рахунок, оплата, акт, накладна, податкова накладна, інше); number / номер; date / дата
           (2024-03-31 or 31.03.2024); direction / напрям (in / out, вхідний / вихідний);
           amount / сума (up to 2 decimal places, "," or "." as the separator); currency / валюта
           (3 letters, UAH when empty; "грн" is UAH); description / опис.

Every row is validated; a rejected row is reported with its number (the header is row 1) and the
reason. By default the import is all-or-nothing: one rejected row and nothing is stored (the
import runs inside a savepoint that is rolled back). With ``valid_only`` the valid rows are kept.
Rows are stored in batches, so a large file never sits in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.models.clients import Client, Contact, ContactPhone, SettlementDocument
from hub.errors import Conflict, Invalid
from hub.i18n import translate
from hub.services.clients.documents import affects_balance
from hub.services.clients.import_rows import (
    COLUMNS,
    REQUIRED,
    RowError,
    Values,
    client_row,
    contact_row,
    document_row,
    normalise_header,
)

ImportKind = Literal["clients", "contacts", "documents"]
IMPORT_KINDS: tuple[ImportKind, ...] = ("clients", "contacts", "documents")
BATCH_SIZE = 500
# The report lists at most this many rejected rows (all of them are counted).
MAX_REPORTED = 1000


@dataclass(frozen=True)
class Rejection:
    """A rejected row: its number, the column at fault and the reason as a message code."""

    row: int
    field: str | None
    code: str
    params: dict[str, Any]

    def reason(self, lang: str) -> str:
        """The reason in the given language."""
        return translate(self.code, lang, **self.params)


@dataclass
class ImportReport:
    """What an import did."""

    kind: str
    valid_only: bool
    rows: int = 0
    imported: int = 0
    rejected_count: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    stored: bool = False

    def as_dict(self, lang: str) -> dict[str, Any]:
        """The report as plain data, reasons in the given language."""
        return {
            "kind": self.kind,
            "valid_only": self.valid_only,
            "rows": self.rows,
            "imported": self.imported if self.stored else 0,
            "rejected_count": self.rejected_count,
            "duplicates": self.duplicates,
            "stored": self.stored,
            "rejected": [
                {"row": r.row, "field": r.field, "code": r.code, "reason": r.reason(lang)}
                for r in self.rejected
            ],
        }


def _column_map(kind: ImportKind, header: Sequence[str]) -> dict[str, int]:
    aliases = COLUMNS[kind]
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        name = aliases.get(normalise_header(str(title)))
        if name is not None and name not in positions:
            positions[name] = index
    for group in REQUIRED[kind]:
        if not any(name in positions for name in group):
            raise Invalid("import_missing_column", field="file", column=" / ".join(group))
    return positions


class _Importer:
    """State of one import: caches of looked-up clients and the natural keys of this batch."""

    def __init__(self, session: Session, kind: ImportKind) -> None:
        self.session = session
        self.kind = kind
        self.client_ids: dict[str, int] = {}
        self.batch_keys: set[tuple[Any, ...]] = set()
        self.batch_clients: dict[str, Client] = {}

    def end_batch(self) -> None:
        self.session.flush()
        self.batch_keys.clear()
        self.batch_clients.clear()
        if len(self.client_ids) > 50_000:
            self.client_ids.clear()

    def client_id(self, values: Values, prefix: str = "client") -> int | None:
        """The client named by ``<prefix>_id`` or ``<prefix>_tax_number``; RowError if none."""
        wanted_id = values.get(f"{prefix}_id")
        tax = values.get(f"{prefix}_tax_number")
        id_field, tax_field = f"{prefix}_id", f"{prefix}_tax_number"
        if wanted_id is not None:
            client = self.session.get(Client, wanted_id)
            if client is None or client.deleted_at is not None:
                raise RowError(id_field, "import_client_not_found", value=wanted_id)
            return client.id
        if tax is None:
            if prefix == "client":
                raise RowError(id_field, "import_client_required")
            return None
        if tax in self.client_ids:
            return self.client_ids[tax]
        if tax in self.batch_clients:
            self.session.flush()
            return self.batch_clients[tax].id
        found = list(
            self.session.scalars(
                select(Client.id)
                .where(Client.tax_number == tax, Client.deleted_at.is_(None))
                .limit(2)
            )
        )
        if not found:
            raise RowError(tax_field, "import_client_not_found", value=tax)
        if len(found) > 1:
            raise RowError(tax_field, "import_client_ambiguous", value=tax)
        self.client_ids[tax] = found[0]
        return found[0]

    def store(self, values: Values) -> None:
        """Validate the row against the database and add it; RowError if refused."""
        if self.kind == "clients":
            self._store_client(values)
        elif self.kind == "contacts":
            self._store_contact(values)
        else:
            self._store_document(values)

    def _duplicate(self, key: tuple[Any, ...], exists_query: Any) -> None:
        if key in self.batch_keys or self.session.scalar(exists_query.limit(1)) is not None:
            raise RowError(None, "import_duplicate")
        self.batch_keys.add(key)

    def _store_client(self, values: Values) -> None:
        parent_id = self.client_id(values, "parent")
        tax = values.get("tax_number")
        if tax is not None:
            folded = values["name"].casefold()
            query = select(Client.id).where(
                Client.tax_number == tax,
                Client.name_folded == folded,
                Client.deleted_at.is_(None),
            )
            self._duplicate(("client", tax, folded), query)
        client = Client(
            parent_id=parent_id,
            **{k: v for k, v in values.items() if k not in ("parent_id", "parent_tax_number")},
        )
        self.session.add(client)
        if tax is not None:
            self.batch_clients[tax] = client
            self.client_ids.pop(tax, None)  # the tax number may now be ambiguous

    def _store_contact(self, values: Values) -> None:
        client_id = self.client_id(values)
        folded = values["full_name"].casefold()
        query = select(Contact.id).where(
            Contact.client_id == client_id,
            Contact.full_name_folded == folded,
            Contact.deleted_at.is_(None),
        )
        self._duplicate(("contact", client_id, folded), query)
        phones = values.pop("phones", [])
        data = {k: v for k, v in values.items() if k not in ("client_id", "client_tax_number")}
        contact = Contact(client_id=client_id, **data)
        contact.phones = [ContactPhone(phone=phone, kind="work") for phone in phones]
        self.session.add(contact)

    def _store_document(self, values: Values) -> None:
        client_id = self.client_id(values)
        key = (client_id, values["kind"], values["number"], values["doc_date"])
        doc = SettlementDocument
        query = select(doc.id).where(
            doc.client_id == client_id,
            doc.kind == values["kind"],
            doc.number == values["number"],
            doc.doc_date == values["doc_date"],
        )
        self._duplicate(key, query)
        data = {k: v for k, v in values.items() if k not in ("client_id", "client_tax_number")}
        self.session.add(
            doc(client_id=client_id, affects_balance=affects_balance(values["kind"]), **data)
        )


_PARSERS: dict[str, Callable[[dict[str, str]], Values]] = {
    "clients": client_row,
    "contacts": contact_row,
    "documents": document_row,
}


def import_rows(
    session: Session,
    *,
    kind: ImportKind,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    valid_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import already-opened rows (after the header) of ``kind``; see the module's docstring."""
    positions = _column_map(kind, header)
    parse = _PARSERS[kind]
    importer = _Importer(session, kind)
    report = ImportReport(kind=kind, valid_only=valid_only)
    savepoint = session.begin_nested()
    try:
        with session.no_autoflush:
            for row_number, row in enumerate(rows, start=2):
                cells = {name: (row[i] if i < len(row) else "") for name, i in positions.items()}
                if not any(str(cell).strip() for cell in row):
                    continue
                report.rows += 1
                try:
                    importer.store(parse(cells))
                    report.imported += 1
                except RowError as error:
                    report.rejected_count += 1
                    report.duplicates += error.code == "import_duplicate"
                    if len(report.rejected) < MAX_REPORTED:
                        report.rejected.append(
                            Rejection(row_number, error.field, error.code, error.params)
                        )
                if report.rows % BATCH_SIZE == 0:
                    importer.end_batch()
                    if progress is not None:
                        progress(report.rows)
            importer.end_batch()
    except IntegrityError:
        savepoint.rollback()
        raise Conflict("import_conflict") from None
    except Exception:
        savepoint.rollback()
        raise
    if progress is not None:
        progress(report.rows)
    if report.rejected_count and not valid_only:
        savepoint.rollback()
        return report
    savepoint.commit()
    report.stored = True
    return report
