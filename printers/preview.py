"""A preview of a paper ticket, made by interpreting the ESC/POS bytes the printer would get.

Rendering from the bytes, not from the ticket data, means the preview shows what the printer is
told: a wrong code page, a number too wide for the paper or a missing cut shows here too. The
interpreter knows the commands the layout uses (text in a code page, size, bold, alignment,
raster images, native QR codes, feeds and cuts) and lists any other command it meets, so a
test can insist that there is none.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import qrcode  # type: ignore[import-untyped]
import qrcode.constants  # type: ignore[import-untyped]
from escpos.capabilities import get_profile
from escpos.codepages import CodePages
from PIL import Image, ImageDraw, ImageFont

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
DOTS_PER_MM = 8  # 203 dpi
DEFAULT_LINE = 30
_FONTS = {0: (12, 24), 1: (9, 17)}  # font A and font B cell sizes in dots
_QR_EC = {
    48: qrcode.constants.ERROR_CORRECT_L,
    49: qrcode.constants.ERROR_CORRECT_M,
    50: qrcode.constants.ERROR_CORRECT_Q,
    51: qrcode.constants.ERROR_CORRECT_H,
}
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono{bold}.ttf",
    "/usr/share/fonts/dejavu/DejaVuSansMono{bold}.ttf",
)


@dataclass(frozen=True, slots=True)
class Style:
    """The character style in force when a character was received."""

    width: int = 1
    height: int = 1
    bold: bool = False
    underline: bool = False
    invert: bool = False
    font: int = 0


@dataclass
class TextLine:
    """One printed line (before the printer wraps it): characters with their styles."""

    chars: list[tuple[str, Style]] = field(default_factory=list)
    align: int = 0
    spacing: int = DEFAULT_LINE

    @property
    def text(self) -> str:
        """The line's characters as text."""
        return "".join(char for char, _ in self.chars)


@dataclass(frozen=True, slots=True)
class Raster:
    """A raster image (GS v 0), 1 = ink, already scaled by its density."""

    image: Image.Image
    align: int


@dataclass(frozen=True, slots=True)
class QrCode:
    """A native QR code (GS ( k) as the printer would draw it."""

    payload: str
    module: int
    ec: int
    align: int


@dataclass(frozen=True, slots=True)
class Feed:
    """Blank paper, in dots."""

    dots: int


@dataclass(frozen=True, slots=True)
class Cut:
    """A paper cut; ``partial`` leaves a bridge."""

    partial: bool


Block = TextLine | Raster | QrCode | Feed | Cut


@dataclass
class Paper:
    """What a printer would do with the bytes: the blocks in order, and what was not understood."""

    blocks: list[Block] = field(default_factory=list)
    codepages: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[TextLine]:
        """Every text line, in order."""
        return [b for b in self.blocks if isinstance(b, TextLine)]

    @property
    def text(self) -> str:
        """The text of the ticket, one printed line per line."""
        return "\n".join(line.text for line in self.lines)

    @property
    def qr_codes(self) -> list[QrCode]:
        """The native QR codes printed."""
        return [b for b in self.blocks if isinstance(b, QrCode)]

    @property
    def rasters(self) -> list[Raster]:
        """The raster images printed (logo, image QR codes)."""
        return [b for b in self.blocks if isinstance(b, Raster)]

    @property
    def cuts(self) -> list[Cut]:
        """The cuts, in order."""
        return [b for b in self.blocks if isinstance(b, Cut)]


class _Reader:
    """Walks the byte string; running past the end raises IndexError (a truncated command)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise IndexError("command runs past the end of the data")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def more(self) -> bool:
        return self.pos < len(self.data)


def _codepage_table(profile_name: str) -> dict[int, str]:
    """ESC t number -> Python codec, for the printer profile."""
    table: dict[int, str] = {}
    for name, number in get_profile(profile_name).get_code_pages().items():
        try:
            codec = CodePages.get_encoding(name).get("python_encode")
        except Exception:  # a code page escpos describes only by its glyph table
            codec = None
        if codec:
            table[int(number)] = str(codec)
    return table


class _Interpreter:
    def __init__(self, profile: str) -> None:
        self.paper = Paper()
        self.pages = _codepage_table(profile)
        self.codec = "cp437"  # what ESC @ leaves on most printers
        self.style = Style()
        self.align = 0
        self.spacing = DEFAULT_LINE
        self.line = TextLine()
        self.qr_module, self.qr_ec, self.qr_data = 3, 48, b""

    def _restyle(self, **changes: Any) -> None:
        self.style = replace(self.style, **changes)

    def _flush(self, force: bool = True) -> None:
        if self.line.chars or force:
            if not self.line.chars:
                self.line.align = self.align
            self.line.spacing = self.spacing
            self.paper.blocks.append(self.line)
        self.line = TextLine()

    def _char(self, raw: int) -> None:
        if not self.line.chars:
            self.line.align = self.align  # ESC a counts only at the start of a line
        self.line.chars.append((bytes([raw]).decode(self.codec, "replace"), self.style))

    def run(self, data: bytes) -> Paper:
        reader = _Reader(data)
        while reader.more():
            start = reader.pos
            code = reader.byte()
            try:
                if code == 0x0A:
                    self._flush()
                elif code == 0x0D:
                    pass
                elif code == ESC:
                    self._esc(reader)
                elif code == GS:
                    self._gs(reader)
                elif code == DLE:
                    self._dle(reader)
                elif code < 0x20:
                    self.paper.unknown.append(data[start : start + 1].hex())
                else:
                    self._char(code)
            except IndexError:
                self.paper.unknown.append("truncated:" + data[start : start + 8].hex())
                break
        self._flush(force=False)
        return self.paper

    def _esc(self, r: _Reader) -> None:
        cmd = r.byte()
        if cmd == ord("@"):
            self.style, self.align, self.spacing = Style(), 0, DEFAULT_LINE
            self.codec = "cp437"
        elif cmd == ord("t"):
            number = r.byte()
            codec = self.pages.get(number)
            if codec is None:
                self.paper.unknown.append(f"codepage:{number}")
                codec = "cp437"
            self.codec = codec
            self.paper.codepages.append(codec)
        elif cmd == ord("!"):
            n = r.byte()
            self._restyle(
                font=n & 1,
                bold=bool(n & 0x08),
                height=2 if n & 0x10 else 1,
                width=2 if n & 0x20 else 1,
                underline=bool(n & 0x80),
            )
        elif cmd == ord("E"):
            self._restyle(bold=bool(r.byte() & 1))
        elif cmd == ord("-"):
            self._restyle(underline=bool(r.byte() & 3))
        elif cmd == ord("M"):
            self._restyle(font=r.byte() & 1)
        elif cmd == ord("a"):
            self.align = r.byte() % 48 % 3
        elif cmd == ord("2"):
            self.spacing = DEFAULT_LINE
        elif cmd == ord("3"):
            self.spacing = r.byte()
        elif cmd == ord("d"):
            count = r.byte()
            if self.line.chars:
                self._flush()
                count -= 1
            for _ in range(max(0, count)):
                self._flush()
        elif cmd == ord("J"):
            self._flush(force=False)
            self.paper.blocks.append(Feed(r.byte()))
        elif cmd in (ord("{"), ord("G"), ord("V"), ord("r")):
            r.byte()  # upside-down, double strike, rotation, colour: not drawn
        else:
            self.paper.unknown.append(f"ESC {cmd:#04x}")

    def _gs(self, r: _Reader) -> None:
        cmd = r.byte()
        if cmd == ord("!"):
            n = r.byte()
            self._restyle(width=(n >> 4) + 1, height=(n & 0x0F) + 1)
        elif cmd == ord("B"):
            self._restyle(invert=bool(r.byte() & 1))
        elif cmd in (ord("b"), ord("|")):
            r.byte()  # smoothing, density: not drawn
        elif cmd == ord("V"):
            mode = r.byte()
            if mode in (65, 66, 97, 98, 103, 104):
                r.byte()
            self._flush(force=False)
            self.paper.blocks.append(Cut(partial=mode in (1, 49, 66, 98, 104)))
        elif cmd == ord("v"):
            self._raster(r)
        elif cmd == ord("("):
            self._gs_paren(r)
        else:
            self.paper.unknown.append(f"GS {cmd:#04x}")

    def _dle(self, r: _Reader) -> None:
        cmd = r.byte()
        if cmd == 0x04:
            r.byte()  # a real-time status query: answered by the printer, prints nothing
        else:
            self.paper.unknown.append(f"DLE {cmd:#04x}")

    def _raster(self, r: _Reader) -> None:
        if r.byte() != ord("0"):
            self.paper.unknown.append("GS v (not 0)")
            return
        density = r.byte() % 48
        width_bytes = r.byte() + 256 * r.byte()
        height = r.byte() + 256 * r.byte()
        bits = r.take(width_bytes * height)
        # Raster bit 1 is ink; PIL's mode "1" takes 1 as white, so invert while loading.
        image = Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in bits))
        sx, sy = (2 if density & 1 else 1), (2 if density & 2 else 1)
        if (sx, sy) != (1, 1):
            image = image.resize((image.width * sx, image.height * sy), Image.Resampling.NEAREST)
        self._flush(force=False)
        self.paper.blocks.append(Raster(image.convert("L"), self.align))

    def _gs_paren(self, r: _Reader) -> None:
        kind = r.byte()
        size = r.byte() + 256 * r.byte()
        body = r.take(size)
        if kind != ord("k") or len(body) < 2 or body[0] != 49:
            self.paper.unknown.append(f"GS ( {kind:#04x}")
            return
        fn, args = body[1], body[2:]
        if fn == 65:  # model
            return
        if fn == 67 and args:
            self.qr_module = args[0]
        elif fn == 69 and args:
            self.qr_ec = args[0]
        elif fn == 80:
            self.qr_data = args[1:]
        elif fn == 81:
            self._flush(force=False)
            payload = self.qr_data.decode("utf-8", "replace")
            self.paper.blocks.append(QrCode(payload, self.qr_module, self.qr_ec, self.align))
        else:
            self.paper.unknown.append(f"GS ( k fn {fn}")


def interpret(data: bytes, profile: str = "default") -> Paper:
    """What a printer of ``profile`` would print for ``data``."""
    return _Interpreter(profile).run(data)


# ---- drawing --------------------------------------------------------------------------------


def _font_path(bold: bool) -> str | None:
    suffix = "-Bold" if bold else ""
    for pattern in _FONT_FILES:
        path = Path(pattern.format(bold=suffix))
        if path.is_file():
            return str(path)
    try:  # python-barcode (a dependency of python-escpos) ships the regular face
        import barcode  # type: ignore[import-untyped]

        bundled = Path(barcode.__file__).with_name("fonts") / "DejaVuSansMono.ttf"
        if bundled.is_file():
            return str(bundled)
    except ImportError:
        pass
    return None


class _Glyphs:
    """Character cells drawn once per (char, style) with a monospace font, as a printer would."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, Style], Image.Image] = {}
        self._fonts: dict[tuple[bool, int], ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

    def _font(self, bold: bool, px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        key = (bold, px)
        if key not in self._fonts:
            path = _font_path(bold) or _font_path(False)
            self._fonts[key] = ImageFont.truetype(path, px) if path else ImageFont.load_default(px)
        return self._fonts[key]

    def cell(self, char: str, style: Style) -> Image.Image:
        key = (char, style)
        if key in self._cache:
            return self._cache[key]
        base_w, base_h = _FONTS[style.font]
        w, h = base_w * style.height, base_h * style.height
        ink, paper = (255, 0) if style.invert else (0, 255)
        cell = Image.new("L", (w, h), paper)
        draw = ImageDraw.Draw(cell)
        font = self._font(style.bold, int(base_h * 0.82 * style.height))
        draw.text((w / 2, h * 0.80), char, font=font, fill=ink, anchor="ms")
        if style.underline:
            draw.rectangle((0, h - style.height, w, h), fill=ink)
        if style.width != style.height:
            cell = cell.resize((base_w * style.width, h), Image.Resampling.LANCZOS)
        self._cache[key] = cell
        return cell


def _x(align: int, width: int, paper: int) -> int:
    return {0: 0, 1: (paper - width) // 2, 2: paper - width}.get(align, 0)


def _draw_text(line: TextLine, dots: int, glyphs: _Glyphs) -> list[Image.Image]:
    """The line as the printer prints it: wrapped at the paper's edge."""
    if not line.chars:
        return [Image.new("L", (dots, line.spacing), 255)]
    rows: list[list[Image.Image]] = [[]]
    used = 0
    for char, style in line.chars:
        cell = glyphs.cell(char, style)
        if used + cell.width > dots and rows[-1]:
            rows.append([])
            used = 0
        rows[-1].append(cell)
        used += cell.width
    out = []
    for cells in rows:
        height = max(c.height for c in cells)
        row = Image.new("L", (dots, max(height, line.spacing)), 255)
        x = _x(line.align, sum(c.width for c in cells), dots)
        for cell in cells:
            row.paste(cell, (x, height - cell.height))
            x += cell.width
        out.append(row)
    return out


def _draw_qr(code: QrCode) -> Image.Image:
    qr = qrcode.QRCode(
        box_size=max(1, code.module),
        border=0,
        error_correction=_QR_EC.get(code.ec, qrcode.constants.ERROR_CORRECT_L),
    )
    qr.add_data(code.payload)
    qr.make(fit=True)
    image: Image.Image = qr.make_image().get_image().convert("L")
    return image


def render(paper: Paper, width_mm: int = 80) -> Image.Image:
    """A picture of the ticket: the printed strip on a roll of ``width_mm``, cut lines dashed."""
    dots = {58: 384, 80: 576}.get(width_mm, width_mm * DOTS_PER_MM)
    roll = width_mm * DOTS_PER_MM
    margin = (roll - dots) // 2
    glyphs = _Glyphs()
    strips: list[Image.Image | None] = []  # None marks a cut
    for block in paper.blocks:
        if isinstance(block, TextLine):
            strips += _draw_text(block, dots, glyphs)
        elif isinstance(block, Feed):
            strips.append(Image.new("L", (dots, max(1, block.dots)), 255))
        elif isinstance(block, Cut):
            strips.append(None)
        else:
            image = block.image if isinstance(block, Raster) else _draw_qr(block)
            row = Image.new("L", (dots, image.height), 255)
            row.paste(
                image.crop((0, 0, min(dots, image.width), image.height)),
                (max(0, _x(block.align, image.width, dots)), 0),
            )
            strips.append(row)
    top = 3 * DOTS_PER_MM
    height = top + sum(s.height for s in strips if s is not None) + top
    picture = Image.new("L", (roll, height), 255)
    draw = ImageDraw.Draw(picture)
    y = top
    for strip in strips:
        if strip is None:
            for x in range(0, roll, 16):
                draw.line((x, y, x + 8, y), fill=110, width=2)
            y += 2
            continue
        picture.paste(strip, (margin, y))
        y += strip.height
    draw.rectangle((0, 0, roll - 1, picture.height - 1), outline=180)
    return picture.crop((0, 0, roll, min(picture.height, y + top)))


def render_png(data: bytes, path: Path, *, profile: str = "default", width_mm: int = 80) -> Paper:
    """Interpret ``data`` and write the picture to ``path``; returns what was interpreted."""
    paper = interpret(data, profile)
    render(paper, width_mm).save(path, optimize=True)
    return paper
