"""Statistics (STAT-1, STAT-2) against one office day worked out by hand, on SQLite and
PostgreSQL: the facts are recorded by the real queue and phone functions, then every report is
compared with the figures below.

Monday 30 November 2026, Kyiv (UTC+2). Service A (target 8 minutes), service B (15 minutes, the
default); Olena serves A at window 1, Petro serves B at window 2.

- 08:50 Olena Free. 09:00 A1 issued, called at once (wait 0); 09:03 started; 09:10 done (7 min).
- 09:02 A2 issued; 09:10 Olena Free calls it (wait 8 min); 09:12 recall; 09:14 transferred to B.
- 09:05 A3 issued; 09:15 Olena Free calls it (wait 10 min, over A's target); 09:18 no-show;
  Olena on break 09:18-09:30, then offline.
- 09:20 Petro Free calls A2 in B (wait 6 min since the transfer); 09:25 done (5 min from call).
- Booking B1 in B for 09:30 checks in at 09:45, past the 10-minute window: joins as a walk-in and
  Petro (free since 09:25) is called at once (wait 0); 09:55 done (10 min). Petro offline 10:00.
- Booking B2 in A for 10:00 never comes: expired at 10:30 (missed).
- A4 issued at 23:50 on the 30th; A5 at 00:10 on 1 December (22:10 UTC, still the 30th in UTC):
  both wait, on their own local days.
- Calls on line "Лінія 1": C1 in 10:00:00, answered after 20 s, 300 s talk; C2 in 10:10 not
  answered (missed); C3 in 10:20, the caller hung up (abandoned); C4 out 10:30 to C2's number,
  answered, 120 s (a callback); C5 in 00:05 on 1 December, answered after 10 s, 60 s talk.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Device, Project
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import OperatorSpan, QueueVisit
from hub.protocol.devices import PhoneCall
from hub.services.access.rights import AccessProfile
from hub.services.phone import calls
from hub.services.queue import operators as queue_operators
from hub.services.queue import tickets as queue_tickets
from hub.services.settings.parameters import update_user_parameters
from hub.services.stats import facts
from hub.services.stats.common import By, Period, nearest_rank, rank
from hub.services.stats.desk import desk_figures
from hub.services.stats.operators import operator_time
from hub.services.stats.phone import phone_figures
from hub.services.stats.queue import Scope, booking_figures, queue_figures
from tests.test_queue import KYIV, T0, at, issue, make_operator, make_service, press_free

pytestmark = pytest.mark.timeout(120)
DAY = Period(date(2026, 11, 30), date(2026, 11, 30))
TWO_DAYS = Period(date(2026, 11, 30), date(2026, 12, 1))
NOW = T0 + timedelta(days=2)


class Day:
    """The ids of the hand-worked day."""

    a: int
    b: int
    olena: AccessProfile
    petro: AccessProfile


def _act(hub: Hub, minutes: float, action: str, profile: AccessProfile, **args: object) -> None:
    with transaction(hub.sessions) as session:
        getattr(queue_operators, action)(session, at(minutes), profile=profile, **args)


def _call(
    hub: Hub, call_id: str, direction: str, remote: str, *steps: tuple, agent_id: str = "phone-1"
) -> None:
    """One call reported by the agent ``agent_id`` as it happened: (state, moment, extra)."""
    for state, moment, extra in steps:
        with transaction(hub.sessions) as session:
            agent = session.get(Device, agent_id)
            assert agent is not None
            report = PhoneCall(
                call_id=call_id, line="1", direction=direction, remote=remote, state=state,
                at=moment, **extra,
            )  # fmt: skip
            now = moment.astimezone(KYIV)
            calls.record_call(
                session, agent=agent, report=report, today=now.date(), now=now, tz=KYIV
            )


def _worked_day(hub: Hub) -> Day:
    day = Day()
    with transaction(hub.sessions) as session:
        day.a, day.b = make_service(session, "A паспорти"), make_service(session, "B довідки")
        session.execute(update(Project).where(Project.id == day.a).values(target_wait_s=480))
        day.olena = make_operator(session, "olena", [day.a])
        day.petro = make_operator(session, "petro", [day.b])
        update_user_parameters(session, day.olena.user_id, {"use_user_statuses": True})
        session.add(
            Device(id="phone-1", role="phone", site="main", name="Лінія 1", mqtt_password_hash="x")
        )
        b1 = queue_tickets.create_booking(
            session, at(-60), service_id=day.b, booked_at=T0 + timedelta(minutes=30)
        )
        b2 = queue_tickets.create_booking(
            session, at(-60), service_id=day.a, booked_at=T0 + timedelta(minutes=60)
        )
    press_free(hub, day.olena, -10, window="1")
    a1 = issue(hub, day.a, 0).ticket.id
    a2 = issue(hub, day.a, 2).ticket.id
    _act(hub, 3, "start_serving", day.olena, ticket_id=a1)
    a3 = issue(hub, day.a, 5).ticket.id
    _act(hub, 10, "done", day.olena, ticket_id=a1)
    press_free(hub, day.olena, 10, window="1")
    _act(hub, 12, "recall", day.olena, ticket_id=a2)
    _act(hub, 14, "transfer", day.olena, ticket_id=a2, target_service_id=day.b)
    press_free(hub, day.olena, 15, window="1")
    _act(hub, 18, "no_show", day.olena, ticket_id=a3)
    _act(hub, 18, "set_status", day.olena, status="break")
    press_free(hub, day.petro, 20, window="2")
    _act(hub, 25, "done", day.petro, ticket_id=a2)
    press_free(hub, day.petro, 25, window="2")
    _act(hub, 30, "set_status", day.olena, status="offline")
    with transaction(hub.sessions) as session:
        assert b1.booking_code is not None
        queue_tickets.check_in(session, at(45), code=b1.booking_code)
    _act(hub, 55, "done", day.petro, ticket_id=b1.id)
    _act(hub, 60, "set_status", day.petro, status="offline")
    with transaction(hub.sessions) as session:
        expired = queue_operators.expire_overdue(session, at(90).now, tz=KYIV)
        assert expired.expired == [b2.id]
    issue(hub, day.a, 14 * 60 + 50)
    issue(hub, day.a, 15 * 60 + 10)
    ten = datetime(2026, 11, 30, 10, 0, tzinfo=KYIV)
    _call(hub, "c1", "in", "+380501110001", ("ringing", ten, {}),
          ("answered", ten + timedelta(seconds=20), {}),
          ("ended", ten + timedelta(seconds=320), {"duration_s": 300}))  # fmt: skip
    _call(hub, "c2", "in", "+380501110002", ("ringing", ten + timedelta(minutes=10), {}),
          ("missed", ten + timedelta(minutes=10, seconds=30), {"reason": "no_answer"}))  # fmt: skip
    _call(hub, "c3", "in", "+380501110003", ("ringing", ten + timedelta(minutes=20), {}),
          ("missed", ten + timedelta(minutes=20, seconds=5), {"reason": "cancelled"}))  # fmt: skip
    _call(hub, "c4", "out", "+380501110002", ("ringing", ten + timedelta(minutes=30), {}),
          ("answered", ten + timedelta(minutes=30, seconds=10), {}),
          ("ended", ten + timedelta(minutes=32, seconds=10), {"duration_s": 120}))  # fmt: skip
    five = datetime(2026, 12, 1, 0, 5, tzinfo=KYIV)
    _call(hub, "c5", "in", "+380501110005", ("ringing", five, {}),
          ("answered", five + timedelta(seconds=10), {}),
          ("ended", five + timedelta(seconds=70), {"duration_s": 60}))  # fmt: skip
    return day


@pytest.fixture
def worked(hub: Hub) -> Day:
    return _worked_day(hub)


def test_nearest_rank_percentiles() -> None:
    assert [rank(50, n) for n in (1, 2, 3, 4, 5, 10, 11)] == [1, 1, 2, 2, 3, 5, 6]
    assert [rank(90, n) for n in (1, 2, 3, 9, 10, 11)] == [1, 2, 3, 9, 9, 10]
    assert nearest_rank([600, 0, 480], 50) == 480
    assert nearest_rank([0, 0, 360, 480, 600], 90) == 600
    assert nearest_rank([300, 600], 50) == 300  # the lower middle of an even count
    assert nearest_rank([], 50) is None


def test_hours_are_split_in_local_time_across_a_clock_change() -> None:
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 03:30 summer time; 03:00 comes twice
    pieces = facts.split_by_hour(start, start + timedelta(hours=2), KYIV)
    assert pieces == [
        (date(2026, 10, 25), 3, 1800.0),
        (date(2026, 10, 25), 3, 3600.0),
        (date(2026, 10, 25), 4, 1800.0),
    ]


def _by(rows: list, field: str = "key") -> dict:
    return {getattr(row, field): row for row in rows}


def test_hall_figures_by_service(hub: Hub, worked: Day) -> None:
    with hub.read_sessions() as session:
        rows = _by(queue_figures(session, DAY, By.SERVICE))
    a, b = rows[str(worked.a)], rows[str(worked.b)]
    assert (a.name, b.name) == ("A паспорти", "B довідки")
    assert (a.visitors, a.served, a.no_shows, a.transfers, a.recalls, a.waiting_now) == (
        4, 1, 1, 1, 1, 1,
    )  # fmt: skip
    assert (a.wait.count, a.wait.mean_s, a.wait.median_s, a.wait.p90_s) == (3, 360.0, 480, 600)
    assert (a.service.count, a.service.mean_s, a.service.median_s) == (1, 420.0, 420)
    assert (a.within_target, a.service_level) == (2, 0.6667)  # 480 s is within; 600 s is not
    assert (b.visitors, b.served, b.no_shows, b.transfers, b.recalls) == (2, 2, 0, 0, 0)
    assert (b.wait.count, b.wait.mean_s, b.wait.median_s, b.wait.p90_s) == (2, 180.0, 0, 360)
    assert (b.service.mean_s, b.service.median_s, b.service.p90_s) == (450.0, 300, 600)
    assert b.service_level == 1.0


def test_hall_figures_for_the_whole_desk_count_a_transferred_visitor_once(
    hub: Hub, worked: Day
) -> None:
    with hub.read_sessions() as session:
        (total,) = queue_figures(session, DAY, By.PERIOD)
    assert (total.key, total.name) == ("all", "2026-11-30")
    assert (total.visitors, total.served, total.no_shows, total.transfers) == (5, 3, 1, 1)
    assert (total.wait.count, total.wait.mean_s, total.wait.median_s, total.wait.p90_s) == (
        5, 288.0, 360, 600,
    )  # fmt: skip
    assert (total.service.count, total.service.mean_s, total.service.median_s) == (3, 440.0, 420)
    assert total.service.p90_s == 600
    assert (total.within_target, total.service_level) == (4, 0.8)


def test_hall_figures_by_operator_window_hour_and_day(hub: Hub, worked: Day) -> None:
    with hub.read_sessions() as session:
        operators = _by(queue_figures(session, DAY, By.OPERATOR), "name")
        windows = _by(queue_figures(session, DAY, By.WINDOW))
        hours = _by(queue_figures(session, DAY, By.HOUR))
        days = _by(queue_figures(session, TWO_DAYS, By.DAY))
    olena, petro = operators["olena"], operators["petro"]
    assert (olena.visitors, olena.served, olena.no_shows, olena.transfers, olena.recalls) == (
        3, 1, 1, 1, 1,
    )  # fmt: skip
    assert (petro.visitors, petro.served, petro.service.mean_s) == (2, 2, 450.0)
    assert sorted(windows) == ["1", "2"] and windows["1"].visitors == 3
    assert {key: row.visitors for key, row in hours.items()} == {"9": 4, "23": 1}
    assert hours["9"].name == "09:00"
    assert {key: (row.visitors, row.waiting_now) for key, row in days.items()} == {
        "2026-11-30": (5, 1),
        "2026-12-01": (1, 1),  # A5 at 00:10 local is the 1st, though the 30th in UTC
    }


def test_bookings_kept_late_and_missed(hub: Hub, worked: Day) -> None:
    with hub.read_sessions() as session:
        rows = _by(booking_figures(session, DAY, By.SERVICE))
        (total,) = booking_figures(session, DAY, By.PERIOD)
    a, b = rows[str(worked.a)], rows[str(worked.b)]
    assert (a.booked, a.kept, a.kept_late, a.missed) == (1, 0, 0, 1)
    assert (b.booked, b.kept, b.kept_late, b.missed) == (1, 1, 1, 0)
    assert (total.booked, total.kept, total.missed, total.cancelled, total.pending) == (
        2, 1, 1, 0, 0,
    )  # fmt: skip


def test_bookings_by_hour_operator_and_window(hub: Hub, worked: Day) -> None:
    """B1 (booked 09:30, checked in late at 09:45, called by Petro at window 2) and B2 (booked
    10:00, missed: nobody called it) by the local hour of their booked time, and by who called
    them and where; narrowed to Olena, no booking is hers."""
    with hub.read_sessions() as session:
        hours = _by(booking_figures(session, DAY, By.HOUR, tz=KYIV))
        people = booking_figures(session, DAY, By.OPERATOR, tz=KYIV)
        windows = booking_figures(session, DAY, By.WINDOW, tz=KYIV)
        hers = booking_figures(
            session, DAY, By.PERIOD, Scope(operators=[worked.olena.user_id]), tz=KYIV
        )
    assert sorted(hours) == ["10", "9"]  # 07:30 and 08:00 in UTC
    nine, ten = hours["9"], hours["10"]
    assert (nine.name, nine.booked, nine.kept, nine.kept_late, nine.missed) == (
        "09:00", 1, 1, 1, 0,
    )  # fmt: skip
    assert (ten.name, ten.booked, ten.kept, ten.missed) == ("10:00", 1, 0, 1)
    assert [(row.key, row.name, row.booked, row.kept_late) for row in people] == [
        (str(worked.petro.user_id), "petro", 1, 1)
    ]
    assert [(row.key, row.booked, row.kept) for row in windows] == [("2", 1, 1)]
    assert hers == []


def test_operators_time_free_busy_and_on_break(hub: Hub, worked: Day) -> None:
    with hub.read_sessions() as session:
        people = _by(operator_time(session, DAY, By.OPERATOR, now=NOW, tz=KYIV), "name")
        hours = _by(operator_time(session, DAY, By.HOUR, now=NOW, tz=KYIV))
        (total,) = operator_time(session, DAY, By.PERIOD, now=NOW, tz=KYIV)
    assert people["olena"].seconds == {"break": 720, "busy": 1080, "free": 600}
    assert people["petro"].seconds == {"busy": 1200, "free": 1200}
    assert hours["8"].seconds == {"free": 600}  # Olena's 08:50-09:00
    assert hours["9"].seconds == {"break": 720, "busy": 2280, "free": 1200}
    assert total.total_s == 600 + 1080 + 720 + 2400


def test_an_unfinished_status_counts_up_to_now(hub: Hub, worked: Day) -> None:
    press_free(hub, worked.petro, 26 * 60, window="2")  # 11:00 on 1 December, still free
    with hub.read_sessions() as session:
        (row,) = operator_time(
            session, Period(date(2026, 12, 1), date(2026, 12, 1)), By.OPERATOR,
            now=T0 + timedelta(hours=26, minutes=30), tz=KYIV,
        )  # fmt: skip
    assert (row.name, row.seconds) == ("petro", {"free": 1800})


def test_phone_figures(hub: Hub, worked: Day) -> None:
    with hub.read_sessions() as session:
        (line,) = phone_figures(session, DAY, By.LINE)
        days = _by(phone_figures(session, TWO_DAYS, By.DAY))
    assert (line.key, line.name) == ("phone-1", "Лінія 1")
    assert (line.offered, line.answered, line.missed, line.abandoned, line.forwarded) == (
        3, 1, 1, 1, 0,
    )  # fmt: skip
    assert (line.answer_mean_s, line.talk_total_s, line.talk_mean_s) == (20.0, 420, 210.0)
    assert (line.outgoing, line.callbacks, line.answered_share) == (1, 1, 0.3333)
    assert (days["2026-12-01"].offered, days["2026-12-01"].answer_mean_s) == (1, 10.0)


def test_the_desk_puts_the_hall_and_the_phones_side_by_side(hub: Hub, worked: Day) -> None:
    with hub.read_sessions() as session:
        rows = _by(desk_figures(session, TWO_DAYS, By.DAY))
    first, second = rows["2026-11-30"], rows["2026-12-01"]
    assert first.hall is not None and first.phone is not None
    assert (first.contacts, first.handled) == (5 + 3, 3 + 1)
    assert (second.contacts, second.handled) == (1 + 1, 0 + 1)


def test_visits_agree_with_the_tickets_they_follow(hub: Hub, worked: Day) -> None:
    """Recomputed from the ticket rows: a ticket's last visit holds its current stay."""
    with hub.read_sessions() as session:
        arrived = select(QueueTicket).where(QueueTicket.arrived_at.is_not(None))
        for ticket in session.scalars(arrived):
            visits = _visits(session, ticket.id)
            last = visits[-1]
            assert len(visits) == ticket.transfers + 1
            assert (last.service_id, last.operator_id, last.called_at, last.recalls) == (
                ticket.project_id, ticket.operator_id, ticket.called_at, ticket.recalls,
            )  # fmt: skip
            expected = {"done": "done", "no_show": "no_show", "waiting": "open"}[ticket.state]
            assert last.outcome == expected
            if ticket.state == "done":
                begun = ticket.started_at or ticket.called_at
                assert ticket.finished_at is not None and begun is not None
                assert last.service_s == round((ticket.finished_at - begun).total_seconds())
        spans = session.scalars(select(OperatorSpan)).all()
        assert all(span.seconds > 0 for span in spans)


def _visits(session: Session, ticket_id: int) -> list[QueueVisit]:
    return list(
        session.scalars(
            select(QueueVisit).where(QueueVisit.ticket_id == ticket_id).order_by(QueueVisit.id)
        )
    )
