"""The ticket layout: a pure function from ticket data to the ESC/POS bytes of one ticket.

Built on python-escpos's ``Dummy`` printer, which collects the bytes instead of sending them,
so the same bytes go to a network, USB, serial or file printer and to the preview. Nothing here
does I/O beyond reading the logo file: the agent and the preview decide where the bytes go.
"""

from __future__ import annotations

import copy
import textwrap
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from escpos.capabilities import get_profile
from escpos.magicencode import MagicEncode
from escpos.printer import Dummy
from PIL import Image

from firmware_config.i18n import Catalogue
from hub.protocol.waits import say_wait
from hub.protocol.zones import local_time, office_zone
from printers.settings import Lang, TicketLayout

LOCALE = Path(__file__).with_name("locale")
FONT_A_WIDTH = 12
"""Font A cell width in dots: every ESC/POS printer we target has a 12x24 font A."""
LOGO_MAX_HEIGHT = 160

# Typographic characters that one of the two code pages lacks, with what a reader accepts
# instead; anything else a code page cannot hold would print as '?'.
_FALLBACK = {
    "\u2014": "-",
    "\u2013": "-",
    "\u2019": "'",
    "\u02bc": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2248": "~",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2116": "No",
}


class LayoutError(Exception):
    """The layout settings do not fit the printer (unknown profile, missing code page...)."""


@dataclass(frozen=True, slots=True)
class TicketData:
    """What a ticket says; ``people_ahead`` and ``estimated_wait_s`` are None when unknown."""

    number: str
    service_name: str
    issued_at: datetime
    lang: Lang = "uk"
    ticket_id: int | None = None
    people_ahead: int | None = None
    estimated_wait_s: int | None = None
    booking_code: str | None = None
    page_url: str | None = None
    # The estimate's range (issue 20): the ticket says "about 25 min (15–35)".
    estimated_wait_low_s: int | None = None
    estimated_wait_high_s: int | None = None
    zone: str | None = None
    """The office's time zone as the hub sent it (None: the layout's ``timezone``)."""


class Texts:
    """The catalogue of one language with the site's own replacements on top."""

    def __init__(self, catalogue: Catalogue, lang: str, overrides: dict[str, str]) -> None:
        self._catalogue, self._lang, self._overrides = catalogue, lang, overrides

    def __call__(self, key: str, /, **params: Any) -> str:
        """The text ``key`` with ``{placeholders}`` filled."""
        own = self._overrides.get(key)
        if own is not None:
            try:
                return own.format(**params)
            except (KeyError, IndexError, ValueError):
                return own
        return self._catalogue.text(self._lang, key, **params)


def load_catalogue(folder: Path = LOCALE) -> Catalogue:
    """The ticket texts of every language (one TOML file per language)."""
    return Catalogue(folder)


def _profile(layout: TicketLayout) -> Any:
    try:
        profile = get_profile(layout.profile)
    except Exception:  # escpos raises a bare KeyError or its own error, depending on version
        raise LayoutError(f"unknown printer profile {layout.profile!r}") from None
    pages = set(profile.get_code_pages())
    if layout.codepage not in pages:
        have = ", ".join(sorted(p for p in pages if p.startswith("CP"))) or "none"
        raise LayoutError(
            f"printer profile {layout.profile!r} has no {layout.codepage} (it has: {have})"
        )
    # escpos centres images on the profile's paper width; a profile that does not know it
    # ("default") would print a warning on stdout and not centre, so tell this instance.
    profile.profile_data = copy.deepcopy(profile.profile_data)
    profile.profile_data["media"]["width"]["pixels"] = layout.width_dots
    return profile


def check_layout(layout: TicketLayout, catalogue: Catalogue | None = None) -> None:
    """Fail with LayoutError now rather than on the first ticket."""
    _profile(layout)
    # Every key of the reference language is "missing" from a language that has no file.
    known = set((catalogue or load_catalogue()).missing("-"))
    for lang, texts in layout.texts.items():
        unknown = sorted(set(texts) - known)
        if unknown:
            raise LayoutError(f"ticket.texts.{lang}: unknown text {unknown[0]!r}")
    if layout.qr == "status" and not layout.status_url:
        raise LayoutError("ticket.qr is 'status' but ticket.status_url is not set")
    if layout.logo is not None and not layout.logo.is_file():
        raise LayoutError(f"ticket.logo: no such file {layout.logo}")


def printable(text: str, codepage: str) -> str:
    """``text`` with characters the code page lacks replaced by plain ones where possible."""
    out = []
    for char in text:
        try:
            char.encode(codepage)
        except UnicodeEncodeError:
            char = _FALLBACK.get(char, char)
        out.append(char)
    return "".join(out)


def _wait_text(t: Texts, data: TicketData) -> str:
    said = say_wait(
        data.estimated_wait_s, data.lang, data.estimated_wait_low_s, data.estimated_wait_high_s
    )
    if said is None or not data.estimated_wait_s:
        return t("wait_none")
    return t("wait", wait=said)


def _qr_payload(data: TicketData, layout: TicketLayout) -> tuple[str, str] | None:
    """(payload, caption key) of the ticket's QR code, or None when it has none."""
    if layout.qr == "page" and data.page_url:
        return data.page_url, "qr_page"
    if layout.qr in ("page", "booking") and data.booking_code:
        return data.booking_code, "qr_booking"
    if layout.qr == "status" and layout.status_url:
        url = layout.status_url.format(ticket_id=data.ticket_id or "", number=data.number)
        return url, "qr_status"
    return None


def _logo(path: Path, width: int) -> Image.Image:
    with Image.open(path) as source:
        image = source.convert("RGBA")
    # Transparent areas are paper, not black ink.
    flat = Image.new("RGBA", image.size, "white")
    flat.alpha_composite(image)
    gray = flat.convert("L")
    scale = min(1.0, width / gray.width, LOGO_MAX_HEIGHT / gray.height)
    if scale < 1.0:
        size = (max(1, int(gray.width * scale)), max(1, int(gray.height * scale)))
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    return gray


def render_ticket(
    data: TicketData, layout: TicketLayout, catalogue: Catalogue | None = None
) -> bytes:
    """The ESC/POS bytes of one ticket, cut at the end."""
    catalogue = catalogue or load_catalogue()
    t = Texts(catalogue, data.lang, layout.texts.get(data.lang, {}))
    p = Dummy()
    # The profile decides the code page numbers (ESC t n) as well: rebuild the encoder with it.
    p.profile = profile = _profile(layout)
    p.magic = MagicEncode(p)
    columns = layout.width_dots // FONT_A_WIDTH

    def line(text: str, columns: int = columns) -> None:
        for row in textwrap.wrap(printable(text, layout.codepage), columns) or [""]:
            p.textln(row)

    p.hw("INIT")
    # One fixed code page for the whole ticket: escpos would otherwise hop between pages per
    # character, which cheap printers get wrong; the page is the one configured and tested.
    p.charcode(layout.codepage)
    p.set(align="center")
    if layout.logo is not None:
        p.image(_logo(layout.logo, layout.width_dots), center=True)
    p.set(bold=True, double_height=True)
    line(t("site_name"))
    p.set(bold=False, normal_textsize=True)
    line(t("service", name=data.service_name))
    p.ln()
    line(t("your_number"))
    scale = max(1, min(layout.number_scale, columns // max(1, len(data.number))))
    p.set(bold=True, custom_size=True, width=scale, height=scale)
    p.textln(printable(data.number, layout.codepage))
    p.set(bold=False, normal_textsize=True)
    p.textln("-" * columns)
    if data.people_ahead is not None:
        if data.people_ahead == 0:
            line(t("ahead_none"))
        else:
            line(t("ahead", count=data.people_ahead))
    if data.estimated_wait_s is not None:
        line(_wait_text(t, data))
    local = local_time(data.issued_at, office_zone(data.zone, layout.timezone))
    line(t("issued", time=local.strftime("%d.%m.%Y %H:%M")))
    if data.booking_code:
        line(t("booking", code=data.booking_code))
    qr = _qr_payload(data, layout)
    if qr is not None:
        payload, caption = qr
        p.ln()
        native = layout.qr_native
        if native is None:
            native = bool(profile.supports("qrCode"))
        if native:
            p.qr(payload, size=layout.qr_size, native=True)
            p.ln()
        else:
            p.qr(payload, size=layout.qr_size, native=False, center=True)
        line(t(caption))
    p.ln()
    line(t("footer"))
    p.cut(mode="PART" if layout.cut == "partial" else "FULL")
    data_out: bytes = p.output
    return data_out
