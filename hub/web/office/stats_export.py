"""A report's exports (STAT-1): CSV for Excel in Ukraine, XLSX, and a printable PDF.

All three write the page's ``Table`` (``stats_report``), so they hold what the page shows:

- CSV: UTF-8 with a byte-order mark and ``;`` between fields (what Excel with Ukrainian regional
  settings opens as columns), numbers with a decimal comma, durations in whole seconds, shares
  in percent;
- XLSX (openpyxl): numbers as numbers, durations as time values shown ``[h]:mm:ss``, shares as
  fractions shown ``0.0%``, the heading row frozen and bold;
- PDF (fpdf2, DejaVu fonts: ``task_pdf``): the title, the period and filter lines, the table.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from hub.web.common import text
from hub.web.office import task_pdf
from hub.web.office.stats_report import Cell, Column, Table, shown

BOM = "\ufeff"
SECONDS_A_DAY = 86400


def _csv_cell(value: Cell, column: Column) -> str:
    if value is None:
        return ""
    if column.kind == "share":
        return f"{float(value) * 100:.1f}".replace(".", ",")
    if column.kind == "seconds":
        return str(round(float(value)))
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def _heading(column: Column, lang: str) -> str:
    """A column's heading with its unit where the cells alone would not say it."""
    if column.kind == "seconds":
        return f"{column.label}, {text(lang, 'stats_seconds', s='').strip()}"
    if column.kind == "share":
        return f"{column.label}, %"
    return column.label


def to_csv(table: Table, lang: str) -> bytes:
    """The table as CSV for Excel: BOM, ``;``, decimal comma, seconds and percent."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_heading(column, lang) for column in table.columns])
    for row in table.rows:
        writer.writerow(
            [_csv_cell(value, column) for value, column in zip(row, table.columns, strict=True)]
        )
    return (BOM + out.getvalue()).encode("utf-8")


_FORMATS = {"int": "0", "seconds": "[h]:mm:ss", "share": "0.0%"}


def to_xlsx(table: Table, now: datetime, lang: str) -> bytes:
    """The table as a workbook: the title and lines above, typed cells with number formats."""
    # Imported on first use (with numpy and Pillow under it): a started hub keeps without them
    # (tests/test_hub_imports.py, docs/raspberry_pi.md "A Pi-sized hub").
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = re.sub(r"[\\/*?:\[\]]", " ", table.title)[:31].strip()  # Excel's rule
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in [*table.lines, text(lang, "stats_generated", time=f"{now:%d.%m.%Y %H:%M}")]:
        sheet.append([line])
    sheet.append([])
    head_row = sheet.max_row + 1
    sheet.append([column.label for column in table.columns])
    for cell in sheet[head_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(
            [_xlsx_value(value, column) for value, column in zip(row, table.columns, strict=True)]
        )
        for cell, column in zip(sheet[sheet.max_row], table.columns, strict=True):
            if column.kind in _FORMATS:
                cell.number_format = _FORMATS[column.kind]
    sheet.freeze_panes = sheet.cell(row=head_row + 1, column=2)
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(
            12, min(40, len(column.label) + 2)
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: Cell, column: Column) -> Cell:
    if value is None:
        return None
    if column.kind == "seconds":
        return float(value) / SECONDS_A_DAY
    return value


def to_pdf(table: Table, fonts: task_pdf.Fonts, now: datetime, lang: str) -> bytes:
    """The table as a printable PDF (A4 landscape); the first column is the widest."""
    count = len(table.columns)
    first = 50.0 if count > 2 else 120.0
    rest = (277.0 - first) / max(count - 1, 1)
    report = task_pdf.TableReport(
        lang=lang,
        title=table.title,
        lines=table.lines,
        head=tuple(column.label for column in table.columns),
        rows=[
            tuple(
                shown(value, column.kind, lang)
                for value, column in zip(row, table.columns, strict=True)
            )
            for row in table.rows
        ],
        widths=(first, *([rest] * (count - 1))),
        footer=text(lang, "stats_generated", time=f"{now:%d.%m.%Y %H:%M}"),
        page_label=text(lang, "stats_page"),
    )
    return task_pdf.table_pdf(report, fonts)
