"""Drawing the task print forms with fpdf2 (``task_pdf`` imports this only when a PDF is made)."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from hub.web.office.task_pdf import FAMILY, Fonts, Registry, Sheet, TableReport


class _Document(FPDF):
    """A4 with the form's title on every page and "page N of M" at the foot."""

    def __init__(
        self, title: str, footer: str, page_label: str, fonts: Fonts, landscape: bool = False
    ) -> None:
        super().__init__(orientation="L" if landscape else "P", format="A4")
        self.form_title = title
        self.form_footer = footer
        self.page_label = page_label
        self.add_font(FAMILY, "", str(fonts.regular))
        self.add_font(FAMILY, "B", str(fonts.bold))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.set_creator("Cherga")

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, size=8)
        self.set_text_color(90, 100, 117)
        self.cell(0, 5, self.form_footer, new_x=XPos.LMARGIN, new_y=YPos.TOP)
        label = f"{self.page_label} {self.page_no()}/{{nb}}"
        self.cell(0, 5, label, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)


def _heading(pdf: FPDF, words: str, size: float) -> None:
    pdf.set_font(FAMILY, "B", size)
    pdf.multi_cell(0, size * 0.5, words, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _table(
    pdf: FPDF, head: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
) -> None:
    pdf.set_font(FAMILY, size=9)
    with pdf.table(
        col_widths=tuple(widths),
        text_align="LEFT",
        line_height=5,
        headings_style=_bold_head(),
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for cell in head:
            heading.cell(cell)
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)


def _bold_head() -> FontFace:
    return FontFace(family=FAMILY, emphasis="BOLD", fill_color=(229, 235, 245))


def sheet_pdf(sheet: Sheet, fonts: Fonts) -> bytes:
    """The task sheet as a PDF (A4, portrait)."""
    pdf = _Document(sheet.title, sheet.footer, sheet.page_label, fonts)
    pdf.set_lang(sheet.lang)
    pdf.add_page()
    _heading(pdf, sheet.title, 15)
    pdf.set_font(FAMILY, size=10)
    with pdf.table(
        col_widths=(55, 135), text_align="LEFT", line_height=5.5, first_row_as_headings=False
    ) as table:
        for label, value in sheet.facts:
            row = table.row()
            row.cell(label, style=_bold_head())
            row.cell(value)
    pdf.ln(4)
    _heading(pdf, sheet.content_label, 11)
    pdf.set_font(FAMILY, size=10)
    pdf.multi_cell(0, 5.5, sheet.content, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _heading(pdf, sheet.executors_label, 11)
    if sheet.executors:
        _table(pdf, sheet.executor_head, sheet.executors, (70, 45, 35, 40))
    else:
        pdf.set_font(FAMILY, size=10)
        pdf.multi_cell(0, 5.5, sheet.no_executors, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def registry_pdf(registry: Registry, fonts: Fonts) -> bytes:
    """The printable registry as a PDF (A4, landscape)."""
    pdf = _Document(registry.title, registry.footer, registry.page_label, fonts, landscape=True)
    pdf.set_lang(registry.lang)
    pdf.add_page()
    _heading(pdf, registry.title, 15)
    _table(pdf, registry.head, registry.rows, (22, 70, 55, 35, 45, 50))
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 10)
    pdf.multi_cell(0, 5.5, registry.total, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def table_pdf(report: TableReport, fonts: Fonts) -> bytes:
    """A table report as a PDF (A4, landscape: a report's columns are many)."""
    pdf = _Document(report.title, report.footer, report.page_label, fonts, landscape=True)
    pdf.set_lang(report.lang)
    pdf.add_page()
    _heading(pdf, report.title, 15)
    pdf.set_font(FAMILY, size=10)
    for line in report.lines:
        pdf.multi_cell(0, 5.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    _table(pdf, report.head, report.rows, report.widths)
    return bytes(pdf.output())
