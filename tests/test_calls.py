"""Calls become CRM events (PH-8) through the real hub coordinator and the hub's own Mosquitto.

A provisioned phone agent publishes its call reports with its own MQTT credentials; the
coordinator tracks each call by (agent, call id) and makes one event per call, matched to the
client and contact by number, with the operator at the agent's panel responsible. Duplicates,
late reports, short numbers, malformed payloads, the phone switching on and off, and the ACL.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import queue
import time
import uuid
import wave
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import (
    Attachment,
    Device,
    DocRight,
    Employee,
    Event,
    EventType,
    PhoneCallRecord,
    Project,
    User,
)
from hub.protocol import topics
from hub.protocol.devices import (
    DeviceState,
    Fault,
    PhoneCall,
    PhoneCmd,
    PhoneRecording,
    PhoneStatus,
)
from hub.protocol.messages import CallerCard, PanelReply, PhoneBook
from hub.services.clients import clients
from hub.services.clients import contacts as clients_contacts
from hub.services.clients.contacts import PhoneData
from hub.services.settings.parameters import update_global, update_user_parameters
from tests.coordinator_site import DeviceSpec, running_site, wait_for
from tests.test_coordinator import PASSWORD, WAIT, Site, ask, login, rid

pytestmark = pytest.mark.timeout(180)

SPECS: list[DeviceSpec] = [
    ("phone", "phone-1", {}),
    ("phone", "phone-2", {}),
    ("panel", "panel-1", {"window": 1, "phone_id": "phone-1"}),
    ("panel", "panel-2", {"window": 2}),
]


@pytest.fixture
def site(hub: Hub) -> Iterator[Site]:
    with running_site(hub, SPECS) as (built, _coordinators):
        yield built


def make_operator(site: Site, username: str, sip: str | None = None) -> int:
    """A user with an operator's rights and, optionally, a SIP number."""
    with transaction(site.hub.sessions) as session:
        employee = Employee(full_name=f"Оператор {username}", sip_number=sip)
        session.add(employee)
        session.flush()
        user = User(
            username=username,
            password_hash=site.hub.hasher.hash(PASSWORD),
            employee_id=employee.id,
        )
        session.add(user)
        session.flush()
        for doc_type in ("task", "event"):
            session.add(
                DocRight(user_id=user.id, doc_type=doc_type, can_create=True, can_change=True)
            )
        return user.id


def make_client(site: Site, name: str, phone: str) -> tuple[int, int]:
    """A client with one contact person who has ``phone``."""
    with transaction(site.hub.sessions) as session:
        client = clients.create_client(session, data={"name": name})
        contact = clients_contacts.create_contact(
            session,
            client_id=client.id,
            data={"full_name": f"Контакт {name}"},
            phones=[PhoneData(phone=phone)],
        )
        return client.id, contact.id


class Agent:
    """A phone agent as the hub sees it: its own MQTT client publishing call reports."""

    def __init__(self, site: Site, device: str) -> None:
        self.client = site.device(device, "phone")
        self.device = device
        self.t0 = datetime.now(UTC).replace(microsecond=0)

    def report(self, call_id: str, state: str, remote: str, second: int, **extra: Any) -> None:
        message = PhoneCall(
            call_id=call_id,
            line=extra.pop("line", "1"),
            direction=extra.pop("direction", "in"),
            remote=remote,
            state=state,  # type: ignore[arg-type]
            at=self.t0 + timedelta(seconds=second),
            **extra,
        )
        info = self.client.publish(topics.phone_call("main", self.device), message)
        info.wait_for_publish(timeout=WAIT)

    def state(self, registered: bool, number: str = "101", busy: int = 0) -> None:
        state = DeviceState(
            state="online",
            role="phone",
            version="test",
            phone=PhoneStatus(registered=registered, number=number, busy=busy),
        )
        info = self.client.publish(topics.device_state("main", self.device), state, retain=True)
        info.wait_for_publish(timeout=WAIT)


def call(site: Site, device: str, call_id: str, until: Any = None) -> PhoneCallRecord:
    """The tracked call, once it has an outcome (or ``until`` holds)."""

    def check() -> PhoneCallRecord | None:
        with site.hub.sessions() as session:
            row = session.scalar(
                select(PhoneCallRecord).where(
                    PhoneCallRecord.device_id == device, PhoneCallRecord.call_id == call_id
                )
            )
            if row is not None and (until(row) if until else row.outcome is not None):
                return row
            return None

    found: PhoneCallRecord = wait_for(f"call {call_id}", check)
    return found


def event_of(site: Site, event_id: int | None) -> tuple[Event, str]:
    assert event_id is not None
    with site.hub.sessions() as session:
        event = session.get(Event, event_id)
        assert event is not None
        code = session.scalar(select(EventType.code).where(EventType.id == event.type_id))
        return event, str(code)


def call_events(site: Site) -> list[tuple[str, str | None]]:
    """(type code, phone) of every call event, oldest first."""
    with site.hub.sessions() as session:
        rows = session.execute(
            select(EventType.code, Event.phone)
            .join(EventType, EventType.id == Event.type_id)
            .where(EventType.code.not_in(("queue", "electronic_queue")))
            .order_by(Event.id)
        )
        return [(str(code), phone) for code, phone in rows]


def test_calls_become_events_matched_to_client_and_operator(site: Site) -> None:
    olena = make_operator(site, "olena", sip="101")
    client_id, contact_id = make_client(site, "ТОВ Ромашка", "+38 (050) 123-45-67")
    with transaction(site.hub.sessions) as session:
        project = Project(number="CALLS", name="Дзвінки")
        session.add(project)
        session.flush()
        project_id = project.id
        update_user_parameters(session, olena, {"telephony_project_id": project_id})
        update_global(session, {"telephony_min_number_length": 5})
    panel = site.device("panel-1", "panel")
    login(panel, "olena")
    agent = Agent(site, "phone-1")

    # An answered incoming call: ringing, answered, held, answered, ended with the recording.
    agent.report("c1", "ringing", "+380501234567", 0, remote_name="Ромашка")
    agent.report("c1", "answered", "+380501234567", 3)
    agent.report("c1", "held", "+380501234567", 10)
    agent.report("c1", "answered", "+380501234567", 20)
    agent.report("c1", "ended", "+380501234567", 68, duration_s=65, recording="c1-2026.wav")
    first = call(site, "phone-1", "c1")
    assert first.outcome == "answered" and first.user_id == olena
    event, code = event_of(site, first.event_id)
    assert code == "incoming_call"
    assert (event.client_id, event.contact_id) == (client_id, contact_id)
    assert event.responsible_id == olena and event.project_id == project_id
    assert event.call_duration_s == 65 and event.call_recording == "c1-2026.wav"
    assert event.phone == "+380501234567" and event.phone_digits == "501234567"
    assert event.starts_at == agent.t0 and event.ends_at == agent.t0 + timedelta(seconds=68)

    # The same final report again (QoS 1 redelivery) makes no second event.
    agent.report("c1", "ended", "+380501234567", 68, duration_s=65, recording="c1-2026.wav")
    # A missed call from an unknown number, given as a SIP URI.
    agent.report("c2", "ringing", "sip:0671112233@pbx.local", 100)
    agent.report("c2", "missed", "sip:0671112233@pbx.local", 130, reason="cancelled")
    missed = call(site, "phone-1", "c2")
    missed_event, code = event_of(site, missed.event_id)
    assert code == "missed_incoming_call" and missed_event.client_id is None
    assert missed_event.phone == "0671112233"

    # An internal extension (shorter than 5 digits) is not logged.
    agent.report("c3", "ringing", "102", 200)
    agent.report("c3", "ended", "102", 230, duration_s=20)
    assert call(site, "phone-1", "c3").outcome == "skipped"

    # Calling the missed number back answers the missed call and links to it.
    agent.report("c4", "ringing", "+380671112233", 300, direction="out")
    agent.report("c4", "answered", "+380671112233", 305, direction="out")
    agent.report("c4", "ended", "+380671112233", 340, direction="out", duration_s=35)
    answer = call(site, "phone-1", "c4")
    assert event_of(site, answer.event_id)[1] == "missed_call_answer"
    assert answer.answers_event_id == missed.event_id
    assert call(site, "phone-1", "c2").resolved_at is not None

    # A forwarded call; an outgoing call nobody answered.
    agent.report("c5", "ringing", "0501234567", 400)
    agent.report("c5", "transferred", "0501234567", 405, target="0449998877")
    forwarded, code = event_of(site, call(site, "phone-1", "c5").event_id)
    assert code == "call_forwarding" and forwarded.client_id == client_id
    assert forwarded.content is not None and "0449998877" in forwarded.content
    agent.report("c6", "ringing", "0931112233", 500, direction="out")
    agent.report("c6", "ended", "0931112233", 530, direction="out", reason="busy")
    assert event_of(site, call(site, "phone-1", "c6").event_id)[1] == "missed_outgoing_call"

    with site.hub.sessions() as session:
        calls_made = session.scalar(select(func.count()).select_from(PhoneCallRecord))
        assert calls_made == 6
    assert call_events(site) == [
        ("incoming_call", "+380501234567"),
        ("missed_incoming_call", "0671112233"),
        ("missed_call_answer", "+380671112233"),
        ("call_forwarding", "0501234567"),
        ("missed_outgoing_call", "0931112233"),
    ]


def test_reports_out_of_order_and_the_sip_number_owner(site: Site) -> None:
    taras = make_operator(site, "taras", sip="+380 44 200-01-02")
    agent = Agent(site, "phone-2")  # no panel: the owner of the registered number answers
    agent.state(True, number="0442000102")
    wait_for("phone-2 registered", lambda: _status(site, "phone-2").get("registered"))

    # The final report first, then the older ones: the duration says it was answered.
    agent.report("x1", "ended", "0501110000", 40, duration_s=30)
    agent.report("x1", "ringing", "0501110000", 0)
    agent.report("x1", "answered", "0501110000", 10)
    early = call(site, "phone-2", "x1", until=lambda r: r.started_at == agent.t0)
    assert early.answered_at == agent.t0 + timedelta(seconds=10)
    event, code = event_of(site, early.event_id)
    assert code == "incoming_call" and early.state == "ended"
    assert event.starts_at == agent.t0 and event.responsible_id == taras

    # Ended without a duration looked missed; a late "answered" turns it into a call.
    agent.report("x2", "ended", "0501110001", 80)
    assert event_of(site, call(site, "phone-2", "x2").event_id)[1] == "missed_incoming_call"
    agent.report("x2", "answered", "0501110001", 60)
    late = call(site, "phone-2", "x2", until=lambda r: r.outcome == "answered")
    assert event_of(site, late.event_id)[1] == "incoming_call"
    assert [code for code, _phone in call_events(site)] == [
        "phone_on",
        "incoming_call",
        "incoming_call",
    ]


def _status(site: Site, device: str) -> dict[str, Any]:
    with site.hub.sessions() as session:
        row = session.get(Device, device)
        return dict(row.phone_status or {}) if row is not None else {}


def _faults(site: Site, device: str) -> list[str]:
    with site.hub.sessions() as session:
        row = session.get(Device, device)
        return [str(f.get("code")) for f in (row.faults or [])] if row is not None else []


def test_phone_on_and_off_from_the_agents_state(site: Site) -> None:
    olena = make_operator(site, "olena", sip="101")
    panel = site.device("panel-1", "panel")
    login(panel, "olena")
    agent = Agent(site, "phone-1")
    agent.state(True, number="101", busy=0)
    wait_for("phone on", lambda: call_events(site) == [("phone_on", None)])
    assert _status(site, "phone-1") == {
        "registered": True,
        "number": "101",
        "lines": 5,
        "busy": 0,
        "second_ring": True,
    }
    agent.state(True, number="101", busy=2)  # lines busy: no new event
    wait_for("busy lines stored", lambda: _status(site, "phone-1").get("busy") == 2)
    # The device client's own state (a fault) has no phone part: the phone stays on.
    agent.client.set_faults([Fault(code="no_audio", message="Немає звукової карти")])
    wait_for("fault stored", lambda: _faults(site, "phone-1") == ["no_audio"])
    assert _status(site, "phone-1").get("registered") is True
    agent.state(False)
    wait_for("phone off", lambda: [c for c, _p in call_events(site)] == ["phone_on", "phone_off"])
    agent.state(True)
    agent.client.close()  # the last will: offline
    wait_for(
        "off again",
        lambda: [c for c, _p in call_events(site)] == ["phone_on", "phone_off"] * 2,
    )
    with site.hub.sessions() as session:
        owners = session.scalars(select(Event.responsible_id)).all()
        assert set(owners) == {olena}


def test_malformed_reports_are_rejected_and_logged_and_the_hub_keeps_going(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    agent = Agent(site, "phone-1")
    raw = agent.client._client  # the device client only sends valid messages
    topic = topics.phone_call("main", "phone-1")
    good = {
        "v": 1,
        "call_id": "ok-1",
        "line": "1",
        "direction": "in",
        "remote": "0501234567",
        "state": "missed",
        "at": datetime.now(UTC).isoformat(),
    }
    for payload in (
        b"{not json",
        json.dumps({**good, "colour": "red"}).encode(),
        json.dumps({**good, "v": 2}).encode(),
        json.dumps({**good, "state": "exploded"}).encode(),
        json.dumps({**good, "recording": "../../etc/passwd.wav"}).encode(),
    ):
        raw.publish(topic, payload, qos=1)
    # A panel's and an unregistered device's id on a phone topic (only the hub could send it).
    site.coordinator.handle(topics.phone_call("main", "panel-2"), json.dumps(good).encode())
    site.coordinator.handle(topics.phone_call("main", "ghost"), json.dumps(good).encode())
    # A phone agent's credentials cannot report another agent's calls (the broker drops it).
    raw.publish(topics.phone_call("main", "phone-2"), json.dumps(good).encode(), qos=1)
    raw.publish(topic, json.dumps(good).encode(), qos=1)
    row = call(site, "phone-1", "ok-1")
    assert row.outcome == "missed"
    wait_for("rejections", lambda: site.coordinator.rejected >= 7)
    log = caplog.text
    for code in ("bad_json", "unknown_field", "wrong_version", "invalid", "device_unknown"):
        assert code in log
    assert "device_wrong_role" in log
    with site.hub.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PhoneCallRecord)) == 1
        assert session.scalar(select(func.count()).select_from(Event)) == 1


def wav_file(seconds: float = 0.5) -> bytes:
    """A small 8 kHz, 8-bit mono WAV with a tone, as the agent records it."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(
            bytes(128 + (30 if (i // 8) % 2 else -30) for i in range(int(8000 * seconds)))
        )
    return out.getvalue()


def recording(call_id: str, name: str, wav: bytes, sha256: str | None = None) -> PhoneRecording:
    return PhoneRecording(
        call_id=call_id,
        name=name,
        sha256=sha256 or hashlib.sha256(wav).hexdigest(),
        data=base64.b64encode(wav).decode(),
    )


def test_a_recording_is_attached_to_the_calls_event_once(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    make_operator(site, "olena", sip="101")
    agent = Agent(site, "phone-1")
    topic = topics.phone_recording("main", "phone-1")
    wav = wav_file()
    # Sent while the call still runs (the agent waits for the end, but a hub must not trust it).
    agent.report("r1", "ringing", "0501234567", 0)
    agent.report("r1", "answered", "0501234567", 2)
    name = "20261129T101500000000-l1-0501234567.wav"
    agent.client.publish(topic, recording("r1", name, wav)).wait_for_publish(WAIT)
    wait_for("the early one refused", lambda: "call_recording_early" in caplog.text)
    agent.report("r1", "ended", "0501234567", 30, duration_s=28, recording=name)
    row = call(site, "phone-1", "r1")
    damaged = recording("r1", name, wav, sha256="0" * 64)
    not_a_wav = recording("r1", name, b"RIFX" + wav[4:])
    unknown = recording("r9", name, wav)
    for message in (damaged, not_a_wav, unknown):
        agent.client.publish(topic, message).wait_for_publish(WAIT)
    for _ in range(2):  # sent twice (QoS 1 redelivery): one attachment
        agent.client.publish(topic, recording("r1", name, wav)).wait_for_publish(WAIT)

    def attachments() -> list[Attachment]:
        with site.hub.sessions() as session:
            return list(
                session.scalars(select(Attachment).where(Attachment.event_id == row.event_id))
            )

    wait_for("the recording attached", lambda: len(attachments()) == 1)
    wait_for("every message handled", lambda: "call_recording_unknown_call" in caplog.text)
    assert caplog.text.count("call_recording_damaged") >= 2
    [attached] = attachments()
    assert (attached.original_filename, attached.content_type) == (name, "audio/wav")
    assert attached.size == len(wav) and attached.uploaded_by is None
    assert site.hub.files.path(attached.stored_name).read_bytes() == wav
    # A panel's (or another agent's) credentials cannot send this agent's recording.
    for device, role in (("panel-2", "panel"), ("phone-2", "phone")):
        other = site.device(device, role)
        other.publish(topic, recording("r1", "other.wav", wav)).wait_for_publish(WAIT)
    time.sleep(0.3)
    assert len(attachments()) == 1


def _collect(inbox: queue.Queue[str]) -> Any:
    return lambda topic, payload: inbox.put(str(topic))


def test_only_the_linked_panel_reads_the_agents_calls_and_commands_it(site: Site) -> None:
    agent = Agent(site, "phone-1")
    linked, other = site.device("panel-1", "panel"), site.device("panel-2", "panel")
    seen: dict[str, queue.Queue[str]] = {"panel-1": queue.Queue(), "panel-2": queue.Queue()}
    for panel in (linked, other):
        panel.subscribe_raw(
            topics.phone_call("main", "phone-1"), _collect(seen[panel.device]), wait=WAIT
        )
    commands: queue.Queue[Any] = queue.Queue()
    agent.client.subscribe(
        topics.phone_cmd("main", "phone-1"), lambda t, m: commands.put(m), wait=WAIT
    )
    other.publish(
        topics.phone_cmd("main", "phone-1"), PhoneCmd(type="dial", target="0500000002")
    ).wait_for_publish(timeout=WAIT)
    linked.publish(
        topics.phone_cmd("main", "phone-1"), PhoneCmd(type="dial", target="0500000001")
    ).wait_for_publish(timeout=WAIT)
    assert commands.get(timeout=WAIT).target == "0500000001"
    agent.report("acl-1", "ringing", "0501234567", 0)
    assert seen["panel-1"].get(timeout=WAIT) == topics.phone_call("main", "phone-1")
    time.sleep(1.0)  # the broker had time to deliver to the other panel too, if it could
    assert seen["panel-2"].empty() and commands.empty()


def test_caller_card_and_phone_book_at_the_panel(site: Site) -> None:
    make_operator(site, "olena", sip="101")
    make_operator(site, "taras", sip="102")
    make_operator(site, "nosip")
    client_id, _contact = make_client(site, "ТОВ Ромашка", "050 123 45 67")
    with transaction(site.hub.sessions) as session:
        user = session.scalar(select(User).where(User.username == "olena"))
        assert user is not None
        user.lang = "en"
    panel = site.device("panel-1", "panel")
    login(panel, "olena")
    card = ask(panel, CallerCard(request_id=rid(), number="+380501234567"), PanelReply)
    assert card.ok and card.card.client_id == client_id and card.card.name == "ТОВ Ромашка"
    assert card.card.contact == "Контакт ТОВ Ромашка" and card.card.matched_by == "phone"
    by_uri = ask(panel, CallerCard(request_id=rid(), number="sip:0501234567@10.0.0.7"), PanelReply)
    assert by_uri.ok and by_uri.card.client_id == client_id
    unknown = ask(panel, CallerCard(request_id=rid(), number="0999999999"), PanelReply)
    assert unknown.ok and unknown.card is None
    book = ask(panel, PhoneBook(request_id=uuid.uuid4()), PanelReply)
    assert book.ok
    entries = {(e.username, e.sip_number, e.status, e.status_name) for e in book.phone_book}
    assert entries == {("olena", "101", "break", "Break"), ("taras", "102", "offline", "Offline")}


def test_a_call_whose_agent_was_lost_mid_call_is_ended_by_the_housekeeper(site: Site) -> None:
    agent = Agent(site, "phone-1")
    agent.report("lost-1", "ringing", "0501234567", 0)
    agent.report("lost-2", "ringing", "0931234567", 0)
    agent.report("lost-2", "answered", "0931234567", 5)
    call(site, "phone-1", "lost-2", until=lambda r: r.answered_at is not None)
    site.coordinator.housekeep(purge=True)  # too early: nothing happens
    assert call(site, "phone-1", "lost-1", until=lambda r: True).outcome is None
    site.now[0] = agent.t0 + timedelta(hours=13)
    site.coordinator.housekeep(purge=True)
    lost = call(site, "phone-1", "lost-1")
    assert (lost.outcome, lost.reason, lost.state) == ("missed", "lost", "ended")
    assert event_of(site, lost.event_id)[1] == "missed_incoming_call"
    talked = call(site, "phone-1", "lost-2")
    event, code = event_of(site, talked.event_id)
    assert code == "incoming_call" and event.ends_at == agent.t0 + timedelta(seconds=5)


def test_duplicates_served_by_two_hubs_make_one_event_per_call(hub: Hub) -> None:
    with running_site(hub, SPECS, coordinators=2) as (site, coordinators):
        agent = Agent(site, "phone-1")
        raw = agent.client._client
        topic = topics.phone_call("main", "phone-1")
        for index in range(10):
            final = PhoneCall(
                call_id=f"dup-{index}",
                line=str(index % 5 + 1),
                direction="in",
                remote=f"050123450{index}",
                state="ended",
                at=agent.t0 + timedelta(seconds=index),
                duration_s=10 + index,
            )
            body = final.model_dump_json(exclude_none=True).encode()
            for _copy in range(4):  # what a QoS 1 redelivery storm looks like
                raw.publish(topic, body, qos=1)
        wait_for("every copy served", lambda: sum(c.handled for c in coordinators) == 40)
        assert sorted(call_events(site)) == sorted(
            ("incoming_call", f"050123450{index}") for index in range(10)
        )
