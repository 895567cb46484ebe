"""The display's own settings: the ``[settings]`` table of its device config file.

The device config keeps role settings free-form so that one file configures any appliance; the
display validates its part here, strictly, at start, and refuses to run with one clear line that
names the wrong setting (``settings.announce.volume: ...``) rather than guessing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from firmware_config.device_config import DeviceConfig, wrong_setting

Lang = Literal["uk", "en"]
Texts = dict[Lang, Annotated[str, Field(max_length=2000)]]


def _both() -> list[Lang]:
    return ["uk", "en"]


def _voices() -> dict[Lang, str]:
    return {"uk": "uk", "en": "en-gb"}


class DisplaySettingsError(Exception):
    """The ``[settings]`` table of a display is wrong; the message is one line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnnounceSettings(_Strict):
    """How calls are spoken: offline speech (espeak-ng) after a chime."""

    enabled: bool = Field(True, title="Announce", description="Play a chime and speak each call.")
    languages: Annotated[list[Lang], Field(min_length=1, max_length=2)] = Field(
        default_factory=_both,
        title="Spoken languages",
        description="Languages spoken, in order; the hub's own list is narrowed to these.",
    )
    voices: dict[Lang, Annotated[str, Field(pattern=r"^[A-Za-z0-9_+-]{1,40}$")]] = Field(
        default_factory=_voices,
        title="espeak-ng voices",
        description="The espeak-ng voice per language (see `espeak-ng --voices`).",
    )
    volume: Annotated[int, Field(ge=0, le=100)] = Field(
        80, title="Volume", description="Loudness of chime and speech, 0-100 %."
    )
    rate: Annotated[int, Field(ge=80, le=400)] = Field(
        140, title="Speech rate", description="Words per minute; slower carries better in a hall."
    )
    chime: bool = Field(True, title="Chime", description="Play a two-tone chime before speech.")
    audio: Literal["auto", "aplay", "none"] = Field(
        "auto",
        title="Audio sink",
        description="aplay (ALSA) plays; none only renders WAV files; auto: aplay if present.",
    )
    audio_device: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, title="ALSA device", description="Passed to aplay -D; the default device if unset."
    )
    out_dir: Path | None = Field(
        None,
        title="WAV folder",
        description="Where announcement WAV files go; a private temporary folder if unset.",
    )
    keep: Annotated[int, Field(ge=1, le=1000)] = Field(
        20, title="WAV files kept", description="Older announcement files are deleted."
    )

    @field_validator("languages")
    @classmethod
    def _distinct(cls, value: list[Lang]) -> list[Lang]:
        if len(set(value)) != len(value):
            raise ValueError("each language at most once")
        return value


class DisplaySettings(_Strict):
    """Everything a display board can be told beyond who it is and where the broker is."""

    languages: Annotated[list[Lang], Field(min_length=1, max_length=2)] = Field(
        default_factory=_both,
        title="Screen languages",
        description="Languages the board is shown in; with two it alternates between them.",
    )
    language_seconds: Annotated[int, Field(ge=0, le=3600)] = Field(
        12, title="Language period", description="Seconds per language; 0 keeps the first one."
    )
    recent: Annotated[int, Field(ge=1, le=10)] = Field(
        5, title="Recent calls", description="How many earlier calls are listed below the newest."
    )
    ticker: Texts = Field(
        default_factory=dict,
        title="Running line",
        description="Text of the running line per language; no running line if empty.",
    )
    ticker_speed: Annotated[int, Field(ge=10, le=1000)] = Field(
        120, title="Running line speed", description="Pixels per second on a 1080-pixel screen."
    )
    services: dict[Annotated[str, Field(pattern=r"^[1-9][0-9]{0,9}$")], Texts] = Field(
        default_factory=dict,
        title="Service names",
        description='Names of services by id, {"7": {uk = "...", en = "..."}}: the board message '
        "carries only ids.",
    )
    announce: AnnounceSettings = Field(default_factory=AnnounceSettings)

    def ticker_text(self, lang: str) -> str:
        """The running line in ``lang`` (else Ukrainian), or "" for none."""
        texts = {str(k): v for k, v in self.ticker.items()}
        return texts.get(lang) or texts.get("uk") or ""

    def service_name(self, service_id: int, lang: str) -> str | None:
        """The configured name of a service in ``lang`` (else Ukrainian), or None."""
        names = {str(k): v for k, v in self.services.get(str(service_id), {}).items()}
        return names.get(lang) or names.get("uk") or next(iter(names.values()), None)


def parse_settings(data: dict[str, Any]) -> DisplaySettings:
    """Validate a ``[settings]`` table; DisplaySettingsError names the first wrong setting."""
    try:
        return DisplaySettings.model_validate(data)
    except ValidationError as exc:
        raise DisplaySettingsError(wrong_setting(exc)) from None


def settings_of(config: DeviceConfig) -> DisplaySettings:
    """The validated display settings of a device config."""
    return parse_settings(dict(config.settings))
