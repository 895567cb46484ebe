"""The panel's phone as plain state: lines, duplicates and out-of-order reports, the last 10
incoming calls, the commands it sends and what the phone area shows (no Kivy, no MQTT)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from firmware_config.device_config import DeviceConfig, DeviceConfigError, MqttConfig
from hub.protocol.base import ErrorInfo, Request
from hub.protocol.cards import CardEvent, ClientCard
from hub.protocol.devices import DeviceState, PhoneCall, PhoneCmd, PhoneStatus
from hub.protocol.messages import CallerCard, PanelReply, PhoneBook, PhoneBookEntry
from operator_panel.app import catalogue
from operator_panel.phone_model import PhoneModel
from operator_panel.phone_recent import RECENT
from operator_panel.phone_view import build, timer
from operator_panel.settings import load_settings, phone_device

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
KYIV = ZoneInfo("Europe/Kyiv")
pytestmark = pytest.mark.timeout(30)


class Phone:
    """A PhoneModel with its commands and hub requests collected, on a clock the test moves."""

    def __init__(self) -> None:
        self.now = T0
        self.sent: list[PhoneCmd] = []
        self.asked: list[tuple[Request, Any, Any]] = []
        self.changes = 0
        self.model = PhoneModel(
            "phone-1",
            send=self.sent.append,
            ask=lambda request, ok, fail: self.asked.append((request, ok, fail)),
            notify=self._changed,
            clock=lambda: self.now,
        )
        self.model.connected = True
        self.texts = catalogue()

    def _changed(self) -> None:
        self.changes += 1

    def text(self, key: str, /, **params: object) -> str:
        return self.texts.text("en", key, **params)

    def view(self) -> Any:
        return build(self.model, self.text, KYIV)

    def report(self, call: str, state: str, seconds: float = 0, **more: Any) -> bool:
        fields = {"line": "1", "direction": "in", "remote": "+380501112233", **more}
        at = T0 + timedelta(seconds=seconds)
        message = PhoneCall.model_validate({"call_id": call, "state": state, "at": at, **fields})
        return self.model.call_received(message)


@pytest.fixture
def phone() -> Phone:
    return Phone()


def test_a_call_rings_is_answered_and_ends(phone: Phone) -> None:
    assert phone.report("c1", "ringing")
    view = phone.view()
    assert view.incoming is not None and view.incoming.number == "+380501112233"
    assert view.toggle.text == "Ringing!" and view.toggle_alert
    # The hub is asked once who calls; the window says it is looking.
    assert [type(r) for r, _, _ in phone.asked] == [CallerCard]
    assert view.incoming.note == "Looking up the client…"
    phone.model.answer("c1")
    assert [(c.type, c.call_id) for c in phone.sent] == [("answer", "c1")]
    assert phone.sent[0].request_id is not None
    assert not phone.view().incoming.accept.enabled  # waiting for the agent's report
    phone.model.answer("c1")  # a second press before the agent reported
    assert len(phone.sent) == 1
    phone.now = T0 + timedelta(seconds=2)
    assert phone.report("c1", "answered", 1)
    view = phone.view()
    assert view.incoming is None
    assert [(line.line, line.state, line.timer) for line in view.lines] == [
        ("1", "In call", "0:01")
    ]
    assert view.controls_call == "c1" and set(view.controls) == {"hold", "record", "hangup"}
    phone.now = T0 + timedelta(seconds=75)
    assert phone.view().lines[0].timer == "1:14"
    assert phone.view().toggle.text == "Call 1:14"
    phone.model.hangup("c1")
    assert phone.report("c1", "ended", 80, duration_s=79)
    assert phone.view().lines == [] and phone.model.recent[0].state == "answered"


def test_duplicates_and_out_of_order_reports_change_nothing(phone: Phone) -> None:
    assert phone.report("c1", "ringing")
    assert not phone.report("c1", "ringing")  # MQTT's at-least-once delivery
    assert phone.report("c1", "held", 10)  # arrived before "answered"
    assert not phone.report("c1", "answered", 5)  # older than what is known
    assert phone.model.calls["c1"].state == "held"
    assert not phone.report("c1", "ringing", 20)  # a held call does not ring again
    assert phone.report("c1", "answered", 30)
    assert phone.report("c1", "ended", 40)
    # An ended call stays ended, whatever arrives late or is replayed.
    assert not phone.report("c1", "answered", 50)
    assert not phone.report("c1", "ringing", 0)
    assert phone.model.calls == {}
    assert len(phone.model.recent) == 1


def test_a_final_report_for_an_unknown_call_and_a_lost_end(phone: Phone) -> None:
    assert phone.report("c1", "missed", 3)  # the ringing report was lost
    assert phone.model.recent[0].state == "missed" and phone.model.calls == {}
    assert phone.report("c2", "answered", 10, line="2")
    # A new call on line 2 means the old one's end was lost: the line shows the new one.
    assert phone.report("c3", "ringing", 20, line="2")
    assert list(phone.model.calls) == ["c3"]
    assert not phone.report("c2", "held", 30, line="2")


def test_five_lines_and_the_mute_of_the_second_lines_ring(phone: Phone) -> None:
    for n in range(1, 6):
        phone.report(f"c{n}", "answered" if n == 1 else "held", n, line=str(n))
    assert [line.line for line in phone.view().lines] == ["1", "2", "3", "4", "5"]
    assert phone.view().lines_heading == "Lines (5 of 5)"
    phone.report("c2", "ended", 9, line="2")
    phone.report("c9", "ringing", 10, line="2")
    assert not phone.model.ring_muted()
    phone.model.toggle_mute_second_ring()
    assert phone.model.ring_muted()
    incoming = phone.view().incoming
    assert incoming is not None and incoming.note == "Ring muted: you are on another line"
    assert phone.view().mute.current and phone.view().mute.text == "Second line ring: muted"
    # The agent plays the ring: it is told, and its state then says what it does.
    assert [(c.type, c.call_id) for c in phone.sent[-1:]] == [("second_ring_off", None)]
    status = PhoneStatus(registered=True, number="203", busy=5, second_ring=True)
    phone.model.state_received(DeviceState(state="online", role="phone", phone=status))
    assert not phone.model.ring_muted()  # the agent restarted and rings again: shown so
    phone.model.toggle_mute_second_ring()
    phone.model.toggle_mute_second_ring()
    assert [c.type for c in phone.sent[-2:]] == ["second_ring_off", "second_ring_on"]


def test_the_last_ten_incoming_calls_newest_first(phone: Phone) -> None:
    for n in range(12):
        phone.report(f"c{n}", "ringing", n * 60, remote=f"05011122{n:02d}")
        phone.report(f"c{n}", "missed" if n % 2 else "answered", n * 60 + 5)
        if n % 2 == 0:
            phone.report(f"c{n}", "ended", n * 60 + 30)
    phone.report("out", "answered", 999, direction="out", line="2")  # not an incoming call
    recent = phone.model.recent
    assert len(recent) == RECENT
    assert [entry.call_id for entry in recent] == [f"c{n}" for n in range(11, 1, -1)]
    assert [entry.state for entry in recent[:2]] == ["missed", "answered"]
    phone.model.show_list("recent")
    rows = phone.view().rows
    assert rows[0].detail == "missed" and rows[0].warn and rows[0].number == "0501112211"
    # Rung at 10:11 UTC: the office's time (Kyiv, UTC+2 in winter), whatever the panel's zone.
    assert rows[0].text == "12:11 · 0501112211"


def test_dial_pad_dials_forwards_and_sends_dtmf(phone: Phone) -> None:
    for key in "0800x30":  # a stray character is ignored
        phone.model.press_key(key)
    assert phone.view().display == "080030" and phone.view().call.enabled
    phone.model.backspace()
    phone.model.call_typed()
    assert [(c.type, c.target) for c in phone.sent] == [("dial", "08003")]
    assert phone.model.dialled == ""
    phone.report("o1", "ringing", 1, direction="out", remote="08003")
    assert phone.view().lines[0].state == "Dialling…" and phone.view().incoming is None
    phone.report("o1", "answered", 5, direction="out", remote="08003")
    phone.model.press_key("4")
    phone.model.press_key("#")
    assert [(c.type, c.digits) for c in phone.sent[1:]] == [("dtmf", "4"), ("dtmf", "#")]
    assert phone.view().display == "Tones sent: 4#"
    # Forwarding a second, ringing call: the pad types the target instead.
    phone.report("c2", "ringing", 6, line="2")
    phone.model.start_forward("c2")
    assert phone.view().incoming is None and phone.view().forwarding
    assert phone.view().display_hint == "Forward +380501112233 to:"
    for key in "205":
        phone.model.press_key(key)
    phone.model.call_typed()
    last = phone.sent[-1]
    assert (last.type, last.call_id, last.target) == ("transfer", "c2", "205")


def test_hold_record_and_nothing_sent_without_a_connection(phone: Phone) -> None:
    phone.report("c1", "answered")
    phone.model.toggle_hold("c1")
    phone.report("c1", "held", 1)
    phone.model.toggle_hold("c1")
    phone.model.toggle_record("c1")
    phone.model.toggle_record("c1")
    assert [c.type for c in phone.sent] == ["hold", "unhold", "record_start", "record_stop"]
    phone.model.connection_changed(False)
    phone.model.hangup("c1")
    phone.model.dial("201")
    assert len(phone.sent) == 4
    assert not phone.view().controls["hangup"].enabled
    assert phone.view().registration == "No connection: phone commands cannot be sent"


def test_a_held_line_joins_the_answered_one_in_a_conference(phone: Phone) -> None:
    phone.report("c1", "held")
    assert "conference" not in phone.view().controls  # nothing answered to join it with
    phone.report("c2", "answered", 1, line="2")
    phone.model.choose("c1")
    view = phone.view()
    assert view.controls_call == "c1" and view.controls["conference"].text == "Conference"
    assert view.controls["conference"].enabled
    phone.model.conference("c2")  # not held: nothing to send
    phone.model.conference("c1")
    phone.model.conference("c1")  # a second press before the agent reported
    assert [(c.type, c.call_id) for c in phone.sent] == [("conference", "c1")]
    assert not phone.view().controls["conference"].enabled  # waiting for the report
    phone.report("c1", "answered", 2, reason="conference")
    phone.report("c2", "answered", 2, line="2", reason="conference")
    view = phone.view()
    assert [line.state for line in view.lines] == ["In call · conference"] * 2
    assert "conference" not in view.controls
    phone.report("c2", "held", 3, line="2", reason="conference")  # a leg held: still in it
    phone.report("c2", "held", 4, line="2", reason="unhold_failed")  # a refusal changes nothing
    assert phone.model.calls["c2"].conference
    phone.report("c2", "ended", 5, line="2")
    phone.report("c1", "answered", 5)  # alone again: a normal call
    assert [line.state for line in phone.view().lines] == ["In call"]


def test_registration_as_the_agent_tells_it(phone: Phone) -> None:
    assert phone.view().registration == "Phone state unknown"
    phone.model.state_received(DeviceState(state="online", role="phone"))
    assert phone.view().registration == "Phone not registered with the SIP server"
    assert not phone.view().registration_ok
    status = PhoneStatus(registered=True, number="203")
    phone.model.state_received(DeviceState(state="online", role="phone", phone=status))
    assert phone.view().registration == "Number 203: registered"
    assert phone.view().registration_ok
    phone.model.state_received(DeviceState(state="offline", role="phone"))
    assert phone.view().registration == "Phone off: the agent is offline"
    phone.model.dial("201")
    assert phone.sent == []  # the agent is offline: nothing would take the command


def test_caller_card_and_phone_book_from_the_hub(phone: Phone) -> None:
    phone.report("c1", "ringing")
    request, ok, _fail = phone.asked[0]
    assert isinstance(request, CallerCard) and request.number == "+380501112233"
    card = ClientCard(
        client_id=1,
        name="ТОВ «Зелений Гай»",
        contact="Ігор Шевчук",
        contact_phone="050 111 22 33",
        events=[CardEvent(at=T0, type="Incoming call", subject="Licence")],
    )
    ok(PanelReply(request_id=request.request_id, ok=True, card=card))
    incoming = phone.view().incoming
    assert incoming is not None
    assert incoming.client == ["Client: ТОВ «Зелений Гай»", "Contact: Ігор Шевчук, 050 111 22 33"]
    assert incoming.events[0].text.endswith("Incoming call · Licence") and incoming.note is None
    # A second call from the same number is not looked up again; an unknown one says so.
    phone.report("c1", "missed", 5)
    phone.report("c2", "ringing", 6, remote="0440000000")
    assert len(phone.asked) == 2
    phone.asked[1][1](PanelReply(request_id=phone.asked[1][0].request_id, ok=True))
    assert phone.view().incoming.note == "Number not in the clients registry"
    # A hub that cannot say (not logged in, timeout) is not "unknown caller"; asked again.
    phone.report("c2", "missed", 7, remote="0440000000")
    phone.report("c5", "ringing", 8, remote="0445555555")
    refusal = PanelReply(
        request_id=phone.asked[2][0].request_id,
        ok=False,
        error=ErrorInfo(code="panel_not_logged_in", message="Log in first"),
    )
    phone.asked[2][1](refusal)
    assert phone.view().incoming.note is None
    phone.report("c5", "missed", 9, remote="0445555555")
    phone.report("c6", "ringing", 10, remote="0445555555")
    assert len(phone.asked) == 4
    del phone.asked[2:]
    # Opening the phone area fetches the book.
    phone.model.toggle_open()
    assert phone.view().rows_note == "Loading the list…"
    book, ok, fail = phone.asked[2]
    assert isinstance(book, PhoneBook)
    fail("timeout")
    assert phone.view().rows_note == "The hub did not send the list of colleagues."
    entry = PhoneBookEntry(
        username="petro", name="Петро", sip_number="201", status="free", status_name="Free"
    )
    ok(PanelReply(request_id=book.request_id, ok=True, phone_book=[entry]))
    row = phone.view().rows[0]
    assert (row.text, row.detail, row.number, row.color) == (
        "Петро · 201",
        "Free",
        "201",
        "#2e7d32",
    )


def test_timer_format() -> None:
    texts = catalogue()

    def text(key: str, /, **params: object) -> str:
        return texts.text("uk", key, **params)

    assert [timer(text, s) for s in (0, 59, 61, 3599, 3723)] == [
        "0:00",
        "0:59",
        "1:01",
        "59:59",
        "1:02:03",
    ]


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


def test_the_phone_agent_named_in_the_config() -> None:
    assert phone_device(_config()) is None  # no key: no phone area
    # Provisioning writes it into [settings] while the config has no top-level key.
    config = _config(phone_device="phone-3")
    assert load_settings(config).phone_device == "phone-3"
    assert phone_device(config) == "phone-3"
    with pytest.raises(DeviceConfigError, match=r"^settings\.phone_device: "):
        load_settings(_config(phone_device="../x"))
