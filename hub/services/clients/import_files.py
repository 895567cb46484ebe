"""Reading tables for the import (CLI-2): CSV (UTF-8, ";" or ",") and XLSX, row by row.

Neither reader holds the whole file in memory: CSV is decoded as a stream, XLSX is opened in
openpyxl's read-only mode. Cells come out as text (dates as ISO dates).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from hub.errors import Invalid

XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """A table's header and an iterator over its data rows; ``total`` rows when known."""

    header: list[str]
    rows: Iterator[list[str]]
    total: int | None = None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    return str(value)


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    try:
        yield from reader
    except UnicodeDecodeError:
        raise Invalid("import_not_utf8", field="file") from None
    except csv.Error as exc:
        raise Invalid("import_bad_csv", field="file", reason=str(exc)) from None


def read_csv(stream: IO[bytes]) -> Table:
    """A CSV table: UTF-8 with or without a BOM; the delimiter ";" or "," read from the header."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError:
        raise Invalid("import_not_utf8", field="file") from None
    if not first.strip():
        raise Invalid("import_empty", field="file")
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    csv.field_size_limit(1024 * 1024)
    header = next(_csv_rows(csv.reader([first], delimiter=delimiter)))
    reader = csv.reader(text, delimiter=delimiter)
    return Table(header=header, rows=_csv_rows(reader))


def count_csv_rows(path: str) -> int:
    """The number of lines after the header (a progress estimate; quoted line breaks count too)."""
    lines = 0
    last = b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def _xlsx_rows(rows: Iterator[tuple[Any, ...]], book: Any) -> Iterator[list[str]]:
    try:
        for row in rows:
            yield [_cell_text(value) for value in row]
    finally:
        book.close()


def read_xlsx(stream: IO[bytes]) -> Table:
    """The first worksheet of an XLSX workbook, read-only (streamed)."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError):
        raise Invalid("import_bad_xlsx", field="file") from None
    if first is None:
        raise Invalid("import_empty", field="file")
    total = sheet.max_row - 1 if isinstance(sheet.max_row, int) else None
    return Table(header=[_cell_text(v) for v in first], rows=_xlsx_rows(rows, book), total=total)


def is_xlsx(stream: IO[bytes]) -> bool:
    """Whether a seekable stream holds a ZIP container (XLSX) rather than text."""
    position = stream.tell()
    magic = stream.read(len(XLSX_MAGIC))
    stream.seek(position)
    return magic == XLSX_MAGIC


def open_table(stream: IO[bytes]) -> Table:
    """Read a CSV or XLSX file, whichever it is."""
    return read_xlsx(stream) if is_xlsx(stream) else read_csv(stream)
