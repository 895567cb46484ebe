"""The panel's view-model without Kivy or a hub: resending, refusing, texts; and its config.

The sender here records requests and lets the test answer them, which is how the model's
retry rules (same request_id after a timeout, nothing while the link is down) are pinned down;
the same rules against the real hub are in test_panel_app.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from firmware_config.device_config import DeviceConfig, DeviceConfigError, MqttConfig
from hub.protocol.base import ClientInfo, Request
from hub.protocol.cards import CardEvent, CardTask, ClientCard, OperatorPresence, PanelOperators
from hub.protocol.devices import DisplayBoard
from hub.protocol.messages import (
    AssignedTicket,
    OperatorInfo,
    PanelAssignment,
    PanelReply,
    Start,
)
from operator_panel import cli
from operator_panel.app import catalogue
from operator_panel.settings import load_settings, screen_size
from operator_panel.viewmodel import OnFailure, OnReply, PanelModel
from tests.office_time import utc_system  # noqa: F401


class Wire:
    """A fake link: keeps each request with its callbacks until the test answers it."""

    def __init__(self) -> None:
        self.calls: list[tuple[Request, OnReply, OnFailure]] = []

    def __call__(self, request: Request, ok: OnReply, fail: OnFailure) -> None:
        self.calls.append((request, ok, fail))

    def answer(self, **fields: object) -> None:
        request, ok, _ = self.calls[-1]
        ok(PanelReply.model_validate({"request_id": request.request_id, "ok": True, **fields}))

    def time_out(self) -> None:
        self.calls[-1][2]("timeout")


def serving_model(wire: Wire, lang: str = "uk") -> PanelModel:
    model = PanelModel(texts=catalogue(), send=wire, window=2, name="Зал", lang=lang)
    model.connection_changed(True)
    model.operator = OperatorInfo(username="olena", status="busy")
    model.assignment_received(
        PanelAssignment(
            ticket=AssignedTicket(id=7, number="A-007", service_id=3, waited_s=3725),
            task_id=9,
            window="2",
            status="busy",
        )
    )
    return model


def test_a_timed_out_request_is_resent_with_the_same_id_then_given_up() -> None:
    wire = Wire()
    model = serving_model(wire)
    model.done("ok")
    model.done("ok")  # a second press while the first is out
    assert len(wire.calls) == 1
    first = wire.calls[0][0]
    wire.time_out()
    assert len(wire.calls) == 2 and wire.calls[1][0] is first
    assert "спроба 2" in (model.view().notice or "")
    wire.time_out()
    wire.time_out()
    assert len(wire.calls) == 3  # max_attempts = 3
    assert not model.busy and model.view().notice_is_error
    assert model.view().notice == "Хаб не відповів. Перевірте зв'язок і спробуйте ще раз."


def test_nothing_is_sent_while_down_and_a_cut_request_goes_again_on_reconnect() -> None:
    wire = Wire()
    model = serving_model(wire)
    model.recall()
    model.connection_changed(False)
    view = model.view()
    assert view.banner and view.ticket is not None and view.ticket.number == "A-007"
    assert not any(button.enabled for button in view.actions.values())
    wire.time_out()  # the link gave up waiting while the broker was away
    assert len(wire.calls) == 1
    model.set_status("free")  # ignored: no connection, and a request is pending
    assert len(wire.calls) == 1
    model.connection_changed(True)
    assert len(wire.calls) == 2 and wire.calls[1][0] is wire.calls[0][0]
    wire.answer(operator={"username": "olena", "status": "busy"})
    assert model.view().notice == "Відвідувача A-007 покликано ще раз."


def test_auto_next_asks_for_the_next_visitor_after_done() -> None:
    wire = Wire()
    model = serving_model(wire, lang="en")
    model.toggle_auto_next()
    model.done()
    wire.answer(
        operator={"username": "olena", "status": "busy"},
        assignment={"v": 1, "ticket": None, "window": "2", "status": "busy"},
    )
    assert [type(call[0]).__name__ for call in wire.calls] == ["Finish", "SetStatus"]
    assert getattr(wire.calls[1][0], "status", None) == "free"


def test_texts_of_the_serving_screen_in_both_languages() -> None:
    wire = Wire()
    uk, en = serving_model(wire), serving_model(wire, lang="en")
    assert uk.view().ticket.details[0] == "Чекав(-ла): 1 год 2 хв"  # type: ignore[union-attr]
    assert en.view().ticket.details[0] == "Waited: 1 h 2 min"  # type: ignore[union-attr]
    assert en.view().ticket.service == "Service 3"  # type: ignore[union-attr]  # not told yet
    assert uk.status_text("lunch") == "lunch"  # a status nobody named shows its code
    assert catalogue().missing("en") == []


def test_a_caller_on_the_line_is_marked_with_their_number() -> None:
    for lang, said in (("uk", "Абонент на лінії"), ("en", "A caller on the line")):
        model = serving_model(Wire(), lang=lang)
        model.assignment_received(
            PanelAssignment(
                ticket=AssignedTicket(
                    id=8, number="A-008", service_id=3, caller=True,
                    client=ClientInfo(phone="0501110001"),
                ),
                task_id=10, window="2", status="busy",
            )
        )  # fmt: skip
        details = model.view().ticket.details  # type: ignore[union-attr]
        assert details[0].startswith(said)
        assert any("0501110001" in line for line in details)


# What the hub sends after login (OperatorInfo): the operator's language, their statuses in that
# language and in the hub's order (a user-defined one among them), the services they work in.
OPERATOR = {
    "username": "olena",
    "status": "break",
    "lang": "en",
    "statuses": [
        {"code": "free", "name": "Free", "color": "#2e7d32"},
        {"code": "lunch", "name": "Lunch", "color": "#6a1b9a"},
        {"code": "busy", "name": "Busy", "color": "#c62828"},
        {"code": "break", "name": "Break"},
    ],
    "services": [{"id": 3, "name": "Passports"}, {"id": 5, "name": "Permits"}],
}
BOARD = DisplayBoard(
    waiting={3: 2, 4: 7, 5: 0}, names={3: "Passports", 4: "Certificates", 5: "Permits"}
)


def logged_in(wire: Wire) -> PanelModel:
    model = PanelModel(texts=catalogue(), send=wire, window=2, name="Зал", lang="uk")
    model.connection_changed(True)
    model.board_received(BOARD)
    model.login("olena", "secret")
    wire.answer(
        operator=OPERATOR,
        assignment={"v": 1, "ticket": None, "window": "2", "status": "break"},
    )
    return model


def test_login_brings_the_operators_language_statuses_and_services() -> None:
    wire = Wire()
    model = logged_in(wire)
    view = model.view()
    assert model.lang == "en" and view.screen == "work"
    assert view.idle == "No visitor" and view.status == "Status: Break"
    assert [(code, b.text, b.color, b.current) for code, b in view.statuses] == [
        ("free", "Free", "#2e7d32", False),
        ("lunch", "Lunch", "#6a1b9a", False),
        ("busy", "Busy", "#c62828", False),
        ("break", "Break", None, True),
    ]
    # Only the operator's services are counted; every service is a transfer target.
    assert view.waiting == ["Passports: 2", "Permits: 0"]
    assert [b.text for _, b in view.transfer_services] == [
        "Same service",
        "Passports",
        "Certificates",
        "Permits",
    ]
    model.set_status("lunch")
    assert getattr(wire.calls[-1][0], "status", None) == "lunch"
    wire.answer(operator={**OPERATOR, "status": "lunch"})
    assert model.view().status == "Status: Lunch"

    # The language button still switches; the standard names then come from the catalogue,
    # a user-defined status keeps the hub's name (it has no other).
    model.toggle_lang()
    view = model.view()
    assert model.lang == "uk" and view.idle == "Відвідувача немає"
    assert [b.text for _, b in view.statuses] == ["Вільний", "Lunch", "Зайнятий", "Перерва"]

    model.logout()
    wire.answer(operator={"username": "olena", "status": "offline"})
    view = model.view()
    assert view.screen == "login" and model.lang == "uk"
    assert [code for code, _ in view.statuses] == ["free", "busy", "break", "offline"]
    assert view.waiting == ["Passports: 2", "Certificates: 7", "Permits: 0"]


def test_before_login_the_standard_statuses_and_every_service_are_shown() -> None:
    model = PanelModel(texts=catalogue(), send=Wire(), window=2, name="Зал")
    model.connection_changed(True)
    view = model.view()
    assert [(b.text, b.color) for _, b in view.statuses] == [
        ("Вільний", None),
        ("Зайнятий", None),
        ("Перерва", None),
        ("Поза роботою", None),
    ]
    assert view.waiting == ["Нікого немає"]
    model.board_received(BOARD)
    assert model.view().waiting == ["Passports: 2", "Certificates: 7", "Permits: 0"]


def test_visitor_came_starts_serving_and_leaves_only_done_and_transfer() -> None:
    wire = Wire()
    model = logged_in(wire)
    model.assignment_received(
        PanelAssignment(
            ticket=AssignedTicket(
                id=7, number="A-007", service_id=3, state="called", service_name="Паспорти"
            ),
            window="2",
            status="busy",
        )
    )
    view = model.view()
    assert view.ticket is not None and view.ticket.service == "Паспорти"
    assert view.ticket.state == "Called: waiting for the visitor to come"
    assert not view.ticket.serving
    assert all(b.enabled for b in view.actions.values())
    assert view.actions["start"].text == "Visitor came"
    model.set_lang("uk")
    assert model.view().actions["start"].text == "Відвідувач підійшов"
    model.set_lang("en")

    model.start()
    request = wire.calls[-1][0]
    assert isinstance(request, Start) and request.ticket_id == 7
    wire.answer(
        operator={**OPERATOR, "status": "busy"},
        assignment={
            "v": 1,
            "ticket": {"id": 7, "number": "A-007", "service_id": 3, "state": "serving"},
            "window": "2",
            "status": "busy",
        },
    )
    view = model.view()
    assert view.notice == "Visitor A-007 came: serving started."
    assert view.ticket is not None and view.ticket.serving
    assert view.ticket.service == "Passports"  # the board's name when the ticket has none
    assert view.ticket.state == "The visitor is at the window: serving"
    assert {key: b.enabled for key, b in view.actions.items()} == {
        "start": False,
        "recall": False,
        "no_show": False,
        "transfer": True,
        "done": True,
    }
    model.start()
    model.recall()
    assert len(wire.calls) == 3  # login, start: pressing a disabled action sends nothing


def test_login_checks_what_was_typed_before_sending() -> None:
    wire = Wire()
    model = PanelModel(texts=catalogue(), send=wire, window=1, name="Зал")
    model.connection_changed(True)
    model.login("", "x")
    assert model.view().notice == "Введіть ім'я користувача."
    model.toggle_pin()
    model.login("olena", "12a")
    assert model.view().notice == "PIN-код — це від 4 до 12 цифр."
    model.login("olena", "1234")
    assert len(wire.calls) == 1 and getattr(wire.calls[0][0], "pin", None) == "1234"
    wire.calls[0][1](
        PanelReply.model_validate(
            {
                "request_id": wire.calls[0][0].request_id,
                "ok": False,
                "error": {"code": "panel_pin_unsupported", "message": "Введіть пароль."},
            }
        )
    )
    assert model.view().screen == "login" and model.view().notice == "Введіть пароль."


def _config(**settings: object) -> DeviceConfig:
    return DeviceConfig(
        device_id="panel-1",
        role="panel",
        site="main",
        name="Вікно 1",
        window=1,
        mqtt=MqttConfig(host="127.0.0.1", username="panel-1", password=SecretStr("x")),
        settings=settings,
    )


def test_settings_are_validated_with_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert load_settings(_config(auto_next=True)).auto_next
    with pytest.raises(DeviceConfigError, match=r"^settings\.autonext: Extra inputs"):
        load_settings(_config(autonext=True))
    assert screen_size(_config()) == (1280, 800)
    path = tmp_path / "panel.toml"
    path.write_text(
        'device_id = "panel-1"\nrole = "panel"\nsite = "main"\nname = "В"\nwindow = 1\n'
        '[mqtt]\nhost = "127.0.0.1"\nusername = "panel-1"\npassword = "x"\n'
        "[settings]\nrequest_timeout_s = 0.1\n",
        encoding="utf-8",
    )
    assert cli.main(["run", "--config", str(path), "--validate-config"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "settings.request_timeout_s" in err


def _card_model(lang: str) -> PanelModel:
    model = serving_model(Wire(), lang)
    assert model.assignment is not None and model.assignment.ticket is not None
    moment = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    card = ClientCard(
        client_id=4,
        name="ТОВ «Зелений Гай»",
        contact="Ігор Шевчук",
        contact_phone="+380501234567",
        events=[CardEvent(at=moment, type="Вхідний дзвінок", subject="Ліцензія")],
        tasks=[
            CardTask(id=1, due=moment, title="Договір", state="Прострочена", overdue=True),
            CardTask(id=2, due=moment, title="Оплата", state="Призначена"),
        ],
    )
    ticket = model.assignment.ticket.model_copy(
        update={"card": card, "client": ClientInfo(name="Ігор", phone="+380501234567")}
    )
    model.assignment_received(model.assignment.model_copy(update={"ticket": ticket}))
    return model


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_client_card_names_the_client_and_lists_events_and_tasks(lang: str) -> None:
    model = _card_model(lang)
    ticket = model.view().ticket
    assert ticket is not None and ticket.card is not None
    client, contact = ("Клієнт", "Контакт") if lang == "uk" else ("Client", "Contact")
    # The CRM's client replaces the visitor's own words; the contact carries the phone.
    assert ticket.details[:2] == [
        f"{client}: ТОВ «Зелений Гай»",
        f"{contact}: Ігор Шевчук, +380501234567",
    ]
    assert not any(line.split(": ")[-1] == "Ігор" for line in ticket.details)
    day = datetime(2026, 11, 20, 10, 0, tzinfo=UTC).astimezone().strftime("%d.%m.%y")
    assert [row.text for row in ticket.card.events] == [f"{day} · Вхідний дзвінок · Ліцензія"]
    due = "до" if lang == "uk" else "due"
    assert [(row.text, row.warn) for row in ticket.card.tasks] == [
        (f"{due} {day} · Договір · Прострочена", True),
        (f"{due} {day} · Оплата · Призначена", False),
    ]
    assert ticket.card.events_heading == ("Останні події" if lang == "uk" else "Recent events")
    assert model.more("Події", 3, 5) == ("Події (3 з 5)" if lang == "uk" else "Події (3 of 5)")


def test_a_client_without_history_says_so() -> None:
    model = _card_model("en")
    assert model.assignment is not None and model.assignment.ticket is not None
    bare = ClientCard(client_id=4, name="Solo")
    ticket = model.assignment.ticket.model_copy(update={"card": bare})
    model.assignment_received(model.assignment.model_copy(update={"ticket": ticket}))
    view = model.view().ticket
    assert view is not None and view.card is not None
    assert [r.text for r in view.card.events] == ["No events"]
    assert [r.text for r in view.card.tasks] == ["No open tasks"]
    assert view.details[0] == "Client: Solo" and "Phone: +380501234567" in view.details


def test_the_other_operators_show_while_enabled_and_go_when_cleared_or_logged_out() -> None:
    wire = Wire()
    model = serving_model(wire)
    assert model.view().others is None  # nothing pushed yet
    people = [
        OperatorPresence(
            username="petro",
            name="Петро",
            status="busy",
            status_name="Зайнятий",
            color="#c62828",
            window="1",
            ticket="Б-017",
        ),
        OperatorPresence(username="maria", name="Марія", status="free", status_name="Вільний"),
    ]
    model.operators_received(PanelOperators(enabled=True, operators=people, total=3))
    others = model.view().others
    assert others is not None and others.heading == "Інші оператори"
    assert [row.text for row in others.rows] == [
        "1 · Петро · Зайнятий · Б-017",
        "— · Марія · Вільний",
        "…і ще 1",
    ]
    assert others.rows[0].color == "#c62828"
    model.connection_changed(False)  # stale while the hub is away: not shown
    assert model.view().others is None
    model.connection_changed(True)
    assert model.view().others is not None
    model.operators_received(PanelOperators(enabled=True))
    others = model.view().others
    assert others is not None and [r.text for r in others.rows] == ["Більше нікого на роботі"]
    model.operators_received(PanelOperators(enabled=False))
    assert model.view().others is None
    model.operators_received(PanelOperators(enabled=True, operators=people, total=2))
    model.logout()
    wire.answer()
    assert model.others is None and model.view().others is None


@pytest.mark.usefixtures("utc_system")
def test_times_are_the_offices_whatever_the_panels_zone() -> None:
    # Booked for 00:30 UTC on a winter night: 02:30 in Kyiv, the day after 23:59 UTC there.
    model = serving_model(Wire())
    assert model.assignment is not None and model.assignment.ticket is not None
    night = datetime(2026, 12, 5, 23, 59, tzinfo=UTC)
    card = ClientCard(client_id=4, name="Solo", events=[CardEvent(at=night, type="Лист")])
    ticket = model.assignment.ticket.model_copy(
        update={"booked_at": datetime(2026, 12, 6, 0, 30, tzinfo=UTC), "card": card}
    )
    model.assignment_received(model.assignment.model_copy(update={"ticket": ticket}))

    def shown() -> tuple[str, str]:
        view = model.view().ticket
        assert view is not None and view.card is not None
        booked = next(line for line in view.details if line.startswith("Запис на"))
        return booked, view.card.events[0].text

    assert shown() == ("Запис на 00:30", "05.12.26 · Лист")  # no zone known: the system's
    model.board_received(DisplayBoard(tz="Europe/Kyiv"))
    assert shown() == ("Запис на 02:30", "06.12.26 · Лист")
    # The config's zone serves until a board names one.
    configured = PanelModel(
        texts=catalogue(), send=Wire(), window=2, name="Зал", timezone="Europe/Kyiv"
    )
    assert configured.zone == model.zone
