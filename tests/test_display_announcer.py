"""Announcements: a chime and espeak-ng speech rendered to WAV, then spoken first in, first out.

The WAV files are parsed and measured (length, loudness, the chime's pitch), because "a file was
written" says nothing about whether a hall hears a call.
"""

from __future__ import annotations

import array
import itertools
import logging
import math
import shutil
import threading
import wave
from pathlib import Path

import pytest

from display_board.announcer import RATE, Announcement, Announcer, NoAudio, Speaker, choose_sink
from display_board.board import announcement_text, catalogue
from display_board.settings import AnnounceSettings

WAIT = 30.0
pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def samples(path: Path) -> array.array[int]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (RATE, 2, 1)
        return array.array("h", wav.readframes(wav.getnframes()))


def rms(part: array.array[int]) -> float:
    return math.sqrt(sum(x * x for x in part) / max(1, len(part)))


def seconds(a: float, b: float) -> slice:
    return slice(int(a * RATE), int(b * RATE))


def call(number: str, window: str, langs: tuple[str, ...], recall: bool = False) -> Announcement:
    texts = catalogue()
    sentences = tuple(
        (lang, announcement_text(texts, lang, number, window, recall)) for lang in langs
    )
    return Announcement(number, window, recall, sentences)


def test_a_call_is_a_chime_then_speech_in_each_language(tmp_path: Path) -> None:
    speaker = Speaker(AnnounceSettings(volume=80))
    uk = samples(speaker.render(call("А-042", "3", ("uk",)), tmp_path / "uk.wav"))
    both = samples(speaker.render(call("А-042", "3", ("uk", "en")), tmp_path / "both.wav"))

    # The chime: 1.2 s, loud, its first tone E5 (659 Hz), counted by zero crossings.
    first_tone = uk[seconds(0.0, 0.4)]
    crossings = sum(1 for a, b in itertools.pairwise(first_tone) if a < 0 <= b)
    assert 0.4 * 640 < crossings < 0.4 * 680
    assert rms(uk[seconds(0.0, 1.2)]) > 2000
    assert rms(uk[seconds(1.21, 1.44)]) < 50  # a pause before the voice
    # The voice: "Талон А 0 4 2, вікно 3." takes a few seconds and is clearly audible.
    speech = uk[seconds(1.45, len(uk) / RATE)]
    assert 1.5 < len(speech) / RATE < 6.0
    assert rms(speech) > 1000
    # English follows Ukrainian: the same start, then more than a second of more speech.
    assert both[: len(uk) - int(0.2 * RATE)] == uk[: len(uk) - int(0.2 * RATE)]
    extra = (len(both) - len(uk)) / RATE
    assert 1.5 < extra < 6.0
    assert rms(both[seconds(len(uk) / RATE + 0.4, len(both) / RATE)]) > 1000


def test_volume_and_recall(tmp_path: Path) -> None:
    loud = Speaker(AnnounceSettings(volume=100))
    quiet = Speaker(AnnounceSettings(volume=20))
    mute = Speaker(AnnounceSettings(volume=0))
    one = call("Б-7", "2", ("uk",))
    levels = [
        rms(samples(s.render(one, tmp_path / f"{i}.wav")))
        for i, s in enumerate((loud, quiet, mute))
    ]
    assert levels[0] > 3 * levels[1] > 0 and levels[2] == 0
    plain = samples(loud.render(one, tmp_path / "plain.wav"))
    again = samples(loud.render(call("Б-7", "2", ("uk",), recall=True), tmp_path / "again.wav"))
    assert len(again) - len(plain) > RATE  # "Повторний виклик." is said first


class Gate:
    """A loudspeaker that takes as long as the test wants: what happens meanwhile is seen."""

    def __init__(self) -> None:
        self.played: list[Path] = []
        self.playing = threading.Event()
        self.release = threading.Event()

    def play(self, path: Path) -> None:
        self.played.append(path)
        self.playing.set()
        assert self.release.wait(WAIT)


def test_calls_arriving_while_one_is_spoken_wait_their_turn(tmp_path: Path) -> None:
    gate = Gate()
    done: list[tuple[str, Path | None]] = []
    finished = threading.Event()

    def on_done(item: Announcement, path: Path | None) -> None:
        done.append((item.number, path))
        if len(done) == 3:
            finished.set()

    announcer = Announcer(
        AnnounceSettings(out_dir=tmp_path, keep=2, chime=False), sink=gate, on_done=on_done
    )
    try:
        announcer.submit(call("А-1", "1", ("uk",)))
        assert gate.playing.wait(WAIT)
        announcer.submit(call("А-2", "2", ("uk",)))
        announcer.submit(call("А-3", "3", ("uk",)))
        assert announcer.pending() == 2 and done == []
        gate.release.set()
        assert finished.wait(WAIT)
    finally:
        announcer.close()
    assert [number for number, _ in done] == ["А-1", "А-2", "А-3"]
    assert [path.name for path in gate.played] == [
        "announce-000001-А1.wav",
        "announce-000002-А2.wav",
        "announce-000003-А3.wav",
    ]
    # Only the newest ``keep`` files stay; a restart continues the numbering.
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == [p.name for p in gate.played[1:]]
    restarted = Announcer(AnnounceSettings(out_dir=tmp_path, audio="none"))
    try:
        assert restarted._count == 3
    finally:
        restarted.close()


def test_without_an_audio_device_the_file_is_still_made_and_the_log_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = AnnounceSettings(audio="none", out_dir=tmp_path)
    assert isinstance(choose_sink(settings), NoAudio)
    made = threading.Event()
    announcer = Announcer(settings, on_done=lambda _item, path: made.set())
    with caplog.at_level(logging.WARNING, logger="display_board.announcer"):
        try:
            announcer.submit(call("В-5", "4", ("uk", "en")))
            assert made.wait(WAIT)
        finally:
            announcer.close()
    files = list(tmp_path.glob("announce-*.wav"))
    assert len(files) == 1 and len(samples(files[0])) > 3 * RATE
    assert "no audio device" in caplog.text
    # The announcer's own temporary folder is removed when it stops.
    temporary = Announcer(AnnounceSettings(audio="none"))
    folder = temporary.folder
    assert folder.is_dir()
    temporary.close()
    assert not folder.exists()
    # The worker threads were joined: nothing left running.
    assert not any(t.name == "display-announcer" for t in threading.enumerate())
