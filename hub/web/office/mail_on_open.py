"""Fetch one's mail when the events registry opens (EVT-7, the user's ``check_mail_on_open``).

The page never waits: the fetch runs in a thread of its own, and letters appear as events on the
next look. A user's mailbox is fetched this way at most once per ``EVERY`` (a reload or paging
through the registry does not fetch again), and only when an incoming server is set; the
corporate mailbox is left to its schedule.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.services.mail import inbox
from hub.services.settings.parameters import get_global, get_user_parameters
from hub.web.common import hub_of

logger = logging.getLogger(__name__)
EVERY = timedelta(minutes=2)


class OpenFetches:
    """The fetches on opening of one app: when each user's was last started, and the threads."""

    def __init__(
        self,
        *,
        every: timedelta = EVERY,
        context: Callable[[], ssl.SSLContext] = ssl.create_default_context,
    ) -> None:
        self.every = every
        self.context = context
        self.started = 0
        self._last: dict[int, datetime] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def due(self, user_id: int, now: datetime) -> bool:
        """Whether the user's mailbox may be fetched now (and, if so, mark it started)."""
        with self._lock:
            last = self._last.get(user_id)
            if last is not None and now - last < self.every:
                return False
            self._last[user_id] = now
            self.started += 1
            return True

    def start(self, hub: Hub, user_id: int) -> None:
        """Fetch the user's mailbox in a thread of its own."""
        thread = threading.Thread(
            target=self._run, args=(hub, user_id), name=f"cherga-mail-open-{user_id}", daemon=True
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run(self, hub: Hub, user_id: int) -> None:
        try:
            result = inbox.fetch(
                hub, now=utcnow(), context=self.context(), user_id=user_id, corporate=False
            )
        except Exception:  # a thread of its own: nothing above it would log this
            logger.exception("fetching the mail of user %s on opening the events failed", user_id)
        else:
            logger.info("mail of user %s fetched on opening the events: %s", user_id, result)

    def join(self, timeout: float = 60.0) -> None:
        """Wait for the fetches under way (for tests and a clean stop)."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)


def fetches_of(request: Request) -> OpenFetches:
    """This app's fetches on opening (made on first use)."""
    state = request.app.state
    found = getattr(state, "mail_on_open", None)
    if not isinstance(found, OpenFetches):
        found = OpenFetches()
        state.mail_on_open = found
    return found


def fetch_on_open(request: Request, session: Session, user_id: int) -> bool:
    """Start a fetch of the user's mailbox if they asked for it on opening and it is due;
    returns whether one was started."""
    if not get_user_parameters(session, user_id).check_mail_on_open:
        return False
    if not get_global(session).mail.incoming_host:
        return False
    fetches = fetches_of(request)
    if not fetches.due(user_id, utcnow()):
        return False
    fetches.start(hub_of(request), user_id)
    return True
