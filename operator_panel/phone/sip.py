"""The SIP interface of our own: the agent and the line manager see only this.

One adapter (``operator_panel.phone.voip``) implements it with a SIP library; nothing else in
Cherga imports the library. Audio is 8 kHz mono 8-bit unsigned PCM, 160 bytes per 20 ms.
"""

from __future__ import annotations

import ssl
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal, Protocol

from operator_panel.phone.siptls import describe_failure

SAMPLE_RATE = 8000
FRAME = 160
"""Bytes of audio in 20 ms (8 kHz, 8-bit)."""
SILENCE = b"\x80"

EndReason = Literal["remote_hangup", "cancelled", "failed", "busy", "local"]


class SipError(Exception):
    """A SIP action could not be done (wrong state, no registration, library failure)."""


@dataclass(frozen=True)
class SipFault:
    """Why the line is down, for the device state's faults (a code and one line, no secret)."""

    code: str
    message: str


def line_fault(where: str, exc: BaseException | None) -> SipFault:
    """What a line that failed (to connect, to agree on TLS, to register) reports."""
    if isinstance(exc, ssl.SSLError):
        code, text = "sip_tls_failed", f"SIP server {where}: {describe_failure(exc)}"
    elif isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        code, text = "sip_connection_failed", f"SIP server {where}: {reason}"
    elif type(exc).__name__ == "InvalidAccountInfoError":
        code, text = "sip_registration_failed", f"SIP server {where} refused the number or password"
    elif exc is not None:
        code, text = "sip_registration_failed", f"SIP server {where}: {type(exc).__name__}: {exc}"
    else:
        code, text = "sip_registration_failed", f"SIP server {where} did not register the line"
    return SipFault(code, text[:500])


class SipCall(Protocol):
    """One call leg as the library sees it."""

    @property
    def id(self) -> str:
        """The SIP Call-ID."""

    @property
    def remote(self) -> str:
        """The other party's number (user part of its URI)."""

    @property
    def remote_name(self) -> str | None:
        """The other party's display name, when it sent one."""

    @property
    def direction(self) -> Literal["in", "out"]:
        """Who called."""

    def answer(self) -> None:
        """Answer a ringing incoming call."""

    def reject(self, busy: bool = False) -> None:
        """Refuse a ringing incoming call (486 Busy Here when ``busy``)."""

    def hangup(self) -> None:
        """End an answered call, or cancel an outgoing one that is not answered yet."""

    def send_dtmf(self, digits: str) -> bool:
        """Send digits as RFC 2833 telephone events; False when nothing could be sent."""

    def read_audio(self) -> bytes:
        """One 20 ms frame the other party sent (silence when nothing came); never blocks."""

    def write_audio(self, frame: bytes) -> None:
        """Queue audio for the other party."""


class SipListener(Protocol):
    """What the adapter tells the agent; called from the adapter's threads."""

    def incoming(self, call: SipCall) -> None:
        """A new incoming call is ringing."""

    def answered(self, call: SipCall) -> None:
        """The other party answered an outgoing call."""

    def ended(self, call: SipCall, reason: EndReason) -> None:
        """The call ended without us asking (hang-up, CANCEL, failure)."""

    def dtmf(self, call: SipCall, digit: str) -> None:
        """A DTMF digit came from the other party."""

    def registration(self, registered: bool) -> None:
        """The registration was won or lost."""


class SipPhone(ABC):
    """One SIP account: register it, keep it registered, make and take calls."""

    @abstractmethod
    def start(self, listener: SipListener) -> None:
        """Start registering (in the background) and report to ``listener``."""

    @abstractmethod
    def stop(self) -> None:
        """End every call, unregister when possible, and stop every thread."""

    @property
    @abstractmethod
    def registered(self) -> bool:
        """Registered right now."""

    @abstractmethod
    def dial(self, number: str) -> SipCall:
        """Place a call; the listener hears when it is answered or fails."""

    @property
    def fault(self) -> SipFault | None:
        """Why the line is not registered, when known (None: no fault)."""
        return None
