"""The example office of ``cherga demo``, made through the same services as the back-office.

Four services of a Ukrainian administrative-services centre (ЦНАП), each a project with the
queue on, its own ticket numbering (П-001, Р-001...) and a work group of operators; a few
clients; and bookings for the rest of today. Nothing here writes rows by hand: projects,
members, rights, clients and bookings go through ``hub.services`` as an administrator's clicks
would, so the demo office obeys every rule a real one does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.engine import transaction
from hub.db.models import Project, User
from hub.db.models.queue import QueueTicket
from hub.services.access import rights as access
from hub.services.access.rights import DocType, Rights
from hub.services.access.users import EmployeeData, create_user, find_user
from hub.services.clients.clients import create_client
from hub.services.projects import projects
from hub.services.queue import setup, tickets
from hub.services.queue.core import BOOKED, QueueContext
from hub.services.queue.hours import DayHours

ALL_DAY = tuple(DayHours(weekday, time(0, 0), time(23, 59)) for weekday in range(1, 8))
"""The demo's services are open at any hour, so the demo works whenever it is started."""


@dataclass(frozen=True)
class DemoService:
    """One service of the example office."""

    name: str
    prefix: str
    description: str
    operators: tuple[str, ...]


@dataclass(frozen=True)
class DemoOperator:
    """One operator: login and full name (the window comes from the panel they sit at)."""

    username: str
    full_name: str


SERVICES = (
    DemoService(
        "Паспортні послуги",
        "П-",
        "Закордонний паспорт, ID-картка, вклеювання фото.",
        ("olena", "andrii"),
    ),
    DemoService(
        "Реєстрація бізнесу", "Р-", "ФОП, ТОВ, зміни до відомостей ЄДР.", ("andrii", "maria")
    ),
    DemoService(
        "Соціальні виплати",
        "С-",
        "Субсидії, допомога при народженні дитини, пенсії.",
        ("maria",),
    ),
    DemoService(
        "Консультації",
        "К-",
        "Довідки, роз'яснення, запис на інші послуги.",
        ("olena", "maria"),
    ),
)
OPERATORS = (
    DemoOperator("olena", "Олена Коваленко"),
    DemoOperator("andrii", "Андрій Шевченко"),
    DemoOperator("maria", "Марія Бондар"),
)
CLIENTS = (
    ("ТОВ «Світанок-Агро»", "+380441234567", "м. Київ, вул. Хрещатик, 10"),
    ("ФОП Ткаченко Ірина Петрівна", "+380671112233", "м. Бровари, вул. Незалежності, 5"),
    ("Мельник Василь Іванович", "+380501234321", "м. Київ, просп. Перемоги, 41"),
    ("ПП «Дніпро-Логістик»", "+380567778899", "м. Дніпро, вул. Січеславська, 3"),
    ("Гнатюк Оксана Романівна", "+380931239876", None),
)
BOOKING_OFFSETS = (timedelta(minutes=2), timedelta(minutes=25), timedelta(minutes=60))
"""When today's bookings are, from the demo's start (those past midnight are left out)."""


@dataclass
class DemoOffice:
    """What the seed made: service ids by name, in ``SERVICES`` order, and today's bookings."""

    services: dict[str, int] = field(default_factory=dict)
    booking_codes: list[str] = field(default_factory=list)


def _admin(session: Session) -> access.AccessProfile:
    user = find_user(session, "admin")
    if user is None:
        raise RuntimeError("the demo's database has no administrator")
    return access.load_profile(session, user)


def _operators(session: Session, hub: Hub, password: str) -> dict[str, int]:
    """The operators with an operator's rights (tasks and events: create, change)."""
    ids: dict[str, int] = {}
    for operator in OPERATORS:
        user = find_user(session, operator.username) or create_user(
            session,
            hasher=hub.hasher,
            username=operator.username,
            password=password,
            employee=EmployeeData(full_name=operator.full_name),
        )
        for doc_type in (DocType.TASK, DocType.EVENT):
            access.set_doc_rights(
                session, user_id=user.id, doc_type=doc_type, rights=Rights(create=True, change=True)
            )
        ids[operator.username] = user.id
    return ids


def _services(session: Session, hub: Hub, operator_ids: dict[str, int]) -> dict[str, int]:
    """Each service saved as the back-office's service card saves it, with its work group."""
    profile = _admin(session)
    made: dict[str, int] = {}
    for service in SERVICES:
        existing = session.scalar(select(Project.id).where(Project.name == service.name))
        if existing is not None:
            made[service.name] = existing
            continue
        defaults = setup.new_values(session)
        values = setup.ServiceValues(
            name=service.name,
            description=service.description,
            uses_queue=True,
            days=ALL_DAY,
            prefix=service.prefix,
            width=3,
            start=1,
            daily_reset=True,
            slot_mode="linear",
            slot_minutes=defaults.slot_minutes,
        )
        project = setup.save_service(
            session, profile=profile, service_id=None, values=values, shown=None, today=hub.today()
        )
        for username in service.operators:
            projects.add_member(
                session, profile=profile, project_id=project.id, user_id=operator_ids[username]
            )
        made[service.name] = project.id
    return made


def _clients(session: Session) -> list[int]:
    ids = []
    for name, phone, address in CLIENTS:
        client = create_client(session, data={"name": name, "phone": phone, "address": address})
        ids.append(client.id)
    return ids


def _bookings_today(session: Session, ctx: QueueContext, services: list[int]) -> list[str]:
    """Today's bookings, unless today already has some (a demo started again the same day)."""
    start, end = ctx.day_start(), ctx.day_start() + timedelta(days=1)
    already = session.scalars(
        select(QueueTicket.booking_code).where(
            QueueTicket.state == BOOKED,
            QueueTicket.booked_at >= start,
            QueueTicket.booked_at < end,
        )
    ).all()
    if already:
        return [code for code in already if code]
    codes = []
    for index, offset in enumerate(BOOKING_OFFSETS):
        at = ctx.now.replace(second=0, microsecond=0) + offset
        if at >= end:
            break
        name, phone, _address = CLIENTS[index % len(CLIENTS)]
        booked = tickets.create_booking(
            session,
            ctx,
            service_id=services[index % len(services)],
            booked_at=at,
            client=tickets.ClientDetails(name=name, phone=phone),
        )
        if booked.booking_code:
            codes.append(booked.booking_code)
    return codes


def seed_office(hub: Hub, *, operator_password: str, now: datetime | None = None) -> DemoOffice:
    """Make the example office (once) and today's bookings (once a day); returns what is there."""
    office = DemoOffice()
    ctx = QueueContext(now=now or utcnow(), tz=hub.settings.tz, site=hub.settings.site)
    with transaction(hub.sessions) as session:
        made_before = session.scalar(select(User.id).where(User.username == OPERATORS[0].username))
        operator_ids = _operators(session, hub, operator_password)
        office.services = _services(session, hub, operator_ids)
        if made_before is None:
            _clients(session)
        office.booking_codes = _bookings_today(session, ctx, list(office.services.values()))
    return office
