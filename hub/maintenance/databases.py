"""Consistent copies of the database and putting them back: SQLite through its online backup
API, PostgreSQL through pg_dump (custom format) and psql."""

from __future__ import annotations

import glob
import logging
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL, make_url

from hub.db.migrate import current_revision
from hub.maintenance.archive import BackupError

logger = logging.getLogger(__name__)

SQLITE_TIMEOUT_S = 30.0
PG_LOCK_TIMEOUT = "15s"
"""How long a restore waits for the old tables' locks before giving up (someone still uses them)."""
_LIBPQ_QUERY = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "host": "PGHOST",
    "port": "PGPORT",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def sqlite_path(url: str) -> Path:
    """The database file of a SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"the SQLite database {url!r} is not a file: nothing to copy")
    return Path(database)


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row else None


def check_sqlite_copy(path: Path) -> str | None:
    """Check a SQLite copy (integrity, foreign keys); returns its schema revision."""
    connection = sqlite3.connect(path)
    try:
        verdict = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
        if verdict != ["ok"]:
            raise BackupError(
                f"the SQLite copy is damaged ({'; '.join(map(str, verdict[:3]))}): "
                "check the disk and the database (sqlite3 cherga.db 'PRAGMA integrity_check')"
            )
        broken = connection.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            tables = sorted({str(row[0]) for row in broken})
            raise BackupError(
                f"the SQLite copy has {len(broken)} rows whose references are broken "
                f"(tables {', '.join(tables[:5])})"
            )
        return _sqlite_revision(connection)
    finally:
        connection.close()


def sqlite_snapshot(url: str, out: Path) -> str | None:
    """Copy the live SQLite database to ``out`` in one step of the online backup API (a
    consistent picture; the hub goes on writing meanwhile, WAL); returns the schema revision."""
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(
            f"no database file at {source_path}: check CHERGA_DATABASE_URL and CHERGA_DATA_DIR"
        )
    source = sqlite3.connect(source_path, timeout=SQLITE_TIMEOUT_S)
    target = sqlite3.connect(out)
    try:
        source.backup(target)  # pages=-1: all at once, so no write can restart it midway
        # A file that stands alone: no write-ahead log to carry beside it.
        target.execute("PRAGMA journal_mode=DELETE").fetchall()
    except sqlite3.Error as exc:
        raise BackupError(f"could not copy the SQLite database {source_path}: {exc}") from None
    finally:
        target.close()
        source.close()
    os.chmod(out, 0o600)
    return check_sqlite_copy(out)


def install_sqlite(copy: Path, url: str) -> None:
    """Put a checked SQLite copy in place of the configured database (no hub may be running)."""
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(copy, incoming)
    os.chmod(incoming, 0o600)
    with incoming.open("rb") as stream:
        os.fsync(stream.fileno())
    # The old database's log would be replayed onto the restored file: it goes first.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(incoming, target)


@dataclass(frozen=True)
class PgTools:
    """The PostgreSQL client programs a backup and a restore run."""

    pg_dump: Path
    pg_restore: Path
    psql: Path


def find_pg_tools() -> PgTools:
    """The newest PostgreSQL client programs (Debian's /usr/lib/postgresql/N/bin), else those on
    PATH; BackupError naming the package when they are missing."""
    folders = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), key=lambda p: int(p.split("/")[4])
    )
    if folders:
        base = Path(folders[-1]).parent
        tools = [base / name for name in ("pg_dump", "pg_restore", "psql")]
        if all(tool.is_file() for tool in tools):
            return PgTools(*tools)
    found = [shutil.which(name) for name in ("pg_dump", "pg_restore", "psql")]
    if all(found):
        return PgTools(*(Path(str(path)) for path in found))
    raise BackupError(
        "pg_dump, pg_restore and psql are needed for a PostgreSQL database: install Debian's "
        "postgresql-client (the server's major version or newer)"
    )


def libpq_environment(url: str) -> dict[str, str]:
    """The environment that points libpq's programs at ``url``: the password travels there,
    never on a command line other users can read."""
    parsed: URL = make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    for key, value in parsed.query.items():
        name = _LIBPQ_QUERY.get(key)
        if name is not None:
            values[name] = value if isinstance(value, str) else value[-1]
    env.update({k: str(v) for k, v in values.items() if v})
    env["PGAPPNAME"] = "cherga-backup"
    return env


def _run(argv: list[str], env: dict[str, str], what: str, timeout: float | None = None) -> None:
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        tail = " / ".join(lines[-3:]) or f"exit code {done.returncode}"
        raise BackupError(f"{what} failed: {tail}")


def pg_snapshot(engine: Engine, url: str, out: Path) -> str | None:
    """pg_dump's custom format of the database (one consistent snapshot, the hub writing on);
    returns the schema revision."""
    tools = find_pg_tools()
    before = current_revision(engine)
    _run(
        [
            str(tools.pg_dump),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={out}",
        ],
        libpq_environment(url),
        "pg_dump",
    )
    os.chmod(out, 0o600)
    if current_revision(engine) != before:
        raise BackupError("the database was migrated during the backup: take it again")
    return before


def other_sessions(engine: Engine) -> list[str]:
    """Other connections to the same PostgreSQL database (a hub elsewhere), described."""
    from sqlalchemy import text

    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT coalesce(nullif(application_name, ''), 'a client'), "
                "coalesce(host(client_addr), 'local') FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    return [f"{name} from {address}" for name, address in rows]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def install_pg(engine: Engine, url: str, dump: Path, work: Path) -> None:
    """Replace the database's tables by the dump's, in one transaction: a failure leaves the
    database as it was."""
    tools = find_pg_tools()
    env = libpq_environment(url)
    script = work / "restore.sql"
    _run(
        [
            str(tools.pg_restore),
            "--no-owner",
            "--no-privileges",
            f"--file={script}",
            str(dump),
        ],
        env,
        "pg_restore (reading the dump)",
    )
    inspector = inspect(engine)
    schema = inspector.default_schema_name or "public"
    drops = [f"SET lock_timeout = '{PG_LOCK_TIMEOUT}';"]
    drops += [
        f"DROP VIEW IF EXISTS {_quote(schema)}.{_quote(name)} CASCADE;"
        for name in inspector.get_view_names()
    ]
    drops += [
        f"DROP TABLE IF EXISTS {_quote(schema)}.{_quote(name)} CASCADE;"
        for name in inspector.get_table_names()
    ]
    drops += [
        f"DROP SEQUENCE IF EXISTS {_quote(schema)}.{_quote(name)} CASCADE;"
        for name in inspector.get_sequence_names()
    ]
    engine.dispose()
    clear = work / "clear.sql"
    clear.write_text("\n".join(drops) + "\n", encoding="utf-8")
    _run(
        [
            str(tools.psql),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "--single-transaction",
            "-f",
            str(clear),
            "-f",
            str(script),
        ],
        env,
        "psql (restoring the dump; the database is unchanged)",
    )
