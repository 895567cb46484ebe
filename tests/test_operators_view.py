"""Other operators' statuses on each panel (issue 7, SET-4 "view users' statuses").

The hub pushes, retained on ``panel/{d}/operators``, the operators at work to every panel whose
operator may view statuses, after each change of a session; a panel whose operator may not gets
``enabled: false``, which clears an older list. Service level on SQLite and PostgreSQL, then end
to end over the hub's own Mosquitto with real device clients.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import User
from hub.protocol import topics
from hub.protocol.cards import PanelOperators
from hub.protocol.messages import PanelReply, SetStatus, decode_as
from hub.services.access.rights import AccessProfile
from hub.services.queue import operators as queue_operators
from hub.services.settings.parameters import update_user_parameters
from tests.coordinator_site import Inbox, running_site
from tests.test_coordinator import ask, login, rid
from tests.test_coordinator import make_service as make_site_service
from tests.test_queue import at, drain, issue, make_operator, make_service

VIEW = {"view_user_statuses": True}
# Break is a user status: only those who use user statuses may take it (SET-4).
STATUSES = {"use_user_statuses": True}


def _lists(hub: Hub) -> dict[str, dict[str, Any]]:
    """The last operators list the sender would publish to each panel, by device."""
    found: dict[str, dict[str, Any]] = {}
    for message in drain(hub):
        parsed = topics.parse(message.topic)
        if parsed.kind == topics.TopicKind.PANEL_OPERATORS:
            found[str(parsed.device)] = message.payload
            # Every payload is a valid message of the contract.
            decode_as(PanelOperators, _bytes(message.payload))
    return found


def _bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def _rows(payload: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (o["username"], o["status_name"], o.get("window"), o.get("ticket"))
        for o in payload["operators"]
    ]


def _status(
    hub: Hub, profile: AccessProfile, status: str, minutes: float, **where: str | None
) -> None:
    with transaction(hub.sessions) as session:
        queue_operators.set_status(session, at(minutes), profile=profile, status=status, **where)


def test_each_panel_gets_the_others_statuses_as_they_change(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
        petro = make_operator(session, "petro", [service])
        ivan = make_operator(session, "ivan", [service])
        update_user_parameters(session, olena.user_id, VIEW | STATUSES)
        for other in (petro, ivan):
            update_user_parameters(session, other.user_id, STATUSES)
    _status(hub, olena, "break", 0, window="1", device_id="panel-1")
    first = _lists(hub)
    assert first["panel-1"]["enabled"] is True and first["panel-1"]["operators"] == []

    _status(hub, petro, "break", 1, window="2", device_id="panel-2")
    lists = _lists(hub)
    assert _rows(lists["panel-1"]) == [("petro", "Перерва", "2", None)]
    # Petro's own setting is off (the default): his panel is told so, with nobody listed.
    assert (lists["panel-2"]["enabled"], lists["panel-2"]["operators"]) == (False, [])

    ticket = issue(hub, service, 2, name="Ігор").ticket
    drain(hub)
    _status(hub, petro, "free", 3, window="2", device_id="panel-2")  # takes the ticket
    # Ivan works without a panel (the REST API): he is at work all the same.
    _status(hub, ivan, "free", 4, window="7", device_id=None)
    lists = _lists(hub)
    assert _rows(lists["panel-1"]) == [
        ("petro", "Зайнятий", "2", ticket.number),
        ("ivan", "Вільний", "7", None),
    ]
    assert lists["panel-1"]["total"] == 2

    with transaction(hub.sessions) as session:
        queue_operators.done(session, at(5), profile=petro, ticket_id=ticket.id)
    _status(hub, petro, "offline", 6)
    assert _rows(_lists(hub)["panel-1"]) == [("ivan", "Вільний", "7", None)]

    # Olena reads English: the names follow her language.
    with transaction(hub.sessions) as session:
        user = session.get(User, olena.user_id)
        assert user is not None
        user.lang = "en"
    _status(hub, ivan, "break", 7)
    assert _rows(_lists(hub)["panel-1"]) == [("ivan", "Break", "7", None)]

    # Turned off: others' changes no longer reach her panel, and her own next change (here a
    # status) clears the list retained there.
    with transaction(hub.sessions) as session:
        update_user_parameters(session, olena.user_id, {"view_user_statuses": False})
    _status(hub, ivan, "free", 8)
    assert "panel-1" not in _lists(hub)
    _status(hub, olena, "free", 9)
    cleared = _lists(hub)["panel-1"]
    assert cleared["enabled"] is False and cleared["operators"] == []


def test_panels_are_told_over_mqtt_within_moments_and_a_late_one_gets_the_retained_list(
    hub: Hub,
) -> None:
    specs = [("panel", "panel-1", {"window": 1}), ("panel", "panel-2", {"window": 2})]
    with running_site(hub, specs) as (site, _coordinators):
        make_site_service(site, "Паспорти", ["olena", "petro"])
        with transaction(hub.sessions) as session:
            olena = session.scalars(select(User).where(User.username == "olena")).one()
            update_user_parameters(session, olena.id, VIEW)
        one, two = site.device("panel-1", "panel"), site.device("panel-2", "panel")
        seen = Inbox()
        one.subscribe(topics.panel_operators("main", "panel-1"), seen)
        login(one, "olena")
        assert seen.next(lambda t, m: m.enabled).operators == []
        login(two, "petro")
        listed = seen.next(lambda t, m: m.operators)
        assert [(o.username, o.status, o.window) for o in listed.operators] == [
            ("petro", "break", "2")
        ]
        assert listed.operators[0].status_name == "Перерва"
        reply = ask(two, SetStatus(request_id=rid(), status="free"), PanelReply)
        assert reply.ok
        assert seen.next(lambda t, m: m.operators and m.operators[0].status == "free")
        # A panel that (re)connects later is drawn from the retained list at once. (Its client
        # id is its login on the broker: the first connection must go before it comes back.)
        one.close()
        late, again = site.device("panel-1", "panel"), Inbox()
        late.subscribe(topics.panel_operators("main", "panel-1"), again)
        assert again.next().operators[0].status == "free"
        # Petro's panel shows nothing: his parameter is off.
        mine = Inbox()
        two.subscribe(topics.panel_operators("main", "panel-2"), mine)
        assert mine.next().enabled is False
