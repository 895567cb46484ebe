"""axe-core in a real page: what a screen-reader or keyboard user would stumble on.

The script is a pinned axe-core release that ``firmware_config/bootstrap.sh --install-only test``
unpacks into the virtualenv (from its PyPI wheel); it is injected into the page under test and
run there. A test fails on any serious or critical finding, naming the rule and the elements.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

AXE = Path(sys.prefix) / "share" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_findings(driver: WebDriver, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """The axe-core violations of the page now shown, of the given impacts."""
    if not AXE.is_file():
        pytest.skip(
            f"axe-core is not installed ({AXE}): run firmware_config/bootstrap.sh "
            "--install-only test"
        )
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result: dict[str, Any] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r)).catch(e => done({error: String(e)}));"
    )
    assert "error" not in result, result.get("error")
    return [v for v in result["violations"] if v.get("impact") in impacts]


def assert_accessible(driver: WebDriver, page: str) -> None:
    """No serious or critical axe-core finding on the page now shown."""
    findings = axe_findings(driver)
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in findings
    ]
    assert not findings, f"{page}: " + "; ".join(lines)
