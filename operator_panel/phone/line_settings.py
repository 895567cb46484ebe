"""Settings of a line agent (``role = "line"``): the office's SIP account and what callers hear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from firmware_config.device_config import wrong_setting
from hub.protocol.devices import MAX_LINE_CALLERS
from operator_panel.phone.settings import PhoneSettingsError, SipSettings

Lang = Literal["uk", "en"]
SpokenText = Annotated[str, Field(min_length=1, max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class MenuEntry:
    """One service callers may choose; its key is its place in the menu (1 for the first)."""

    service_id: int
    name: str


class LineSettings(_Strict):
    """Everything a line agent needs beyond the common device config."""

    sip: SipSettings = Field(
        title="SIP", description="The office number's account (its ``lines`` is not used)."
    )
    lang: Lang = Field("uk", title="Language", description="The language callers are spoken to in.")
    services: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=9)] = (
        Field(
            title="Services",
            description="The ids of the services that take calls, in key order (key 1 is the "
            "first); with one, callers hear no menu.",
        )
    )
    service_names: Annotated[list[SpokenText], Field(min_length=1, max_length=9)] = Field(
        title="Spoken names",
        description="What the menu says for each service, in the same order: «паспорти».",
    )
    greeting: SpokenText | None = Field(
        None, title="Greeting", description="Said first (default: a greeting in the language)."
    )
    max_callers: Annotated[int, Field(ge=1, le=MAX_LINE_CALLERS)] = Field(
        20, title="Callers", description="Callers held at once; one more hears busy."
    )
    menu_timeout_s: Annotated[float, Field(gt=0, le=120)] = Field(
        10.0,
        title="Menu timeout",
        description="Seconds after the menu without a key: the first service is taken.",
    )
    place_every_s: Annotated[float, Field(ge=5, le=3600)] = Field(
        30.0,
        title="Place announcements",
        description="Seconds between two announcements of the place and estimated wait.",
    )
    callback_key: Literal["*", "#", "0", "9"] | None = Field(
        "*",
        title="Callback key",
        description='A waiting caller who presses it is called back keeping their place ("none": '
        "no callbacks).",
    )
    connect_timeout_s: Annotated[float, Field(gt=0, le=300)] = Field(
        30.0,
        title="Operator ring timeout",
        description="An operator's phone that does not answer in this time is reported.",
    )

    @field_validator("callback_key", mode="before")
    @classmethod
    def _no_callbacks(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() == "none" else value

    @model_validator(mode="after")
    def _menu(self) -> LineSettings:
        if len(set(self.services)) != len(self.services):
            raise ValueError("a service is in services twice")
        if len(self.service_names) != len(self.services):
            raise ValueError("give one spoken name in service_names for each of services")
        return self

    @property
    def menu(self) -> list[MenuEntry]:
        """The menu, in key order."""
        return [MenuEntry(i, n) for i, n in zip(self.services, self.service_names, strict=True)]


def parse_line_settings(data: dict[str, Any], source: str = "device config") -> LineSettings:
    """Validate the ``settings`` table; PhoneSettingsError names the first wrong setting."""
    try:
        return LineSettings.model_validate(data)
    except ValidationError as exc:
        raise PhoneSettingsError(f"{source}: {wrong_setting(exc)}") from None
