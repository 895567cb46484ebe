"""SET-4 "use user statuses" (issue 16): without it an operator works the queue with Free alone.

The per-user parameter is off by default, as in the manual. Off: the statuses offered are the
queue's own (Free, and Offline to end the work; a panel, which logs out with its own button,
offers Free alone), and any other status (Break, one an administrator added) is refused with
``user_statuses_off`` and changes nothing, whether asked by the REST API or forged by a panel.
On: every status, as before. Joining a queue's work group turns it on, as the manual recommends.
Service level on SQLite and PostgreSQL, the REST API, and a panel over the hub's own Mosquitto.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Project, User, UserStatus
from hub.db.models.queue import QueueOperator
from hub.errors import Invalid
from hub.i18n import translate
from hub.protocol.messages import PanelReply, SetStatus
from hub.services.access.rights import load_profile
from hub.services.projects import projects
from hub.services.queue import operators as queue_operators
from hub.services.settings.parameters import get_user_parameters, update_user_parameters
from tests.conftest import ADMIN_PASSWORD, UserFactory
from tests.test_coordinator import Site, ask, login, make_service, rid, site  # noqa: F401
from tests.test_office_settings import log_in as office_log_in
from tests.test_queue import at, make_operator
from tests.test_queue import make_service as make_queue_service

ON = {"use_user_statuses": True}
Q = "/api/v1/queue"


def _codes(statuses: tuple[queue_operators.StatusName, ...]) -> list[str]:
    return [status.code for status in statuses]


def _status_of(hub: Hub, user_id: int) -> str:
    with hub.sessions() as session:
        row = session.get(QueueOperator, user_id)
        assert row is not None
        return row.status


def test_off_offers_the_queues_own_statuses_and_refuses_the_rest(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        session.add(UserStatus(code="training", name_uk="Навчання", name_en="Training"))
        service = make_queue_service(session, "Паспорти")
        olena = make_operator(session, "olena", [service])
        assert get_user_parameters(session, olena.user_id).use_user_statuses is False
        offered = queue_operators.offered_statuses(session, olena.user_id)
        assert _codes(offered) == ["free", "offline"]
        on_panel = queue_operators.offered_statuses(session, olena.user_id, panel=True)
        assert _codes(on_panel) == ["free"]
        queue_operators.set_status(session, at(0), profile=olena, status="free", window="1")
    assert _status_of(hub, olena.user_id) == "free"

    for forged in ("break", "busy", "training"):
        with pytest.raises(Invalid) as refused, transaction(hub.sessions) as session:
            queue_operators.set_status(session, at(1), profile=olena, status=forged, window="2")
        assert refused.value.code == "user_statuses_off"
        assert refused.value.params == {"field": "status", "code": forged}
        # Nothing changed: neither the status nor the window.
        with hub.sessions() as session:
            row = session.get(QueueOperator, olena.user_id)
            assert row is not None and (row.status, row.window) == ("free", "1")
    # An unknown code is still "unknown", not "off".
    with pytest.raises(Invalid) as unknown, transaction(hub.sessions) as session:
        queue_operators.set_status(session, at(2), profile=olena, status="nope")
    assert unknown.value.code == "queue_status_unknown"
    # Offline ends the work.
    with transaction(hub.sessions) as session:
        queue_operators.set_status(session, at(3), profile=olena, status="offline")
    assert _status_of(hub, olena.user_id) == "offline"


def test_on_offers_every_status_and_break_works(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        service = make_queue_service(session, "Паспорти")
        petro = make_operator(session, "petro", [service])
        update_user_parameters(session, petro.user_id, ON)
    with transaction(hub.sessions) as session:
        everything = _codes(queue_operators.user_statuses(session))
        assert _codes(queue_operators.offered_statuses(session, petro.user_id)) == everything
        assert _codes(queue_operators.offered_statuses(session, petro.user_id, panel=True)) == (
            everything
        )
        assert {"free", "busy", "break", "offline"} <= set(everything)
        queue_operators.set_status(session, at(0), profile=petro, status="break", window="1")
    assert _status_of(hub, petro.user_id) == "break"
    # Turned off again: the next status other than the queue's own is refused.
    with transaction(hub.sessions) as session:
        update_user_parameters(session, petro.user_id, {"use_user_statuses": False})
    with pytest.raises(Invalid), transaction(hub.sessions) as session:
        queue_operators.set_status(session, at(1), profile=petro, status="busy")
    assert _status_of(hub, petro.user_id) == "break"


def test_joining_a_queues_work_group_turns_it_on(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        profile = load_profile(session, admin)
        queue = make_queue_service(session, "Паспорти")
        plain = make_queue_service(session, "Проект без черги", uses_queue=False)
        for name in ("olena", "petro"):
            session.add(User(username=name))
        session.flush()
        olena, petro = (
            session.scalars(select(User).where(User.username == name)).one().id
            for name in ("olena", "petro")
        )
        projects.add_member(session, profile=profile, project_id=plain, user_id=olena)
        assert get_user_parameters(session, olena).use_user_statuses is False
        projects.add_member(session, profile=profile, project_id=queue, user_id=petro)
        assert get_user_parameters(session, petro).use_user_statuses is True
        # Turned off by hand later: changing the member's role leaves it off.
        update_user_parameters(session, petro, {"use_user_statuses": False})
        projects.add_member(session, profile=profile, project_id=queue, user_id=petro, role="x")
        assert get_user_parameters(session, petro).use_user_statuses is False
        assert session.get(Project, queue) is not None


def test_made_an_operator_on_the_services_card_turns_it_on(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    operator_id, _ = make_user("ivan", rights={"task": "cu"})
    reply = client.post(
        "/api/v1/projects", headers=admin_headers, json={"name": "Довідки", "uses_queue": True}
    )
    service = int(reply.json()["id"])
    with TestClient(create_app(hub)) as office:
        csrf = office_log_in(office, "admin", ADMIN_PASSWORD)
        added = office.post(
            f"/office/services/{service}/members",
            data={"csrf": csrf, "member": "ivan"},
            follow_redirects=False,
        )
        assert added.status_code == 303, added.text
    with hub.sessions() as session:
        assert get_user_parameters(session, operator_id).use_user_statuses is True


def test_the_rest_api_refuses_a_status_when_they_are_off(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    operator_id, operator = make_user(rights={"task": "cu", "event": "c"}, lang="en")
    reply = client.post(
        "/api/v1/projects", headers=admin_headers, json={"name": "Паспорти", "uses_queue": True}
    )
    service = int(reply.json()["id"])
    reply = client.put(f"/api/v1/projects/{service}/members/{operator_id}", headers=admin_headers)
    assert reply.status_code in (200, 201), reply.text
    # Made an operator of the queue: statuses are on (the manual's recommendation).
    params = client.get(f"/api/v1/users/{operator_id}/parameters", headers=operator).json()
    assert params["values"]["use_user_statuses"] is True
    reply = client.patch(
        f"/api/v1/users/{operator_id}/parameters",
        headers=admin_headers,
        json={"use_user_statuses": False},
    )
    assert reply.status_code == 200, reply.text

    reply = client.put(
        f"{Q}/operators/me/status", headers=operator, json={"status": "free", "window": "3"}
    )
    assert reply.status_code == 200 and reply.json()["operator"]["status"] == "free"
    reply = client.put(f"{Q}/operators/me/status", headers=operator, json={"status": "break"})
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    # In the operator's language (here English; the panel below reads Ukrainian).
    assert error["code"] == "user_statuses_off"
    assert error["message"] == translate("user_statuses_off", "en", code="break")
    assert client.get(f"{Q}/operators/me", headers=operator).json()["status"] == "free"

    reply = client.patch(f"/api/v1/users/{operator_id}/parameters", headers=admin_headers, json=ON)
    reply = client.put(f"{Q}/operators/me/status", headers=operator, json={"status": "break"})
    assert reply.status_code == 200 and reply.json()["operator"]["status"] == "break"


def test_a_panel_offers_free_alone_and_a_forged_break_changes_nothing(site: Site) -> None:  # noqa: F811
    make_service(site, "Паспорти", ["olena"])
    panel = site.device("panel-1", "panel")
    logged = login(panel, "olena")
    assert [s.code for s in logged.operator.statuses] == ["free"]
    free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
    assert free.ok and free.operator.status == "free"
    assert [s.code for s in free.operator.statuses] == ["free"]

    forged = ask(panel, SetStatus(request_id=rid(), status="break"), PanelReply)
    assert not forged.ok and forged.error.code == "user_statuses_off"
    assert forged.error.message == translate("user_statuses_off", "uk", code="break")
    with site.hub.sessions() as session:
        row = session.scalars(select(QueueOperator).where(QueueOperator.device_id == "panel-1"))
        assert row.one().status == "free"

    with transaction(site.hub.sessions) as session:
        user = session.scalars(select(User).where(User.username == "olena")).one()
        update_user_parameters(session, user.id, ON)
    taken = ask(panel, SetStatus(request_id=rid(), status="break"), PanelReply)
    assert taken.ok and taken.operator.status == "break"
    assert {"free", "busy", "break", "offline"} <= {s.code for s in taken.operator.statuses}
