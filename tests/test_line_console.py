"""The hall console shows callers on the office lines in the services' lines (real Chromium)."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from hub.api.app import create_app
from hub.db.engine import transaction
from hub.services.queue import calls
from tests.browser import DESKTOP, browser, screenshot, serve, text_of, wait_for
from tests.test_coordinator import Site, make_service
from tests.test_coordinator import site as site  # the fixture
from tests.test_web_browser import console_login


def test_the_console_marks_callers_and_counts_them(site: Site) -> None:
    hub = site.hub
    taxes = make_service(site, "Податки", [])
    site.add("line", "line-1")
    with transaction(hub.sessions) as session:
        for n in (1, 2):
            calls.join(
                session, site.ctx(), line="line-1", call_id=f"call-{n}", service_id=taxes,
                remote=f"050111000{n}",
            )  # fmt: skip
    app = create_app(hub)
    app.state.clock = lambda: site.now[0]
    with serve(app) as base, browser(DESKTOP) as console:
        console_login(console, base, lang="en")
        for lang, said in (("uk", "З них на телефонній лінії: 2"), ("en", "Of them on the phone")):
            console.get(f"{base}/console?lang={lang}")
            marked = wait_for(
                console,
                lambda d: d.find_elements(By.CSS_SELECTOR, f"#service-{taxes} [data-caller]"),
                "the callers' badges",
            )
            assert len(marked) == 2
            assert said in text_of(console, f"#service-{taxes} .callers-waiting")
        screenshot(console, "console-callers")
