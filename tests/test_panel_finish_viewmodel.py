"""The panel's view-model on Done with time spent and percent done (no Kivy, no MQTT)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.protocol.messages import AssignedTicket, Finish, OperatorInfo, PanelAssignment
from operator_panel.app import catalogue
from operator_panel.view import minutes_since, whole_number
from operator_panel.viewmodel import PanelModel
from tests.test_panel_viewmodel import Wire

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def _model(wire: Wire, lang: str = "uk", url: str | None = None) -> PanelModel:
    model = PanelModel(
        texts=catalogue(), send=wire, window=2, name="Зал", lang=lang, clock=lambda: NOW
    )
    model.connection_changed(True)
    model.operator = OperatorInfo(username="olena", status="busy")
    model.assignment_received(
        PanelAssignment(
            ticket=AssignedTicket(
                id=7, number="A-007", service_id=3, called_at=NOW - timedelta(minutes=23)
            ),
            task_id=9,
            task_number="Т-0009",
            task_url=url,
            window="2",
            status="busy",
        )
    )
    return model


def test_the_view_prefills_the_minutes_and_names_the_task_and_its_card() -> None:
    model = _model(Wire(), url="https://hub.lan:8443/office/tasks/9")
    ticket = model.view().ticket
    assert ticket is not None and ticket.minutes == 23 and ticket.ticket_id == 7
    assert "Задача Т-0009" in ticket.details
    assert ticket.task_url == "https://hub.lan:8443/office/tasks/9"
    assert ticket.task_link == "Картка задачі: https://hub.lan:8443/office/tasks/9"
    english = _model(Wire(), "en").view().ticket
    assert english is not None and "Task Т-0009" in english.details
    assert english.task_link is None and english.task_url is None  # the hub sent no address


@pytest.mark.parametrize(
    ("minutes", "percent", "sent", "outcome"),
    [
        ("30", "100", (30, 100), "Відвідувача A-007 обслуговано."),
        ("15", "40 %", (15, 40), "Відвідувача A-007 обслуговано; задача лишається відкритою."),
        ("", "", (None, None), "Відвідувача A-007 обслуговано."),
    ],
)
def test_done_sends_the_typed_work(
    minutes: str, percent: str, sent: tuple[int | None, int | None], outcome: str
) -> None:
    wire = Wire()
    model = _model(wire)
    model.done("Видано", minutes, percent)
    request = wire.calls[-1][0]
    assert isinstance(request, Finish) and request.note == "Видано"
    assert (request.time_spent_minutes, request.percent_done) == sent
    wire.answer(assignment={"ticket": None, "window": "2"})
    assert model.notice == (outcome, False)


@pytest.mark.parametrize(
    ("minutes", "percent", "notice"),
    [
        ("-5", "100", "Витрачений час: ціле число хвилин від 0 до 1440."),
        ("abc", "100", "Витрачений час: ціле число хвилин від 0 до 1440."),
        ("1441", "100", "Витрачений час: ціле число хвилин від 0 до 1440."),
        ("30", "150", "Відсоток виконання: ціле число від 0 до 100."),
        ("30", "4.5", "Відсоток виконання: ціле число від 0 до 100."),
    ],
)
def test_a_wrong_value_is_refused_on_the_panel(minutes: str, percent: str, notice: str) -> None:
    wire = Wire()
    model = _model(wire)
    model.done("", minutes, percent)
    assert wire.calls == [] and model.notice == (notice, True)


def test_the_helpers() -> None:
    assert whole_number(" 42 ", 100) == 42 and whole_number("", 5) is None
    assert whole_number("٣", 5) is False and whole_number("6", 5) is False
    assert minutes_since(None, NOW) == 0
    assert minutes_since(NOW + timedelta(minutes=5), NOW) == 0  # a panel clock behind the hub's
    assert minutes_since(NOW - timedelta(days=3), NOW) == 24 * 60
