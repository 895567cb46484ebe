"""The display's view-model and settings, without Kivy: what the board says, in which words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from display_board.board import (
    BoardModel,
    announcement_text,
    catalogue,
    clock_text,
    date_text,
    spoken_number,
)
from display_board.settings import DisplaySettingsError, parse_settings
from hub.protocol.devices import BoardCall, BoardWait, DisplayAnnounce, DisplayBoard
from tests.office_time import utc_system  # noqa: F401

AT = datetime(2026, 11, 27, 9, 41, 5, tzinfo=UTC)


def board(*calls: tuple[str, str, int], waiting: dict[int, int] | None = None) -> DisplayBoard:
    return DisplayBoard(
        calls=[
            BoardCall(number=n, window=w, service_id=s, called_at=AT - timedelta(minutes=i))
            for i, (n, w, s) in enumerate(calls)
        ],
        waiting=waiting or {},
    )


def test_both_languages_have_every_text() -> None:
    texts = catalogue()
    assert texts.languages == ["uk", "en"]
    assert texts.missing("en") == []


@pytest.mark.parametrize(
    ("number", "lang", "said"),
    [
        ("А-042", "uk", "А 0 4 2"),
        ("А-042", "en", "A 0 4 2"),
        ("Б-017", "en", "B 0 1 7"),
        ("ж-5", "en", "ZH 5"),
        ("001", "uk", "0 0 1"),
        ("P-12", "uk", "P 1 2"),
    ],
)
def test_a_number_is_spoken_symbol_by_symbol(number: str, lang: str, said: str) -> None:
    assert spoken_number(number, lang) == said


def test_announcement_sentences() -> None:
    texts = catalogue()
    assert announcement_text(texts, "uk", "А-042", "3", False) == "Талон А 0 4 2, вікно 3."
    assert announcement_text(texts, "en", "А-042", "3", True) == (
        "Once again: ticket A 0 4 2, window 3."
    )


def test_the_newest_call_is_the_headline_and_earlier_ones_are_listed() -> None:
    settings = parse_settings(
        {
            "recent": 2,
            "services": {"1": {"uk": "Паспорти", "en": "Passports"}, "2": {"uk": "Податки"}},
        }
    )
    model = BoardModel(settings, catalogue())
    model.connected = True
    model.apply_board(
        board(
            ("А-042", "3", 1),
            ("Б-017", "1", 2),
            ("А-041", "2", 1),
            ("А-040", "3", 1),
            waiting={2: 3, 1: 7, 5: 0},
        )
    )
    uk, en = model.view("uk"), model.view("en")
    assert uk.headline is not None and (uk.headline.number, uk.headline.window) == (
        "А-042",
        "Вікно 3",
    )
    assert en.headline is not None and en.headline.window == "Window 3"
    assert [(r.number, r.window) for r in uk.recent] == [("Б-017", "Вікно 1"), ("А-041", "Вікно 2")]
    assert [(w.service, w.count) for w in uk.waiting] == [
        ("Паспорти", "7"),
        ("Податки", "3"),
        ("Послуга 5", "0"),
    ]
    assert [w.wait for w in uk.waiting] == ["", "", ""]  # an older hub sends no waits
    # The hub's waits (issue 20) are said as visitors read them; an empty line says none.
    waits = {1: BoardWait(s=1500, low_s=940, high_s=2050), 5: BoardWait(s=0, low_s=0, high_s=0)}
    model.apply_board(model.board.model_copy(update={"waits": waits}))  # type: ignore[union-attr]
    assert [w.wait for w in model.view("uk").waiting] == ["близько 25 хв (15–35)", "", ""]
    assert model.view("en").waiting[0].wait == "about 25 min (15–35)"
    # A name given only in Ukrainian is shown in English too, rather than a bare number.
    assert [w.service for w in en.waiting] == ["Passports", "Податки", "Service 5"]
    assert uk.status == "" and not uk.announcing
    # Without a configured name the CRM's name from the board is used.
    model.apply_board(model.board.model_copy(update={"names": {5: "Консультації", 1: "X"}}))  # type: ignore[union-attr]
    assert [w.service for w in model.view("en").waiting] == [
        "Passports",
        "Податки",
        "Консультації",
    ]


def test_status_and_empty_board() -> None:
    model = BoardModel(parse_settings({}), catalogue())
    view = model.view("uk")
    assert view.headline is None and view.headline_empty == "Очікуйте виклику"
    assert view.status == "З'єднання…" and view.ticker == ""
    model.apply_board(board(("А-001", "1", 1)))
    assert model.view("en").status == "No connection to the server"
    model.connected = True
    model.announcing = ("А-001", "1")
    assert model.view("uk").announcing


def test_languages_take_turns_and_announcements_are_narrowed() -> None:
    model = BoardModel(parse_settings({"language_seconds": 10}), catalogue())
    assert [model.language_at(s) for s in (0, 9.9, 10, 19.9, 20, 31)] == [
        "uk",
        "uk",
        "en",
        "en",
        "uk",
        "en",
    ]
    assert BoardModel(parse_settings({"language_seconds": 0}), catalogue()).language_at(99) == "uk"
    only_uk = BoardModel(parse_settings({"announce": {"languages": ["uk"]}}), catalogue())
    call = DisplayAnnounce(number="А-1", window="1", lang=["en", "uk"])
    assert only_uk.spoken_languages(call) == ["uk"]
    assert model.spoken_languages(call) == ["en", "uk"]
    assert only_uk.spoken_languages(DisplayAnnounce(number="А-1", window="1", lang=["en"])) == [
        "uk"
    ]


def test_clock() -> None:
    assert (clock_text(AT), date_text(AT)) == ("09:41", "27.11.2026")


# 00:09 UTC on a winter night is 02:09 in Kyiv (EET, UTC+2), and still the day before in UTC-5.
NIGHT = datetime(2026, 12, 6, 0, 9, 30, tzinfo=UTC)


@pytest.mark.usefixtures("utc_system")
def test_the_clock_shows_the_offices_time_not_the_systems() -> None:
    assert datetime.fromtimestamp(NIGHT.timestamp()).hour == 0  # the system zone is UTC
    model = BoardModel(parse_settings({}), catalogue())
    model.apply_board(DisplayBoard(tz="Europe/Kyiv"))
    assert model.clock(NIGHT) == ("02:09", "06.12.2026")
    # Summer time follows the zone's rules (EEST, UTC+3).
    assert model.clock(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == ("02:30", "02.07.2026")
    # Another office's board moves the clock with it, date included.
    model.apply_board(DisplayBoard(tz="America/New_York"))
    assert model.clock(NIGHT) == ("19:09", "05.12.2026")


@pytest.mark.usefixtures("utc_system")
def test_before_any_board_the_configs_zone_and_then_the_systems() -> None:
    configured = BoardModel(parse_settings({}), catalogue(), timezone="Europe/Kyiv")
    assert configured.clock(NIGHT) == ("02:09", "06.12.2026")
    # An older hub's board names no zone: the config's stays.
    configured.apply_board(DisplayBoard(waiting={1: 2}))
    assert configured.clock(NIGHT) == ("02:09", "06.12.2026")
    bare = BoardModel(parse_settings({}), catalogue())
    assert bare.clock(NIGHT) == ("00:09", "06.12.2026")  # nothing better than the system's


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "Europe/Kyiv/", "../../etc/passwd", "", "E" * 65, "Europe/Ky iv"]
)
def test_a_board_naming_an_unknown_zone_is_refused(zone: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DisplayBoard.model_validate({"v": 1, "tz": zone})
    assert caught.value.errors()[0]["loc"] == ("tz",)
    assert DisplayBoard.model_validate({"v": 1}).tz is None  # an older hub's board


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"announce": {"volume": 180}}, "settings.announce.volume: "),
        ({"colour": "red"}, "settings.colour: Extra inputs are not permitted"),
        ({"services": {"x": {"uk": "A"}}}, "settings.services.x.[key]"),
        ({"announce": {"voices": {"uk": "uk; rm -rf"}}}, "settings.announce.voices.uk"),
        ({"announce": {"languages": ["uk", "uk"]}}, "settings.announce.languages"),
        ({"announce": {"audio": "pulse"}}, "settings.announce.audio"),
    ],
)
def test_a_wrong_setting_is_named(data: dict[str, object], expected: str) -> None:
    with pytest.raises(DisplaySettingsError) as caught:
        parse_settings(data)
    assert str(caught.value).startswith(expected) and "\n" not in str(caught.value)


def test_callers_on_the_phone_are_shown_beside_the_services_line() -> None:
    model = BoardModel(
        parse_settings({"services": {"1": {"uk": "Паспорти", "en": "Passports"}}}), catalogue()
    )
    model.connected = True
    waiting = board(waiting={1: 7, 2: 3})
    model.apply_board(waiting.model_copy(update={"callers": {1: 2}, "names": {2: "Податки"}}))
    uk, en = model.view("uk"), model.view("en")
    assert [(w.service, w.count) for w in uk.waiting] == [("Паспорти", "7 (2)"), ("Податки", "3")]
    assert uk.waiting_label == "У черзі (у дужках — з них телефоном)"
    assert en.waiting_label == "Waiting (in brackets: of them on the phone)"
    model.apply_board(waiting)
    assert model.view("en").waiting_label == "Waiting"
