"""Keeping the server certificate current while the hub runs: a check every few hours.

Servers that present the certificate (the HTTPS listener, the broker) register a callback and
load the new files when it runs; nobody restarts.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence

from hub.tls.authority import Authority

logger = logging.getLogger(__name__)

# A certificate is renewed 30 days before its end, so a check every few hours is plenty; a hub
# that was off for a while checks at start (``office_authority``).
CHECK_EVERY = 6 * 3600.0


class CertificateRenewal:
    """A daemon thread that renews the server certificate when due and tells who serves it."""

    def __init__(
        self,
        authority: Authority,
        names: Callable[[], Sequence[str]],
        *,
        every: float = CHECK_EVERY,
    ) -> None:
        self._authority = authority
        self._names = names
        self._every = every
        self._renewed: list[Callable[[], None]] = []
        self._checked: list[Callable[[], None]] = []
        self._seen = self._fingerprint()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def on_renewed(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (in the renewal thread) whenever the certificate files change."""
        self._renewed.append(callback)

    def on_checked(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (in the renewal thread) after every check, renewed or not."""
        self._checked.append(callback)

    def _fingerprint(self) -> str:
        try:
            return hashlib.sha256(self._authority.server_cert_file.read_bytes()).hexdigest()
        except OSError:
            return ""

    def check(self) -> bool:
        """Renew the certificate if due; True when its files changed (callbacks were called)."""
        with self._lock:
            try:
                self._authority.ensure_server(self._names())
            except Exception:
                # A full disk or a broken file must not end the thread: the old certificate
                # stays in use and the next check tries again.
                logger.exception("the server certificate could not be renewed")
            # Files changed by another process count too (``cherga`` run by the administrator
            # after changing tls_names, or a certificate removed to have a new one made).
            current = self._fingerprint()
            changed = bool(current) and current != self._seen
            if changed:
                self._seen = current
                self._call(self._renewed, "renewal")
            self._call(self._checked, "check")
            return changed

    @staticmethod
    def _call(callbacks: list[Callable[[], None]], what: str) -> None:
        for callback in list(callbacks):
            try:
                callback()
            except Exception:
                logger.exception("a certificate %s callback (%s) failed", what, callback)

    def start(self) -> None:
        """Start the thread; its first check comes after one interval (startup checked)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="cherga-cert-renewal", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Check now rather than at the next interval (from any thread or a signal handler)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread (waits for a check under way)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while True:
            self._wake.wait(self._every)
            self._wake.clear()
            if self._stopping.is_set():
                return
            self.check()
