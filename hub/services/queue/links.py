"""Links to a ticket's live page (issue 23): an unguessable token per link, kept only as a hash.

A token is 32 random bytes (urlsafe base64, 43 characters); the database holds its SHA-256, so a
copy of the database opens no visitor's page. A link stops working at the end of its ticket's day
in the office's time zone. Every failure (a malformed, unknown or expired token) is the same
404: the answer says nothing about which tickets exist.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from hub.db.base import insert_row, table_of
from hub.db.models.queue import QueueTicket, TicketLink
from hub.errors import NotFound
from hub.services.queue.core import QueueContext

TOKEN_BYTES = 32
# A page polls every few seconds: the hall's "following remotely" lasts this long after a poll.
FOLLOWING_FOR = timedelta(seconds=60)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
UNKNOWN = "ticket_page_unknown"


def token_hash(token: str) -> str:
    """The SHA-256 (hex) kept for a token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def mint(session: Session, ctx: QueueContext, ticket: QueueTicket) -> str:
    """A new link to the ticket's page, valid until the end of the ticket's day; the token."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    insert_row(
        session,
        TicketLink,
        ticket_id=ticket.id,
        token_hash=token_hash(token),
        expires_at=ctx.day_end(ticket.service_day),
        created_at=ctx.now,
    )
    return token


def following(seen: datetime | None, now: datetime) -> bool:
    """Whether a page last seen at ``seen`` still counts as followed remotely at ``now``."""
    return seen is not None and now - seen <= FOLLOWING_FOR


def page_url(ctx: QueueContext, token: str | None) -> str | None:
    """The public address of the page a token opens (None without a base or a token)."""
    if not ctx.visitor_url or not token:
        return None
    return f"{ctx.visitor_url.rstrip('/')}/t/{token}"


_L = table_of(TicketLink).c
_FIND = (
    select(QueueTicket)
    .join(TicketLink, TicketLink.ticket_id == QueueTicket.id)
    .where(_L.token_hash == bindparam("hash"), _L.expires_at > bindparam("now"))
)


def find(session: Session, ctx: QueueContext, token: str, *, lock: bool = False) -> QueueTicket:
    """The ticket a live token opens; NotFound for anything else (no oracle)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise NotFound(UNKNOWN)
    query = _FIND
    if lock:
        query = query.with_for_update(of=QueueTicket).execution_options(populate_existing=True)
    ticket = session.scalars(query, {"hash": token_hash(token), "now": ctx.now}).first()
    if ticket is None:
        raise NotFound(UNKNOWN)
    return ticket


def forget_expired(session: Session, ctx: QueueContext, *, limit: int = 1000) -> int:
    """Delete links past their end (they open nothing any more); how many went."""
    ids = list(
        session.scalars(select(TicketLink.id).where(TicketLink.expires_at <= ctx.now).limit(limit))
    )
    if ids:
        session.execute(delete(TicketLink).where(TicketLink.id.in_(ids)))
    return len(ids)
