"""The call-centre's callers in the statistics (issue 22), worked by hand on SQLite and
PostgreSQL: per service, offered, answered with the time in the queue, abandoned with their wait,
callbacks, waiting, talk time; visitors and the softphones' figures are not touched.

One service (Податки), 30.11.2026 from 09:00 Kyiv time (minutes after 09:00):

| who       | joined | what happens                                                        |
|-----------|--------|---------------------------------------------------------------------|
| caller 1  | 0      | Anna's Free at 6, her phone answers at 7 (7 min queued), done at 10 |
| visitor 1 | 1      | Bohdan's Free at 6.5: a visitor, not a caller                       |
| caller 2  | 2      | Anna's Free at 10; hangs up at 10.5 before the answer (8 min)       |
| caller 3  | 3      | hangs up while waiting at 5.5 (2.5 min)                             |
| caller 4  | 4      | asks to be called back at 5; Anna's Free at 11 dials them           |
| caller 5  | 12     | still waiting                                                       |

Offered 5, answered 1 (speed of answer 420 s), abandoned 2 (waits 150 and 480 s: mean 315,
median 150, p90 480 by nearest rank), callbacks 1 of which called back 1, waiting 1, talk 180 s.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By as Find

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.services.queue import calls
from hub.services.stats.callers import caller_figures
from hub.services.stats.common import By, Durations, Period
from hub.services.stats.desk import desk_figures
from hub.services.stats.phone import phone_figures
from hub.services.stats.queue import Scope
from tests import browser as browsers
from tests.accessibility import assert_accessible
from tests.browser import DESKTOP, browser, serve, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD
from tests.test_office_projects import web_login
from tests.test_queue import at, issue, make_service
from tests.test_queue_calls import LINE, finish, join, setup, taken

DAY = date(2026, 11, 30)
PERIOD = Period(DAY, DAY)


def worked_day(hub: Hub) -> tuple[int, int]:
    """The day in the table above; the service and a second one without callers."""
    service, anna, bohdan = setup(hub)
    with transaction(hub.sessions) as session:
        other = make_service(session, "Паспорти")
    c1 = join(hub, service, 0, "call-1", "0501112233")
    v1 = issue(hub, service, 1).ticket.id
    c2 = join(hub, service, 2, "call-2", "0502223344")
    join(hub, service, 3, "call-3", "anonymous")
    c4 = join(hub, service, 4, "call-4", "0504445566")
    issue(hub, other, 4.5)
    with transaction(hub.sessions) as session:
        calls.callback(session, at(5), line=LINE, call_id="call-4")
        calls.left(session, at(5.5), line=LINE, call_id="call-3")
    assert taken(hub, anna, 6, "1", "panel-1") == c1
    assert taken(hub, bohdan, 6.5, "2", "panel-b") == v1
    with transaction(hub.sessions) as session:
        calls.connected(session, at(7), line=LINE, call_id="call-1", ok=True, reason=None)
    finish(hub, anna, 10, c1)
    assert taken(hub, anna, 10, "1", "panel-1") == c2
    with transaction(hub.sessions) as session:
        calls.left(session, at(10.5), line=LINE, call_id="call-2")
    finish(hub, anna, 11, c2)  # the operator closes the abandoned caller's ticket
    assert taken(hub, anna, 11, "1", "panel-1") == c4  # the callback: her phone dials
    join(hub, service, 12, "call-5")
    return service, other


def test_the_callers_of_a_worked_day_per_service(hub: Hub) -> None:
    service, other = worked_day(hub)
    with hub.read_sessions() as session:
        [row] = caller_figures(session, PERIOD, By.SERVICE)
        assert (row.key, row.name) == (str(service), "Податки")
        counts = (
            row.offered,
            row.answered,
            row.abandoned,
            row.callbacks,
            row.called_back,
            row.waiting,
        )
        assert counts == (5, 1, 2, 1, 1, 1)
        assert row.answer == Durations(1, 420.0, 420, 420)
        assert row.abandon_wait == Durations(2, 315.0, 150, 480)
        assert row.talk == Durations(1, 180.0, 180, 180)
        assert row.answered_share == 0.2
        # By hour and for the period: the same callers, all of the 09:00 hour.
        [hour] = caller_figures(session, PERIOD, By.HOUR)
        assert (hour.key, hour.name, hour.offered, hour.answered) == ("9", "09:00", 5, 1)
        [whole] = caller_figures(session, PERIOD, By.PERIOD)
        assert (whole.key, whole.offered, whole.abandoned) == ("all", 5, 2)
        # A scope without the service sees no callers; another day has none.
        assert caller_figures(session, PERIOD, By.SERVICE, Scope(services=[other])) == []
        before = Period(date(2026, 11, 29), date(2026, 11, 29))
        assert caller_figures(session, before, By.SERVICE) == []
        # The softphones' figures are the phone calls' only: the queue's callers are not there.
        assert phone_figures(session, PERIOD, By.LINE) == []


def test_the_callers_on_the_api(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    service, _other = worked_day(hub)
    got = client.get(
        "/api/v1/stats/callers",
        params={"from": str(DAY), "to": str(DAY), "by": "service"},
        headers=admin_headers,
    )
    assert got.status_code == 200, got.text
    [row] = got.json()["rows"]
    assert row["key"] == str(service) and row["offered"] == 5 and row["answered"] == 1
    assert row["answer"] == {"count": 1, "mean_s": 420.0, "median_s": 420, "p90_s": 420}
    assert row["abandon_wait"]["p90_s"] == 480 and row["callbacks"] == 1
    wrong = client.get(
        "/api/v1/stats/callers",
        params={"from": str(DAY), "to": str(DAY), "by": "line"},
        headers=admin_headers,
    )
    assert wrong.status_code == 422 and "by" in wrong.text
    anonymous = client.get("/api/v1/stats/callers", params={"from": str(DAY), "to": str(DAY)})
    assert anonymous.status_code == 401


def test_the_desk_shows_the_callers_beside_the_phones_without_counting_them_twice(
    hub: Hub,
) -> None:
    worked_day(hub)
    with hub.read_sessions() as session:
        [row] = desk_figures(session, PERIOD, By.DAY)
    assert row.callers is not None and (row.callers.offered, row.callers.answered) == (5, 1)
    assert row.hall is not None and row.phone is None
    # Seven visitors in the hall (five callers, one walk-in in Податки, one in Паспорти): the
    # callers are visitors of their service already, so the contacts are the hall's.
    assert (row.hall.visitors, row.contacts) == (7, 7)


def _csv(web: TestClient, query: str) -> list[list[str]]:
    reply = web.get(f"/office/stats/report.csv?{query}")
    assert reply.status_code == 200, reply.text
    return list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig")), delimiter=";"))


def test_the_callers_report_on_the_page_and_in_its_exports(hub: Hub) -> None:
    worked_day(hub)
    asked = f"kind=callers&from={DAY}&to={DAY}"
    with TestClient(create_app(hub)) as web:
        web_login(web, "admin", ADMIN_PASSWORD)
        page = web.get(f"/office/stats/report?{asked}&lang=en")
        assert page.status_code == 200 and 'id="report-table"' in page.text
        assert "Call centre: callers in the services&#39; lines" in page.text
        english = _csv(web, f"{asked}&lang=en")
        assert english[0][:6] == [
            "Service", "Offered", "Answered", "Speed of answer, s", "Speed of answer, p90, s",
            "Abandoned",
        ]  # fmt: skip
        assert english[1][:3] == ["Податки", "5", "1"] and len(english) == 2
        ukrainian = _csv(web, f"{asked}&by=hour&lang=uk")
        assert ukrainian[0][:3] == ["Година", "Вхідні", "Прийнято"]
        assert ukrainian[1][:3] == ["09:00", "5", "1"]
        desk = _csv(web, f"kind=desk&from={DAY}&to={DAY}&lang=en")
        column = desk[0].index("Call centre: callers")
        assert desk[1][column] == "5"
        for fmt in ("xlsx", "pdf"):
            assert web.get(f"/office/stats/report.{fmt}?{asked}&lang=en").status_code == 200
        wrong = web.get(f"/office/stats/report?{asked}&by=line&lang=en").text
        assert 'id="f-by-error"' in wrong


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.timeout(240)
def test_the_callers_report_in_a_browser_in_both_languages(hub: Hub) -> None:
    worked_day(hub)
    with serve(create_app(hub)) as base, browser(DESKTOP) as driver:
        browsers.office_log_in(driver, base, "/office/stats", "admin", ADMIN_PASSWORD)
        for lang, heading in (("uk", "Вхідні"), ("en", "Offered")):
            driver.get(f"{base}/office/stats/report?kind=callers&from={DAY}&to={DAY}&lang={lang}")
            wait_for(driver, lambda d: d.find_elements(Find.ID, "report-table"), "the report")
            assert heading in text_of(driver, "#report-table thead")
            assert "Податки" in text_of(driver, "#report-table tbody")
            assert_accessible(driver, f"the call-centre report ({lang})")
            browsers.office_shot(driver, "stats-report-callers", lang, "desktop")
