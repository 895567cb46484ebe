"""The phone agent: the operator's SIP lines reported to the hub and driven from it (PH-1..PH-8).

MQTT in (``phone/{device}/cmd``), SIP through our ``SipPhone`` interface, every call state
change out on ``phone/{device}/call`` (QoS 1) and the registration and busy lines in the
device's retained state. Everything that changes a line runs in one worker thread, in order:
SIP events and commands are queued to it, so paho's and the SIP library's threads never block
and the line manager needs no locks.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path

from firmware_config.device_config import DeviceConfig
from hub.protocol import topics
from hub.protocol.devices import (
    FINAL_CALL_STATES,
    MAX_RECORDING_BYTES,
    Fault,
    PhoneCall,
    PhoneCmd,
    PhoneRecording,
    PhoneStatus,
)
from hub.protocol.messages import AnyMessage
from operator_panel.phone.device import SipDevice
from operator_panel.phone.jobs import run_jobs
from operator_panel.phone.lines import LineError, LineManager
from operator_panel.phone.media import Media, recording_name
from operator_panel.phone.settings import PhoneSettings
from operator_panel.phone.sip import EndReason, SipCall, SipError, SipPhone
from operator_panel.phone.sound import SoundDevice

logger = logging.getLogger(__name__)

DIALABLE = re.compile(r"^[A-Za-z0-9*#+._-]{1,64}$")


class PhoneAgent(SipDevice):
    """One operator's phone; ``start()`` it, ``stop()`` it."""

    def __init__(
        self,
        config: DeviceConfig,
        settings: PhoneSettings,
        sip: SipPhone | None,
        *,
        recordings: Path,
        sound: SoundDevice | None = None,
    ) -> None:
        super().__init__(config, "phone", "phone-agent")
        self.settings, self.sip = settings, sip
        lines = 5 if settings.sip is None else settings.sip.lines
        self.lines = LineManager(lines, settings.ring_timeout_s)
        self.media = Media(recordings, sound)
        self.call_topic = topics.phone_call(config.site, config.device_id)
        self.recording_topic = topics.phone_recording(config.site, config.device_id)
        self.cmd_topic = topics.phone_cmd(config.site, config.device_id)
        self.dtmf_received: dict[str, str] = {}
        self._calls: dict[str, SipCall] = {}
        # Transfers done by bridging: second leg id -> (first leg id, target) while it rings,
        # then both leg ids -> each other while bridged. The second leg is never reported.
        self._transfers: dict[str, tuple[str, str]] = {}
        self._bridged: dict[str, str] = {}
        self._hidden: set[str] = set()
        # Calls the hub asked for with their event made (a queue callback): call id -> event id,
        # sent with each of the call's reports so the hub completes that event.
        self._events: dict[str, int] = {}
        self.second_ring = True
        """PH-4: a line ringing while the operator talks is heard (False: kept quiet)."""

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self, wait: float | None = None) -> bool:
        """Connect to the broker, start the worker, the media thread and SIP registration."""
        self._publish_status(False)
        self.client.subscribe(self.cmd_topic, self._on_cmd)
        self._worker.start()
        self.media.start()
        if self.sip is not None:
            self.sip.start(self)
        else:
            logger.warning("no SIP account in the config ([settings.sip]): lines are off")
        self._report_faults()
        return self.client.start(wait=wait)

    def stop(self) -> None:
        """End the calls, unregister, publish ``offline`` and disconnect."""
        self._stop_worker()
        self.media.stop()
        if self.sip is not None:
            self.sip.stop()
        self.client.close()

    # ---- MQTT (network thread) -----------------------------------------------------------------

    def _on_cmd(self, topic: topics.Topic, message: AnyMessage) -> None:
        if topic.device != self.config.device_id or not isinstance(message, PhoneCmd):
            logger.warning("ignoring %s on %s", type(message).__name__, topic)
            return
        self._jobs.put(lambda: self._command(message))

    # ---- worker -----------------------------------------------------------------------------

    def _work(self) -> None:
        run_jobs(self._jobs, self._housekeeping, self.settings.status_interval_s, "phone agent")
        for call_id in list(self._calls):
            self._ended(call_id, "local")

    def _publish(self, reports: list[PhoneCall]) -> None:
        for report in reports:
            if report.call_id in self._hidden:
                continue
            event_id = self._events.get(report.call_id)
            if event_id is not None:
                report = report.model_copy(update={"event_id": event_id})
                if report.state in FINAL_CALL_STATES:
                    del self._events[report.call_id]
            logger.info(
                "call %s line %s %s %s: %s", report.call_id, report.line, report.direction,
                report.remote, report.state,
            )  # fmt: skip
            self.client.publish(self.call_topic, report, qos=1)
        self._publish_status(self._registered())

    def _report_faults(self) -> None:
        """The device state's faults: no SIP account, a line that cannot register (a refused
        certificate...), a sound device that does not work."""
        faults = []
        if self.sip is None:
            text = "No SIP account is configured for this phone ([settings.sip])."
            faults.append(Fault(code="sip_not_configured", message=text))
        elif (line := self.sip.fault) is not None:
            faults.append(Fault(code=line.code, message=line.message))
        sound = self.media.sound.fault
        if sound is not None:
            faults.append(Fault(code="sound_device_failed", message=sound))
        self._set_faults(faults)

    def _registration(self, registered: bool) -> None:
        # The line's fault goes with it: a state saying registered never carries a stale one.
        self._report_faults()
        self._publish_status(registered)

    def _registered(self) -> bool:
        return self.sip is not None and self.sip.registered

    def _publish_status(self, registered: bool) -> None:
        ringing = any(line.state == "ringing" for line in self.lines.calls())
        self.media.set_ringing(ringing, second_ring=self.second_ring)
        status = PhoneStatus(
            registered=registered,
            number=None if self.settings.sip is None else self.settings.sip.user[:64],
            lines=self.lines.lines, busy=self.lines.busy, second_ring=self.second_ring,
        )  # fmt: skip
        self._set_phone(status)

    def _housekeeping(self) -> None:
        for call_id in self.lines.expired():
            logger.info("call %s not answered in %.0f s", call_id, self.settings.ring_timeout_s)
            call = self._calls.pop(call_id, None)
            if call is not None:
                try:
                    call.reject()
                except SipError as exc:
                    logger.warning("refusing call %s failed: %s", call_id, exc)
            self._publish(self.lines.ended(call_id, "no_answer"))
        self._publish_status(self._registered())
        self._report_faults()

    def _incoming(self, call: SipCall) -> None:
        offer = self.lines.offer(call.id, call.remote, call.remote_name)
        if offer.ring:
            self._calls[call.id] = call
        else:
            logger.info("all lines busy: refusing call from %s", call.remote)
            try:
                call.reject(busy=True)
            except SipError as exc:
                logger.warning("refusing call %s failed: %s", call.id, exc)
        self._publish(offer.reports)

    def _answered(self, call: SipCall) -> None:
        if call.id not in self._calls:
            return
        self.media.add(call)
        self._publish(self.lines.answered(call.id))
        if call.id in self._transfers:
            self._connect(call)

    def _connect(self, second: SipCall) -> None:
        """The transfer target answered: bridge it to the caller, who leaves the lines."""
        first_id, target = self._transfers.pop(second.id)
        first = self._calls.get(first_id)
        if first is None:  # the caller hung up meanwhile
            self._ended(second.id, "local")
            return
        self._bridged[first_id], self._bridged[second.id] = second.id, first_id
        self.media.bridge(first, second)
        self.media.record_stop(first_id)
        logger.info("call %s bridged to %s (%s)", first_id, second.id, target)
        self._hidden.add(first_id)  # ended later, but it is reported transferred now
        names = self._recordings_of(first_id)
        self._publish_visible(self.lines.transferred(first_id, target))
        self._send_recordings(first_id, names)

    def _publish_visible(self, reports: list[PhoneCall]) -> None:
        for report in reports:
            self._hidden.discard(report.call_id)
            self._publish([report])
            self._hidden.add(report.call_id)

    def _call_ended(self, call: SipCall, reason: EndReason) -> None:
        self._ended(call.id, reason)

    def _ended(self, call_id: str, reason: str) -> None:
        call = self._calls.pop(call_id, None)
        self.media.remove(call_id)  # closes its recording
        if reason == "local" and call is not None:
            try:
                call.hangup()
            except SipError as exc:
                logger.warning("hanging up call %s failed: %s", call_id, exc)
        names = [] if call_id in self._hidden else self._recordings_of(call_id)
        self._publish(self.lines.ended(call_id, reason))
        self._send_recordings(call_id, names)
        self._sync_conference()
        self._hidden.discard(call_id)
        pending = self._transfers.pop(call_id, None)
        if pending is not None:  # the target did not answer: back to the operator
            first_id = pending[0]
            self.media.hold(first_id, False)
            line = self.lines.get(first_id)
            if line is not None:
                line.state = "answered"
            self._publish(self.lines.report(first_id, "transfer_failed"))
        partner = self._bridged.pop(call_id, None)
        if partner is not None:  # one side of a bridge hung up: end the other
            self._bridged.pop(partner, None)
            self._ended(partner, "local")

    def _recordings_of(self, call_id: str) -> list[str]:
        line = self.lines.get(call_id)
        return [] if line is None else list(line.recordings)

    def _send_recordings(self, call_id: str, names: list[str]) -> None:
        """After the call's final report: each of its recordings to the hub, which attaches it
        to the call's event (PH-8). A file too large or gone stays in the folder, logged."""
        for name in names:
            path = self.media.recordings / name
            try:
                size = path.stat().st_size
                if size > MAX_RECORDING_BYTES:
                    logger.warning("recording %s is %d bytes: kept here, not sent", name, size)
                    continue
                wav = path.read_bytes()
            except OSError as exc:
                logger.warning("recording %s could not be read: %s", name, exc)
                continue
            message = PhoneRecording(
                call_id=call_id,
                name=name,
                sha256=hashlib.sha256(wav).hexdigest(),
                data=base64.b64encode(wav).decode("ascii"),
            )
            self.client.publish(self.recording_topic, message, qos=1)
            logger.info("recording %s sent to the hub (%d bytes)", name, size)

    def _dtmf(self, call_id: str, digit: str) -> None:
        logger.info("call %s: DTMF %s", call_id, digit)
        self.dtmf_received[call_id] = (self.dtmf_received.get(call_id, "") + digit)[-64:]

    # ---- commands ---------------------------------------------------------------------------

    def _command(self, cmd: PhoneCmd) -> None:
        if cmd.type in ("second_ring_on", "second_ring_off"):
            self.second_ring = cmd.type == "second_ring_on"
            logger.info("a second line's ring is %s", "heard" if self.second_ring else "muted")
            self._publish_status(self._registered())
            return
        try:
            if cmd.type == "dial":
                self._dial(cmd.target or "", cmd.event_id)
                return
            assert cmd.call_id is not None  # the model requires it for every other type
            self.lines.check(cmd.type, cmd.call_id)
            call = self._calls[cmd.call_id]
            self._execute(cmd, call)
        except (LineError, SipError) as exc:
            code = exc.code if isinstance(exc, LineError) else "sip_error"
            logger.warning("command %s on %s refused: %s", cmd.type, cmd.call_id, exc)
            outcome = "unsupported" if code == "unsupported" else "failed"
            if cmd.call_id is not None and code != "unknown_call":
                self._publish(self.lines.report(cmd.call_id, f"{cmd.type}_{outcome}"))

    def _execute(self, cmd: PhoneCmd, call: SipCall) -> None:
        call_id = call.id
        if cmd.type == "answer":
            call.answer()
            self.media.add(call)
            self._publish(self.lines.answered(call_id))
        elif cmd.type == "reject":
            self._calls.pop(call_id, None)
            call.reject()
            self._publish(self.lines.rejected(call_id))
        elif cmd.type == "hangup":
            line = self.lines.get(call_id)
            if line is not None and line.state == "ringing":
                self._calls.pop(call_id, None)
                call.reject()
                self._publish(self.lines.rejected(call_id))
            else:
                self._ended(call_id, "local")
        elif cmd.type in ("hold", "unhold"):
            self.media.hold(call_id, cmd.type == "hold")
            self._publish(self.lines.hold(call_id, cmd.type == "hold"))
        elif cmd.type == "dtmf":
            if not call.send_dtmf(cmd.digits or ""):
                raise SipError("the DTMF could not be sent")
        elif cmd.type == "record_start":
            line = self.lines.check("record_start", call_id)
            name = recording_name(str(line.number), call.remote)
            self.media.record_start(call_id, name)
            self.lines.recording(call_id, name)
            logger.info("call %s: recording to %s", call_id, name)
        elif cmd.type == "record_stop":
            self.media.record_stop(call_id)
            self.lines.recording(call_id, None)
        elif cmd.type == "transfer":
            self._transfer(call, cmd.target or "")
        elif cmd.type == "conference":
            self._conference(call)

    def _conference(self, held: SipCall) -> None:
        """Join the held call with the operator's current call: the media thread mixes them."""
        waiting = {first for first, _target in self._transfers.values()}
        not_ours = set(self._bridged) | set(self._transfers) | waiting
        if held.id in not_ours:
            raise LineError("wrong_state", "this call is being transferred")
        reports = self.lines.conference(held.id, not_ours)
        self._sync_conference()
        self.media.hold(held.id, False)
        logger.info("call %s joined the conference %s", held.id, sorted(self.lines.in_conference()))
        self._publish(reports)

    def _sync_conference(self) -> None:
        self.media.set_conference(self.lines.in_conference())

    def _transfer(self, call: SipCall, target: str) -> None:
        """Transfer by bridging: the caller waits on hold while the agent dials ``target``."""
        waiting = {first for first, _target in self._transfers.values()}
        if call.id in self._bridged or call.id in waiting:
            raise LineError("wrong_state", "this call is already being transferred")
        if not DIALABLE.match(target):
            raise LineError("bad_target", f"cannot transfer to {target!r}")
        if not self.lines.free_line():
            raise LineError("no_free_line", "a transfer needs a free line")
        if self.sip is None:
            raise LineError("not_configured", "no SIP account is configured")
        second = self.sip.dial(target)
        self._publish(self.lines.leave_conference(call.id))  # the others go on talking
        self._sync_conference()
        self._calls[second.id] = second
        self._hidden.add(second.id)
        self._transfers[second.id] = (call.id, target)
        self.lines.dialing(second.id, target)
        self.media.hold(call.id, True)

    def _dial(self, target: str, event_id: int | None = None) -> None:
        if not DIALABLE.match(target):
            raise LineError("bad_target", f"cannot dial {target!r}")
        if not self.lines.free_line():
            raise LineError("no_free_line", "every line is busy")
        if self.sip is None:
            raise LineError("not_configured", "no SIP account is configured")
        call = self.sip.dial(target)
        self._calls[call.id] = call
        if event_id is not None:
            self._events[call.id] = event_id
        self._publish(self.lines.dialing(call.id, target))
