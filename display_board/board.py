"""What the board shows, worked out from protocol messages without any Kivy.

The widgets only copy a ``BoardView`` onto the screen, so everything a visitor reads (which call is
the big one, how a window is named, which services are listed, the clock) is decided and tested
here. The board is drawn only from the retained ``display/board`` message: it is the committed
state, so a display that was off for an hour is right the moment it gets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from display_board.settings import DisplaySettings
from firmware_config.i18n import Catalogue
from hub.protocol.devices import BoardCall, BoardWait, DisplayAnnounce, DisplayBoard
from hub.protocol.waits import say_wait
from hub.protocol.zones import local_time, office_zone

LOCALE = Path(__file__).with_name("locale")

# How a Cyrillic letter of a ticket number is said by an English voice (espeak's English voice
# cannot read Cyrillic). Not visible text: a pronunciation aid, so it lives with the code.
_SOUNDS = "A B V H G D E YE ZH Z Y I YI Y K L M N O P R S T U F KH TS CH SH SHCH YU YA"
_LATIN = dict(zip("АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЮЯ", _SOUNDS.split(), strict=True))


def catalogue() -> Catalogue:
    """The display's texts in every language it has."""
    return Catalogue(LOCALE)


def spoken_number(number: str, lang: str) -> str:
    """A ticket number as a voice should read it: letters and digits one by one ("А 0 4 2").

    "042" read as a whole is "forty-two", which a visitor holding "А-042" does not match with
    their ticket; one symbol at a time is what call centres and airports do.
    """
    symbols: list[str] = []
    for char in number.upper():
        if not char.isalnum():
            continue
        if lang != "uk" and char in _LATIN:
            symbols.append(_LATIN[char])
        else:
            symbols.append(char)
    return " ".join(symbols) or number


def announcement_text(texts: Catalogue, lang: str, number: str, window: str, recall: bool) -> str:
    """The sentence spoken for one call in one language."""
    key = "announce.recall" if recall else "announce.call"
    return texts.text(lang, key, number=spoken_number(number, lang), window=window)


def clock_text(now: datetime) -> str:
    """Hours and minutes of a local time, 24-hour, as on every Ukrainian wall clock."""
    return now.strftime("%H:%M")


def date_text(now: datetime) -> str:
    """The date of a local time in the Ukrainian (and European) order."""
    return now.strftime("%d.%m.%Y")


@dataclass(frozen=True, slots=True)
class CallRow:
    """One call as the screen shows it."""

    number: str
    window: str


@dataclass(frozen=True, slots=True)
class WaitingRow:
    """How many wait for one service."""

    service: str
    count: str
    wait: str = ""
    """The wait of a visitor joining now, as said (``hub.protocol.waits``); empty: unknown."""


@dataclass(frozen=True, slots=True)
class BoardView:
    """Every text of the board in one language, ready to be put on widgets."""

    lang: str
    title: str
    status: str
    now_label: str
    headline: CallRow | None
    headline_empty: str
    arrow: str
    announcing: bool
    recent_label: str
    recent: list[CallRow]
    recent_empty: str
    waiting_label: str
    waiting: list[WaitingRow]
    waiting_empty: str
    ticker: str


def _count(waiting: int, callers: int | None) -> str:
    return f"{waiting} ({callers})" if callers else str(waiting)


class BoardModel:
    """The display's state: the last committed board, the link state and the call being spoken."""

    def __init__(
        self, settings: DisplaySettings, texts: Catalogue, *, timezone: str | None = None
    ) -> None:
        """``timezone``: the device config's, used until a board names the office's."""
        self.settings = settings
        self.texts = texts
        self.board: DisplayBoard | None = None
        self.connected = False
        self.announcing: tuple[str, str] | None = None
        self._configured_zone = timezone
        self.zone: tzinfo = office_zone(timezone)
        """The office's zone: the last board's, else the config's, else the system's."""

    def apply_board(self, board: DisplayBoard) -> None:
        """Take a (retained or fresh) board message as the whole truth."""
        self.board = board
        self.zone = office_zone(board.tz, self._configured_zone)

    def clock(self, now: datetime) -> tuple[str, str]:
        """The clock and the date shown at the instant ``now``, in the office's zone."""
        local = local_time(now, self.zone)
        return clock_text(local), date_text(local)

    def spoken_languages(self, announce: DisplayAnnounce) -> list[str]:
        """The hub's languages for a call, narrowed to the ones this display speaks."""
        chosen = [str(lang) for lang in announce.lang if lang in self.settings.announce.languages]
        return chosen or [str(self.settings.announce.languages[0])]

    def language_at(self, seconds: float) -> str:
        """The screen language at a moment: the configured ones in turn, or the first."""
        langs = self.settings.languages
        period = self.settings.language_seconds
        if period == 0 or len(langs) == 1:
            return langs[0]
        return langs[int(seconds // period) % len(langs)]

    def service_name(self, service_id: int, lang: str) -> str:
        """The name configured for this display in ``lang``, else the CRM's name the board
        carries, else "Послуга 7"."""
        name = self.settings.service_name(service_id, lang)
        if not name and self.board is not None:
            name = self.board.names.get(service_id)
        return name or self.texts.text(lang, "board.service", id=service_id)

    @staticmethod
    def _wait(wait: BoardWait | None, lang: str) -> str:
        if wait is None:
            return ""
        return say_wait(wait.s, lang, wait.low_s, wait.high_s) or ""

    def _row(self, call: BoardCall, lang: str) -> CallRow:
        return CallRow(call.number, self.texts.text(lang, "board.window", window=call.window))

    def view(self, lang: str) -> BoardView:
        """What the screen shows now in ``lang``."""
        t = self.texts
        calls = self.board.calls if self.board else []
        waiting = self.board.waiting if self.board else {}
        headline = self._row(calls[0], lang) if calls else None
        recent = [self._row(call, lang) for call in calls[1 : 1 + self.settings.recent]]
        callers = self.board.callers if self.board else {}
        waits = self.board.waits if self.board else {}
        rows = [
            WaitingRow(
                self.service_name(service_id, lang),
                _count(count, callers.get(service_id)),
                self._wait(waits.get(service_id), lang) if count else "",
            )
            for service_id, count in sorted(waiting.items())
        ]
        if not self.connected:
            status = t.text(lang, "board.offline" if self.board else "board.connecting")
        else:
            status = ""
        ticker = self.settings.ticker_text(lang)
        return BoardView(
            lang=lang,
            title=t.text(lang, "board.title"),
            status=status,
            now_label=t.text(lang, "board.now"),
            headline=headline,
            headline_empty=t.text(lang, "board.empty"),
            arrow=t.text(lang, "board.arrow"),
            announcing=bool(headline and self.announcing and calls[0].number == self.announcing[0]),
            recent_label=t.text(lang, "board.recent"),
            recent=recent,
            recent_empty=t.text(lang, "board.recent_none"),
            # "7 (2)": seven wait, two of them on the phone (the label says so).
            waiting_label=t.text(lang, "board.waiting_callers" if callers else "board.waiting"),
            waiting=rows,
            waiting_empty=t.text(lang, "board.waiting_none"),
            ticker=ticker,
        )
