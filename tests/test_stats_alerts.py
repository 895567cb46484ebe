"""Service-level alerts (STAT-3): the rules with hand-made waits (raise, hold, clear), the
hub's check against the real queue on SQLite and PostgreSQL (the alert is stored, carried to
the operator's panel in its retained assignment, and cleared), and the panel's banner.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Project
from hub.db.models.queue import QueueOperator
from hub.db.models.stats import ServiceAlert
from hub.protocol import topics
from hub.protocol.messages import OperatorInfo, PanelAssignment
from hub.protocol.messages import ServiceAlert as AlertMessage
from hub.services.queue import operators as queue_operators
from hub.services.queue import publish as queue_publish
from hub.services.settings.parameters import update_global, update_user_parameters
from hub.services.stats import watch
from hub.services.stats.alerts import AlertKind, AlertMonitor, Reading, Rules
from operator_panel.app import catalogue
from operator_panel.viewmodel import PanelModel
from tests.test_panel_viewmodel import Wire
from tests.test_queue import T0, at, drain, issue, make_operator, make_service, press_free

pytestmark = pytest.mark.timeout(120)
RULES = Rules(level_threshold=0.8, hold=timedelta(seconds=30))


def wait(seconds: int | None, target: int = 600, service: int = 1) -> Reading:
    """A service whose oldest visitor has waited ``seconds`` (None: nobody waits)."""
    return Reading(service_id=service, target_wait_s=target, longest_wait_s=seconds)


def level(share: float, called: int = 20, service: int = 1) -> Reading:
    """A service with nobody waiting and today's service level ``share``."""
    return Reading(
        service_id=service,
        target_wait_s=600,
        longest_wait_s=None,
        service_level=share,
        called=called,
    )


# ---- the rules ---------------------------------------------------------------------------------


def test_a_long_wait_raises_holds_inside_the_band_and_clears_below_it() -> None:
    monitor = AlertMonitor(RULES)
    assert not monitor.update([wait(590)], T0)  # under the target: nothing
    raised = monitor.update([wait(601)], T0 + timedelta(seconds=1))
    assert [(a.service_id, a.kind, a.value, a.threshold) for a in raised.raised] == [
        (1, AlertKind.WAIT, 601, 600)
    ]
    assert raised.services == {1}
    # Back under the target but above 80 % of it: held (no flicker at the edge).
    held = monitor.update([wait(500)], T0 + timedelta(minutes=5))
    assert not held.raised and not held.cleared and held.updated[0].value == 500
    assert monitor.active[(1, AlertKind.WAIT)].since == T0 + timedelta(seconds=1)
    # At 80 % of the target or less it clears, and once cleared it may rise again.
    cleared = monitor.update([wait(480)], T0 + timedelta(minutes=6))
    assert [a.kind for a in cleared.cleared] == [AlertKind.WAIT] and not monitor.active
    assert monitor.update([wait(700)], T0 + timedelta(minutes=7)).raised


def test_an_alert_is_held_a_while_even_when_the_line_empties_at_once() -> None:
    monitor = AlertMonitor(RULES)
    monitor.update([wait(700)], T0)
    assert not monitor.update([wait(None)], T0 + timedelta(seconds=10)).cleared
    assert monitor.update([wait(None)], T0 + timedelta(seconds=30)).cleared


def test_the_service_level_alerts_below_its_threshold_after_enough_calls() -> None:
    monitor = AlertMonitor(RULES)
    assert not monitor.update([level(0.5, called=4)], T0)  # too few calls to judge
    raised = monitor.update([level(0.75)], T0)
    assert [(a.kind, a.value, a.threshold) for a in raised.raised] == [(AlertKind.LEVEL, 75, 80)]
    assert not monitor.update([level(0.82)], T0 + timedelta(minutes=5)).cleared  # in the band
    assert monitor.update([level(0.85)], T0 + timedelta(minutes=6)).cleared
    # No threshold: no level alert, and one raised before clears.
    monitor.update([level(0.5)], T0 + timedelta(minutes=7))
    off = AlertMonitor(Rules(level_threshold=None), monitor.active.values())
    assert off.update([level(0.5)], T0 + timedelta(minutes=8)).cleared


def test_each_service_is_judged_on_its_own_and_a_service_gone_clears() -> None:
    monitor = AlertMonitor(RULES)
    both = monitor.update([wait(700, service=1), wait(100, target=60, service=2)], T0)
    assert {a.service_id for a in both.raised} == {1, 2}
    gone = monitor.update([wait(700, service=1)], T0 + timedelta(seconds=5))
    assert [a.service_id for a in gone.cleared] == [2]


# ---- the hub's check, the panel's assignment -----------------------------------------------------


def test_the_check_stores_the_alert_and_tells_the_operators_panel(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        other = make_service(session, "Довідки")
        session.execute(update(Project).where(Project.id == service).values(target_wait_s=60))
        olena = make_operator(session, "olena", [service])
        update_user_parameters(session, olena.user_id, {"use_user_statuses": True})
        make_operator(session, "petro", [other])
        update_global(session, {"queue": {"service_level_alert_percent": 90}})
    press_free(hub, olena, -5, device="panel-1")
    with transaction(hub.sessions) as session:  # on a break: the visitor waits
        queue_operators.set_status(
            session, at(-4), profile=olena, status="break", window="1", device_id="panel-1"
        )
    issue(hub, service, 0)
    drain(hub)

    def check(minutes: float) -> set[int]:
        ctx = at(minutes)
        with transaction(hub.sessions) as session:
            changes = watch.check(session, now=ctx.now, day=ctx.today)
            queue_publish.publish_alerts(session, ctx, changes.services)
        return changes.services

    assert check(0.5) == set()
    assert check(1.5) == {service}
    with hub.sessions() as session:
        stored = session.scalars(select(ServiceAlert)).all()
        assert [(a.service_id, a.kind, a.value, a.threshold) for a in stored] == [
            (service, "wait", 90, 60)
        ]
        assert [a.service_name for a in watch.raised(session)] == ["Паспорти"]
        assert watch.raised(session, [other]) == []
    sent = drain(hub)
    panel = topics.panel_assignment("main", "panel-1")
    published = [m for m in sent if m.topic == panel]
    assert len(published) == 1 and published[0].retain
    message = PanelAssignment.model_validate_json(json.dumps(published[0].payload))
    assert message.alerts is not None
    assert [(a.service_name, a.kind, a.threshold) for a in message.alerts] == [
        ("Паспорти", "wait", 60)
    ]
    # Free calls the visitor and the line empties: the alert is held 30 s, then clears.
    press_free(hub, olena, 1.6, device="panel-1")
    drain(hub)
    assert check(1.7) == set()
    assert check(2.1) == {service}
    with hub.sessions() as session:
        assert session.scalars(select(ServiceAlert)).all() == []
        operator = session.get(QueueOperator, olena.user_id)
        assert operator is not None and operator.device_id == "panel-1"
    cleared = [m for m in drain(hub) if m.topic == panel]
    assert len(cleared) == 1 and "alerts" not in cleared[0].payload
    assert PanelAssignment.model_validate_json(json.dumps(cleared[0].payload)).alerts is None


# ---- the panel's banner ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "wait_line", "level_line"),
    [
        ("uk", "Паспорти: черга чекає довше за ціль 10 хв 0 с", "рівень обслуговування"),
        ("en", "Passports: the line waits longer than the target of 10 min 0 s", "below 80%"),
    ],
)
def test_the_panel_shows_the_alerts_of_its_assignment_and_clears_them(
    lang: str, wait_line: str, level_line: str
) -> None:
    model = PanelModel(texts=catalogue(), send=Wire(), window=2, name="Зал", lang=lang)
    model.connection_changed(True)
    model.operator = OperatorInfo(username="olena", status="free")
    name = "Паспорти" if lang == "uk" else "Passports"
    raw = json.dumps(
        {
            "v": 1,
            "ticket": None,
            "status": "free",
            "alerts": [
                {
                    "service_id": 3,
                    "service_name": name,
                    "kind": "wait",
                    "value": 700,
                    "threshold": 600,
                    "since": T0.isoformat(),
                },
                {
                    "service_id": 4,
                    "kind": "level",
                    "value": 72,
                    "threshold": 80,
                    "since": T0.isoformat(),
                },
            ],
        }
    )
    model.assignment_received(PanelAssignment.model_validate_json(raw))
    shown = model.view().alerts
    assert shown[0] == wait_line
    assert level_line in shown[1] and "72%" in shown[1]
    # The next assignment without alerts (they cleared) takes the banner away.
    model.assignment_received(PanelAssignment.model_validate_json('{"v": 1, "ticket": null}'))
    assert model.view().alerts == []


def test_an_alert_message_is_checked_by_the_contract() -> None:
    good = {"service_id": 3, "kind": "wait", "value": 1, "threshold": 1, "since": T0.isoformat()}
    assert AlertMessage.model_validate_json(json.dumps(good)).kind == "wait"
    for bad in ({"kind": "noise"}, {"value": -1}, {"extra": 1}, {"since": "2026-11-30T09:00"}):
        with pytest.raises(ValueError):
            AlertMessage.model_validate_json(json.dumps({**good, **bad}))
