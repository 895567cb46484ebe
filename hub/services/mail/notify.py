"""Notices to employees: a task's new executors (SET-8), reminders that fall due (TSK-7) and
contact persons' birthdays (CLI-4), by e-mail through the outbox and/or in the system.

A user whose channel includes e-mail but who has no valid e-mail address gets the notice in
the system instead, so nobody misses one. Every notice is written in the transaction of the
change (or of the scan that found it due) and keyed, so it is queued once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.base import insert_row_unless_taken
from hub.db.models import Client, Contact, Task, TaskReminder, User, UserParameter
from hub.db.models.mail import Notification
from hub.services.mail import inapp, outbox
from hub.services.mail.booking_mail import sender
from hub.services.mail.outbox import Letter
from hub.services.mail.texts import say
from hub.services.settings.parameters import get_global, get_user_parameters

EMAIL_CHANNELS = ("email", "email_and_system")
SYSTEM_CHANNELS = ("system", "email_and_system")
TEXT_MAX = 500


@dataclass(frozen=True)
class Person:
    """Whom to tell, in which language, at which address (None: no usable e-mail)."""

    user_id: int
    lang: str
    name: str
    email: str | None


def person(session: Session, user_id: int) -> Person | None:
    """An active user as an addressee, or None."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    email = outbox.valid_address(user.employee.email if user.employee else None)
    name = user.employee.full_name if user.employee else user.username
    return Person(user.id, user.lang or "uk", name, email)


def tell(
    session: Session,
    who: Person,
    *,
    channel: str,
    kind: str,
    key: str,
    subject: str,
    text: str,
    link: str | None,
    now: datetime,
) -> None:
    """Queue a letter and/or write an in-system notification as the channel says."""
    mailed = False
    if channel in EMAIL_CHANNELS and who.email is not None:
        letter = Letter(to=who.email, to_name=who.name, subject=subject, text=text)
        outbox.enqueue(session, letter, key=key, kind=kind, sender=sender(session), now=now)
        mailed = True
    if channel in SYSTEM_CHANNELS or (channel in EMAIL_CHANNELS and not mailed):
        written = insert_row_unless_taken(
            session,
            Notification,
            key=key[:200],
            user_id=who.user_id,
            kind=kind,
            text=f"{subject}. {text}".strip()[:TEXT_MAX],
            link=link,
            created_at=now,
            read_at=None,
        )
        if written is not None:  # the operator's panel shows it too
            inapp.publish(session, user_id=who.user_id, now=now)


def executors_assigned(
    session: Session, *, task: Task, user_ids: Iterable[int], by: int | None, now: datetime
) -> None:
    """Tell new executors of a task (not the one who assigned them) by the SET-8 channel."""
    channel = get_global(session).task_notifications.executor
    if channel == "none":
        return
    for user_id in dict.fromkeys(user_ids):
        who = person(session, user_id) if user_id != by else None
        if who is None:
            continue
        values = {"number": task.number, "name": task.name, "ends": f"{task.ends_at:%d.%m.%Y}"}
        tell(
            session,
            who,
            channel=channel,
            kind="task_assigned",
            key=f"assigned:{task.id}:{user_id}:{now.isoformat()}",
            subject=say("assigned_subject", who.lang, **values),
            text=say("assigned_body", who.lang, **values),
            link=f"/office/tasks/{task.id}",
            now=now,
        )


def reminders_due(session: Session, *, now: datetime, limit: int = 200) -> int:
    """Queue the e-mail of every reminder due by e-mail (TSK-7); returns how many.

    ``sent_at`` marks it in the same transaction; asking for it again later (snooze) clears
    the mark, and the new time makes a new letter.
    """
    rows = session.scalars(
        select(TaskReminder)
        .where(
            TaskReminder.sent_at.is_(None),
            TaskReminder.remind_at <= now,
            TaskReminder.dismissed_at.is_(None),
            TaskReminder.channel.in_(EMAIL_CHANNELS),
        )
        .order_by(TaskReminder.remind_at, TaskReminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        task = session.get(Task, row.task_id)
        who = person(session, row.user_id)
        if task is not None and who is not None:
            values = {"number": task.number, "name": task.name, "text": row.text or ""}
            # An "email and system" reminder is already shown by the home page (my_work).
            tell(
                session,
                who,
                channel="email",
                kind="task_reminder",
                key=f"reminder:{row.id}:{row.remind_at.isoformat()}",
                subject=say("reminder_subject", who.lang, **values),
                text=say("reminder_body", who.lang, **values),
                link=f"/office/tasks/{task.id}",
                now=now,
            )
        row.sent_at = now
    session.flush()
    return len(rows)


def _upcoming(today: date, ahead: int) -> list[tuple[int, int, date]]:
    days = [today + timedelta(days=offset) for offset in range(ahead + 1)]
    return [(day.month, day.day, day) for day in days]


def birthdays(session: Session, *, now: datetime, tz: tzinfo) -> int:
    """Tell each user who asked for them (CLI-4) of contact persons' birthdays ahead."""
    today = now.astimezone(tz).date()
    wanted = session.scalars(
        select(UserParameter.user_id).where(UserParameter.key == "birthday_reminders")
    ).all()
    count = 0
    for user_id in wanted:
        settings = get_user_parameters(session, user_id)
        who = person(session, user_id)
        if not settings.birthday_reminders or who is None:
            continue
        for month, day, on in _upcoming(today, settings.birthday_days_ahead):
            found = session.execute(
                select(Contact.id, Contact.full_name, Client.name)
                .join(Client, Client.id == Contact.client_id)
                .where(
                    Contact.birth_month == month,
                    Contact.birth_day == day,
                    Contact.deleted_at.is_(None),
                )
                .limit(200)
            ).all()
            for contact_id, name, client in found:
                values = {"name": name, "client": client, "date": f"{on:%d.%m}"}
                tell(
                    session,
                    who,
                    channel="email_and_system",
                    kind="birthday",
                    key=f"birthday:{user_id}:{contact_id}:{on.year}",
                    subject=say("birthday_subject", who.lang, **values),
                    text=say("birthday_body", who.lang, **values),
                    link=None,
                    now=now,
                )
                count += 1
    return count
