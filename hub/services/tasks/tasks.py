"""The task card (TSK-2, TSK-5, TSK-6, TSK-14): create, change, status rules, history.

Statuses are entries of the task-status reference book; the rules rely on the system codes.
Overdue (TSK-14) is derived (the end has passed and the task is not done or accepted), never
stored: setting the status "overdue" by hand is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.base import insert_object, insert_row, utcnow
from hub.db.models import (
    Client,
    Contact,
    EventType,
    Journal,
    Project,
    Task,
    TaskExecutor,
    TaskField,
    TaskStatus,
    User,
)
from hub.db.refcache import REFERENCE_TABLES, cached
from hub.errors import Conflict, Invalid, NotFound
from hub.services.access.rights import (
    AccessProfile,
    Action,
    DocType,
    require_in_journal,
    require_task_status_change,
)
from hub.services.common import audit
from hub.services.common.files import FileStore
from hub.services.projects.attachments import discard_owned_files
from hub.services.settings.numbering import next_number

ASSIGNED, OVERDUE, DONE, ACCEPTED = "assigned", "overdue", "done", "accepted"
COMPLETED = frozenset({DONE, ACCEPTED})
# TSK-14 colours when the reference book has none.
DEFAULT_COLORS = {ASSIGNED: "#1f5fbf", OVERDUE: "#c62828", DONE: "#000000"}

CARD_FIELDS = (
    "name",
    "starts_at",
    "ends_at",
    "percent_done",
    "time_spent_minutes",
    "status_id",
    "priority",
    "controller_id",
    "event_type_id",
    "client_id",
    "contact_id",
    "phone",
    "fax",
    "email",
    "project_id",
    "journal_id",
    "content",
    "responsibility_centre",
    "recurrence",
    "recurrence_interval",
    "custom_fields",
)
# Reference columns checked before writing, so a wrong id is a 422 naming the field.
_REFERENCES: dict[str, tuple[type[Any], str]] = {
    "controller_id": (User, "user"),
    "event_type_id": (EventType, "event type"),
    "client_id": (Client, "client"),
    "contact_id": (Contact, "contact"),
    "project_id": (Project, "project"),
    "journal_id": (Journal, "journal"),
}


@dataclass(frozen=True)
class TaskView:
    """A task with what the replies derive: its status entry, overdue flag and display colour."""

    task: Task
    status: StatusEntry
    overdue: bool
    color: str | None


@dataclass(frozen=True)
class StatusEntry:
    """A task status of the reference book (SET-3), detached (kept in ``hub.db.refcache``)."""

    id: int
    code: str
    name_uk: str
    name_en: str
    color: str | None


def statuses(session: Session) -> dict[int, StatusEntry]:
    """Every task status by id (a small reference book)."""
    return dict(cached(session, "task_statuses", _load_statuses))


def _load_statuses(session: Session) -> dict[int, StatusEntry]:
    return {
        row.id: StatusEntry(row.id, row.code, row.name_uk, row.name_en, row.color)
        for row in session.scalars(select(TaskStatus))
    }


def status_by_code(session: Session, code: str, *, field: str = "status") -> StatusEntry:
    """The task status with ``code``; 422 naming ``field`` when there is none."""
    for entry in cached(session, "task_statuses", _load_statuses).values():
        if entry.code == code:
            return entry
    raise Invalid("task_status_unknown", field=field, code=code)


def is_overdue(task: Task, status_code: str, now: datetime) -> bool:
    """TSK-14: the end has passed and the task is neither done nor accepted."""
    return task.ends_at < now and status_code not in COMPLETED


def describe(
    session: Session,
    tasks: Iterable[Task],
    *,
    now: datetime | None = None,
    books: Mapping[int, StatusEntry] | None = None,
) -> list[TaskView]:
    """Tasks with their status, overdue flag and colour (the status book is read once)."""
    books = books if books is not None else statuses(session)
    by_code = {row.code: row for row in books.values()}
    moment = now or utcnow()
    views = []
    for task in tasks:
        status = books[task.status_id]
        overdue = is_overdue(task, status.code, moment)
        shown = by_code.get(OVERDUE, status) if overdue else status
        color = shown.color or DEFAULT_COLORS.get(OVERDUE if overdue else status.code)
        views.append(TaskView(task=task, status=status, overdue=overdue, color=color))
    return views


def get_task(session: Session, task_id: int) -> Task:
    """One task; NotFound if there is none."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("not_found", what=f"task {task_id}")
    return task


def require_task(profile: AccessProfile, action: Action, session: Session, task: Task) -> None:
    """ACC-1 and ACC-2 for one task: the task right and the right in its journal."""
    require_in_journal(session, profile, action, DocType.TASK, task.journal_id)


def check_references(session: Session, values: Mapping[str, Any]) -> None:
    """422 naming the field when a referenced row does not exist."""
    for key, (model, label) in _REFERENCES.items():
        value = values.get(key)
        if value is not None and not _exists(session, model, value):
            raise Invalid("task_reference_missing", field=key, what=f"{label} {value}")


def project_journal(session: Session, project_id: int) -> int | None:
    """The journal of a project (kept in ``hub.db.refcache``)."""
    return cached(session, ("project_journal", project_id), partial(_journal, project=project_id))


def _journal(session: Session, project: int) -> int | None:
    return session.scalar(select(Project.journal_id).where(Project.id == project))


def _exists(session: Session, model: type[Any], ident: Any) -> bool:
    def load(session: Session) -> bool:
        return session.get(model, ident) is not None

    if model.__tablename__ in REFERENCE_TABLES:  # users, projects, event types, journals
        return cached(session, ("exists", model.__tablename__, ident), load)
    return load(session)


def check_users(session: Session, user_ids: Sequence[int], *, field: str) -> None:
    """422 when one of the users does not exist."""
    missing = sorted(uid for uid in set(user_ids) if not _exists(session, User, uid))
    if missing:
        raise Invalid("task_reference_missing", field=field, what=f"user {missing[0]}")


def check_custom_fields(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    """TSK-6: keys are codes of the task-fields book, values match its value type."""
    if not values:
        return {}
    books = {
        row.code: row.value_type
        for row in session.scalars(select(TaskField).where(TaskField.code.in_(list(values))))
    }
    clean: dict[str, Any] = {}
    for code, value in values.items():
        field = f"custom_fields.{code}"
        if code not in books:
            raise Invalid("task_field_unknown", field=field, code=code)
        if value is None:
            continue
        kind = books[code]
        ok = {
            "text": isinstance(value, str) and len(value) <= 4000 and "\x00" not in value,
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "date": isinstance(value, str) and _is_date(value),
        }.get(kind, False)
        if not ok:
            raise Invalid("task_field_type", field=field, code=code, type=kind)
        clean[code] = value
    return clean


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def check_period(starts_at: datetime, ends_at: datetime) -> None:
    """End >= start, else 422 naming ``ends_at``."""
    if ends_at < starts_at:
        raise Invalid("period_reversed", field="ends_at")


def later(start: datetime, length: timedelta, *, field: str = "ends_at") -> datetime:
    """``start + length``; 422 naming ``field`` when that leaves the calendar."""
    try:
        return start + length
    except OverflowError:
        raise Invalid("task_period_too_far", field=field) from None


def not_done_executors(task: Task, books: Mapping[int, StatusEntry]) -> int:
    """How many executors of the task are neither done nor accepted."""
    return sum(1 for row in task.executors if books[row.status_id].code not in COMPLETED)


def insert_task(
    session: Session,
    *,
    profile: AccessProfile,
    values: Mapping[str, Any],
    executor_ids: Sequence[int] = (),
    status: str = ASSIGNED,
    today: date,
    action: str = "create",
    check_rights: bool = True,
    event_id: int | None = None,
) -> Task:
    """Create a task after every check (rights, references, period, fields, status rules).

    ``check_rights=False`` is for the successor of a recurring task, a consequence of a status
    change that was itself checked. ``event_id`` links the task to the event it comes from.
    """
    data = {key: value for key, value in values.items() if key in CARD_FIELDS}
    check_references(session, data)
    if data.get("journal_id") is None and data.get("project_id") is not None:
        data["journal_id"] = project_journal(session, data["project_id"])
    if check_rights:
        require_in_journal(session, profile, Action.CREATE, DocType.TASK, data.get("journal_id"))
    check_period(data["starts_at"], data["ends_at"])
    data["custom_fields"] = check_custom_fields(session, data.get("custom_fields") or {})
    entry = status_by_code(session, status)
    if entry.code == OVERDUE:
        raise Conflict("task_overdue_by_hand")
    if entry.code != ASSIGNED:
        require_task_status_change(profile)
    unique_executors = list(dict.fromkeys(executor_ids))
    check_users(session, unique_executors, field="executor_ids")
    if entry.code in COMPLETED and unique_executors:
        raise Conflict(
            "task_executors_not_done", count=len(unique_executors), total=len(unique_executors)
        )
    assigned = entry if entry.code == ASSIGNED else status_by_code(session, ASSIGNED)
    number = next_number(session, doc_type="task", on=today, project_id=data.get("project_id"))
    task = Task(
        **data,
        number=number.text,
        status_id=entry.id,
        author_id=profile.user_id,
        completed_at=utcnow() if entry.code in COMPLETED else None,
        event_id=event_id,
    )
    # Plain INSERTs (the unit of work costs more than the writes: every Free makes a task).
    insert_object(session, task)
    for uid in unique_executors:
        insert_row(session, TaskExecutor, task_id=task.id, user_id=uid, status_id=assigned.id)
    after = audit.snapshot(task, CARD_FIELDS)
    after["executors"] = unique_executors
    audit.record(
        session,
        entity="task",
        entity_id=task.id,
        action=action,
        user_id=profile.user_id,
        changes=audit.diff({}, after),
    )
    # SET-8, in this transaction. Imported here: the mail services read the task models.
    from hub.services.mail.notify import executors_assigned

    executors_assigned(
        session, task=task, user_ids=unique_executors, by=profile.user_id, now=utcnow()
    )
    return task


def set_status(
    session: Session,
    *,
    profile: AccessProfile,
    task: Task,
    status: StatusEntry,
    tz: tzinfo,
    with_executors: bool = False,
) -> Task | None:
    """Change the task's status by the rules; returns the next task when a recurrence made one."""
    require_task_status_change(profile)
    if status.code == OVERDUE:
        raise Conflict("task_overdue_by_hand")
    books = statuses(session)
    was_completed = books[task.status_id].code in COMPLETED
    if status.code in COMPLETED and not with_executors:
        pending = not_done_executors(task, books)
        if pending:
            raise Conflict("task_executors_not_done", count=pending, total=len(task.executors))
    before = task.status_id
    if with_executors:
        for row in task.executors:
            if row.status_id != status.id:
                row.status_id = status.id
                row.done_at = utcnow() if status.code in COMPLETED else None
    task.status_id = status.id
    task.completed_at = (task.completed_at or utcnow()) if status.code in COMPLETED else None
    session.flush()
    changes: dict[str, Any] = {"status_id": [before, status.id]}
    if with_executors:
        changes["executors_status_id"] = status.id
    if before != status.id:
        audit.record(
            session,
            entity="task",
            entity_id=task.id,
            action="status",
            user_id=profile.user_id,
            changes=changes,
        )
    if status.code in COMPLETED and not was_completed and task.recurrence:
        from hub.services.tasks.recurrence import create_next

        return create_next(session, profile=profile, task=task, tz=tz)
    return None


def update_task(
    session: Session,
    *,
    profile: AccessProfile,
    task_id: int,
    changes: Mapping[str, Any],
    tz: tzinfo,
) -> Task:
    """Change a task's card (PATCH): rights, references, period with its dependencies, status."""
    from hub.services.tasks.dependencies import check_dependencies

    task = get_task(session, task_id)
    require_task(profile, Action.CHANGE, session, task)
    data = dict(changes)
    status_code = data.pop("status", None)
    if "journal_id" in data and data["journal_id"] != task.journal_id:
        check_references(session, {"journal_id": data["journal_id"]})
        require_in_journal(session, profile, Action.CHANGE, DocType.TASK, data["journal_id"])
    check_references(session, data)
    if "custom_fields" in data:
        data["custom_fields"] = check_custom_fields(session, data["custom_fields"] or {})
    before = audit.snapshot(task, CARD_FIELDS)
    starts_at = data.get("starts_at", task.starts_at)
    if "starts_at" in data and "ends_at" not in data:
        data["ends_at"] = later(starts_at, task.ends_at - task.starts_at)  # TSK-13: same length
    ends_at = data.get("ends_at", task.ends_at)
    check_period(starts_at, ends_at)
    if (starts_at, ends_at) != (task.starts_at, task.ends_at):
        check_dependencies(session, task_id=task.id, starts_at=starts_at, ends_at=ends_at)
    for key, value in data.items():
        if key in CARD_FIELDS:
            setattr(task, key, value)
    session.flush()
    found = audit.diff(before, audit.snapshot(task, CARD_FIELDS))
    if found:
        audit.record(
            session,
            entity="task",
            entity_id=task.id,
            action="change",
            user_id=profile.user_id,
            changes=found,
        )
    if status_code is not None:
        entry = status_by_code(session, status_code)
        if entry.id != task.status_id:
            set_status(session, profile=profile, task=task, status=entry, tz=tz)
    return task


def delete_task(
    session: Session, *, profile: AccessProfile, task_id: int, files: FileStore
) -> None:
    """Delete a task (its executors, dependencies, reminders and attachments go with it)."""
    task = get_task(session, task_id)
    require_task(profile, Action.DELETE, session, task)
    discard_owned_files(session, files, "task", [task.id])
    audit.record(
        session,
        entity="task",
        entity_id=task.id,
        action="delete",
        user_id=profile.user_id,
        changes={"number": task.number, "name": task.name},
    )
    session.delete(task)
    session.flush()


def task_history(session: Session, *, task_id: int) -> list[audit.HistoryEntry]:
    """TSK-5: the change log of one task, oldest first, split by history group (SET-2)."""
    get_task(session, task_id)
    return audit.grouped_history(session, entity="task", entity_id=task_id)
