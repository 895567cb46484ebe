"""The panel's own settings: the ``[settings]`` table of its device config file.

Validated strictly at start, so a typo stops the panel with one line naming the setting rather
than a panel that silently ignores it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from firmware_config.device_config import DeviceConfig, DeviceConfigError, wrong_setting

DEFAULT_SIZE = (1280, 800)


class PanelSettings(BaseModel):
    """Operator panel settings (all optional)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    lang: Literal["uk", "en"] = Field(
        "uk", title="Language", description="The language the panel starts in."
    )
    auto_next: bool = Field(
        False,
        title="Auto-next",
        description="Start with 'after Done, call the next visitor' on (the operator can toggle).",
    )
    request_timeout_s: Annotated[float, Field(ge=1, le=60)] = Field(
        8.0,
        title="Request timeout",
        description="Seconds to wait for the hub before sending the same request again.",
    )
    font_scale: Annotated[float, Field(ge=0.5, le=3)] = Field(
        1.0, title="Text size", description="Multiplies every text size (for far-sighted users)."
    )
    fullscreen: bool = Field(
        False, title="Full screen", description="Take the whole screen (a kiosk-style panel)."
    )
    phone_device: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] | None = Field(
        None,
        title="Phone agent",
        description="The phone agent beside the panel, where provisioning wrote it here "
        "rather than as the config's top-level phone_device (absent: no phone area).",
    )


def load_settings(config: DeviceConfig) -> PanelSettings:
    """The panel settings of ``config``; DeviceConfigError names the wrong one in one line."""
    if config.role != "panel":
        raise DeviceConfigError(f"role: this is a {config.role}'s config, not a panel's")
    try:
        return PanelSettings.model_validate(config.settings)
    except ValidationError as exc:
        raise DeviceConfigError(wrong_setting(exc)) from None


def phone_device(config: DeviceConfig) -> str | None:
    """The phone agent beside the panel: the config's top-level ``phone_device``, else the one
    in its ``[settings]`` (provisioning writes it there while the config has no such key)."""
    value = getattr(config, "phone_device", None) or config.settings.get("phone_device")
    return value if isinstance(value, str) and value else None


def screen_size(config: DeviceConfig) -> tuple[int, int]:
    """The panel's screen size in pixels, after its rotation."""
    width, height = DEFAULT_SIZE
    if config.screen is not None:
        width = config.screen.width or width
        height = config.screen.height or height
        if config.screen.rotation in (90, 270):
            width, height = height, width
    return width, height
