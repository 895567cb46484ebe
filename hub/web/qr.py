"""A booking code as a QR code (SVG, drawn on the server: no script, prints sharp at any size)."""

from __future__ import annotations

import re


def qr_svg(data: str) -> str:
    """An SVG QR code of ``data`` (medium error correction), sized by its container."""
    # Imported on first use: only the booking pages draw codes, and a hub starts without them.
    import qrcode  # type: ignore[import-untyped]
    import qrcode.image.svg  # type: ignore[import-untyped]

    maker = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        image_factory=qrcode.image.svg.SvgPathImage,
        border=2,
    )
    maker.add_data(data)
    maker.make(fit=True)
    svg = maker.make_image().to_string(encoding="unicode")
    # The library sizes the drawing in millimetres; the page decides the size instead.
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2)
    return svg.replace("<svg", '<svg class="qr" role="img" aria-label="QR"', 1)
