"""The Statistics section (STAT-1, STAT-3): today's dashboard, the reports with their charts,
their exports read back, the rights, and a service-level alert on the hall console and an
operator's panel, against the real hub (and, for the alert, its broker and coordinator).

The week recorded is tests/stats_week.py's; the pages run on its clock (``app.state.clock``).
Screenshots: CHERGA_SCREENSHOTS=docs/screenshots refreshes docs/ (office-stats-*.png).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pypdf import PdfReader
from selenium.webdriver.common.by import By as Find
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import update

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Project
from hub.protocol import topics
from hub.protocol.messages import PanelAssignment
from hub.services.queue import assign as queue_assign
from hub.services.queue import operators as queue_operators
from hub.services.queue import tickets as queue_tickets
from hub.services.stats import watch
from hub.services.stats.common import By, Period
from hub.services.stats.queue import queue_figures
from tests import browser as browsers
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD, UserFactory
from tests.coordinator_site import Inbox, running_site
from tests.stats_week import NOW, ctx, office_week
from tests.test_office_projects import grant_journal, journal, web_login
from tests.test_queue import make_operator, make_service
from tests.test_stats import _worked_day
from tests.test_web_browser import console_login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
WEEK = "from=2026-11-23&to=2026-11-30"
PASSWORD = "user-password-1"
pytestmark = pytest.mark.timeout(900)
Headers = dict[str, str]


def on_the_weeks_clock(hub: Hub) -> FastAPI:
    """The hub's app, its pages at 14:30 on Monday 30 November 2026."""
    app = create_app(hub)
    app.state.clock = lambda: NOW
    return app


def cells(html: str, row_class: str) -> list[str]:
    """The first cell of each row of class ``row_class`` (the service or operator named)."""
    return re.findall(rf'<tr class="{row_class}"[^>]*>\s*<th scope="row">([^<]+)</th>', html)


# --- over HTTP: exports, rights, the form ------------------------------------------------------


@SQLITE_ONLY
def test_a_report_exports_as_csv_xlsx_and_pdf_with_the_pages_figures(hub: Hub) -> None:
    week = office_week(hub)
    with hub.sessions() as session:
        expected = queue_figures(
            session, Period(date(2026, 11, 23), date(2026, 11, 30)), By.SERVICE
        )
    assert [row.name for row in expected] == ["Паспорти", "Довідки", "Субсидії"]
    query = f"?kind=hall&{WEEK}&by=service&lang=uk"
    with TestClient(on_the_weeks_clock(hub)) as web:
        web_login(web, "admin", ADMIN_PASSWORD)
        page = web.get("/office/stats/report" + query)
        assert page.status_code == 200
        for chart in ("wait", "level", "load"):
            assert f'id="chart-{chart}"' in page.text and f'id="table-{chart}"' in page.text
        assert 'href="/office/stats/report.csv?kind=hall&amp;from=2026-11-23' in page.text

        reply = web.get("/office/stats/report.csv" + query)
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/csv")
        assert "attachment" in reply.headers["content-disposition"]
        assert reply.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:3] == ["Послуга", "Відвідувачі", "Обслуговано"]
        assert rows[0][3] == "Рівень обслуговування, %"
        for row, figures in zip(rows[1:], expected, strict=True):
            assert row[0] == figures.name and int(row[1]) == figures.visitors
            assert row[3] == f"{(figures.service_level or 0) * 100:.1f}".replace(".", ",")
            assert int(row[5]) == round(figures.wait.mean_s or 0)  # seconds, whole

        book = load_workbook(io.BytesIO(web.get("/office/stats/report.xlsx" + query).content))
        sheet = book.active
        assert sheet["A1"].value == "Зал: відвідувачі й чекання"
        head = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "Послуга")
        for offset, figures in enumerate(expected, start=1):
            line = head + offset
            assert sheet.cell(line, 1).value == figures.name
            assert sheet.cell(line, 2).value == figures.visitors
            assert sheet.cell(line, 2).number_format == "0"
            mean = sheet.cell(line, 6)
            assert mean.number_format == "[h]:mm:ss"
            assert round(mean.value.total_seconds(), 1) == figures.wait.mean_s  # a duration
            level = sheet.cell(line, 4)
            assert level.number_format == "0.0%" and level.value == figures.service_level

        pdf = web.get("/office/stats/report.pdf" + query)
        assert pdf.headers["content-type"] == "application/pdf"
        words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        for name in ("Зал: відвідувачі й чекання", "Паспорти", "Субсидії", "23.11.2026"):
            assert name in words

        # The operator filter: Olena served only Passports.
        olena = week.operators["olena"].user_id
        only = web.get(f"/office/stats/report.csv{query}&operator={olena}").content
        names = [r[0] for r in csv.reader(io.StringIO(only.decode("utf-8-sig")), delimiter=";")]
        assert names[1:] == ["Паспорти"]
        # Every report exports, in English too.
        for kind in ("bookings", "operators", "phone", "desk"):
            english = web.get(f"/office/stats/report.csv?kind={kind}&{WEEK}&lang=en")
            assert english.status_code == 200, kind
            assert english.content.decode("utf-8-sig").split(";")[0] in (
                "Service", "Operator", "Line", "Day",
            )  # fmt: skip


def test_the_bookings_report_groups_by_hour_operator_and_window(hub: Hub) -> None:
    """The hand-worked day's bookings on the page and in its CSV export (tests/test_stats.py:
    B1 booked 09:30, kept late, called by Petro at window 2; B2 booked 10:00, missed)."""
    day = _worked_day(hub)
    asked = "?kind=bookings&from=2026-11-30&to=2026-11-30&lang=en"
    with TestClient(create_app(hub)) as web:
        web_login(web, "admin", ADMIN_PASSWORD)
        page = web.get(f"/office/stats/report{asked}&by=operator")
        assert page.status_code == 200
        for by in ("hour", "operator", "window"):
            assert f'<option value="{by}"' in page.text, by

        def exported(by: str, more: str = "") -> list[list[str]]:
            reply = web.get(f"/office/stats/report.csv{asked}&by={by}{more}")
            assert reply.status_code == 200, reply.text
            text = reply.content.decode("utf-8-sig")
            return list(csv.reader(io.StringIO(text), delimiter=";"))

        hours = exported("hour")
        assert hours[0][:5] == ["Hour", "Booked", "Kept", "Kept late", "Missed"]
        assert [row[:5] for row in hours[1:]] == [
            ["09:00", "1", "1", "1", "0"],
            ["10:00", "1", "0", "0", "1"],
        ]
        assert [row[:3] for row in exported("operator")[1:]] == [["petro", "1", "1"]]
        assert [row[:3] for row in exported("window")[1:]] == [["2", "1", "1"]]
        olena = f"&operator={day.olena.user_id}"
        assert exported("period", olena)[1:] == []  # no booking was called by Olena


@SQLITE_ONLY
def test_a_manager_of_one_journal_sees_its_services_and_others_see_nothing(
    hub: Hub, client: TestClient, admin_headers: Headers, make_user: UserFactory
) -> None:
    week = office_week(hub)
    own = journal(client, admin_headers, "pass", "Паспортний стіл", "Passport desk")
    other = journal(client, admin_headers, "social", "Соцвідділ", "Social desk")
    with transaction(hub.sessions) as session:
        for key, chosen in week.services.items():
            placed = own if key == "passports" else other
            session.execute(update(Project).where(Project.id == chosen).values(journal_id=placed))
    manager, _ = make_user("manager", rights={"project": "u"})
    grant_journal(client, admin_headers, manager, own, "u")
    make_user("clerk", rights={"event": "c"})
    certificates = week.services["certificates"]
    with TestClient(on_the_weeks_clock(hub)) as web:
        web_login(web, "manager", PASSWORD)
        assert 'href="/office/stats"' in web.get("/office").text
        today = web.get("/office/stats").text
        assert cells(today, "service-now") == ["Паспорти"]
        assert cells(web.get("/office/stats/live").text, "service-now") == ["Паспорти"]
        report = web.get(f"/office/stats/report?{WEEK}&lang=en").text
        assert "Довідки" not in report and "Паспорти" in report
        # A service of another journal is refused beside its field, and in the export.
        forged = web.get(f"/office/stats/report?{WEEK}&service={certificates}&lang=en").text
        assert 'id="f-service-error"' in forged and 'id="report-table"' not in forged
        export = web.get(f"/office/stats/report.csv?{WEEK}&service={certificates}")
        assert export.status_code == 422
        own_only = web.get(f"/office/stats/report.csv?{WEEK}&by=service").content
        assert [r[0] for r in csv.reader(io.StringIO(own_only.decode("utf-8-sig")), delimiter=";")][
            1:
        ] == ["Паспорти"]
    with TestClient(on_the_weeks_clock(hub)) as web:
        web_login(web, "clerk", PASSWORD)
        assert 'href="/office/stats"' not in web.get("/office").text
        refused = web.get("/office/stats")
        assert refused.status_code == 403 and 'id="refused"' in refused.text
        assert web.get("/office/stats/live").status_code == 403
        assert web.get(f"/office/stats/report.xlsx?{WEEK}").status_code == 403
        assert web.get(f"/office/stats/report?{WEEK}").status_code == 403


@SQLITE_ONLY
def test_a_wrong_form_says_what_is_wrong_beside_each_field(hub: Hub) -> None:
    with TestClient(on_the_weeks_clock(hub)) as web:
        web_login(web, "admin", ADMIN_PASSWORD)
        page = web.get("/office/stats/report?kind=phone&from=2026-12-01&to=2026-11-01&by=window")
        assert 'id="error-summary"' in page.text
        assert 'id="f-to-error"' in page.text and 'id="f-by-error"' in page.text
        assert 'id="report-table"' not in page.text
        bad = web.get("/office/stats/report?from=yesterday&to=2030-01-01&lang=en").text
        assert 'id="f-from-error"' in bad and "date" in bad
        long = web.get("/office/stats/report?from=2020-01-01&to=2026-11-30&lang=en").text
        assert "at most 731 days" in long


# --- in a browser: the pages, both languages, accessibility, screenshots -----------------------


def _report(driver: WebDriver, base: str, query: str) -> None:
    driver.get(f"{base}/office/stats/report?{query}")
    wait_for(driver, lambda d: d.find_elements(Find.ID, "report"), "the report")


@SQLITE_ONLY
def test_the_dashboard_and_the_reports_in_both_languages(hub: Hub) -> None:
    week = office_week(hub)
    with serve(on_the_weeks_clock(hub)) as base, browser(DESKTOP) as driver:
        with transaction(hub.sessions) as session:  # what the hub's housekeeper would do
            raised = watch.check(session, now=NOW, day=NOW.date()).raised
        assert (week.services["subsidies"], "wait") in [(a.service_id, a.kind) for a in raised]
        browsers.office_log_in(driver, base, "/office/stats", "admin", ADMIN_PASSWORD)
        for lang in ("uk", "en"):
            driver.get(f"{base}/office/stats?lang={lang}")
            wait_for(driver, lambda d: d.find_elements(Find.CSS_SELECTOR, "tr.service-now"), "rows")
            assert_accessible(driver, f"stats today {lang}")
            browsers.office_shot(driver, "stats-today", lang, "desktop")
            _report(driver, base, f"kind=hall&{WEEK}&by=hour&lang={lang}")
            assert_accessible(driver, f"stats hall report {lang}")
            browsers.office_shot(driver, "stats-report-hall", lang, "desktop")
            _report(driver, base, f"kind=operators&{WEEK}&by=operator&lang={lang}")
            assert_accessible(driver, f"stats operators report {lang}")
            browsers.office_shot(driver, "stats-report-operators", lang, "desktop")

        # Each chart has its figures as a table too.
        _report(driver, base, f"kind=hall&{WEEK}&lang=en")
        driver.find_element(Find.CSS_SELECTOR, "#figure-wait summary").click()
        hours = driver.find_elements(Find.CSS_SELECTOR, "#table-wait tbody tr")
        assert [row.find_element(Find.TAG_NAME, "th").text for row in hours][:2] == [
            "09:00",
            "10:00",
        ]
        # The groupings follow the report chosen; the form keeps what was asked.
        Select(driver.find_element(Find.ID, "f-kind")).select_by_value("phone")
        assert Select(driver.find_element(Find.ID, "f-by")).first_selected_option.get_attribute(
            "value"
        ) in ("line", "operator", "hour", "day", "period")
        Select(driver.find_element(Find.ID, "f-by")).select_by_value("line")
        driver.find_element(Find.ID, "stats-show").click()
        wait_for(driver, lambda d: "Phone lines" in text_of(d, "#report-title"), "phone report")
        assert "Лінія 102" in text_of(driver, "#report-table")

        # The dashboard refreshes itself: a visitor arriving shows without a reload.
        driver.get(f"{base}/office/stats?lang=en")
        row = f"tr[data-service='{week.services['subsidies']}'] td[data-cell='waiting']"
        before = int(text_of(driver, row))
        driver.execute_script("window.notReloaded = true")
        with transaction(hub.sessions) as session:
            queue_tickets.issue_ticket(session, ctx(NOW), service_id=week.services["subsidies"])
        wait_for(driver, lambda d: text_of(d, row) == str(before + 1), "the new visitor", 30)
        assert driver.execute_script("return window.notReloaded === true")


# --- the alert on the console and the panel -------------------------------------------------------


def _alert_rows(driver: WebDriver) -> list[Any]:
    found = driver.execute_script(
        "return [...document.querySelectorAll('#alerts .alert-row')]"
        ".map(r => [r.dataset.service, r.dataset.kind, r.innerText])"
    )
    return list(found)


@SQLITE_ONLY
def test_a_long_wait_alerts_the_console_and_the_panel_and_clears_by_itself(hub: Hub) -> None:
    with running_site(hub, [("panel", "panel-1", {"window": 1})]) as (site, _coordinators):
        with transaction(hub.sessions) as session:
            service = make_service(session, "Паспорти")
            session.execute(update(Project).where(Project.id == service).values(target_wait_s=10))
            olena = make_operator(session, "olena", [service])
        panel = site.device("panel-1", "panel")
        assignments = Inbox()
        panel.subscribe(topics.panel_assignment("main", "panel-1"), assignments, wait=10)
        with transaction(hub.sessions) as session:  # Olena at her panel, nobody waiting yet
            queue_assign.free(
                session, ctx(site.now[0]), profile=olena, window="1", device_id="panel-1"
            )
        # The first visitor goes to Olena at once; the second waits.
        first = issue(session_of=hub, service=service, at=site.now[0])
        second = issue(session_of=hub, service=service, at=site.now[0])
        app = create_app(hub)
        app.state.clock = lambda: site.now[0]
        with serve(app) as base, browser(DESKTOP) as driver:
            console_login(driver, base, "en")
            assert _alert_rows(driver) == []
            site.now[0] += timedelta(seconds=15)  # the second visitor has waited past 10 s
            shown = wait_for(driver, _alert_rows, "the alert on the console", 30)
            assert shown[0][:2] == [str(service), "wait"]
            assert "Паспорти" in shown[0][2] and "longer than the target of 10 s" in shown[0][2]
            assert_accessible(driver, "console with an alert")
            message = assignments.next(lambda t, m: isinstance(m, PanelAssignment) and m.alerts)
            assert [(a.service_id, a.kind, a.threshold) for a in message.alerts] == [
                (service, "wait", 10)
            ]
            # Olena is done with the first and calls the second: nobody waits; once the alert
            # has stood its 30 s it clears by itself, on the console and on her panel.
            with transaction(hub.sessions) as session:
                now = ctx(site.now[0])
                queue_operators.done(session, now, profile=olena, ticket_id=first)
                queue_assign.free(session, now, profile=olena, window="1", device_id="panel-1")
            site.now[0] += timedelta(seconds=31)
            cleared = assignments.next(
                lambda t, m: (
                    isinstance(m, PanelAssignment)
                    and not m.alerts
                    and m.ticket is not None
                    and m.ticket.id == second
                )
            )
            assert cleared.alerts is None
            wait_for(driver, lambda d: not _alert_rows(d), "the alert cleared", 30)


def issue(*, session_of: Hub, service: int, at: Any) -> int:
    """A walk-in ticket issued at ``at``; its id."""
    with transaction(session_of.sessions) as session:
        return queue_tickets.issue_ticket(session, ctx(at), service_id=service).ticket.id
