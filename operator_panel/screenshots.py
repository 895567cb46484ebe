"""Pictures of every panel screen in every language, for the manual and for review.

The states are set on a real view-model as the hub would leave them (a fake sender answers
nothing: no hub is needed), and the real widgets are rendered offscreen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.protocol.base import ClientInfo, Request
from hub.protocol.cards import (
    CardEvent,
    CardTask,
    ClientCard,
    OperatorPresence,
    PanelOperators,
)
from hub.protocol.devices import DeviceState, PhoneCall, PhoneCmd, PhoneStatus
from hub.protocol.messages import (
    AssignedTicket,
    OperatorInfo,
    PanelAssignment,
    PhoneBookEntry,
    ServiceRef,
    StatusInfo,
)
from operator_panel.app import PanelRoot, catalogue
from operator_panel.phone_model import PhoneModel
from operator_panel.viewmodel import OnFailure, OnReply, PanelModel

LANDSCAPE = (1280, 800)
PORTRAIT = (800, 1280)


def _ignore(_request: Request, _ok: OnReply, _fail: OnFailure) -> None:
    """Screenshots send nothing."""


def demo_model(lang: str) -> PanelModel:
    """A connected panel at window 3, nobody logged in yet."""
    model = PanelModel(texts=catalogue(), send=_ignore, window=3, name="Зал 1", lang=lang)
    model.connected = True
    model.waiting = {1: 4, 2: 0, 5: 12, 7: 2}
    model.names = {1: "Паспорти", 2: "Довідки", 5: "Реєстрація бізнесу", 7: "Дозволи"}
    return model


# The hub's SET-4 statuses as seeded, and one an administrator added, in each language.
_STATUSES = {
    "uk": ("Вільний", "Зайнятий", "Перерва", "Не в мережі", "Навчання"),
    "en": ("Free", "Busy", "Break", "Offline", "Training"),
}
_CODES = (
    ("free", "#2e7d32"),
    ("busy", "#c62828"),
    ("break", "#ef6c00"),
    ("offline", "#757575"),
    ("training", "#6a1b9a"),
)


# The hub writes the reason in the operator's language.
_REASONS = {"uk": "Записаний на 09:30 · Паспорти", "en": "Booked for 09:30 · Паспорти"}


# What the hub would send, named in each language (event types and task statuses come from it).
_EVENTS = {
    "uk": ("Вхідний дзвінок", "Візит", "Вихідний лист", "Електронна черга"),
    "en": ("Incoming call", "Visit", "Outgoing letter", "Electronic queue"),
}
_TASK_STATES = {"uk": ("Прострочена", "Призначена"), "en": ("Overdue", "Assigned")}
_OTHERS = {
    "uk": ("Зайнятий", "Вільний", "Перерва", "Навчання"),
    "en": ("Busy", "Free", "Break", "Training"),
}


def _card(lang: str, *, long: bool = False) -> ClientCard:
    kinds = _EVENTS.get(lang, _EVENTS["uk"])
    overdue, assigned = _TASK_STATES.get(lang, _TASK_STATES["uk"])
    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    name = "ТОВ «Зелений Гай»"
    if long:
        name = (
            "Товариство з обмеженою відповідальністю «Агропромислова компанія Зелений Гай Поділля»"
        )
    return ClientCard(
        client_id=17,
        name=name,
        contact="Ігор Шевчук" if not long else "Ігор-Олександр Шевчук-Коваленко (директор)",
        contact_phone="+380 50 123 45 67",
        events=[
            CardEvent(at=today - timedelta(days=2), type=kinds[0], subject="Питання щодо ліцензії"),
            CardEvent(at=today - timedelta(days=9), type=kinds[1], subject="Подав заяву на дозвіл"),
            CardEvent(
                at=today - timedelta(days=15),
                type=kinds[2],
                subject="Відповідь на звернення №4471 щодо переоформлення документів",
            ),
            CardEvent(at=today - timedelta(days=40), type=kinds[3], subject="Консультація"),
            CardEvent(at=today - timedelta(days=61), type=kinds[0]),
        ],
        tasks=[
            CardTask(
                id=301,
                due=today - timedelta(days=1),
                title="Надіслати копію договору",
                state=overdue,
                overdue=True,
            ),
            CardTask(
                id=305, due=today + timedelta(days=3), title="Перевірити оплату", state=assigned
            ),
        ],
        matched_by="phone",
    )


def _others(lang: str) -> PanelOperators:
    busy, free, rest, training = _OTHERS.get(lang, _OTHERS["uk"])
    people = [
        ("1", "petro", "Петро Іваненко", "busy", busy, "#c62828", "Б-017"),
        ("2", "maria", "Марія Олександра Бондаренко-Ткачук", "free", free, "#2e7d32", None),
        ("4", "oleh", "Олег Мельник", "break", rest, "#ef6c00", None),
        ("5", "iryna", "Ірина Савчук", "training", training, "#6a1b9a", None),
    ]
    return PanelOperators(
        enabled=True,
        operators=[
            OperatorPresence(
                username=user,
                name=name,
                status=code,
                status_name=status,
                color=color,
                window=window,
                ticket=ticket,
            )
            for window, user, name, code, status, color, ticket in people
        ],
        total=len(people),
    )


def _logged_in(model: PanelModel, status: str) -> None:
    names = _STATUSES.get(model.lang, _STATUSES["uk"])
    model.operator = OperatorInfo(
        username="olena",
        name="Олена Коваленко",
        status=status,
        lang="en" if model.lang == "en" else "uk",
        statuses=[
            StatusInfo(code=code, name=name, color=color)
            for (code, color), name in zip(_CODES, names, strict=True)
        ],
        services=[ServiceRef(id=1, name="Паспорти"), ServiceRef(id=5, name="Реєстрація бізнесу")],
    )
    model.assignment = PanelAssignment(ticket=None, window="3", status=status)
    model.others = _others(model.lang)


def _called(model: PanelModel) -> None:
    _serving(model)
    assert model.assignment is not None and model.assignment.ticket is not None
    ticket = model.assignment.ticket.model_copy(update={"state": "called"})
    model.assignment = model.assignment.model_copy(update={"ticket": ticket})


def _serving(model: PanelModel) -> None:
    _logged_in(model, "busy")
    booked = datetime.now(UTC).replace(hour=9, minute=30, second=0, microsecond=0)
    model.assignment = PanelAssignment(
        ticket=AssignedTicket(
            id=42,
            number="A-042",
            service_id=1,
            client=ClientInfo(name="Ігор Шевчук", phone="+380501234567"),
            booked_at=booked,
            waited_s=754,
            called_at=datetime.now(UTC) - timedelta(minutes=17),
            state="serving",
            recalls=1,
            service_name="Паспорти",
            card=_card(model.lang),
        ),
        task_id=318,
        task_number="Т-000318",
        task_url="https://cherga.office.lan:8443/office/tasks/318",
        window="3",
        reason=_REASONS.get(model.lang, _REASONS["uk"]),
        status="busy",
    )


def _caller(model: PanelModel) -> None:
    """Free gave a caller on the office line: the line agent rings the operator's phone."""
    phone = _phone(model)
    _serving(model)
    assert model.assignment is not None and model.assignment.ticket is not None
    ticket = model.assignment.ticket.model_copy(
        update={
            "id": 43, "number": "A-043", "caller": True, "booked_at": None, "recalls": 0,
            "state": "called", "waited_s": 312,
            "client": ClientInfo(name="Ігор Шевчук", phone="+380501234567"),
        }
    )  # fmt: skip
    model.assignment = model.assignment.model_copy(update={"ticket": ticket})
    phone.call_received(_report("c1", "1", "100", "ringing", 0.1))


def _long(model: PanelModel) -> None:
    """Long names everywhere: cut with an ellipsis, nothing pushed off the screen."""
    _serving(model)
    assert model.assignment is not None and model.assignment.ticket is not None
    ticket = model.assignment.ticket.model_copy(update={"card": _card(model.lang, long=True)})
    model.assignment = model.assignment.model_copy(update={"ticket": ticket})


def _transfer(model: PanelModel) -> None:
    _serving(model)
    model.open_transfer()


def _offline(model: PanelModel) -> None:
    _serving(model)
    model.connected = False


# ---- the phone area ---------------------------------------------------------------------

PHONE_NOW = datetime(2026, 11, 28, 10, 15, tzinfo=UTC)
_BOOK = (
    ("petro", "Петро Іваненко", "201", "busy", ("Зайнятий", "Busy")),
    ("maria", "Марія Олександра Бондаренко-Ткачук", "202", "free", ("Вільний", "Free")),
    ("oleh", "Олег Мельник", "206", "ringing", ("Дзвонить", "Ringing")),
    ("iryna", "Ірина Савчук", "204", "on_hold", ("На утриманні", "On hold")),
    ("taras", "Тарас Гнатюк", "205", "offline", ("Не в мережі", "Offline")),
)


def _no_command(_command: PhoneCmd) -> None:
    """Screenshots send nothing."""


def _report(
    call: str, line: str, remote: str, state: str, minutes_ago: float, **more: object
) -> PhoneCall:
    at = PHONE_NOW - timedelta(minutes=minutes_ago)
    direction = str(more.pop("direction", "in"))
    return PhoneCall.model_validate(
        {"call_id": call, "line": line, "direction": direction, "remote": remote, "state": state,
         "at": at, **more}
    )  # fmt: skip


def _phone(model: PanelModel) -> PhoneModel:
    """A registered phone with colleagues and a morning's incoming calls, nobody on a line."""
    _logged_in(model, "free")
    phone = PhoneModel(
        "phone-3", send=_no_command, ask=_ignore, notify=model.notify, clock=lambda: PHONE_NOW
    )
    model.phone = phone
    phone.connected = True
    phone.agent = DeviceState(
        state="online", role="phone", phone=PhoneStatus(registered=True, number="203", lines=5)
    )
    english = model.lang == "en"
    phone.book = [
        PhoneBookEntry(
            username=user, name=name, sip_number=number, status=code, status_name=names[english]
        )
        for user, name, number, code, names in _BOOK
    ]
    for call, remote, state, ago in (
        ("r1", "+380671112233", "missed", 190),
        ("r2", "0442345678", "answered", 150),
        ("r3", "+380501234567", "missed", 75),
        ("r4", "202", "answered", 40),
    ):
        phone.call_received(_report(call, "1", remote, "ringing", ago))
        if state == "answered":
            phone.call_received(_report(call, "1", remote, "answered", ago - 0.2))
        phone.call_received(
            _report(call, "1", remote, "ended" if state == "answered" else state, ago - 3)
        )
    return phone


def _phone_idle(model: PanelModel) -> None:
    phone = _phone(model)
    phone.open = True
    phone.list_tab = "recent"  # the book is in the two-lines picture


def _phone_incoming(model: PanelModel) -> None:
    """A client calls while the operator serves a visitor: the window is over the queue."""
    phone = _phone(model)
    _serving(model)
    phone.call_received(_report("c1", "1", "+380501234567", "ringing", 0.1))
    phone.card_received("+380501234567", _card(model.lang))


def _phone_lines(model: PanelModel) -> None:
    """Two lines: a client on hold (touched: its buttons), a recorded call with tones sent."""
    phone = _phone(model)
    phone.open = True
    phone.mute_second_ring = True
    phone.call_received(
        _report("c1", "1", "+380501234567", "ringing", 6.5, remote_name="Ігор Шевчук")
    )
    phone.call_received(_report("c1", "1", "+380501234567", "answered", 6.2))
    phone.call_received(_report("c1", "1", "+380501234567", "held", 1.4))
    phone.call_received(_report("c2", "2", "0800300545", "ringing", 1.2, direction="out"))
    phone.call_received(_report("c2", "2", "0800300545", "answered", 1.0, direction="out"))
    phone.toggle_record("c2")
    phone.press_key("1")
    phone.press_key("2")
    phone.choose("c1")  # the client on hold: resume, or join the call (Conference)
    phone.pending.clear()


STATES: dict[str, Callable[[PanelModel], None]] = {
    "login": lambda model: None,
    "idle": lambda model: _logged_in(model, "free"),
    "called": _called,
    "serving": _serving,
    "serving-long": _long,
    "caller": _caller,
    "transfer": _transfer,
    "offline": _offline,
    "phone-idle": _phone_idle,
    "phone-incoming": _phone_incoming,
    "phone-lines": _phone_lines,
}


def take(out: Path, langs: list[str] | None = None, only: str = "") -> list[Path]:
    """Render every state (whose name starts with ``only``) in every language (and some in
    portrait) into ``out``."""
    from kivy.base import EventLoop
    from kivy.core.window import Window

    EventLoop.ensure_window()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    shots = [(name, LANDSCAPE, name) for name in STATES]
    shots += [
        ("called", PORTRAIT, "called-portrait"),
        ("serving", PORTRAIT, "serving-portrait"),
        ("serving-long", PORTRAIT, "serving-long-portrait"),
        ("idle", PORTRAIT, "idle-portrait"),
        ("login", PORTRAIT, "login-portrait"),
        ("phone-idle", PORTRAIT, "phone-idle-portrait"),
        ("phone-incoming", PORTRAIT, "phone-incoming-portrait"),
        ("phone-lines", PORTRAIT, "phone-lines-portrait"),
    ]
    shots = [shot for shot in shots if shot[2].startswith(only)]
    for lang in langs or catalogue().languages:
        for state, size, name in shots:
            model = demo_model(lang)
            STATES[state](model)
            root = PanelRoot(model, size)
            root.size_hint = (None, None)
            root.size = size
            Window.add_widget(root)
            try:
                model.notify()  # the demo set fields directly
                for _ in range(30):
                    EventLoop.idle()
                path = out / f"panel-{name}-{lang}.png"
                root.export_to_png(str(path))
                written.append(path)
            finally:
                root.stop()
                Window.remove_widget(root)
    return written
