"""A line agent that went away and came back, and its device state, with real peers on 127.0.0.1
(the hub with its Mosquitto and the registry's ACL, Kamailio, a SIPp caller, the real line agent).

A caller waits; the line agent stops without telling the hub about them (as a crash does: the
caller's call is gone, no ``left`` is sent); a new line agent connects, says it holds no calls,
and the hub records the caller as abandoned instead of leaving a ghost in the line. The line's
device state carries the phone part an operator's phone agent has: registered, the number, the
callers held of those it may hold; a line that cannot register says so there too. An operator
whose phone answers and hangs up at once (before the line's next look at the call) has taken the
caller: the talk is over, the caller is hung up, never sent back to wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.models import Device, Event, EventType
from hub.protocol.devices import PhoneStatus
from hub.services.queue.core import CANCELLED, SERVING, WAITING
from operator_panel.phone.line import LineAgent
from operator_panel.phone.line_settings import parse_line_settings
from operator_panel.phone.voip import VoipPhone
from tests import sip_peers
from tests.coordinator_site import running_site, wait_for
from tests.sip_peers import Registrar
from tests.test_coordinator import Site, login, make_service
from tests.test_line_agent import (
    ANNA_PHONE,
    DEVICES,
    OFFICE,
    SECRETS,
    WAIT,
    _config,
    _sip,
    dial_in,
    free,
    line_agent,
    ticket_of,
)
from tests.test_phone_agent import register_contact

pytestmark = pytest.mark.timeout(240)


def line_status(hub: Hub) -> dict[str, Any] | None:
    """The line's phone part as the hub stored it from its device state (None: offline)."""
    with hub.sessions() as session:
        line = session.get(Device, "line-1")
        return None if line is None or not line.online else line.phone_status


@contextmanager
def office(hub: Hub, tmp_path: Path) -> Iterator[tuple[Registrar, Site, int, Path]]:
    """Kamailio, the running site, the service "Податки" (Anna's) and a 2 s caller's tone."""
    with (
        sip_peers.registrar(tmp_path / "kamailio", SECRETS) as registrar,
        running_site(hub, DEVICES) as (site, _coordinators),
    ):
        taxes = make_service(site, "Податки", ["anna"])
        yield registrar, site, taxes, sip_peers.tone_wav(tmp_path / "tone.wav", seconds=2)


def test_a_line_that_comes_back_abandons_the_caller_it_lost(hub: Hub, tmp_path: Path) -> None:
    number = "0501110021"
    with office(hub, tmp_path) as (registrar, site, taxes, wav):
        with line_agent(site, registrar, [taxes]) as line:
            wait_for(
                "the line's phone part says registered",
                lambda: (line_status(hub) or {}).get("registered") is True,
                WAIT,
            )
            caller = dial_in(registrar, tmp_path / "caller", number, wav, hang_up=False)
            waiting = wait_for("the caller waits", lambda: ticket_of(hub, number), WAIT)
            assert waiting.state == WAITING
            status = wait_for(
                "the line counts the caller",
                lambda: (s := line_status(hub)) and s.get("busy") == 1 and s,
                WAIT,
            )
            assert status["number"] == OFFICE and status["lines"] == line.settings.max_callers
        # Stopped: the line hung up on the caller (SIPp ends, the BYE came mid-scenario) and
        # told the hub nothing about it.
        caller.sipp.wait(WAIT)
        caller.sipp.stop()
        ghost = ticket_of(hub, number)
        assert ghost is not None and ghost.state == WAITING
        with line_agent(site, registrar, [taxes]):
            gone = wait_for(
                "the new line's list abandons the caller",
                lambda: (t := ticket_of(hub, number)) and t.state == CANCELLED and t,
                WAIT,
            )
            assert gone.call_outcome == "abandoned"
            assert gone.finished_at is not None and gone.arrived_at is not None
            with hub.sessions() as session:
                kind = session.scalar(
                    select(EventType.id).where(EventType.code == "missed_incoming_call")
                )
                [missed] = session.scalars(select(Event).where(Event.type_id == kind)).all()
                assert missed.phone == number
            wait_for(
                "the line holds nobody", lambda: (line_status(hub) or {}).get("busy") == 0, WAIT
            )


def test_a_line_that_cannot_register_shows_it_in_its_phone_part(hub: Hub, tmp_path: Path) -> None:
    with (
        sip_peers.registrar(tmp_path / "kamailio", SECRETS) as registrar,
        running_site(hub, DEVICES) as (site, _coordinators),
    ):
        taxes = make_service(site, "Податки", ["anna"])
        sip = {**_sip(registrar, OFFICE), "password": "wrong"}
        settings_in = {"sip": sip, "services": [taxes], "service_names": ["taxes"]}
        config = _config(site, "line-1", "line", settings_in)
        settings = parse_line_settings(config.settings)
        agent = LineAgent(config, settings, VoipPhone(settings.sip))
        assert agent.start(wait=WAIT)
        try:
            status = wait_for("the line is online", lambda: line_status(hub), WAIT)
            assert (status["registered"], status["number"], status["busy"]) == (False, OFFICE, 0)

            def faults() -> list[str]:
                with hub.sessions() as session:
                    line = session.get(Device, "line-1")
                    return [fault["code"] for fault in (line.faults or [])] if line else []

            assert wait_for("the line reports its fault", faults, WAIT)
            assert not agent.sip.registered
        finally:
            agent.stop()


def test_an_operator_who_answers_and_hangs_up_at_once_ends_the_callers_visit(
    hub: Hub, tmp_path: Path
) -> None:
    number = "0501110031"
    with office(hub, tmp_path) as (registrar, site, taxes, wav):
        # Anna's phone: SIPp registered as her number, answering and hanging up 1 ms later.
        port = sip_peers.free_port()
        register_contact(registrar, ANNA_PHONE, SECRETS[ANNA_PHONE], port)
        hasty = sip_peers.run_sipp(
            tmp_path / "anna", sip_peers.callee_scenario(talk_ms=1), proxy_port=None,
            listen_port=port,
        )  # fmt: skip
        phone = site.device("phone-a", "phone")
        phone.set_phone(PhoneStatus(registered=True, number=ANNA_PHONE, lines=1))
        with line_agent(site, registrar, [taxes]) as line:
            caller = dial_in(registrar, tmp_path / "caller", number, wav, hang_up=False)
            waiting = wait_for("the caller waits", lambda: ticket_of(hub, number), WAIT)
            panel = site.device("panel-a", "panel")
            login(panel, "anna")
            assert free(panel) == waiting.id
            assert hasty.wait(WAIT) == 0, hasty.output()
            served = wait_for(
                "the caller is taken",
                lambda: (t := ticket_of(hub, number)) and t.call_outcome is not None and t,
                WAIT,
            )
            assert (served.state, served.call_outcome) == (SERVING, "answered")
            # The line hung up on the caller (maybe while SIPp still paused: it then aborts
            # on the BYE it did not expect yet).
            code = caller.sipp.wait(WAIT)
            assert code == 0 or "unexpected BYE" in caller.sipp.output(), caller.sipp.output()
            wait_for("the line forgets the caller", lambda: not line.callers, WAIT)
        ticket = ticket_of(hub, number)
        assert ticket is not None and (ticket.state, ticket.call_outcome) == (SERVING, "answered")
