"""The one login throttle of the API's token route and the console's login form.

Every attempt is counted, per client address and per username, in booking's counter table
(``rate_hits``, hashed keys, one row per key and window, so every hub replica counts in one
place) in its own committed transaction, before the password is looked at: once a window's
allowance is used up the attempt is refused (429, ``RateLimited``) without spending argon2's
CPU, even with the right password. An attempt whose password was right is then taken off the
counters again, so only failures use the allowance. Counting before checking (not after a
failure) keeps the limit exact when many attempts arrive at once.

Windows are fixed (as booking's): a burst across a window's edge may get up to twice the
allowance, and the lock ends with the window. The address counter locks everyone behind that
address (an office behind one NAT address shares it); the username counter locks an account
against guesses from many addresses, at the price that anyone may lock it for the window.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from hub.db.engine import transaction
from hub.db.models.booking import RateHit
from hub.errors import Unauthenticated
from hub.services.queue.booking import Limit, RateLimited, hit, rate_key

# A person who mistypes needs a few tries; ten failures per ten minutes per address is 60
# guesses an hour (and at most ten argon2 hashes, about 4 s of CPU, per address per window).
ADDRESS_LIMIT = Limit(hits=10, seconds=600)
# Per account, from any number of addresses: 20 an hour (480 a day) keeps guessing a password
# of the hub's minimum length hopeless, and is twice an address's allowance so one address
# alone cannot lock an account out for the whole hour.
USERNAME_LIMIT = Limit(hits=20, seconds=3600)

T = TypeVar("T")


def _keys(address: str, username: str) -> list[tuple[str, Limit]]:
    # Usernames are matched case-insensitively by users.find_user: "Admin" counts as "admin".
    return [
        (rate_key("login-address", address), ADDRESS_LIMIT),
        (rate_key("login-user", username.strip().lower()), USERNAME_LIMIT),
    ]


def _window(now: datetime, limit: Limit) -> datetime:
    # The window booking.hit counted the attempt in.
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % limit.seconds, tz=now.tzinfo)


def count_attempt(session: Session, now: datetime, *, address: str, username: str) -> None:
    """Count one login attempt; RateLimited once the address or the username is locked out."""
    try:
        for key, limit in _keys(address, username):
            hit(session, now, key, limit)
    except RateLimited as error:
        raise RateLimited("login_rate_limited", seconds=error.params["seconds"]) from None


def forgive_attempt(session: Session, now: datetime, *, address: str, username: str) -> None:
    """Take back an attempt counted at ``now`` whose password was right."""
    for key, limit in _keys(address, username):
        session.execute(
            update(RateHit)
            .where(RateHit.key == key, RateHit.window_start == _window(now, limit))
            .where(RateHit.hits > 0)
            .values(hits=RateHit.hits - 1)
        )


def throttled(
    sessions: sessionmaker[Session],
    now: datetime,
    *,
    address: str,
    username: str,
    attempt: Callable[[Session], T],
) -> T:
    """Run ``attempt`` (a password check and what follows) unless the caller is locked out.

    The count is committed before ``attempt`` runs in its own transaction, so a refused or
    failed login counts whatever happens to the rest; only a wrong username or password
    (``bad_credentials``) stays counted.
    """
    with transaction(sessions) as session:
        count_attempt(session, now, address=address, username=username)
    wrong = False
    try:
        with transaction(sessions) as session:
            return attempt(session)
    except Unauthenticated as error:
        wrong = error.code == "bad_credentials"
        raise
    finally:
        if not wrong:
            with transaction(sessions) as session:
                forgive_attempt(session, now, address=address, username=username)
