"""Configuration (environment, TOML) and the ``cherga`` command, run as a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.config import ConfigError, load_settings
from hub.db.migrate import head_revision
from tests.pg import free_port
from tests.test_https import trusting

CHERGA = [sys.executable, "-m", "hub.cli"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("CHERGA_"):
            monkeypatch.delenv(name)
    yield


def _env(**extra: str) -> dict[str, str]:
    """A clean environment; the broker a started hub embeds listens on a free port, not 1883."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
    env.update(CHERGA_MQTT_PORT=str(free_port()), **extra)
    return env


def test_defaults(clean_env: None) -> None:
    settings = load_settings()
    assert (settings.host, settings.port, settings.site) == ("127.0.0.1", 8000, "main")
    assert settings.effective_database_url.endswith("/data/cherga.db")


def test_environment_and_toml_file(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cherga.toml"
    config.write_text('port = 9001\nsite = "lviv"\ndata_dir = "/var/lib/cherga"\n')
    monkeypatch.setenv("CHERGA_PORT", "9002")
    settings = load_settings(config)
    assert settings.port == 9002  # the environment wins over the file
    assert settings.site == "lviv"
    assert str(settings.data_dir) == "/var/lib/cherga"


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("CHERGA_PORT", "eighty", "port"),
        ("CHERGA_PORT", "70000", "port"),
        ("CHERGA_TIMEZONE", "Mars/Olympus", "timezone"),
        ("CHERGA_DATABASE_URL", "mysql://x", "database_url"),
        ("CHERGA_SITE", "Bad Site!", "site"),
        ("CHERGA_DEFAULT_LANG", "de", "default_lang"),
    ],
)
def test_wrong_value_names_the_setting(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert named in message and variable in message and "\n" not in message


def test_unknown_key_in_toml_is_refused(clean_env: None, tmp_path: Path) -> None:
    config = tmp_path / "cherga.toml"
    config.write_text("prot = 8000\n")
    with pytest.raises(ConfigError, match="prot"):
        load_settings(config)


def test_admin_password_never_shown_in_errors(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHERGA_ADMIN_PASSWORD", "")
    monkeypatch.setenv("CHERGA_PORT", "x")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "port" in str(caught.value)


def test_secrets_come_from_systemd_credentials(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """LoadCredential= (systemd/cherga-hub.service): a file per secret, named after the setting;
    the environment still wins, and a wrong one is named without showing it."""
    (tmp_path / "admin_password").write_text("from-a-credential-1\n")
    (tmp_path / "database_url").write_text("postgresql://cherga:pg-secret-1@db.example/cherga\n")
    (tmp_path / "mqtt_url").write_text("mqtts://hub:mqtt-secret-1@broker.example:8883\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    settings = load_settings()
    assert settings.admin_password is not None
    assert settings.admin_password.get_secret_value() == "from-a-credential-1"
    assert settings.effective_database_url == "postgresql://cherga:pg-secret-1@db.example/cherga"
    assert settings.mqtt_url == "mqtts://hub:mqtt-secret-1@broker.example:8883"
    monkeypatch.setenv("CHERGA_DATABASE_URL", "sqlite:///elsewhere.db")
    assert load_settings().effective_database_url == "sqlite:///elsewhere.db"
    monkeypatch.delenv("CHERGA_DATABASE_URL")
    (tmp_path / "database_url").write_text("mysql://cherga:pg-secret-1@db.example/cherga\n")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "database_url" in str(caught.value) and "pg-secret-1" not in str(caught.value)


def test_cli_refuses_bad_setting_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CHERGA, "hub", "--data-dir", str(tmp_path)],
        env=_env(CHERGA_PORT="abc"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "CHERGA_PORT" in done.stderr


def test_cli_db_upgrade_and_create_user(tmp_path: Path) -> None:
    env = _env(CHERGA_ADMIN_PASSWORD="admin-secret-1", CHERGA_PASSWORD_HASH_MEMORY_KIB="1024")
    upgrade = subprocess.run(
        [*CHERGA, "db", "upgrade", "--data-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert f"database revision: {head_revision()}" in upgrade.stdout
    assert (tmp_path / "cherga.db").exists()
    create = subprocess.run(
        [
            *CHERGA,
            "admin",
            "create-user",
            "olena",
            "--full-name",
            "Олена Коваль",
            "--password-stdin",
        ],
        input="olena-password-1\n",
        env={**env, "CHERGA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert create.returncode == 0, create.stderr
    assert "olena" in create.stdout
    assert "olena-password-1" not in create.stdout + create.stderr
    again = subprocess.run(
        [*CHERGA, "admin", "create-user", "olena", "--password-stdin"],
        input="olena-password-1\n",
        env={**env, "CHERGA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_hub_process_serves_and_generates_admin_password_once(tmp_path: Path) -> None:
    """`cherga hub` as a user runs it: migrates, prints the generated password once, serves."""
    port, https_port = free_port(), free_port()
    env = _env(CHERGA_PASSWORD_HASH_MEMORY_KIB="1024", CHERGA_HTTPS_PORT=str(https_port))
    args = [*CHERGA, "hub", "--data-dir", str(tmp_path), "--port", str(port)]
    # HTTPS by default, with the certificate of the CA the hub makes in its data folder.
    base, ca = f"https://127.0.0.1:{https_port}", tmp_path / "tls" / "ca.crt"

    def run_once() -> tuple[str, str]:
        process = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, process.communicate()
                try:
                    if (
                        ca.is_file()
                        and httpx.get(f"{base}/healthz", verify=trusting(ca), timeout=1).is_success
                    ):
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the hub did not start in 60 s"
                time.sleep(0.2)
            with httpx.Client(base_url=base, verify=trusting(ca), timeout=5) as client:
                assert client.get("/docs").status_code == 200
                assert client.get("/openapi.json").json()["info"]["title"]
            assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5).status_code == 308
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        return out, err

    out, err = run_once()
    # Not a terminal: the password goes to a private file, never to the console or the log.
    secret_file = tmp_path / "initial-admin-password"
    assert str(secret_file) in err
    assert secret_file.stat().st_mode & 0o777 == 0o600
    password = secret_file.read_text().strip()
    assert len(password) >= 12
    assert password not in out + err
    secret_file.unlink()
    out2, err2 = run_once()
    assert "generated password" not in err2 and not secret_file.exists()
    assert password not in out2 + err2


def test_generated_password_is_shown_on_a_terminal(tmp_path: Path) -> None:
    """Started from a terminal, the hub shows the generated password there, and writes no file."""
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [*CHERGA, "admin", "create-user", "taras", "--password-stdin", "--data-dir", str(tmp_path)],
        env=_env(CHERGA_PASSWORD_HASH_MEMORY_KIB="1024"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
    )
    out, _ = process.communicate("taras-password-1\n", timeout=60)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert process.returncode == 0
    assert b"generated password" in shown
    assert not (tmp_path / "initial-admin-password").exists()
    assert "generated password" not in out
