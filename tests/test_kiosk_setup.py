"""The kiosk's configuration, catalogues and screenshot command (no hub needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from firmware_config.i18n import Catalogue
from kiosk.cli import LOCALE, main
from kiosk.flow import EXPLAINED
from kiosk.settings import KioskSettingsError, parse_settings
from kiosk.shots import SCENES

TOP = Path(__file__).resolve().parents[1]

CONFIG = """
device_id = "kiosk-1"
role = "kiosk"
site = "main"
name = "Кіоск у холі"

[mqtt]
host = "127.0.0.1"
username = "kiosk-1"
password = "secret-1"

[screen]
width = 800
height = 1280
rotation = 90

[settings]
{settings}
"""


def test_every_language_translates_every_text() -> None:
    texts = Catalogue(LOCALE)
    assert texts.languages[:2] == ["uk", "en"]
    for lang in texts.languages:
        assert texts.missing(lang) == [], lang
    for code in EXPLAINED:
        for part in ("title", "advice"):
            assert texts.text("en", f"error.{code}.{part}") != texts.text(
                "uk", f"error.{code}.{part}"
            ), code


def test_settings_are_validated_with_the_setting_named() -> None:
    settings = parse_settings({"ask": ["name"], "ask_by_service": {"7": ["phone", "companies"]}})
    assert settings.details_for(1) == ["name"]
    assert settings.details_for(7) == ["phone", "companies"]
    with pytest.raises(KioskSettingsError, match=r"^k.toml: settings\.ask\.0: Input should be"):
        parse_settings({"ask": ["email"]}, "k.toml")
    with pytest.raises(KioskSettingsError, match=r"settings\.idle_time: Extra inputs"):
        parse_settings({"idle_time": 5}, "k.toml")


def test_validate_config_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.toml"
    good.write_text(CONFIG.format(settings='ask = ["phone"]'), encoding="utf-8")
    assert main(["--config", str(good), "--validate-config"]) == 0
    assert "valid kiosk configuration for kiosk-1" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.format(settings="idle_timeout_s = -1"), encoding="utf-8")
    assert main(["--config", str(bad), "--validate-config"]) == 2
    err = capsys.readouterr().err.strip()
    assert "settings.idle_timeout_s" in err and len(err.splitlines()) == 1
    assert "secret-1" not in err


def test_screenshots_command_renders_every_screen_in_every_language(tmp_path: Path) -> None:
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy")}
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "kiosk", "screenshots", "--out", str(tmp_path)],
        cwd=TOP,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for scene in SCENES:
        for lang in ("uk", "en"):
            picture = tmp_path / f"kiosk-{scene}-{lang}.png"
            assert picture.stat().st_size > 10_000, picture  # drawn, not blank
    assert (tmp_path / "kiosk-start-portrait-uk.png").exists()
