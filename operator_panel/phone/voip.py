"""The SIP adapter: our ``SipPhone`` on rfcvoip (or on pyVoIP 1.6.8, which has the same API).

The library calls back only for new incoming calls; answers, hang-ups, CANCELs, DTMF and the
registration are seen by polling its objects, which one supervisor thread does every 50 ms.
The library's defects are worked around in ``libfixes`` (each with a test); the supervisor
also rebuilds the library phone when it stops itself after three failed REGISTERs (registrar
down or restarting) or when the server closes its TCP/TLS connection, and ``call()``, which
blocks and is not thread-safe, is serialized. Why the line is down (a refused certificate, a
server out of reach, REGISTERs refused) is kept as its ``fault`` until it registers again.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import ssl
import threading
import time
from typing import Any, Literal

from operator_panel.phone.libfixes import RtcpSinks, apply_fixes, quiet_library, steady_read
from operator_panel.phone.settings import SipSettings
from operator_panel.phone.sip import (
    FRAME,
    SAMPLE_RATE,
    EndReason,
    SipCall,
    SipError,
    SipFault,
    SipListener,
    SipPhone,
    line_fault,
)

logger = logging.getLogger(__name__)

LIBRARIES = ("rfcvoip", "pyVoIP")
POLL = 0.05


def _header_part(headers: Any, name: str, key: str) -> str:
    value = headers.get(name) if hasattr(headers, "get") else None
    if isinstance(value, dict):
        return str(value.get(key) or "")
    return ""


class VoipCall:
    """Our ``SipCall`` over one library call object."""

    def __init__(
        self, lib_call: Any, direction: Literal["in", "out"], remote: str, name: str | None
    ) -> None:
        self.lib = lib_call
        sip_id = str(lib_call.call_id)
        # The contract's call_id holds 128 characters; a longer SIP Call-ID is hashed.
        self._id = sip_id if len(sip_id) <= 128 else hashlib.sha256(sip_id.encode()).hexdigest()
        self._direction: Literal["in", "out"] = direction
        self._remote = remote
        self._name = name
        # What it was before we first look: an outgoing call may come back already answered.
        self.last_state = "RINGING" if direction == "in" else "DIALING"
        self.finished = False
        self.local_end = False
        self.answered = False

    @property
    def id(self) -> str:
        return self._id

    @property
    def remote(self) -> str:
        return self._remote

    @property
    def remote_name(self) -> str | None:
        return self._name

    @property
    def direction(self) -> Literal["in", "out"]:
        return self._direction

    @property
    def state(self) -> str:
        """The library's state name: DIALING, RINGING, ANSWERED, ENDED."""
        return str(self.lib.state.name)

    @property
    def remote_answered(self) -> bool:
        """Whether the far end answered our call (the library took its 200 and set up the
        media), even when it has hung up since: a look every 50 ms can miss ANSWERED."""
        lib = self.lib
        return (
            self._direction == "out"
            and getattr(lib, "remote_sip_message", None) is not None
            and bool(getattr(lib, "RTPClients", None))
        )

    def answer(self) -> None:
        self._do(self.lib.answer)
        self.answered = True

    def reject(self, busy: bool = False) -> None:
        self.local_end = True
        self._do(self.lib.deny)

    def hangup(self) -> None:
        self.local_end = True
        state = self.state
        if state == "ANSWERED":
            self._do(self.lib.hangup)
        elif state == "RINGING" and self._direction == "in":
            self._do(self.lib.deny)
        elif state in ("DIALING", "RINGING"):
            self._do(self.lib.cancel)

    def send_dtmf(self, digits: str) -> bool:
        sender = getattr(self.lib, "send_dtmf", None)
        if sender is None:
            raise SipError("this SIP library cannot send DTMF")
        return bool(sender(digits))

    def read_audio(self) -> bytes:
        steady = steady_read(self.lib, FRAME)
        if steady is not None:
            return steady
        reader = getattr(self.lib, "read_audio", None) or self.lib.readAudio
        return bytes(reader(FRAME, blocking=False))

    def write_audio(self, frame: bytes) -> None:
        writer = getattr(self.lib, "write_audio", None) or self.lib.writeAudio
        writer(frame)

    def take_dtmf(self) -> str:
        """Digits received since the last call."""
        getter = getattr(self.lib, "get_dtmf", None) or self.lib.getDTMF
        return str(getter(32) or "")

    def _do(self, action: Any) -> None:
        try:
            action()
        except Exception as exc:
            raise SipError(f"{type(exc).__name__}: {exc}") from exc


class VoipPhone(SipPhone):
    """One SIP account on the library; a supervisor thread keeps it registered."""

    def __init__(self, settings: SipSettings, *, library: str = "rfcvoip") -> None:
        if library not in LIBRARIES:
            raise ValueError(f"unknown SIP library {library!r}")
        if library != "rfcvoip" and settings.transport != "udp":
            raise ValueError(f"{library} has no {settings.transport.upper()}: only rfcvoip does")
        self.settings = settings
        self.library = library
        quiet_library(library)
        self._voip = importlib.import_module(f"{library}.VoIP")
        self._pkg = importlib.import_module(library)
        self._lib: Any = None
        self._sinks: RtcpSinks | None = None
        self._listener: SipListener | None = None
        self._calls: dict[str, VoipCall] = {}
        self._lock = threading.RLock()
        self._dial_lock = threading.Lock()
        self._stop = threading.Event()
        self._registered = False
        self._restarts = 0
        self._fault: SipFault | None = None
        self._error: BaseException | None = None  # why the line failed last (library threads)
        self._lost: Any = None  # the library phone whose TCP/TLS connection the server closed
        self._supervisor = threading.Thread(target=self._supervise, name="sip-supervisor")

    # ---- SipPhone ----------------------------------------------------------------------------

    def start(self, listener: SipListener) -> None:
        self._listener = listener
        self._supervisor.start()

    def stop(self) -> None:
        self._stop.set()
        if self._supervisor.is_alive():
            self._supervisor.join(10)
        with self._lock:
            lib, self._lib = self._lib, None
        if lib is not None:
            self._stop_lib(lib)
        if self._sinks is not None:
            self._sinks.close_all()
        self._set_registered(False)

    @property
    def registered(self) -> bool:
        return self._registered

    @property
    def fault(self) -> SipFault | None:
        return self._fault

    @property
    def restarts(self) -> int:
        """How often the library phone was rebuilt (it gave up after failures)."""
        return self._restarts

    def dial(self, number: str) -> SipCall:
        with self._lock:
            lib = self._lib
        if lib is None or not self._registered:
            raise SipError("not registered")
        with self._dial_lock:  # the library's call() is not thread-safe
            try:
                lib_call = lib.call(number)
            except Exception as exc:
                raise SipError(f"dial failed: {type(exc).__name__}: {exc}") from exc
        call = VoipCall(lib_call, "out", number, None)
        with self._lock:
            self._calls[call.id] = call
        return call

    # ---- library side -------------------------------------------------------------------------

    def _new_lib(self) -> Any:
        s = self.settings
        kwargs: dict[str, Any] = {
            "myIP": s.local_ip,
            "callCallback": self._on_incoming,
            "sipPort": s.local_port,
            "rtpPortLow": s.rtp_port_low,
            "rtpPortHigh": s.rtp_port_high,
        }
        if s.proxy is not None:
            kwargs["proxy"] = s.proxy
            kwargs["proxyPort"] = s.outbound_port
        if s.auth_user is not None:
            kwargs["auth_username"] = s.auth_user
        if s.transport != "udp":
            # Without a context rfcvoip would verify against the system's CAs; ours adds the
            # configured CA, the name check and the client certificate.
            kwargs.update(
                transport=s.transport, tls_context=s.tls_context(),
                tls_server_name=s.tls_server_name,
            )  # fmt: skip
        if self.library == "rfcvoip":
            # Our audio contract is 8 kHz mono 8-bit whatever the codec (it resamples Opus or
            # wide-band G.711), and G.711 first in our offers: cheapest on a Pi.
            payload = importlib.import_module("rfcvoip.RTP").PayloadType
            kwargs.update(
                audio_sample_rate=SAMPLE_RATE, audio_channels=1, audio_bit_depth=8,
                codec_priorities={payload.PCMA: 1000, payload.PCMU: 990},
            )  # fmt: skip
        else:  # pyVoIP 1.6.8 knows none of these
            for key in ("proxy", "proxyPort", "auth_username"):
                kwargs.pop(key, None)
        lib = self._voip.VoIPPhone(
            s.server, s.server_port, s.user, s.password.get_secret_value(), **kwargs
        )
        apply_fixes(
            lib, s, on_lost=lambda exc: self._connection_lost(lib, exc),
            on_register_error=self._register_error,
        )  # fmt: skip
        return lib

    def _connection_lost(self, lib: Any, exc: BaseException) -> None:
        """The library's receive thread: the server closed the TCP/TLS connection."""
        logger.warning("the SIP server %s closed the connection (%s)", self._where(), exc)
        if isinstance(exc, ssl.SSLError):
            self._error = exc
        else:
            self._error = ConnectionAbortedError(f"it closed the connection ({exc})")
        self._lost = lib

    def _register_error(self, exc: BaseException) -> None:
        """A library thread: a REGISTER failed (the library itself keeps only a debug line)."""
        self._error = exc

    def _where(self) -> str:
        """The first hop: the outbound proxy, else the server, with the transport."""
        s = self.settings
        host, port = (s.proxy, s.outbound_port) if s.proxy else (s.server, s.server_port)
        return f"{host}:{port} ({s.transport})"

    def _stop_lib(self, lib: Any) -> None:
        try:
            lib.stop()
        except OSError as exc:  # its connection is gone: it stopped without unregistering
            logger.info("SIP %s stopped without unregistering: %s", self.settings.user, exc)
        except Exception:
            logger.exception("stopping the SIP library failed")

    def _lib_status(self, lib: Any) -> str:
        getter = getattr(lib, "get_status", None) or lib.getStatus
        return str(getter().name)

    def _supervise(self) -> None:
        backoff = 0.5
        next_try = 0.0
        registering_since: float | None = None
        patience = max(3.0, min(10.0, self.settings.reregister_s)) + 1.0
        while not self._stop.is_set():
            with self._lock:
                lib = self._lib
            status = "" if lib is None else self._lib_status(lib)
            if lib is not None and lib is self._lost:
                status = "FAILED"  # its connection is gone: only a new one registers again
            if lib is None or status in ("FAILED", "INACTIVE"):
                self._set_registered(False)
                if lib is not None and (self._error is not None or self._fault is None):
                    self._fault = line_fault(self._where(), self._error)
                if time.monotonic() >= next_try:
                    if lib is not None:
                        logger.warning("the SIP library stopped (%s): starting it again", status)
                        self._restarts += 1
                        self._stop_lib(lib)
                        self._end_all("failed")
                    next_try = time.monotonic() + backoff
                    backoff = min(backoff * 2, max(2.0, float(self.settings.reregister_s)))
                    self._start_lib()
            elif status == "REGISTERED":
                registering_since = None
                self._fault = self._error = None
                self._set_registered(True)
                backoff = 0.5
            elif registering_since is None:
                registering_since = time.monotonic()
            elif time.monotonic() - registering_since > patience:
                # Each re-REGISTER passes through REGISTERING: only a long one means lost.
                self._set_registered(False)
            self._poll_calls()
            self._stop.wait(POLL)

    def _start_lib(self) -> None:
        s = self.settings
        try:
            lib = self._new_lib()
        except Exception as exc:
            logger.warning("SIP setup failed: %s", exc)
            self._fault = SipFault("sip_setup_failed", f"SIP setup failed: {exc}"[:500])
            return
        self._error = None
        with self._lock:
            self._lib = lib
            if self._sinks is not None:
                self._sinks.close_all()
            self._sinks = RtcpSinks(lib, s.local_ip)
        try:
            lib.start()  # connects, and registers before it returns (or raises)
        except Exception as exc:
            self._error, self._fault = exc, line_fault(self._where(), exc)
            logger.warning("registration of %s failed: %s", s.user, self._fault.message)
            self._stop_lib(lib)
            return
        logger.info("SIP %s registering at %s", s.user, self._where())

    def _on_incoming(self, lib_call: Any) -> None:
        """The library's call callback (its own thread): hand the call to the listener."""
        headers = getattr(getattr(lib_call, "request", None), "headers", {})
        remote = _header_part(headers, "From", "number") or "unknown"
        name = _header_part(headers, "From", "caller").strip()[:200] or None
        call = VoipCall(lib_call, "in", remote.strip()[:128] or "unknown", name)
        with self._lock:
            self._calls[call.id] = call
        if self._listener is not None:
            try:
                self._listener.incoming(call)
            except Exception:
                logger.exception("incoming-call handler failed")

    def _poll_calls(self) -> None:
        with self._lock:
            calls = list(self._calls.values())
        for call in calls:
            try:
                self._poll(call)
            except Exception:
                logger.exception("checking call %s failed", call.id)

    def _poll(self, call: VoipCall) -> None:
        listener = self._listener
        state = call.state
        previous, call.last_state = call.last_state, state
        if state == "ANSWERED":
            digits = call.take_dtmf()
            if listener is not None:
                for digit in digits:
                    listener.dtmf(call, digit)
            if previous != "ANSWERED" and call.direction == "out" and listener is not None:
                listener.answered(call)
        if state != "ENDED":
            if self._sinks is not None and self.library == "rfcvoip":
                self._sinks.open(call.id, call.lib)
            return
        with self._lock:
            self._calls.pop(call.id, None)
        if self._sinks is not None:
            self._sinks.close(call.id)
        if call.finished:
            return
        call.finished = True
        if call.local_end or listener is None:
            return
        # Never seen answered: it may have ended before our first look (a 404 during dial),
        # or been answered and hung up between two looks (then it is reported answered first).
        reason: EndReason = "remote_hangup"
        if previous != "ANSWERED" and call.remote_answered:
            listener.answered(call)
        elif previous != "ANSWERED" and not call.answered:
            reason = "cancelled" if call.direction == "in" else "failed"
        listener.ended(call, reason)

    def _end_all(self, reason: EndReason) -> None:
        with self._lock:
            calls, self._calls = list(self._calls.values()), {}
        for call in calls:
            if not call.finished and self._listener is not None:
                call.finished = True
                self._listener.ended(call, reason)

    def _set_registered(self, value: bool) -> None:
        if value == self._registered:
            return
        self._registered = value
        logger.info("SIP %s %s", self.settings.user, "registered" if value else "not registered")
        if self._listener is not None:
            try:
                self._listener.registration(value)
            except Exception:
                logger.exception("registration handler failed")
