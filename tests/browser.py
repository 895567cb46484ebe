"""Real browsers for the web tests: a uvicorn server in a thread and headless Chromium.

Nothing is faked: the pages are served by the hub's own app over TCP on a free loopback port,
and Debian's Chromium drives them through chromedriver. Each helper stops what it started.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit

import pytest
import uvicorn
from fastapi import FastAPI
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from tests.pg import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Pictures of what a person sees go to a scratch folder; to refresh the ones in docs/, run
# CHERGA_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/test_web_browser.py
SCREENSHOTS = Path(os.environ.get("CHERGA_SCREENSHOTS") or tempfile.mkdtemp(prefix="cherga-web-"))
WAIT = 10.0
PHONE = (390, 844)
DESKTOP = (1366, 900)
T = TypeVar("T")
GONE = "does not belong to the document"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not server.started:
        assert thread.is_alive(), "the web server stopped while starting"
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=WAIT)


@contextmanager
def browser(size: tuple[int, int] = DESKTOP, *, home: Path | None = None) -> Iterator[WebDriver]:
    """A headless Chromium window of ``size`` (CSS pixels), HOME ``home``; quit at the end."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("Chromium and chromedriver are needed (Debian: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={size[0]},{size[1]}",
    ):
        options.add_argument(argument)
    # Chromium trusts the certificates in $HOME/.pki/nssdb, as a user's own browser does.
    env = None if home is None else {**os.environ, "HOME": str(home)}
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER, env=env))
    try:
        driver.set_page_load_timeout(30)
        # A desktop window cannot be narrower than about 500 px: a phone's viewport is emulated.
        _viewport(driver, size)
        yield driver
    finally:
        driver.quit()


def _viewport(driver: WebDriver, size: tuple[int, int]) -> None:
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setDeviceMetricsOverride",
        {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size[0] < 600},
    )


def wait_for(
    driver: WebDriver, check: Callable[[WebDriver], T], what: str, timeout: float = WAIT
) -> T:
    """The first truthy result of ``check`` within ``timeout``; fails naming ``what``."""
    # The console replaces its live part every second: an element found just before may be gone.
    waiting = WebDriverWait(
        driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
    )

    def checked(d: WebDriver) -> T | bool:
        try:
            return check(d)
        except WebDriverException as error:
            # Chromium reports a node replaced between finding and reading it either as a stale
            # element or, when the replacement lands mid-command, as this inspector error.
            if GONE in (error.msg or ""):
                return False
            raise

    result: T = waiting.until(checked, message=what)  # type: ignore[assignment]
    return result


def click_for_new_page(driver: WebDriver, element_id: str) -> None:
    """Click the element (a form's submit) and wait until the page it was on is gone, so what
    the test reads next is the answer's, not the same marker left on the old page."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, element_id).click()
    wait_for(driver, staleness_of(old), f"the page after #{element_id}")


def text_of(driver: WebDriver, css: str) -> str:
    """The visible text of the first element matching ``css`` ("" when there is none), read in
    one step inside the page so a refresh of the live part cannot replace it half-way."""
    return str(
        driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css
        )
    )


def wait_for_flash(driver: WebDriver, expected: str, what: str, *, exact: bool = True) -> str:
    """The console's outcome line once it says ``expected`` (the one of an earlier action may
    still be on the page, or be replaced while it is read)."""

    def says(d: WebDriver) -> str:
        text = text_of(d, "#flash")
        return text if (text == expected if exact else expected in text) else ""

    return wait_for(driver, says, what)


def screenshot(driver: WebDriver, name: str, *, full: bool = False) -> Path:
    """Save the window (or, with ``full``, the whole page) as web-NAME.png in SCREENSHOTS."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"web-{name}.png"
    width = int(driver.execute_script("return window.innerWidth"))
    height = int(driver.execute_script("return window.innerHeight"))
    if full:
        tall = int(driver.execute_script("return document.documentElement.scrollHeight"))
        _viewport(driver, (width, max(height, tall)))
    try:
        assert driver.get_screenshot_as_file(str(path))
    finally:
        if full:
            _viewport(driver, (width, height))
    return path


def office_log_in(
    driver: WebDriver, base: str, then: str, user: str, password: str, lang: str = "uk"
) -> None:
    """Log in at the back-office's login page and wait to land on ``then`` (a path)."""
    driver.get(f"{base}/console/login?lang={lang}&next={quote(then, safe='')}")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    path = then.split("?")[0]
    wait_for(driver, lambda d: urlsplit(d.current_url).path == path, f"the page {then}")


def office_shot(driver: WebDriver, page: str, lang: str, size: str) -> Path:
    """office-PAGE-LANG-SIZE.png of the whole page in the screenshots folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = screenshot(driver, f"{page}-{lang}-{size}", full=True)
    target = SCREENSHOTS / f"office-{page}-{lang}-{size}.png"
    saved.replace(target)
    return target


def office_flash(driver: WebDriver, expected: str = "") -> str:
    """A back-office page's outcome line once it says ``expected`` (the line of the action
    before may still be on the page while the next one loads)."""

    def says(d: WebDriver) -> str:
        line = text_of(d, ".flash")
        return line if line and expected in line else ""

    return wait_for(driver, says, f"the outcome line saying {expected!r}")
