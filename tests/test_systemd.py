"""The systemd units in systemd/: one per role, hardened, accepted by systemd, and their start
commands accept the device config that provisioning writes."""

from __future__ import annotations

import os
import re
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
CREDENTIAL = "%d/device.toml"
"""The device config as the program sees it: a copy in its credentials folder (%d)."""
# What each role's device config needs beyond the common part to be valid.
SCREENS = ("kiosk", "panel", "display")
ROLE_SETTINGS: dict[str, dict[str, object]] = {
    "printer": {"connection": {"kind": "network", "host": "127.0.0.1", "port": 9100}},
    "line": {
        "sip": {
            "server": "127.0.0.1",
            "user": "100",
            "password": "x",
            "local_ip": "127.0.0.1",
            "local_port": 5070,
        },
        "services": [1],
        "service_names": ["паспорти"],
    },
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


# Every role whose program exists (``cherga ROLE``) has its unit; the backup has a timer too.
ROLES = ["hub", *[r.value for r in Role if r.value in APPLIANCES]]
BACKUP = UNITS / "cherga-backup.service"
SERVICES = [*(unit(r) for r in ROLES), BACKUP]
SCREENS_UNITS = ("kiosk", "panel", "display")
EXPOSURE_LIMIT = 2.0
"""Highest ``systemd-analyze security`` exposure a unit may have (0 best, 10 worst; a unit
with no hardening scores 9.6). Today's: 1.1 to 1.6."""


def test_every_role_has_a_unit_and_nothing_else_is_there() -> None:
    assert sorted(p.name for p in UNITS.glob("*.service")) == sorted(p.name for p in SERVICES)
    assert [p.name for p in UNITS.glob("*.timer")] == ["cherga-backup.timer"]


def _assert_hardened(path: Path) -> None:
    assert values(path, "User") == ["cherga"], "never root"
    for key, expected in (
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateMounts", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("ProtectClock", "yes"),
        ("ProtectHostname", "yes"),
        ("RestrictNamespaces", "yes"),
        ("RestrictSUIDSGID", "yes"),
        ("LockPersonality", "yes"),
        ("CapabilityBoundingSet", ""),
        ("UMask", "0077"),
        ("SystemCallArchitectures", "native"),
    ):
        assert values(path, key) == [expected], key
    assert values(path, "SystemCallFilter")[0] == "@system-service"
    assert "@privileged" in values(path, "SystemCallFilter")[1]
    # Devices: none (PrivateDevices), or only the listed ones.
    assert values(path, "PrivateDevices") == ["yes"] or values(path, "DevicePolicy") == ["closed"]
    state = values(path, "StateDirectory")
    assert state, "a writable place of its own under /var/lib"
    # What it may write is named (beyond its state folder, ProtectSystem=strict forbids it).
    assert f"/var/lib/{state[0]}" in " ".join(values(path, "ReadWritePaths")).split()
    families = " ".join(values(path, "RestrictAddressFamilies")).split()
    assert families and "AF_PACKET" not in families
    assert {"AF_INET", "AF_INET6"} <= set(families)
    assert "network-online.target" in " ".join(values(path, "After"))


@pytest.mark.parametrize("role", ROLES)
def test_each_unit_is_hardened_and_restarts(role: str) -> None:
    path = unit(role)
    _assert_hardened(path)
    assert values(path, "Restart") == ["always"]
    start = shlex.split(values(path, "ExecStart")[0])
    assert start[0] == f"{INSTALLED}/.venv/bin/cherga"
    assert start[1] == role
    assert role == "hub" or role in APPLIANCES, f"cherga {role} is not a command"
    if role == "hub":
        return
    # The device config holds its secrets: handed over as a credential, never read in place.
    assert values(path, "LoadCredential") == [f"device.toml:{DEVICE_CONFIG}"]
    assert start[2:4] == ["--config", CREDENTIAL]
    allowed = " ".join(values(path, "DeviceAllow"))
    if role in SCREENS_UNITS:
        assert "char-drm rw" in allowed and values(path, "SupplementaryGroups")
    if role == "printer":
        assert "char-usb rw" in allowed and "lp" in values(path, "SupplementaryGroups")[0]
    if role == "phone":
        assert allowed == "char-alsa rw" and values(path, "SupplementaryGroups") == ["audio"]


def test_the_backup_runs_daily_as_the_hubs_user() -> None:
    _assert_hardened(BACKUP)
    hub = unit("hub")
    assert values(BACKUP, "Type") == ["oneshot"]
    assert values(BACKUP, "User") == values(hub, "User")
    assert values(BACKUP, "Environment") == [
        e for e in values(hub, "Environment") if e.startswith("CHERGA_DATA_DIR=")
    ]
    assert values(BACKUP, "EnvironmentFile") == values(hub, "EnvironmentFile")
    start = shlex.split(values(BACKUP, "ExecStart")[0])
    assert start[:3] == [f"{INSTALLED}/.venv/bin/cherga", "backup", "--keep"]
    assert int(start[3]) >= 7
    timer = UNITS / "cherga-backup.timer"
    assert values(timer, "OnCalendar") == ["*-*-* 02:30:00"]
    assert values(timer, "Persistent") == ["yes"]
    assert values(timer, "WantedBy") == ["timers.target"]


def _analyze() -> str:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    if not (ROOT / ".venv/bin/cherga").exists():
        pytest.skip("no .venv/bin/cherga to stand in for the installed program")
    return analyze


def _installed_copies(folder: Path) -> list[Path]:
    """The units as installed: here the checkout stands in for /opt/cherga."""
    copies = []
    for path in sorted([*UNITS.glob("*.service"), *UNITS.glob("*.timer")]):
        text = path.read_text(encoding="utf-8").replace(INSTALLED, str(ROOT))
        (folder / path.name).write_text(text, encoding="utf-8")
        copies.append(folder / path.name)
    return copies


def test_units_are_accepted_by_systemd(tmp_path: Path) -> None:
    analyze = _analyze()
    copies = _installed_copies(tmp_path)
    done = subprocess.run(
        [analyze, "verify", *map(str, copies)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    ours = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("cherga-")]
    assert done.returncode == 0 and ours == [], done.stdout + done.stderr


def test_each_service_scores_well_in_systemds_security_review(tmp_path: Path) -> None:
    analyze = _analyze()
    scores = {}
    for copy in _installed_copies(tmp_path):
        if copy.suffix != ".service":
            continue
        done = subprocess.run(
            [analyze, "security", "--offline=yes", "--no-pager", str(copy)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        found = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", done.stdout)
        assert found, done.stdout + done.stderr
        scores[copy.name] = (float(found.group(1)), found.group(2))
    for name, (score, verdict) in scores.items():
        print(f"systemd-analyze security {name}: {score} {verdict}")
    assert {n: s for n, (s, _v) in scores.items() if s > EXPOSURE_LIMIT} == {}


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
    # systemd hands the config over in its credentials folder (%d).
    argv = shlex.split(pre.replace(CREDENTIAL, str(config)))
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
        [sys.executable, "-m", "hub.cli", *shlex.split(pre.replace(CREDENTIAL, str(wrong)))[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert refused.returncode != 0
