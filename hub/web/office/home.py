"""The back-office's home: the user's own work (WEB-3), the sections this user may open, and
their birthday reminder (CLI-4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.services.clients import contacts
from hub.web.common import hub_of
from hub.web.office import home_notes, my_work, texts
from hub.web.office.session import Staff, page

router = APIRouter()
router.include_router(my_work.router)
router.include_router(home_notes.router)

texts.register(
    {
        "home_bday_title": ("Незабаром дні народження", "Birthdays soon"),
        "home_bday_lead": (
            "Контактні особи клієнтів, у яких день народження протягом {days} дн.",
            "Clients' contact persons whose birthday is within {days} days.",
        ),
        "home_bday_none": (
            "Протягом {days} дн. днів народження немає.",
            "No birthdays within {days} days.",
        ),
        "home_bday_name": ("Контактна особа", "Contact person"),
        "home_bday_client": ("Клієнт", "Client"),
        "home_bday_date": ("Дата", "Date"),
        "home_bday_in": ("Через", "In"),
        "home_bday_today": ("сьогодні", "today"),
        "home_bday_days": ("{n} дн.", "{n} days"),
        "home_bday_all": ("Усі дні народження", "All birthdays"),
        "home_bday_more": (
            "Показано найближчі; решта — на сторінці днів народження.",
            "The soonest are shown; the rest are on the birthdays page.",
        ),
    }
)


@router.get("/office", response_model=None)
def home(request: Request) -> Response:
    """The user's open tasks and due reminders ("My work"), every section the user's rights
    open, and the contact persons' birthdays soon when the user keeps that reminder on (CLI-4)."""
    today = hub_of(request).today()

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        reminder = contacts.birthday_reminder(session, user_id=staff.user_id, today=today)
        return {
            "birthdays": reminder,
            "notes": home_notes.notes(session, staff.user_id),
            **my_work.home_values(session, staff, request),
        }

    return page(request, "office/home.html", build)
