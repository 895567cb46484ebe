"""The cache of reference tables: shared until anyone, in any process, writes one of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, text, update
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.db import refcache
from hub.db.engine import make_engine, make_session_factory, transaction
from hub.db.models import Device, UserStatus
from hub.services.devices import devices
from hub.services.queue import operators as queue_operators
from hub.services.settings import parameters


@pytest.fixture
def statements(hub: Hub) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(hub.engine, "before_cursor_execute", record)
    yield seen
    event.remove(hub.engine, "before_cursor_execute", record)


def _generation(session: Session) -> int:
    return int(session.execute(text(refcache._READ)).scalar_one())


def _slot(hub: Hub) -> int:
    with hub.read_sessions() as session:
        return parameters.get_global(session).queue.early_checkin_minutes


def test_a_second_read_asks_only_for_the_generation(hub: Hub, statements: list[str]) -> None:
    _slot(hub)
    statements.clear()
    _slot(hub)
    assert [s for s in statements if not s.startswith("BEGIN")] == [refcache._READ]


def test_a_change_made_by_another_process_is_seen_at_once(hub: Hub, db_url: str) -> None:
    before = _slot(hub)
    other = make_engine(db_url)  # another process: its own engine, pool and cache
    try:
        with transaction(make_session_factory(other)) as session:
            parameters.update_global(session, {"queue": {"early_checkin_minutes": before + 7}})
    finally:
        other.dispose()
    assert _slot(hub) == before + 7


def test_a_transaction_sees_its_own_changes_and_others_see_them_after_commit(hub: Hub) -> None:
    before = _slot(hub)
    with transaction(hub.sessions) as session:
        parameters.update_global(session, {"queue": {"early_checkin_minutes": before + 1}})
        assert parameters.get_global(session).queue.early_checkin_minutes == before + 1
        with hub.read_sessions() as reader:  # not yet committed: the old value, cached
            assert parameters.get_global(reader).queue.early_checkin_minutes == before
    assert _slot(hub) == before + 1


def test_a_rolled_back_change_leaves_the_cache_right(hub: Hub) -> None:
    before = _slot(hub)
    with pytest.raises(RuntimeError), transaction(hub.sessions) as session:
        parameters.update_global(session, {"queue": {"early_checkin_minutes": before + 2}})
        raise RuntimeError("changed my mind")
    assert _slot(hub) == before


def test_statuses_follow_the_reference_book(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        codes = [status.code for status in queue_operators.user_statuses(session)]
    with transaction(hub.sessions) as session:
        session.add(UserStatus(code="lunch", name_uk="Обід", name_en="Lunch", sort_order=99))
    with hub.read_sessions() as session:
        after = [status.code for status in queue_operators.user_statuses(session)]
    assert after == [*codes, "lunch"]


def test_a_savepoint_rolled_back_does_not_take_the_bump_of_a_later_write(hub: Hub) -> None:
    with hub.read_sessions() as session:
        start = _generation(session)
    with transaction(hub.sessions) as session:
        with pytest.raises(RuntimeError), session.begin_nested():
            session.add(UserStatus(code="gone", name_uk="Ні", name_en="No"))
            session.flush()
            raise RuntimeError("rolled back with its bump")
        session.add(UserStatus(code="kept", name_uk="Так", name_en="Yes"))
    with hub.read_sessions() as session:
        assert _generation(session) == start + 1
        assert "kept" in [status.code for status in queue_operators.user_statuses(session)]


def test_device_state_does_not_empty_the_cache_but_a_renamed_device_does(hub: Hub) -> None:
    with transaction(hub.sessions) as session:
        added = devices.add_device(session, site=hub.settings.site, role="kiosk", name="Kiosk")
        device_id = added.device.id
    with hub.read_sessions() as session:
        start = _generation(session)
    with transaction(hub.sessions) as session:
        session.execute(update(Device).where(Device.id == device_id).values(online=True))
    with hub.read_sessions() as session:
        assert _generation(session) == start
    with transaction(hub.sessions) as session:
        session.execute(update(Device).where(Device.id == device_id).values(name="Kiosk 2"))
    with hub.read_sessions() as session:
        assert _generation(session) == start + 1


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("INSERT INTO users (username) VALUES (?)", "users"),
        ('UPDATE "projects" SET name=? WHERE projects.id = ?', "projects"),
        ("delete from project_members where user_id = %(u)s", "project_members"),
        ("UPDATE devices SET online=?, last_seen_at=? WHERE devices.id = ?", None),
        ("UPDATE devices SET online=?, window_number=? WHERE devices.id = ?", "devices"),
        ("INSERT INTO queue_tickets (number) VALUES (?)", None),
        ("SELECT * FROM users", None),
        ("INSERT OR REPLACE INTO user_statuses (code) VALUES (?)", "user_statuses"),
        ("UPDATE OR IGNORE journals SET name_uk=?", "journals"),
        ("insert into\n  event_types (code) values ('x')", "event_types"),
        ("UPDATE cache_generation SET value = value + 1 WHERE id = 1", None),
    ],
)
def test_which_statements_change_reference_data(statement: str, table: str | None) -> None:
    assert refcache.written_table(statement) == table
