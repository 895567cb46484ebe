"""The mail worker: one thread beside the MQTT coordinator that queues the letters falling due
(reminders, booking reminders, birthdays), sends the outbox through SMTP and fetches mailboxes
on their schedule. Each pass is a few short transactions; a failing server or mailbox is
recorded and retried later, never stopping the rest."""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.db.base import utcnow
from hub.db.engine import transaction
from hub.services.mail import booking_mail, inbox, notify, outbox
from hub.services.mail.secrets import SMTP, get_secret
from hub.services.mail.smtp import DeliveryError, SmtpConfig, connect, send
from hub.services.queue.core import QueueContext
from hub.services.settings.parameters import get_global

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

PROBE = "mail"


@dataclass
class Pass:
    """What one pass did."""

    queued: int = 0
    sent: int = 0
    failed: int = 0
    fetched: int = 0


class MailWorker:
    """Sends the mail outbox and fetches mailboxes, every ``tick_s`` or when woken."""

    def __init__(
        self,
        hub: Hub,
        *,
        tick_s: float = 30.0,
        backoff_base: timedelta = timedelta(minutes=1),
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.hub = hub
        self.tick_s = tick_s
        self.backoff_base = backoff_base
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._birthdays_on: date | None = None
        self.last_error: str | None = None
        self.passes = 0

    # ---- the thread -----------------------------------------------------------------------

    def start(self) -> None:
        """Run passes in a thread until ``stop``."""
        self._thread = threading.Thread(target=self._run, name="cherga-mail", daemon=True)
        self._thread.start()
        self.hub.probes[PROBE] = self.health

    def stop(self) -> None:
        """Finish the pass under way and end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        if self.hub.probes.get(PROBE) == self.health:
            del self.hub.probes[PROBE]

    def wake(self) -> None:
        """Run a pass now (a letter was queued, a fetch was asked for)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # one bad pass must not end the thread
                logger.exception("mail pass failed")
            self._wake.wait(self.tick_s)
            self._wake.clear()

    def health(self) -> dict[str, Any]:
        """For /healthz (answered without a login: counts, no error text). Mail trouble never
        makes the hub unhealthy (``ok`` stays true); ``smtp`` says whether the last send
        failed, and the error itself is on /api/v1/mail/status."""
        with self.hub.read_sessions() as session:
            state = outbox.health(session)
        return {
            "ok": True,
            "smtp": "failing" if self.last_error else "ok",
            "pending": state.pending,
            "failed": state.failed,
            "passes": self.passes,
        }

    # ---- one pass ---------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> Pass:
        """Queue what fell due, send what waits, fetch the mailboxes whose time has come."""
        moment = now or self.clock()
        done = Pass()
        done.queued = self.queue_due(moment)
        done.sent, done.failed = self.send_due(moment)
        done.fetched = inbox.fetch_due(self.hub, now=moment, context=self.ssl_context)
        self.passes += 1
        return done

    def queue_due(self, now: datetime) -> int:
        """Queue the reminders and notices whose time has come."""
        settings = self.hub.settings
        with transaction(self.hub.sessions) as session:
            outbox.recover(session, now)
            count = notify.reminders_due(session, now=now)
            ctx = QueueContext(
                now=now, tz=settings.tz, site=settings.site, office_url=settings.office_url
            )
            count += booking_mail.remind_due(session, ctx)
        today = now.astimezone(settings.tz).date()
        if self._birthdays_on != today:
            with transaction(self.hub.sessions) as session:
                count += notify.birthdays(session, now=now, tz=settings.tz)
            self._birthdays_on = today
        return count

    def smtp_config(self) -> SmtpConfig | None:
        """The office's SMTP settings with the password opened; None when not set up."""
        with self.hub.read_sessions() as session:
            mail = get_global(session).mail
            if not mail.smtp_host:
                return None
            password = get_secret(session, self.hub.sealer, SMTP) if mail.smtp_login else None
        return SmtpConfig(
            host=mail.smtp_host,
            port=mail.smtp_port,
            security=mail.smtp_security,
            login=mail.smtp_login,
            password=password,
            sender=mail.sender or booking_mail.FALLBACK_SENDER,
        )

    def send_due(self, now: datetime) -> tuple[int, int]:
        """Claim, send and mark the due letters; returns (sent, failed tries)."""
        config = self.smtp_config()
        if config is None:
            return 0, 0
        sent = failed = 0
        while not self._stop.is_set():
            with transaction(self.hub.sessions) as session:
                batch = outbox.claim(session, now)
            if not batch:
                break
            taken, error = self._deliver(config, batch, now)
            sent += taken
            if error is not None:
                failed += len(batch) - taken
                self.last_error = str(error)
                logger.warning("mail not sent: %s", error)
                break
        if failed == 0:
            self.last_error = None
        return sent, failed

    def _deliver(
        self, config: SmtpConfig, batch: list[outbox.Claimed], now: datetime
    ) -> tuple[int, DeliveryError | None]:
        """Send a claimed batch in one session: (letters taken, the error that stopped it)."""
        sent = 0
        left = list(batch)
        try:
            with connect(config, self.ssl_context) as client:
                while left:
                    row = left[0]
                    try:
                        send(client, config.sender, row.recipient, row.message)
                    except DeliveryError as exc:
                        if not exc.permanent:
                            raise
                        self._failed([row], exc, now)
                    else:
                        with transaction(self.hub.sessions) as session:
                            outbox.mark_sent(session, row.id, self.clock())
                        sent += 1
                    left.pop(0)
        except Exception as exc:  # whatever broke, the claim must not be left behind
            # The server could not be reached or stopped answering (or the client broke):
            # nothing left was taken, and nothing about the letters themselves is known, so
            # they are tried again, with the error shown.
            text = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
            error = DeliveryError(text[:300], permanent=False)
            self._failed(left, error, now)
            return sent, error
        return sent, None

    def _failed(self, rows: list[outbox.Claimed], exc: DeliveryError, now: datetime) -> None:
        with transaction(self.hub.sessions) as session:
            for row in rows:
                outbox.mark_failed(
                    session,
                    row,
                    error=str(exc),
                    permanent=exc.permanent,
                    now=now,
                    base=self.backoff_base,
                )
