"""Pictures of every panel screen in every language, for the manual and for review.

The states are set on a real view-model as the hub would leave them (a fake sender answers
nothing: no hub is needed), and the real widgets are rendered offscreen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hub.protocol.base import ClientInfo, Request
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
        ),
        task_id=318,
        window="3",
        reason=_REASONS.get(model.lang, _REASONS["uk"]),
        status="busy",
    )


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
