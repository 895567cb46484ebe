"""PDF print forms of tasks (TSK-15), and of any table report (the statistics' exports),
drawn with fpdf2 in a TrueType font that has Cyrillic.

fpdf2's own fonts are Latin-1 only, so a Unicode TrueType font is embedded: DejaVu Sans from
Debian's ``fonts-dejavu-core`` (``/usr/share/fonts/truetype/dejavu``). Without it no PDF is
made and the page says which file is missing and which package brings it, rather than printing
empty boxes for every Ukrainian letter.

fpdf2 (with fontTools, numpy and Pillow behind it: about 55 MB of a hub's memory) is imported
only when a PDF is first asked for, by ``task_pdf_draw``; a hub on a 1 GB Pi mostly never is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
FAMILY = "CardSans"


class FontMissing(RuntimeError):
    """No TrueType font with Cyrillic letters was found; the message is the path looked for."""


@dataclass(frozen=True)
class Fonts:
    """The regular and bold font files the PDFs embed."""

    regular: Path
    bold: Path


@dataclass(frozen=True)
class Sheet:
    """A task sheet as words in one language."""

    lang: str
    title: str
    facts: list[tuple[str, str]]
    content_label: str
    content: str
    executors_label: str
    executor_head: tuple[str, str, str, str]
    executors: list[tuple[str, str, str, str]]
    no_executors: str
    footer: str
    page_label: str


@dataclass(frozen=True)
class Registry:
    """A printable registry of tasks as words in one language."""

    lang: str
    title: str
    head: tuple[str, ...]
    rows: list[tuple[str, ...]]
    total: str
    footer: str
    page_label: str


@dataclass(frozen=True)
class TableReport:
    """A report as a titled table: lines under the title, then the table."""

    lang: str
    title: str
    lines: list[str]
    head: tuple[str, ...]
    rows: list[tuple[str, ...]]
    widths: tuple[float, ...]
    footer: str
    page_label: str


def fonts(folders: Sequence[Path] | None = None) -> Fonts:
    """The font files to embed; FontMissing naming the file looked for when none is there."""
    folders = FONT_DIRS if folders is None else folders
    for folder in folders:
        if (folder / REGULAR).is_file() and (folder / BOLD).is_file():
            return Fonts(folder / REGULAR, folder / BOLD)
    raise FontMissing(str(folders[0] / REGULAR) if folders else REGULAR)


def sheet_pdf(sheet: Sheet, fonts: Fonts) -> bytes:
    """The task sheet as a PDF (A4, portrait)."""
    from hub.web.office import task_pdf_draw

    return task_pdf_draw.sheet_pdf(sheet, fonts)


def registry_pdf(registry: Registry, fonts: Fonts) -> bytes:
    """The printable registry as a PDF (A4, landscape)."""
    from hub.web.office import task_pdf_draw

    return task_pdf_draw.registry_pdf(registry, fonts)


def table_pdf(report: TableReport, fonts: Fonts) -> bytes:
    """A table report as a PDF (A4, landscape: a report's columns are many)."""
    from hub.web.office import task_pdf_draw

    return task_pdf_draw.table_pdf(report, fonts)
