"""The ticket layout and its preview: the ESC/POS bytes, decoded back, say what the ticket says.

Ukrainian must come out in the configured code page and never as '?', the number must fit the
paper, the QR code must carry the booking code or the status link, and every ticket is cut.
The preview interprets the same bytes, so these tests read the ticket the way a printer would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import qrcode  # type: ignore[import-untyped]
import qrcode.constants  # type: ignore[import-untyped]
from PIL import Image

import tests.fake_printer  # noqa: F401 (first: imports python-escpos without litter)

# isort: split
from printers.layout import LayoutError, TicketData, check_layout, render_ticket
from printers.preview import Raster, interpret, render
from printers.settings import (
    PrinterSettingsError,
    TicketLayout,
    parse_settings,
)
from tests.office_time import utc_system  # noqa: F401

ISSUED = datetime(2026, 3, 9, 7, 5, tzinfo=UTC)  # 09:05 in Kyiv
UKRAINIAN = "Ґанок Єви, Іванна Їжак: ґ є і ї"


def ticket(lang: str = "uk", **extra: object) -> TicketData:
    values: dict[str, object] = {
        "number": "A-042",
        "service_name": "Паспортний стіл" if lang == "uk" else "Passport office",
        "issued_at": ISSUED,
        "lang": lang,
        "ticket_id": 77,
        "people_ahead": 3,
        "estimated_wait_s": 900,
        "booking_code": None,
    }
    values.update(extra)
    return TicketData(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("profile", "codepage", "esc_t"),
    [("default", "CP1251", 46), ("default", "CP1125", 44), ("TM-T20II", "CP1125", 44),
     ("POS-5890", "CP1251", 73), ("TM-T88V", "CP1251", 46)],
)  # fmt: skip
def test_ukrainian_is_printed_in_the_configured_code_page(
    profile: str, codepage: str, esc_t: int
) -> None:
    layout = TicketLayout(profile=profile, codepage=codepage)
    data = render_ticket(ticket(service_name=UKRAINIAN), layout)
    # The printer is switched to the code page once, right after the reset.
    assert data.startswith(b"\x1b@\x1bt" + bytes([esc_t]))
    assert data.count(b"\x1bt") == 1
    assert f"Послуга: {UKRAINIAN}".encode(codepage.lower()) in data
    assert "Перед вами: 3".encode(codepage.lower()) in data
    paper = interpret(data, profile)
    assert paper.unknown == []
    assert "?" not in paper.text
    assert UKRAINIAN in paper.text and "Ваш номер" in paper.text
    assert "Видано: 09.03.2026 09:05" in paper.text  # local time of the site


def test_typographic_marks_fall_back_instead_of_question_marks() -> None:
    layout = TicketLayout(
        codepage="CP1125", texts={"uk": {"footer": "Дякуємо — чекайте «свій» №…"}}
    )
    paper = interpret(render_ticket(ticket(), layout))
    assert 'Дякуємо - чекайте "свій" №...' in paper.text  # CP1125 has №, not — « » …
    assert "?" not in paper.text


def test_a_profile_without_the_code_page_is_refused_up_front() -> None:
    with pytest.raises(LayoutError, match=r"TM-T88V.*CP1125"):
        check_layout(TicketLayout(profile="TM-T88V", codepage="CP1125"))
    with pytest.raises(LayoutError, match="unknown printer profile"):
        check_layout(TicketLayout(profile="no-such-printer"))
    with pytest.raises(LayoutError, match=r"ticket\.texts\.en: unknown text 'welcome'"):
        check_layout(TicketLayout(texts={"en": {"welcome": "Hi"}}))
    with pytest.raises(PrinterSettingsError, match=r"settings\.ticket\.codepage"):
        parse_settings({"connection": {"host": "10.0.0.9"}, "ticket": {"codepage": "CP866"}})


@pytest.mark.parametrize("width", [58, 80])
@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_number_is_very_large_and_fits_the_paper(width: int, lang: str) -> None:
    layout = TicketLayout(width_mm=width)
    paper = interpret(render_ticket(ticket(lang), layout))
    number = next(line for line in paper.lines if line.text == "A-042")
    style = number.chars[0][1]
    assert style.bold and style.height >= 5 and style.width >= 5
    assert len(number.chars) * 12 * style.width <= layout.width_dots
    # Every other line is normal size or the double-height heading.
    assert all(s.width == 1 for line in paper.lines if line is not number for _, s in line.chars)
    picture = render(paper, width)
    assert picture.width == width * 8


@pytest.mark.usefixtures("utc_system")
def test_the_issue_time_is_the_offices_whatever_the_printers_zone() -> None:
    night = datetime(2026, 12, 6, 0, 9, tzinfo=UTC)  # 02:09 in Kyiv
    layout = TicketLayout(timezone="UTC")  # a printer set up with the wrong zone
    sent = interpret(render_ticket(ticket(issued_at=night, zone="Europe/Kyiv"), layout))
    assert "Видано: 06.12.2026 02:09" in sent.text
    # A job from an older hub names no zone: the layout's is used.
    older = interpret(render_ticket(ticket(issued_at=night), layout))
    assert "Видано: 06.12.2026 00:09" in older.text


def test_english_ticket_reads_in_english() -> None:
    paper = interpret(
        render_ticket(ticket("en", people_ahead=0, estimated_wait_s=4000), TicketLayout())
    )
    text = paper.text
    assert "Electronic queue" in text and "Service: Passport office" in text
    assert "You are next in line" in text and "Estimated wait: about an hour" in text
    assert "Issued: 09.03.2026 09:05" in text
    assert not any("\u0400" <= ch <= "\u04ff" for ch in text)


def test_the_wait_is_printed_with_its_range_in_both_languages() -> None:
    """Issue 20: "about 25 min (15–35)"; the en dash is in both code pages."""
    range_ = {"estimated_wait_s": 1500, "estimated_wait_low_s": 940, "estimated_wait_high_s": 2050}
    uk = interpret(render_ticket(ticket("uk", **range_), TicketLayout())).text
    en = interpret(render_ticket(ticket("en", **range_), TicketLayout())).text
    assert "Орієнтовне очікування: близько 25 хв (15–35)" in uk
    assert "Estimated wait: about 25 min (15–35)" in en
    none = interpret(render_ticket(ticket("en", estimated_wait_s=0), TicketLayout())).text
    assert "Wait: almost none" in none


def test_texts_come_from_the_settings_over_the_catalogue() -> None:
    settings = parse_settings(
        {
            "connection": {"kind": "network", "host": "127.0.0.1"},
            "ticket": {"texts": {"uk": {"site_name": "ЦНАП Подільського району"}}},
        }
    )
    text = interpret(render_ticket(ticket(), settings.ticket)).text
    assert "ЦНАП Подільського району" in text and "Електронна черга" not in text
    english = interpret(render_ticket(ticket("en"), settings.ticket)).text
    assert "Electronic queue" in english


def test_native_qr_carries_the_booking_code_and_the_ticket_is_cut() -> None:
    data = render_ticket(ticket(booking_code="BK-2041"), TicketLayout(cut="full"))
    paper = interpret(data)
    assert [q.payload for q in paper.qr_codes] == ["BK-2041"]
    assert paper.qr_codes[0].align == 1  # centred
    assert "Код запису: BK-2041" in paper.text
    assert paper.cuts and not paper.cuts[0].partial
    assert paper.blocks[-1] == paper.cuts[0]  # nothing after the cut
    # Without a booking there is no QR code in booking mode.
    assert interpret(render_ticket(ticket(), TicketLayout())).qr_codes == []


def test_status_link_qr_sent_as_an_image_decodes_to_the_link() -> None:
    layout = TicketLayout(
        qr="status", status_url="https://cherga.example/t/{ticket_id}", qr_native=False, qr_size=4
    )
    paper = interpret(render_ticket(ticket(), layout))
    assert paper.qr_codes == []
    (raster,) = paper.rasters
    # Rebuild the code from the link and compare module by module with what was sent.
    expected = qrcode.QRCode(
        box_size=4, border=1, error_correction=qrcode.constants.ERROR_CORRECT_L
    )
    expected.add_data("https://cherga.example/t/77")
    expected.make(fit=True)
    want = expected.make_image().get_image().convert("L")
    assert _ink(raster.image) == _ink(want)


def _ink(image: Image.Image) -> bytes:
    """The black pixels, cropped to their bounding box, one byte per pixel."""
    bw = image.convert("L").point(lambda v: 255 if v < 128 else 0)
    box = bw.getbbox()
    assert box is not None
    crop = bw.crop(box)
    return bytes([crop.width % 256, crop.height % 256]) + crop.tobytes()


def test_logo_is_printed_scaled_to_the_paper(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (1200, 300), (0, 0, 0, 255)).save(logo)
    layout = TicketLayout(width_mm=58, logo=logo)
    check_layout(layout)
    paper = interpret(render_ticket(ticket(), layout))
    (raster,) = [b for b in paper.blocks if isinstance(b, Raster)]
    assert raster.image.width <= 384 and raster.image.height <= 160
    assert paper.blocks.index(raster) < paper.blocks.index(paper.lines[0])


def test_preview_command_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "ticket.png"
    dump = tmp_path / "ticket.bin"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "hub.cli", "printer", "preview", "--lang", "en", "--width", "58",
         "--booking", "BK-1", "--out", str(out), "--save-bytes", str(dump)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    with Image.open(out) as picture:
        assert picture.width == 58 * 8 and picture.height > 600
    paper = interpret(dump.read_bytes())
    assert [q.payload for q in paper.qr_codes] == ["BK-1"] and paper.unknown == []
