"""A network receipt printer for tests: a real TCP server on 127.0.0.1 speaking raw ESC/POS.

It keeps the bytes of every job (one TCP connection per job, as python-escpos's Network opens),
answers the real-time status queries DLE EOT n as an Epson printer does, and can be told to be
out of paper, to run out in the middle of a job, to have its cover open, to drop the connection,
or to be switched off (nobody listening). ``FakeUsbPrinter`` is the same printer behind a USB
cable that cannot exist here: a python-escpos printer object over the same model, so the agent's
real driver code runs unchanged.
"""

from __future__ import annotations

import shutil
import socket
import struct
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any, Literal


def _import_escpos_tidily() -> None:
    """Import python-escpos with its eager ``mkdtemp()`` pointed at a folder removed at once.

    Every import of escpos leaves an empty temp folder (STACK_NOTES); its capability cache is
    only needed during the import itself, so the folder can go right after.
    """
    if "escpos.capabilities" in sys.modules:
        return
    scratch = tempfile.mkdtemp(prefix="cherga-escpos-")
    saved = tempfile.tempdir
    tempfile.tempdir = scratch
    try:
        import escpos.capabilities  # noqa: F401
    finally:
        tempfile.tempdir = saved
        shutil.rmtree(scratch, ignore_errors=True)


_import_escpos_tidily()

from escpos.escpos import Escpos  # noqa: E402

DLE, EOT, GS = 0x10, 0x04, 0x1D


@dataclass
class PrinterModel:
    """The printer's mechanism and memory, shared by the TCP and USB faces."""

    paper: Literal["ok", "low", "out"] = "ok"
    cover_open: bool = False
    answers_status: bool = True
    paper_out_after: int | None = None  # job bytes accepted before the paper runs out
    drop_after: int | None = None  # job bytes after which the connection is cut
    jobs: list[bytes] = field(default_factory=list)  # whole jobs, paper fine throughout
    spoiled: list[bytes] = field(default_factory=list)  # jobs cut short (paper, drop)
    queries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self, n: int) -> int:
        """The status byte a printer answers to DLE EOT n."""
        stopped = self.paper == "out" or self.cover_open
        if n == 1:
            return 0x12 | (0x08 if stopped else 0)
        if n == 2:
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if self.paper == "out" else 0)
        if n == 4:
            return 0x12 | {"ok": 0, "low": 0x0C, "out": 0x6C}[self.paper]
        return 0x12

    def printed_count(self) -> int:
        with self.lock:
            return len(self.jobs)


class Session:
    """One connection: splits the stream into job bytes and status queries.

    Binary payloads (raster images, QR data) are skipped by their declared length, so a
    0x10 0x04 inside an image is not taken for a status query, as on a real printer.
    """

    def __init__(self, model: PrinterModel) -> None:
        self.model = model
        self.job = bytearray()
        self.pending = bytearray()
        self.skip = 0
        self.spoiled = False

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the host; returns the printer's answers."""
        self.pending += data
        out = bytearray()
        i = 0
        buf = self.pending
        while i < len(buf):
            if self.skip:
                take = min(self.skip, len(buf) - i)
                self._keep(buf[i : i + take])
                self.skip -= take
                i += take
                continue
            b = buf[i]
            if b == DLE:
                if i + 2 >= len(buf):
                    break
                if buf[i + 1] == EOT:
                    with self.model.lock:
                        self.model.queries += 1
                        answer = self.model.status(buf[i + 2])
                    if self.model.answers_status:
                        out.append(answer)
                    i += 3
                    continue
            if b == GS and i + 1 < len(buf) and buf[i + 1] in (ord("v"), ord("(")):
                header = 8 if buf[i + 1] == ord("v") else 5
                if i + header > len(buf):
                    break
                if buf[i + 1] == ord("v"):
                    size = (buf[i + 4] + 256 * buf[i + 5]) * (buf[i + 6] + 256 * buf[i + 7])
                else:
                    size = buf[i + 3] + 256 * buf[i + 4]
                self._keep(buf[i : i + header])
                self.skip = size
                i += header
                continue
            self._keep(buf[i : i + 1])
            i += 1
        self.pending = buf[i:]
        return bytes(out)

    def _keep(self, chunk: bytes | bytearray) -> None:
        model = self.model
        with model.lock:
            if model.paper == "out" or model.cover_open:
                self.spoiled = True
                return
            limit = model.paper_out_after
            if limit is not None and len(self.job) + len(chunk) > limit:
                self.job += chunk[: max(0, limit - len(self.job))]
                model.paper = "out"
                model.paper_out_after = None
                self.spoiled = True
                return
        self.job += chunk

    def end(self) -> None:
        """The host closed the connection: file the job."""
        if not self.job and not self.spoiled:
            return  # a status poll
        with self.model.lock:
            (self.model.spoiled if self.spoiled else self.model.jobs).append(bytes(self.job))


class FakeNetworkPrinter:
    """A printer listening on 127.0.0.1; ``off()`` and ``on()`` switch it at the same port.

    While it is off its port stays bound, not listening (a connection is refused, as by a
    printer switched off): otherwise another socket of the machine could take the port
    meanwhile and the printer could not come back on.
    """

    def __init__(self, model: PrinterModel | None = None) -> None:
        self.model = model or PrinterModel()
        self.host = "127.0.0.1"
        self.port = 0
        self._listener: socket.socket | None = None
        self._reserved: socket.socket | None = None  # the port held while off
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._running = threading.Event()

    def _bind(self) -> socket.socket:
        bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Two sockets on one port for a moment: the one to keep it binds before the listener
        # closes (only a listening socket is given connections).
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        bound.bind((self.host, self.port))
        return bound

    def on(self) -> None:
        """Start listening (again, on the same port)."""
        listener, self._reserved = self._reserved or self._bind(), None
        listener.listen(8)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._running.set()
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._threads.append(thread)
        thread.start()

    def off(self) -> None:
        """Stop listening and cut every open connection (a printer switched off)."""
        if self._listener is not None and self._reserved is None:
            self._reserved = self._bind()
        self._running.clear()
        for thread in self._threads:
            thread.join(5)
        self._threads = [t for t in self._threads if t.is_alive()]
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _accept(self, listener: socket.socket) -> None:
        workers: list[threading.Thread] = []
        while self._running.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            workers.append(worker)
            worker.start()
        for worker in workers:
            worker.join(5)

    def _serve(self, conn: socket.socket) -> None:
        session = Session(self.model)
        conn.settimeout(0.05)
        try:
            while self._running.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                answer = session.feed(data)
                if answer:
                    conn.sendall(answer)
                limit = self.model.drop_after
                if limit is not None and len(session.job) >= limit:
                    self.model.drop_after = None
                    session.spoiled = True
                    # Linger 0: the close is a reset, as when a printer reboots.
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
        finally:
            session.end()
            conn.close()

    def __enter__(self) -> FakeNetworkPrinter:
        self.on()
        return self

    def __exit__(self, *exc: object) -> None:
        self.off()
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None


class FakeUsbPrinter(Escpos):  # type: ignore[misc]
    """A USB printer as python-escpos's ``Usb`` class presents it, over a PrinterModel."""

    def __init__(self, model: PrinterModel, *, plugged: bool = True, **kwargs: Any) -> None:
        Escpos.__init__(self, **kwargs)
        self.model, self.plugged = model, plugged
        self._session: Session | None = None
        self._answers = bytearray()

    def open(self) -> None:
        if not self.plugged:
            raise OSError("USB device not found")
        self._session = Session(self.model)
        self.device = self._session

    def _raw(self, msg: bytes) -> None:
        assert self._session is not None
        self._answers += self._session.feed(msg)

    def _read(self) -> bytes:
        if not self._answers:
            raise TimeoutError("no answer")  # what pyusb does when the printer stays silent
        data, self._answers = bytes(self._answers), bytearray()
        return data

    def close(self) -> None:
        if self._session is not None:
            self._session.end()
            self._session = None
