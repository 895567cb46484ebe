"""The caller's own work (WEB-3): their open tasks as an executor, their due reminders, and a
reminder dismissed or put off by the user it is addressed to (no right on the task needed)."""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.deps import CrmUser, SessionDep
from hub.api.schemas.common import PathId
from hub.api.schemas.tasks import DueReminderRead, MyTaskRead, ReminderRead, ReminderSnooze
from hub.db.base import utcnow
from hub.services.tasks import my_work

router = APIRouter(tags=["tasks"])


@router.get(
    "/tasks/mine/open",
    summary="My open tasks as an executor, overdue first (WEB-3)",
    response_model=list[MyTaskRead],
)
def my_open_tasks(session: SessionDep, principal: CrmUser) -> list[MyTaskRead]:
    found = my_work.open_tasks(session, user_id=principal.profile.user_id, now=utcnow())
    return [
        MyTaskRead(
            id=task.id,
            number=task.number,
            name=task.name,
            ends_at=task.ends_at,
            status=task.status.code,
            overdue=task.overdue,
            color=task.color,
        )
        for task in found.tasks
    ]


@router.get(
    "/tasks/mine/reminders",
    summary="My reminders whose time has come and which I have not dismissed (WEB-3, TSK-7)",
    response_model=list[DueReminderRead],
)
def my_due_reminders(session: SessionDep, principal: CrmUser) -> list[DueReminderRead]:
    found = my_work.due_reminders(session, user_id=principal.profile.user_id, now=utcnow())
    return [DueReminderRead.model_validate(row) for row in found]


@router.post(
    "/tasks/mine/reminders/{reminder_id:int}/dismiss",
    summary="Dismiss my reminder (it stays on the task's card)",
    response_model=ReminderRead,
)
def dismiss(session: SessionDep, principal: CrmUser, reminder_id: PathId) -> ReminderRead:
    row = my_work.dismiss_reminder(
        session, user_id=principal.profile.user_id, reminder_id=reminder_id, now=utcnow()
    )
    return ReminderRead.model_validate(row)


@router.post(
    "/tasks/mine/reminders/{reminder_id:int}/snooze",
    summary="Remind me again after a wait",
    response_model=ReminderRead,
)
def snooze(
    session: SessionDep, principal: CrmUser, reminder_id: PathId, body: ReminderSnooze
) -> ReminderRead:
    row = my_work.snooze_reminder(
        session,
        user_id=principal.profile.user_id,
        reminder_id=reminder_id,
        now=utcnow(),
        minutes=body.minutes,
    )
    return ReminderRead.model_validate(row)
