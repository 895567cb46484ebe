"""Waits follow the queue (issue 20): the board carries each service's wait with its range, is
published again when an operator goes on a break and, as time passes, only when a wait as said
to visitors changed; through the real broker, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from hub.bootstrap import Hub
from hub.protocol import topics
from hub.protocol.messages import IssueTicket, KioskReply, PanelReply, SetStatus
from hub.protocol.waits import say_wait
from tests.coordinator_site import running_site
from tests.office_time import office_now
from tests.test_coordinator import (
    WAIT,
    Inbox,
    ask,
    login,
    make_service,
    rid,
    use_statuses,
)

DEVICES = [
    ("kiosk", "kiosk-1", {}),
    ("panel", "panel-1", {"window": 1}),
    ("panel", "panel-2", {"window": 2}),
    ("display", "display-1", {}),
]


def test_the_board_follows_the_waits(hub: Hub) -> None:
    with running_site(hub, DEVICES) as (site, _coordinators):
        site.now[0] = office_now(hub.settings.tz)  # six minutes on: never across midnight
        service = make_service(site, "Паспорти", ["olena", "petro"])
        use_statuses(site, "petro")
        kiosk, display = site.device("kiosk-1", "kiosk"), site.device("display-1", "display")
        olena, petro = site.device("panel-1", "panel"), site.device("panel-2", "panel")
        shown = Inbox()
        display.subscribe(topics.display_board("main"), shown, wait=WAIT)
        login(olena, "olena")
        login(petro, "petro")  # on Break after logging in, of no known length: not counted
        assert ask(olena, SetStatus(request_id=rid(), status="free"), PanelReply).ok
        for _n in range(4):  # the first goes to Olena at once, three wait
            reply = ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply)
            assert reply.ok, reply.error
        # Each ticket's own wait travels with its range to the kiosk.
        low, high = reply.ticket.estimated_wait_low_s, reply.ticket.estimated_wait_high_s
        assert low is not None and high is not None
        assert low < reply.ticket.estimated_wait_s < high
        three = shown.next(lambda t, m: m.waiting == {service: 3} and service in m.waits)
        alone = three.waits[service]
        assert alone.low_s is not None and alone.high_s is not None
        assert alone.low_s < alone.s < alone.high_s

        # Petro is back (busy, not yet pressing Free): he is counted, the board says so at once.
        assert ask(petro, SetStatus(request_id=rid(), status="busy"), PanelReply).ok
        two = shown.next(lambda t, m: service in m.waits and m.waits[service].s < alone.s)
        assert two.waiting == {service: 3}

        # Nothing changes: a look at the waits publishes nothing (no flooding) ...
        coordinator = site.coordinator
        coordinator.refresh_waits()
        assert coordinator.refresh_waits() is False
        # ... time passing does: Olena's visit runs on, the waits shrink.
        site.now[0] += timedelta(minutes=6)
        coordinator.refresh_waits()  # (or the coordinator's own look, whichever comes first)
        later = shown.next(
            lambda t, m: service in m.waits and m.waits[service].s < two.waits[service].s
        )
        said = say_wait(later.waits[service].s, "en", later.waits[service].low_s)
        assert said != say_wait(two.waits[service].s, "en", two.waits[service].low_s)
        assert coordinator.refresh_waits() is False
