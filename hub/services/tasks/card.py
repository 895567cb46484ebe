"""What a task's card shows at a desk (TSK-2..TSK-9): the details and one tab at a time.

Every user of the CRM reads every task, as through the API (the manual's journal rights are to
create, change and delete). The card is read in one session; only the open tab's part is loaded.
Changes go through ``hub.services.tasks.card_edit`` and the task services themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import (
    Attachment,
    Client,
    Contact,
    Event,
    EventType,
    Message,
    Project,
    SettlementDocument,
    Task,
    TaskField,
    TaskReminder,
)
from hub.errors import NotFound
from hub.services.common.edits import fingerprint
from hub.services.common.paging import MAX_LIMIT
from hub.services.projects import attachments, discussion
from hub.services.tasks import dependencies, documents, extras
from hub.services.tasks.card_history import HistoryRow, history_rows, user_names
from hub.services.tasks.tasks import (
    CARD_FIELDS,
    StatusEntry,
    TaskView,
    describe,
    get_task,
    statuses,
)

TABS = (
    "details",
    "executors",
    "dependencies",
    "history",
    "documents",
    "extra",
    "discussion",
    "fields",
    "attachments",
)


@dataclass(frozen=True)
class ExecutorRow:
    """An executor with their own status and time (TSK-3)."""

    user_id: int
    name: str
    status: StatusEntry
    time_spent_minutes: int
    done_at: datetime | None


@dataclass(frozen=True)
class ReminderRow:
    """A reminder (TSK-7) with the name of the person reminded."""

    reminder: TaskReminder
    user_name: str


@dataclass(frozen=True)
class MessageRow:
    """A message of the discussion with its author's name."""

    message: Message
    author_name: str


@dataclass(frozen=True)
class FieldRow:
    """A user-defined field of the task-fields book and the task's value of it (TSK-6)."""

    code: str
    name_uk: str
    name_en: str
    value_type: str
    value: Any


@dataclass
class TaskCard:
    """The card of one task; the lists of tabs other than the open one stay empty."""

    view: TaskView
    names: dict[str, str]
    executors: list[ExecutorRow]
    fingerprint: str
    previous: Task | None = None
    following: Task | None = None
    depends_on: list[TaskView] = field(default_factory=list)
    dependents: list[TaskView] = field(default_factory=list)
    history: list[HistoryRow] = field(default_factory=list)
    documents: list[SettlementDocument] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    messages: list[MessageRow] = field(default_factory=list)
    reminders: list[ReminderRow] = field(default_factory=list)
    fields: list[FieldRow] = field(default_factory=list)

    @property
    def task(self) -> Task:
        """The task itself."""
        return self.view.task


def visible_task(session: Session, task_id: int) -> Task:
    """One task (every CRM user sees every task); 404 for a missing one."""
    return get_task(session, task_id)


def card_fingerprint(task: Task) -> str:
    """The fingerprint a card's forms carry (``hub.services.common.edits``)."""
    return fingerprint(task, CARD_FIELDS)


def _name(session: Session, model: Any, column: Any, ident: int | None) -> str:
    if ident is None:
        return ""
    return str(session.scalar(select(column).where(model.id == ident)) or "")


def _type_name(session: Session, ident: int | None, lang: str) -> str:
    if ident is None:
        return ""
    row = session.get(EventType, ident)
    if row is None:
        return ""
    return row.name_uk if lang == "uk" else row.name_en


def names_of(session: Session, task: Task, lang: str) -> dict[str, str]:
    """The names of the records the task's details refer to."""
    people = user_names(session, [task.controller_id, task.author_id])
    event_number = _name(session, Event, Event.number, task.event_id)
    return {
        "controller": people.get(task.controller_id or 0, ""),
        "author": people.get(task.author_id or 0, ""),
        "client": _name(session, Client, Client.name, task.client_id),
        "contact": _name(session, Contact, Contact.full_name, task.contact_id),
        "project": _name(session, Project, Project.name, task.project_id),
        "event_type": _type_name(session, task.event_type_id, lang),
        "event": event_number,
    }


def executor_rows(session: Session, task: Task) -> list[ExecutorRow]:
    """The task's executors with their names and statuses."""
    books = statuses(session)
    names = user_names(session, (row.user_id for row in task.executors))
    return [
        ExecutorRow(
            user_id=row.user_id,
            name=names.get(row.user_id, str(row.user_id)),
            status=books[row.status_id],
            time_spent_minutes=row.time_spent_minutes,
            done_at=row.done_at,
        )
        for row in task.executors
    ]


def card(session: Session, *, task_id: int, tab: str, lang: str, tz: tzinfo) -> TaskCard:
    """The card of a task with the ``tab``'s part loaded."""
    task = visible_task(session, task_id)
    (view,) = describe(session, [task])
    shown = TaskCard(
        view=view,
        names=names_of(session, task, lang),
        executors=executor_rows(session, task),
        fingerprint=card_fingerprint(task),
        previous=session.get(Task, task.previous_id) if task.previous_id else None,
        following=session.scalar(select(Task).where(Task.previous_id == task.id).limit(1)),
    )
    loaders = {
        "dependencies": _dependencies,
        "history": _history,
        "documents": _documents,
        "attachments": _attachments,
        "discussion": _discussion,
        "extra": _reminders,
        "fields": _fields,
    }
    load = loaders.get(tab)
    if load is not None:
        load(session, shown, lang, tz)
    return shown


def _dependencies(session: Session, shown: TaskCard, _lang: str, _tz: tzinfo) -> None:
    before, after = dependencies.dependencies(session, task_id=shown.task.id)
    shown.depends_on = describe(session, before)
    shown.dependents = describe(session, after)


def _documents(session: Session, shown: TaskCard, _lang: str, _tz: tzinfo) -> None:
    shown.documents = documents.task_documents(session, task_id=shown.task.id)


def _attachments(session: Session, shown: TaskCard, _lang: str, _tz: tzinfo) -> None:
    page = attachments.list_attachments(
        session, kind="task", owner_id=shown.task.id, limit=MAX_LIMIT
    )
    shown.attachments = page.items


def _discussion(session: Session, shown: TaskCard, _lang: str, _tz: tzinfo) -> None:
    page = discussion.list_messages(session, task_id=shown.task.id, limit=MAX_LIMIT)
    names = user_names(session, (m.author_id for m in page.items))
    shown.messages = [MessageRow(m, names.get(m.author_id or 0, "")) for m in page.items]


def _reminders(session: Session, shown: TaskCard, _lang: str, _tz: tzinfo) -> None:
    rows = extras.list_reminders(session, task_id=shown.task.id)
    names = user_names(session, (r.user_id for r in rows))
    shown.reminders = [ReminderRow(r, names.get(r.user_id, str(r.user_id))) for r in rows]


def field_book(session: Session) -> list[TaskField]:
    """The task-fields reference book in its order (a small book)."""
    return list(session.scalars(select(TaskField).order_by(TaskField.sort_order, TaskField.id)))


def _fields(session: Session, shown: TaskCard, _lang: str, _tz: tzinfo) -> None:
    values = shown.task.custom_fields or {}
    shown.fields = [
        FieldRow(f.code, f.name_uk, f.name_en, f.value_type, values.get(f.code))
        for f in field_book(session)
    ]


def _history(session: Session, shown: TaskCard, lang: str, tz: tzinfo) -> None:
    shown.history = history_rows(session, shown.task.id, lang, tz)


@dataclass(frozen=True)
class PrintRow:
    """A registry row to print: the task, its client's name and its executors' names."""

    view: TaskView
    client: str
    executors: list[str]


def print_rows(session: Session, ids: Sequence[int]) -> list[PrintRow]:
    """The chosen tasks in the order asked, for a printable registry (TSK-15)."""
    wanted = list(dict.fromkeys(ids))
    found = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(wanted)))}
    missing = [ident for ident in wanted if ident not in found]
    if missing:
        raise NotFound("not_found", what=f"task {missing[0]}")
    tasks = [found[ident] for ident in wanted]
    clients = {
        row[0]: row[1]
        for row in session.execute(
            select(Client.id, Client.name).where(
                Client.id.in_({t.client_id for t in tasks if t.client_id is not None})
            )
        )
    }
    people = user_names(session, (row.user_id for t in tasks for row in t.executors))
    return [
        PrintRow(
            view=view,
            client=clients.get(view.task.client_id or 0, ""),
            executors=[people.get(row.user_id, "") for row in view.task.executors],
        )
        for view in describe(session, tasks)
    ]
