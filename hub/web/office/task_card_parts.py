"""The task card's tabs of work: executors (TSK-3), dependencies (TSK-4), reminders and
recurrence (TSK-7, TSK-8). Fields, documents, attachments and the discussion are in
``task_card_files``.

Each action is one form calling the task services with the user's rights; a refusal (a cycle,
an executor not done, a missing right) shows the same tab again with the message.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from hub.api.schemas.tasks import Minutes
from hub.errors import Invalid
from hub.services.tasks import card_edit, dependencies, executors, extras
from hub.services.tasks.recurrence import RECURRENCES
from hub.web.common import hub_of
from hub.web.office.session import Staff
from hub.web.office.task_card_view import Optional, card_url, form_id, form_moment, tab_action

router = APIRouter()
Ids = Annotated[list[str] | None, Form()]
CHANNELS = ("system", "email", "email_and_system")
_MINUTES: TypeAdapter[int] = TypeAdapter(Minutes)


# ---- executors (TSK-3) ------------------------------------------------------------------------


@router.post("/{task_id:int}/executors", response_model=None)
def add_executors(
    request: Request, task_id: int, csrf: Optional = None, user_ids: Ids = None
) -> Response:
    """Add the chosen users as executors."""
    chosen = [v for v in (user_ids or [])[:500] if v.strip()]

    def run(session: Session, staff: Staff) -> str:
        if not chosen:
            raise Invalid("task_executors_empty", field="user_ids")
        ids = [form_id(value, "user_ids") for value in chosen]
        executors.add_executors(session, profile=staff.profile, task_id=task_id, user_ids=ids)
        return card_url(task_id, "executors", done="executors", n=len(ids))

    return tab_action(request, csrf, task_id, "executors", run, typed={"user_ids": ""})


@router.post("/{task_id:int}/executors/{user_id:int}", response_model=None)
def change_executor(
    request: Request,
    task_id: int,
    user_id: int,
    csrf: Optional = None,
    status: Optional = None,
    time_spent_minutes: Optional = None,
    complete_task: Optional = None,
) -> Response:
    """An executor's own status and time; the task is Done only when the domain agrees."""
    tz = hub_of(request).settings.tz
    where = f"minutes-{user_id}"

    def run(session: Session, staff: Staff) -> str:
        minutes = None
        typed = (time_spent_minutes or "").strip()
        if typed:
            try:
                minutes = _MINUTES.validate_python(typed, strict=False)
            except ValidationError:
                raise Invalid("tcard_minutes_invalid", field=where) from None
        task = executors.update_executor(
            session,
            profile=staff.profile,
            task_id=task_id,
            user_id=user_id,
            status=(status or "").strip() or None,
            time_spent_minutes=minutes,
            complete_task=complete_task == "1",
            tz=tz,
        )
        return card_url(task_id, "executors", done="executor", n=task.number)

    typed = {where: time_spent_minutes or ""}
    return tab_action(request, csrf, task_id, "executors", run, typed=typed, field=where)


@router.post("/{task_id:int}/executors/{user_id:int}/remove", response_model=None)
def remove_executor(
    request: Request, task_id: int, user_id: int, csrf: Optional = None
) -> Response:
    """Take an executor off the task."""

    def run(session: Session, staff: Staff) -> str:
        executors.remove_executor(session, profile=staff.profile, task_id=task_id, user_id=user_id)
        return card_url(task_id, "executors", done="executor_removed")

    return tab_action(request, csrf, task_id, "executors", run)


# ---- dependencies (TSK-4) ---------------------------------------------------------------------


@router.post("/{task_id:int}/dependencies", response_model=None)
def add_dependency(
    request: Request,
    task_id: int,
    csrf: Optional = None,
    depends_on_id: Optional = None,
    depends_on_id_label: Optional = None,
) -> Response:
    """Make the task depend on another (cycles and early starts are refused)."""
    label = (depends_on_id_label or "").strip()[:300]

    def run(session: Session, staff: Staff) -> str:
        chosen = (depends_on_id or "").strip()
        if not chosen and label:
            found = card_edit.task_choices(session, label.lstrip("№"), exclude=task_id)
            same = [c for c in found if label in (c.label, c.label.split(" ", 1)[0])]
            chosen = str(same[0].id) if len(same) == 1 else ""
        other = form_id(chosen, "depends_on_id")
        dependencies.add_dependency(
            session, profile=staff.profile, task_id=task_id, depends_on_id=other
        )
        return card_url(task_id, "dependencies", done="dependency")

    typed = {"depends_on_id": depends_on_id or "", "depends_on_id_label": label}
    return tab_action(
        request, csrf, task_id, "dependencies", run, typed=typed, field="depends_on_id"
    )


@router.post("/{task_id:int}/dependencies/{other_id:int}/remove", response_model=None)
def remove_dependency(
    request: Request, task_id: int, other_id: int, csrf: Optional = None
) -> Response:
    """Remove a dependency."""

    def run(session: Session, staff: Staff) -> str:
        dependencies.remove_dependency(
            session, profile=staff.profile, task_id=task_id, depends_on_id=other_id
        )
        return card_url(task_id, "dependencies", done="dependency_removed")

    return tab_action(request, csrf, task_id, "dependencies", run)


# ---- reminders and recurrence (TSK-7, TSK-8) ------------------------------------------------


@router.post("/{task_id:int}/reminders", response_model=None)
def add_reminder(
    request: Request,
    task_id: int,
    csrf: Optional = None,
    user_id: Optional = None,
    remind_at: Optional = None,
    channel: Optional = None,
    text: Optional = None,
) -> Response:
    """A reminder to a user at a time, in the system or also by e-mail."""
    words = " ".join((text or "").split())

    def run(session: Session, staff: Staff) -> str:
        who = form_id(user_id, "user_id")
        moment = form_moment(request, remind_at, "remind_at")
        if channel not in CHANNELS:
            raise Invalid("tcard_pick_from_list", field="channel")
        if len(words) > 500:
            raise Invalid("field_too_long", field="text", max=500)
        extras.add_reminder(
            session,
            profile=staff.profile,
            task_id=task_id,
            user_id=who,
            remind_at=moment,
            channel=channel,
            text=words or None,
        )
        return card_url(task_id, "extra", done="reminder")

    typed = {
        "user_id": user_id or "",
        "remind_at": remind_at or "",
        "channel": channel or "",
        "text": words[:600],
    }
    return tab_action(request, csrf, task_id, "extra", run, typed=typed, field="remind_at")


@router.post("/{task_id:int}/reminders/{reminder_id:int}/delete", response_model=None)
def delete_reminder(
    request: Request, task_id: int, reminder_id: int, csrf: Optional = None
) -> Response:
    """Delete a reminder (it may be repeated later from the history of the card)."""

    def run(session: Session, staff: Staff) -> str:
        extras.delete_reminder(
            session, profile=staff.profile, task_id=task_id, reminder_id=reminder_id
        )
        return card_url(task_id, "extra", done="reminder_deleted")

    return tab_action(request, csrf, task_id, "extra", run)


@router.post("/{task_id:int}/reminders/{reminder_id:int}/repeat", response_model=None)
def repeat_reminder(
    request: Request,
    task_id: int,
    reminder_id: int,
    csrf: Optional = None,
    remind_at: Optional = None,
) -> Response:
    """The same reminder again at a new time."""
    where = f"repeat-{reminder_id}"

    def run(session: Session, staff: Staff) -> str:
        extras.repeat_reminder(
            session,
            profile=staff.profile,
            task_id=task_id,
            reminder_id=reminder_id,
            remind_at=form_moment(request, remind_at, where),
        )
        return card_url(task_id, "extra", done="reminder_repeated")

    typed = {where: remind_at or ""}
    return tab_action(request, csrf, task_id, "extra", run, typed=typed, field=where)


@router.post("/{task_id:int}/recurrence", response_model=None)
def set_recurrence(
    request: Request,
    task_id: int,
    csrf: Optional = None,
    fingerprint: Optional = None,
    recurrence: Optional = None,
    recurrence_interval: Optional = None,
) -> Response:
    """Make the task recur (or stop it): when it is set Done, the next one is made."""
    tz = hub_of(request).settings.tz
    typed = {"recurrence": recurrence or "", "recurrence_interval": recurrence_interval or ""}

    def run(session: Session, staff: Staff) -> str:
        kind = (recurrence or "").strip() or None
        if kind is not None and kind not in RECURRENCES:
            raise Invalid("tcard_pick_from_list", field="recurrence")
        every = (recurrence_interval or "1").strip()
        if not every.isdigit() or not 1 <= int(every) <= 366:
            raise Invalid("tcard_interval_invalid", field="recurrence_interval")
        card_edit.save_task(
            session,
            profile=staff.profile,
            task_id=task_id,
            changes={"recurrence": kind, "recurrence_interval": int(every)},
            shown=fingerprint or "",
            tz=tz,
        )
        return card_url(task_id, "extra", done="recurrence")

    return tab_action(request, csrf, task_id, "extra", run, typed=typed, field="recurrence")
