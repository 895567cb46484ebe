"""The wait estimate (issue 20, QQ-1) on small cases worked out by hand, SQLite and PostgreSQL.

Every case has no history (a visit is expected to last the default 10 minutes) unless it says
otherwise, and is estimated from a context given to it (no clock is read). Times are minutes
after 09:00 Kyiv time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import update

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Project
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import OperatorSpan
from hub.services.queue import estimate as model
from hub.services.queue import operators as queue_operators
from hub.services.queue import tickets as queue_tickets
from hub.services.queue import waits
from hub.services.queue.core import TicketInfo, list_services
from hub.services.queue.estimate import Desk, ServiceTimes, Ticket
from hub.services.settings.parameters import update_global, update_user_parameters
from tests.test_queue import T0, at, issue, make_operator, make_service, press_free


def wait_of(hub: Hub, ticket_id: int, minutes: float) -> model.Estimate:
    """The estimate of a waiting ticket at ``minutes``."""
    with transaction(hub.sessions) as session:
        ticket = session.get(QueueTicket, ticket_id)
        assert ticket is not None
        found = waits.for_ticket(session, at(minutes), ticket)
    assert found is not None
    assert found.low_s <= found.seconds <= found.high_s
    return found


def fair(hub: Hub, service: int) -> None:
    with transaction(hub.sessions) as session:
        session.execute(update(Project).where(Project.id == service).values(calling_mode="fair"))


def test_two_services_sharing_an_operator(hub: Hub) -> None:
    """Olena serves A and B, Petro only B. Both took a visitor at 0 and 0.2 (done at 10 and
    10.2); then A2 (1.0), B2 (1.1), B3 (1.2), A3 (1.3) wait. Free by Free: Olena takes A2 at
    10, Petro B2 at 10.2, Olena B3 at 20 (nearer than A3), Olena A3 at 30."""
    with transaction(hub.sessions) as session:
        a, b = make_service(session, "Паспорти"), make_service(session, "Каса")
        olena = make_operator(session, "olena", [a, b])
        petro = make_operator(session, "petro", [b])
    issue(hub, a, 0)
    issue(hub, b, 0.1)
    assert press_free(hub, olena, 0, window="1").assignment is not None
    assert press_free(hub, petro, 0.2, window="2").assignment is not None
    a2, b2, b3, a3 = (issue(hub, s, m).ticket for s, m in ((a, 1), (b, 1.1), (b, 1.2), (a, 1.3)))
    assert [wait_of(hub, t.id, 2).seconds for t in (a2, b2, b3, a3)] == [480, 492, 1080, 1680]
    # The old estimate (A's mean x places / A's operators) promised A3 15 minutes. Three
    # visits start before A3's (the two in progress are not counted).
    assert wait_of(hub, a3.id, 2).ahead == 3


def test_a_booking_due_in_ten_minutes(hub: Hub) -> None:
    """Olena took a visitor at 0 (done at 10); W1 came at 1, W2 at 3; a booking is due at 10.

    Q-5 (nearest): the booking's time is after W2's arrival, so W2 goes second: 20 - 3 = 17
    minutes. Fair: the booking is due from 0 and counts 60 minutes of waiting, so it goes first
    at 10; as one booking in ten is not kept (no history: ``KEPT_PRIOR``), it costs Olena 0.9 of
    a visit: W1 at 19, W2 at 29: 26 minutes."""
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
    issue(hub, service, 0)
    assert press_free(hub, olena, 0).assignment is not None
    issue(hub, service, 1)
    with transaction(hub.sessions) as session:
        queue_tickets.create_booking(
            session, at(2), service_id=service, booked_at=T0 + timedelta(minutes=10)
        )
    w2 = issue(hub, service, 3).ticket
    assert wait_of(hub, w2.id, 3).seconds == 17 * 60
    fair(hub, service)
    assert wait_of(hub, w2.id, 3).seconds == 26 * 60


def test_an_operator_on_break(hub: Hub) -> None:
    """Olena took a visitor at 0 (done at 10); Petro went on a break at 0. W1..W3 came at 1.

    With no known length of his breaks he is expected back after 15 minutes (``UNKNOWN_BREAK``),
    so W1 goes at 10 (Olena), W2 at 15 (Petro), W3 at 20 (Olena): 19 minutes. At 20 nothing has
    moved: Olena's visit has run long (its rest: a fifth of a visit, 2 minutes) and his break,
    still on, is expected to last as long again, to 40: W1 at 22, W2 at 32 (Olena), W3 at 40
    (Petro): 20 minutes from 20. When his breaks last 45 minutes: back at 45, so W1 at
    10, W2 at 20, W3 at 30 (all Olena): 29 minutes."""
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
        petro = make_operator(session, "petro", [service])
    issue(hub, service, 0)
    assert press_free(hub, olena, 0).assignment is not None
    with transaction(hub.sessions) as session:
        update_user_parameters(session, petro.user_id, {"use_user_statuses": True})
    with transaction(hub.sessions) as session:
        queue_operators.set_status(session, at(0), profile=petro, status="break", window="2")
    w1, w2, w3 = (issue(hub, service, 1).ticket for _n in range(3))
    assert [wait_of(hub, t.id, 1).seconds for t in (w1, w2, w3)] == [540, 840, 1140]
    assert wait_of(hub, w3.id, 20).seconds == 20 * 60
    with transaction(hub.sessions) as session:
        for day_back in (1, 2):
            started = datetime(2026, 11, 30 - day_back, 11, 0, tzinfo=UTC)
            session.add(
                OperatorSpan(
                    user_id=petro.user_id,
                    status="break",
                    window="2",
                    day=started.date(),
                    hour=13,
                    started_at=started,
                    seconds=2700,
                )
            )
    assert [wait_of(hub, t.id, 1).seconds for t in (w1, w2, w3)] == [540, 1140, 1740]


def _break_span(user_id: int, started: datetime, seconds: int) -> OperatorSpan:
    local = started.astimezone(at(0).tz)
    return OperatorSpan(
        user_id=user_id,
        status="break",
        window="1",
        day=local.date(),
        hour=local.hour,
        started_at=started,
        seconds=seconds,
    )


def test_an_operator_s_usual_break_to_come(hub: Hub) -> None:
    """Olena alone took a visitor at 0 (done at 10); W1 comes at 1. On the two days before she
    went on a 20-minute break at 09:05: she is expected to take it today when her visit ends
    (10), so W1 is called at 30: 29 minutes, not 9. Once she has had a break today, 9 again."""
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
    issue(hub, service, 0)
    assert press_free(hub, olena, 0).assignment is not None
    (w1,) = (issue(hub, service, 1).ticket,)
    assert wait_of(hub, w1.id, 1).seconds == 540
    with transaction(hub.sessions) as session:
        for day_back in (1, 2):
            session.add(_break_span(olena.user_id, T0 - timedelta(days=day_back, minutes=-5), 1200))
    assert wait_of(hub, w1.id, 1).seconds == 1740
    with transaction(hub.sessions) as session:
        session.add(_break_span(olena.user_id, T0 - timedelta(minutes=30), 300))
    assert wait_of(hub, w1.id, 1).seconds == 540


def test_a_usual_break_is_one_taken_on_most_working_days() -> None:
    kyiv, today = at(0).tz, T0.date()
    days = [T0 - timedelta(days=n) for n in (1, 2, 3)]
    # Breaks at 11:00, 11:10, 11:30 for 10, 15 and 20 minutes: the medians.
    away = [
        (d.date(), d.replace(hour=11, minute=m), float(s))
        for d, m, s in zip(days, (0, 10, 30), (600, 900, 1200), strict=True)
    ]
    usual = model.usual_break_today(away, 3, now=T0, today=today, tz=kyiv)
    assert usual == model.PlannedBreak(T0.replace(hour=11, minute=10), 900.0)
    # On fewer than half of the days worked, or on one day only: not a habit.
    assert model.usual_break_today(away, 7, now=T0, today=today, tz=kyiv) is None
    assert model.usual_break_today(away[:1], 1, now=T0, today=today, tz=kyiv) is None
    # Long past its usual end (11:25 + 30 minutes): not today any more.
    late = T0.replace(hour=12)
    assert model.usual_break_today(away, 3, now=late, today=today, tz=kyiv) is None
    # In the replay: the desk free at 11:10 or later goes on its break first.
    desk = Desk(7, frozenset({1}), T0, pause=usual)
    line = [Ticket(n, 1, 1, T0, "walk_in") for n in (1, 2, 3, 4)]
    times = {1: ServiceTimes(1800.0)}
    found = model.estimate_all(model.Office(line, [desk], times), now=T0, tz=kyiv)
    # 09:00, 09:30, 10:00, 10:30; had it been due at 10:00: 09:00, 09:30, then 10:15 and 10:45.
    assert [found[n].seconds // 60 for n in (1, 2, 3, 4)] == [0, 30, 60, 90]
    early = Desk(7, frozenset({1}), T0, pause=model.PlannedBreak(T0 + timedelta(hours=1), 900))
    found = model.estimate_all(model.Office(line, [early], times), now=T0, tz=kyiv)
    assert [found[n].seconds // 60 for n in (1, 2, 3, 4)] == [0, 30, 75, 105]


def test_a_free_operator_means_no_wait_and_nobody_at_work_half_a_visit(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        served, empty = make_service(session, "Паспорти"), make_service(session, "Довідки")
        olena = make_operator(session, "olena", [served])
    press_free(hub, olena, 0)
    with transaction(hub.sessions) as session:
        shown = {s.id: s for s in list_services(session, at(1))}
    assert (shown[served].estimated_wait_s, shown[served].estimated_wait_high_s) == (0, 0)
    # Nobody serves "Довідки": as if someone came in half a visit, the range says how unsure.
    assert shown[empty].estimated_wait_s == 300
    assert shown[empty].estimated_wait_high_s is not None
    assert shown[empty].estimated_wait_high_s >= 300 + 600


def test_service_times_by_hour_visits_in_progress_and_the_range() -> None:
    times = ServiceTimes(
        default_s=600.0, samples=tuple([(9, 300.0)] * 5 + [(10, 900.0)] * 5 + [(11, 600.0)] * 2)
    )
    assert (times.mean(9), times.mean(10)) == (300.0, 900.0)
    assert times.mean(11) == pytest.approx((5 * 300 + 5 * 900 + 2 * 600) / 12)  # too few at 11
    assert ServiceTimes(default_s=480.0).mean(9) == 480.0
    # A visit that has run 400 s: the visits longer than that had 200 and 500 s left.
    assert ServiceTimes(600.0, ((9, 300.0), (9, 600.0), (9, 900.0))).remaining(400) == 350.0
    # cv 0.5 over 4 visits: 1.28 * sqrt(1200² * (0.25 / 4 + 0.3²) + 180²) = 642.6 s either side.
    found = model.with_range(1200, 4, 0.5)
    assert (found.low_s, found.seconds, found.high_s) == (557, 1200, 1843)
    # No wait is no wait: no range around it.
    assert model.with_range(0, 0, 0.5).high_s == 0


def test_the_replay_follows_the_hour_of_day() -> None:
    """One desk free at 09:50 local; visits at 9 take 5 minutes, at 10 fifteen."""
    kyiv = at(0).tz
    start = T0 + timedelta(minutes=50)
    times = {1: ServiceTimes(600.0, tuple([(9, 300.0)] * 5 + [(10, 900.0)] * 5))}
    line = [Ticket(n, 1, 1, start, "walk_in") for n in range(1, 5)]
    desk = Desk(7, frozenset({1}), start)
    found = model.estimate_all(model.Office(line, [desk], times), now=start, tz=kyiv)
    # 09:50 (5 min), 09:55 (5 min), 10:00 (15 min), 10:15.
    assert [found[n].seconds // 60 for n in range(1, 5)] == [0, 5, 10, 25]


def test_a_ticket_transferred_to_one_operator_waits_for_that_operator() -> None:
    """Desk 7 is free now, desk 8 comes back at 20 minutes: the ticket transferred to 8 in
    person waits for 8; with 8 not at work, it is estimated as if someone came (unstaffed)."""
    kyiv, now = at(0).tz, T0
    times = {1: ServiceTimes(600.0)}
    mine = Ticket(1, 1, 1, now, "walk_in", target_operator_id=8)
    seven, eight = (
        Desk(7, frozenset({1}), now),
        Desk(8, frozenset({1}), now + timedelta(minutes=20)),
    )
    both = model.Office([], [seven, eight], times)
    assert model.estimate(mine, both, now=now, tz=kyiv).seconds == 1200
    alone = model.estimate(mine, model.Office([], [seven], times), now=now, tz=kyiv)
    assert (alone.seconds, alone.staffed) == (300, False)


def _one_desk_line(hub: Hub, count: int, first: float) -> tuple[int, list[TicketInfo]]:
    """One service, Olena with a visitor since 0 (done at 10), and ``count`` waiting from
    ``first`` (minutes), a tenth of a minute apart."""
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
    issue(hub, service, 0)
    assert press_free(hub, olena, 0).assignment is not None
    return service, [issue(hub, service, first + n / 10).ticket for n in range(count)]


def test_a_line_longer_than_the_replay_is_extrapolated(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the replay cut at 3 tickets, the 6th in line gets the 3rd's wait plus a visit per
    place beyond: one operator, visits of 10 minutes, the first at 0 done at 10."""
    service, line = _one_desk_line(hub, 6, 1)
    full = [wait_of(hub, t.id, 2).seconds for t in line]
    assert full == [480 + 600 * n for n in range(6)]
    monkeypatch.setattr(waits, "MAX_LINE", 3)
    assert [wait_of(hub, t.id, 2).seconds for t in line] == full
    with transaction(hub.sessions) as session:
        new = waits.for_new_visitor(session, at(2), service)
    assert new.seconds == 480 + 600 * 6


def test_visitors_sent_on_keep_their_time_and_pass_the_line() -> None:
    """One desk serves A and B, visits of 10 minutes; A1 came at 9:00, B1 at 9:05, the desk is
    free at 9:10. Half of A's visitors are sent on to B: A1's visit ends at 9:20, and then half
    a B visit (A1, keeping 9:00, goes before B1) comes first, so B1 is called at 9:25, not 9:20.
    The visitor expected to be sent on is no visit of their own: one visit starts before B1."""
    kyiv, now = at(0).tz, T0 + timedelta(minutes=10)
    times = {1: ServiceTimes(600.0), 2: ServiceTimes(600.0)}
    a1 = Ticket(1, 1, 1, T0, "walk_in")
    b1 = Ticket(2, 2, 1, T0 + timedelta(minutes=5), "walk_in")
    desk = Desk(7, frozenset({1, 2}), now)
    plain = model.Office([a1, b1], [desk], times)
    assert model.estimate_all(plain, now=now, tz=kyiv)[2].seconds == 600
    onward = model.Office([a1, b1], [desk], times, onward={1: {2: 0.5}})
    found = model.estimate_all(onward, now=now, tz=kyiv)
    assert (found[1].seconds, found[2].seconds, found[2].ahead) == (0, 900, 1)
    # A desk that serves only A does not wait for them; one serving only B does.
    only_b = Desk(8, frozenset({2}), now + timedelta(minutes=20))
    split = model.Office([a1, b1], [Desk(7, frozenset({1}), now), only_b], times, {}, {1: {2: 0.5}})
    assert model.estimate_all(split, now=now, tz=kyiv)[2].seconds == 1500


def test_the_share_sent_on_is_read_from_recent_visits(hub: Hub) -> None:
    """Olena serves A, Petro B: of A's 13 desk visits (12 visitors, one of them sent back from
    B), 3 were sent on to B, only a ticket's next visit counting; B, with 3 visits, has too
    few for its share to count."""
    with transaction(hub.sessions) as session:
        a, b = make_service(session, "Консультації"), make_service(session, "Звітність")
        olena = make_operator(session, "olena", [a])
        petro = make_operator(session, "petro", [b])
    minute = 0.0
    for n in range(12):
        mine = issue(hub, a, minute).ticket
        assert press_free(hub, olena, minute + 0.5).assignment is not None
        with transaction(hub.sessions) as session:
            if n % 4 == 0:
                queue_operators.transfer(
                    session, at(minute + 5), profile=olena, ticket_id=mine.id, target_service_id=b
                )
            else:
                queue_operators.done(session, at(minute + 5), profile=olena, ticket_id=mine.id)
        if n % 4 == 0:
            assert press_free(hub, petro, minute + 6).assignment is not None
            with transaction(hub.sessions) as session:
                if n == 0:
                    queue_operators.transfer(
                        session,
                        at(minute + 8),
                        profile=petro,
                        ticket_id=mine.id,
                        target_service_id=a,
                    )
                else:
                    queue_operators.done(session, at(minute + 8), profile=petro, ticket_id=mine.id)
            if n == 0:
                assert press_free(hub, olena, minute + 9).assignment is not None
                with transaction(hub.sessions) as session:
                    queue_operators.done(session, at(minute + 10), profile=olena, ticket_id=mine.id)
        minute += 11
    with transaction(hub.sessions) as session:
        shares = waits.onward_shares(session, at(minute), [a, b])
        assert shares == {a: {b: pytest.approx(3 / 13)}}
        # A's 13 desk visits: 12 first visits and the one sent back from B.
        assert waits.onward_shares(session, at(minute), [a]) == {}  # B is not in the replay
        found = waits.inputs(session, at(minute), [a, b])
        assert found.onward == shares


def test_an_operator_s_usual_start_is_expected() -> None:
    """Halyna came at 09:30 on four of the last five office days (09:20-09:40), at 12:00 once;
    at 09:10 she is expected at 09:30 (her median), at 09:25 in a minute, and not at all at
    10:01 or once she came today; nor is someone who came on too few of the office's days, or
    at no usual time."""
    kyiv = at(0).tz
    today = T0.date()

    def came(*moments: tuple[int, int, int]) -> dict[date, datetime]:
        return {
            today - timedelta(days=back): datetime.combine(
                today - timedelta(days=back), time(h, m), kyiv
            )
            for back, h, m in moments
        }

    halyna = came((1, 9, 30), (2, 9, 20), (3, 9, 40), (4, 9, 30), (5, 12, 0))

    def expected(first_in: dict[date, datetime], minutes: float, days: int = 5) -> datetime | None:
        usual = model.usual_start(first_in, days, today=today, tz=kyiv)
        return model.coming_at(usual, at(minutes).now)

    assert expected(halyna, 10) == at(30).now
    assert expected(halyna, 29.5) == at(30.5).now
    assert expected(halyna, 61) is None
    assert expected(halyna | came((0, 9, 35)), 10) is None
    assert expected(halyna, 10, days=11) is None  # on 5 of 11 office days
    shifts = came((1, 9, 0), (2, 13, 0), (3, 9, 0), (4, 13, 0))
    assert expected(shifts, 0, days=4) is None


def test_before_opening_the_line_waits_for_the_operators_to_come() -> None:
    """At 08:45 nobody is at work: Olena usually comes at 09:00 and Halyna at 09:30, visits
    take 10 minutes. The first two in line are called at 09:00 and 09:10 by Olena, the third
    at 09:20 by Olena, the fourth at 09:30 by Halyna."""
    kyiv, now = at(0).tz, T0 - timedelta(minutes=15)
    times = {1: ServiceTimes(600.0)}
    line = [Ticket(n, 1, 1, now - timedelta(minutes=5 - n), "walk_in") for n in range(1, 5)]
    desks = [
        Desk(7, frozenset({1}), T0),
        Desk(8, frozenset({1}), T0 + timedelta(minutes=30)),
    ]
    found = model.estimate_all(model.Office(line, desks, times), now=now, tz=kyiv)
    assert [found[n].seconds // 60 for n in range(1, 5)] == [15, 25, 35, 45]
    assert all(found[n].staffed for n in range(1, 5))


def _span(user_id: int, status: str, started: datetime, seconds: int) -> OperatorSpan:
    span = _break_span(user_id, started, seconds)
    span.status = status
    return span


def test_operators_expected_at_their_usual_time(hub: Hub) -> None:
    """Three tickets wait at 08:45 with nobody at work. Olena came at 09:00 and Halyna at 09:05
    on each of the three days before: the first is called at 09:00 (15 minutes), the second by
    Halyna at 09:05, the third by Olena at 09:10 (visits of 10 minutes, the default). Without
    that history, nobody is expected (as if someone came in half a visit). Halyna not come by
    09:36 is not expected any more; once she came today and left, neither."""
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
        halyna = make_operator(session, "halyna", [service])
    line = [issue(hub, service, -20 + n).ticket for n in range(3)]
    assert [wait_of(hub, t.id, -15).staffed for t in line] == [False] * 3
    with transaction(hub.sessions) as session:
        for back in (1, 2, 3):
            day = T0 - timedelta(days=back)
            session.add(_span(olena.user_id, "free", day, 3600))
            session.add(_span(halyna.user_id, "free", day + timedelta(minutes=5), 3600))
    assert [wait_of(hub, t.id, -15).seconds // 60 for t in line] == [15, 20, 25]
    assert all(wait_of(hub, t.id, -15).staffed for t in line)
    # Olena is at work at 09:00 with the first visitor; Halyna, expected at 09:05, is late.
    assert press_free(hub, olena, 0).assignment is not None
    assert [wait_of(hub, t.id, 1).seconds // 60 for t in line[1:]] == [4, 9]
    # At 09:36 Olena's visit, run long, has 2 minutes left (a fifth of a visit).
    assert [wait_of(hub, t.id, 36).seconds // 60 for t in line[1:]] == [2, 12]
    with transaction(hub.sessions) as session:
        session.add(_span(halyna.user_id, "free", T0 + timedelta(minutes=2), 60))
    assert [wait_of(hub, t.id, 3).seconds // 60 for t in line[1:]] == [7, 17]


def test_a_cautious_estimate_says_the_wait_most_visitors_are_called_within() -> None:
    """The replay's wait of 20 minutes after 4 visits (cv 0.5) has a spread of 502 s; the wait
    80 % are called within is 0.84 of it more, 27 minutes; at 90 % the range's high end. The
    range is the same, and no wait stays no wait."""
    likely = model.with_range(1200, 4, 0.5)
    cautious = model.with_range(1200, 4, 0.5, percent=80)
    assert (cautious.low_s, cautious.seconds, cautious.high_s) == (557, 1623, 1843)
    assert (likely.seconds, likely.likely_s, cautious.likely_s) == (1200, None, 1200)
    assert model.with_range(1200, 4, 0.5, percent=90).seconds == 1843
    assert model.with_range(0, 0, 0.5, percent=80).seconds == 0


def test_the_office_s_wait_estimate_percent_reaches_every_estimate(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One operator busy until 10, visits of 10 minutes: the third in line is 29 minutes away
    at 1; said cautiously (80 %) it is more, within its range, and a place beyond the replay is
    counted from the likeliest wait, not from the cautious one."""
    service, line = _one_desk_line(hub, 3, 0.5)
    likely = wait_of(hub, line[2].id, 1)
    assert likely.seconds == 1740
    with transaction(hub.sessions) as session:
        update_global(session, {"queue": {"wait_estimate_percent": 80}})
    cautious = wait_of(hub, line[2].id, 1)
    assert likely.seconds < cautious.seconds < cautious.high_s
    assert (cautious.low_s, cautious.high_s, cautious.likely_s) == (
        likely.low_s,
        likely.high_s,
        likely.seconds,
    )
    with transaction(hub.sessions) as session:
        new = waits.for_new_visitor(session, at(1), service)
    assert new.likely_s == 2340 and new.seconds > 2340
    monkeypatch.setattr(waits, "MAX_LINE", 2)  # the third ticket is a place beyond the replay
    with transaction(hub.sessions) as session:
        assert waits.for_new_visitor(session, at(1), service) == new
