"""The Raspberry Pi OS set-up (firmware_config/pi/setup.sh): checked with shellcheck, run for each
role into a stand-in root (CHERGA_ROOT), where it writes the files a Pi needs, changes nothing the
second time, and refuses a wrong role, option or device config before writing anything."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from firmware_config.device_config import TouchCalibration, parse_config, write_config
from tests.test_systemd import INSTALLED, ROLE_SETTINGS, SCREENS

ROOT = Path(__file__).resolve().parent.parent
PI = ROOT / "firmware_config" / "pi"
SETUP = PI / "setup.sh"
ROLES = ["hub", "kiosk", "panel", "display", "printer", "phone"]
CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=0a1b2c3d-02 rootwait consoleblank=600"
DEVICE_CONFIG = "etc/cherga/device.toml"


def device_config(role: str, path: Path, touch: TouchCalibration | None = None) -> Path:
    """A valid device config of ``role`` (as `cherga device add` writes it) at ``path``."""
    data: dict[str, object] = {
        "device_id": f"{role}-1",
        "role": role,
        "site": "main",
        "name": f"{role} 1",
        "mqtt": {"host": "hub.local", "username": f"{role}-1", "password": "a-device-password-1"},
        "settings": ROLE_SETTINGS.get(role, {}),
        "timezone": "Europe/Kyiv",  # the office's, as `cherga device add` writes it
    }
    if role in SCREENS:
        data["screen"] = {"rotation": 90, "touch": touch.model_dump() if touch else None}
    if role == "panel":
        data["window"] = 1
    write_config(parse_config(data), path)
    return path


def pi_root(tmp_path: Path) -> Path:
    """A stand-in for a fresh Pi's root: only Raspberry Pi OS's boot files."""
    root = tmp_path / "root"
    boot = root / "boot" / "firmware"
    boot.mkdir(parents=True)
    (boot / "cmdline.txt").write_text(CMDLINE + "\n", encoding="utf-8")
    (boot / "config.txt").write_text("dtparam=audio=on\n\n[all]\n", encoding="utf-8")
    return root


def setup(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
    env.update(CHERGA_ROOT=str(root), CHERGA_PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    env["TMPDIR"] = str(root.parent)
    return subprocess.run(
        ["bash", str(SETUP), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def tree(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under ``root``: its bytes, mode and modification time."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mode, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


# ---- udev rules: each clause KEY[{attr}]OP"value", matches and assignments where they belong --
CLAUSE = re.compile(
    r"^(?P<key>[A-Z]+)(\{(?P<attr>[A-Za-z0-9_./\[\]-]+)\})?"
    r'(?P<op>==|!=|\+=|-=|:=|=)"(?P<value>[^"]*)"$'
)
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "SUBSYSTEMS", "KERNEL", "KERNELS", "ENV", "ATTR", "ATTRS"}
ASSIGN_KEYS = {"ENV", "GROUP", "MODE", "GOTO", "LABEL", "IMPORT", "SYMLINK", "TAG", "RUN"}


def udev_rules(path: Path) -> list[list[tuple[str, str | None, str, str]]]:
    """The rules of a udev rules file, each a list of (key, attr, operator, value); asserts
    that every clause is well formed and every GOTO has its LABEL."""
    rules = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        rule = []
        for clause in re.split(r'(?<="),\s*', line):
            found = CLAUSE.match(clause)
            assert found, f"{path.name}: not a udev clause: {clause!r}"
            key, attr, op, value = found.group("key", "attr", "op", "value")
            if op in ("==", "!="):
                assert key in MATCH_KEYS, clause
            else:
                assert key in ASSIGN_KEYS, clause
            rule.append((key, attr, op, value))
        rules.append(rule)
    labels = [v for rule in rules for k, _a, _o, v in rule if k == "LABEL"]
    gotos = {v for rule in rules for k, _a, _o, v in rule if k == "GOTO"}
    assert gotos <= set(labels) and len(labels) == len(set(labels)), path.name
    return rules


# ---- the tests ------------------------------------------------------------------------------
def test_the_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (Debian package shellcheck)")
    scripts = sorted(PI.rglob("*.sh"))
    assert SETUP in scripts
    done = subprocess.run(
        [shellcheck, "--shell=bash", "--severity=style", *map(str, scripts)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_set_up_and_a_second_run_changes_nothing(role: str, tmp_path: Path) -> None:
    root = pi_root(tmp_path)
    args = [role]
    if role != "hub":
        args += ["--device-config", str(device_config(role, tmp_path / "device.toml"))]
    else:
        args += ["--timezone", "Europe/Kyiv"]  # the hub has no device config to name it
    first = setup(root, *args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "a-device-password-1" not in first.stdout + first.stderr
    etc = root / "etc"

    unit = f"cherga-{role}.service"
    assert (etc / "systemd/system" / unit).read_text() == (ROOT / "systemd" / unit).read_text()
    assert f"would run: systemctl enable {unit}" in first.stdout
    assert "would run: useradd --system" in first.stdout
    if role == "hub":
        assert (etc / "systemd/system/cherga-backup.timer").exists()
        assert not (etc / "cherga").exists()
    else:
        copy = etc / "cherga/device.toml"
        assert copy.read_bytes() == (tmp_path / "device.toml").read_bytes()
        assert copy.stat().st_mode & 0o777 == 0o600

    watchdog = ini(etc / "systemd/system.conf.d/60-cherga-watchdog.conf")
    assert watchdog["Manager"]["RuntimeWatchdogSec"] == "14s"  # bcm2835-wdt: at most ~15 s
    journal = ini(etc / "systemd/journald.conf.d/60-cherga.conf")["Journal"]
    assert journal["Storage"] == "persistent" and journal["SystemMaxUse"] == "200M"
    assert not (etc / "systemd/journald.conf.d/61-cherga-read-only-root.conf").exists()
    time = ini(etc / "systemd/timesyncd.conf.d/60-cherga.conf")["Time"]
    assert time["NTP"] == "" and "pool.ntp.org" in time["FallbackNTP"]
    # The system's zone is the office's (a Pi left at UTC showed clocks two hours behind).
    assert os.readlink(etc / "localtime") == "/usr/share/zoneinfo/Europe/Kyiv"
    assert (etc / "timezone").read_text() == "Europe/Kyiv\n"

    boot = root / "boot/firmware"
    config_txt = (boot / "config.txt").read_text()
    assert config_txt.count("# >>> cherga") == 1 and "dtparam=watchdog=on" in config_txt
    cmdline = (boot / "cmdline.txt").read_text()
    assert cmdline.count("\n") == 1
    screen = role in ("kiosk", "panel", "display")
    if screen:
        tokens = cmdline.split()
        assert "consoleblank=0" in tokens and "consoleblank=600" not in tokens
        assert {"vt.global_cursor_default=0", "logo.nologo", "fbcon=rotate:3"} <= set(tokens)
        assert tokens[:4] == CMDLINE.split()[:4], "the Pi's own settings stay, in order"
        dropin = ini(etc / "systemd/system" / f"{unit}.d/60-cherga-pi-screen.conf")
        assert dropin["Unit"]["Conflicts"] == "getty@tty1.service"
        assert ini(etc / "systemd/logind.conf.d/60-cherga-screen.conf")["Login"]["NAutoVTs"] == "0"
        assert "would run: systemctl mask getty@tty1.service" in first.stdout
        assert not (etc / "udev/rules.d/61-cherga-touch.rules").exists()
    else:
        assert cmdline == CMDLINE + "\n"
        assert not (etc / "systemd/system" / f"{unit}.d").exists()
    assert ("dtparam=audio=on" in config_txt.split("# >>> cherga")[1]) == (
        role in ("panel", "display", "phone")
    )
    printer_rules = etc / "udev/rules.d/60-cherga-printer.rules"
    assert printer_rules.exists() == (role == "printer")

    before = tree(root)
    second = setup(root, role)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "no file changed under" in second.stdout
    assert "wrote:" not in second.stdout and "removed:" not in second.stdout
    assert tree(root) == before


def test_the_printer_rule_gives_known_printers_to_the_group_lp(tmp_path: Path) -> None:
    root = pi_root(tmp_path)
    done = setup(root, "printer", "--device-config", str(device_config("printer", tmp_path / "p")))
    assert done.returncode == 0, done.stderr
    rules = udev_rules(root / "etc/udev/rules.d/60-cherga-printer.rules")
    vendors = set()
    for rule in rules:
        clauses = {(k, a): (o, v) for k, a, o, v in rule}
        if ("GROUP", None) in clauses:
            assert clauses[("GROUP", None)] == ("=", "lp")
            assert clauses[("MODE", None)] == ("=", "0660")
        if ("ATTR", "idVendor") in clauses:
            op, vendor = clauses[("ATTR", "idVendor")]
            assert op == "==" and re.fullmatch(r"[0-9a-f]{4}", vendor)
            vendors.add(vendor)
    assert {"04b8", "0519", "1504", "0416"} <= vendors  # Epson, Star, Bixolon, Xprinter clones
    assert any(("ENV", "ID_USB_INTERFACES", "==", "*:0701??:*") in rule for rule in rules)
    assert any(("KERNEL", None, "==", "lp[0-9]*") in rule for rule in rules)


def test_the_touch_calibration_of_the_device_config_becomes_a_udev_rule(tmp_path: Path) -> None:
    root = pi_root(tmp_path)
    touch = TouchCalibration(min_x=4000, max_x=90, min_y=0, max_y=4095, device="FT5406*")
    config = device_config("kiosk", tmp_path / "kiosk.toml", touch)
    done = setup(root, "kiosk", "--device-config", str(config))
    assert done.returncode == 0, done.stderr
    assert "touch calibrated" in done.stdout
    rules = udev_rules(root / "etc/udev/rules.d/61-cherga-touch.rules")
    assigned = {(k, a): v for rule in rules for k, a, o, v in rule if o == "="}
    for axis in ("00", "35"):
        assert assigned[("ENV", f"EVDEV_ABS_{axis}")] == "4000:90"
    for axis in ("01", "36"):
        assert assigned[("ENV", f"EVDEV_ABS_{axis}")] == "0:4095"
    assert assigned[("IMPORT", "builtin")] == "keyboard"
    assert any(("ATTRS", "name", "==", "FT5406*") in rule for rule in rules)
    # Taken away again with the calibration, by the next run.
    device_config("kiosk", root / DEVICE_CONFIG)
    again = setup(root, "kiosk")
    assert "removed: /etc/udev/rules.d/61-cherga-touch.rules" in again.stdout
    assert not (root / "etc/udev/rules.d/61-cherga-touch.rules").exists()


def test_the_screen_session_unit_is_accepted_by_systemd(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    venv = Path(sys.executable).parent.parent  # stands in for the installed virtualenv
    if not (venv / "bin/cherga").exists():
        pytest.skip(f"no {venv}/bin/cherga to stand in for the installed program")
    root = pi_root(tmp_path)
    done = setup(root, "kiosk", "--device-config", str(device_config("kiosk", tmp_path / "k")))
    assert done.returncode == 0, done.stderr
    units = tmp_path / "units"
    shutil.copytree(root / "etc/systemd/system", units)
    for path in units.rglob("*.service"):
        text = path.read_text().replace(f"{INSTALLED}/.venv", str(venv))
        text = text.replace(INSTALLED, str(ROOT))
        path.write_text(text)
    env = dict(os.environ, SYSTEMD_UNIT_PATH=f"{units}:")
    verify = subprocess.run(
        [analyze, "verify", str(units / "cherga-kiosk.service")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    ours = [line for line in (verify.stdout + verify.stderr).splitlines() if "cherga" in line]
    assert verify.returncode == 0 and ours == [], verify.stdout + verify.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["router"], "unknown role 'router'"),
        ([], "setup.sh ROLE"),
        (["kiosk", "panel"], "one role only"),
        (["kiosk", "--fast"], "unknown option '--fast'"),
        (["hub", "--read-only-root"], "the hub writes its database"),
        (["printer", "--audio-card", "Headphones"], "a printer plays no sound"),
        (["display", "--audio-card", "bad card"], "not an ALSA card name"),
        (["phone", "--ntp", "time;reboot"], "not a host name"),
        (["kiosk"], "no device config"),
        (["hub", "--timezone", "Europe/../../etc/passwd"], "not a time zone name"),
        (["hub", "--timezone", "Kyiv; reboot"], "not a time zone name"),
    ],
)
def test_a_wrong_call_is_refused_and_writes_nothing(
    args: list[str], says: str, tmp_path: Path
) -> None:
    root = pi_root(tmp_path)
    before = tree(root)
    done = setup(root, *args)
    assert done.returncode == 2 and says in done.stderr, done.stdout + done.stderr
    assert tree(root) == before


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda t: t.replace("rotation = 90", "rotation = 45"), "screen.rotation"),
        (lambda t: t.replace('role = "kiosk"', 'role = "display"'), "made for a display"),
        (lambda t: t + "\n[screen.touch]\nmin_x = 1\nmax_x = 1\nmin_y = 0\nmax_y = 9\n", "touch"),
        (lambda t: t.replace("[mqtt]", "colour = 1\n[mqtt]"), "colour"),
        (lambda t: t[:-40], "device config refused"),
        (lambda t: t.replace('"Europe/Kyiv"', '"Mars/Olympus"'), "timezone: Value error"),
    ],
)
def test_a_bad_device_config_is_refused_and_writes_nothing(
    change: object, says: str, tmp_path: Path
) -> None:
    root = pi_root(tmp_path)
    config = device_config("kiosk", tmp_path / "kiosk.toml")
    config.write_text(change(config.read_text()))  # type: ignore[operator]
    before = tree(root)
    done = setup(root, "kiosk", "--device-config", str(config))
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr and "nothing was changed" in done.stderr
    assert "a-device-password-1" not in done.stdout + done.stderr
    assert tree(root) == before


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(tmp_path: Path) -> None:
    root = pi_root(tmp_path)
    before = tree(root)
    config = device_config("display", tmp_path / "display.toml")
    done = setup(root, "display", "--device-config", str(config), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would write: /etc/systemd/system/cherga-display.service" in done.stdout
    assert "would write: /boot/firmware/cmdline.txt" in done.stdout
    assert "dry run:" in done.stdout and "nothing done" in done.stdout
    assert tree(root) == before


def test_a_read_only_root_keeps_the_journal_in_memory(tmp_path: Path) -> None:
    root = pi_root(tmp_path)
    config = device_config("panel", tmp_path / "panel.toml")
    args = ["panel", "--device-config", str(config), "--read-only-root"]
    done = setup(root, *args, "--audio-card", "Headphones", "--ntp", "time.office.lan")
    assert done.returncode == 0, done.stderr
    volatile = root / "etc/systemd/journald.conf.d/61-cherga-read-only-root.conf"
    assert ini(volatile)["Journal"]["Storage"] == "volatile"
    assert "would run: raspi-config nonint enable_overlayfs" in done.stdout
    asound = (root / "etc/asound.conf").read_text()
    assert "defaults.pcm.card Headphones" in asound
    time = ini(root / "etc/systemd/timesyncd.conf.d/60-cherga.conf")["Time"]
    assert time["NTP"] == "time.office.lan"
    # Once the overlay is on (raspi-config put boot=overlay on the command line), it stays so.
    cmdline = root / "boot/firmware/cmdline.txt"
    cmdline.write_text("boot=overlay " + cmdline.read_text())
    again = setup(root, "panel", "--audio-card", "Headphones", "--ntp", "time.office.lan")
    assert again.returncode == 0 and volatile.exists(), again.stdout
    assert "no file changed under" in again.stdout


def test_the_zone_must_exist_and_agree_with_the_device_config(tmp_path: Path) -> None:
    root = pi_root(tmp_path)
    config = device_config("display", tmp_path / "display.toml")
    before = tree(root)
    other = setup(root, "display", "--device-config", str(config), "--timezone", "Europe/Paris")
    assert other.returncode == 2 and "names the office's zone Europe/Kyiv" in other.stderr
    assert tree(root) == before
    # Where the Pi's zone files can be seen, a zone they lack is refused before any change.
    (root / "usr/share/zoneinfo/Europe").mkdir(parents=True)
    (root / "usr/share/zoneinfo/Europe/Paris").write_bytes(b"TZif")
    before = tree(root)
    missing = setup(root, "hub", "--timezone", "Europe/Kyiv")
    assert missing.returncode == 2 and "no " in missing.stderr and "tzdata" in missing.stderr
    assert tree(root) == before
    done = setup(root, "hub", "--timezone", "Europe/Paris")
    assert done.returncode == 0, done.stderr
    assert os.readlink(root / "etc/localtime") == "/usr/share/zoneinfo/Europe/Paris"
    # A hub set up without a zone leaves the system's as it is.
    again = setup(root, "hub")
    assert "the system's zone is left as it is" in again.stdout
    assert os.readlink(root / "etc/localtime") == "/usr/share/zoneinfo/Europe/Paris"
