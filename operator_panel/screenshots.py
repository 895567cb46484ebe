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
from hub.protocol.messages import (
    AssignedTicket,
    OperatorInfo,
    PanelAssignment,
    ServiceRef,
    StatusInfo,
)
from operator_panel.app import PanelRoot, catalogue
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
            state="serving",
            recalls=1,
            service_name="Паспорти",
            card=_card(model.lang),
        ),
        task_id=318,
        window="3",
        reason=_REASONS.get(model.lang, _REASONS["uk"]),
        status="busy",
    )


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


STATES: dict[str, Callable[[PanelModel], None]] = {
    "login": lambda model: None,
    "idle": lambda model: _logged_in(model, "free"),
    "called": _called,
    "serving": _serving,
    "serving-long": _long,
    "transfer": _transfer,
    "offline": _offline,
}


def take(out: Path, langs: list[str] | None = None) -> list[Path]:
    """Render every state in every language (and some in portrait) into ``out``."""
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
    ]
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
                Window.remove_widget(root)
    return written
