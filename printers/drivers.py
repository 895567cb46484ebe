"""Printer drivers: send a ticket's bytes through python-escpos and read the printer's status.

Every connection kind (network 9100, USB, serial, file) goes through one ``EscposDriver`` built
on the matching python-escpos class, so the status checks and error codes are the same for all.
A job opens the printer, asks its real-time status (DLE EOT), sends the bytes, asks again and
closes: a printer that ran out of paper or had its cover opened mid-ticket is caught after the
send, and the agent prints the whole ticket again later rather than leave half of one.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from printers.settings import (
    Connection,
    FileConnection,
    ImageConnection,
    NetworkConnection,
    SerialConnection,
    UsbConnection,
)

if TYPE_CHECKING:
    from printers.preview import TextLine

logger = logging.getLogger(__name__)

ErrorCode = Literal["offline", "paper_out", "cover_open", "printer_error"]
DLE_EOT = b"\x10\x04"
# Status bytes (Epson ESC/POS real-time status; every answer has bits 1 and 4 set).
_FIXED_MASK, _FIXED = 0x93, 0x12
_OFFLINE = 0x08  # n=1: the printer is off line
_COVER_OPEN = 0x04  # n=2
_PAPER_STOP = 0x20  # n=2: printing stopped because the paper ran out
_ERROR = 0x40  # n=2
_NEAR_END = 0x0C  # n=4
_PAPER_END = 0x60  # n=4


class PrinterFault(Exception):
    """The printer cannot print now; ``code`` is what the result and the state report."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code: ErrorCode = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """What the printer said about itself; None where it did not answer (a file, a clone)."""

    paper: Literal["ok", "low", "out"] | None = None
    cover_open: bool | None = None
    error: bool | None = None

    @property
    def blocking(self) -> PrinterFault | None:
        """The fault that stops printing, if any."""
        if self.paper == "out":
            return PrinterFault("paper_out", "the printer is out of paper")
        if self.cover_open:
            return PrinterFault("cover_open", "the printer's cover is open")
        if self.error:
            return PrinterFault("printer_error", "the printer reports an error")
        return None


class Driver(Protocol):
    """What the agent needs from a printer."""

    def status(self) -> PrinterStatus:
        """Ask the printer how it is; PrinterFault('offline') when it cannot be reached."""
        ...

    def print_job(self, data: bytes) -> PrinterStatus:
        """Print ``data`` whole, or raise PrinterFault; returns the status after printing."""
        ...


def _answer(printer: Any, n: int) -> int | None:
    """One real-time status byte, or None when the printer does not answer in time."""
    printer._raw(DLE_EOT + bytes([n]))
    try:
        data = printer._read()
    except (TimeoutError, NotImplementedError):
        return None
    except OSError as exc:
        raise PrinterFault("offline", f"connection lost while reading status: {exc}") from None
    except Exception as exc:  # USB/serial back ends raise their own timeout types
        logger.debug("no status answer: %s", exc)
        return None
    if not data:
        # An orderly close: the printer went away.
        raise PrinterFault("offline", "the printer closed the connection")
    value = data[-1]
    return value if value & _FIXED_MASK == _FIXED else None


class EscposDriver:
    """A printer reached through a python-escpos printer object made fresh for every job."""

    def __init__(
        self,
        factory: Callable[[], Any],
        *,
        name: str,
        readable: bool = True,
        status_timeout: float = 1.0,
    ) -> None:
        self._factory = factory
        self.name = name
        self._readable = readable
        self._status_timeout = status_timeout

    def _open(self) -> Any:
        try:
            printer = self._factory()
            printer.open()
        except Exception as exc:
            raise PrinterFault("offline", f"cannot reach {self.name}: {exc}") from None
        device = getattr(printer, "device", None)
        if isinstance(device, socket.socket):
            # Status answers come at once or never; a print job may take longer to accept.
            device.settimeout(self._status_timeout)
        return printer

    def _status(self, printer: Any) -> PrinterStatus:
        if not self._readable:
            return PrinterStatus()
        offline = _answer(printer, 1)
        if offline is None:
            return PrinterStatus()  # a printer without real-time status (or too slow for it)
        cause = _answer(printer, 2) if offline & _OFFLINE else 0
        paper = _answer(printer, 4)
        level: Literal["ok", "low", "out"] | None = None
        if paper is not None:
            level = "out" if paper & _PAPER_END else "low" if paper & _NEAR_END else "ok"
        if cause is not None and cause & _PAPER_STOP:
            level = "out"
        return PrinterStatus(
            paper=level,
            cover_open=None if cause is None else bool(cause & _COVER_OPEN),
            error=None if cause is None else bool(cause & _ERROR),
        )

    @staticmethod
    def _close(printer: Any) -> None:
        try:
            printer.close()
        except Exception as exc:
            logger.debug("closing the printer: %s", exc)

    def status(self) -> PrinterStatus:
        """Ask the printer how it is; PrinterFault('offline') when it cannot be reached."""
        printer = self._open()
        try:
            return self._status(printer)
        except OSError as exc:
            raise PrinterFault("offline", f"connection to {self.name} lost: {exc}") from None
        finally:
            self._close(printer)

    def print_job(self, data: bytes) -> PrinterStatus:
        """Print ``data`` whole, or raise PrinterFault; returns the status after printing."""
        printer = self._open()
        try:
            before = self._status(printer)
            if before.blocking is not None:
                raise before.blocking
            device = getattr(printer, "device", None)
            if isinstance(device, socket.socket):
                device.settimeout(max(self._status_timeout, 10.0))
            printer._raw(data)
            if isinstance(device, socket.socket):
                device.settimeout(self._status_timeout)
            after = self._status(printer)
            if after.blocking is not None:
                raise after.blocking
            return after
        except OSError as exc:
            raise PrinterFault("offline", f"connection to {self.name} lost: {exc}") from None
        finally:
            self._close(printer)


def _network(c: NetworkConnection, profile: str) -> Callable[[], Any]:
    from escpos.printer import Network

    return lambda: Network(c.host, port=c.port, timeout=c.timeout_s, profile=profile)


def _usb(c: UsbConnection, profile: str) -> Callable[[], Any]:
    def make() -> Any:
        from escpos.printer import Usb

        return Usb(c.vendor_id, c.product_id, timeout=int(c.timeout_s * 1000), profile=profile)

    return make


def _serial(c: SerialConnection, profile: str) -> Callable[[], Any]:
    def make() -> Any:
        from escpos.printer import Serial

        return Serial(c.device, baudrate=c.baudrate, timeout=c.timeout_s, profile=profile)

    return make


def _file(c: FileConnection, profile: str) -> Callable[[], Any]:
    from escpos.printer import File

    return lambda: File(str(c.path), profile=profile)


_UNSAFE = re.compile(r"[^\w.-]+")


class ImageDriver:
    """A virtual printer: the job's ESC/POS bytes drawn by ``printers.preview`` into a PNG named
    after the ticket's number (the largest text on the ticket), written whole or not at all.
    It never runs out of paper; a folder it cannot write to is ``offline``."""

    def __init__(self, folder: Path, *, profile: str = "default", width_mm: int = 80) -> None:
        self.folder = folder
        self.name = f"pictures in {folder}"
        self._profile = profile
        self._width_mm = width_mm

    def status(self) -> PrinterStatus:
        """Ready while the folder can be written to."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PrinterFault("offline", f"cannot use {self.folder}: {exc}") from None
        if not os.access(self.folder, os.W_OK):
            raise PrinterFault("offline", f"{self.folder} is not writable")
        return PrinterStatus(paper="ok", cover_open=False, error=False)

    def print_job(self, data: bytes) -> PrinterStatus:
        """Draw the ticket and write ``<number>.png`` (``<number>-2.png``... for a reprint)."""
        from printers.preview import interpret, render

        status = self.status()
        paper = interpret(data, self._profile)
        picture = render(paper, self._width_mm)
        path = self._free_path(_ticket_name(paper.lines))
        fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".printing-", suffix=".png")
        try:
            with os.fdopen(fd, "wb") as out:
                picture.save(out, format="PNG", optimize=True)
            os.chmod(temp, 0o644)  # a ticket is no secret (mkstemp makes it private)
            os.replace(temp, path)
        except OSError as exc:
            Path(temp).unlink(missing_ok=True)
            raise PrinterFault("offline", f"cannot write {path}: {exc}") from None
        logger.info("ticket drawn to %s", path)
        return status

    def _free_path(self, stem: str) -> Path:
        path = self.folder / f"{stem}.png"
        copy = 2
        while path.exists():
            path = self.folder / f"{stem}-{copy}.png"
            copy += 1
        return path


def _ticket_name(lines: list[TextLine]) -> str:
    """The ticket's number: the text printed largest (the layout's number line), made safe."""
    best, height = "ticket", 0
    for line in lines:
        tallest = max((style.height for _char, style in line.chars), default=0)
        if tallest > height and line.text.strip():
            best, height = line.text.strip(), tallest
    return _UNSAFE.sub("_", best).strip("._") or "ticket"


def make_driver(
    connection: Connection, profile: str = "default", width_mm: int = 80
) -> EscposDriver | ImageDriver:
    """The driver for a configured connection (``width_mm``: the paper a picture shows)."""
    if isinstance(connection, ImageConnection):
        return ImageDriver(connection.folder, profile=profile, width_mm=width_mm)
    if isinstance(connection, NetworkConnection):
        name = f"{connection.host}:{connection.port}"
        return EscposDriver(_network(connection, profile), name=name)
    if isinstance(connection, UsbConnection):
        name = f"USB {connection.vendor_id:04x}:{connection.product_id:04x}"
        return EscposDriver(_usb(connection, profile), name=name)
    if isinstance(connection, SerialConnection):
        return EscposDriver(_serial(connection, profile), name=connection.device)
    # A file or character device cannot answer status queries.
    return EscposDriver(_file(connection, profile), name=str(connection.path), readable=False)
