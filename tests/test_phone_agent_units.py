"""The phone agent's parts without SIP peers: the line manager (with the conference), the mixer,
the settings and CLI, the media recorder's names, and the adapter's fixes of the library that
need no network."""

from __future__ import annotations

import hashlib
import time
import wave
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from firmware_config.device_config import DeviceConfig, MqttConfig, write_config
from hub.protocol.devices import PhoneCall
from operator_panel.phone import cli
from operator_panel.phone.lines import LineError, LineManager
from operator_panel.phone.media import Media, loud, recording_name
from operator_panel.phone.mixer import (
    HOLD_TONE,
    LegRoute,
    clip,
    mix,
    ring_frame,
    route,
    to_signed,
)
from operator_panel.phone.settings import PhoneSettingsError, parse_settings
from operator_panel.phone.voip import VoipPhone
from tests.sip_peers import free_port

pytestmark = pytest.mark.timeout(30)

SIP = {"server": "127.0.0.1", "user": "1001", "password": "pw", "local_port": 5070}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def manager(lines: int = 5, ring: float = 30.0) -> tuple[LineManager, Clock]:
    clock = Clock()
    at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    return LineManager(lines, ring, clock=clock, now=lambda: at), clock


def states(reports: list[PhoneCall]) -> list[tuple[str, str]]:
    return [(r.line, r.state) for r in reports]


def test_a_call_rings_is_answered_held_and_ends_with_its_talk_time() -> None:
    lines, clock = manager()
    offer = lines.offer("c1", "0501234567", "Olena")
    assert offer.ring and states(offer.reports) == [("1", "ringing")]
    assert offer.reports[0].remote_name == "Olena"
    clock.t += 4
    assert states(lines.answered("c1")) == [("1", "answered")]
    assert states(lines.hold("c1", True)) == [("1", "held")]
    with pytest.raises(LineError):
        lines.hold("c1", True)
    assert states(lines.hold("c1", False)) == [("1", "answered")]
    lines.recording("c1", "a.wav")
    clock.t += 62.4
    (ended,) = lines.ended("c1", "remote_hangup")
    assert (ended.state, ended.duration_s, ended.recording) == ("ended", 62, "a.wav")
    assert lines.busy == 0


def test_five_lines_then_busy_and_lines_are_reused() -> None:
    lines, _ = manager()
    for n in range(5):
        assert lines.offer(f"c{n}", "100").ring
    sixth = lines.offer("c5", "100")
    assert not sixth.ring
    assert (sixth.reports[0].state, sixth.reports[0].reason) == ("rejected", "busy")
    with pytest.raises(LineError, match="busy"):
        lines.dialing("out", "200")
    lines.ended("c2", "cancelled")
    assert states(lines.offer("c6", "100").reports) == [("3", "ringing")]


def test_unanswered_calls_are_missed_both_ways() -> None:
    lines, clock = manager(ring=10)
    lines.offer("in", "100")
    assert states(lines.dialing("out", "200")) == [("2", "ringing")]
    clock.t += 9
    assert lines.expired() == []
    clock.t += 1
    assert lines.expired() == ["in"]
    (missed_in,) = lines.ended("in", "no_answer")
    (missed_out,) = lines.ended("out", "failed")
    assert (missed_in.state, missed_in.direction, missed_in.reason) == ("missed", "in", "no_answer")
    assert (missed_out.state, missed_out.direction) == ("missed", "out")
    assert lines.ended("in", "again") == []  # an end reported twice is reported once


@pytest.mark.parametrize(
    ("command", "state"),
    [("hold", "ringing"), ("dtmf", "ringing"), ("record_stop", "answered"),
     ("answer", "answered"), ("reject", "answered"), ("unhold", "answered")],
)  # fmt: skip
def test_commands_the_state_does_not_allow_are_refused(command: str, state: str) -> None:
    lines, _ = manager()
    lines.offer("c1", "100")
    if state == "answered":
        lines.answered("c1")
    with pytest.raises(LineError):
        lines.check(command, "c1")
    with pytest.raises(LineError, match="no call"):
        lines.check("hangup", "nope")


def test_an_outgoing_call_cannot_be_answered_by_us() -> None:
    lines, _ = manager()
    lines.dialing("o1", "200")
    with pytest.raises(LineError, match="dialing"):
        lines.check("answer", "o1")
    assert lines.check("hangup", "o1").direction == "out"


def test_recording_names_fit_the_protocol(tmp_path: Path) -> None:
    name = recording_name("3", "+380 (50) 123-45-67", datetime(2026, 11, 28, tzinfo=UTC))
    assert name == "20261128T000000000000-l3-380501234567.wav"
    PhoneCall.model_validate(
        {"call_id": "x", "line": "1", "direction": "in", "remote": "1", "state": "ended",
         "at": datetime.now(UTC), "recording": recording_name("1", "../../etc/passwd")}
    )  # fmt: skip
    assert not loud(b"\x80" * 160) and loud(b"\x80" * 80 + b"\xc0" * 80)


class _Leg:
    """Media's view of a call: what the peer would have sent (no SIP involved)."""

    id, remote = "leg", "100"

    def read_audio(self) -> bytes:
        return b"\xc0" * 160

    def write_audio(self, frame: bytes) -> None:
        pass


def test_a_recording_is_a_wav_of_what_the_other_party_said(tmp_path: Path) -> None:
    media = Media(tmp_path)
    media.start()
    media.add(_Leg())  # type: ignore[arg-type]
    path = media.record_start("leg", "x.wav")

    time.sleep(0.3)
    media.record_stop("leg")
    media.stop()
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (8000, 1, 1)
        assert wav.getnframes() >= 160 * 5
        assert set(wav.readframes(wav.getnframes())) == {0xC0}


# ---- the conference: lines and the mixer ----------------------------------------------------


def test_a_held_call_joins_the_current_call_and_leaves_it_alone_when_one_ends() -> None:
    lines, clock = manager()
    for cid in ("a", "b", "c"):
        lines.offer(cid, cid)
        lines.answered(cid)
        clock.t += 1
    lines.hold("a", True)
    with pytest.raises(LineError, match="answered"):
        lines.check("conference", "b")  # only a held call joins
    lines.hold("c", True)
    joined = lines.conference("a", exclude={"x"})  # b answered last: the operator's call
    assert [(r.call_id, r.state, r.reason) for r in joined] == [
        ("a", "answered", "conference"), ("b", "answered", "conference")
    ]  # fmt: skip
    assert lines.in_conference() == {"a", "b"}
    (c,) = lines.conference("c")  # a third joins the conference, not a new one
    assert (c.state, lines.in_conference()) == ("answered", {"a", "b", "c"})
    assert [r.reason for r in lines.hold("b", True)] == ["conference"]  # held, still in it
    assert lines.ended("c", "remote_hangup")[0].state == "ended"  # two are left: still one
    ended, alone = lines.ended("a", "remote_hangup")
    assert (ended.call_id, alone.call_id, alone.state, alone.reason) == ("a", "b", "held", None)
    assert lines.in_conference() == set()


def test_a_conference_needs_an_answered_call_of_the_operators() -> None:
    lines, _ = manager()
    lines.offer("a", "1")
    lines.answered("a")
    lines.hold("a", True)
    lines.dialing("t", "2")
    lines.answered("t")  # a transfer's leg: answered, but not the operator's
    with pytest.raises(LineError, match="no answered call"):
        lines.conference("a", exclude={"t"})


def _tone(level: int) -> bytes:
    return bytes(128 + (level if i % 2 else -level) for i in range(160))


def test_mix_sums_signed_samples_and_clips() -> None:
    assert to_signed(b"\x00\x80\xff") == [-128, 0, 127] + [0] * 157
    assert (clip(300), clip(-300), clip(5)) == (127, -128, 5)
    assert mix([]) == b"\x80" * 160
    assert mix([b"\x90" * 160, b"\x88" * 160]) == b"\x98" * 160  # 16 + 8
    assert mix([b"\xf0" * 160, b"\xf0" * 160]) == b"\xff" * 160  # 112 + 112 clipped to 127
    assert mix([b"\x10" * 160, b"\x10" * 160]) == b"\x00" * 160  # -112 - 112 clipped
    assert mix([_tone(40), _tone(40)]) == _tone(80)
    assert mix([b"\xa0" * 10]) == b"\xa0" * 10 + b"\x80" * 150  # a short frame is padded


def test_route_three_way_with_a_microphone() -> None:
    a, b, mic = b"\x90" * 160, b"\x88" * 160, b"\x84" * 160
    legs = {"a": LegRoute(conference=True, recording=True), "b": LegRoute(conference=True)}
    out = route(legs, {"a": a, "b": b}, mic, speaker=True)
    assert out.send == {"a": mix([b, mic]), "b": mix([a, mic])}  # never your own voice back
    assert out.speaker == mix([a, b])
    assert out.record == {"a": mix([a, b, mic])}  # the whole conversation
    held = {**legs, "b": LegRoute(held=True, conference=True)}
    out = route(held, {"a": a, "b": b}, None)
    assert out.send == {} and out.speaker is None  # b on hold: a hears nobody, b not heard


def test_route_plain_calls_bridges_and_no_sound() -> None:
    a, b, c = b"\x90" * 160, b"\x88" * 160, b"\x84" * 160
    legs = {"a": LegRoute(), "b": LegRoute(partner="c"), "c": LegRoute(partner="b")}
    out = route(legs, {"a": a, "b": b, "c": c}, b"\xa0" * 160, speaker=True)
    assert out.send == {"a": b"\xa0" * 160, "b": c, "c": b}  # the bridge is not ours
    assert out.speaker == a
    out = route({"a": LegRoute(recording=True)}, {"a": a}, None)
    assert out.send == {} and out.record == {"a": a} and out.speaker is None
    assert len(HOLD_TONE) == 150 and loud(HOLD_TONE[0])


def test_the_ring_and_the_call_waiting_beeps() -> None:
    """Alone: 1 s of ring in 5 s; talking: two short beeps in 5 s, or nothing when muted."""
    ring = [ring_frame(n, talking=False, second_ring=False) for n in range(250)]
    assert sum(loud(f or b"") for f in ring) == 50 and all(loud(f or b"") for f in ring[:50])
    beeps = [ring_frame(n, talking=True, second_ring=True) for n in range(250)]
    assert sum(loud(f or b"") for f in beeps) == 20 and not loud(beeps[15] or b"")
    assert ring_frame(0, talking=True, second_ring=False) is None
    assert ring_frame(250, talking=False, second_ring=True) == ring[0]  # it repeats


# ---- settings and CLI ---------------------------------------------------------------------


def test_settings_name_the_wrong_key() -> None:
    with pytest.raises(PhoneSettingsError, match=r"settings\.sip\.lines"):
        parse_settings({"sip": {**SIP, "lines": 6}})
    with pytest.raises(PhoneSettingsError, match="two ports per line"):
        parse_settings({"sip": {**SIP, "rtp_port_low": 10000, "rtp_port_high": 10004}})
    with pytest.raises(PhoneSettingsError, match=r"settings\.sip\.proxi"):
        parse_settings({"sip": {**SIP, "proxi": "x"}})
    parsed = parse_settings({"sip": SIP})
    assert parsed.sip is not None and parsed.sip.lines == 5
    assert "pw" not in repr(parsed)
    assert parsed.sound_device is None
    for off in ("none", "None", ""):
        assert parse_settings({"sound_device": off}).sound_device is None
    for name in ("default", "plughw:1,0", "hw:CARD=Headset,DEV=0"):
        assert parse_settings({"sound_device": name}).sound_device == name
    with pytest.raises(PhoneSettingsError, match=r"settings\.sound_device: .*ALSA device"):
        parse_settings({"sound_device": "-D x; rm"})


def _config(tmp_path: Path, settings: dict[str, Any]) -> Path:
    path = tmp_path / "phone.toml"
    write_config(
        DeviceConfig(
            device_id="phone-1", role="phone", site="main", name="Phone",
            mqtt=MqttConfig(host="127.0.0.1", username="phone-1", password="mqtt-secret"),  # type: ignore[arg-type]
            settings=settings,
        ),
        path,
    )  # fmt: skip
    return path


def test_validate_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _config(tmp_path, {"sip": SIP})
    assert cli.main(["--config", str(good), "--validate-config"]) == 0
    assert "valid phone configuration" in capsys.readouterr().out
    bad = _config(tmp_path, {"sip": {**SIP, "port": 0}})
    assert cli.main(["--config", str(bad), "--validate-config"]) == 2
    err = capsys.readouterr().err
    assert "settings.sip.port" in err and "mqtt-secret" not in err and "pw" not in err
    assert cli.main([]) == 2


# ---- fixes of the library that need no network ----------------------------------------------


def _sip_settings() -> Any:
    port = free_port()
    parsed = parse_settings({"sip": {**SIP, "local_ip": "127.0.0.1", "local_port": port}})
    return parsed.sip


def test_call_ids_differ_after_a_restart() -> None:
    """The library hashes a counter from 1: every run would reuse yesterday's Call-IDs."""
    first = VoipPhone(_sip_settings())._new_lib()
    second = VoipPhone(_sip_settings())._new_lib()
    ids = {first.sip.gen_call_id(), second.sip.gen_call_id(), first.sip.gen_call_id()}
    assert len(ids) == 3
    counter_one = hashlib.sha256(b"1").hexdigest()[:32]
    assert not any(i.startswith(counter_one) for i in ids)


def test_the_library_does_not_print(capsys: pytest.CaptureFixture[str]) -> None:
    """Its debug() printed every SIP event to stdout (journald); now it goes to our logger."""
    VoipPhone(_sip_settings())
    import importlib

    sip_module: Any = importlib.import_module("rfcvoip.SIP")
    package: Any = importlib.import_module("rfcvoip")
    sip_module.debug("a SIP event", "a short one")
    package.debug("another")
    assert capsys.readouterr().out == ""


def test_incoming_calls_are_handed_over_without_the_one_second_delay() -> None:
    lib = VoipPhone(_sip_settings())._new_lib()
    seen: list[float] = []

    class FakeCall:  # what the library's runner checks before calling back
        call_id = "x"
        phone = None
        state = None

    start = time.monotonic()
    lib._run_call_callback(lambda call: seen.append(time.monotonic() - start), FakeCall())
    assert seen and seen[0] < 0.2


def test_audio_that_arrives_just_after_its_read_is_played_not_dropped() -> None:
    """rfcvoip's receive buffer moved its play cursor on a read that found nothing, so a packet
    arriving a moment later was behind it and dropped, and so was every later one in that phase
    (a caller kept 7-30 % of their audio in the lines bench). Read through ``steady_read``, the
    same packets in the same order are all heard; far behind, the delay is cut to two frames."""
    from types import SimpleNamespace

    from rfcvoip.RTP import RTPPacketManager

    from operator_panel.phone.libfixes import MAX_LAG_FRAMES, steady_read
    from operator_panel.phone.sip import FRAME

    def call() -> tuple[Any, RTPPacketManager]:
        buffer = RTPPacketManager()
        return SimpleNamespace(RTPClients=[SimpleNamespace(pmin=buffer)]), buffer

    def frame(n: int) -> bytes:
        return bytes([n % 200 + 20]) * FRAME

    def play(read: Any) -> list[bytes]:
        lib, buffer = call()
        heard = []
        buffer.write(0, frame(0))  # the first packet starts the stream
        heard.append(read(lib, buffer))
        for n in range(1, 50):
            heard.append(read(lib, buffer))  # the read comes first ...
            buffer.write(n * FRAME, frame(n))  # ... and the packet for it just after
        heard.append(read(lib, buffer))
        return [f for f in heard if f != b"\x80" * FRAME]

    library = play(lambda _lib, buffer: buffer.read(FRAME))
    steady = play(lambda lib, _buffer: steady_read(lib, FRAME))
    assert len(library) <= 2  # the library's own read loses nearly all of it
    assert steady == [frame(n) for n in range(50)]  # every frame, in order

    # Fallen far behind (reads stalled): the buffer is cut to its newest two frames.
    lib, buffer = call()
    for n in range(MAX_LAG_FRAMES + 4):
        buffer.write(n * FRAME, frame(n))
    assert steady_read(lib, FRAME) == frame(MAX_LAG_FRAMES + 2)
    assert steady_read(lib, FRAME) == frame(MAX_LAG_FRAMES + 3)
    # A call of another shape is left to the library.
    assert steady_read(SimpleNamespace(RTPClients=[]), FRAME) is None
