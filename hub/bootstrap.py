"""The composition root: build the hub's engine, sessions and services from settings."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hub.clock import Clock, SystemClock, clock_for
from hub.config import ConfigError, Settings
from hub.db.engine import (
    make_engine,
    make_read_session_factory,
    make_session_factory,
    transaction,
)
from hub.db.migrate import upgrade
from hub.errors import Invalid
from hub.services.clients import import_jobs
from hub.services.common.files import FileStore
from hub.services.common.security import Hasher
from hub.services.mail.secrets import Sealer
from hub.services.settings.seed import ensure_admin, ensure_reference_data

logger = logging.getLogger(__name__)

INITIAL_PASSWORD_FILE = "initial-admin-password"
# Key of the advisory lock that serialises seeding when several hubs start on one PostgreSQL.
PG_SEED_LOCK = 0x63686573


def generated_password_announcer(data_dir: Path) -> Callable[[str], None]:
    """Show a generated administrator password once: on the terminal, or in a private file.

    When standard error is not a terminal (systemd, a pipe) it ends up in a log, where no
    secret belongs; the password then goes to ``initial-admin-password`` in the data folder,
    readable only by the hub's user, and the console is told where it is.
    """

    def announce(password: str) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(
                f"Cherga: created user 'admin' with the generated password {password}\n"
                "It is shown only this once: keep it safe and change it after logging in.\n"
            )
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            path = data_dir / INITIAL_PASSWORD_FILE
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(password + "\n")
            sys.stderr.write(
                f"Cherga: created user 'admin'; its generated password is in {path.resolve()} "
                "(readable only by this user). Delete the file after changing the password.\n"
            )
        sys.stderr.flush()

    return announce


@dataclass
class Hub:
    """The parts every adapter (HTTP, MQTT, CLI) works with."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    hasher: Hasher
    files: FileStore
    read_sessions: sessionmaker[Session]
    sealer: Sealer
    """Seals mail passwords with the data folder's key (``hub.services.mail.secrets``)."""
    mail_wake: Callable[[], None] = lambda: None
    """Asks the mail worker for a pass now (set when it runs in this process)."""
    probes: dict[str, Callable[[], dict[str, Any]]] = field(default_factory=dict)
    """Health of the links running in this process (the MQTT coordinator's), by name, for
    /healthz: each answers a dict with ``ok``."""
    clock: Clock = field(default_factory=SystemClock)
    """What "now" is for the queue, its statistics and housekeeping (``hub.clock``)."""

    @property
    def token_ttl(self) -> timedelta:
        """How long a login token lives."""
        return timedelta(minutes=self.settings.token_ttl_minutes)

    def today(self) -> date:
        """Today's date at the site."""
        return self.clock.now().astimezone(self.settings.tz).date()

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def build_hub(settings: Settings, *, engine: Engine | None = None) -> Hub:
    """Create the hub's parts without touching the database."""
    engine = engine or make_engine(settings.effective_database_url)
    return Hub(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        read_sessions=make_read_session_factory(engine),
        files=FileStore(settings.data_dir / "attachments", int(settings.attachment_max_mb * 2**20)),
        sealer=Sealer(settings.data_dir),
        hasher=Hasher(
            memory_kib=settings.password_hash_memory_kib,
            time_cost=settings.password_hash_time_cost,
        ),
        clock=clock_for(settings.clock),
    )


def prepare_database(hub: Hub, *, announce: Callable[[str], None] | None = None) -> None:
    """Apply migrations, seed the system reference data and create the first administrator."""
    upgrade(hub.engine)
    password = hub.settings.admin_password
    with transaction(hub.sessions) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_SEED_LOCK})
        ensure_reference_data(session)
        try:
            ensure_admin(
                session,
                hasher=hub.hasher,
                password=password.get_secret_value() if password else None,
                announce=announce or generated_password_announcer(hub.settings.data_dir),
            )
        except Invalid as exc:
            raise ConfigError(
                f"invalid setting admin_password (CHERGA_ADMIN_PASSWORD): {exc}"
            ) from None


def end_interrupted_work(hub: Hub) -> None:
    """Close what a previous hub process left half-done when it stopped: its running imports
    are marked failed (each was one transaction, so nothing of them was saved)."""
    with transaction(hub.sessions) as session:
        import_jobs.fail_interrupted(session)


def bootstrap(
    settings: Settings, *, announce: Callable[[str], None] | None = None, serving: bool = False
) -> Hub:
    """Build the hub and bring its database up to date; ``serving`` (the hub's own start, not
    a command run beside a running hub) also ends the work its previous process left."""
    hub = build_hub(settings)
    if settings.bench_mode:
        logger.warning("bench mode, clock %s: this hub is not for service", settings.clock)
    prepare_database(hub, announce=announce)
    if serving:
        end_interrupted_work(hub)
    return hub
