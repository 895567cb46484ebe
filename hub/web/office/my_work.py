""" "My work" on the home page (WEB-3, TSK-3, TSK-7, TSK-14): the user's open tasks and their due
reminders, the fragment the page's poll fetches, and a reminder's Dismiss and Remind again.

A reminder that falls due while the page is open appears without a reload: ``office_home.js``
fetches the reminders' fragment every 20 seconds and puts it in place; without the script the
page's "Check again" link reloads it. The rules and the reads are in ``hub.services.tasks.my_work``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.errors import DomainError
from hub.services.tasks import my_work
from hub.web.common import context, hub_of, render
from hub.web.office import texts
from hub.web.office.session import Refusal, Staff, act, current_staff, refused, with_query

router = APIRouter()
HOME = "/office"
BASE = "/office/my-work/reminders"
FRAGMENT = "office/home_reminders.html"
Optional = Annotated[str | None, Form()]

texts.register(
    {
        "mywork_title": ("Моя робота", "My work"),
        "mywork_tasks": ("Мої відкриті задачі", "My open tasks"),
        "mywork_tasks_lead": (
            "Задачі, де ви виконавець і ваш статус ще не «Виконано» чи «Прийнято»; "
            "прострочені — першими.",
            "Tasks where you are an executor and your status is not yet done or accepted; "
            "overdue ones first.",
        ),
        "mywork_no_tasks": ("Відкритих задач немає.", "No open tasks."),
        "mywork_task": ("Задача", "Task"),
        "mywork_status": ("Мій статус", "My status"),
        "mywork_ends": ("Кінець", "Ends"),
        "mywork_overdue": ("прострочено", "overdue"),
        "mywork_all_tasks": ("Усі мої задачі в реєстрі", "All my tasks in the registry"),
        "mywork_more": (
            "Показано перші {n}; решта — у реєстрі задач.",
            "The first {n} are shown; the rest are in the tasks registry.",
        ),
        "mywork_reminders": ("Нагадування", "Reminders"),
        "mywork_reminders_lead": (
            "Нагадування про задачі, адресовані вам, час яких настав. Нові з'являються тут "
            "самі; без сценаріїв — після оновлення сторінки.",
            "Reminders of tasks addressed to you whose time has come. New ones appear here by "
            "themselves; without scripts, after a refresh.",
        ),
        "mywork_no_reminders": ("Нагадувань немає.", "No reminders."),
        "mywork_remind_at": ("Час: {at}", "Time: {at}"),
        "mywork_dismiss": ("Прибрати", "Dismiss"),
        "mywork_snooze_10": ("Нагадати через 10 хв", "Remind again in 10 min"),
        "mywork_snooze_60": ("Нагадати через 1 год", "Remind again in 1 h"),
        "mywork_about": ("нагадування про задачу {number}", "the reminder of task {number}"),
        "mywork_check": ("Перевірити знову", "Check again"),
        "mywork_new": ("Нове нагадування: {what}", "New reminder: {what}"),
        "mywork_notify": (
            "Сповіщати й на робочому столі",
            "Also notify me on the desktop",
        ),
        "mywork_notify_on": (
            "Сповіщення на робочому столі увімкнено.",
            "Desktop notifications are on.",
        ),
        "mywork_notify_off": (
            "Браузер не дозволив сповіщення; нагадування з'являтимуться на цій сторінці.",
            "The browser did not allow notifications; reminders will appear on this page.",
        ),
        "mywork_done_dismissed": ("Нагадування прибрано.", "The reminder was dismissed."),
        "mywork_done_snoozed": (
            "Нагадування повториться через {n} хв.",
            "The reminder will come again in {n} min.",
        ),
    }
)


def home_values(session: Session, staff: Staff, request: Request) -> dict[str, Any]:
    """What the home page's "My work" shows: open tasks, due reminders, the last change."""
    now = context(request).now
    done = request.query_params.get("done")
    minutes = (request.query_params.get("n") or "")[:4]
    return {
        "my_tasks": my_work.open_tasks(session, user_id=staff.user_id, now=now),
        "my_tasks_limit": my_work.TASK_LIMIT,
        "reminders": my_work.due_reminders(session, user_id=staff.user_id, now=now),
        "snooze_choices": my_work.SNOOZE_CHOICES,
        "mywork_done": done if done in ("dismissed", "snoozed") else "",
        "mywork_n": minutes if minutes.isdigit() else "",
    }


@router.get(BASE, response_model=None)
def reminders(request: Request) -> Response:
    """The due reminders as an HTML fragment (what the home page's poll puts in place)."""
    now = context(request).now
    with hub_of(request).sessions() as session:
        staff = current_staff(request, session)
        if staff is None:
            return Response(status_code=401)
        due = my_work.due_reminders(session, user_id=staff.user_id, now=now)
    values = {"reminders": due, "snooze_choices": my_work.SNOOZE_CHOICES}
    answer = render(request, FRAGMENT, values)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def failed_home(request: Request) -> Any:
    """A refused change of the home page's panels: the refusal, with a way back home."""

    def failed(message: str, error: DomainError) -> Response:
        return refused(request, message, error.status, Refusal(), HOME)

    return failed


@router.post(BASE + "/{reminder_id:int}/dismiss", response_model=None)
def dismiss(request: Request, reminder_id: int, csrf: Optional = None) -> Response:
    """Put one's own reminder away (the manual's "Delete reminder")."""
    now = context(request).now

    def change(session: Session, staff: Staff) -> str:
        my_work.dismiss_reminder(session, user_id=staff.user_id, reminder_id=reminder_id, now=now)
        return with_query(HOME, done="dismissed") + "#my-reminders"

    return act(request, csrf, change, failed=failed_home(request))


@router.post(BASE + "/{reminder_id:int}/snooze", response_model=None)
def snooze(
    request: Request, reminder_id: int, csrf: Optional = None, minutes: Optional = None
) -> Response:
    """Remind one again in 10 minutes or an hour (the manual's "Repeat reminder")."""
    now = context(request).now
    wait = int(minutes) if minutes and minutes.isascii() and minutes.isdigit() else 0
    wait = wait if wait in my_work.SNOOZE_CHOICES else 0

    def change(session: Session, staff: Staff) -> str:
        my_work.snooze_reminder(
            session, user_id=staff.user_id, reminder_id=reminder_id, now=now, minutes=wait
        )
        return with_query(HOME, done="snoozed", n=str(wait)) + "#my-reminders"

    return act(request, csrf, change, failed=failed_home(request))
