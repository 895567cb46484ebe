"""Call-centre lines end to end with real peers on 127.0.0.1: the hub (coordinator, its own
Mosquitto with the registry's ACL), Kamailio as the SIP server, SIPp callers (a WAV tone and RFC
2833 DTMF for the menu), the real line agent, the real phone agent of the operator who has one
(its headset a fake: this machine has no sound card), and the test acting as the panels and the
kiosk with their own credentials.

Three callers and two visitors wait in one service's line; Anna (with a phone) and Bohdan
(without one) press Free in turn and get them in order, Bohdan never a caller; the caller Anna
gets reaches her phone and audio goes both ways; a caller who hangs up while waiting is
abandoned and never assigned.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from firmware_config.device_config import DeviceConfig
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Device, Event, EventType, Project
from hub.db.models.calls import PhoneCallRecord
from hub.db.models.queue import QueueTicket
from hub.protocol import topics
from hub.protocol.client import DeviceClient
from hub.protocol.devices import PhoneCall, PhoneCmd
from hub.protocol.messages import (
    AssignedTicket,
    Finish,
    IssueTicket,
    KioskReply,
    PanelAssignment,
    PanelReply,
    SetStatus,
)
from hub.services.phone.numbers import digits
from operator_panel.phone.agent import PhoneAgent
from operator_panel.phone.line import LineAgent
from operator_panel.phone.line_settings import parse_line_settings
from operator_panel.phone.settings import parse_settings
from operator_panel.phone.voip import VoipPhone
from tests import sip_peers
from tests.coordinator_site import Inbox, running_site, wait_for
from tests.sip_peers import HOST, Registrar, Sipp, run_sipp
from tests.test_coordinator import Site, ask, login, make_service, rid
from tests.test_phone_agent import start_echo_callee
from tests.test_phone_sound import FakeHeadset

pytestmark = pytest.mark.timeout(240)

OFFICE, ANNA_PHONE = "100", "1001"
SECRETS = {OFFICE: "office-secret", ANNA_PHONE: "anna-secret"}
DEVICES = [
    ("line", "line-1", {}),
    ("phone", "phone-a", {}),
    ("panel", "panel-a", {"window": 1, "phone_id": "phone-a"}),
    ("panel", "panel-b", {"window": 2}),
    ("kiosk", "kiosk-1", {}),
]
WAIT = 20.0


def _sip(registrar: Registrar, user: str) -> dict[str, Any]:
    low = sip_peers.free_port_pair()
    return {
        "server": HOST, "port": registrar.port, "user": user, "password": SECRETS[user],
        "local_ip": HOST, "local_port": sip_peers.free_port(avoid=range(low, low + 61)),
        "rtp_port_low": low,
        "rtp_port_high": low + 60, "reregister_s": 2,
    }  # fmt: skip


def _config(site: Site, device: str, role: Any, settings: dict[str, Any]) -> DeviceConfig:
    return DeviceConfig(
        device_id=device, role=role, site="main", name=device, mqtt=site.mqtt_config(device),
        settings=settings,
    )  # fmt: skip


@contextmanager
def line_agent(site: Site, registrar: Registrar, services: list[int]) -> Iterator[LineAgent]:
    settings = {
        "sip": _sip(registrar, OFFICE), "lang": "en", "services": services,
        "service_names": ["taxes", "passports"][: len(services)], "place_every_s": 5,
    }  # fmt: skip
    config = _config(site, "line-1", "line", settings)
    parsed = parse_line_settings(config.settings)
    agent = LineAgent(config, parsed, VoipPhone(parsed.sip))
    assert agent.start(wait=WAIT)
    try:
        wait_for("the office number registers", lambda: agent.sip.registered, WAIT)
        yield agent
    finally:
        agent.stop()


@contextmanager
def phone_agent(
    site: Site, registrar: Registrar, folder: Path
) -> Iterator[tuple[PhoneAgent, FakeHeadset]]:
    config = _config(site, "phone-a", "phone", {"sip": _sip(registrar, ANNA_PHONE)})
    settings = parse_settings(config.settings)
    assert settings.sip is not None
    headset = FakeHeadset()
    agent = PhoneAgent(config, settings, VoipPhone(settings.sip), recordings=folder, sound=headset)
    assert agent.start(wait=WAIT)
    try:
        yield agent, headset
    finally:
        agent.stop()


@dataclass
class Caller:
    sipp: Sipp
    number: str


def dial_in(registrar: Registrar, folder: Path, number: str, wav: Path, *, hang_up: bool) -> Caller:
    """A SIPp caller from ``number`` to the office: key 1 in the menu, a tone, then it hangs up
    after 1.5 s (``hang_up``) or waits for the BYE."""
    scenario = sip_peers.caller_scenario(
        talk_ms=1500 if hang_up else 100, wav=wav, dtmf="1", hangup=hang_up
    )
    sipp = run_sipp(
        folder, scenario, proxy_port=registrar.port, service=OFFICE, caller=number,
        timeout_s=200,
    )  # fmt: skip
    return Caller(sipp, number)


def ticket_of(hub: Hub, call_number: str) -> QueueTicket | None:
    with hub.sessions() as session:
        return session.scalars(select(QueueTicket).where(QueueTicket.phone == call_number)).first()


def tick(site: Site) -> None:
    """One second later on the hub's clock: arrivals get distinct times."""
    site.now[0] += timedelta(seconds=1)


def free(panel: DeviceClient) -> int | None:
    reply = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert reply.ok, reply.error
    ticket = reply.assignment.ticket if reply.assignment is not None else None
    return None if ticket is None else ticket.id


def assigned(panel: DeviceClient) -> AssignedTicket | None:
    """The ticket the panel's retained assignment shows (once it shows one)."""
    box = Inbox()
    stop = panel.subscribe(topics.panel_assignment("main", panel.device), box)
    try:
        message = box.next(lambda _t, m: isinstance(m, PanelAssignment) and m.ticket is not None)
    finally:
        stop()
    return message.ticket if isinstance(message, PanelAssignment) else None


def finish(panel: DeviceClient, ticket: int) -> None:
    reply = ask(panel, Finish(request_id=rid(), ticket_id=ticket), PanelReply)
    assert reply.ok, reply.error


def count_reaches(count: Callable[[], int], at_least: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while count() < at_least and time.monotonic() < deadline:
        time.sleep(0.1)
    return count()


def test_three_callers_and_two_visitors_one_line_one_free(hub: Hub, tmp_path: Path) -> None:
    with (
        sip_peers.registrar(tmp_path / "kamailio", SECRETS) as registrar,
        running_site(hub, DEVICES) as (site, _coordinators),
    ):
        taxes = make_service(site, "Податки", ["anna", "bohdan"])
        passports = make_service(site, "Паспорти", ["anna"])
        wav = sip_peers.tone_wav(tmp_path / "tone.wav", seconds=60)
        with (
            line_agent(site, registrar, [taxes, passports]) as line,
            phone_agent(site, registrar, tmp_path / "rec") as (anna_phone, headset),
        ):

            def phone_online() -> bool:
                with hub.sessions() as session:
                    agent = session.get(Device, "phone-a")
                    status = (agent.phone_status or {}) if agent else {}
                    return bool(agent and agent.online and status.get("registered"))

            wait_for("Anna's phone is online at the hub", phone_online, WAIT)

            def anna_heard(call_id: str) -> int:
                leg = anna_phone.media.leg(call_id)
                return 0 if leg is None else leg.loud_in

            panel_a, panel_b = site.device("panel-a", "panel"), site.device("panel-b", "panel")
            kiosk = site.device("kiosk-1", "kiosk")
            rings = Inbox()
            panel_a.subscribe(topics.phone_call("main", "phone-a"), rings)
            login(panel_a, "anna")
            login(panel_b, "bohdan")

            callers: list[Caller] = []
            visitors: list[int] = []

            def caller_arrives(number: str, *, hang_up: bool = False) -> int:
                tick(site)
                caller = dial_in(registrar, tmp_path / number, number, wav, hang_up=hang_up)
                callers.append(caller)
                found = wait_for(f"caller {number} joins", lambda: ticket_of(hub, number), WAIT)
                return int(found.id)

            def visitor_arrives() -> int:
                tick(site)
                reply = ask(kiosk, IssueTicket(request_id=rid(), service_id=taxes), KioskReply)
                assert reply.ok, reply.error
                visitors.append(reply.ticket.id)
                return int(reply.ticket.id)

            gone = caller_arrives("0509990000", hang_up=True)
            c1 = caller_arrives("0501110001")
            v1 = visitor_arrives()
            c2 = caller_arrives("0501110002")
            v2 = visitor_arrives()
            c3 = caller_arrives("0501110003")

            def abandoned() -> bool:
                found = ticket_of(hub, "0509990000")
                return found is not None and found.call_outcome == "abandoned"

            wait_for("the caller who hung up is abandoned", abandoned, WAIT)
            assert line.callers and len(line.callers) == 3
            with hub.sessions() as session:
                waiting = session.scalars(
                    select(QueueTicket.id)
                    .where(QueueTicket.state == "waiting")
                    .order_by(QueueTicket.effective_at)
                ).all()
            assert waiting == [c1, v1, c2, v2, c3]

            # Bohdan has no phone: the nearest (caller 1) passes him by.
            assert free(panel_b) == v1
            assert free(panel_a) == c1
            shown = assigned(panel_a)
            assert shown is not None and shown.id == c1 and shown.caller is True
            assert shown.client is not None and shown.client.phone == "0501110001"
            ringing = rings.next(lambda _t, m: isinstance(m, PhoneCall) and m.state == "ringing")
            panel_a.publish(
                topics.phone_cmd("main", "phone-a"),
                PhoneCmd(type="answer", call_id=ringing.call_id, request_id=rid()),
                qos=1,
            )
            wait_for(
                "the line bridges caller 1 to Anna",
                lambda: any(c.state == "bridged" for c in line.callers.values()),
                WAIT,
            )
            bridged = next(c for c in line.callers.values() if c.state == "bridged")
            assert bridged.call.remote == "0501110001"
            # The caller's tone reaches Anna's phone (and her headset)...
            assert count_reaches(lambda: anna_heard(ringing.call_id), 25) >= 25
            assert count_reaches(lambda: headset.played_loud, 25) >= 25
            # ... and her voice, silent so far, reaches the caller through the line.
            operator_leg = line.media.leg(bridged.operator.id if bridged.operator else "")
            caller_leg = line.media.leg(bridged.call.id)
            assert operator_leg is not None and caller_leg is not None
            before_in, before_out = operator_leg.loud_in, caller_leg.loud_out
            assert before_in <= 3
            headset.talking.set()
            assert count_reaches(lambda: operator_leg.loud_in - before_in, 25) >= 25
            assert count_reaches(lambda: caller_leg.loud_out - before_out, 25) >= 25
            headset.talking.clear()
            wait_for(
                "the hub records the answer",
                lambda: (ticket_of(hub, "0501110001") or QueueTicket()).call_outcome == "answered",
                WAIT,
            )
            # Anna hangs up: the line ends the caller's call too.
            panel_a.publish(
                topics.phone_cmd("main", "phone-a"),
                PhoneCmd(type="hangup", call_id=ringing.call_id, request_id=rid()),
                qos=1,
            )
            assert callers[1].sipp.wait(WAIT) == 0, callers[1].sipp.output()
            finish(panel_a, c1)
            finish(panel_b, v1)

            assert free(panel_b) == v2  # caller 2 is nearer, but not for him
            assert free(panel_a) == c2
            finish(panel_b, v2)
            assert free(panel_b) is None  # only caller 3 waits, and not for him
            wait_for(
                "Anna's phone rings for caller 2",
                lambda: any(c.state == "connecting" for c in line.callers.values()),
                WAIT,
            )
            ringing = rings.next(lambda _t, m: isinstance(m, PhoneCall) and m.state == "ringing")
            panel_a.publish(
                topics.phone_cmd("main", "phone-a"),
                PhoneCmd(type="answer", call_id=ringing.call_id, request_id=rid()),
                qos=1,
            )
            wait_for(
                "the hub records caller 2 answered",
                lambda: (ticket_of(hub, "0501110002") or QueueTicket()).call_outcome == "answered",
                WAIT,
            )
            finish(panel_a, c2)
            assert free(panel_a) == c3
            with hub.sessions() as session:
                never = session.get(QueueTicket, gone)
                assert never is not None
                assert (never.state, never.operator_id, never.task_id) == ("cancelled", None, None)
                assert never.finished_at is not None and never.arrived_at is not None
            assert callers[0].sipp.wait(WAIT) == 0, callers[0].sipp.output()
        for caller in callers:
            caller.sipp.stop()


def test_a_caller_the_hub_cannot_queue_is_told_so_and_hung_up(hub: Hub, tmp_path: Path) -> None:
    with (
        sip_peers.registrar(tmp_path / "kamailio", SECRETS) as registrar,
        running_site(hub, DEVICES) as (site, _coordinators),
    ):
        off = make_service(site, "Без черги", [])
        with transaction(hub.sessions) as session:
            project = session.get(Project, off)
            assert project is not None
            project.uses_queue = False  # the line's menu names a service that takes nobody
        wav = sip_peers.tone_wav(tmp_path / "tone.wav", seconds=2)
        with line_agent(site, registrar, [off]) as line:
            caller = dial_in(registrar, tmp_path / "caller", "0501110009", wav, hang_up=False)
            assert caller.sipp.wait(60) == 0, caller.sipp.output()  # the line sent the BYE
            wait_for("the line forgets the caller", lambda: not line.callers, WAIT)
        assert ticket_of(hub, "0501110009") is None


def test_a_caller_who_presses_the_callback_key_is_called_back_when_reached(
    hub: Hub, tmp_path: Path
) -> None:
    back = "0501110007"
    with (
        sip_peers.registrar(tmp_path / "kamailio", {**SECRETS, back: "peer"}) as registrar,
        running_site(hub, DEVICES) as (site, _coordinators),
    ):
        taxes = make_service(site, "Податки", ["anna"])
        wav = sip_peers.tone_wav(tmp_path / "tone.wav", seconds=3)
        with (
            line_agent(site, registrar, [taxes]) as line,
            phone_agent(site, registrar, tmp_path / "rec") as (anna_phone, _headset),
        ):
            wait_for("Anna's phone is online", lambda: phone_is_online(hub), WAIT)
            panel = site.device("panel-a", "panel")
            calls_seen = Inbox()
            panel.subscribe(topics.phone_call("main", "phone-a"), calls_seen)
            login(panel, "anna")
            # One service: no menu; "*" while waiting asks for the callback, then the line
            # says goodbye and hangs up (the caller waits for that BYE).
            scenario = sip_peers.caller_scenario(talk_ms=100, wav=wav, dtmf="0*", hangup=False)
            caller = run_sipp(
                tmp_path / "caller", scenario, proxy_port=registrar.port, service=OFFICE,
                caller=back, timeout_s=60,
            )  # fmt: skip
            assert caller.wait(40) == 0, caller.output()
            kept = wait_for("the ticket waits", lambda: ticket_of(hub, back), WAIT)
            assert (kept.state, kept.call_outcome) == ("waiting", "callback")
            assert not line.callers
            callee = start_echo_callee(registrar, tmp_path / "callee", user=back)
            ticket = free(panel)
            assert ticket == kept.id
            answered = calls_seen.next(
                lambda _t, m: isinstance(m, PhoneCall) and m.state == "answered"
            )
            assert answered.direction == "out" and answered.remote == back
            panel.publish(
                topics.phone_cmd("main", "phone-a"),
                PhoneCmd(type="hangup", call_id=answered.call_id, request_id=rid()),
                qos=1,
            )
            assert callee.wait(WAIT) == 0, callee.output()
            assert anna_phone.lines.busy == 0 or wait_for(
                "the line is free", lambda: anna_phone.lines.busy == 0, WAIT
            )
            # The CRM shows the callback once: the callback event, with who and the talk time.
            assert answered.event_id is not None
            row = wait_for("the call is recorded", lambda: finished_call(hub, back), WAIT)
            with hub.sessions() as session:
                wanted = (
                    select(Event, EventType.code)
                    .join(EventType, EventType.id == Event.type_id)
                    .where(Event.phone_digits == digits(back), EventType.code.in_(CALL_EVENTS))
                )
                [(event, code)] = session.execute(wanted).all()
                assert code == "callback"
                assert event.id == row.event_id == answered.event_id
                assert event.responsible_id == row.user_id is not None
                assert event.call_duration_s is not None


CALL_EVENTS = ("callback", "outgoing_call", "missed_outgoing_call", "missed_call_answer")


def finished_call(hub: Hub, number: str) -> PhoneCallRecord | None:
    """The call to ``number`` once the hub has its outcome."""
    with hub.sessions() as session:
        return session.scalars(
            select(PhoneCallRecord).where(
                PhoneCallRecord.remote_digits == digits(number),
                PhoneCallRecord.outcome.is_not(None),
            )
        ).first()


def phone_is_online(hub: Hub) -> bool:
    with hub.sessions() as session:
        agent = session.get(Device, "phone-a")
        status = (agent.phone_status or {}) if agent else {}
        return bool(agent and agent.online and status.get("registered"))
