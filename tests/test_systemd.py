"""The systemd units in systemd/: one per role, hardened, accepted by systemd, and their start
commands accept the device config that provisioning writes."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from firmware_config.device_config import DeviceConfig, MqttConfig, ScreenConfig, write_config
from hub.cli import APPLIANCES
from hub.protocol.topics import Role

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "systemd"
INSTALLED = "/opt/cherga"
DEVICE_CONFIG = "/etc/cherga/device.toml"
# What each role's device config needs beyond the common part to be valid.
SCREENS = ("kiosk", "panel", "display")
ROLE_SETTINGS: dict[str, dict[str, object]] = {
    "printer": {"connection": {"kind": "network", "host": "127.0.0.1", "port": 9100}},
}


def unit_lines(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) for every assignment of a unit file, in order (keys may repeat)."""
    section, found = "", []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        found.append((section, key.strip(), value.strip()))
    return found


def values(path: Path, key: str) -> list[str]:
    return [v for _s, k, v in unit_lines(path) if k == key]


def unit(role: str) -> Path:
    return UNITS / f"cherga-{role}.service"


# Every role whose program exists (``cherga ROLE``) has its unit.
ROLES = ["hub", *[r.value for r in Role if r.value in APPLIANCES]]


def test_every_role_has_a_unit_and_nothing_else_is_there() -> None:
    assert sorted(p.name for p in UNITS.glob("*.service")) == sorted(unit(r).name for r in ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_each_unit_is_hardened_and_restarts(role: str) -> None:
    path = unit(role)
    assert values(path, "User") == ["cherga"], "never root"
    assert values(path, "Restart") == ["always"]
    for key, expected in (
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
    ):
        assert values(path, key) == [expected], key
    assert values(path, "StateDirectory"), "a writable place of its own under /var/lib"
    assert "network-online.target" in " ".join(values(path, "After"))
    families = " ".join(values(path, "RestrictAddressFamilies")).split()
    assert families and "AF_PACKET" not in families
    start = shlex.split(values(path, "ExecStart")[0])
    assert start[0] == f"{INSTALLED}/.venv/bin/cherga"
    assert start[1] == role
    assert role == "hub" or role in APPLIANCES, f"cherga {role} is not a command"


def test_units_are_accepted_by_systemd(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    if not (ROOT / ".venv/bin/cherga").exists():
        pytest.skip("no .venv/bin/cherga to stand in for the installed program")
    # The units name the installed place; here the checkout stands in for /opt/cherga.
    for path in UNITS.glob("*.service"):
        text = path.read_text(encoding="utf-8").replace(INSTALLED, str(ROOT))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    ours = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("cherga-")]
    assert done.returncode == 0 and ours == [], done.stdout + done.stderr


@pytest.mark.parametrize("role", [r for r in APPLIANCES if unit(r).exists()])
def test_the_unit_checks_a_provisioned_config_before_starting(role: str, tmp_path: Path) -> None:
    config = tmp_path / "device.toml"
    write_config(
        DeviceConfig(
            device_id=f"{role}-1",
            role=role,  # type: ignore[arg-type]
            site="main",
            name=f"{role} 1",
            mqtt=MqttConfig(
                host="127.0.0.1",
                port=1883,
                username=f"{role}-1",
                password=SecretStr("a-device-password-1"),
            ),
            screen=ScreenConfig(width=800, height=480) if role in SCREENS else None,
            settings=ROLE_SETTINGS.get(role, {}),
            **({"window": 1} if role == "panel" else {}),
        ),
        config,
    )
    (pre,) = values(unit(role), "ExecStartPre")
    argv = shlex.split(pre.replace(DEVICE_CONFIG, str(config)))
    assert argv[0] == f"{INSTALLED}/.venv/bin/cherga" and "--validate-config" in argv
    env = {
        k: v for k, v in os.environ.items() if k not in ("CHERGA_CONFIG", "CHERGA_DEVICE_CONFIG")
    }
    env.update(PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path), KIVY_HOME=str(tmp_path / "kivy"))
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", *argv[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "a-device-password-1" not in done.stdout + done.stderr
    # A config for another role is refused by the same command.
    wrong = tmp_path / "wrong.toml"
    write_config(
        DeviceConfig(
            device_id="other-1",
            role="display" if role != "display" else "kiosk",
            site="main",
            name="other",
            mqtt=MqttConfig(
                host="127.0.0.1", port=1883, username="other-1", password=SecretStr("x" * 12)
            ),
        ),
        wrong,
    )
    refused = subprocess.run(
        [sys.executable, "-m", "hub.cli", *shlex.split(pre.replace(DEVICE_CONFIG, str(wrong)))[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert refused.returncode != 0
