"""Column names and the validation of one imported row (clients, contacts, documents)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.errors import Invalid
from hub.services.clients.clients import VAT_STATUSES, normalise_tax_number
from hub.services.clients.documents import DIRECTIONS, DOCUMENT_KINDS

Values = dict[str, Any]

_SPACES = re.compile(r"\s+")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_AMOUNT = Decimal("99999999999999.99")


def normalise_header(title: str) -> str:
    """A column title compared without case, BOM, underscores and extra spaces."""
    title = title.replace("\ufeff", "").replace("_", " ").replace("*", "").casefold()
    return _SPACES.sub(" ", title).strip()


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {normalise_header(alias): name for name, aliases in table.items() for alias in aliases}


_CLIENT_REF = {
    "client_id": ("client_id", "client id", "id клієнта", "ід клієнта", "клієнт id"),
    "client_tax_number": ("client_tax_number", "код клієнта", "єдрпоу клієнта", "іпн клієнта"),
}
COLUMNS: dict[str, dict[str, str]] = {
    "clients": _aliases(
        {
            "name": ("name", "назва", "найменування", "клієнт"),
            "full_name": ("full_name", "legal name", "повна назва", "повне найменування"),
            "tax_number": ("tax_number", "tax number", "edrpou", "код", "єдрпоу", "іпн", "рнокпп"),
            "vat_certificate": ("vat_certificate", "vat certificate", "свідоцтво пдв"),
            "vat_status": ("vat_status", "vat status", "статус пдв"),
            "address": ("address", "адреса"),
            "phone": ("phone", "телефон"),
            "email": ("email", "e-mail", "ел. пошта", "електронна пошта"),
            "note": ("note", "примітка"),
            "parent_id": ("parent_id", "id батька", "ід батька"),
            "parent_tax_number": ("parent_tax_number", "код батька", "єдрпоу батька"),
        }
    ),
    "contacts": _aliases(
        {
            **_CLIENT_REF,
            "full_name": ("full_name", "name", "піб", "ім'я", "контактна особа"),
            "position": ("position", "посада"),
            "email": ("email", "e-mail", "ел. пошта", "електронна пошта"),
            "birthday": ("birthday", "birth date", "дата народження", "день народження"),
            "phones": ("phones", "phone", "телефони", "телефон"),
            "note": ("note", "примітка"),
        }
    ),
    "documents": _aliases(
        {
            **_CLIENT_REF,
            "kind": ("kind", "type", "вид", "тип"),
            "number": ("number", "номер"),
            "doc_date": ("date", "doc_date", "дата"),
            "direction": ("direction", "напрям", "напрямок"),
            "amount": ("amount", "sum", "сума"),
            "currency": ("currency", "валюта"),
            "description": ("description", "опис", "примітка"),
        }
    ),
}
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "clients": (("name",),),
    "contacts": (("client_id", "client_tax_number"), ("full_name",)),
    "documents": (
        ("client_id", "client_tax_number"),
        ("kind",),
        ("number",),
        ("doc_date",),
        ("direction",),
        ("amount",),
    ),
}

_VAT = {
    **{status: status for status in VAT_STATUSES},
    "": "unknown",
    "платник": "payer",
    "платник пдв": "payer",
    "неплатник": "non_payer",
    "не платник": "non_payer",
    "невідомо": "unknown",
}
_KINDS = {
    **{kind: kind for kind in DOCUMENT_KINDS},
    "договір": "contract",
    "рахунок": "invoice",
    "оплата": "payment",
    "платіж": "payment",
    "акт": "act",
    "накладна": "waybill",
    "видаткова накладна": "waybill",
    "податкова накладна": "tax_invoice",
    "інше": "other",
}
_DIRECTIONS = {
    **{direction: direction for direction in DIRECTIONS},
    "вх": "in",
    "вхідний": "in",
    "надходження": "in",
    "прихід": "in",
    "вих": "out",
    "вихідний": "out",
    "видаток": "out",
    "витрата": "out",
}
_CURRENCIES = {"грн": "UAH", "₴": "UAH"}


class RowError(Exception):
    """A row refused: the column at fault (or None) and a message code with parameters."""

    def __init__(self, field: str | None, code: str, **params: Any) -> None:
        super().__init__(code)
        self.field = field
        self.code = code
        self.params = params


def _text(cells: dict[str, str], name: str, limit: int, *, required: bool = False) -> str | None:
    value = str(cells.get(name, "")).strip()
    if "\x00" in value:
        raise RowError(name, "import_bad_text")
    if not value:
        if required:
            raise RowError(name, "import_required")
        return None
    if len(value) > limit:
        raise RowError(name, "import_too_long", max=limit)
    return value


def _id(cells: dict[str, str], name: str) -> int | None:
    value = _text(cells, name, 12)
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 2**31 - 1:
        raise RowError(name, "import_bad_id", value=value)
    return int(value)


def _choice(cells: dict[str, str], name: str, table: dict[str, str]) -> str:
    value = _text(cells, name, 40, required="" not in table) or ""
    key = _SPACES.sub(" ", value.casefold())
    found = table.get(key) or table.get(key.replace(" ", "_"))
    if found is None:
        choices = ", ".join(sorted(set(table.values())))
        raise RowError(name, "import_bad_choice", value=value, choices=choices)
    return found


def _date(cells: dict[str, str], name: str, *, required: bool = False) -> date | None:
    value = _text(cells, name, 40, required=required)
    if value is None:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise RowError(name, "import_bad_date", value=value)


def _email(cells: dict[str, str], name: str) -> str | None:
    value = _text(cells, name, 254)
    if value is not None and not _EMAIL.match(value):
        raise RowError(name, "import_bad_email", value=value)
    return value


def _restore_leading_zeros(code: str | None) -> str | None:
    """Put back the zeros a spreadsheet drops from a code kept as a number (00032129 -> 32129).

    A code of up to seven digits becomes an EDRPOU of eight, one of nine an individual number of
    ten; the checksum still decides whether the result is a real code.
    """
    if code is None or not code.isdigit():
        return code
    if len(code) < 8:
        return code.zfill(8)
    return code.zfill(10) if len(code) == 9 else code


def _tax(cells: dict[str, str], name: str) -> str | None:
    try:
        return normalise_tax_number(_restore_leading_zeros(_text(cells, name, 20)))
    except Invalid as exc:
        params = {k: v for k, v in exc.params.items() if k != "field"}
        raise RowError(name, exc.code, **params) from None


def client_row(cells: dict[str, str]) -> Values:
    """A client's fields from one row; RowError names the first wrong column."""
    return {
        "name": _text(cells, "name", 300, required=True),
        "full_name": _text(cells, "full_name", 500),
        "tax_number": _tax(cells, "tax_number"),
        "vat_certificate": _text(cells, "vat_certificate", 40),
        "vat_status": _choice(cells, "vat_status", _VAT),
        "address": _text(cells, "address", 500),
        "phone": _text(cells, "phone", 32),
        "email": _email(cells, "email"),
        "note": _text(cells, "note", 4000),
        "parent_id": _id(cells, "parent_id"),
        "parent_tax_number": _tax(cells, "parent_tax_number"),
    }


def _client_ref(cells: dict[str, str]) -> Values:
    return {
        "client_id": _id(cells, "client_id"),
        "client_tax_number": _tax(cells, "client_tax_number"),
    }


def contact_row(cells: dict[str, str]) -> Values:
    """A contact person's fields from one row."""
    phones_text = _text(cells, "phones", 400) or ""
    phones = [phone.strip() for phone in re.split(r"[,;]", phones_text) if phone.strip()]
    for phone in phones:
        if len(phone) > 32:
            raise RowError("phones", "import_too_long", max=32)
    return {
        **_client_ref(cells),
        "full_name": _text(cells, "full_name", 300, required=True),
        "position": _text(cells, "position", 200),
        "email": _email(cells, "email"),
        "birthday": _date(cells, "birthday"),
        "phones": phones,
        "note": _text(cells, "note", 4000),
    }


def _amount(cells: dict[str, str]) -> Decimal:
    raw = _text(cells, "amount", 40, required=True) or ""
    value = raw.replace("\u00a0", "").replace(" ", "").replace("'", "")
    if "," in value:
        # "1.234,56" (dots group thousands) or "1234,56"
        value = value.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise RowError("amount", "import_bad_amount", value=raw) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise RowError("amount", "import_bad_amount", value=raw)
    if amount != amount.quantize(Decimal("0.01")):
        raise RowError("amount", "import_amount_places", value=raw)
    return amount.quantize(Decimal("0.01"))


def _currency(cells: dict[str, str]) -> str:
    value = (_text(cells, "currency", 10) or "UAH").upper()
    value = _CURRENCIES.get(value.casefold(), value)
    if not _CURRENCY.match(value):
        raise RowError("currency", "import_bad_currency", value=value)
    return value


def document_row(cells: dict[str, str]) -> Values:
    """A settlement document's fields from one row."""
    return {
        **_client_ref(cells),
        "kind": _choice(cells, "kind", _KINDS),
        "number": _text(cells, "number", 64, required=True),
        "doc_date": _date(cells, "doc_date", required=True),
        "direction": _choice(cells, "direction", _DIRECTIONS),
        "amount": _amount(cells),
        "currency": _currency(cells),
        "description": _text(cells, "description", 4000),
    }
