"""Reference data every Cherga starts with, and the first administrator."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.models import NumberingRule, User
from hub.errors import Conflict
from hub.services.access.users import EmployeeData, create_user
from hub.services.common.security import Hasher, generate_password
from hub.services.settings.reference import REFERENCE_KINDS, find_by_code

logger = logging.getLogger(__name__)

# (code, Ukrainian name as the manual writes it, English name) for SET-1.
SYSTEM_EVENT_TYPES: tuple[tuple[str, str, str], ...] = (
    ("incoming_call", "Вхідний дзвінок", "Incoming call"),
    ("outgoing_call", "Вихідний дзвінок", "Outgoing call"),
    ("incoming_letter", "Вхідний лист", "Incoming letter"),
    ("outgoing_letter", "Вихідний лист", "Outgoing letter"),
    ("incoming_email", "Вхідний електронний лист", "Incoming e-mail"),
    ("outgoing_email", "Вихідний електронний лист", "Outgoing e-mail"),
    ("survey", "Опитування", "Survey"),
    ("visit", "Виїзд", "Visit"),
    ("phone_on", "Ввімкнення телефону", "Phone switched on"),
    ("phone_off", "Відключення телефону", "Phone switched off"),
    ("missed_incoming_call", "Неприйнятий вхідний дзвінок", "Missed incoming call"),
    ("missed_outgoing_call", "Неприйнятий вихідний дзвінок", "Missed outgoing call"),
    ("missed_call_answer", "Відповідь на неприйнятий дзвінок", "Answer to a missed call"),
    ("callback", "Зворотній дзвінок", "Callback"),
    ("call_forwarding", "Переадресація дзвінка", "Call forwarding"),
    ("queue", "Черга", "Queue"),
    ("electronic_queue", "Електронна черга", "Electronic queue"),
)

# SET-3 defaults, with the colours of TSK-14.
SYSTEM_TASK_STATUSES: tuple[tuple[str, str, str, str | None], ...] = (
    ("assigned", "Поставлена задача", "Assigned", "#1f5fbf"),
    ("overdue", "Прострочено", "Overdue", "#c62828"),
    ("done", "Виконана", "Done", "#000000"),
    ("accepted", "Прийнято", "Accepted", None),
    ("suspended", "Призупинено", "Suspended", None),
)

# SET-4: statuses the queue and the phone rely on.
SYSTEM_USER_STATUSES: tuple[tuple[str, str, str, str | None], ...] = (
    ("free", "Вільний", "Free", "#2e7d32"),
    ("busy", "Зайнятий", "Busy", "#c62828"),
    ("break", "Перерва", "Break", "#ef6c00"),
    ("offline", "Не в мережі", "Offline", "#757575"),
)

# SET-6: the numbering every installation starts with (doc type, prefix, width, per project, daily).
DEFAULT_NUMBERING: tuple[tuple[str, str, int, bool, bool], ...] = (
    ("project", "", 5, False, False),
    ("event", "", 6, False, False),
    ("task", "", 6, False, False),
    ("queue_ticket", "", 3, True, True),
)


def _ensure_entries(
    session: Session, slug: str, rows: tuple[tuple[str, str, str, str | None], ...]
) -> None:
    kind = REFERENCE_KINDS[slug]
    for order, (code, name_uk, name_en, color) in enumerate(rows, start=1):
        entry = find_by_code(session, kind, code)
        if entry is None:
            entry = kind.model(code=code, sort_order=order)
            if "color" in kind.extra_fields:
                # Only a new entry gets the default colour: one an administrator changed or
                # cleared stays as it is.
                setattr(entry, "color", color)  # noqa: B010 - only status books have a colour
            session.add(entry)
        # The code and names are Cherga's own: restore them if they were changed in the database.
        entry.name_uk, entry.name_en, entry.system = name_uk, name_en, True
    session.flush()


def ensure_reference_data(session: Session) -> None:
    """Insert or restore every system entry; user-defined entries are left alone."""
    _ensure_entries(session, "event-types", tuple((*row, None) for row in SYSTEM_EVENT_TYPES))
    _ensure_entries(session, "task-statuses", SYSTEM_TASK_STATUSES)
    _ensure_entries(session, "user-statuses", SYSTEM_USER_STATUSES)
    for doc_type, prefix, width, per_project, daily in DEFAULT_NUMBERING:
        exists = session.scalar(
            select(NumberingRule.id).where(
                NumberingRule.doc_type == doc_type, NumberingRule.project_id.is_(None)
            )
        )
        if exists is None:
            session.add(
                NumberingRule(
                    doc_type=doc_type,
                    prefix=prefix,
                    width=width,
                    per_project=per_project,
                    daily_reset=daily,
                )
            )
    session.flush()


def ensure_admin(
    session: Session,
    *,
    hasher: Hasher,
    password: str | None,
    announce: Callable[[str], None],
) -> User | None:
    """Create the administrator ``admin`` when no administrator exists yet.

    The password is the configured one, or a generated one handed to ``announce`` exactly once.
    Returns the new user, or None when an administrator already existed.
    """
    if session.scalar(select(User.id).where(User.is_admin).limit(1)) is not None:
        return None
    generated = password is None
    plain = password if password is not None else generate_password()
    try:
        with session.begin_nested():
            user = create_user(
                session,
                hasher=hasher,
                username="admin",
                password=plain,
                employee=EmployeeData(full_name="Адміністратор"),
                is_admin=True,
            )
            user.full_access = True
    except IntegrityError:
        return None  # another hub process created it at the same moment
    except Conflict:
        logger.warning("no administrator exists and the username 'admin' is taken by a normal user")
        return None
    logger.info("created the administrator account 'admin'")
    if generated:
        announce(plain)
    return user
