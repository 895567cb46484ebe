"""What an operator reports on finishing a visitor (Q-6): the time spent and the percent done,
recorded in the ticket's task through the task services, with the same rules as the API."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hub.db.models import Task
from hub.db.models.queue import QueueTicket
from hub.services.access.rights import AccessProfile
from hub.services.queue.core import QueueContext
from hub.services.tasks import executors, tasks
from hub.services.tasks.executors import MAX_WORK_MINUTES


@dataclass(frozen=True)
class Work:
    """What an operator reports on finishing: minutes spent (None: since the call) and percent
    done (None: 100)."""

    minutes: int | None = None
    percent: int | None = None

    def check(self) -> None:
        """422 naming the field when a value is out of range (before anything changes)."""
        executors.check_work(
            0 if self.minutes is None else self.minutes,
            100 if self.percent is None else self.percent,
        )


def finish_task(
    session: Session,
    ctx: QueueContext,
    ticket: QueueTicket,
    profile: AccessProfile,
    note: str,
    work: Work,
) -> None:
    """Record the visit in the ticket's task (Q-6): the note, and the operator's time and
    percent through the task services (the task is Done only when all executors are)."""
    if ticket.task_id is None:
        return
    task = session.get(Task, ticket.task_id)
    if task is None:
        return
    if note:
        content = "\n".join(part for part in (task.content, note) if part)
        tasks.update_task(
            session, profile=profile, task_id=task.id, changes={"content": content}, tz=ctx.tz
        )
    started = ticket.started_at or ticket.called_at or ctx.now
    minutes = work.minutes
    if minutes is None:
        minutes = min(MAX_WORK_MINUTES, max(0, int((ctx.now - started).total_seconds() // 60)))
    executors.record_work(
        session,
        profile=profile,
        task=task,
        user_id=ticket.operator_id or profile.user_id,
        minutes=minutes,
        percent=100 if work.percent is None else work.percent,
        tz=ctx.tz,
    )
