"""Fixes of rfcvoip 2.10.3 (and where they apply, pyVoIP 1.6.8), found against real peers.

Each is applied to a library phone object right after it is built (``apply_fixes``), or once
per process (``quiet_library``), and each has a test in tests/test_phone_agent*.py:

* A registrar that restarts forgets the agent without telling it; the library re-registers
  only at ``expires - 5`` s (120 s by default): ``expires`` follows our re-registration
  interval, and the REGISTER and INVITE timeouts (30 s each) are cut.
* It tells of a new incoming call only 1 s after the INVITE, and not at all when the caller
  cancels within that second (a missed call nobody would hear of): the delay is removed.
* Its Call-IDs hash a counter from 1, the same after every restart (the hub keys calls by
  them): random ones instead.
* A message its parser trips on (a BYE without From) kills its receive thread; calls are then
  only noticed when a re-REGISTER happens to read the socket: such errors are caught.
* It prints every SIP event to stdout (journald): its ``debug`` goes to our logger instead.
* It binds no RTCP port, so a peer's RTCP gets "port unreachable" and baresip hangs up
  (``RtcpSinks``).
* Over TCP/TLS it binds its connection to the fixed local SIP port (the Contact's port) without
  SO_REUSEADDR: after it closes a connection (a stop, a refused certificate) the port sits in
  TIME_WAIT and every reconnect fails for a minute with "Address already in use". Its stream
  sockets get SO_REUSEADDR and close with a reset, which leaves no TIME_WAIT (``quiet_library``).
* When the server closes the TCP/TLS connection its receive loop retries the dead socket every
  10 ms and nobody notices until the next REGISTER fails: the guard tells the adapter at once.
* It keeps why a REGISTER failed (a refused certificate, a wrong password) only in a debug line:
  the adapter hears of each failure, to report it as the line's fault.
* Its receive buffer has no playout delay: a read finding nothing for its 20 ms still moves
  the play cursor on, and a packet that arrives a moment later is behind the cursor and dropped
  as late, and so is every packet after it while the two keep that phase. A caller then loses
  most of their audio (the lines bench saw one caller in ten keep 7-30 % of a tone).
  ``steady_read`` plays silence without moving the cursor when nothing has arrived, and skips
  ahead only when the buffer holds more than ``MAX_LAG_FRAMES``, which bounds the delay.
"""

from __future__ import annotations

import importlib
import logging
import socket
import ssl
import struct
import sys
import uuid
from collections.abc import Callable
from typing import Any

from operator_panel.phone.settings import SipSettings

logger = logging.getLogger(__name__)
lib_logger = logging.getLogger("operator_panel.phone.voip.library")

INVITE_TIMEOUT_S = 5


def _library_log(message: Any, short: Any = None) -> None:
    """Stands in for the library's ``debug``."""
    lib_logger.debug("%s", message if short is None else short)


class _StreamSocket(socket.socket):
    """A SIP stream socket that may bind its fixed local port again at once."""

    __slots__ = ()

    def __init__(
        self, family: int = -1, type: int = -1, proto: int = -1, fileno: int | None = None
    ) -> None:
        super().__init__(family, type, proto, fileno)
        if fileno is None and type == socket.SOCK_STREAM:
            self.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # Closed with a reset: no TIME_WAIT, which SO_REUSEADDR alone does not get past
            # when the next connection goes to the same server (the same four-tuple).
            self.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class _SocketModule:
    """What rfcvoip's transport module sees as ``socket``: the same, but ``_StreamSocket``."""

    socket = _StreamSocket

    def __getattr__(self, name: str) -> Any:
        return getattr(socket, name)


def quiet_library(library: str) -> None:
    """Send the library's chatter to our logger (DEBUG) instead of stdout; make rfcvoip's
    stream sockets reusable (both once per process)."""
    importlib.import_module(f"{library}.VoIP")  # loads SIP and RTP in the library's order
    for name, module in list(sys.modules.items()):
        ours = name == library or name.startswith(f"{library}.")
        if ours and callable(getattr(module, "debug", None)):
            setattr(module, "debug", _library_log)  # noqa: B010 (a module without stubs)
    transport = sys.modules.get(f"{library}.SIPTransport")
    if transport is not None and getattr(transport, "socket", None) is socket:
        setattr(transport, "socket", _SocketModule())  # noqa: B010 (a module without stubs)


def apply_fixes(
    lib: Any,
    settings: SipSettings,
    on_lost: Callable[[BaseException], None] | None = None,
    on_register_error: Callable[[BaseException], None] | None = None,
) -> None:
    """Fix one freshly built library phone (``VoIPPhone``), before ``start()``; ``on_lost``
    hears when the server closes a TCP/TLS connection, ``on_register_error`` why a REGISTER
    failed."""
    where = f"{settings.local_ip}:{settings.local_port}"
    lib.sip.gen_call_id = lambda: f"{uuid.uuid4().hex}@{where}"
    guard_receiver(lib, on_lost if settings.transport != "udp" else None)
    if on_register_error is not None:
        watch_registration(lib, on_register_error)
    runner = getattr(type(lib), "_run_call_callback", None)
    if runner is not None:  # rfcvoip only; pyVoIP calls back at once
        lib._run_call_callback = lambda callback, call: runner(callback, call, delay=0.0)
    # The library waits expires - 5 s (at least 1 s) between REGISTERs.
    lib.sip.default_expires = settings.reregister_s + 5
    # dial() waits for the first answer to the INVITE in the agent's worker.
    if hasattr(lib.sip, "invite_timeout"):
        lib.sip.invite_timeout = INVITE_TIMEOUT_S
    if hasattr(lib.sip, "register_timeout"):
        lib.sip.register_timeout = max(2, min(10, settings.reregister_s))


def watch_registration(lib: Any, on_error: Callable[[BaseException], None]) -> None:
    """Tell ``on_error`` why each REGISTER failed; the library goes on as before."""
    # rfcvoip's register() catches what its private __register() raises and keeps a debug line.
    name = "_SIPClient__register"
    register = getattr(lib.sip, name, None)
    if register is None:
        return

    def watched() -> bool:
        try:
            return bool(register())
        except Exception as exc:
            on_error(exc)
            raise

    setattr(lib.sip, name, watched)


def guard_receiver(lib: Any, on_lost: Callable[[BaseException], None] | None = None) -> None:
    """A message the library's parser trips on must not end its receive loop; a stream the
    server closed is reported to ``on_lost`` (once)."""
    receive = getattr(lib.sip, "recv", None)
    if receive is None:
        return
    lost: list[BaseException] = []

    def guarded() -> None:
        try:
            receive()
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise  # nothing to read yet: its receive loop waits and tries again
        except OSError as exc:
            # Only a live phone's connection counts: stop() closes it on purpose.
            if on_lost is not None and not lost and lib.sip.NSD:
                lost.append(exc)
                on_lost(exc)
            raise
        except Exception as exc:
            logger.warning("dropped a SIP message the library could not handle: %r", exc)

    lib.sip.recv = guarded


class RtcpSinks:
    """rfcvoip binds no RTCP port (RTP + 1): a peer's RTCP report gets "port unreachable", and
    baresip ends the call on that error within seconds. A bound UDP socket on each call's RTP
    port + 1 silences it (nothing needs to read it: the kernel drops what overflows)."""

    def __init__(self, lib: Any, host: str) -> None:
        self._lib, self._host = lib, host
        self._sockets: dict[str, list[tuple[int, socket.socket]]] = {}

    def open(self, call_id: str, lib_call: Any) -> None:
        """Bind the call's RTCP ports once its RTP ports exist (safe to call repeatedly)."""
        if call_id in self._sockets:
            return
        clients: list[Any] = getattr(lib_call, "_rtp_clients_snapshot", list)()
        ports = [int(port) for client in clients if (port := getattr(client, "inPort", None))]
        if not ports:
            return
        bound: list[tuple[int, socket.socket]] = []
        with self._lib.portsLock:  # so the library never picks these ports for RTP
            for port in ports:
                if port + 1 in self._lib.assignedPorts:
                    continue  # another call's RTP listens there already
                sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    sink.bind((self._host, port + 1))
                except OSError:
                    sink.close()
                    continue
                self._lib.assignedPorts.append(port + 1)
                bound.append((port + 1, sink))
        self._sockets[call_id] = bound

    def close(self, call_id: str) -> None:
        """Release a call's RTCP ports."""
        bound = self._sockets.pop(call_id, [])
        with self._lib.portsLock:
            for port, sink in bound:
                sink.close()
                if port in self._lib.assignedPorts:
                    self._lib.assignedPorts.remove(port)

    def close_all(self) -> None:
        """Release every RTCP port (the library phone is being replaced)."""
        for call_id in list(self._sockets):
            self.close(call_id)


MAX_LAG_FRAMES = 6
"""Frames (20 ms each) the receive buffer may hold before reading skips to the newest two."""


def steady_read(lib_call: Any, length: int) -> bytes | None:
    """``length`` bytes of received audio from a call with one RTP stream, read as a jitter
    buffer would (see the module's notes); None when the call is not of that shape (the
    library's own read is then used)."""
    clients = getattr(lib_call, "RTPClients", None)
    if not clients or len(clients) != 1:
        return None
    buffer = getattr(clients[0], "pmin", None)
    lock = getattr(buffer, "bufferLock", None)
    if buffer is None or lock is None or not hasattr(buffer, "available"):
        return None
    with lock:
        available = int(buffer.available())
        if available < length:  # nothing yet for this frame: wait for it, do not pass it by
            return bytes(getattr(buffer, "silence_byte", b"\x80")[:1] or b"\x80") * length
        if available > MAX_LAG_FRAMES * length:  # fallen behind: keep the delay bounded
            buffer.buffer.seek(available - 2 * length, 1)
        return bytes(buffer.read(length))
