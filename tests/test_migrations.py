"""Migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import hub.db.models  # noqa: F401  (registers every table)
from hub.db import refcache
from hub.db.base import Base
from hub.db.engine import make_engine
from hub.db.migrate import alembic_config, current_revision, head_revision, upgrade


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


# SQLite cannot reflect the lower(username) index; the case test below checks it directly.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_match_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert _diff(empty_db_url) == []


def test_upgrade_is_idempotent_and_downgrade_reverses(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    upgrade(engine)
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as connection:
        refcache.quiet(connection)  # the generation's table goes before the tables it counts
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/wal.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_usernames_are_unique_regardless_of_case(db_url: str) -> None:
    """The database itself refuses "Olena" beside "olena", even when two requests race."""
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(db_url)
    insert = text(
        "INSERT INTO users (username, is_active, is_admin, crm_access, full_access, "
        "deny_task_status_change, lang, created_at, updated_at) VALUES "
        "(:name, true, false, true, false, false, 'uk', :now, :now)"
    )
    now = "2026-11-28 10:00:00+00:00"
    with engine.begin() as connection:
        connection.execute(insert, {"name": "olena", "now": now})
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert, {"name": "Olena", "now": now})
    engine.dispose()
