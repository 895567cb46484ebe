"""The archive of events (EVT-5): send, restore and delete, chosen or by date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert, literal, null, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.types import Integer, String

from hub.db.base import UTCDateTime
from hub.db.models import AuditRecord, Event
from hub.errors import Conflict, NotFound
from hub.services.access.rights import AccessProfile, Action, DocType, require
from hub.services.common import audit
from hub.services.common.files import FileStore
from hub.services.events.events import ENTITY, remove_events, require_event_right
from hub.services.settings.parameters import get_global


@dataclass(frozen=True)
class ArchiveResult:
    """How many events an archive operation changed, and how many it left alone."""

    done: int
    skipped: int = 0


def _chosen(session: Session, ids: Sequence[int]) -> list[Event]:
    """The events with these ids, in id order; 404 naming the first missing one."""
    wanted = sorted(set(ids))
    events = list(session.scalars(select(Event).where(Event.id.in_(wanted)).order_by(Event.id)))
    found = {event.id for event in events}
    missing = [ident for ident in wanted if ident not in found]
    if missing:
        raise NotFound("not_found", what=f"event {missing[0]}")
    return events


def _check_all(
    session: Session, profile: AccessProfile, action: Action, events: Sequence[Event]
) -> None:
    # Every right is checked before anything changes, so a refusal leaves all events as they were.
    require(profile, action, DocType.EVENT)
    for journal_id in sorted({e.journal_id for e in events if e.journal_id is not None}):
        require_event_right(session, profile, action, journal_id)


def _log(session: Session, event: Event, action: str, user_id: int) -> None:
    audit.record(session, entity=ENTITY, entity_id=event.id, action=action, user_id=user_id)


def archive_events(
    session: Session, *, profile: AccessProfile, ids: Sequence[int], now: datetime
) -> ArchiveResult:
    """Send the chosen events to the archive; ones already there are counted as skipped."""
    events = _chosen(session, ids)
    _check_all(session, profile, Action.CHANGE, events)
    done = 0
    for event in events:
        if event.archived_at is None:
            event.archived_at = now
            _log(session, event, "archive", profile.user_id)
            done += 1
    session.flush()
    return ArchiveResult(done=done, skipped=len(events) - done)


def archive_before(
    session: Session, *, profile: AccessProfile, before: datetime, now: datetime
) -> ArchiveResult:
    """Archive every event that ended before ``before`` in one UPDATE.

    An event without an end counts as ended when it started. Events in journals where the user
    may not change documents stay where they are and are counted as skipped.
    """
    require(profile, Action.CHANGE, DocType.EVENT)
    # starts_at < before follows from the end being before it and lets the index narrow the rows.
    ended = and_(
        Event.archived_at.is_(None),
        Event.starts_at < before,
        func.coalesce(Event.ends_at, Event.starts_at) < before,
    )
    allowed = ended
    skipped = 0
    if not profile.unrestricted:
        journals = sorted(j for j, rights in profile.journal_rights.items() if rights.change)
        in_reach = or_(Event.journal_id.is_(None), Event.journal_id.in_(journals))
        allowed = and_(ended, in_reach)
        outside = select(func.count()).select_from(Event).where(ended, ~in_reach)
        skipped = int(session.scalar(outside) or 0)
    result = session.execute(
        update(Event).where(allowed).values(archived_at=now),
        execution_options={"synchronize_session": False},
    )
    done = int(getattr(result, "rowcount", 0) or 0)
    if done and get_global(session).audit_tasks_events:
        # One INSERT ... SELECT writes the log of every event the UPDATE archived.
        rows = select(
            literal(ENTITY, String()),
            Event.id,
            literal("archive", String()),
            literal(profile.user_id, Integer()),
            literal(now, UTCDateTime()),
            null(),
        ).where(Event.archived_at == now)
        columns = ["entity", "entity_id", "action", "user_id", "at", "changes"]
        session.execute(insert(AuditRecord).from_select(columns, rows))
    session.expire_all()
    return ArchiveResult(done=done, skipped=skipped)


def restore_events(
    session: Session, *, profile: AccessProfile, ids: Sequence[int]
) -> ArchiveResult:
    """Bring the chosen events back from the archive; ones not in it are counted as skipped."""
    events = _chosen(session, ids)
    _check_all(session, profile, Action.CHANGE, events)
    done = 0
    for event in events:
        if event.archived_at is not None:
            event.archived_at = None
            _log(session, event, "restore", profile.user_id)
            done += 1
    session.flush()
    return ArchiveResult(done=done, skipped=len(events) - done)


def delete_archived(
    session: Session, *, profile: AccessProfile, ids: Sequence[int], files: FileStore
) -> ArchiveResult:
    """Delete the chosen archived events and their attachments; 409 if one is not archived."""
    events = _chosen(session, ids)
    _check_all(session, profile, Action.DELETE, events)
    for event in events:
        if event.archived_at is None:
            raise Conflict("event_not_archived", number=event.number)
    remove_events(session, profile=profile, events=events, files=files)
    return ArchiveResult(done=len(events))
