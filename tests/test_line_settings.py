"""The line agent's settings, its command line and its speech (real espeak-ng), without SIP."""

from __future__ import annotations

import array
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from firmware_config.device_config import DeviceConfig, MqttConfig, write_config
from operator_panel.phone.line_settings import parse_line_settings
from operator_panel.phone.media import loud
from operator_panel.phone.settings import PhoneSettingsError
from operator_panel.phone.sip import FRAME
from operator_panel.phone.speech import Speech, to_line

ROOT = Path(__file__).resolve().parent.parent
SIP = {"server": "127.0.0.1", "user": "100", "password": "x", "local_ip": "127.0.0.1"}


def settings(**extra: Any) -> dict[str, Any]:
    return {"sip": SIP, "services": [3, 5], "service_names": ["паспорти", "податки"], **extra}


def test_the_menu_is_built_from_services_and_their_spoken_names() -> None:
    parsed = parse_line_settings(settings(lang="en"))
    assert [(e.service_id, e.name) for e in parsed.menu] == [(3, "паспорти"), (5, "податки")]
    assert (parsed.max_callers, parsed.place_every_s, parsed.callback_key) == (20, 30.0, "*")
    assert parse_line_settings(settings(callback_key="none")).callback_key is None


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"service_names": ["паспорти"]}, "one spoken name"),
        ({"services": [3, 3]}, "twice"),
        ({"lang": "de"}, "settings.lang"),
        ({"max_callers": 0}, "settings.max_callers"),
        ({"services": []}, "settings.services"),
        ({"colour": "red"}, "settings.colour"),
        ({"callback_key": "5"}, "settings.callback_key"),
    ],
)
def test_wrong_settings_are_named_in_one_line(extra: dict[str, Any], said: str) -> None:
    with pytest.raises(PhoneSettingsError) as caught:
        parse_line_settings(settings(**extra))
    assert said in str(caught.value) and "\n" not in str(caught.value)


def _file(tmp_path: Path, role: str, data: dict[str, Any]) -> Path:
    path = tmp_path / f"{role}.toml"
    write_config(
        DeviceConfig(
            device_id=f"{role}-1", role=role, site="main", name="x",  # type: ignore[arg-type]
            mqtt=MqttConfig(host="127.0.0.1", port=1883, username=f"{role}-1",
                            password="p"),  # type: ignore[arg-type]
            settings=data,
        ),
        path,
    )  # fmt: skip
    return path


def test_the_command_validates_a_line_config_and_refuses_another_role(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "hub.cli", "line", "--validate-config", "--config"]
    good = subprocess.run(
        [*command, str(_file(tmp_path, "line", settings()))], capture_output=True, text=True,
        cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert "valid line configuration for line-1 (services 3, 5)" in good.stdout
    for path, said in (
        (_file(tmp_path, "phone", {}), "this file is for a phone"),
        (_file(tmp_path, "line", settings(services=[1])), "one spoken name"),
    ):
        bad = subprocess.run(
            [*command, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=60
        )
        assert bad.returncode == 2 and said in bad.stderr


def test_resampling_keeps_the_length_and_centres_silence() -> None:
    silence = array.array("h", [0] * 22050)
    line = to_line(silence, 22050)
    assert len(line) == 8000 and set(line) == {128}
    assert to_line(array.array("h"), 22050) == b""


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
@pytest.mark.parametrize(("lang", "text"), [("uk", "Ваше місце в черзі: 3."), ("en", "Hello!")])
def test_prompts_are_spoken_offline_as_line_frames(lang: str, text: str) -> None:
    frames = Speech().say(lang, text)
    assert len(frames) > 25 and all(len(frame) == FRAME for frame in frames)
    assert sum(loud(frame) for frame in frames) > 10


def test_without_espeak_prompts_are_silent_not_an_error(tmp_path: Path) -> None:
    assert Speech(program=str(tmp_path / "no-such-program")).say("uk", "Привіт") == []
