"""The hub's MQTT coordinator end to end: the hub's own Mosquitto, real device clients.

A kiosk takes a ticket and its printer gets the job; an operator presses Free at a panel and gets
it; the display's retained board and the announcement show it; recall, done, no-show, transfer;
bookings checked in early, on time and late; duplicates and malformed messages.
"""

from __future__ import annotations

import json
import queue
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from firmware_config.device_config import MqttConfig
from hub.bootstrap import Hub, prepare_database
from hub.broker.embedded import EmbeddedBroker, start_embedded, sync_broker
from hub.broker.provision import Credentials, issue_credentials
from hub.coordinator.sender import BOARD_EVERY
from hub.coordinator.service import Coordinator
from hub.db.engine import transaction
from hub.db.models import (
    Device,
    DeviceRequest,
    DocRight,
    PrintJob,
    Project,
    ProjectMember,
    Task,
    TaskStatus,
    User,
)
from hub.db.models.queue import QueueTicket
from hub.protocol import topics
from hub.protocol.base import ClientInfo, Message, Reply
from hub.protocol.client import DeviceClient
from hub.protocol.devices import Fault, PrinterJob, PrinterResult
from hub.protocol.messages import (
    CheckIn,
    Finish,
    IssueTicket,
    KioskReply,
    ListServices,
    Login,
    Logout,
    NoShow,
    PanelReply,
    Recall,
    SetStatus,
    Start,
    Transfer,
)
from hub.protocol.tls import ClientTls
from hub.services.devices import devices
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.core import QueueContext
from hub.services.settings.parameters import update_global, update_user_parameters
from tests.mqtt import open_for_broker
from tests.pg import free_port

WAIT = 30.0  # failure guard: a request answered on a machine busy with the whole suite
PASSWORD = "operator-pass-1"


@dataclass
class Inbox:
    """Messages a device received, decoded, by topic."""

    items: queue.Queue[tuple[str, Any]] = field(default_factory=queue.Queue)

    def __call__(self, topic: str, message: Any) -> None:
        self.items.put((str(topic), message))

    def next(self, predicate: Callable[[str, Any], bool] = lambda t, m: True) -> Any:
        """The first message (from now on) that satisfies ``predicate``."""
        deadline = time.monotonic() + WAIT
        while True:
            topic, message = self.items.get(timeout=max(0.01, deadline - time.monotonic()))
            if predicate(topic, message):
                return message


def register(hub: Hub, specs: Iterable[tuple[str, str, dict[str, Any]]]) -> dict[str, Credentials]:
    """Register devices (role, id, extra fields) as ``cherga device add`` does; their
    credentials (password, and over TLS the certificate and the office's CA) by id."""
    issued: dict[str, Credentials] = {}
    with transaction(hub.sessions) as session:
        for role, device_id, extra in specs:
            created = devices.add_device(
                session, role=role, name=device_id, site="main", device_id=device_id, **extra
            )
            issued[device_id] = issue_credentials(
                hub.settings, session, created.device, created.mqtt_password
            )
    return issued


@dataclass
class Site:
    """A hub with its broker and coordinator, devices registered, a clock the test moves."""

    hub: Hub
    broker: EmbeddedBroker
    coordinator: Coordinator
    credentials: dict[str, Credentials]
    now: list[datetime]
    clients: list[DeviceClient] = field(default_factory=list)

    @property
    def passwords(self) -> dict[str, str]:
        """The devices' MQTT passwords by id."""
        return {device: each.password for device, each in self.credentials.items()}

    def tls(self, device_id: str) -> ClientTls | None:
        """The device's TLS for its MQTT client (None when devices use plain TCP)."""
        return self.credentials[device_id].client_tls()

    def mqtt_config(self, device_id: str) -> MqttConfig:
        """The ``[mqtt]`` table of the device's config."""
        return self.credentials[device_id].mqtt_config()

    def add(self, role: str, device_id: str, **extra: Any) -> None:
        """Register one more device while the site runs; the broker learns it at once."""
        self.credentials |= register(self.hub, [(role, device_id, extra)])
        sync_broker(self.hub.settings, self.hub.sessions)

    def device(self, device_id: str, role: Any, client_id: str | None = None) -> DeviceClient:
        client = DeviceClient(
            client_id=client_id,
            site="main",
            device=device_id,
            role=role,
            version="test",
            **self.mqtt_config(device_id).client_options(),
        )
        self.clients.append(client)
        assert client.start(wait=WAIT)
        return client

    def ctx(self) -> QueueContext:
        return QueueContext(now=self.now[0], tz=self.hub.settings.tz, site="main")


@pytest.fixture
def site(hub: Hub) -> Iterator[Site]:
    hub.settings = hub.settings.model_copy(update={"mqtt_port": free_port()})
    open_for_broker(hub.settings.data_dir / "mqtt")
    prepare_database(hub)
    credentials = register(
        hub,
        [
            ("printer", "printer-1", {}),
            ("kiosk", "kiosk-1", {"printer_id": "printer-1"}),
            ("kiosk", "kiosk-2", {}),
            ("panel", "panel-1", {"window": 1}),
            ("panel", "panel-2", {"window": 2}),
            ("display", "display-1", {}),
            ("display", "display-9", {}),
        ],
    )
    broker = start_embedded(hub.settings, hub.sessions)
    now = [datetime.now(UTC).replace(microsecond=0)]
    coordinator = Coordinator(hub, broker.endpoint, tick=0.2, clock=lambda: now[0])
    built = Site(hub, broker, coordinator, credentials, now)
    try:
        assert coordinator.start(wait=WAIT)
        yield built
    finally:
        for client in built.clients:
            client.close()
        coordinator.stop()
        broker.stop()


def make_service(site: Site, name: str, operators: list[str]) -> int:
    """A project using the queue with these operators (created with a password) in its group."""
    with transaction(site.hub.sessions) as session:
        project = Project(number=name[:8], name=name, uses_queue=True)
        session.add(project)
        session.flush()
        for username in operators:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                # An operator's rights, not full access: tasks and events, create and change.
                user = User(username=username, password_hash=site.hub.hasher.hash(PASSWORD))
                session.add(user)
                session.flush()
                for doc_type in ("task", "event"):
                    session.add(
                        DocRight(
                            user_id=user.id, doc_type=doc_type, can_create=True, can_change=True
                        )
                    )
            session.add(ProjectMember(project_id=project.id, user_id=user.id))
        return project.id


def use_statuses(site: Site, *usernames: str) -> None:
    """These operators work with user statuses (SET-4): Break and the others are theirs too
    (off, an operator works the queue with Free alone)."""
    with transaction(site.hub.sessions) as session:
        for username in usernames:
            user = session.scalars(select(User).where(User.username == username)).one()
            update_user_parameters(session, user.id, {"use_user_statuses": True})


def ask(client: DeviceClient, request: Message, expect: type[Reply]) -> Any:
    kind = "kiosk" if expect is KioskReply else "panel"
    build = topics.kiosk_req if kind == "kiosk" else topics.panel_req
    answer = topics.kiosk_reply if kind == "kiosk" else topics.panel_reply
    return client.request(
        build("main", client.device),
        answer("main", client.device),
        request,  # type: ignore[arg-type]
        timeout=WAIT,
        expect=expect,
    )


def rid() -> uuid.UUID:
    return uuid.uuid4()


def login(panel: DeviceClient, username: str) -> PanelReply:
    reply = ask(panel, Login(request_id=rid(), username=username, password=PASSWORD), PanelReply)
    assert reply.ok, reply.error
    return reply


def test_ticket_free_board_recall_done(site: Site) -> None:
    service = make_service(site, "Паспорти", ["olena"])
    kiosk = site.device("kiosk-1", "kiosk")
    printer = site.device("printer-1", "printer")
    panel = site.device("panel-1", "panel")
    display = site.device("display-1", "display")
    jobs, shown = Inbox(), Inbox()
    printer.subscribe(topics.printer_job("main", "printer-1"), jobs, wait=WAIT)
    display.subscribe(topics.display_all("main"), shown, wait=WAIT)

    listed = ask(kiosk, ListServices(request_id=rid(), lang="en"), KioskReply)
    assert listed.ok and [(s.id, s.name, s.waiting) for s in listed.services] == [
        (service, "Паспорти", 0)
    ]
    issued = ask(
        kiosk,
        IssueTicket(
            request_id=rid(),
            service_id=service,
            client=ClientInfo(name="Ігор", phone="+380501234567"),
        ),
        KioskReply,
    )
    assert issued.ok and issued.ticket.number == "001" and issued.ticket.printed is None
    assert issued.ticket.position == 1

    # The kiosk's printer is sent the job; its answer is recorded.
    job = jobs.next()
    assert isinstance(job, PrinterJob) and job.ticket.number == "001"
    assert job.ticket.service_name == "Паспорти"
    assert job.ticket.tz == "Europe/Kyiv"  # the issue time is printed in the office's zone
    printer.publish(
        topics.printer_result("main", "printer-1"), PrinterResult(job_id=job.job_id, ok=True)
    )
    board = shown.next(lambda t, m: t.endswith("/board") and m.waiting == {service: 1})
    assert board.calls == []

    # The panel: a wrong password is refused in the operator's words; then Free brings 001.
    bad = ask(panel, Login(request_id=rid(), username="olena", password="wrong-1"), PanelReply)
    assert not bad.ok and bad.error.code == "bad_credentials"
    logged = login(panel, "olena")
    assert logged.operator.username == "olena" and logged.operator.status == "break"
    assert logged.operator.lang == "uk"
    assert [(s.id, s.name) for s in logged.operator.services] == [(service, "Паспорти")]
    # Olena does not use user statuses (the default, SET-4): she works with Free alone.
    statuses = {s.code: s.name for s in logged.operator.statuses}
    assert statuses == {"free": "Вільний"}
    assignments = Inbox()
    panel.subscribe(topics.panel_assignment("main", "panel-1"), assignments, wait=WAIT)
    free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert free.ok and free.operator.status == "busy"
    assert free.assignment.ticket.number == "001" and free.assignment.window == "1"
    assert free.assignment.ticket.client.name == "Ігор"
    assert free.assignment.ticket.service_name == "Паспорти"
    assert free.assignment.reason and "Паспорти" in free.assignment.reason
    held = assignments.next(lambda t, m: m.ticket is not None)
    assert held.ticket.id == issued.ticket.id and held.task_id == free.assignment.task_id

    call = shown.next(lambda t, m: t.endswith("/announce"))
    assert (call.number, call.window, call.recall) == ("001", "1", False)
    board = shown.next(lambda t, m: t.endswith("/board") and m.calls)
    assert [(c.number, c.window) for c in board.calls] == [("001", "1")]
    assert board.waiting == {service: 0} and board.names == {service: "Паспорти"}
    # The office's zone travels with it: a display's clock shows Kyiv's time, not its own zone's.
    assert board.tz == site.hub.settings.timezone == "Europe/Kyiv"

    # A display that connects later gets the board at once (retained).
    late, late_inbox = site.device("display-9", "display"), Inbox()
    late.subscribe(topics.display_board("main"), late_inbox, wait=WAIT)
    assert [c.number for c in late_inbox.next().calls] == ["001"]

    recall = ask(panel, Recall(request_id=rid(), ticket_id=issued.ticket.id), PanelReply)
    assert recall.ok and recall.assignment.ticket.recalls == 1
    again = shown.next(lambda t, m: t.endswith("/announce"))
    assert (again.number, again.recall) == ("001", True)

    came = ask(panel, Start(request_id=rid(), ticket_id=issued.ticket.id), PanelReply)
    assert came.ok and came.assignment.ticket.state == "serving"
    done = ask(panel, Finish(request_id=rid(), ticket_id=issued.ticket.id, note="OK"), PanelReply)
    assert done.ok and done.assignment.ticket is None
    assert assignments.next(lambda t, m: m.ticket is None).window == "1"
    with site.hub.sessions() as session:
        ticket = session.get(QueueTicket, issued.ticket.id)
        assert ticket is not None and ticket.state == "done"
        task = session.get(Task, ticket.task_id)
        assert task is not None
        status = session.get(TaskStatus, task.status_id)
        assert status is not None and status.code == "done"
        printed = session.scalar(select(PrintJob).where(PrintJob.ticket_id == ticket.id))
        assert printed is not None and printed.state == "printed"
        device = session.get(Device, "display-1")
        assert device is not None and device.online and device.version == "test"


def test_a_burst_of_tickets_ends_with_the_whole_line_on_the_board(site: Site) -> None:
    """The board is drawn at most every BOARD_EVERY seconds: the last drawing still comes, with
    nothing after the burst to wake the sender, and no drawing is older than one before it."""
    service = make_service(site, "Паспорти", [])
    kiosk = site.device("kiosk-2", "kiosk")
    display = site.device("display-1", "display")
    shown = Inbox()
    display.subscribe(topics.display_board("main"), shown, wait=WAIT)
    burst = 15
    for n in range(burst):
        issued = ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply)
        assert issued.ok and issued.ticket.position == n + 1
    seen: list[int] = []

    def whole_line(_topic: str, board: Any) -> bool:
        seen.append(board.waiting.get(service, 0))
        return seen[-1] == burst

    board = shown.next(whole_line)
    assert board.waiting == {service: burst}
    assert seen == sorted(seen)  # never a step back
    # Quiet now: nothing more is drawn.
    time.sleep(3 * BOARD_EVERY)
    assert shown.items.empty()


def test_no_show_transfer_and_a_kiosk_without_printer(site: Site) -> None:
    passports = make_service(site, "Паспорти", ["olena"])
    taxes = make_service(site, "Податки", ["petro"])
    kiosk = site.device("kiosk-2", "kiosk")
    one, two = site.device("panel-1", "panel"), site.device("panel-2", "panel")
    login(one, "olena")
    login(two, "petro")
    first = ask(kiosk, IssueTicket(request_id=rid(), service_id=passports), KioskReply)
    second = ask(kiosk, IssueTicket(request_id=rid(), service_id=passports), KioskReply)
    assert first.ticket.printed is False  # this kiosk has no printer

    got = ask(one, SetStatus(request_id=rid(), status="free"), PanelReply).assignment
    assert got.ticket.id == first.ticket.id
    gone = ask(one, NoShow(request_id=rid(), ticket_id=first.ticket.id), PanelReply)
    assert gone.ok and gone.assignment.ticket is None

    # Petro waits (free, nothing in his line); Olena sends the second visitor to him.
    idle = ask(two, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert idle.ok and idle.assignment.ticket is None and idle.operator.status == "free"
    assert ask(
        one, SetStatus(request_id=rid(), status="free"), PanelReply
    ).assignment.ticket.id == (second.ticket.id)
    moved = ask(
        one,
        Transfer(request_id=rid(), ticket_id=second.ticket.id, target_service_id=taxes),
        PanelReply,
    )
    assert moved.ok
    with site.hub.sessions() as session:
        states = dict(session.execute(select(QueueTicket.id, QueueTicket.state)).all())
        ticket = session.get(QueueTicket, second.ticket.id)
        assert ticket is not None and (ticket.project_id, ticket.window) == (taxes, "2")
    assert states[first.ticket.id] == "no_show" and states[second.ticket.id] == "called"

    # An operator cannot act on another's ticket; logout is refused while serving.
    theirs = ask(one, Finish(request_id=rid(), ticket_id=second.ticket.id), PanelReply)
    assert not theirs.ok and theirs.error.code == "queue_not_your_ticket"
    busy = ask(two, Logout(request_id=rid()), PanelReply)
    assert not busy.ok and busy.error.code == "queue_operator_has_ticket"
    assert ask(two, Finish(request_id=rid(), ticket_id=second.ticket.id), PanelReply).ok
    assert ask(two, Logout(request_id=rid()), PanelReply).ok
    after = ask(two, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert not after.ok and after.error.code == "panel_not_logged_in"
    assert "увійшов" in after.error.message  # Ukrainian for a panel nobody is logged in at


@pytest.mark.parametrize("rule", ["walk_in", "expire"])
def test_bookings_checked_in_early_on_time_and_late(site: Site, rule: str) -> None:
    service = make_service(site, "Консультація", ["olena"])
    with transaction(site.hub.sessions) as session:
        update_global(session, {"queue": {"late_booking_rule": rule}})
    tomorrow = site.now[0].astimezone(site.hub.settings.tz).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), site.hub.settings.tz) + timedelta(
        hours=8
    )
    site.now[0] = start
    codes = []
    with transaction(site.hub.sessions) as session:
        for minutes in (40, 60, 70):
            booked = queue_tickets.create_booking(
                session,
                site.ctx(),
                service_id=service,
                booked_at=start + timedelta(minutes=minutes),
            )
            codes.append(booked.booking_code)
    kiosk = site.device("kiosk-2", "kiosk")
    too_early = ask(kiosk, CheckIn(request_id=rid(), booking_code=codes[0]), KioskReply)
    assert not too_early.ok and too_early.error.code == "queue_booking_too_early"
    site.now[0] = start + timedelta(minutes=15)  # 25 minutes early: inside the 30-minute window
    early = ask(kiosk, CheckIn(request_id=rid(), booking_code=codes[0]), KioskReply)
    assert early.ok
    site.now[0] = start + timedelta(minutes=60)
    on_time = ask(kiosk, CheckIn(request_id=rid(), booking_code=codes[1]), KioskReply)
    assert on_time.ok and on_time.ticket.position == 2
    site.now[0] = start + timedelta(minutes=85)  # 15 minutes late: the window was 10
    late = ask(kiosk, CheckIn(request_id=rid(), booking_code=codes[2], lang="en"), KioskReply)
    if rule == "walk_in":
        assert late.ok and late.ticket.position == 3
    else:
        assert not late.ok and late.error.code == "queue_booking_too_late"
        assert "09:20" in late.error.message


def test_a_duplicate_request_returns_the_first_answer_and_changes_nothing(site: Site) -> None:
    service = make_service(site, "Паспорти", ["olena"])
    kiosk = site.device("kiosk-2", "kiosk")
    request = IssueTicket(request_id=rid(), service_id=service)
    first = ask(kiosk, request, KioskReply)
    second = ask(kiosk, request, KioskReply)
    assert first == second and first.ok
    panel = site.device("panel-1", "panel")
    login(panel, "olena")
    press = SetStatus(request_id=rid(), status="free")
    got = ask(panel, press, PanelReply)
    assert ask(panel, press, PanelReply) == got and got.assignment.ticket.id == first.ticket.id
    with site.hub.sessions() as session:
        assert session.scalar(select(func.count()).select_from(QueueTicket)) == 1
        assert session.scalar(select(func.count()).select_from(Task)) == 1
        assert session.get(DeviceRequest, str(request.request_id)) is not None


def test_bad_messages_are_rejected_logged_and_the_hub_keeps_serving(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service(site, "Паспорти", [])
    kiosk = site.device("kiosk-2", "kiosk")
    replies: queue.Queue[dict[str, Any]] = queue.Queue()
    kiosk.subscribe_raw(
        topics.kiosk_reply("main", "kiosk-2"),
        lambda topic, payload: replies.put(json.loads(payload)),
        wait=WAIT,
    )
    req = topics.kiosk_req("main", "kiosk-2")
    cases = {
        "bad_json": b"{not json",
        "unknown_field": json.dumps(
            {"v": 1, "type": "list_services", "request_id": str(rid()), "colour": "red"}
        ).encode(),
        "wrong_version": json.dumps(
            {"v": 2, "type": "list_services", "request_id": str(rid())}
        ).encode(),
        "invalid": json.dumps(
            {"v": 1, "type": "issue_ticket", "request_id": str(rid()), "service_id": "one"}
        ).encode(),
    }
    raw = kiosk._client  # the device client only sends valid messages, so go underneath it
    for payload in cases.values():
        raw.publish(req, payload, qos=1)
    answered = [replies.get(timeout=WAIT) for _ in range(3)]  # bad JSON has no request_id
    assert sorted(r["error"]["code"] for r in answered) == [
        "invalid",
        "unknown_field",
        "wrong_version",
    ]
    assert all(r["ok"] is False for r in answered)
    # A kiosk's credentials cannot speak on a panel's topic (the broker drops it).
    raw.publish(topics.panel_req("main", "panel-1"), cases["invalid"], qos=1)
    # A topic of a device that is not registered (only the hub itself could send it).
    site.coordinator.handle(
        topics.kiosk_req("main", "ghost"),
        json.dumps({"v": 1, "type": "list_services", "request_id": str(rid())}).encode(),
    )
    # A panel's topic used for kiosk requests is refused by role.
    site.coordinator.handle(
        topics.panel_req("main", "kiosk-2"),
        json.dumps({"v": 1, "type": "logout", "request_id": str(rid())}).encode(),
    )
    still = ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply)
    assert still.ok and still.ticket.number == "001"
    log = caplog.text
    for code in ("bad_json", "unknown_field", "wrong_version", "invalid", "device_unknown"):
        assert code in log
    assert "device_wrong_role" in log or "device_unknown" in log


def test_login_password_never_reaches_the_log(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    make_service(site, "Паспорти", ["olena"])
    panel = site.device("panel-1", "panel")
    login(panel, "olena")
    raw = panel._client
    raw.publish(
        topics.panel_req("main", "panel-1"),
        json.dumps(
            {
                "v": 1,
                "type": "login",
                "request_id": str(rid()),
                "username": "olena",
                "password": "secret-in-a-bad-message",
                "extra": 1,
            }
        ).encode(),
        qos=1,
    )
    deadline = time.monotonic() + WAIT
    while site.coordinator.rejected == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert site.coordinator.rejected >= 1
    assert PASSWORD not in caplog.text and "secret-in-a-bad-message" not in caplog.text


def device_row(site: Site, device_id: str, until: Callable[[Device], bool]) -> Device:
    """The registry row of ``device_id`` once ``until`` holds for it (the hub works in between)."""
    deadline = time.monotonic() + WAIT
    while True:
        with site.hub.sessions() as session:
            device = session.get(Device, device_id)
            if device is not None and until(device):
                return device
        assert time.monotonic() < deadline, f"{device_id} never reached the expected state"
        time.sleep(0.02)


def test_device_state_is_tracked(site: Site) -> None:
    display = site.device("display-1", "display")
    assert device_row(site, "display-1", lambda d: d.online).version == "test"
    display.close()
    device_row(site, "display-1", lambda d: not d.online)
    # Faults (paper out...) are kept for the administrator.
    printer = site.device("printer-1", "printer")
    printer.set_faults([Fault(code="paper_out", message="Немає паперу")])
    faulty = device_row(site, "printer-1", lambda d: bool(d.faults))
    assert faulty.faults == [{"code": "paper_out", "message": "Немає паперу"}]


def test_free_at_a_panel_brings_a_checked_in_booking_with_its_booked_time(site: Site) -> None:
    # The reply carries the assignment as the panel's topic does (times as JSON text); a booked
    # time once made the reply fail validation and the operator saw an internal error.
    service = make_service(site, "Консультація", ["olena"])
    booked_at = site.now[0] + timedelta(minutes=10)
    with transaction(site.hub.sessions) as session:
        booked = queue_tickets.create_booking(
            session, site.ctx(), service_id=service, booked_at=booked_at
        )
    kiosk = site.device("kiosk-2", "kiosk")
    checked = ask(kiosk, CheckIn(request_id=rid(), booking_code=booked.booking_code), KioskReply)
    assert checked.ok, checked.error
    panel = site.device("panel-1", "panel")
    login(panel, "olena")
    got = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert got.ok, got.error
    assert got.assignment.ticket.id == checked.ticket.id
    assert got.assignment.ticket.booked_at == booked_at
