"""Shared fixtures: real SQLite and PostgreSQL databases, a hub, an HTTP client, users."""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Kivy reads its environment once, at first import (STACK_NOTES): render offscreen through Mesa,
# take no command-line arguments, keep its home and logs out of ~/.kivy, ignore user config.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="cherga-kivy-"))
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from hub.api.app import create_app
from hub.bootstrap import Hub, build_hub, prepare_database
from hub.config import Settings
from tests.pg import PostgresServer, find_pg_bin, start_postgres

ADMIN_PASSWORD = "admin-secret-1"
BACKENDS = ("sqlite", "postgres")
_db_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_leftover_log_handlers() -> Iterator[None]:
    """A command run in-process (``main([...])``) may add a handler on the root logger bound to
    a stream pytest closes after the test; a thread logging later would then print "Logging
    error" noise. Remove whatever handlers a test added."""
    root = logging.getLogger()
    before = list(root.handlers)
    yield
    for handler in root.handlers[:]:
        # pytest's own capturing handlers change between phases: leave them to pytest.
        if handler not in before and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)


def make_settings(database_url: str, data_dir: Path, **extra: Any) -> Settings:
    """Settings for a test hub: cheap password hashing, a known administrator password."""
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        admin_password=ADMIN_PASSWORD,  # type: ignore[arg-type]
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
        **extra,
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session, started here and stopped by PID."""
    if os.environ.get("CHERGA_TEST_POSTGRES_URL"):
        pytest.skip("CHERGA_TEST_POSTGRES_URL is not supported; the tests start their own server")
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL server binaries not found: install Debian's 'postgresql' "
            "(tests/run does this when run as root)"
        )
    server = start_postgres(bin_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated and seeded SQLite file that each test copies."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    hub = build_hub(make_settings(f"sqlite:///{path}", folder))
    prepare_database(hub, announce=lambda _message: None)
    hub.close()
    return path


@pytest.fixture(scope="session")
def postgres_template(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A migrated and seeded PostgreSQL database that each test clones."""
    admin = create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE cherga_template"))
    admin.dispose()
    hub = build_hub(
        make_settings(
            postgres_server.url("cherga_template"), tmp_path_factory.mktemp("pg-template")
        )
    )
    prepare_database(hub, announce=lambda _message: None)
    hub.close()
    return "cherga_template"


def new_postgres_database(server: PostgresServer, template: str | None = None) -> str:
    """Create a database (a clone of ``template`` if given) and return its URL."""
    name = f"cherga_test_{os.getpid()}_{next(_db_counter)}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        suffix = f" TEMPLATE {template}" if template else ""
        connection.execute(text(f"CREATE DATABASE {name}{suffix}"))
    admin.dispose()
    return server.url(name)


def drop_postgres_database(server: PostgresServer, url: str) -> None:
    """Drop a test database, closing whatever still uses it."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind a test runs on; every database test runs on both."""
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (no tables at all)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = new_postgres_database(server)
    yield url
    drop_postgres_database(server, url)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database, migrated and seeded as on a first start."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "cherga.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = new_postgres_database(server, request.getfixturevalue("postgres_template"))
    yield url
    drop_postgres_database(server, url)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings of a test hub on the fresh database."""
    return make_settings(db_url, tmp_path)


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    """A hub on the fresh database."""
    built = build_hub(settings)
    yield built
    built.close()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    """An HTTP client of the hub's API (lifespan included)."""
    with TestClient(create_app(hub), raise_server_exceptions=False) as test_client:
        yield test_client


def login(client: TestClient, username: str, password: str) -> dict[str, str]:
    """Log in and return the Authorization header."""
    reply = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


@pytest.fixture
def admin_headers(client: TestClient) -> dict[str, str]:
    """Headers of the first administrator."""
    return login(client, "admin", ADMIN_PASSWORD)


UserFactory = Callable[..., tuple[int, dict[str, str]]]


@pytest.fixture
def make_user(client: TestClient, admin_headers: dict[str, str]) -> UserFactory:
    """Create a user with the given document rights and return (id, headers).

    ``rights`` maps a document type to a string of letters: c(reate), u(pdate/change), d(elete).
    """
    counter = itertools.count(1)

    def factory(
        username: str | None = None,
        *,
        rights: dict[str, str] | None = None,
        tabs: list[str] | None = None,
        crm_access: bool = True,
        lang: str = "uk",
        password: str = "user-password-1",
    ) -> tuple[int, dict[str, str]]:
        name = username or f"user{next(counter)}"
        reply = client.post(
            "/api/v1/users",
            headers=admin_headers,
            json={
                "username": name,
                "password": password,
                "employee": {"full_name": f"Працівник {name}"},
                "crm_access": crm_access,
                "lang": lang,
            },
        )
        assert reply.status_code == 201, reply.text
        user_id = int(reply.json()["id"])
        for doc_type, letters in (rights or {}).items():
            reply = client.put(
                f"/api/v1/users/{user_id}/access/documents/{doc_type}",
                headers=admin_headers,
                json={"create": "c" in letters, "change": "u" in letters, "delete": "d" in letters},
            )
            assert reply.status_code == 200, reply.text
        if tabs is not None:
            reply = client.put(
                f"/api/v1/users/{user_id}/access/settings-tabs",
                headers=admin_headers,
                json={"tabs": tabs},
            )
            assert reply.status_code == 200, reply.text
        return user_id, login(client, name, password)

    return factory


@pytest.fixture
def probes() -> Iterator[list[Any]]:
    """Raw MQTT clients a test opened by hand (``tests.test_broker.Probe``), closed at its end."""
    made: list[Any] = []
    yield made
    for probe in made:
        probe.close()
