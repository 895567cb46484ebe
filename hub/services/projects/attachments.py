"""Attachments of projects, events and tasks (PRJ-7, EVT-4, TSK-6): named files in the store.

The bytes live in the file store, the description in the ``attachments`` table; the two are kept
in step with the transaction: a file written by a transaction that rolls back is removed, and the
file of a deleted row is removed only once the deletion is committed. A stray file is garbage; a
row without its file would be a bug.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from hub.db.models import Attachment, Event, Journal, Project, Task
from hub.errors import NotFound
from hub.services.access.rights import AccessProfile, Action, DocType, require
from hub.services.common.files import FileStore
from hub.services.common.paging import DEFAULT_LIMIT, Page, SortKey, paginate

logger = logging.getLogger(__name__)

OwnerKind = Literal["project", "event", "task"]
OWNER_MODELS: dict[str, type[Project] | type[Event] | type[Task]] = {
    "project": Project,
    "event": Event,
    "task": Task,
}
OWNER_COLUMNS = {
    "project": Attachment.project_id,
    "event": Attachment.event_id,
    "task": Attachment.task_id,
}
MAX_FILENAME = 255
MAX_NAME = 300
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
_LEDGER_KEY = "cherga.attachment_files"


@dataclass
class _Ledger:
    """Files touched by the session's current transaction."""

    store: FileStore
    written: list[str] = field(default_factory=list)
    doomed: list[str] = field(default_factory=list)
    committed: bool = False


def _after_commit(session: Session) -> None:
    ledger: _Ledger | None = session.info.get(_LEDGER_KEY)
    if ledger is not None:
        ledger.committed = True


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    ledger: _Ledger | None = session.info.get(_LEDGER_KEY)
    if ledger is None:
        return
    names = ledger.doomed if ledger.committed else ledger.written
    for name in names:
        try:
            ledger.store.delete(name)
        except OSError:
            logger.warning("could not remove attachment file %s", name, exc_info=True)
    ledger.written.clear()
    ledger.doomed.clear()
    ledger.committed = False


def _ledger(session: Session, store: FileStore) -> _Ledger:
    ledger: _Ledger | None = session.info.get(_LEDGER_KEY)
    if ledger is None:
        ledger = _Ledger(store)
        session.info[_LEDGER_KEY] = ledger
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_transaction_end", _after_transaction_end)
    return ledger


def discard_files_after_commit(session: Session, store: FileStore, names: Iterable[str]) -> None:
    """Remove these stored files once the transaction that dropped their rows commits."""
    _ledger(session, store).doomed.extend(names)


def discard_owned_files(
    session: Session, store: FileStore, kind: OwnerKind, owner_ids: Iterable[int]
) -> None:
    """Remove the files attached to these owners once their deletion commits.

    Call it in the transaction that deletes the owners: the rows go with them (ON DELETE
    CASCADE), the files when the deletion is committed.
    """
    ids = list(owner_ids)
    if ids:
        column = OWNER_COLUMNS[kind]
        names = session.scalars(select(Attachment.stored_name).where(column.in_(ids)))
        discard_files_after_commit(session, store, list(names))


def _discard_files_on_rollback(session: Session, store: FileStore, name: str) -> None:
    _ledger(session, store).written.append(name)


def _without_controls(text: str) -> str:
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def clean_filename(raw: str | None) -> str:
    """The uploader's file name fit for display: no folders, no control characters, 255 chars."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in ("", ".", ".."):
        name = "file"
    if len(name) > MAX_FILENAME:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 16:
            name = stem[: MAX_FILENAME - len(suffix) - 1] + "." + suffix
        else:
            name = name[:MAX_FILENAME]
    return name


def clean_content_type(raw: str | None) -> str:
    """The declared media type without parameters, or ``application/octet-stream``."""
    value = (raw or "").split(";", 1)[0].strip().lower()
    return value if _CONTENT_TYPE.match(value) else DEFAULT_CONTENT_TYPE


def get_owner(session: Session, kind: OwnerKind, owner_id: int) -> Project | Event | Task:
    """The project, event or task an attachment belongs to, or NotFound."""
    owner = cast(Project | Event | Task | None, session.get(OWNER_MODELS[kind], owner_id))
    if owner is None:
        raise NotFound("not_found", what=f"{kind} {owner_id}")
    return owner


def _require(
    session: Session, profile: AccessProfile, action: Action, owner: Project | Event | Task
) -> None:
    journal = session.get(Journal, owner.journal_id) if owner.journal_id is not None else None
    require(
        profile,
        action,
        DocType.ATTACHMENT,
        journal_id=owner.journal_id,
        journal_name=journal.name_uk if journal is not None else None,
    )


def _owner_of(attachment: Attachment) -> tuple[OwnerKind, int]:
    if attachment.project_id is not None:
        return "project", attachment.project_id
    if attachment.event_id is not None:
        return "event", attachment.event_id
    assert attachment.task_id is not None  # the one_owner constraint
    return "task", attachment.task_id


def list_attachments(
    session: Session,
    *,
    kind: OwnerKind,
    owner_id: int,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Attachment]:
    """The owner's attachments, oldest first."""
    get_owner(session, kind, owner_id)
    query = select(Attachment).where(OWNER_COLUMNS[kind] == owner_id)
    return paginate(session, query, [SortKey(Attachment.id)], cursor=cursor, limit=limit)


def create_attachment(
    session: Session,
    *,
    store: FileStore,
    profile: AccessProfile,
    kind: OwnerKind,
    owner_id: int,
    stream: BinaryIO,
    filename: str | None,
    content_type: str | None,
    name: str | None = None,
) -> Attachment:
    """Store an uploaded file and describe it; the file goes away if the transaction fails."""
    owner = get_owner(session, kind, owner_id)
    _require(session, profile, Action.CREATE, owner)
    return store_attachment(
        session,
        store=store,
        kind=kind,
        owner_id=owner_id,
        stream=stream,
        filename=filename,
        content_type=content_type,
        name=name,
        uploaded_by=profile.user_id,
    )


def store_attachment(
    session: Session,
    *,
    store: FileStore,
    kind: OwnerKind,
    owner_id: int,
    stream: BinaryIO,
    filename: str | None,
    content_type: str | None,
    name: str | None = None,
    uploaded_by: int | None = None,
) -> Attachment:
    """Store a file for an owner the caller has checked (a person's rights, or a device's
    identity); the file goes away if the transaction fails."""
    original = clean_filename(filename)
    display = " ".join(_without_controls(name or "").split())[:MAX_NAME] or original
    stored = store.save(stream)
    _discard_files_on_rollback(session, store, stored.stored_name)
    values: dict[str, Any] = {f"{kind}_id": owner_id}
    attachment = Attachment(
        **values,
        name=display,
        original_filename=original,
        stored_name=stored.stored_name,
        content_type=clean_content_type(content_type),
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=uploaded_by,
    )
    session.add(attachment)
    session.flush()
    return attachment


def get_attachment(session: Session, attachment_id: int) -> Attachment:
    """One attachment, or NotFound."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("not_found", what=f"attachment {attachment_id}")
    return attachment


def attachment_file(
    session: Session, *, store: FileStore, attachment_id: int
) -> tuple[Attachment, Path]:
    """An attachment and the path of its bytes; NotFound if the file is missing."""
    attachment = get_attachment(session, attachment_id)
    path = store.path(attachment.stored_name)
    if not path.is_file():
        logger.error("attachment %s has no file %s", attachment.id, attachment.stored_name)
        raise NotFound("att_file_missing", name=attachment.name)
    return attachment, path


def delete_attachment(
    session: Session, *, store: FileStore, profile: AccessProfile, attachment_id: int
) -> None:
    """Delete the row now and its file after the deletion is committed."""
    attachment = get_attachment(session, attachment_id)
    kind, owner_id = _owner_of(attachment)
    _require(session, profile, Action.DELETE, get_owner(session, kind, owner_id))
    stored_name = attachment.stored_name
    session.delete(attachment)
    session.flush()
    discard_files_after_commit(session, store, [stored_name])
