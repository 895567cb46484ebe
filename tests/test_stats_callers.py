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

from datetime import date

from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.services.queue import calls
from hub.services.stats.callers import caller_figures
from hub.services.stats.common import By, Durations, Period
from hub.services.stats.phone import phone_figures
from hub.services.stats.queue import Scope
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
