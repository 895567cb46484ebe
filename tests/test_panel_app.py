"""The operator panel end to end: real widgets offscreen, the real hub, Mosquitto and database.

Each test builds its own panel(s) on the shared Kivy window, presses real buttons, steps the
event loop until the screen shows the outcome, and checks what the hub recorded.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from kivy.base import EventLoop
from kivy.core.window import Window
from sqlalchemy import select
from sqlalchemy.orm import Session

from firmware_config.device_config import DeviceConfig
from hub.db.engine import transaction
from hub.db.models import (
    Client,
    Contact,
    ContactPhone,
    DeviceRequest,
    Event,
    EventType,
    Task,
    TaskStatus,
    User,
    UserStatus,
)
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.protocol import topics
from hub.protocol.client import DeviceClient
from hub.protocol.messages import IssueTicket, KioskReply
from hub.services.settings.parameters import update_user_parameters
from operator_panel.app import PanelRoot, PanelRuntime
from operator_panel.settings import PanelSettings
from tests.test_coordinator import (  # noqa: F401
    PASSWORD,
    Inbox,
    Site,
    ask,
    make_service,
    rid,
    site,
    use_statuses,
)

WAIT = 10.0


class Panel:
    """One panel on the shared window: its runtime, its root widget and handy presses."""

    def __init__(self, where: Site, device: str, **settings: Any) -> None:
        config = DeviceConfig(
            device_id=device,
            role="panel",
            site="main",
            name=f"Панель {device}",
            window=int(device.rsplit("-", 1)[1]),
            mqtt=where.mqtt_config(device),
        )
        self.runtime = PanelRuntime(config, PanelSettings(**settings))
        self.model = self.runtime.model
        self.root = PanelRoot(self.model, (1280, 800))
        self.root.size_hint = (None, None)
        self.root.size = (1280, 800)
        Window.add_widget(self.root)
        self.runtime.start()

    def close(self) -> None:
        self.runtime.close()
        Window.remove_widget(self.root)

    def press(self, widget: Any) -> None:
        # A button is off while the panel waits for the hub's answer to the one before (a
        # recall's reply may come just after the assignment it changed): wait as a person would;
        # one that never comes back on fails here.
        pump(lambda: not widget.disabled)
        widget.trigger_action(duration=0)

    def login(self, username: str, password: str = PASSWORD) -> None:
        pump(lambda: self.model.connected)
        self.root.login.username.text = username
        self.root.login.secret.text = password
        self.press(self.root.login.submit)
        pump(lambda: self.model.operator is not None or self.model.view().notice_is_error)

    def free(self) -> None:
        self.press(self.root.work.status_buttons["free"])

    def action(self, key: str) -> None:
        self.press(self.root.work.actions[key])

    @property
    def shown_number(self) -> str:
        return str(self.root.work.number.text)

    def settled(self) -> bool:
        return not self.model.busy


def pump(until: Callable[[], bool], timeout: float = WAIT) -> None:
    """Step Kivy's event loop (which runs the link's callbacks) until ``until()`` holds."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError("the panel did not get there in time")
        EventLoop.idle()
        time.sleep(0.005)


@pytest.fixture
def panels(site: Site) -> Iterator[Callable[..., Panel]]:  # noqa: F811
    EventLoop.ensure_window()
    made: list[Panel] = []

    def make(device: str = "panel-1", **settings: Any) -> Panel:
        panel = Panel(site, device, **settings)
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.close()


def issue(kiosk: DeviceClient, service: int, name: str | None = None) -> int:
    client = {"client": {"name": name, "phone": "+380501112233"}} if name else {}
    reply = ask(
        kiosk,
        IssueTicket.model_validate({"request_id": rid(), "service_id": service, **client}),
        KioskReply,
    )
    assert reply.ok, reply.error
    return int(reply.ticket.id)


def ticket_row(where: Site, ticket_id: int) -> QueueTicket:
    with where.hub.sessions() as session:
        row = session.get(QueueTicket, ticket_id)
        assert row is not None
        session.expunge(row)
        return row


def task_status(where: Site, task_id: int) -> tuple[str, str]:
    with where.hub.sessions() as session:
        task = session.get(Task, task_id)
        assert task is not None
        status = session.get(TaskStatus, task.status_id)
        assert status is not None
        return status.code, task.content or ""


def test_login_free_recall_done_and_no_show(site: Site, panels: Callable[..., Panel]) -> None:  # noqa: F811
    service = make_service(site, "Паспорти", ["olena"])
    other = make_service(site, "Довідки", ["petro"])  # olena is not in its work group
    use_statuses(site, "olena")
    kiosk = site.device("kiosk-2", "kiosk")
    display = site.device("display-1", "display")
    shown = Inbox()
    display.subscribe(topics.display_announce("main"), shown, wait=WAIT)
    first = issue(kiosk, service, "Ігор")
    second = issue(kiosk, service)
    issue(kiosk, other)
    panel = panels("panel-1")

    assert panel.root.body.children[0] is panel.root.login
    panel.login("olena")
    assert panel.root.body.children[0] is panel.root.work
    assert "Вікно 1" in panel.root.title.text and "olena" in panel.root.title.text
    assert panel.root.work.status.text == "Статус: Перерва"
    # The hub's statuses in its order, named in Ukrainian (the operator's language).
    assert list(panel.root.work.status_buttons)[:4] == ["free", "busy", "break", "offline"]
    assert panel.root.work.status_buttons["offline"].text == "Не в мережі"
    pump(lambda: panel.root.work.waiting.text == "Паспорти: 2")  # only olena's service

    panel.free()
    pump(lambda: panel.shown_number == "001")
    assert panel.root.work.service.text == "Паспорти"
    assert "Клієнт: Ігор" in panel.root.work.details.text
    assert "Паспорти" in panel.root.work.reason.text
    busy = panel.root.work.status_buttons["busy"]
    assert busy.underline and not panel.root.work.status_buttons["free"].underline
    assert busy.background_color == [0xC6 / 255, 0x28 / 255, 0x28 / 255, 1]  # SET-4's colour
    assert not panel.root.work.actions["done"].disabled
    call = shown.next()
    assert (call.number, call.window, call.recall) == ("001", "1", False)
    row = ticket_row(site, first)
    assert row.state == "called" and row.window == "1"

    panel.action("recall")
    again = shown.next()
    assert (again.number, again.recall) == ("001", True)
    pump(lambda: "Повторних викликів: 1" in panel.root.work.details.text)

    panel.root.work.note.text = "Паспорт видано"
    panel.action("done")
    pump(lambda: panel.model.assignment is not None and panel.model.assignment.ticket is None)
    pump(panel.settled)
    assert panel.root.work.number.text == "Відвідувача немає"
    assert panel.root.work.actions["done"].disabled
    assert panel.root.notice.text == "Відвідувача 001 обслуговано."
    assert panel.root.work.status.text == "Статус: Зайнятий"  # busy until Free again
    row = ticket_row(site, first)
    assert row.state == "done" and row.note == "Паспорт видано"
    assert row.task_id is not None
    code, content = task_status(site, row.task_id)
    assert code == "done" and "Паспорт видано" in content

    panel.free()
    pump(lambda: panel.shown_number == "002")
    panel.action("no_show")
    pump(lambda: panel.model.assignment is not None and panel.model.assignment.ticket is None)
    pump(panel.settled)
    row = ticket_row(site, second)
    assert row.state == "no_show"
    assert row.task_id is not None and task_status(site, row.task_id)[0] == "done"


def test_two_panels_pressing_free_together_get_different_tickets(
    site: Site,  # noqa: F811
    panels: Callable[..., Panel],
) -> None:
    service = make_service(site, "Довідки", ["olena", "petro"])
    kiosk = site.device("kiosk-2", "kiosk")
    tickets = [issue(kiosk, service) for _ in range(3)]
    one, two = panels("panel-1"), panels("panel-2")
    one.login("olena")
    two.login("petro")
    one.free()
    two.free()  # in the same frame: both requests are out before either reply is handled
    pump(lambda: one.shown_number.isdigit() and two.shown_number.isdigit())
    assert {one.shown_number, two.shown_number} == {"001", "002"}
    rows = [ticket_row(site, t) for t in tickets]
    assert sorted((r.state, r.window) for r in rows[:2]) == [("called", "1"), ("called", "2")]
    assert rows[0].operator_id != rows[1].operator_id
    assert rows[2].state == "waiting"


def test_a_double_press_sends_one_request_and_takes_one_ticket(
    site: Site,  # noqa: F811
    panels: Callable[..., Panel],
) -> None:
    service = make_service(site, "Довідки", ["olena"])
    kiosk = site.device("kiosk-2", "kiosk")
    tickets = [issue(kiosk, service) for _ in range(2)]
    panel = panels("panel-1")
    panel.login("olena")
    button = panel.root.work.status_buttons["free"]
    button.trigger_action(duration=0)
    button.trigger_action(duration=0)  # the second press lands before any reply
    assert button.disabled  # and the button shows it is waiting
    pump(lambda: panel.shown_number == "001")
    pump(panel.settled)
    frees = [r for r in panel.runtime.sent if getattr(r, "status", None) == "free"]
    assert len(frees) == 1
    with site.hub.sessions() as session:
        kinds = session.scalars(
            select(DeviceRequest.request_id).where(DeviceRequest.device_id == "panel-1")
        ).all()
    assert str(frees[0].request_id) in kinds
    assert len(kinds) == 2  # login and one Free
    assert [ticket_row(site, t).state for t in tickets] == ["called", "waiting"]


def test_auto_next_and_transfer(site: Site, panels: Callable[..., Panel]) -> None:  # noqa: F811
    passports = make_service(site, "Паспорти", ["olena"])
    permits = make_service(site, "Дозволи", ["olena"])
    certificates = make_service(site, "Довідки", ["petro"])
    kiosk = site.device("kiosk-2", "kiosk")
    first, second = issue(kiosk, passports), issue(kiosk, passports)
    issue(kiosk, permits)
    panel = panels("panel-1")
    panel.login("olena")
    panel.press(panel.root.work.auto_next)
    assert panel.model.auto_next
    panel.free()
    pump(lambda: panel.model.assignment is not None and panel.model.assignment.ticket is not None)
    held = panel.model.assignment.ticket  # type: ignore[union-attr]
    assert held is not None and held.id in (first, second)

    # Transfer the visitor to the other service with a reason.
    panel.action("transfer")
    pump(lambda: panel.root.transfer.parent is panel.root)
    dialog = panel.root.transfer
    target = permits if held.service_id == passports else passports
    # Every service is a target (named from the board), not only the operator's.
    names = {passports: "Паспорти", permits: "Дозволи", certificates: "Довідки"}
    assert {sid: b.text for sid, b in dialog.service_buttons.items() if sid is not None} == {
        sid: name for sid, name in names.items() if sid != held.service_id
    }
    panel.press(dialog.service_buttons[target])
    dialog.reason.text = "Потрібен дозвіл"
    panel.press(dialog.confirm)
    pump(lambda: panel.model.assignment is not None and panel.model.assignment.ticket is None)
    pump(panel.settled)
    assert panel.root.transfer.parent is None
    moved = ticket_row(site, held.id)
    assert moved.state == "waiting" and moved.project_id == target
    assert moved.transfer_reason == "Потрібен дозвіл"

    # Done with auto-next on brings the next visitor without pressing Free.
    panel.free()
    pump(lambda: panel.model.assignment is not None and panel.model.assignment.ticket is not None)
    number = panel.shown_number
    panel.action("done")
    pump(lambda: panel.shown_number.isdigit() and panel.shown_number != number)
    pump(panel.settled)
    assert panel.root.work.status.text == "Статус: Зайнятий"


def test_an_english_operator_with_an_own_status_and_a_visitor_who_came(
    site: Site,  # noqa: F811
    panels: Callable[..., Panel],
) -> None:
    service = make_service(site, "Паспорти", ["olena"])
    with transaction(site.hub.sessions) as session:
        user = session.scalars(select(User).where(User.username == "olena")).one()
        user.lang = "en"
        update_user_parameters(session, user.id, {"use_user_statuses": True})
        session.add(
            UserStatus(
                code="training",
                name_uk="Навчання",
                name_en="Training",
                color="#6a1b9a",
                sort_order=100,
            )
        )
    kiosk = site.device("kiosk-2", "kiosk")
    ticket = issue(kiosk, service)
    panel = panels("panel-1")
    work = panel.root.work
    assert panel.root.login.submit.text == "Увійти"  # the device's language until login

    panel.login("olena")
    assert work.status.text == "Status: Break" and work.waiting_heading.text == "Waiting"
    assert list(work.status_buttons) == ["free", "busy", "break", "offline", "training"]
    assert work.status_buttons["training"].text == "Training"
    panel.press(work.status_buttons["training"])
    pump(lambda: work.status.text == "Status: Training")
    with site.hub.sessions() as session:
        row = session.scalars(select(QueueOperator).where(QueueOperator.device_id == "panel-1"))
        assert row.one().status == "training"

    panel.free()
    pump(lambda: panel.shown_number == "001")
    assert work.service.text == "Паспорти"
    assert work.state.text == "Called: waiting for the visitor to come"
    panel.action("start")
    pump(lambda: work.state.text == "The visitor is at the window: serving")
    pump(panel.settled)
    assert ticket_row(site, ticket).state == "serving"
    assert panel.root.notice.text == "Visitor 001 came: serving started."
    assert [work.actions[key].disabled for key in ("start", "recall", "no_show")] == [True] * 3
    assert not work.actions["done"].disabled and not work.actions["transfer"].disabled

    panel.press(panel.root.lang)  # the operator may still switch
    assert work.actions["done"].text == "Готово"
    panel.action("done")
    pump(lambda: panel.shown_number == "Відвідувача немає")
    pump(panel.settled)
    assert ticket_row(site, ticket).state == "done"


def test_pin_login_is_refused_with_the_hubs_message(
    site: Site,  # noqa: F811
    panels: Callable[..., Panel],
) -> None:
    make_service(site, "Паспорти", ["olena"])
    panel = panels("panel-1")
    panel.press(panel.root.login.pin_toggle)
    assert panel.root.login.secret.hint_text == "PIN-код"
    panel.login("olena", "1234")
    assert panel.root.notice.text == "Вхід за PIN-кодом не налаштовано: введіть пароль."
    assert panel.root.body.children[0] is panel.root.login
    panel.press(panel.root.lang)
    assert panel.root.login.submit.text == "Log in"


def test_losing_the_hub_keeps_the_visitor_and_resynchronises(
    site: Site,  # noqa: F811
    panels: Callable[..., Panel],
) -> None:
    service = make_service(site, "Паспорти", ["olena"])
    kiosk = site.device("kiosk-2", "kiosk")
    issue(kiosk, service)
    issue(kiosk, service)
    panel = panels("panel-1")
    panel.login("olena")
    panel.free()
    pump(lambda: panel.shown_number == "001")
    pump(panel.settled)
    seen: list[tuple[bool, str, bool, bool, int]] = []

    def watch() -> None:
        view = panel.model.view()
        seen.append(
            (
                panel.model.connected,
                panel.shown_number,
                bool(view.banner),
                panel.root.work.status_buttons["free"].disabled,
                len(panel.runtime.sent),
            )
        )
        if not panel.model.connected:
            # Pressing Free while the link is down sends nothing.
            panel.root.work.status_buttons["free"].trigger_action(duration=0)
            panel.model.set_status("free")

    panel.model.on_change(watch)
    sent = len(panel.runtime.sent)
    paho = panel.runtime.link.client._client  # the real socket, cut as a network fault would
    paho.socket().shutdown(socket.SHUT_RDWR)
    pump(lambda: any(not up for up, *_ in seen))
    pump(lambda: panel.model.connected)
    down = [entry for entry in seen if not entry[0]]
    assert down and all(
        number == "001" and banner and disabled for _, number, banner, disabled, _ in down
    )
    assert panel.root.banner.height == 0 and panel.root.banner_label.text == ""
    assert len(panel.runtime.sent) == sent
    assert panel.shown_number == "001"
    assert not panel.root.work.actions["done"].disabled
    with site.hub.sessions() as session:
        called = session.scalars(select(QueueTicket.number).where(QueueTicket.state == "called"))
        assert list(called) == ["001"]


def test_screenshots_command_writes_every_screen(tmp_path: Any) -> None:
    import subprocess
    import sys

    from PIL import Image

    result = subprocess.run(
        [sys.executable, "-m", "hub.cli", "panel", "screenshots", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for screen in ("login", "idle", "called", "serving", "transfer", "offline"):
        for lang in ("uk", "en"):
            with Image.open(tmp_path / f"panel-{screen}-{lang}.png") as image:
                assert image.size == (1280, 800)
    for name in ("called", "serving", "login"):
        with Image.open(tmp_path / f"panel-{name}-portrait-uk.png") as image:
            assert image.size == (800, 1280)


def add_known_client(session: Session, now: datetime) -> None:
    """A client whose contact person Ігор Шевчук has the phone 050 111 22 33, with one recent
    incoming call: what the client card shows."""
    client = Client(name="ТОВ «Зелений Гай»")
    session.add(client)
    session.flush()
    contact = Contact(client_id=client.id, full_name="Ігор Шевчук")
    contact.phones = [ContactPhone(phone="050 111 22 33")]
    session.add(contact)
    call = session.scalars(select(EventType).where(EventType.code == "incoming_call")).one()
    session.add(
        Event(
            number="E-1",
            type_id=call.id,
            starts_at=now,
            client_id=client.id,
            content="Питання щодо ліцензії",
        )
    )


def test_the_card_of_a_known_client_and_the_other_operators_on_screen(
    site: Site,  # noqa: F811
    panels: Callable[..., Panel],
) -> None:
    service = make_service(site, "Паспорти", ["olena", "petro"])
    with transaction(site.hub.sessions) as session:
        add_known_client(session, site.now[0])
        olena = session.scalars(select(User).where(User.username == "olena")).one()
        update_user_parameters(session, olena.id, {"view_user_statuses": True})
    kiosk = site.device("kiosk-2", "kiosk")
    issue(kiosk, service, "Ігор")  # the phone +380501112233 is the contact's
    one, two = panels("panel-1"), panels("panel-2")
    one.login("olena")
    one.free()
    pump(lambda: one.model.assignment is not None and one.model.assignment.ticket is not None)
    pump(lambda: "ТОВ «Зелений Гай»" in one.root.work.details.text)
    assert "Контакт: Ігор Шевчук, 050 111 22 33" in one.root.work.details.text
    events = one.root.work.client_card.events
    assert events.heading.text == "Останні події"
    assert events.lines[0].text.endswith("Вхідний дзвінок · Питання щодо ліцензії")
    assert events.lines[0].opacity == 1
    assert one.root.work.client_card.opacity == 1
    # The other operator appears on Olena's panel as soon as he logs in, with his window.
    two.login("petro")
    others = one.root.work.others
    pump(lambda: others.list.lines[0].text == "2 · petro · Перерва")
    assert others.opacity == 1
    # Petro may not view statuses (the default): his panel lists nobody.
    assert two.root.work.others.opacity == 0 and two.model.view().others is None
    two.free()
    pump(lambda: "Вільний" in others.list.lines[0].text)
