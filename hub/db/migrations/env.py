"""Alembic environment: runs on the connection handed over by ``hub.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import hub.db.models  # noqa: F401  (registers every table)
from hub.db.base import Base
from hub.db.engine import normalise_url

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url or pass a connection to run migrations")
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        _run(conn)
