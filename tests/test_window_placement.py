"""firmware_config.window without a screen: what a device config asks for, and the journal line."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr

from firmware_config.device_config import DeviceConfig, MqttConfig, ScreenConfig
from firmware_config.window import Placement, describe, prepare, settle


def _config(screen: ScreenConfig | None) -> DeviceConfig:
    return DeviceConfig(
        device_id="kiosk-1",
        role="kiosk",
        site="main",
        name="Кіоск",
        mqtt=MqttConfig(host="127.0.0.1", username="kiosk-1", password=SecretStr("x")),
        screen=screen,
    )


@pytest.mark.parametrize(
    ("screen", "size", "rotation"),
    [
        (None, None, 0),
        (ScreenConfig(rotation=90), None, 90),
        (ScreenConfig(width=800, height=480), (800, 480), 0),
        (ScreenConfig(width=800, height=480, rotation=270), (800, 480), 270),
        (ScreenConfig(width=800), None, 0),  # half a size is no size: the display's is used
    ],
)
def test_the_config_size_and_rotation_win_where_given(
    screen: ScreenConfig | None, size: tuple[int, int] | None, rotation: int
) -> None:
    placement = Placement.of(_config(screen), fullscreen=True)
    assert (placement.fullscreen, placement.size, placement.rotation) == (True, size, rotation)


@pytest.fixture
def graphics() -> Iterator[Any]:
    """Kivy's Config, its graphics section put back afterwards (a later window reads it)."""
    from kivy.config import Config

    saved = dict(Config.items("graphics"))
    yield Config
    for key, value in saved.items():
        Config.set("graphics", key, value)


def test_prepare_never_asks_sdl_for_full_screen_at_creation(graphics: Any) -> None:
    Config = graphics
    prepare(Placement(fullscreen=True, size=None))
    assert Config.get("graphics", "fullscreen") == "0"
    assert Config.get("graphics", "borderless") == "1"
    assert (Config.get("graphics", "left"), Config.get("graphics", "top")) == ("0", "0")
    prepare(Placement(fullscreen=False, size=(800, 480)))
    assert (Config.get("graphics", "width"), Config.get("graphics", "height")) == ("800", "480")


def _window(**changes: Any) -> SimpleNamespace:
    attributes: dict[str, Any] = {
        "system_size": (1280, 800),
        "size": (800, 1280),
        "rotation": 90,
        "fullscreen": "auto",
        "get_window_info": lambda: None,  # not X11: SDL's size is the real one
    }
    return SimpleNamespace(**{**attributes, **changes})


def test_the_journal_line_names_real_size_rotation_layout_and_mode() -> None:
    line = settle(_window(), Placement(fullscreen=True, size=None, rotation=90))
    assert line.startswith("window: 1280x800 rotation 90 layout 800x1280 mode full screen")
    windowed = describe(_window(fullscreen=False), Placement(fullscreen=False, size=(1280, 800)))
    assert " mode windowed " in windowed
