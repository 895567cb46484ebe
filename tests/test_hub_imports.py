"""What a started hub keeps in memory: libraries only some pages use wait for their first use."""

from __future__ import annotations

import subprocess
import sys

# fpdf2 (with fontTools, numpy, Pillow) and qrcode cost a started hub about 35 MB, which a 1 GB
# Pi has better uses for (docs/raspberry_pi.md, "A Pi-sized hub").
HEAVY = ("fpdf", "fontTools", "numpy", "PIL", "qrcode", "openpyxl")


def test_the_hub_starts_without_the_pdf_qr_and_spreadsheet_libraries() -> None:
    probe = (
        "import sys\n"
        "import hub.cli\n"
        "from hub.api.app import create_app\n"
        "from hub.api.serving import hub_servers\n"
        "from hub.bootstrap import bootstrap\n"
        "from hub.coordinator.service import Coordinator\n"
        "from hub.tls.renewal import CertificateRenewal\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.strip() == "[]"
