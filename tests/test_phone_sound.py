"""The operator's sound device: the ALSA driver against ALSA's ``null`` device (no hardware
needed: arecord and aplay run for real), and the media routing through a fake headset (hardware
this machine cannot have) behind the same ``SoundDevice`` port, with real SIP peers: what the
fake microphone says reaches a SIPp leg, and what the peer says reaches the fake speaker.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from operator_panel.phone.mixer import SILENT_FRAME, loud
from operator_panel.phone.sound import AlsaSound, SoundDevice
from tests import sip_peers
from tests import test_phone_agent as agent_tests
from tests.mqtt import Broker
from tests.sip_peers import Registrar, Sipp, run_sipp
from tests.test_phone_agent import (
    NUMBER,
    WAIT,
    HubSide,
    Running,
    echoed,
    finished,
    make_agent,
    reaches,
    start_echo_callee,
)

pytestmark = pytest.mark.timeout(60)
# The real peers of the agent's tests: Mosquitto with the devices' ACL, Kamailio, the hub's side.
broker, hub, registrar = agent_tests.broker, agent_tests.hub, agent_tests.registrar


def need_alsa() -> None:
    if shutil.which("arecord") is None or shutil.which("aplay") is None:
        pytest.skip("arecord/aplay are not installed: apt-get install alsa-utils")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def pump(sound: AlsaSound, seconds: float) -> list[bytes]:
    """Read and write frames at the media thread's pace; what was read."""
    frames = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        frames.append(sound.read() or b"")
        sound.write(SILENT_FRAME)
        time.sleep(0.02)
    return frames


@pytest.fixture
def null_sound() -> Iterator[AlsaSound]:
    need_alsa()
    sound = AlsaSound("null", backoff=0.2)
    sound.open()
    yield sound
    pids = sound.pids
    sound.close()
    assert not any(alive(pid) for pid in pids)  # close() stopped (and reaped) them


# ---- the ALSA driver on the null device ---------------------------------------------------------


def test_alsa_plays_and_captures_frames_on_the_null_device(null_sound: AlsaSound) -> None:
    frames = pump(null_sound, 0.5)
    assert len(null_sound.pids) == 2 and all(alive(pid) for pid in null_sound.pids)
    assert all(len(frame) == 160 for frame in frames)
    assert null_sound.fault is None and null_sound.present


def test_a_stuck_device_never_stalls_the_caller(null_sound: AlsaSound) -> None:
    for pid in null_sound.pids:
        os.kill(pid, signal.SIGSTOP)  # arecord sends nothing, aplay takes nothing
    try:
        started = time.monotonic()
        for _ in range(400):  # 8 s of audio: far more than the pipe to aplay holds
            assert null_sound.read() is not None
            null_sound.write(b"\xc0" * 160)
        assert time.monotonic() - started < 1.0
    finally:
        for pid in null_sound.pids:
            os.kill(pid, signal.SIGCONT)


def test_a_dead_device_is_a_fault_and_starts_again(null_sound: AlsaSound) -> None:
    first = null_sound.pids
    os.kill(first[1], signal.SIGKILL)  # aplay dies
    pump(null_sound, 0.1)
    # Seen first either by the write (a broken pipe) or by the check (aplay's exit).
    fault = null_sound.fault or ""
    assert "aplay exited" in fault or "playing failed" in fault, fault
    pump(null_sound, 1.5)  # started again after the backoff; fine for a while: fault cleared
    assert null_sound.restarts >= 1 and null_sound.fault is None
    assert null_sound.pids and not set(null_sound.pids) & set(first)


def test_a_missing_device_is_a_fault_naming_it() -> None:
    need_alsa()
    sound = AlsaSound("nosuchcard", backoff=0.2)
    sound.open()
    try:
        deadline = time.monotonic() + 10
        while sound.fault is None and time.monotonic() < deadline:
            pump(sound, 0.1)
        assert sound.fault is not None and "nosuchcard" in sound.fault, sound.fault
        # Whichever of the two ALSA tools fails first is named (on a busy machine, either).
        assert "arecord exited" in sound.fault or "aplay exited" in sound.fault
        assert sound.read() is not None  # silence meanwhile, never an exception
    finally:
        sound.close()


def test_the_agent_reports_a_failing_sound_device(
    broker: Broker, hub: HubSide, registrar: Registrar, tmp_path: Path
) -> None:
    need_alsa()
    running = make_agent(broker, registrar, tmp_path, sound=AlsaSound("nosuchcard"))
    assert running.agent.start(wait=WAIT)
    try:
        hub.wait_state(
            lambda s: (
                any(f["code"] == "sound_device_failed" for f in s.get("faults", []))
                and bool(s.get("phone", {}).get("registered"))
            )  # the lines work without sound
        )
    finally:
        running.agent.stop()


# ---- routing through a fake headset, with real SIP peers -------------------------------------


class FakeHeadset(SoundDevice):
    """A microphone that says a 400 Hz square wave while ``talking``; a speaker that counts."""

    def __init__(self) -> None:
        self.talking = threading.Event()
        self.opened = self.closed = False
        self.played = 0
        self.played_loud = 0

    def open(self) -> None:
        self.opened = True

    def close(self) -> None:
        self.closed = True

    def read(self) -> bytes | None:
        if not self.talking.is_set():
            return SILENT_FRAME
        return bytes(128 + (40 if (i // 10) % 2 else -40) for i in range(160))

    def write(self, frame: bytes) -> None:
        self.played += 1
        self.played_loud += loud(frame)


@pytest.fixture
def headset(
    broker: Broker, hub: HubSide, registrar: Registrar, tmp_path: Path
) -> Iterator[tuple[Running, FakeHeadset]]:
    fake = FakeHeadset()
    running = make_agent(broker, registrar, tmp_path, sound=fake)
    assert running.agent.start(wait=WAIT)
    try:
        hub.wait_state(lambda s: bool(s.get("phone", {}).get("registered")))
        assert fake.opened
        yield running, fake
    finally:
        running.agent.stop()
    assert fake.closed


def test_the_microphone_reaches_the_peer_and_the_peer_the_speaker(
    headset: tuple[Running, FakeHeadset], hub: HubSide, registrar: Registrar, tmp_path: Path
) -> None:
    phone, fake = headset
    peer = start_echo_callee(registrar, tmp_path / "echo")  # sends back what it hears
    hub.send(type="dial", target="2001")
    call = hub.next_call("ringing").call_id
    hub.next_call("answered")
    time.sleep(0.5)
    assert echoed(phone.agent, call, 1, timeout=0) <= 2 and fake.played_loud <= 2  # silence
    fake.talking.set()
    assert echoed(phone.agent, call, 20) >= 20, "the microphone did not reach the peer"
    heard = reaches(lambda: fake.played_loud, 15)
    assert heard >= 15, "the peer's audio did not reach the speaker"
    hub.send(type="hold", call_id=call)  # held: the microphone no longer goes to the call
    hub.next_call("held")
    time.sleep(0.3)
    before = fake.played_loud
    time.sleep(0.5)
    assert fake.played_loud - before <= 2  # nor does the held party reach the speaker
    hub.send(type="hangup", call_id=call)
    hub.next_call("ended")
    finished(peer)


def test_a_caller_is_heard_on_the_speaker_and_in_a_three_way_conference(
    headset: tuple[Running, FakeHeadset], hub: HubSide, registrar: Registrar, tmp_path: Path
) -> None:
    phone, fake = headset
    wav = sip_peers.tone_wav(tmp_path / "tone.wav", seconds=8.0)
    scenario = sip_peers.caller_scenario(talk_ms=5000, wav=wav, dtmf="", hangup=True)
    caller = run_sipp(
        tmp_path / "a", scenario, proxy_port=registrar.port, service=NUMBER, caller="3003"
    )
    a = hub.next_call("ringing").call_id
    hub.send(type="answer", call_id=a)
    hub.next_call("answered")
    heard = reaches(lambda: fake.played_loud, 20)
    assert heard >= 20, "the caller's tone did not reach the speaker"
    hub.send(type="hold", call_id=a)
    hub.next_call("held")
    peer = start_echo_callee(registrar, tmp_path / "b")
    hub.send(type="dial", target="2001")
    b = hub.next_call("ringing").call_id
    hub.next_call("answered")
    hub.send(type="conference", call_id=a)
    hub.next_call("answered")
    fake.talking.set()  # the operator speaks to both
    assert echoed(phone.agent, b, 20) >= 20
    leg_a, leg_b = phone.agent.media.leg(a), phone.agent.media.leg(b)
    assert leg_a is not None and leg_b is not None
    assert leg_a.loud_out >= 20 and leg_b.loud_out >= 20  # the mic (and the other leg) to each
    finished(caller)
    hub.send(type="hangup", call_id=b)
    hub.next_call("ended")
    finished(peer)


def loud_while(fake: FakeHeadset, seconds: float) -> int:
    """How many loud frames the speaker played in the next ``seconds``."""
    before = fake.played_loud
    time.sleep(seconds)
    return fake.played_loud - before


def test_the_speaker_rings_and_a_second_line_beeps_unless_muted(
    headset: tuple[Running, FakeHeadset], hub: HubSide, registrar: Registrar, tmp_path: Path
) -> None:
    """PH-4: a call rings on the speaker; during a conversation another line gives the soft
    call-waiting beeps instead, and "mute the second line's ring" keeps even those quiet."""

    def caller(name: str) -> tuple[Sipp, str]:
        sipp = run_sipp(
            tmp_path / name, sip_peers.rejected_scenario(), proxy_port=registrar.port,
            service=NUMBER,
        )  # fmt: skip
        return sipp, hub.next_call("ringing").call_id

    def refuse(sipp: Sipp, call_id: str) -> None:
        hub.send(type="reject", call_id=call_id)
        hub.next_call("rejected")
        finished(sipp)

    _phone, fake = headset
    assert loud_while(fake, 0.3) == 0  # nothing rings, nothing plays
    before = fake.played_loud
    first = caller("first")
    assert reaches(lambda: fake.played_loud - before, 10) >= 10, "the ring was not heard"
    refuse(*first)
    time.sleep(0.2)
    assert loud_while(fake, 0.5) == 0  # refused: the ring stops

    peer = start_echo_callee(registrar, tmp_path / "talk")  # a conversation (the echo of silence)
    hub.send(type="dial", target="2001")
    talk = hub.next_call("ringing").call_id
    hub.next_call("answered")
    time.sleep(0.3)
    quiet = loud_while(fake, 0.3)
    before = fake.played_loud
    second = caller("second")
    beeps = reaches(lambda: fake.played_loud - before, quiet + 5)
    assert beeps - quiet >= 5, "no call-waiting beeps during the conversation"
    refuse(*second)

    hub.send(type="second_ring_off")
    hub.wait_state(lambda s: s.get("phone", {}).get("second_ring") is False)
    third = caller("third")
    assert loud_while(fake, 0.6) <= quiet + 1, "the muted second line still beeped"
    refuse(*third)
    hub.send(type="hangup", call_id=talk)
    hub.next_call("ended")
    finished(peer)
