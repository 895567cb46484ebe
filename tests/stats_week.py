"""A week of a small office, recorded by the real queue and phone functions, for the Statistics
pages' tests and screenshots.

Monday 23 to Sunday 29 November 2026 is history; "now" is Monday 30 November 2026, 14:30 Kyiv.
Three services, one operator each (Olena Kovalenko: Passports at window 1, Petro Shevchenko:
Certificates at window 2, Iryna Bondar: Subsidies at window 3); visitors arrive every hour from
9 to 16 with waits that grow in the afternoon; Olena and Petro also answer calls. On the 30th
the day is recorded up to 14:30 and is harder: visitors are waiting (one for Subsidies since
13:55), the operators serving or on a break.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Device, Employee, Project, User
from hub.services.access.rights import AccessProfile
from hub.services.queue import assign as queue_assign
from hub.services.queue import operators as queue_operators
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.core import QueueContext
from hub.services.settings.parameters import update_user_parameters
from tests.test_queue import KYIV, make_operator, make_service
from tests.test_stats import _call

NOW = datetime(2026, 11, 30, 14, 30, tzinfo=KYIV)
FIRST = datetime(2026, 11, 23, tzinfo=KYIV)


@dataclass
class Week:
    """The ids of the week's services and operators."""

    services: dict[str, int] = field(default_factory=dict)
    operators: dict[str, AccessProfile] = field(default_factory=dict)


def ctx(moment: datetime) -> QueueContext:
    """The queue's context at ``moment``."""
    return QueueContext(now=moment, tz=KYIV, site="main")


PEOPLE = (
    ("passports", "Паспорти", 600, "olena", "Олена Коваленко", "1", "101"),
    ("certificates", "Довідки", 900, "petro", "Петро Шевченко", "2", "102"),
    ("subsidies", "Субсидії", 1200, "iryna", "Ірина Бондар", "3", None),
)


def _people(hub: Hub, week: Week) -> None:
    with transaction(hub.sessions) as session:
        for key, name, target, user, full, _window, sip in PEOPLE:
            service = make_service(session, name)
            session.execute(
                update(Project).where(Project.id == service).values(target_wait_s=target)
            )
            profile = make_operator(session, user, [service])
            update_user_parameters(session, profile.user_id, {"use_user_statuses": True})
            employee = Employee(full_name=full, sip_number=sip)
            session.add(employee)
            session.flush()
            session.execute(
                update(User).where(User.id == profile.user_id).values(employee_id=employee.id)
            )
            if sip is not None:
                session.add(
                    Device(
                        id=f"phone-{user}", role="phone", site="main", name=f"Лінія {sip}",
                        mqtt_password_hash="x", phone_status={"number": sip},
                    )
                )  # fmt: skip
            week.services[key], week.operators[user] = service, profile


def _serve(hub: Hub, week: Week, day: datetime, *, until: datetime) -> None:
    """One day: each operator opens at 08:55 and serves the visitors of the day in order."""
    for index, (key, _name, _target, user, _full, window, _sip) in enumerate(PEOPLE):
        profile = week.operators[user]
        free_at = day.replace(hour=8, minute=55)
        with transaction(hub.sessions) as session:
            queue_assign.free(session, ctx(free_at), profile=profile, window=window)
            queue_operators.set_status(session, ctx(free_at), profile=profile, status="break")
        for hour in range(9, 17):
            for slot in range(2 + (index + hour + day.day) % 3):
                arrived = day.replace(hour=hour, minute=slot * 17 % 60)
                if arrived >= until:
                    continue
                with transaction(hub.sessions) as session:
                    queue_tickets.issue_ticket(session, ctx(arrived), service_id=week.services[key])
                # The afternoon lines wait longer; Subsidies wait longest.
                late = 2 if day.date() == until.date() else 0  # a harder day today
                wait = timedelta(minutes=3 + late + (hour - 9) * (1 + index) + (day.day + slot) % 5)
                called = max(free_at, arrived + wait)
                if called >= until:
                    continue
                with transaction(hub.sessions) as session:
                    result = queue_assign.free(session, ctx(called), profile=profile, window=window)
                assert result.assignment is not None
                done = called + timedelta(minutes=6 + (slot + index) % 6)
                if done >= until:
                    continue
                with transaction(hub.sessions) as session:
                    ticket = result.assignment.ticket.id
                    queue_operators.done(session, ctx(done), profile=profile, ticket_id=ticket)
                    queue_operators.set_status(session, ctx(done), profile=profile, status="break")
                free_at = done
        if day.date() < until.date():
            with transaction(hub.sessions) as session:
                queue_operators.set_status(
                    session, ctx(day.replace(hour=17, minute=30)), profile=profile, status="offline"
                )


def _calls(hub: Hub, day: datetime, *, until: datetime) -> None:
    for agent, count in (("phone-olena", 3 + day.day % 3), ("phone-petro", 5 + day.day % 4)):
        for n in range(count):
            start = day.replace(hour=10 + n % 6, minute=7 * n % 60)
            if start >= until:
                continue
            steps = [("ringing", start, {})]
            if n % 4 == 3:
                steps.append(("missed", start + timedelta(seconds=40), {"reason": "no_answer"}))
            else:
                talk = 90 + 30 * n
                steps += [
                    ("answered", start + timedelta(seconds=8 + n), {}),
                    ("ended", start + timedelta(seconds=8 + n + talk), {"duration_s": talk}),
                ]
            remote = f"+38050{day.day:02d}{n:05d}"
            _call(hub, f"{agent}-{day.day}-{n}", "in", remote, *steps, agent_id=agent)


def office_week(hub: Hub) -> Week:
    """Record the week and today up to ``NOW``; the ids of what was made."""
    week = Week()
    _people(hub, week)
    for offset in range(8):
        day = FIRST + timedelta(days=offset)
        if day.weekday() == 6:
            continue  # closed on Sundays
        _serve(hub, week, day, until=NOW)
        _calls(hub, day, until=NOW)
    # Since 13:55 someone waits for Subsidies, nobody has called them yet.
    with transaction(hub.sessions) as session:
        queue_tickets.issue_ticket(
            session, ctx(NOW - timedelta(minutes=35)), service_id=week.services["subsidies"]
        )
    return week
