"""Migration 0023 (call-centre lines) upgrades and downgrades on SQLite and PostgreSQL, keeping
the rows it finds."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from hub.db import refcache
from hub.db.engine import make_engine
from hub.db.migrate import alembic_config, upgrade

ADDED = {
    "devices": {"line"},
    "projects": {"callers_first", "caller_share_percent"},
    "queue_tickets": {"line_device", "line_call", "call_outcome", "answered_at"},
}


def _columns(url: str) -> dict[str, set[str]]:
    engine = make_engine(url)
    try:
        found = inspect(engine)
        return {table: {c["name"] for c in found.get_columns(table)} for table in ADDED}
    finally:
        engine.dispose()


def test_0023_adds_and_removes_its_columns_and_keeps_the_rows(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    upgrade(engine, "0022")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO devices (id, role, site, name, mqtt_password_hash, created_at, online)"
                " VALUES ('phone-1', 'phone', 'main', 'Phone', 'x', CURRENT_TIMESTAMP, false)"
            )
        )
    upgrade(engine)
    columns = _columns(empty_db_url)
    assert all(ADDED[table] <= columns[table] for table in ADDED)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT id, line FROM devices")).one()
        assert (row[0], bool(row[1])) == ("phone-1", False)
    config = alembic_config()
    with engine.begin() as connection:
        refcache.quiet(connection)
        config.attributes["connection"] = connection
        command.downgrade(config, "0022")
    columns = _columns(empty_db_url)
    assert not any(ADDED[table] & columns[table] for table in ADDED)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM devices")).scalars().all() == ["phone-1"]
    upgrade(engine)
    engine.dispose()
